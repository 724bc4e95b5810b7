"""The runtime's journal: seq assignment (E2), immutability and durability (E3), reload."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.contract.events import validate_event
from harness.contract.streams import stream_of
from stub.runtime.errors import StateError
from stub.runtime.journal import JOURNAL_FILE
from tests.unit.test_runtime_support import (
    NOTE,
    RUN,
    WORKER,
    Runtimes,
    as_contract,
    journal_of,
    note,
    run_step,
    runtimes_fixture,  # noqa: F401 - a fixture
)


def _journal_file(data_dir: Path) -> Path:
    [path] = data_dir.glob(f"ns-*/{JOURNAL_FILE}")
    return path


def test_E2_first_seq_is_1_and_each_next_is_head_plus_1_per_topic(runtimes: Runtimes) -> None:
    service = runtimes.start()
    seqs = [(e.topic, e.seq) for e in (note(service, NOTE, "a"), run_step(service, 1),
                                       note(service, NOTE, "b"), run_step(service, 2),
                                       note(service, NOTE, "c"))]  # fmt: skip
    assert seqs == [(NOTE, 1), (RUN, 1), (NOTE, 2), (RUN, 2), (NOTE, 3)]
    assert [e.seq for e in journal_of(service, [NOTE])] == [1, 2, 3]


def test_E1_E4_E5_E6_journaled_event_carries_its_derived_fields(runtimes: Runtimes) -> None:
    service = runtimes.start(clock=lambda: 1_700_000_000_123)
    event = service.append(WORKER, "worker.online", '{ "region" : "eu", "extra": [1, "2.5"] }')
    assert event.payload_json == '{"extra":[1,"2.5"],"region":"eu"}'
    assert event.published_at_ms == 1_700_000_000_123
    assert event.stream_id == stream_of(WORKER) == "runtime.worker.w1.lifecycle"
    assert event.idempotency_key == f"topic:{WORKER}:seq:1"
    assert event.payload_hash.startswith("sha256:")
    # The runtime's own forms agree with the contract's, computed from the primary fields.
    contract = as_contract(event)
    assert validate_event(contract) is None
    assert (event.stream_id, event.idempotency_key, event.payload_json, event.payload_hash,
            event.published_at) == (contract.stream_id, contract.idempotency_key,
                                    contract.payload_json, contract.payload_hash,
                                    contract.published_at)


def test_E1_caller_supplied_published_at_is_kept(runtimes: Runtimes) -> None:
    service = runtimes.start(clock=lambda: 5)
    assert service.append(NOTE, "note", '{"text":"t"}', published_at_ms=0).published_at_ms == 0


def test_E3_events_are_identical_after_restart_and_time_stays_fixed(runtimes: Runtimes) -> None:
    service = runtimes.start(clock=lambda: 1_000)
    before = [note(service, NOTE, "a"), run_step(service, 4), note(service, NOTE, "b")]
    restarted = runtimes.restart(service)
    assert journal_of(restarted, [NOTE, RUN]) == [before[0], before[2], before[1]]
    after = [
        (e.payload_hash, e.published_at_ms) for e in journal_of(restarted, [NOTE, RUN])
    ]
    assert after == [(e.payload_hash, e.published_at_ms) for e in (before[0], before[2], before[1])]
    # E2 across restarts: numbering continues, nothing is reused.
    assert note(restarted, NOTE, "c").seq == 3


def test_E3_journal_file_is_append_only(runtimes: Runtimes) -> None:
    service = runtimes.start()
    note(service, NOTE, "a")
    first = _journal_file(runtimes.data_dir).read_bytes()
    note(service, NOTE, "b")
    runtimes.restart(service)
    assert _journal_file(runtimes.data_dir).read_bytes().startswith(first)


def test_E3_torn_last_line_is_dropped_on_restart(runtimes: Runtimes) -> None:
    service = runtimes.start()
    kept = note(service, NOTE, "a")
    service.stop()
    path = _journal_file(runtimes.data_dir)
    with path.open("ab") as file:
        file.write(b'{"kind":"note","payload_json":"{\\"te')  # a crash mid-write
    restarted = runtimes.start()
    assert journal_of(restarted, [NOTE]) == [kept]
    assert note(restarted, NOTE, "b").seq == 2
    assert journal_of(runtimes.restart(restarted), [NOTE])[1].payload == {"text": "b"}


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda line: b"garbage\n" + line, id="unreadable-record"),
        pytest.param(lambda line: line.replace(b'\\"a\\"', b'\\"z\\"'), id="hash-mismatch"),
        pytest.param(lambda line: line + line, id="seq-repeated"),
    ],
)
def test_E3_damaged_journal_refuses_to_start(runtimes: Runtimes, damage: object) -> None:
    service = runtimes.start()
    note(service, NOTE, "a")
    service.stop()
    path = _journal_file(runtimes.data_dir)
    assert callable(damage)
    path.write_bytes(damage(path.read_bytes()))
    with pytest.raises(StateError):
        runtimes.start()


def test_journal_record_is_canonical_json_of_the_event(runtimes: Runtimes) -> None:
    service = runtimes.start()
    event = note(service, NOTE, "ü")
    [line] = _journal_file(runtimes.data_dir).read_text("utf-8").splitlines()
    assert json.loads(line) == {
        "topic": NOTE,
        "seq": 1,
        "kind": "note",
        "payload_json": '{"text":"ü"}',
        "published_at_ms": event.published_at_ms,
        "payload_hash": event.payload_hash,
    }


def test_journal_reads_pages_after_a_seq(runtimes: Runtimes) -> None:
    service = runtimes.start()
    for text in "abcde":
        note(service, NOTE, text)
    page = service.read_journal(NOTE, 1, 2)
    assert (page.head_seq, [e.seq for e in page.events]) == (5, [2, 3])
    assert service.read_journal("never:used", 0, 10).events == []
