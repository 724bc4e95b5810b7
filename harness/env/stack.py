"""The environment a run needs, started and torn down as one unit.

A stack is either containers the harness starts itself (a private network and a
SpacetimeDB server built here, or from `--stdb-image`), or an already running
server given by `--stdb-url`, in which case there is nothing to crash or remove.
Every example then gets its own database (`publish`), so examples never interfere
and never need a server restart.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from docker.models.networks import Network as DockerNetwork
from testcontainers.core.network import Network

from harness.env.cleanup import install_cleanup
from harness.env.docker_client import docker_client
from harness.env.labels import labels_for
from harness.env.services import (
    CONTROL,
    RUNTIME,
    SPACETIMEDB,
    ServiceContainer,
    ServiceSpec,
    wait_until_ready,
)
from harness.env.spacetimedb_image import ensure_spacetimedb_image
from harness.env.stub_image import ensure_stub_image
from harness.errors import EnvironmentFailed
from harness.spacetime.errors import SpacetimeError
from harness.spacetime.http import Identity, SpacetimeHttp


@dataclass(frozen=True)
class StackOptions:
    """How to get a SpacetimeDB: build and start one (default), use an image, or a URL."""

    stdb_url: str | None = None
    stdb_image: str | None = None
    host_port: int | None = None


@dataclass(frozen=True)
class Database:
    """A published module: where it is and the identity that owns (and publishes to) it."""

    url: str
    name: str
    owner: Identity

    def http(self) -> SpacetimeHttp:
        """A driver that acts as the owner, which the reference module treats as publisher."""
        return SpacetimeHttp(self.url, token=self.owner.token)


def fresh_database_name(prefix: str = "h") -> str:
    """A valid SpacetimeDB name (lowercase, single inner hyphens) unique to this call."""
    return f"{prefix}-{uuid.uuid4().hex[:16]}"


class Stack:
    """Starts what `options` asks for; `close()` removes it again."""

    def __init__(self, options: StackOptions, keep_on_exit: bool = False) -> None:
        self.options = options
        self.server: ServiceContainer | None = None
        self.services: dict[str, ServiceContainer] = {}
        self._network: Network | None = None
        self._keep_on_exit = keep_on_exit
        self.ready_seconds = 0.0

    def start(self) -> Stack:
        started = time.monotonic()
        if self.options.stdb_url is not None:
            wait_until_ready(self.options.stdb_url.rstrip("/") + SPACETIMEDB.ready_path)
        else:
            client = docker_client()
            if not self._keep_on_exit:
                install_cleanup(client)
            image = self.options.stdb_image or ensure_spacetimedb_image(client)
            try:
                self._network = Network(docker_network_kw={"labels": labels_for("network")})
                self._network.create()
                self.server = ServiceContainer(SPACETIMEDB, image, self._network,
                                               self.options.host_port).start()
            except BaseException:
                self.close()
                raise
        self.ready_seconds = time.monotonic() - started
        return self

    @property
    def stdb_url(self) -> str:
        if self.server is not None:
            return self.server.url
        if self.options.stdb_url is None:
            raise EnvironmentFailed("the stack was not started", "call start() first")
        return self.options.stdb_url.rstrip("/")

    def publish(self, wasm: Path, name: str | None = None) -> Database:
        """Publish `wasm` under a fresh name with a fresh owner identity."""
        http = SpacetimeHttp(self.stdb_url)
        try:
            owner = http.create_identity()
            database = name or fresh_database_name()
            http.with_token(owner.token).publish(database, wasm.read_bytes())
        except SpacetimeError as exc:
            raise EnvironmentFailed(f"publishing {wasm.name} failed: {exc}",
                                    "is the module a valid SpacetimeDB 1.2 module?") from exc
        return Database(self.stdb_url, database, owner)

    def service(self, spec: ServiceSpec, env: Mapping[str, str] | None = None
                ) -> ServiceContainer:
        """A stub service, started on first request on the harness's network (made then
        when the server is not ours: the control stub needs no SpacetimeDB at all)."""
        if spec.role in self.services:
            return self.services[spec.role]
        client = docker_client()
        if self._network is None:
            if not self._keep_on_exit:
                install_cleanup(client)
            self._network = Network(docker_network_kw={"labels": labels_for("network")})
            self._network.create()
        image = ensure_stub_image(client)
        self.services[spec.role] = ServiceContainer(spec, image, self._network,
                                                    env=dict(env or {})).start()
        return self.services[spec.role]

    def cut(self, service: ServiceContainer) -> None:
        """Partition `service` from its peers on the harness network.

        The service is reattached without its alias: peers can no longer resolve or reach
        it (open connections drop with the old endpoint), while the host keeps its
        published port, so the harness can still observe both sides during the cut."""
        network = self._docker_network()
        network.disconnect(service.container_id)
        network.connect(service.container_id)

    def heal(self, service: ServiceContainer) -> None:
        """End the partition: reattach `service` under its alias."""
        network = self._docker_network()
        network.disconnect(service.container_id)
        network.connect(service.container_id, aliases=[service.spec.alias])

    def _docker_network(self) -> DockerNetwork:
        if self._network is None:
            raise EnvironmentFailed("network faults need containers the harness started",
                                    "run without --stdb-url")
        return docker_client().networks.get(self._network.name)

    def runtime(self, env: Mapping[str, str] | None = None) -> ServiceContainer:
        """The stub runtime (journal and publisher), reaching SpacetimeDB by its alias."""
        return self.service(RUNTIME, env)

    def control(self, env: Mapping[str, str] | None = None) -> ServiceContainer:
        """The stub control service (sync-token routes)."""
        return self.service(CONTROL, env)

    def close(self) -> None:
        for service in self.services.values():
            service.remove()
        self.services.clear()
        if self.server is not None:
            self.server.remove()
            self.server = None
        if self._network is not None:
            self._network.remove()
            self._network = None
