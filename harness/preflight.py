"""Prepare, then run: everything knowable before the suite starts is checked once, up front.

A problem found by a test is reported once per test: a crate that did not compile printed
its error once per test (after SpacetimeDB had started), a closed `--stdb-url` was waited
on for a minute per test, a malformed scenario was a page of collection errors and a broken
golden a bare `KeyError`. So both `stdb-harness run` (before pytest starts) and the pytest
plugin (before it collects, for a plain `pytest`) call `prepare` once, which reads the
configuration, every curated scenario and golden file, the scenario asked for, imports each
adapter factory the configuration names (without calling it), checks a configured wasm's
magic bytes and that `--stdb-url` answers `GET /v1/ping` within seconds, and builds the crate.
The first problem is a HarnessError with one message (the file or key, what is wrong, the
fix); what was built is handed to the session's fixtures, which do not build it again.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import requests

from harness import golden
from harness.config.adapters import import_factory
from harness.config.assemble import configured_wasm
from harness.config.load import parse_config
from harness.config.model import AdapterRef, ControlConfig, HarnessConfig, MutantConfig
from harness.env.built_module import BuiltModule
from harness.env.docker_client import docker_client
from harness.errors import DockerUnavailable, EnvironmentFailed, HarnessError
from harness.scenario.files import find, load_file
from harness.scenario.ids import decode, is_generated_id
from harness.scenario.model import Scenario
from harness.scenario.steps import MalformedScenario

WASM_MAGIC = b"\0asm"
PING_WITHIN_S = 5.0  # a running server answers at once; one starting, within a second or two
PING_PATH = "/v1/ping"


@dataclass(frozen=True, eq=False)  # hashed by identity: pytest keeps it as a plugin object
class Prepared:
    """What the checks found and built, for the session to use rather than redo.

    `module` is None where there is nothing to build (no [module], or no server to publish
    to: Docker missing, and nothing requires it, so the container tests will be skipped)."""

    config: HarnessConfig
    mutant: MutantConfig | None
    module: BuiltModule | None
    requested: Scenario | None
    docker: DockerUnavailable | None  # why no container can start, where it was checked
    seconds: float


def effective_config(config: HarnessConfig, mutant_name: str | None,
                     features: Sequence[str] = ()) -> tuple[HarnessConfig, MutantConfig | None]:
    """`config` with a mutant's overrides and extra module features applied."""
    overrides: dict[str, object] = {}
    mutant = None
    if mutant_name:
        if mutant_name not in config.mutants:
            raise HarnessError(f"unknown mutant {mutant_name!r}",
                               f"mutants declared in {config.path}: "
                               f"{', '.join(sorted(config.mutants)) or 'none'}")
        mutant = config.mutants[mutant_name]
        overrides |= mutant.overrides
    source = config.module_source
    if features and source is not None:
        overrides["module.features"] = [*source.features, *features]
    if overrides:
        config = parse_config(config.path, config.raw, overrides)
    return config, mutant


def prepare(config: HarnessConfig, *, mutant: MutantConfig | None = None,
            stdb_url: str | None = None, scenario: str | None = None,
            require_containers: bool = False, run: bool = True) -> Prepared:
    """Check everything that can be checked before the suite starts (see the module's
    docstring); `run` False (collecting only) leaves out what only running needs: the
    server and the build."""
    started = time.monotonic()
    check_scenarios(config)
    check_goldens(config)
    requested = scenario_named(config, scenario) if scenario is not None else None
    check_adapters(config)
    check_wasm(config)
    module: BuiltModule | None = None
    docker: DockerUnavailable | None = None
    if run:
        if stdb_url is not None:
            check_server(stdb_url)
        else:
            docker = docker_missing(require_containers)
        if docker is None and config.module_source is not None:
            module = build(config)
    return Prepared(config, mutant, module, requested, docker,
                    round(time.monotonic() - started, 2))


def check_scenarios(config: HarnessConfig) -> None:
    """Every curated scenario file reads; all broken ones are named in one message."""
    if config.scenarios is None:
        return
    broken: list[MalformedScenario] = []
    for path in sorted(config.scenarios.glob("*.json")):
        try:
            load_file(path)
        except MalformedScenario as exc:
            broken.append(exc)
    if len(broken) == 1:
        raise broken[0]
    if broken:
        raise MalformedScenario(f"{len(broken)} curated scenario files are malformed:\n"
                                + "\n".join(f"  {exc.message}" for exc in broken),
                                broken[0].hint)


def check_goldens(config: HarnessConfig) -> None:
    """Every golden file is a golden (harness.golden.read names the file and the fix)."""
    if config.golden is None:
        return
    for path in sorted(config.golden.glob("*.json")):
        golden.read(path)


def scenario_named(config: HarnessConfig, wanted: str) -> Scenario:
    """The scenario `--scenario` (or `repro`) names: decoded from a generated ID, or read
    from the curated folder."""
    if is_generated_id(wanted):
        return decode(wanted)
    found = find(wanted, config.scenarios) if config.scenarios is not None else None
    if found is None:
        raise HarnessError(f"no scenario {wanted[:80]!r} in "
                           f"{config.scenarios or 'the configuration (it names no scenarios)'}",
                           "pass a curated scenario's file name (without .json) or a "
                           "stdb1.* ID")
    return found


def _adapters(config: HarnessConfig) -> Iterator[tuple[str, AdapterRef]]:
    if config.module_adapter is not None:
        yield "module.adapter", config.module_adapter
    if config.client is not None:
        yield "client.adapter", config.client
    control: ControlConfig | None = config.control
    prefix = "control"
    while control is not None:
        yield f"{prefix}.admin", control.admin
        control, prefix = control.retired, f"{prefix}.retired"


def check_adapters(config: HarnessConfig) -> None:
    """Each adapter factory imports (and is callable); none is called here."""
    for key, ref in _adapters(config):
        import_factory(key, ref, config.root)


def check_wasm(config: HarnessConfig) -> None:
    """A configured `.wasm` starts with the wasm magic bytes."""
    source = config.module_source
    if source is None or source.wasm is None:
        return
    _magic(source.wasm, f"config key module.wasm: {source.wasm}",
           "point module.wasm at a module built for wasm32-unknown-unknown, or use "
           "module.crate = the crate's folder")


def _magic(path: Path, what: str, fix: str) -> None:
    try:
        with path.open("rb") as file:
            head = file.read(len(WASM_MAGIC))
    except OSError as exc:
        raise HarnessError(f"{what} cannot be read ({exc})", fix) from exc
    if head != WASM_MAGIC:
        raise HarnessError(f"{what} is not a WebAssembly module (it starts with {head!r}, "
                           f"not {WASM_MAGIC!r})", fix)


def check_server(url: str, within_s: float = PING_WITHIN_S) -> float:
    """`url` answers `GET /v1/ping` with 200 within `within_s` seconds; how long it took."""
    started = time.monotonic()
    target = url.rstrip("/") + PING_PATH
    problem = "no answer"
    with requests.Session() as session:
        session.trust_env = False  # as the harness's own driver (harness/spacetime/http.py)
        while time.monotonic() - started < within_s:
            left = within_s - (time.monotonic() - started)
            try:
                answer = session.get(target, timeout=max(0.2, min(2.0, left)))
                if answer.status_code == 200:
                    return time.monotonic() - started
                problem = f"it answered {answer.status_code}"
            except requests.RequestException as exc:
                problem = type(exc).__name__
            time.sleep(0.2)
    raise EnvironmentFailed(
        f"--stdb-url {url} does not answer: GET {target} gave no 200 within "
        f"{within_s:.0f} s ({problem})",
        "start SpacetimeDB there or fix the URL; without --stdb-url the harness starts "
        "its own")


def docker_missing(required: bool) -> DockerUnavailable | None:
    """Why no container can start, or None; raised where containers are required (CI)."""
    try:
        docker_client().close()
    except DockerUnavailable as exc:
        if required:
            raise DockerUnavailable(f"the real-container tier must run here, but: "
                                    f"{exc.message}", exc.hint) from exc
        return exc
    return None


def build(config: HarnessConfig) -> BuiltModule | None:
    """The configured module, built (or read) once, its wasm's magic bytes checked; None for
    a target without a module."""
    module = configured_wasm(config)
    if module is None:
        return None
    _magic(module.path, f"the module built from {module.describe()}",
           "check that the crate is a SpacetimeDB module with crate-type = [\"cdylib\"]")
    return module
