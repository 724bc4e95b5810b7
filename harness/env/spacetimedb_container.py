"""A SpacetimeDB standalone server in a container, reachable over HTTP from the host.

Built on testcontainers' DockerContainer for start, readiness and removal. Ryuk is
disabled (its image cannot be pulled here); labels and cleanup.py take its place.
The crash operations the properties need (kill -9, start again on the same data)
act on the wrapped Docker container, because testcontainers has no such verbs.
"""

from __future__ import annotations

import socket
import time

import requests
from docker.errors import APIError
from testcontainers.core.config import testcontainers_config
from testcontainers.core.container import DockerContainer
from testcontainers.core.network import Network

from harness.env.labels import labels_for
from harness.errors import EnvironmentFailed

testcontainers_config.ryuk_disabled = True

SERVER_PORT = 3000
NETWORK_ALIAS = "spacetimedb"
READY_TIMEOUT_S = 60.0


def port_is_free(port: int) -> bool:
    """Whether the host port can be bound; checked first so the error names the port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("0.0.0.0", port))
        except OSError:
            return False
    return True


def wait_for_ping(url: str, timeout_s: float = READY_TIMEOUT_S) -> float:
    """Poll GET /v1/ping until it answers 200; return how long that took.

    A port wait is not enough: the port opens before the server can serve.
    """
    started = time.monotonic()
    last_error = "no answer"
    while time.monotonic() - started < timeout_s:
        try:
            if requests.get(f"{url}/v1/ping", timeout=2).status_code == 200:
                return time.monotonic() - started
            last_error = "non-200 answer"
        except requests.RequestException as exc:
            last_error = type(exc).__name__
        time.sleep(0.1)
    raise EnvironmentFailed(f"SpacetimeDB at {url} was not ready after {timeout_s:.0f}s "
                            f"({last_error})", "see the container log with `docker logs`")


class SpacetimeServer:
    """One SpacetimeDB container, its URL, and crash/restart controls."""

    def __init__(self, image: str, network: Network | None = None,
                 host_port: int | None = None) -> None:
        if host_port is not None and not port_is_free(host_port):
            raise EnvironmentFailed(f"host port {host_port} is already in use",
                                    "pick another --port or stop what listens there")
        self._container = DockerContainer(image).with_kwargs(labels=labels_for("spacetimedb"))
        if host_port is None:
            self._container.with_exposed_ports(SERVER_PORT)
        else:
            self._container.with_bind_ports(SERVER_PORT, host_port)
        if network is not None:
            self._container.with_network(network).with_network_aliases(NETWORK_ALIAS)
        self.ready_seconds = 0.0

    def start(self) -> SpacetimeServer:
        """Start the container and wait until it serves /v1/ping."""
        try:
            self._container.start()
        except APIError as exc:
            raise EnvironmentFailed(f"could not start SpacetimeDB: {exc.explanation}",
                                    "run `stdb-harness env down`, then try again") from exc
        self.ready_seconds = wait_for_ping(self.url)
        return self

    @property
    def url(self) -> str:
        """The host-side base URL; re-read each time because a restart changes the port."""
        host = self._container.get_container_host_ip()
        return f"http://{host}:{self._container.get_exposed_port(SERVER_PORT)}"

    @property
    def internal_url(self) -> str:
        """The URL other containers on the harness network use."""
        return f"http://{NETWORK_ALIAS}:{SERVER_PORT}"

    @property
    def container_id(self) -> str:
        return self._container.get_wrapped_container().id or ""

    def kill9(self) -> None:
        """SIGKILL the server: no shutdown hook runs, as in a real crash."""
        self._container.get_wrapped_container().kill(signal="SIGKILL")
        self._container.get_wrapped_container().wait(timeout=30)

    def restart(self) -> float:
        """Start the same container again (same data dir) and wait until it is ready."""
        wrapped = self._container.get_wrapped_container()
        wrapped.start()
        wrapped.reload()
        return wait_for_ping(self.url)

    def logs(self) -> str:
        """Everything the server printed, for failure reports."""
        out, err = self._container.get_logs()
        return (out + err).decode("utf-8", errors="replace")

    def remove(self) -> None:
        self._container.stop()
