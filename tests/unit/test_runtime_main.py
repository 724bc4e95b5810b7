"""`python -m stub.runtime` as the container runs it: a real process, crashed and restarted."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

from harness.contract.events import Event
from harness.model.project import project
from stub.proto import runtime_pb2 as pb
from stub.runtime.__main__ import parse_args
from stub.runtime.service import CRASH_EXIT_STATUS
from tests.unit.test_runtime_support import (
    DATABASE,
    PUBLISHER_TOKEN,
    RUN,
    WAIT_S,
    FakeSpacetime,
    fake_fixture,  # noqa: F401 - a fixture
)

ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def _runtime(data_dir: Path, log: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """The runtime as a child process on a free port; killed if still running at the end."""
    argv = [sys.executable, "-m", "stub.runtime", "--port", "0", "--data-dir", str(data_dir),
            "--backoff-initial-ms", "2", "--backoff-max-ms", "20"]  # fmt: skip
    with log.open("ab") as stderr:
        start = stderr.tell()
        process = subprocess.Popen(argv, cwd=ROOT, stderr=stderr)
    try:
        deadline = time.monotonic() + WAIT_S
        while (found := re.search(r"listening on (http://\S+)", _since(log, start))) is None:
            assert process.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.01)
        yield process, found.group(1)
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()


def _since(log: Path, offset: int) -> str:
    return log.read_bytes()[offset:].decode("utf-8", errors="replace")


def _post(url: str, message: pb.FaultRequest | pb.TargetRequest | pb.AppendRequest) -> bytes:
    response = requests.post(
        url,
        data=message.SerializeToString(),
        headers={"Content-Type": "application/x-protobuf"},
        timeout=5,
    )
    assert response.status_code == 200, response.text
    return response.content


def _journal(base_url: str) -> list[Event]:
    page = requests.get(f"{base_url}/v1/journal", params={"topic": RUN}, timeout=5).json()
    return [
        Event(e["topic"], e["seq"], e["kind"], json.loads(e["payload_json"]), e["published_at_ms"])
        for e in page["events"]
    ]


def test_B5_service_exits_70_at_crash_after_commit_and_recovers_on_restart(
    tmp_path: Path, fake: FakeSpacetime
) -> None:
    data_dir, log = tmp_path / "data", tmp_path / "runtime.log"
    with _runtime(data_dir, log) as (process, url):
        _post(f"{url}/v1/target", pb.TargetRequest(
            stdb_url=fake.url, database=DATABASE, token=PUBLISHER_TOKEN))  # fmt: skip
        _post(f"{url}/v1/faults", pb.FaultRequest(pause=True))
        _post(f"{url}/v1/events", pb.AppendRequest(
            topic=RUN, kind="run.created", payload_json='{"owner":"ada"}'))  # fmt: skip
        _post(f"{url}/v1/events", pb.AppendRequest(
            topic=RUN, kind="run.step", payload_json='{"tokens":3}'))  # fmt: skip
        _post(f"{url}/v1/faults", pb.FaultRequest(crash_after_commit_next=1))
        _post(f"{url}/v1/faults", pb.FaultRequest(resume=True))
        assert process.wait(timeout=WAIT_S) == CRASH_EXIT_STATUS
    assert [call.args.seq for call in fake.calls] == [1]
    with _runtime(data_dir, log) as (process, url):
        waited = requests.post(f"{url}/v1/wait", params={"timeout_s": "10"}, timeout=15).json()
        assert waited["quiescent"] is True
        assert fake.snapshot() == project(_journal(url))
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=WAIT_S) == 128 + signal.SIGTERM
    assert [call.args.seq for call in fake.calls] == [1, 1, 2]
    assert "injected crash: crash_after_commit" in log.read_text()


def test_flags_and_defaults(tmp_path: Path) -> None:
    args = parse_args(["--data-dir", str(tmp_path)])
    assert (args.host, args.port, args.data_dir) == ("127.0.0.1", 8080, tmp_path)
    assert (args.backoff_initial_ms, args.backoff_max_ms, args.call_timeout_s) == (50, 2000, 10.0)
