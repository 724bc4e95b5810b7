"""A sweep removes a container Docker lists while its creation is still under way.

Docker answers 404 to remove (and inspect) for such a container until the create finishes;
a signal that lands mid-create once left one behind in CI. The Docker API is replaced by
a recording double here because the race cannot be timed on a real daemon.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

import docker
import pytest
from docker.errors import NotFound

from harness.env import cleanup
from harness.env.cleanup import sweep, this_process


@dataclass
class _DaemonWithACreateUnderWay:
    """Lists one container whose removal answers 404 `still_creating` times, then works."""

    still_creating: int
    removed: list[str] = field(default_factory=list)
    attempts: int = 0

    def containers(self, all: bool, filters: dict[str, list[str]]) -> list[dict[str, Any]]:
        assert all
        return [] if self.removed else [{"Id": "c0ffee" * 10, "Names": ["/being-created"]}]

    def remove_container(self, container_id: str, force: bool, v: bool) -> None:
        self.attempts += 1
        if self.attempts <= self.still_creating:
            raise NotFound("No such container")
        self.removed.append(container_id)


@dataclass
class _NoneListed:
    def list(self, filters: dict[str, list[str]]) -> list[Any]:
        return []


@dataclass
class _Client:
    api: _DaemonWithACreateUnderWay
    networks: _NoneListed = field(default_factory=_NoneListed)
    volumes: _NoneListed = field(default_factory=_NoneListed)


def test_a_container_still_being_created_is_waited_for_and_removed() -> None:
    daemon = _DaemonWithACreateUnderWay(still_creating=3)
    result = sweep(cast(docker.DockerClient, _Client(daemon)), this_process())
    assert daemon.removed == ["c0ffee" * 10]
    assert result.containers == ["being-created"]
    assert daemon.attempts == 4


def test_a_container_that_never_becomes_removable_ends_the_sweep_in_time(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cleanup, "CREATION_PATIENCE_S", 0.5)
    daemon = _DaemonWithACreateUnderWay(still_creating=10_000)
    result = sweep(cast(docker.DockerClient, _Client(daemon)), this_process())
    assert result.containers == []
    assert 1 < daemon.attempts < 10
