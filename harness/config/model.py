"""The user's configuration, typed: what system to test and where its pieces come from.

Read from `[tool.stdb-harness]` in the user's pyproject.toml, or from a `stdb-harness.toml`,
by harness.config.load. Paths are already resolved against the file's folder; everything a
later layer needs is here, so no other module reads the file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.contract.sync_tokens import ControlPolicy
from harness.scenario.model import EPOCH_MS
from harness.targets.capabilities import Capability
from harness.targets.control import TokenRoutes
from harness.targets.module_mapping import ModuleMapping


@dataclass(frozen=True)
class ModuleSource:
    """Where the module's wasm comes from: exactly one of a crate or a wasm file (`database`,
    one already published on --stdb-url, is recognised so that it can be refused clearly:
    every example needs a fresh database)."""

    crate: Path | None = None
    features: tuple[str, ...] = ()
    wasm: Path | None = None
    database: str | None = None


@dataclass(frozen=True)
class AdapterRef:
    """`package.module:factory` and the keyword options it is called with."""

    factory: str
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ServiceSource:
    """A service the harness reaches or starts: `stub` (the harness's stub container), a
    URL of one already running, a command the harness starts on a free port, or an image it
    starts as a container (`args` its command, `port` the one it listens on)."""

    kind: str  # "stub" | "url" | "command" | "image"
    url: str | None = None
    command: tuple[str, ...] = ()
    image: str | None = None
    port: int = 0
    ready_path: str = "/healthz"
    env: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ControlConfig:
    """A control service. `retired` is the same service as started with its alias retired
    (T6 declared by start-up configuration), from `[control.retired]`: the harness starts
    a second instance of it for the scenarios that judge a retirement made that way."""

    service: ServiceSource
    admin: AdapterRef
    routes: TokenRoutes = field(default_factory=TokenRoutes)
    policy: ControlPolicy = field(default_factory=ControlPolicy)
    signing_key: str | None = None
    lacks: frozenset[Capability] = frozenset()
    # response fields (as T5 names them, `data.request_id`) that vary on their own
    volatile: tuple[str, ...] = ()
    retired: ControlConfig | None = None


@dataclass(frozen=True)
class PublisherConfig:
    """The publisher that delivers journaled events: the stub runtime (given the module's
    apply call as templates), or none."""

    service: ServiceSource
    env: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class MutantConfig:
    """A deliberately broken variant of the target: configuration overrides plus what it
    should break, so the harness can prove it catches it."""

    name: str
    layer: str
    defect: str
    rules: tuple[str, ...]
    overrides: Mapping[str, Any]


@dataclass(frozen=True)
class HarnessConfig:
    """One target and its scenario folders, from one configuration file."""

    path: Path
    name: str
    # None for a target without a module (a control service alone)
    module_source: ModuleSource | None
    module: ModuleMapping | None
    module_adapter: AdapterRef | None
    client: AdapterRef | None
    control: ControlConfig | None
    publisher: PublisherConfig | None
    scenarios: Path | None
    golden: Path | None
    mutants: Mapping[str, MutantConfig]
    # rule families judged by the reference contract's absolute rules ([contract] absolute)
    absolute: frozenset[str]
    raw: Mapping[str, Any]
    # when a scenario's first event is published (ms); None: at the run's start
    event_time: int | None = EPOCH_MS

    @property
    def root(self) -> Path:
        return self.path.parent
