"""The harness's containers: SpacetimeDB, the stub runtime and the stub control service.

All three are the same shape: one image, one port, a DNS alias on the harness's
private network, a readiness path to poll over HTTP, and the crash verbs the
properties need (kill -9, start again on the same data). Built on testcontainers'
DockerContainer for start and removal, and on its HttpWaitStrategy for readiness (given
with `waiting_for`, so `start()` returns a serving container). Ryuk is disabled for the
harness's own containers only (its image cannot be pulled here; labels plus cleanup.py take
its place), while each is started: the user's own testcontainers in the same run keep
testcontainers' configuration as they set it. kill/restart act on the
wrapped Docker container, because testcontainers has no such verbs, and a restart runs the
same strategy again itself, because testcontainers waits only inside `start()`.
"""

from __future__ import annotations

import math
import random
import socket
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from docker.errors import APIError
from testcontainers.core.config import testcontainers_config
from testcontainers.core.container import DockerContainer
from testcontainers.core.network import Network
from testcontainers.core.wait_strategies import HttpWaitStrategy

from harness.env.labels import labels_for
from harness.errors import EnvironmentFailed


@contextmanager
def ryuk_disabled() -> Iterator[None]:
    """testcontainers without Ryuk inside the block, as configured before it afterwards.

    testcontainers reads its configuration once, into `testcontainers_config` (from the
    environment and ~/.testcontainers.properties), and consults `ryuk_disabled` in
    `DockerContainer.start()` alone; so that is where the harness sets it, and puts back
    whatever the user had."""
    before = testcontainers_config.ryuk_disabled
    testcontainers_config.ryuk_disabled = True
    try:
        yield
    finally:
        testcontainers_config.ryuk_disabled = before

READY_TIMEOUT_S = 60.0
# How often readiness is polled (testcontainers' default is 1 s; a server is ready in ~1 s).
READY_POLL_S = 0.1


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


EPHEMERAL_RANGE_FILE = Path("/proc/sys/net/ipv4/ip_local_port_range")
# Ports below this are left alone: the well-known and commonly configured ones.
LOWEST_PORT = 10_000


def ephemeral_range() -> tuple[int, int]:
    """The kernel's range for the local ports of outgoing connections (Linux's default
    where it cannot be read)."""
    try:
        low, high = (int(part) for part in EPHEMERAL_RANGE_FILE.read_text().split())
    except (OSError, ValueError):
        return 32768, 60999
    return low, high


def free_port() -> int:
    """A host port that is free now, outside the kernel's ephemeral range; bound
    explicitly so a restart keeps the same URL.

    Outside the range, because a port the kernel hands out to outgoing connections (the
    harness makes thousands: reducer calls, WebSockets, Docker's API) can be taken by one
    of them between this check and the service binding it, or by Docker's own allocator
    for a container's published port; below the range nobody but a listener asks for it,
    and two listeners are told apart by the bind itself."""
    low, high = ephemeral_range()
    band = (LOWEST_PORT, low - 1) if low - 1 - LOWEST_PORT >= 1000 else (high + 1, 65535)
    chooser = random.Random()
    for _ in range(200):
        port = chooser.randint(*band)
        if port_is_free(port) and _loopback_is_free(port):
            return port
    raise EnvironmentFailed(f"no free port between {band[0]} and {band[1]}",
                            "free some ports, or narrow the kernel's ephemeral range")


def _loopback_is_free(port: int) -> bool:
    """Whether a service binding loopback only could take the port too."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def readiness(port: int, path: str, timeout_s: float = READY_TIMEOUT_S) -> HttpWaitStrategy:
    """Ready means `GET path` on `port` answers 200. A port wait is not enough: the port
    opens before the server can serve."""
    return (HttpWaitStrategy(port, path)
            .with_startup_timeout(math.ceil(timeout_s))
            .with_poll_interval(READY_POLL_S))


def _not_ready(url: str, timeout_s: float, exc: TimeoutError) -> EnvironmentFailed:
    """A strategy's TimeoutError (no 200 in time, or a container that is not running) as
    the harness's error; the strategy's first sentence says which."""
    reason = str(exc).split(". ", maxsplit=1)[0]
    return EnvironmentFailed(f"{url} was not ready after {timeout_s:.0f}s ({reason})",
                             "see the container log (`docker logs`)")


@dataclass(frozen=True)
class _Address:
    """A server given by URL, as a wait strategy's target: HttpWaitStrategy asks its target
    only for the host and the port (the rest of the protocol concerns containers)."""

    host: str
    port: int

    def get_container_host_ip(self) -> str:
        return f"[{self.host}]" if ":" in self.host else self.host

    def get_exposed_port(self, port: int) -> int:
        return self.port

    def get_wrapped_container(self) -> Any:
        return None

    def get_logs(self) -> tuple[bytes, bytes]:
        return b"", b""

    def reload(self) -> None:
        return None

    @property
    def status(self) -> str:
        return "running"


def wait_until_ready(url: str, timeout_s: float = READY_TIMEOUT_S) -> float:
    """Wait until `url` (a server the harness did not start) answers 200; how long it took."""
    parts = urlsplit(url)
    if parts.hostname is None:
        raise EnvironmentFailed(f"{url} names no host", "pass a URL like http://host:3000")
    default_port = 443 if parts.scheme == "https" else 80
    strategy = readiness(parts.port or default_port, parts.path or "/", timeout_s)
    if parts.scheme == "https":
        strategy.using_tls()
    started = time.monotonic()
    try:
        strategy.wait_until_ready(_Address(parts.hostname, parts.port or default_port))
    except TimeoutError as exc:
        raise _not_ready(url, timeout_s, exc) from exc
    return time.monotonic() - started


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
        self.ready_timeout_s = READY_TIMEOUT_S
        self._readiness = readiness(spec.port, spec.ready_path, self.ready_timeout_s)
        self._container.waiting_for(self._readiness)
        self._host = ""
        if network is not None:
            self._container.with_network(network).with_network_aliases(spec.alias)
        self.ready_seconds = 0.0

    def start(self) -> ServiceContainer:
        """Start the container; testcontainers returns once its readiness path answers
        (`ready_seconds`: from creating the container to its first 200)."""
        started = time.monotonic()
        try:
            with ryuk_disabled(), self._not_ready_names_the_service():
                self._container.start()
        except APIError as exc:
            raise EnvironmentFailed(f"could not start {self.spec.role}: {exc.explanation}",
                                    "run `stdb-harness env down`, then try again") from exc
        self._host = self._container.get_container_host_ip()
        self.ready_seconds = time.monotonic() - started
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
        started = time.monotonic()
        with self._not_ready_names_the_service():
            self._readiness.wait_until_ready(self._container)
        return time.monotonic() - started

    def start_if_stopped(self) -> bool:
        """Start the container if its process has exited; whether it had to."""
        wrapped = self._container.get_wrapped_container()
        wrapped.reload()
        if wrapped.status == "running":
            return False
        wrapped.start()
        return True

    def exited(self) -> bool:
        """Whether the service's process has ended (by itself, or killed and not started)."""
        wrapped = self._container.get_wrapped_container()
        wrapped.reload()
        return bool(wrapped.status != "running")

    def logs(self) -> str:
        """Everything the service printed, for failure reports."""
        out, err = self._container.get_logs()
        return (out + err).decode("utf-8", errors="replace")

    def remove(self) -> None:
        self._container.stop()

    @contextmanager
    def _not_ready_names_the_service(self) -> Iterator[None]:
        """The strategy's TimeoutError as EnvironmentFailed naming the role, with the tail of
        the container's log (the container exists: the strategy runs after docker start)."""
        try:
            yield
        except TimeoutError as exc:
            if not self._host:  # the first start: no host while the container is not running
                self._host = self._container.get_container_host_ip()
            where = (self.url + self.spec.ready_path if self._host
                     else f"{self.spec.ready_path} on host port {self.host_port}")
            failed = _not_ready(where, self.ready_timeout_s, exc)
            raise EnvironmentFailed(f"{self.spec.role} did not become ready: {failed.message}\n"
                                    f"--- container log (tail) ---\n{self.logs()[-3000:]}",
                                    failed.hint) from exc
