"""Remove what the harness started: on normal exit, on Ctrl-C, on SIGTERM, on demand.

With Ryuk disabled nothing else will. A sweep selects by label (see labels.py) and
removes containers first (with their anonymous volumes), then networks, then
labelled volumes, because a network cannot be removed while a container uses it.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import sys
import time
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

import docker
from docker.errors import APIError, NotFound

from harness.env.labels import HARNESS_LABEL, PROCESS_ID, PROCESS_LABEL


@dataclass
class SweepResult:
    """What a sweep removed, so `env down` can say it and tests can assert it."""

    containers: list[str] = field(default_factory=list)
    networks: list[str] = field(default_factory=list)
    volumes: list[str] = field(default_factory=list)

    def total(self) -> int:
        return len(self.containers) + len(self.networks) + len(self.volumes)


# How long a sweep waits for a container that is listed but cannot be removed yet: Docker
# lists a container while its creation is still under way (inspect and remove answer 404
# until it finishes), so a signal that lands mid-create would otherwise leave it behind.
CREATION_PATIENCE_S = 15.0


def sweep(client: docker.DockerClient, selector: str = HARNESS_LABEL) -> SweepResult:
    """Remove every container, network and volume matching the label `selector`: by
    default all the harness made; `this_process()` for a pytest-xdist worker's own, whose
    siblings share the run id; a run's label for a test that started that run."""
    filters = {"label": [selector]}
    result = SweepResult()
    _remove_containers(client, filters, result)
    for network in client.networks.list(filters=filters):
        try:
            network.remove()
            result.networks.append(network.name)
        except (NotFound, APIError):
            pass
    for volume in client.volumes.list(filters=filters):
        try:
            volume.remove(force=True)
            result.volumes.append(volume.name)
        except (NotFound, APIError):
            pass
    return result


def this_process() -> str:
    """The label selector of what this process started."""
    return f"{PROCESS_LABEL}={PROCESS_ID}"


def _remove_containers(client: docker.DockerClient, filters: dict[str, list[str]],
                       result: SweepResult) -> None:
    """Remove until nothing matching is listed, so one still being created is waited for.

    The plain listing (not `containers.list`, which inspects each one and fails on a
    container that vanishes or is still being created) is what makes this safe to run
    while another process creates or removes containers.
    """
    deadline = time.monotonic() + CREATION_PATIENCE_S
    while True:
        listed = client.api.containers(all=True, filters=filters)
        for entry in listed:
            try:
                client.api.remove_container(entry["Id"], force=True, v=True)
                result.containers.append(_container_name(entry))
            except APIError:
                pass  # gone meanwhile, still being created, or its removal under way
        if not listed or time.monotonic() > deadline:
            return
        time.sleep(0.2)


def _container_name(entry: dict[str, Any]) -> str:
    names: list[str] = entry.get("Names") or [entry["Id"][:12]]
    return names[0].lstrip("/")


_installed = False
# Process groups of services started from a user's command (harness.env.processes): a signal
# handler is process-wide by nature, so what it must end is too.
_processes: set[int] = set()


def remember_process(pid: int) -> None:
    _processes.add(pid)


def forget_process(pid: int) -> None:
    _processes.discard(pid)


def _end_processes() -> None:
    for pid in list(_processes):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
        _processes.discard(pid)


def install_cleanup(client: docker.DockerClient) -> None:
    """Sweep this run's resources at exit and on SIGINT/SIGTERM (idempotent).

    A signal handler sweeps, then ends the process at once (status 130/143), so a Ctrl-C
    during a long test run leaves no container behind and starts none afterwards.
    """
    global _installed  # noqa: PLW0603 - one process-wide registration is the point
    if _installed:
        return
    _installed = True
    atexit.register(_sweep_quietly, client)

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        _sweep_quietly(client)
        print(f"[stdb-harness] interrupted (signal {signum}); removed this run's containers",
              file=sys.stderr, flush=True)
        sys.stdout.flush()
        # Not sys.exit: pytest records a SystemExit raised inside a test or fixture as an
        # error and goes on to the next test, which would start containers again.
        os._exit(128 + signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)


def _sweep_quietly(client: docker.DockerClient) -> None:
    _end_processes()
    try:
        sweep(client, this_process())
    except Exception as exc:  # cleanup must not mask the real exit reason
        print(f"[stdb-harness] cleanup failed: {exc}; run `stdb-harness env down`",
              file=sys.stderr)
