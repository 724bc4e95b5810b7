"""The stub runtime and the harness compute E4-E6 and S1 each on their own, and a
difference between them is reported, whichever side is wrong.

The stub runtime runs in-process against the fake SpacetimeDB (whose module is the
oracle) and is driven over its HTTP API by the harness's own runtime driver, as the runner
drives a `via_runtime` scenario; `runtime_delivery.violations` then judges the history.
Each test breaks one side on purpose, with a difference a shared implementation would
have hidden: the verdict must name the rule.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict
from typing import Any

import pytest

import harness.contract.events as contract_events
from harness.checks import runtime_delivery
from harness.checks.verdict import Violation
from harness.contract.canonical import canonical_json, sha256_tag
from harness.contract.events import idempotency_key
from harness.contract.streams import stream_of
from harness.contract.timestamps import format_ms
from harness.drivers.runtime import RuntimeClient
from harness.history import EntryType, History
from harness.scenario.model import Scenario
from stub.runtime import canon, event, naming
from stub.runtime.server import running
from tests.unit.test_runtime_support import (
    WAIT_S,
    FakeSpacetime,
    Runtimes,
    fake_fixture,  # noqa: F401 - a fixture
    runtimes_fixture,  # noqa: F401 - a fixture
)

DOTTED = "org:a.b:runs"  # a topic of S1's last row: `.` is escaped as %2E
STEPS: list[dict[str, Any]] = [
    {"op": "event", "topic": "run:r1:events", "kind": "run.created", "payload": {"owner": "Zoë"}},
    {"op": "event", "topic": DOTTED, "kind": "note", "payload": {"text": "naïve 100%"}},
    {"op": "event", "topic": "run:r1:events", "kind": "run.step", "payload": {"tokens": 7}},
]


def judged(runtimes: Runtimes, fake: FakeSpacetime) -> list[Violation]:
    """Journal the scenario's events through the stub runtime and judge the history."""
    scenario = Scenario.from_json({"property": "idempotence", "rules": ["E4", "E5", "S1"],
                                   "steps": [{"op": "via_runtime"}, *STEPS]})
    history = History()
    service = runtimes.start(fake.target)
    with running(service) as url:
        client = RuntimeClient(url)
        for number, want in enumerate(scenario.journal()):
            index = history.invoke("runtime", "append", {"step": number, "topic": want.topic})
            seq = client.append(want.topic, want.kind, want.payload_json,
                                want.published_at_ms).seq
            history.complete(index, EntryType.OK, value={"step": number, "seq": seq})
        quiescent = service.wait_until_delivered(WAIT_S)
        history.snapshots["runtime"] = {
            "quiescent": quiescent,
            "streams": [asdict(stream) for stream in client.status().streams],
        }
        topics = dict.fromkeys(want.topic for want in scenario.journal())
        history.snapshots["journal"] = [asdict(journaled) for topic in topics
                                        for journaled in client.read_topic(topic)]
        client.close()
    history.snapshots["final"] = fake.snapshot()
    return runtime_delivery.violations(scenario, history)


def rules(violations: list[Violation]) -> set[str]:
    return {violation.rule for violation in violations}


def test_the_stub_and_the_contract_agree_when_neither_is_broken(
    runtimes: Runtimes, fake: FakeSpacetime
) -> None:
    assert judged(runtimes, fake) == []


def _ascii_quote(text: str) -> str:
    """A deliberately wrong E4 string: non-ASCII written as \\u escapes."""
    return json.dumps(text, ensure_ascii=True)


def test_E4_E5_a_stub_that_escapes_non_ascii_is_reported(
    runtimes: Runtimes, fake: FakeSpacetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(canon, "quote", _ascii_quote)
    found = judged(runtimes, fake)
    assert {"E4", "E5"} <= rules(found), found
    assert any(v.rule == "E4" and "Zo\\\\u00eb" in v.message for v in found), found


def test_S1_a_stub_that_escapes_a_dot_in_lowercase_is_reported(
    runtimes: Runtimes, fake: FakeSpacetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Consistent with itself both ways, so the stub runs as happily as a correct one.
    monkeypatch.setattr(naming, "_escape", lambda topic: topic.replace("%", "%25")
                        .replace(".", "%2e").replace(":", "."))
    monkeypatch.setattr(naming, "_UNESCAPE", re.compile("%(25|2E|2e)"))
    found = judged(runtimes, fake)
    assert "S1" in rules(found), found
    assert any(v.rule == "S1" and "runtime.topic.org.a%2eb.runs" in v.message for v in found)


def test_E4_an_oracle_that_escapes_non_ascii_is_reported_against_a_right_stub(
    runtimes: Runtimes, fake: FakeSpacetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    def ascii_canonical(value: object) -> str:
        return json.dumps(json.loads(canonical_json(value)), sort_keys=True,
                          separators=(",", ":"), ensure_ascii=True)

    monkeypatch.setattr(contract_events, "canonical_json", ascii_canonical)
    found = judged(runtimes, fake)
    assert {"E4", "E5"} <= rules(found), found


def test_S1_an_oracle_that_maps_a_dot_differently_is_reported_against_a_right_stub(
    runtimes: Runtimes, fake: FakeSpacetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(contract_events, "stream_of",
                        lambda topic: stream_of(topic).replace("%2E", "%2e"))
    found = judged(runtimes, fake)
    assert "S1" in rules(found), found


# The two implementations, side by side on inputs where they could plausibly part ways.
TOPICS = ["run:r1:events", "run::events:events", "worker:w.1:lifecycle", "fleet:user:7:workers",
          "fleet:guest:g:workers", "runtime.codex_worker_events", "org:a.b:runs", "100%:x.%2E",
          "a'b\"c\\d", "ünï:cødé", "run:events", "x" * 256, ":", ".", "%"]
PAYLOADS: list[dict[str, Any]] = [
    {}, {"b": 1, "a": [True, False, None, -(2**63), 2**64 - 1]},
    {"text": "line\nbreak\ttab\u0001\u001f\u007f\u2028 \"q\" \\ é 😀"},
    {"z": {"y": {"x": []}}, "é": "", "A": "a", "": 0},
]


@pytest.mark.parametrize("topic", TOPICS)
def test_S1_S2_E6_the_stub_maps_topics_as_the_contract_does(topic: str) -> None:
    assert naming.stream_of(topic) == stream_of(topic)
    assert naming.topic_of(stream_of(topic)) == topic
    assert event.key_of(topic, 42) == idempotency_key(topic, 42)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_E4_E5_the_stub_writes_and_hashes_as_the_contract_does(payload: dict[str, Any]) -> None:
    assert canon.canonical(payload) == canonical_json(payload)
    mine = event.Event("run:r1:events", 3, "run.step", payload, 1_700_000_000_123)
    theirs = contract_events.Event("run:r1:events", 3, "run.step", payload, 1_700_000_000_123)
    assert (mine.payload_json, mine.payload_hash) == (theirs.payload_json, theirs.payload_hash)
    assert canon.tagged_sha256(mine.payload_json) == sha256_tag(theirs.payload_json)


@pytest.mark.parametrize("ms", [0, 1, 999, 1_700_000_000_123, 951_782_400_000,
                                event.LAST_MS])
def test_E5_the_stub_writes_times_as_the_contract_does(ms: int) -> None:
    assert event.rfc3339(ms) == format_ms(ms)
