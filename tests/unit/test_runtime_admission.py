"""Bad appends are refused with a clear code and never enter the journal (E1, E2, E4, P4)."""

from __future__ import annotations

import json

import pytest

from harness.contract.timestamps import MAX_MS
from stub.runtime.admission import MAX_PAYLOAD_BYTES, admit
from stub.runtime.errors import RefusedError
from tests.unit.test_runtime_support import (
    NOTE,
    RUN,
    WORKER,
    Runtimes,
    note,
    runtimes_fixture,  # noqa: F401 - a fixture
)


def _refusal(
    code: str, topic: str, kind: str, payload_json: str, at: int | None = None, *, name: str
) -> object:
    """One refused append: the code it must get, and the append's arguments."""
    return pytest.param(code, (topic, kind, payload_json, at), id=name)


T = '{"text":"t"}'
REFUSALS = [
    _refusal("invalid_topic", "", "note", T, name="E1-empty-topic"),
    _refusal("invalid_topic", "a b", "note", T, name="E1-whitespace"),
    _refusal("invalid_topic", "a\u2028b", "note", T, name="E1-unicode-space"),
    _refusal("invalid_topic", "a\x00b", "note", T, name="E1-control"),
    _refusal("invalid_topic", "t" * 257, "note", T, name="E1-too-long"),
    _refusal("unknown_kind", NOTE, "run.step", '{"tokens":1}', name="P3-kind"),
    _refusal("unknown_kind", RUN, "note", T, name="P1-kind"),
    _refusal("unknown_kind", WORKER, "", "{}", name="P2-empty-kind"),
    _refusal("invalid_payload", RUN, "run.step", '{"tokens":-1}', name="P4-negative"),
    _refusal("invalid_payload", RUN, "run.step", '{"tokens":true}', name="P4-bool"),
    _refusal("invalid_payload", RUN, "run.created", "{}", name="P4-missing"),
    _refusal("invalid_payload", RUN, "run.completed", '{"outcome":"meh"}', name="P4-enum"),
    _refusal("invalid_json", NOTE, "note", '{"text":', name="E4-not-json"),
    _refusal("invalid_json", NOTE, "note", "", name="E4-empty"),
    _refusal("invalid_json", NOTE, "note", '{"text":"t","x":NaN}', name="E4-nan"),
    _refusal("invalid_json", NOTE, "note", '{"text":"t","x":-Infinity}', name="E4-inf"),
    _refusal("invalid_json", NOTE, "note", '{"text":"t","x":1e999}', name="E4-overflow"),
    _refusal("invalid_json", NOTE, "note", f'{{"text":"t","x":{2**64}}}', name="E4-u64"),
    _refusal("invalid_json", NOTE, "note", f'{{"text":"t","x":{-(2**63) - 1}}}', name="E4-i64"),
    _refusal("invalid_json", NOTE, "note", '{"text":"\\ud800"}', name="E4-surrogate"),
    _refusal("payload_not_object", NOTE, "note", '["text"]', name="E1-array"),
    _refusal("payload_not_object", NOTE, "note", '"text"', name="E1-string"),
    _refusal("payload_not_object", NOTE, "note", "null", name="E1-null"),
    _refusal("invalid_published_at", NOTE, "note", T, MAX_MS + 1, name="E1-time"),
]


@pytest.mark.parametrize(("code", "append"), REFUSALS)
def test_E1_E2_bad_append_is_refused_and_takes_no_seq(
    runtimes: Runtimes, code: str, append: tuple[str, str, str, int | None]
) -> None:
    service = runtimes.start()
    note(service, NOTE, "before")
    with pytest.raises(RefusedError) as refused:
        service.append(*append)
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


@pytest.mark.parametrize("payload", ['{"text": "t", "x": 1e-7}', '{"text": "t", "x": [1.5]}',
                                     '{"text": "t", "x": {"y": 100.0}}'])
def test_E4_non_integer_numbers_are_refused_before_the_journal(payload: str) -> None:
    """Python and Rust spell some floats differently, so the module could never accept
    such an event (its stream would be dead-lettered for good): refuse it at append."""
    with pytest.raises(RefusedError) as refused:
        admit("fleet:user:u1:workers", "note", payload, None)
    assert refused.value.code == "unsupported_number"
