"""Nothing the harness starts outlives it, also when it is interrupted (Ctrl-C, SIGTERM).

A real `stdb-harness run` is started with a known run id, interrupted as soon as its
SpacetimeDB container exists, and every container and network carrying that run id must
be gone when the process has exited.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import docker
import pytest

from harness.env.cleanup import sweep
from harness.env.labels import RUN_LABEL


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupted_run_leaves_nothing_behind(signum: int, tmp_path: Path) -> None:
    run_id = f"cleanup-{uuid.uuid4().hex[:8]}"
    process = subprocess.Popen(
        [sys.executable, "-m", "harness.cli", "run", "--reports-dir", str(tmp_path)],
        env={**os.environ, "STDB_HARNESS_RUN_ID": run_id},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    client = docker.from_env()
    selector = {"label": f"{RUN_LABEL}={run_id}"}
    try:
        deadline = time.monotonic() + 120
        # The plain listing: `containers.list` inspects each container and fails on one
        # that Docker lists while it is still being created.
        while not client.api.containers(all=True, filters=selector):
            assert process.poll() is None, "the run ended before it started a container"
            assert time.monotonic() < deadline, "no container appeared"
            time.sleep(0.2)
        time.sleep(1.0)  # let it get into the suite
        process.send_signal(signum)
        code = process.wait(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
            sweep(client, selector["label"])  # it could not clean up after kill -9
    assert code != 0
    assert client.api.containers(all=True, filters=selector) == []
    assert client.networks.list(filters=selector) == []

