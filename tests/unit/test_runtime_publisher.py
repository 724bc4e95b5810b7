"""The publisher against a fake SpacetimeDB whose module is the oracle (B1-B4, B6)."""

from __future__ import annotations

import random
import threading
import time
from itertools import pairwise

import pytest

from harness.contract.events import ApplyEventArgs
from harness.contract.streams import stream_of
from stub.runtime.faults import FaultCommand
from stub.runtime.target import Target
from tests.unit.test_runtime_support import (
    DATABASE,
    INGEST,
    NOTE,
    RUN,
    WAIT_S,
    WORKER,
    Answer,
    FakeSpacetime,
    Runtimes,
    as_contract,
    fake_fixture,  # noqa: F401 - a fixture
    ingest_target,
    journal_of,
    note,
    projection_of,
    run_step,
    runtimes_fixture,  # noqa: F401 - a fixture
    wait_for,
)

RUN_STREAM = stream_of(RUN)
NOTE_STREAM = stream_of(NOTE)
WORKER_STREAM = stream_of(WORKER)


def _seqs(fake: FakeSpacetime, stream_id: str) -> list[int]:
    return [call.args.seq for call in fake.calls_for(stream_id)]


def test_B1_every_journaled_event_reaches_the_module(
    fake: FakeSpacetime, runtimes: Runtimes
) -> None:
    service = runtimes.start(fake.target)
    service.append(RUN, "run.created", '{"owner":"ada"}')
    service.append(WORKER, "worker.online", '{"region":"eu"}')
    for tokens in range(5):
        run_step(service, tokens)
        note(service, NOTE, f"n{tokens}")
        service.append(WORKER, "worker.heartbeat", "{}")
    service.append(RUN, "run.completed", '{"outcome":"success"}')
    assert service.wait_until_delivered(WAIT_S)
    assert fake.snapshot() == projection_of(service, [RUN, NOTE, WORKER])
    status = service.status()
    assert [(s.stream_id, s.delivered_head, s.outbox_depth) for s in status.streams] == sorted(
        [(RUN_STREAM, 7, 0), (NOTE_STREAM, 5, 0), (WORKER_STREAM, 6, 0)]
    )
    assert status.quiescent


def test_B1_duplicate_and_stale_resends_are_harmless(
    fake: FakeSpacetime, runtimes: Runtimes
) -> None:
    service = runtimes.start(fake.target)
    service.control(FaultCommand(RUN_STREAM, counters={"duplicate": 2, "reorder": 2}))
    for tokens in range(5):
        run_step(service, tokens)
    assert service.wait_until_delivered(WAIT_S)
    # 1 then its duplicate; 2, its duplicate, then stale 1; 3, then stale 2; 4; 5.
    assert _seqs(fake, RUN_STREAM) == [1, 1, 2, 2, 1, 3, 2, 4, 5]
    assert all(call.status == 200 for call in fake.calls_for(RUN_STREAM))
    assert fake.snapshot() == projection_of(service, [RUN])
    stream = service.status().stream(RUN_STREAM)
    assert stream.dead_letter is None
    assert not stream.pending_faults.any_pending()


def test_B1_shared_fault_counters_apply_to_the_next_deliveries_of_any_stream(
    fake: FakeSpacetime, runtimes: Runtimes
) -> None:
    service = runtimes.start(fake.target)
    service.control(FaultCommand(pause=True))
    note(service, NOTE, "a")
    run_step(service, 1)
    service.control(FaultCommand(counters={"duplicate": 1}))
    service.control(FaultCommand(resume=True))
    assert service.wait_until_delivered(WAIT_S)
    assert sorted([_seqs(fake, NOTE_STREAM), _seqs(fake, RUN_STREAM)]) == [[1], [1, 1]]
    assert not service.status().pending_faults.any_pending()


def test_B2_a_stream_sends_seq_n_plus_1_only_after_n_is_acknowledged(
    fake: FakeSpacetime, runtimes: Runtimes
) -> None:
    jitter = random.Random(7)

    def slow(_args: ApplyEventArgs) -> Answer | None:
        time.sleep(jitter.random() * 0.003)
        return None

    fake.override = slow
    service = runtimes.start(fake.target)
    for index in range(15):
        run_step(service, index)
        note(service, NOTE, str(index))
        service.append(WORKER, "worker.heartbeat", "{}")
    assert service.wait_until_delivered(WAIT_S)
    for stream_id in (RUN_STREAM, NOTE_STREAM, WORKER_STREAM):
        calls = fake.calls_for(stream_id)
        assert [call.args.seq for call in calls] == list(range(1, 16))
        assert all(call.status == 200 for call in calls)
        # Never two calls of one stream at once: each starts after the previous answered.
        assert all(later.started >= earlier.ended for earlier, later in pairwise(calls))
    assert fake.snapshot() == projection_of(service, [RUN, NOTE, WORKER])


PERMANENT = [
    pytest.param((530, "sequence_conflict expected_next_seq=1 actual_seq=2"), id="sequence"),
    pytest.param((530, "idempotency_conflict"), id="idempotency"),
    pytest.param((530, "invalid_event payload_hash"), id="invalid-event"),
    pytest.param((530, "unauthorized"), id="unauthorized"),
    pytest.param((400, "invalid arguments for reducer apply_event"), id="http-400"),
]


@pytest.mark.parametrize("refusal", PERMANENT)
def test_B3_permanent_error_dead_letters_and_pauses_stream(
    fake: FakeSpacetime, runtimes: Runtimes, refusal: Answer
) -> None:
    fake.override = lambda args: refusal if args.seq == 2 else None
    service = runtimes.start(fake.target)
    for tokens in range(3):
        run_step(service, tokens)
    assert service.wait_until_delivered(WAIT_S)
    stream = service.status().stream(RUN_STREAM)
    assert stream.paused
    assert stream.dead_letter is not None
    assert stream.dead_letter.seq == 2
    assert stream.dead_letter.delivery == "primary"
    assert refusal[1] in stream.dead_letter.reason
    assert (stream.delivered_head, stream.outbox_depth) == (1, 2)
    # Not retried, and nothing after it is sent (B2).
    time.sleep(0.05)
    assert _seqs(fake, RUN_STREAM) == [1, 2]


def test_B3_dead_letter_survives_restart_and_resume_retries_it(
    fake: FakeSpacetime, runtimes: Runtimes
) -> None:
    fake.override = lambda args: (530, "invalid_event kind") if args.seq == 2 else None
    service = runtimes.start(fake.target)
    for tokens in range(3):
        run_step(service, tokens)
    assert service.wait_until_delivered(WAIT_S)
    service = runtimes.restart(service)
    assert service.wait_until_delivered(WAIT_S)
    stream = service.status().stream(RUN_STREAM)
    assert stream.paused
    assert stream.dead_letter is not None
    assert stream.dead_letter.reason == "invalid_event kind"
    assert _seqs(fake, RUN_STREAM) == [1, 2]
    fake.override = None
    service.control(FaultCommand(RUN_STREAM, resume=True))
    assert service.wait_until_delivered(WAIT_S)
    stream = service.status().stream(RUN_STREAM)
    assert (stream.paused, stream.dead_letter, stream.delivered_head) == (False, None, 3)
    assert fake.snapshot() == projection_of(service, [RUN])


def test_B3_wrong_publisher_token_is_unauthorized_and_dead_lettered(
    fake: FakeSpacetime, runtimes: Runtimes
) -> None:
    service = runtimes.start(Target(fake.url, DATABASE, "not-the-publisher"))
    note(service, NOTE, "a")
    assert service.wait_until_delivered(WAIT_S)
    letter = service.status().stream(NOTE_STREAM).dead_letter
    assert letter is not None
    assert (letter.seq, letter.reason) == (1, "unauthorized")


def test_B3_refused_extra_send_is_reported_too(fake: FakeSpacetime, runtimes: Runtimes) -> None:
    """A module that refuses a duplicate breaks B1; the publisher must not hide that."""
    sent: set[int] = set()

    def refuse_repeats(args: ApplyEventArgs) -> Answer | None:
        if args.seq in sent:
            return (530, f"sequence_conflict expected_next_seq=2 actual_seq={args.seq}")
        sent.add(args.seq)
        return None

    fake.override = refuse_repeats
    service = runtimes.start(fake.target)
    service.control(FaultCommand(NOTE_STREAM, counters={"duplicate": 1}))
    note(service, NOTE, "a")
    note(service, NOTE, "b")
    assert service.wait_until_delivered(WAIT_S)
    stream = service.status().stream(NOTE_STREAM)
    assert stream.dead_letter is not None
    assert (stream.dead_letter.seq, stream.dead_letter.delivery) == (1, "duplicate")
    assert (stream.paused, stream.delivered_head) == (True, 1)


def test_B1_default_target_calls_apply_event_with_the_reference_arguments(
    fake: FakeSpacetime, runtimes: Runtimes
) -> None:
    service = runtimes.start(fake.target)
    run_step(service, 1)
    note(service, NOTE, "a")
    assert service.wait_until_delivered(WAIT_S)
    sent = sorted(fake.bodies, key=lambda body: body[0])
    assert sent == [list(as_contract(e).reducer_args()) for e in journal_of(service, [NOTE, RUN])]


def test_B1_templated_call_reaches_a_module_with_another_reducer(
    fake: FakeSpacetime, runtimes: Runtimes
) -> None:
    service = runtimes.start(ingest_target(fake))
    first = service.append(RUN, "run.created", '{"owner":"ada"}', published_at_ms=1_000)
    for tokens in range(3):
        run_step(service, tokens)
        note(service, NOTE, str(tokens))
    assert service.wait_until_delivered(WAIT_S)
    digest = first.payload_hash.removeprefix("sha256:")
    assert fake.calls_for(RUN_STREAM)[0].args == as_contract(first).reducer_args()
    assert fake.bodies.count(
        [f"{RUN_STREAM}/1/run.created", RUN_STREAM, "run.created", '{"owner":"ada"}', digest,
         1_000, 1, True, 1]
    ) == 1  # fmt: skip
    assert all(call.status == 200 for call in fake.calls)
    assert fake.snapshot() == projection_of(service, [RUN, NOTE])
    status = service.status()
    assert (status.target, status.quiescent) == (ingest_target(fake), True)


def test_B3_custom_permanent_pattern_dead_letters_and_pauses_only_its_stream(
    fake: FakeSpacetime, runtimes: Runtimes
) -> None:
    text = f"E_KEY_REUSED: {RUN_STREAM}/2/run.step holds another digest"
    fake.override = lambda a: (530, text) if (a.stream_id, a.seq) == (RUN_STREAM, 2) else None
    service = runtimes.start(ingest_target(fake))
    for tokens in range(3):
        run_step(service, tokens)
        note(service, NOTE, str(tokens))
    assert service.wait_until_delivered(WAIT_S)
    stream = service.status().stream(RUN_STREAM)
    assert stream.paused and stream.dead_letter is not None
    assert (stream.dead_letter.seq, stream.dead_letter.reason) == (2, text)
    assert (stream.delivered_head, stream.outbox_depth) == (1, 2)
    time.sleep(0.05)
    assert _seqs(fake, RUN_STREAM) == [1, 2]  # never retried
    other = service.status().stream(NOTE_STREAM)
    assert (other.paused, other.dead_letter, other.delivered_head) == (False, None, 3)
    fake.override = None
    service.control(FaultCommand(RUN_STREAM, resume=True))
    assert service.wait_until_delivered(WAIT_S)
    assert fake.snapshot() == projection_of(service, [RUN, NOTE])


@pytest.mark.parametrize(
    "text",
    [
        "E_BUSY: compaction in progress",
        "invalid_event kind",  # a reference word, but not one of this module's patterns
        "E_KEY_REUSEDX",
    ],
)
def test_B3_text_matching_no_custom_pattern_is_retried_as_transient(
    fake: FakeSpacetime, runtimes: Runtimes, text: str
) -> None:
    failures_left = [3]

    def flaky(args: ApplyEventArgs) -> Answer | None:
        if args.seq == 2 and failures_left[0] > 0:
            failures_left[0] -= 1
            return (530, text)
        return None

    fake.override = flaky
    service = runtimes.start(ingest_target(fake))
    for tokens in range(3):
        run_step(service, tokens)
    assert service.wait_until_delivered(WAIT_S)
    assert _seqs(fake, RUN_STREAM) == [1, 2, 2, 2, 2, 3]
    stream = service.status().stream(RUN_STREAM)
    assert (stream.dead_letter, stream.delivered_head, stream.last_error) == (None, 3, "")
    assert fake.snapshot() == projection_of(service, [RUN])


def test_B3_arguments_a_module_refuses_are_dead_lettered_with_the_status(
    fake: FakeSpacetime, runtimes: Runtimes
) -> None:
    """The reference's arguments sent to `ingest`: SpacetimeDB refuses the request (400)."""
    target = ingest_target(fake)
    service = runtimes.start(Target(target.stdb_url, DATABASE, target.token, reducer=INGEST))
    note(service, NOTE, "a")
    assert service.wait_until_delivered(WAIT_S)
    letter = service.status().stream(NOTE_STREAM).dead_letter
    assert letter is not None and letter.reason.startswith("http 400: invalid arguments")


TRANSIENT = [
    pytest.param((503, "Service Unavailable"), id="503"),
    pytest.param((500, ""), id="500"),
    pytest.param((530, "The instance encountered a fatal error."), id="530-other-text"),
    pytest.param((530, "sequence_conflicted"), id="530-not-the-word"),
    pytest.param((429, "slow down"), id="429"),
]


@pytest.mark.parametrize("failure", TRANSIENT)
def test_B3_transient_error_is_retried_then_delivered_once_recovered(
    fake: FakeSpacetime, runtimes: Runtimes, failure: Answer
) -> None:
    failures_left = [3]

    def flaky(args: ApplyEventArgs) -> Answer | None:
        if args.seq == 2 and failures_left[0] > 0:
            failures_left[0] -= 1
            return failure
        return None

    fake.override = flaky
    service = runtimes.start(fake.target)
    for tokens in range(3):
        run_step(service, tokens)
    assert service.wait_until_delivered(WAIT_S)
    assert _seqs(fake, RUN_STREAM) == [1, 2, 2, 2, 2, 3]
    stream = service.status().stream(RUN_STREAM)
    assert (stream.dead_letter, stream.delivered_head, stream.last_error) == (None, 3, "")
    assert fake.snapshot() == projection_of(service, [RUN])


def test_B3_transient_failure_is_reported_while_retrying_and_event_stays_in_outbox(
    fake: FakeSpacetime, runtimes: Runtimes
) -> None:
    fake.override = lambda _args: (503, "down for maintenance")
    service = runtimes.start(fake.target)
    note(service, NOTE, "a")
    wait_for(lambda: len(fake.calls_for(NOTE_STREAM)) >= 3)
    stream = service.status().stream(NOTE_STREAM)
    assert stream.consecutive_failures >= 2
    assert "503" in stream.last_error
    assert (stream.paused, stream.dead_letter, stream.outbox_depth) == (False, None, 1)
    assert not service.wait_until_delivered(0.05)
    fake.override = None
    assert service.wait_until_delivered(WAIT_S)
    assert service.status().stream(NOTE_STREAM).outbox_depth == 0


def test_B3_connection_refused_is_transient(fake: FakeSpacetime, runtimes: Runtimes) -> None:
    fake.down()
    service = runtimes.start(fake.target)
    note(service, NOTE, "a")
    wait_for(lambda: service.status().stream(NOTE_STREAM).consecutive_failures >= 3)
    assert "no answer" in service.status().stream(NOTE_STREAM).last_error
    fake.up()
    assert service.wait_until_delivered(WAIT_S)
    assert fake.snapshot() == projection_of(service, [NOTE])


def test_B4_failing_stream_does_not_delay_another(
    fake: FakeSpacetime, runtimes: Runtimes
) -> None:
    fake.override = lambda args: (503, "") if args.stream_id == RUN_STREAM else None
    service = runtimes.start(fake.target)
    run_step(service, 1)
    for index in range(5):
        note(service, NOTE, str(index))
    wait_for(lambda: service.status().stream(NOTE_STREAM).delivered_head == 5)
    assert service.status().stream(RUN_STREAM).delivered_head == 0


def test_B4_stalled_stream_does_not_delay_another(
    fake: FakeSpacetime, runtimes: Runtimes
) -> None:
    release = threading.Event()

    def stall(args: ApplyEventArgs) -> Answer | None:
        if args.stream_id == RUN_STREAM:
            release.wait(WAIT_S)
        return None

    fake.override = stall
    service = runtimes.start(fake.target)
    run_step(service, 1)
    wait_for(lambda: service.status().stream(RUN_STREAM).in_flight)
    for index in range(5):
        note(service, NOTE, str(index))
    try:
        wait_for(lambda: service.status().stream(NOTE_STREAM).delivered_head == 5)
    finally:
        release.set()
    assert service.wait_until_delivered(WAIT_S)
    assert fake.snapshot() == projection_of(service, [RUN, NOTE])


def test_B4_paused_or_dead_lettered_stream_does_not_delay_another(
    fake: FakeSpacetime, runtimes: Runtimes
) -> None:
    refusal = (530, "idempotency_conflict")
    fake.override = lambda args: refusal if args.stream_id == RUN_STREAM else None
    service = runtimes.start(fake.target)
    service.control(FaultCommand(WORKER_STREAM, pause=True))
    run_step(service, 1)
    service.append(WORKER, "worker.heartbeat", "{}")
    for index in range(3):
        note(service, NOTE, str(index))
    assert service.wait_until_delivered(WAIT_S)
    status = service.status()
    assert status.stream(NOTE_STREAM).delivered_head == 3
    assert status.stream(WORKER_STREAM).paused
    assert status.stream(RUN_STREAM).paused
    assert _seqs(fake, WORKER_STREAM) == []


def test_pause_all_holds_every_stream_until_resumed(
    fake: FakeSpacetime, runtimes: Runtimes
) -> None:
    service = runtimes.start(fake.target)
    service.control(FaultCommand(pause=True))
    note(service, NOTE, "a")
    run_step(service, 1)
    assert service.wait_until_delivered(WAIT_S)  # quiescent: every stream is held
    assert fake.calls == []
    status = service.status()
    assert status.paused_all
    assert all(stream.paused for stream in status.streams)
    # Resuming one stream does not lift the pause of all.
    service.control(FaultCommand(NOTE_STREAM, resume=True))
    time.sleep(0.05)
    assert fake.calls == []
    service.control(FaultCommand(resume=True))
    assert service.wait_until_delivered(WAIT_S)
    assert fake.snapshot() == projection_of(service, [RUN, NOTE])


def test_B6_append_succeeds_while_spacetimedb_is_down(
    fake: FakeSpacetime, runtimes: Runtimes
) -> None:
    fake.down()
    service = runtimes.start(fake.target)
    started = time.monotonic()
    events = [note(service, NOTE, str(index)) for index in range(5)]
    assert time.monotonic() - started < 1.0
    assert [event.seq for event in events] == [1, 2, 3, 4, 5]
    assert service.status().stream(NOTE_STREAM).outbox_depth == 5
    fake.up()
    assert service.wait_until_delivered(WAIT_S)
    assert fake.snapshot() == projection_of(service, [NOTE])


def test_B6_append_does_not_wait_for_a_stalled_module(
    fake: FakeSpacetime, runtimes: Runtimes
) -> None:
    release = threading.Event()

    def stall(_args: ApplyEventArgs) -> Answer | None:
        release.wait(WAIT_S)
        return None

    fake.override = stall
    service = runtimes.start(fake.target)
    note(service, NOTE, "a")
    wait_for(lambda: service.status().stream(NOTE_STREAM).in_flight)
    try:
        started = time.monotonic()
        assert note(service, NOTE, "b").seq == 2
        assert run_step(service, 1).seq == 1
        assert time.monotonic() - started < 1.0
    finally:
        release.set()
    assert service.wait_until_delivered(WAIT_S)


def test_B6_journal_without_target_then_nothing_is_delivered(runtimes: Runtimes) -> None:
    service = runtimes.start()
    assert note(service, NOTE, "a").seq == 1
    stream = service.status().stream(NOTE_STREAM)
    assert (stream.outbox_depth, stream.delivered_head) == (1, 0)
    assert not service.wait_until_delivered(0.05)
