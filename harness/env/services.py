"""The harness's containers: SpacetimeDB, the stub runtime and the stub control service.

All three are the same shape: one image, one port, a DNS alias on the harness's
private network, a readiness path to poll over HTTP, and the crash verbs the
properties need (kill -9, start again on the same data). Built on testcontainers'
DockerContainer for start and removal; Ryuk is disabled (its image cannot be pulled
here) and labels plus cleanup.py take its place. kill/restart act on the wrapped
Docker container, because testcontainers has no such verbs.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass

import requests
from docker.errors import APIError
from testcontainers.core.config import testcontainers_config
from testcontainers.core.container import DockerContainer
from testcontainers.core.network import Network

from harness.env.labels import labels_for
from harness.errors import EnvironmentFailed

testcontainers_config.ryuk_disabled = True

READY_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class ServiceSpec:
    """What differs between the services: role label, port, alias, readiness, command."""

    role: str
    port: int
    alias: str
    ready_path: str
    command: Sequence[str] = ()


SPACETIMEDB = ServiceSpec("spacetimedb", 3000, "spacetimedb", "/v1/ping")
RUNTIME = ServiceSpec("runtime", 8080, "runtime", "/healthz",
                      ("-m", "stub.runtime", "--host", "0.0.0.0", "--port", "8080",
                       "--data-dir", "/data"))
CONTROL = ServiceSpec("control", 8081, "control", "/healthz",
                      ("-m", "stub.control", "--host", "0.0.0.0", "--port", "8081"))


def port_is_free(port: int) -> bool:
    """Whether the host port can be bound; checked first so the error names the port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("0.0.0.0", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    """A host port that is free now; bound explicitly so a restart keeps the same URL."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("0.0.0.0", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_until_ready(url: str, timeout_s: float = READY_TIMEOUT_S) -> float:
    """Poll `url` until it answers 200; return how long that took.

    A port wait is not enough: the port opens before the server can serve.
    """
    started = time.monotonic()
    last_error = "no answer"
    while time.monotonic() - started < timeout_s:
        try:
            status = requests.get(url, timeout=2).status_code
            if status == 200:
                return time.monotonic() - started
            last_error = f"HTTP {status}"
        except requests.RequestException as exc:
            last_error = type(exc).__name__
        time.sleep(0.1)
    raise EnvironmentFailed(f"{url} was not ready after {timeout_s:.0f}s ({last_error})",
                            "see the container log (`docker logs`)")


class ServiceContainer:
    """One running service container, its URLs, and crash/restart controls."""

    def __init__(self, spec: ServiceSpec, image: str, network: Network | None = None,
                 host_port: int | None = None, *, env: dict[str, str] | None = None,
                 extra_hosts: dict[str, str] | None = None) -> None:
        if host_port is not None and not port_is_free(host_port):
            raise EnvironmentFailed(f"host port {host_port} is already in use",
                                    "pick another --port or stop what listens there")
        self.spec = spec
        self._container = DockerContainer(image).with_kwargs(labels=labels_for(spec.role),
                                                             extra_hosts=extra_hosts or {})
        if spec.command:
            self._container.with_command(list(spec.command))
        for key, value in (env or {}).items():
            self._container.with_env(key, value)
        self.host_port = host_port or free_port()
        self._container.with_bind_ports(spec.port, self.host_port)
        self._host = ""
        if network is not None:
            self._container.with_network(network).with_network_aliases(spec.alias)
        self.ready_seconds = 0.0

    def start(self) -> ServiceContainer:
        """Start the container and wait until its readiness path answers."""
        try:
            self._container.start()
        except APIError as exc:
            raise EnvironmentFailed(f"could not start {self.spec.role}: {exc.explanation}",
                                    "run `stdb-harness env down`, then try again") from exc
        self._host = self._container.get_container_host_ip()
        self.ready_seconds = self._wait_ready()
        return self

    @property
    def url(self) -> str:
        """The host-side base URL. The host port is fixed, so it holds across a restart,
        and it is known while the container is down (a crashed service is restarted by
        whoever notices, and needs its URL to notice)."""
        return f"http://{self._host}:{self.host_port}"

    @property
    def internal_url(self) -> str:
        """The URL other containers on the harness network use."""
        return f"http://{self.spec.alias}:{self.spec.port}"

    @property
    def container_id(self) -> str:
        return self._container.get_wrapped_container().id or ""

    def kill9(self) -> None:
        """SIGKILL the service: no shutdown hook runs, as in a real crash."""
        wrapped = self._container.get_wrapped_container()
        wrapped.kill(signal="SIGKILL")
        wrapped.wait(timeout=30)

    def restart(self) -> float:
        """Start the same container again (same writable layer, so same data).

        Also the way back after the service's process exited by itself (a crash fault)."""
        wrapped = self._container.get_wrapped_container()
        wrapped.reload()
        if wrapped.status != "running":
            wrapped.start()
        return self._wait_ready()

    def start_if_stopped(self) -> bool:
        """Start the container if its process has exited; whether it had to."""
        wrapped = self._container.get_wrapped_container()
        wrapped.reload()
        if wrapped.status == "running":
            return False
        wrapped.start()
        return True

    def logs(self) -> str:
        """Everything the service printed, for failure reports."""
        out, err = self._container.get_logs()
        return (out + err).decode("utf-8", errors="replace")

    def remove(self) -> None:
        self._container.stop()

    def _wait_ready(self) -> float:
        try:
            return wait_until_ready(self.url + self.spec.ready_path)
        except EnvironmentFailed as exc:
            raise EnvironmentFailed(f"{self.spec.role} did not become ready: {exc.message}\n"
                                    f"--- container log (tail) ---\n{self.logs()[-3000:]}",
                                    exc.hint) from exc
