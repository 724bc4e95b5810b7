"""Find and read the configuration; every mistake is a `ConfigError` naming the key and the fix.

The same loader serves `stdb-harness` and pytest, so both test the same target. A config is
`[tool.stdb-harness]` in a pyproject.toml or the top level of a stdb-harness.toml, found by
`--config` or by walking up from the working directory. Unknown keys are refused rather than
ignored: a typo must not silently test the defaults.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from harness.config.model import (
    AdapterRef,
    ControlConfig,
    HarnessConfig,
    ModuleSource,
    MutantConfig,
    PublisherConfig,
    ServiceSource,
)
from harness.contract.rules import RULE_FAMILIES, RULES
from harness.contract.schema import REFERENCE_TABLES
from harness.contract.sync_tokens import ControlPolicy
from harness.contract.timestamps import MAX_MS
from harness.errors import HarnessError
from harness.scenario.model import EPOCH_MS
from harness.targets.capabilities import LACKABLE_CONTROL, Capability
from harness.targets.control import TokenRoutes
from harness.targets.module_mapping import (
    CONTRACT_ERRORS,
    REFERENCE_ACK,
    REFERENCE_APPLY,
    REFERENCE_COMPACT,
    REFERENCE_RESUME,
    ModuleMapping,
    ReducerCall,
    TableMapping,
    derived_fields,
)
from harness.targets.templates import (
    ACK_FIELDS,
    APPLY_FIELDS,
    COMPACT_FIELDS,
    RESUME_FIELDS,
    TemplateError,
    check_templates,
    field_names,
)

CONFIG_FILE = "stdb-harness.toml"
SECTION = "tool.stdb-harness"


class ConfigError(HarnessError):
    """The configuration cannot describe a target; the message names the key."""


def find_config(start: Path) -> Path | None:
    """The nearest stdb-harness.toml, or pyproject.toml with the section, at or above `start`."""
    for folder in [start, *start.parents]:
        if (folder / CONFIG_FILE).is_file():
            return folder / CONFIG_FILE
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file() and "stdb-harness" in _read(pyproject).get("tool", {}):
            return pyproject
    return None


def _read(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot be read as TOML: {exc}",
                          "fix the file's syntax") from exc


def load_config(explicit: Path | None, start: Path) -> HarnessConfig:
    """Read the config named by `explicit`, or the nearest one found from `start`."""
    path = explicit if explicit is not None else find_config(start.resolve())
    if path is None:
        raise ConfigError(
            f"no [tool.stdb-harness] in a pyproject.toml and no {CONFIG_FILE} at or above "
            f"{start}",
            "add one (README: Testing your own projector), or pass --config PATH",
        )
    if not path.is_file():
        raise ConfigError(f"--config {path}: no such file", "pass the path of your config")
    document = _read(path)
    if path.name == "pyproject.toml":
        document = document.get("tool", {}).get("stdb-harness")
        if not isinstance(document, dict):
            raise ConfigError(f"{path} has no [tool.stdb-harness] table",
                              "add the table, or pass --config PATH")
    return parse_config(path.resolve(), document)


def parse_config(path: Path, document: Mapping[str, Any],
                 overrides: Mapping[str, Any] | None = None) -> HarnessConfig:
    """Validate a config document; `overrides` (dotted keys) are a mutant's changes."""
    where = f"{path} [{SECTION}]" if path.name == "pyproject.toml" else str(path)
    doc = _Table(where, "", _with_overrides(document, overrides or {}))
    doc.only("target", "scenarios", "golden", "module", "client", "control", "publisher",
             "mutants", "contract", "event_time")
    root = path.parent
    has_module = "module" in doc.data
    module = doc.table("module")
    if not has_module and not any(side in doc.data for side in ("client", "control")):
        raise doc.fail("module", "the target has no side at all",
                       "give at least one of [module], [control] (README: Testing your own "
                       "projector)")
    if "publisher" in doc.data and not has_module:
        raise doc.fail("publisher", "a publisher needs a module to deliver to",
                       "add [module], or leave [publisher] out")
    if "client" in doc.data and not has_module:
        raise doc.fail("client", "a client resumes from a module's streams",
                       "add [module], or leave [client] out")
    config = HarnessConfig(
        path=path,
        name=doc.string("target", default=root.name),
        module_source=_module_source(module, root) if has_module else None,
        module=_module_mapping(module) if has_module else None,
        module_adapter=_module_adapter(module),
        client=_adapter(doc.table("client"), "adapter") if "client" in doc.data else None,
        control=_control(doc.table("control"), root) if "control" in doc.data else None,
        publisher=_publisher(doc.table("publisher")) if "publisher" in doc.data else None,
        scenarios=_folder(doc, "scenarios", root),
        golden=_folder(doc, "golden", root),
        mutants=_mutants(doc.table("mutants")) if "mutants" in doc.data else {},
        absolute=_absolute(doc.table("contract")) if "contract" in doc.data else frozenset(),
        raw=document,
        event_time=_event_time(doc),
    )
    return config


def _event_time(doc: _Table) -> int | None:
    """`event_time`: when a scenario's first event is published, in ms since the Unix
    epoch, or `"run-start"` (None) for the run's own start; the default is EPOCH_MS."""
    value: object = doc.data.get("event_time", EPOCH_MS)
    if value == "run-start":
        return None
    latest = MAX_MS - 10**9  # room for a long scenario's events, 1 s apart
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= latest:
        raise doc.fail("event_time", f"{value!r} is neither \"run-start\" nor a time in ms "
                       "since the Unix epoch", 'write event_time = "run-start", or e.g. '
                       f"event_time = {EPOCH_MS} (2026-01-01T00:00:00Z)")
    return value


def _absolute(contract: _Table) -> frozenset[str]:
    """The rule families (`"M"`) and single rules (`"T6"`) whose absolute rules (the
    reference contract's exact formats, texts, folds and statuses) the target opts into;
    relative rules hold for every target."""
    contract.only("absolute")
    chosen = contract.strings("absolute")
    unknown = sorted(name for name in chosen if name not in RULE_FAMILIES and name not in RULES)
    if unknown:
        raise contract.fail("absolute", f"unknown rule families or rules {unknown}",
                            f"use CONTRACT.md's family letters ({' '.join(RULE_FAMILIES)}) or "
                            'rule ids such as "T6"')
    return frozenset(chosen)


def _with_overrides(document: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of `document` with each dotted key of `overrides` set."""
    merged: dict[str, Any] = _deep_copy(document)
    for dotted, value in overrides.items():
        node = merged
        *parents, last = dotted.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = value
    return merged


def _deep_copy(value: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _deep_copy(v) if isinstance(v, Mapping) else v for k, v in value.items()}


class _Table:
    """A config table with the path of keys that led to it, for messages that name it."""

    def __init__(self, file: str, prefix: str, data: Mapping[str, Any]) -> None:
        self.file = file
        self.prefix = prefix
        self.data = data

    def key(self, name: str) -> str:
        return f"{self.prefix}.{name}" if self.prefix else name

    def fail(self, name: str, problem: str, fix: str) -> ConfigError:
        return ConfigError(f"{self.file}: config key {self.key(name)}: {problem}", fix)

    def templates(self, name: str, templates: list[Any], fields: frozenset[str]) -> None:
        """Refuse any template field the operation cannot fill, naming this key."""
        try:
            check_templates(self.key(name), templates, fields)
        except TemplateError as exc:
            raise ConfigError(f"{self.file}: config key {exc.message}", exc.hint) from exc

    def only(self, *allowed: str) -> None:
        for name in self.data:
            if name not in allowed:
                raise self.fail(name, "unknown key", f"the keys here are: {', '.join(allowed)}")

    def table(self, name: str) -> _Table:
        value = self.data.get(name, {})
        if not isinstance(value, Mapping):
            raise self.fail(name, f"must be a table, got {value!r}", f"write [{name}] or {{...}}")
        return _Table(self.file, self.key(name), value)

    def string(self, name: str, default: str | None = None) -> str:
        value = self.data.get(name, default)
        if not isinstance(value, str) or not value:
            raise self.fail(name, f"must be a non-empty string, got {value!r}",
                            "quote the value")
        return value

    def optional_string(self, name: str) -> str | None:
        return self.string(name) if name in self.data else None

    def strings(self, name: str) -> tuple[str, ...]:
        value = self.data.get(name, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(name, f"must be a list of strings, got {value!r}",
                            'write ["a", "b"]')
        return tuple(value)

    def boolean(self, name: str, default: bool) -> bool:
        value = self.data.get(name, default)
        if not isinstance(value, bool):
            raise self.fail(name, f"must be true or false, got {value!r}", "write true or false")
        return value


def _folder(doc: _Table, name: str, root: Path) -> Path | None:
    if name not in doc.data:
        return None
    folder = (root / doc.string(name)).resolve()
    if not folder.is_dir():
        raise doc.fail(name, f"{folder} is not a folder", "create it or fix the path")
    return folder


def _module_source(module: _Table, root: Path) -> ModuleSource:
    given = [k for k in ("crate", "wasm", "database") if k in module.data]
    if len(given) != 1:
        raise module.fail("crate", f"give exactly one of crate, wasm, database (got "
                          f"{', '.join(given) or 'none'})",
                          "crate = a Rust module folder, wasm = a built .wasm, or database = "
                          "a name already published on --stdb-url")
    crate = (root / module.string("crate")).resolve() if "crate" in module.data else None
    if crate is not None and not (crate / "Cargo.toml").is_file():
        raise module.fail("crate", f"{crate} has no Cargo.toml", "point it at the module crate")
    wasm = (root / module.string("wasm")).resolve() if "wasm" in module.data else None
    if wasm is not None and not wasm.is_file():
        raise module.fail("wasm", f"{wasm} does not exist", "build it first, or use crate =")
    return ModuleSource(crate=crate, features=module.strings("features"), wasm=wasm,
                        database=module.optional_string("database"))


_REDUCERS = {
    "apply": (REFERENCE_APPLY, APPLY_FIELDS),
    "compact": (REFERENCE_COMPACT, COMPACT_FIELDS),
    "resume": (REFERENCE_RESUME, RESUME_FIELDS),
    "ack": (REFERENCE_ACK, ACK_FIELDS),
}


def _reducer(reducers: _Table, operation: str) -> ReducerCall | None:
    default, fields = _REDUCERS[operation]
    value = reducers.data.get(operation, True)
    if value is True:
        return default
    if value is False:
        if operation == "apply":
            raise reducers.fail(operation, "a module must have an apply reducer",
                                "give its name and args")
        return None
    table = reducers.table(operation)
    table.only("name", "args")
    args = table.data.get("args", list(default.args))
    if not isinstance(args, list):
        raise table.fail("args", f"must be a list, got {args!r}",
                         'write args = ["{stream_id}", "{seq}", true]')
    table.templates("args", args, fields)
    return ReducerCall(table.string("name", default.name), tuple(args))


def _module_adapter(module: _Table) -> AdapterRef | None:
    """`[module] adapter = "package.module:factory"` (with its `options`): a module side
    in Python for what the mapping cannot say, beside the module's build."""
    if "adapter" not in module.data:
        return None
    factory = module.string("adapter")
    if not re.fullmatch(r"[\w.]+:\w+", factory):
        raise module.fail("adapter", f"{factory!r} is not package.module:factory",
                          'write e.g. "my_project.adapters:module"')
    return AdapterRef(factory, dict(module.table("options").data))


def _module_mapping(module: _Table) -> ModuleMapping:
    module.only("crate", "features", "wasm", "database", "adapter", "options", "reducers",
                "tables", "idempotency_key", "payload_hash", "errors", "volatile", "exclude")
    reducers = module.table("reducers")
    reducers.only(*_REDUCERS)
    apply = _reducer(reducers, "apply")
    assert apply is not None  # _reducer refuses a missing apply
    key_format = module.string("idempotency_key", "{idempotency_key}")
    hash_format = module.string("payload_hash", "{payload_hash}")
    module.templates("idempotency_key", [key_format], APPLY_FIELDS - {"payload_hash"})
    module.templates("payload_hash", [hash_format], APPLY_FIELDS - {"idempotency_key"})
    return ModuleMapping(
        apply=apply,
        compact=_reducer(reducers, "compact"),
        resume=_reducer(reducers, "resume"),
        ack=_reducer(reducers, "ack"),
        tables=_tables(module.table("tables")),
        declared_tables=frozenset(name for name, value in module.table("tables").data.items()
                                  if value is not False),
        exclude=frozenset(module.strings("exclude")),
        declared_reducers=frozenset(reducers.data),
        idempotency_key_format=key_format,
        payload_hash_format=hash_format,
        errors=_errors(module.table("errors")),
        volatile=_volatile(module.table("volatile")),
    )


def _tables(tables: _Table) -> dict[str, TableMapping]:
    tables.only(*REFERENCE_TABLES)
    mapped: dict[str, TableMapping] = {}
    for name, schema in REFERENCE_TABLES.items():
        if tables.data.get(name) is False:
            continue
        table = tables.table(name)
        table.only("name", "columns")
        columns = table.table("columns")
        columns.only(*schema.columns)
        absent = {column for column, value in columns.data.items() if value is False}
        if schema.primary_key in absent:
            raise columns.fail(schema.primary_key, "a table's primary key cannot be absent",
                               f"map {schema.primary_key} to your table's key column, or set "
                               f"tables.{name} = false if you have no such table")
        for column in schema.columns:
            if column in columns.data and column not in absent:
                columns.string(column)
        mapped[name] = TableMapping(
            table.string("name", name),
            {ours: theirs for ours, theirs in columns.data.items() if theirs is not False},
            frozenset(absent))
    return mapped


def _errors(errors: _Table) -> dict[str, re.Pattern[str]]:
    errors.only(*CONTRACT_ERRORS)
    compiled: dict[str, re.Pattern[str]] = {}
    for name, template in CONTRACT_ERRORS.items():
        if name not in errors.data:
            continue
        try:
            pattern = re.compile(errors.string(name))
        except re.error as exc:
            raise errors.fail(name, f"not a regular expression: {exc}",
                              "fix the pattern (TOML literal strings '...' keep backslashes)"
                              ) from exc
        missing = set(field_names(template)) - set(derived_fields(
            dict.fromkeys(pattern.groupindex, "0")))
        if missing:
            raise errors.fail(name, f"the pattern has no named group for "
                              f"{', '.join(sorted(missing))}",
                              f"capture them as (?P<name>...): the contract's text is "
                              f"{template!r}")
        compiled[name] = pattern
    return compiled


def _volatile(volatile: _Table) -> dict[str, frozenset[str]]:
    """Per table (a contract table's name, or one of the module's own, checked against
    its schema once published): the columns that hold a time of application (M5)."""
    return {name: frozenset(volatile.strings(name)) for name in volatile.data}


def _adapter(table: _Table, name: str) -> AdapterRef:
    table.only(name, "options")
    factory = table.string(name)
    if not re.fullmatch(r"[\w.]+:\w+", factory):
        raise table.fail(name, f"{factory!r} is not package.module:factory",
                         'write e.g. "my_project.adapters:client"')
    return AdapterRef(factory, dict(table.table("options").data))


def _service(table: _Table, default_ready: str) -> ServiceSource:
    given = [k for k in ("service", "url", "command", "image") if k in table.data]
    if len(given) != 1:
        raise table.fail("service", f"give exactly one of service = \"stub\", url, command, "
                         f"image (got {', '.join(given) or 'none'})",
                         'service = "stub" starts the harness\'s stub; url = a running one; '
                         'command = ["prog", "--port", "{port}"] or image = "name:tag" (with '
                         "port =) is started by the harness")
    ready = table.string("ready_path", default_ready)
    env = table.table("env")
    for key in env.data:
        env.string(key)
    if "service" in table.data:
        if table.string("service") != "stub":
            raise table.fail("service", f"unknown service {table.data['service']!r}",
                             'the only built-in service is "stub"')
        return ServiceSource("stub", ready_path=ready, env=dict(env.data))
    if "url" in table.data:
        return ServiceSource("url", url=table.string("url").rstrip("/"), ready_path=ready)
    if "image" in table.data:
        port = table.data.get("port")
        if not isinstance(port, int) or isinstance(port, bool) or not 0 < port < 65536:
            raise table.fail("port", f"must be the port the image listens on, got {port!r}",
                             "write port = 8080")
        return ServiceSource("image", command=table.strings("args"), image=table.string("image"),
                             port=port, ready_path=ready, env=dict(env.data))
    command = table.strings("command")
    if not command or not any("{port}" in part for part in (*command, *env.data.values())):
        raise table.fail("command", "must be a non-empty list, with a {port} placeholder in "
                         "it or in env", 'write command = ["python", "-m", "my_service", '
                         '"--port", "{port}"], or env = { MY_PORT = "{port}" }')
    return ServiceSource("command", command=command, ready_path=ready, env=dict(env.data))


_SERVICE_KEYS = ("service", "url", "command", "image")
_RETIRED_KEYS = ("url", "command", "image", "port", "args", "env", "options")


def _retired_control(table: _Table, root: Path) -> ControlConfig | None:
    """`[control.retired]`: how the service starts with its alias retired. Its keys replace
    [control]'s (a new command, url or image replaces how the service is reached) or, for
    `env` and `options`, add to them; the instance declares `alias_retired = true`."""
    if "retired" not in table.data:
        return None
    retired = table.table("retired")
    retired.only(*_RETIRED_KEYS)
    if not retired.data:
        raise table.fail("retired", "is empty", "give the env, command or url that starts the "
                         'service with its alias retired, e.g. env = { MY_ALIAS_RETIRED = "1" }')
    merged = {k: v for k, v in table.data.items() if k != "retired"}
    if any(k in retired.data for k in _SERVICE_KEYS):
        merged = {k: v for k, v in merged.items() if k not in _SERVICE_KEYS}
    for key, value in retired.data.items():
        base = merged.get(key, {})
        both = key in ("env", "options") and isinstance(value, Mapping) and \
            isinstance(base, Mapping)
        merged[key] = {**base, **value} if both else value
    policy = merged.get("policy", {})
    merged["policy"] = {**(policy if isinstance(policy, Mapping) else {}), "alias_retired": True}
    return _control(_Table(table.file, retired.prefix, merged), root)


def _control(table: _Table, root: Path) -> ControlConfig:
    table.only("service", "url", "command", "image", "port", "args", "ready_path", "env",
               "admin", "options", "routes", "policy", "signing_key", "lacks", "volatile",
               "retired")
    service = _service(table, "/healthz")
    admin = AdapterRef(table.string("admin"), dict(table.table("options").data)) \
        if "admin" in table.data else None
    if admin is None:
        raise table.fail("admin", "missing", 'name your admin adapter, e.g. '
                         '"my_project.adapters:admin" (README: Testing your own projector)')
    routes = table.table("routes")
    routes.only("canonical", "alias", "v1_canonical", "v1_alias", "openapi")
    defaults = TokenRoutes()
    route_values: dict[str, str | None] = {}
    for name in ("canonical", "alias", "v1_canonical", "v1_alias", "openapi"):
        value = routes.data.get(name, getattr(defaults, name))
        if value is False:
            value = None
        if value is not None and (not isinstance(value, str) or not value.startswith("/")):
            raise routes.fail(name, f"must be a path starting with / or false, got {value!r}",
                              'write e.g. "/api/sync/token", or false if there is none')
        route_values[name] = value
    if route_values["canonical"] is None or route_values["alias"] is None:
        raise routes.fail("canonical", "the canonical route and its alias are required",
                          "T1's parity needs both paths")
    policy = table.table("policy")
    policy.only("alias_retired", "compat_enforced")
    lacks = set()
    for name in table.strings("lacks"):
        try:
            capability = Capability(name)
        except ValueError:
            capability = None
        if capability not in LACKABLE_CONTROL:
            raise table.fail("lacks", f"unknown control capability {name!r}",
                             f"known: {', '.join(sorted(c.value for c in LACKABLE_CONTROL))}")
        lacks.add(capability)
    return ControlConfig(
        service=service,
        admin=admin,
        routes=TokenRoutes(route_values["canonical"] or "", route_values["alias"] or "",
                           route_values["v1_canonical"], route_values["v1_alias"],
                           route_values["openapi"]),
        policy=ControlPolicy(policy.boolean("alias_retired", False),
                             policy.boolean("compat_enforced", False)),
        signing_key=table.optional_string("signing_key"),
        lacks=frozenset(c for c in lacks if c is not None),
        volatile=table.strings("volatile") if "volatile" in table.data else (),
        retired=_retired_control(table, root),
    )


def _publisher(table: _Table) -> PublisherConfig:
    table.only("service", "url", "command", "ready_path", "env")
    service = _service(table, "/healthz")
    if service.kind != "stub":
        raise table.fail("service", "only the stub runtime can be driven as a publisher today",
                         'write service = "stub", or leave [publisher] out (B rules are then '
                         'not applicable)')
    return PublisherConfig(service=service, env=service.env)


def _mutants(table: _Table) -> dict[str, MutantConfig]:
    found: dict[str, MutantConfig] = {}
    for name in table.data:
        mutant = table.table(name)
        mutant.only("layer", "defect", "rules", "set")
        overrides = mutant.table("set").data
        found[name] = MutantConfig(name, mutant.string("layer"), mutant.string("defect"),
                                   mutant.strings("rules"), dict(overrides))
    return found
