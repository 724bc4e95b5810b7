"""One place that connects to Docker and turns "no engine" into a clear harness error."""

from __future__ import annotations

import docker
from docker.errors import DockerException

from harness.errors import DockerUnavailable


def docker_client() -> docker.DockerClient:
    """A client for the local engine, checked with a ping so failures surface here."""
    try:
        client = docker.from_env(timeout=120)
        client.ping()
    except DockerException as exc:
        raise DockerUnavailable(
            f"cannot reach a Docker engine: {exc}",
            "start dockerd (or set DOCKER_HOST) and run the command again",
        ) from exc
    return client
