"""Bad appends are refused with a clear code and never enter the journal (E1, E2, E4, P4)."""

# Test names carry the rule id they check (CONTRACT.md), upper case as the contract writes it.

from __future__ import annotations

import json

import pytest

from harness.contract.timestamps import MAX_MS
from stub.runtime.admission import MAX_PAYLOAD_BYTES
from stub.runtime.errors import RefusedError
from tests.unit.test_runtime_support import (
    NOTE,
    RUN,
    WORKER,
    Runtimes,
    note,
    runtimes,  # noqa: F401 - a fixture
)

# (code, topic, kind, payload_json, published_at_ms)
REFUSALS = [
    pytest.param("invalid_topic", "", "note", '{"text":"t"}', None, id="E1-empty-topic"),
    pytest.param("invalid_topic", "a b", "note", '{"text":"t"}', None, id="E1-whitespace"),
    pytest.param("invalid_topic", "a\u2028b", "note", '{"text":"t"}', None, id="E1-unicode-space"),
    pytest.param("invalid_topic", "a\x00b", "note", '{"text":"t"}', None, id="E1-control"),
    pytest.param("invalid_topic", "t" * 257, "note", '{"text":"t"}', None, id="E1-too-long"),
    pytest.param("unknown_kind", NOTE, "run.step", '{"tokens":1}', None, id="P3-kind"),
    pytest.param("unknown_kind", RUN, "note", '{"text":"t"}', None, id="P1-kind"),
    pytest.param("unknown_kind", WORKER, "", "{}", None, id="P2-empty-kind"),
    pytest.param("invalid_payload", RUN, "run.step", '{"tokens":-1}', None, id="P4-negative"),
    pytest.param("invalid_payload", RUN, "run.step", '{"tokens":true}', None, id="P4-bool"),
    pytest.param("invalid_payload", RUN, "run.created", "{}", None, id="P4-missing"),
    pytest.param("invalid_payload", RUN, "run.completed", '{"outcome":"meh"}', None, id="P4-enum"),
    pytest.param("invalid_json", NOTE, "note", '{"text":', None, id="E4-not-json"),
    pytest.param("invalid_json", NOTE, "note", "", None, id="E4-empty"),
    pytest.param("invalid_json", NOTE, "note", '{"text":"t","x":NaN}', None, id="E4-nan"),
    pytest.param("invalid_json", NOTE, "note", '{"text":"t","x":-Infinity}', None, id="E4-inf"),
    pytest.param("invalid_json", NOTE, "note", '{"text":"t","x":1e999}', None, id="E4-overflow"),
    pytest.param("invalid_json", NOTE, "note", f'{{"text":"t","x":{2**64}}}', None, id="E4-u64"),
    pytest.param("invalid_json", NOTE, "note", f'{{"text":"t","x":{-(2**63) - 1}}}', None,
                 id="E4-i64"),  # fmt: skip
    pytest.param("invalid_json", NOTE, "note", '{"text":"\\ud800"}', None, id="E4-surrogate"),
    pytest.param("payload_not_object", NOTE, "note", '["text"]', None, id="E1-array"),
    pytest.param("payload_not_object", NOTE, "note", '"text"', None, id="E1-string"),
    pytest.param("payload_not_object", NOTE, "note", "null", None, id="E1-null"),
    pytest.param("invalid_published_at", NOTE, "note", '{"text":"t"}', MAX_MS + 1, id="E1-time"),
]


@pytest.mark.parametrize(("code", "topic", "kind", "payload_json", "published_at_ms"), REFUSALS)
def test_E1_E2_bad_append_is_refused_and_takes_no_seq(
    runtimes: Runtimes,
    code: str,
    topic: str,
    kind: str,
    payload_json: str,
    published_at_ms: int | None,
) -> None:
    service = runtimes.start()
    note(service, NOTE, "before")
    with pytest.raises(RefusedError) as refused:
        service.append(topic, kind, payload_json, published_at_ms)
    assert refused.value.code == code
    assert refused.value.message
    # Nothing entered the journal: the next valid event is still head+1 (E2).
    assert note(service, NOTE, "after").seq == 2
    restarted = runtimes.restart(service)
    assert restarted.status().streams[0].journal_head == 2


def _payload_of_size(size: int) -> str:
    filler = size - len('{"text":""}')
    text = "é" * (filler // 2) + "x" * (filler % 2)
    return json.dumps({"text": text}, ensure_ascii=False, separators=(",", ":"))


def test_payload_of_exactly_64_KiB_is_accepted_one_byte_more_is_refused(
    runtimes: Runtimes,
) -> None:
    service = runtimes.start()
    fits = _payload_of_size(MAX_PAYLOAD_BYTES)
    assert len(fits.encode("utf-8")) == MAX_PAYLOAD_BYTES
    assert service.append(NOTE, "note", fits).seq == 1
    with pytest.raises(RefusedError) as refused:
        service.append(NOTE, "note", _payload_of_size(MAX_PAYLOAD_BYTES + 1))
    assert refused.value.code == "payload_too_large"


def test_E4_payload_size_is_measured_on_the_canonical_form(runtimes: Runtimes) -> None:
    """Whitespace the caller sent does not count; it is not journaled."""
    service = runtimes.start()
    spaced = _payload_of_size(MAX_PAYLOAD_BYTES).replace(":", " :  ")
    assert len(spaced.encode("utf-8")) > MAX_PAYLOAD_BYTES
    assert service.append(NOTE, "note", spaced).seq == 1


def test_refusal_needs_no_spacetimedb_and_extra_payload_fields_are_fine(
    runtimes: Runtimes,
) -> None:
    service = runtimes.start()
    event = service.append(RUN, "run.step", '{"tokens":0,"note":"extra"}')
    assert event.payload == {"tokens": 0, "note": "extra"}
