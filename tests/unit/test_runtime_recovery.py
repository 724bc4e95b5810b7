"""Crashes and restarts (B5), and the namespace reset of a new target."""

from __future__ import annotations

import pytest

from harness.contract.streams import stream_of
from stub.runtime.errors import CrashedError
from stub.runtime.faults import FaultCommand, FaultKind
from stub.runtime.service import RuntimeService
from stub.runtime.target import Target
from tests.unit.test_runtime_support import (
    NOTE,
    RUN,
    WAIT_S,
    FakeSpacetime,
    Runtimes,
    fake_fixture,  # noqa: F401 - a fixture
    note,
    projection_of,
    run_step,
    runtimes_fixture,  # noqa: F401 - a fixture
    wait_for,
)

RUN_STREAM = stream_of(RUN)


def _seqs(fake: FakeSpacetime) -> list[int]:
    return [call.args.seq for call in fake.calls_for(RUN_STREAM)]


def _armed(runtimes: Runtimes, fake: FakeSpacetime, kind: FaultKind, count: int) -> RuntimeService:
    """A runtime with three run events journaled and `count` crashes of `kind` armed."""
    service = runtimes.start(fake.target)
    service.control(FaultCommand(pause=True))
    service.append(RUN, "run.created", '{"owner":"ada"}')
    run_step(service, 5)
    service.append(RUN, "run.completed", '{"outcome":"failure"}')
    service.control(FaultCommand(RUN_STREAM, counters={kind: count}))
    service.control(FaultCommand(resume=True))
    return service


def test_B5_crash_after_commit_then_restart_reaches_the_journals_projection(
    fake: FakeSpacetime, runtimes: Runtimes
) -> None:
    service = _armed(runtimes, fake, "crash_after_commit", 1)
    wait_for(lambda: service.crashed)
    assert _seqs(fake) == [1]  # committed by the module, never recorded by the runtime
    with pytest.raises(CrashedError):
        note(service, NOTE, "after the crash")
    restarted = runtimes.restart(service)
    assert restarted.wait_until_delivered(WAIT_S)
    assert _seqs(fake) == [1, 1, 2, 3]  # seq 1 again: a duplicate, harmless (B1)
    assert fake.snapshot() == projection_of(restarted, [RUN])


def test_B5_crash_before_send_then_restart_reaches_the_journals_projection(
    fake: FakeSpacetime, runtimes: Runtimes
) -> None:
    service = _armed(runtimes, fake, "crash_before_send", 1)
    wait_for(lambda: service.crashed)
    assert _seqs(fake) == []
    restarted = runtimes.restart(service)
    assert restarted.wait_until_delivered(WAIT_S)
    assert _seqs(fake) == [1, 2, 3]
    assert fake.snapshot() == projection_of(restarted, [RUN])


@pytest.mark.parametrize("kind", ["crash_after_commit", "crash_before_send"])
def test_B5_each_armed_crash_happens_once_across_restarts(
    fake: FakeSpacetime, runtimes: Runtimes, kind: FaultKind
) -> None:
    service = _armed(runtimes, fake, kind, 2)
    for _ in range(2):
        wait_for(lambda: service.crashed)  # noqa: B023 - waited on before the next loop
        service = runtimes.restart(service)
    assert service.wait_until_delivered(WAIT_S)
    assert not service.crashed
    assert fake.snapshot() == projection_of(service, [RUN])
    assert not service.status().stream(RUN_STREAM).pending_faults.any_pending()


def test_B5_recorded_progress_is_not_resent_after_restart(
    fake: FakeSpacetime, runtimes: Runtimes
) -> None:
    service = runtimes.start(fake.target)
    for tokens in range(3):
        run_step(service, tokens)
    assert service.wait_until_delivered(WAIT_S)
    restarted = runtimes.restart(service)
    run_step(restarted, 9)
    assert restarted.wait_until_delivered(WAIT_S)
    assert _seqs(fake) == [1, 2, 3, 4]
    assert restarted.status().stream(RUN_STREAM).delivered_head == 4


def test_B5_restart_during_an_outage_keeps_the_outbox(
    fake: FakeSpacetime, runtimes: Runtimes
) -> None:
    fake.down()
    service = runtimes.start(fake.target)
    for tokens in range(3):
        run_step(service, tokens)
    restarted = runtimes.restart(service)
    assert restarted.status().stream(RUN_STREAM).outbox_depth == 3
    fake.up()
    assert restarted.wait_until_delivered(WAIT_S)
    assert fake.snapshot() == projection_of(restarted, [RUN])


def test_B5_pause_survives_restart(fake: FakeSpacetime, runtimes: Runtimes) -> None:
    service = runtimes.start(fake.target)
    service.control(FaultCommand(RUN_STREAM, pause=True))
    run_step(service, 1)
    restarted = runtimes.restart(service)
    assert restarted.status().stream(RUN_STREAM).paused
    assert restarted.wait_until_delivered(WAIT_S)
    assert fake.calls == []


def test_new_target_resets_journal_and_publisher_state(
    fake: FakeSpacetime, runtimes: Runtimes
) -> None:
    service = runtimes.start()
    note(service, NOTE, "old")
    service.control(FaultCommand(pause=True, counters={"duplicate": 4}))
    status = service.set_target(fake.target)
    assert (status.streams, status.paused_all, status.target) == ((), False, fake.target)
    assert not status.pending_faults.any_pending()
    assert service.read_journal(NOTE, 0, 10).events == []
    assert note(service, NOTE, "new").seq == 1
    assert service.wait_until_delivered(WAIT_S)
    assert [call.args.payload_json for call in fake.calls] == ['{"text":"new"}']
    # The reset is durable, and only one namespace is kept on disk.
    restarted = runtimes.restart(service)
    assert [e.payload for e in restarted.read_journal(NOTE, 0, 10).events] == [{"text": "new"}]
    assert [path.name for path in runtimes.data_dir.glob("ns-*")] == ["ns-2"]


def test_starting_with_the_recorded_target_resumes_another_target_resets(
    fake: FakeSpacetime, runtimes: Runtimes
) -> None:
    service = runtimes.start(fake.target)
    note(service, NOTE, "kept")
    service = runtimes.restart(service, fake.target)
    assert service.read_journal(NOTE, 0, 10).head_seq == 1
    elsewhere = Target(fake.url, "otherdb", "token")
    service = runtimes.restart(service, elsewhere)
    assert service.read_journal(NOTE, 0, 10).head_seq == 0
    assert service.status().target == elsewhere
