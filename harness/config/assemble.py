"""Turn a configuration into the `Target` the runners judge, in a running environment.

The only place where configuration meets the environment: the module's wasm is built (or
taken) here, a control service is reached, started as the harness's stub or from the
user's command, and each side's adapter is loaded. The reference stubs come through here
too, from the root pyproject.toml, so they get no path a user's system does not.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from harness.config.adapters import call_factory
from harness.config.load import ConfigError
from harness.config.model import ControlConfig, HarnessConfig, PublisherConfig
from harness.contract.rules import RULE_FAMILIES
from harness.contract.sync_tokens import ControlPolicy
from harness.drivers.control import ControlClient
from harness.env.built_module import BuiltModule
from harness.env.module_build import build_module
from harness.env.processes import ServiceProcess
from harness.env.services import ServiceSpec
from harness.env.stack import Stack
from harness.errors import EnvironmentFailed
from harness.targets.capabilities import Capability
from harness.targets.control import ControlTarget, control_capabilities
from harness.targets.module_mapping import ModuleMapping, absent_parts
from harness.targets.sides import (
    ModuleSide,
    PublisherWiring,
    Target,
)
from harness.targets.spacetime_module import DeclaredModule

STUB_SIGNING_KEY_ENV = "CONTROL_SIGNING_KEY"


def configured_wasm(config: HarnessConfig) -> BuiltModule | None:
    """The module to publish: built from its crate (cargo's cache makes this cheap), or the
    configured wasm file; with its digest, which every publish checks the server holds.
    None for a target without a module."""
    source = config.module_source
    if source is None:
        return None
    if source.crate is not None:
        return build_module(source.crate, source.features)
    if source.wasm is not None:
        return BuiltModule.prebuilt(source.wasm)
    raise ConfigError("config key module.database: testing an already published database is "
                      "not supported yet (every example needs a fresh database)",
                      "give module.crate or module.wasm")


@dataclass
class ConfiguredControl:
    """A control side from configuration: started or reached on first `connect`; its
    instance started with the alias retired (`[control.retired]`) on first
    `connect_retired`, as a service of its own (`role`)."""

    config: ControlConfig
    stack: Stack
    root: Path
    role: str = "control"
    _target: ControlTarget | None = field(default=None, repr=False)
    _process: ServiceProcess | None = field(default=None, repr=False)
    _retired: ConfiguredControl | None = field(default=None, repr=False)

    @property
    def capabilities(self) -> frozenset[Capability]:
        return control_capabilities(self.config.routes, self.config.lacks,
                                    retired_at_start=self.config.retired is not None,
                                    retired_declared=self.config.policy.alias_retired)

    @property
    def declared_policy(self) -> ControlPolicy:
        return self.config.policy

    def connect(self) -> ControlTarget:
        if self._target is None:
            url = self._start()
            client = ControlClient(url)
            admin = call_factory("control.admin", self.config.admin, self.root, client)
            key = self.config.signing_key
            self._target = ControlTarget(client, admin,  # type: ignore[arg-type]
                                         self.config.routes, self.config.policy,
                                         key.encode("utf-8") if key else None, self.config.lacks,
                                         self.config.volatile)
        return self._target

    def connect_retired(self) -> ControlTarget:
        if self.config.retired is None:
            raise EnvironmentFailed("this control service declares no [control.retired]",
                                    "the runner should have found the scenario not applicable")
        if self._retired is None:
            self._retired = ConfiguredControl(self.config.retired, self.stack, self.root,
                                              role=f"{self.role}-retired")
        return self._retired.connect()

    def _start(self) -> str:
        service = self.config.service
        if service.kind == "url" and service.url is not None:
            return service.url
        if service.kind == "stub":
            env = dict(service.env)
            if self.config.signing_key:
                env[STUB_SIGNING_KEY_ENV] = self.config.signing_key
            return self.stack.control(env, role=self.role).url
        if service.kind == "image" and service.image is not None:
            spec = ServiceSpec(self.role, service.port, self.role, service.ready_path,
                               service.command)
            return self.stack.service(spec, service.env, image=service.image).url
        self._process = ServiceProcess(self.role, service.command, service.ready_path,
                                       service.env, self.root).start()
        return self._process.url

    def close(self) -> None:
        if self._retired is not None:
            self._retired.close()
        if self._process is not None:
            self._process.remove()
            self._process = None


@dataclass(frozen=True)
class StubPublisher:
    """The harness's stub runtime as the publisher, told how to call this module."""

    config: PublisherConfig
    wiring: PublisherWiring
    server_is_ours: bool

    @property
    def service_env(self) -> Mapping[str, str]:
        return self.config.env

    @property
    def capabilities(self) -> frozenset[Capability]:
        """The stub runtime is always the harness's own container, so it can be killed;
        cutting it off the server needs the server on the harness's network too."""
        found = {Capability.PUBLISHER, Capability.PUBLISHER_CRASH}
        if self.server_is_ours:
            found.add(Capability.NETWORK_CUT)
        return frozenset(found)


def publisher_wiring(mapping: ModuleMapping) -> PublisherWiring:
    """The module's apply call as templates a publisher renders by itself: the key and
    hash formats expanded into the argument list, and its permanent error patterns."""
    expanded: list[object] = []
    for template in mapping.apply.args:
        if template == "{idempotency_key}":
            expanded.append(mapping.idempotency_key_format)
        elif template == "{payload_hash}":
            expanded.append(mapping.payload_hash_format)
        else:
            expanded.append(template)
    permanent = ("unauthorized", "invalid_event", "idempotency_conflict", "sequence_conflict")
    # The contract's texts start with the error's name as a whole first word.
    patterns = [mapping.errors[name].pattern if name in mapping.errors else f"^{name}(?!\\S)"
                for name in permanent]
    return PublisherWiring(mapping.apply.name, tuple(expanded), tuple(patterns))


def _module_side(config: HarnessConfig) -> ModuleSide | None:
    if config.module is None:
        return None
    if config.module_adapter is None:
        return DeclaredModule(config.module)
    side = call_factory("module.adapter", config.module_adapter, config.root, config.module)
    return side  # type: ignore[return-value]


def assemble(config: HarnessConfig, stack: Stack, module: BuiltModule | None) -> Target:
    """The target described by `config`, reachable in `stack`."""
    client = (call_factory("client.adapter", config.client, config.root)
              if config.client is not None else None)
    control = (ConfiguredControl(config.control, stack, config.root)
               if config.control is not None else None)
    publisher = None
    if config.publisher is not None and config.module is not None:
        publisher = StubPublisher(config.publisher, publisher_wiring(config.module),
                                  server_is_ours=stack.server is not None)
    pins = {"config": str(config.path), "target": config.name}
    if config.module_adapter is not None:
        pins["module.adapter"] = config.module_adapter.factory
    if config.client is not None:
        pins["client.adapter"] = config.client.factory
    if config.control is not None:
        pins["control.admin"] = config.control.admin.factory
    if config.module_source is not None and config.module_source.features:
        pins["module.features"] = ",".join(config.module_source.features)
    if module is not None:
        pins["module.wasm"] = str(module.path)
        pins["module.wasm_sha256"] = module.sha256
    pins["contract.absolute"] = absolute_pin(config.absolute)
    return Target(config.name, _module_side(config), client,  # type: ignore[arg-type]
                  publisher, control, pins, config.absolute, absent_parts(config.module))


def absolute_pin(absolute: frozenset[str]) -> str:
    """The contract profile as a report shows it: families in the contract's order, then
    single rules."""
    families = [f for f in RULE_FAMILIES if f in absolute]
    return " ".join([*families, *sorted(absolute - set(families))])


