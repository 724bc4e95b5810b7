"""The environment a run needs, started and torn down as one unit.

A stack is either containers the harness starts itself (a private network and a
SpacetimeDB server built here, or from `--stdb-image`), or an already running
server given by `--stdb-url`, in which case there is nothing to crash or remove.
Every example then gets its own database (`publish`), so examples never interfere
and never need a server restart.
"""

from __future__ import annotations

import dataclasses
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from docker.models.networks import Network as DockerNetwork
from testcontainers.core.network import Network

from harness.env.built_module import BuiltModule, sha256_hex
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
from harness.spacetime.program_hash import program_hash


@dataclass(frozen=True)
class StackOptions:
    """How to get a SpacetimeDB: build and start one (default), use an image, or a URL."""

    stdb_url: str | None = None
    stdb_image: str | None = None
    host_port: int | None = None
    # False for a target without a module (a control service alone): no server at all
    spacetimedb: bool = True


HOST_ALIAS = "host.docker.internal"


@dataclass(frozen=True)
class Database:
    """A published module: where it is, the identity that owns (and publishes to) it, and
    which module it runs.

    `module_sha256` is the SHA-256 of the bytes sent, equal to `module.sha256` (publish
    checks it). `program_hash` is the server's own hash of the module it holds (Keccak-256,
    see `harness.spacetime.program_hash`), already checked against the bytes sent; None
    only where the server reports no hash.
    """

    url: str
    name: str
    owner: Identity
    module: BuiltModule
    program_hash: str | None

    @property
    def module_sha256(self) -> str:
        return self.module.sha256

    def http(self) -> SpacetimeHttp:
        """A driver that acts as the owner, which the reference module treats as publisher."""
        return SpacetimeHttp(self.url, token=self.owner.token)


def _built_bytes(module: BuiltModule) -> bytes:
    """The module's wasm, refused if the file no longer has the digest taken at build time."""
    wasm = module.path.read_bytes()
    sent = sha256_hex(wasm)
    if sent != module.sha256:
        raise EnvironmentFailed(
            f"{module.path} changed since it was built from {module.describe()}: "
            f"sha256 {sent}, built {module.sha256}",
            "build the module again (another build or checkout overwrote the file)",
        )
    return wasm


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
        self.server_image: str | None = None  # the SpacetimeDB image it started, if any

    def start(self) -> Stack:
        started = time.monotonic()
        if not self.options.spacetimedb:
            pass  # services start on first use (`service`), a network with them
        elif self.options.stdb_url is not None:
            wait_until_ready(self.options.stdb_url.rstrip("/") + SPACETIMEDB.ready_path)
        else:
            client = docker_client()
            if not self._keep_on_exit:
                install_cleanup(client)
            image = self.options.stdb_image or ensure_spacetimedb_image(client)
            self.server_image = image
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

    def describe_server(self) -> str:
        """Which SpacetimeDB this stack judges against, for a report: the image (its tag
        names the version), a URL it was given, or none."""
        if self.server_image is not None:
            return self.server_image
        if self.options.stdb_url is not None:
            return f"{self.options.stdb_url} (--stdb-url)"
        return "none (the target has no module)"

    @property
    def stdb_url(self) -> str:
        if self.server is not None:
            return self.server.url
        if self.options.stdb_url is None:
            raise EnvironmentFailed("the stack was not started", "call start() first")
        return self.options.stdb_url.rstrip("/")

    @property
    def stdb_url_for_containers(self) -> str:
        """The server's URL as the stub containers reach it: our container by its network
        alias, a server given by --stdb-url with loopback names replaced by the host's."""
        if self.server is not None:
            return self.server.internal_url
        parts = urlsplit(self.stdb_url)
        if parts.hostname in ("127.0.0.1", "localhost", "0.0.0.0", "::1"):
            port = f":{parts.port}" if parts.port else ""
            return urlunsplit(parts._replace(netloc=f"{HOST_ALIAS}{port}"))
        return self.stdb_url

    def publish(self, module: BuiltModule, name: str | None = None) -> Database:
        """Publish `module` under a fresh name with a fresh owner identity, and check that
        the server holds exactly the bytes that were built.

        Two checks, because a run must test the module it names: the file still has the
        digest taken when the build finished (nothing overwrote it since), and the
        server's program hash of the new database is the hash of the bytes sent.
        """
        wasm = _built_bytes(module)
        sent = sha256_hex(wasm)
        http = SpacetimeHttp(self.stdb_url)
        database = name or fresh_database_name()
        try:
            owner = http.create_identity()
            published = http.with_token(owner.token).publish(database, wasm)
            info = http.database_info(database)
        except SpacetimeError as exc:
            raise EnvironmentFailed(f"publishing {module.path.name} failed: {exc}",
                                    "is the module a valid SpacetimeDB 1.2 module?") from exc
        # 1.2 keeps initial_program when an existing database gets a new module (seen
        # live; st_module.program_hash follows the update), so only a creation is judged.
        if info.program_hash is not None and published.op == "created":
            expected = program_hash(wasm)
            if info.program_hash != expected:
                raise EnvironmentFailed(
                    f"database {database} runs a module other than {module.describe()}: the "
                    f"server's program hash is {info.program_hash}, the Keccak-256 of the "
                    f"{len(wasm)} bytes sent (sha256 {sent}) is {expected}",
                    "the server did not store what the harness sent; check --stdb-url "
                    "points at the server the harness publishes to",
                )
        return Database(self.stdb_url, database, owner, module, info.program_hash)

    def clear(self, database: Database) -> None:
        """Delete every row of `database` and start its module again from `init`, under the
        same name and owner (`spacetime publish --clear-database`): what a database restored
        from an empty backup looks like to its publisher."""
        wasm = _built_bytes(database.module)
        try:
            SpacetimeHttp(self.stdb_url).with_token(database.owner.token).publish(
                database.name, wasm, clear=True)
        except SpacetimeError as exc:
            raise EnvironmentFailed(f"clearing database {database.name} failed: {exc}",
                                    "is the server still up? (its log is in the artefacts)"
                                    ) from exc

    def service(self, spec: ServiceSpec, env: Mapping[str, str] | None = None,
                image: str | None = None) -> ServiceContainer:
        """A service container, started on first request on the harness's network (made
        then when the server is not ours: a control service needs no SpacetimeDB at all):
        the stub image by default, or a user's `image`."""
        if spec.role in self.services:
            return self.services[spec.role]
        client = docker_client()
        if self._network is None:
            if not self._keep_on_exit:
                install_cleanup(client)
            self._network = Network(docker_network_kw={"labels": labels_for("network")})
            self._network.create()
        image = image or ensure_stub_image(client)
        # A server the harness did not start may listen on the host's loopback: the stubs
        # reach it through the host gateway under this name (see stdb_url_for_containers).
        hosts = {HOST_ALIAS: "host-gateway"} if self.server is None else None
        self.services[spec.role] = ServiceContainer(spec, image, self._network,
                                                    env=dict(env or {}),
                                                    extra_hosts=hosts).start()
        return self.services[spec.role]

    def cut_server(self) -> None:
        """Partition the SpacetimeDB container from its peers on the harness network.

        The service is reattached without its alias: peers can no longer resolve or reach
        it (open connections drop with the old endpoint), while the host keeps its
        published port, so the harness can still observe both sides during the cut."""
        network, server = self._docker_network(), self._own_server()
        network.disconnect(server.container_id)
        network.connect(server.container_id)

    def heal_server(self) -> None:
        """End the partition: reattach the server under its alias."""
        network, server = self._docker_network(), self._own_server()
        network.disconnect(server.container_id)
        network.connect(server.container_id, aliases=[server.spec.alias])

    def _own_server(self) -> ServiceContainer:
        if self.server is None:
            raise EnvironmentFailed("network faults need a SpacetimeDB container the harness "
                                    "started", "run without --stdb-url")
        return self.server

    def _docker_network(self) -> DockerNetwork:
        if self._network is None:
            raise EnvironmentFailed("network faults need containers the harness started",
                                    "run without --stdb-url")
        return docker_client().networks.get(self._network.name)

    def runtime(self, env: Mapping[str, str] | None = None) -> ServiceContainer:
        """The stub runtime (journal and publisher), reaching SpacetimeDB by its alias."""
        return self.service(RUNTIME, env)

    def control(self, env: Mapping[str, str] | None = None,
                role: str = CONTROL.role) -> ServiceContainer:
        """The stub control service (sync-token routes); another `role` is another instance
        (one started with other settings), reached on the network under that name."""
        return self.service(dataclasses.replace(CONTROL, role=role, alias=role), env)

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
