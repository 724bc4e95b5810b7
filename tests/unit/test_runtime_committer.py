"""Group commit of the publisher's progress (B5): heads are recorded late, never early."""

from __future__ import annotations

import dataclasses
import shutil
import threading
from pathlib import Path
from typing import Any

from harness.contract.streams import stream_of
from stub.runtime.committer import ProgressCommitter
from stub.runtime.progress import load_progress
from stub.runtime.service import RuntimeService
from tests.unit.test_runtime_support import (
    FAST,
    RUN,
    WAIT_S,
    FakeSpacetime,
    Runtimes,
    fake_fixture,  # noqa: F401 - a fixture
    projection_of,
    run_step,
    runtimes_fixture,  # noqa: F401 - a fixture
    wait_for,
)

RUN_STREAM = stream_of(RUN)
# Heads wait for a write that, in a test, only `now`, a full batch or a stop brings.
LAZY = dataclasses.replace(FAST, progress_interval_s=3600.0, progress_batch=10**6)


class _Recorder:
    def __init__(self) -> None:
        self.state: dict[str, Any] | None = {"n": 0}
        self.writes: list[dict[str, Any]] = []
        self.lock = threading.Lock()

    def snapshot(self) -> dict[str, Any] | None:
        with self.lock:
            return None if self.state is None else dict(self.state)

    def save(self, recorded: dict[str, Any]) -> None:
        with self.lock:
            self.writes.append(recorded)

    def last(self) -> dict[str, Any] | None:
        with self.lock:
            return self.writes[-1] if self.writes else None

    def set(self, n: int) -> None:
        with self.lock:
            assert self.state is not None
            self.state["n"] = n


def test_B5_committer_writes_batches_at_once_with_now_and_what_is_pending_on_close() -> None:
    recorder = _Recorder()
    committer = ProgressCommitter(recorder.snapshot, recorder.save, interval_s=3600.0, batch=2)
    recorder.set(1)
    committer.later()  # the first change after a quiet interval is written without delay
    wait_for(lambda: recorder.last() == {"n": 1})
    recorder.set(2)
    committer.later()
    recorder.set(3)
    committer.later()  # a full batch
    wait_for(lambda: recorder.last() == {"n": 3})
    recorder.set(4)
    committer.now()
    assert recorder.last() == {"n": 4}
    recorder.set(5)
    committer.later()
    committer.close(flush=True)
    assert recorder.last() == {"n": 5}
    # Every write recorded the state as it was then: never older than the one before.
    assert [write["n"] for write in recorder.writes] == sorted(w["n"] for w in recorder.writes)


def test_B5_committer_writes_nothing_once_halted() -> None:
    recorder = _Recorder()
    recorder.state = None  # what the publisher's snapshot gives after a halt
    committer = ProgressCommitter(recorder.snapshot, recorder.save, interval_s=0.0, batch=1)
    committer.later()
    committer.now()
    committer.close(flush=True)
    assert recorder.writes == []


def _recorded_head(data_dir: Path) -> int:
    [namespace] = data_dir.glob("ns-*")
    progress = load_progress(namespace)
    stream = progress.streams.get(RUN_STREAM)
    return 0 if stream is None else stream.delivered_head


def test_B5_kill_with_unrecorded_heads_resends_them_and_reaches_the_journals_projection(
    fake: FakeSpacetime, runtimes: Runtimes, tmp_path: Path
) -> None:
    """What a kill -9 leaves on disk is a copy of the data directory taken mid-run: the
    recorded head may lag behind the acknowledged one, never pass it. A runtime started on
    that copy sends the unrecorded events again, in order, and the module (treating them as
    duplicates) ends where the whole journal ends."""
    service = runtimes.start(fake.target, settings=LAZY)
    for tokens in range(4):
        run_step(service, tokens)
    wait_for(lambda: service.status().stream(RUN_STREAM).delivered_head == 4)
    killed = tmp_path / "killed"
    shutil.copytree(runtimes.data_dir, killed)
    recorded = _recorded_head(killed)
    assert recorded <= 4
    assert [call.args.seq for call in fake.calls_for(RUN_STREAM)] == [1, 2, 3, 4]
    service.stop()

    restarted = RuntimeService(killed, settings=FAST)
    restarted.start()
    try:
        assert restarted.wait_until_delivered(WAIT_S)
        resent = list(range(recorded + 1, 5))
        assert [call.args.seq for call in fake.calls_for(RUN_STREAM)] == [1, 2, 3, 4, *resent]
        assert fake.snapshot() == projection_of(restarted, [RUN])
        assert _recorded_head(killed) == 4  # recorded once quiescent
    finally:
        restarted.stop()


def test_B5_quiescence_and_stop_record_every_delivered_head(
    fake: FakeSpacetime, runtimes: Runtimes
) -> None:
    service = runtimes.start(fake.target, settings=LAZY)
    for tokens in range(3):
        run_step(service, tokens)
    assert service.wait_until_delivered(WAIT_S)
    assert _recorded_head(runtimes.data_dir) == 3
    run_step(service, 9)
    wait_for(lambda: service.status().stream(RUN_STREAM).delivered_head == 4)
    service.stop()
    assert _recorded_head(runtimes.data_dir) == 4
