"""The harness as a pytest plugin: options, the configured target, the session's containers.

Loaded through the `pytest11` entry point, so installing the wheel in a user's project is
enough: their `[tool.stdb-harness]` names the system under test, and a plain `pytest` there
runs the conformance suite against it. Everything a session accumulates (configuration,
profile, records, results) lives on the pytest config's stash, as syrupy keeps its session,
so nothing here is process-global.

One SpacetimeDB per session, one fresh database per example. Under pytest-xdist every
worker is a session of its own (its own SpacetimeDB and state); workers hand their rows
to the controller through `workeroutput`, and only the controller writes the summary.
`--stdb-shard i/n` keeps this job's share of the items (harness/shards.py). Tests that need
containers skip where Docker is missing, and say so in a banner at the end, because a quiet
skip would read as a pass; in CI (`CI` set) or with `--stdb-require-containers` that is an
error.

A guest in the user's test run: every option is prefixed (`--stdb-...`, as syrupy's are
`--snapshot-...`); the harness's Hypothesis settings are handed to its own suite's tests alone,
while they run (never loaded as a profile); `reports/` is made only once the suite runs; and
in a project without a harness configuration the plugin does nothing at all. Before the
suite is collected, everything that can be checked is checked once (harness/preflight.py):
a problem is one `pytest.UsageError` (pytest's exit 4; `stdb-harness run` says exit 2).
"""

from __future__ import annotations

import dataclasses
import os
import platform
import shutil
import time
from collections import Counter
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
from hypothesis import is_hypothesis_test, settings

from harness import suite
from harness.aborts import HarnessAbort
from harness.checks import coverage
from harness.config.assemble import StubPublisher, assemble, configured_wasm, publisher_wiring
from harness.config.load import find_config, load_config
from harness.config.model import HarnessConfig, MutantConfig
from harness.conformance import ContractViolation, Judge, ScenarioNotApplicable
from harness.env.built_module import BuiltModule
from harness.env.stack import Database, Stack, StackOptions
from harness.errors import DockerUnavailable, HarnessError
from harness.preflight import Prepared, effective_config, prepare, scenario_named
from harness.profiles import PROFILES, Profile, hypothesis_settings, profile_named, use_settings
from harness.reports import console, summary
from harness.reports.allure_labels import label_not_applicable
from harness.reports.records import Recorder, distinct_failures
from harness.runner.applicability import NotApplicable, not_applicable
from harness.runner.environment import RunEnvironment
from harness.scenario.files import curated
from harness.scenario.model import EPOCH_MS, Scenario
from harness.shards import Shard, parse_shard
from harness.shrink_budget import Cut, ShrinkBudget, parse_budget
from harness.targets.capabilities import RULES_NEEDING, Capability
from harness.targets.sides import Target

SUITE_DIR = Path(suite.__file__).parent


@dataclass
class HarnessSession:
    """What one pytest session of the harness holds."""

    config: HarnessConfig | None
    config_error: HarnessError | None
    profile: Profile
    reports_dir: Path
    mutant: MutantConfig | None
    recorder: Recorder = field(default_factory=Recorder)
    results: list[summary.TestResult] = field(default_factory=list)
    container_skips: list[str] = field(default_factory=list)
    judged: bool = False
    started: float = field(default_factory=time.time)
    target_pins: dict[str, str] = field(default_factory=dict)
    lacking: dict[str, list[str]] = field(default_factory=dict)  # capability -> its rules
    not_applicable: dict[str, NotApplicable] = field(default_factory=dict)  # by node id
    shard: Shard | None = None
    unexercised: list[str] = field(default_factory=list)  # nightly: clauses never reached
    # False in a project without a harness configuration: the plugin then does nothing
    active: bool = True
    hypothesis: settings | None = None  # the profile's, for the suite's own tests alone
    shrink_budget: ShrinkBudget = field(default_factory=ShrinkBudget)
    shrink_cuts: list[Cut] = field(default_factory=list)
    prepared: Prepared | None = None  # what the preflight checked and built
    aborted: set[str] = field(default_factory=set)  # tests a HarnessAbort ended (aborts.py)

    def mark_not_applicable(self, nodeid: str, lacking: NotApplicable) -> None:
        self.not_applicable[nodeid] = lacking
        label_not_applicable(sorted(c.value for c in lacking.missing), lacking.rules)

    def require_config(self) -> HarnessConfig:
        if self.config is None:
            error = self.config_error or HarnessError("no configuration")
            pytest.fail(f"harness error (not a contract violation): {error}", pytrace=False)
        return self.config


SESSION = pytest.StashKey[HarnessSession]()
WORKER_OUTPUT = "stdb_harness"  # the key of a pytest-xdist worker's rows in workeroutput


def harness_session(config: pytest.Config) -> HarnessSession:
    return config.stash[SESSION]


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("stdb-harness")
    group.addoption("--stdb-config", default=None,
                    help="the harness configuration: a stdb-harness.toml or a pyproject.toml "
                         "with [tool.stdb-harness] (default: the nearest one)")
    group.addoption("--stdb-url", default=None,
                    help="use this running SpacetimeDB instead of starting a container")
    group.addoption("--stdb-image", default=None,
                    help="start this SpacetimeDB image instead of the one built here")
    group.addoption("--stdb-require-containers", action="store_true", default=False,
                    help="fail (not skip) container tests when Docker is missing; implied by CI")
    group.addoption("--stdb-profile", default="pr", choices=sorted(PROFILES),
                    help="pr (derandomized gate), nightly (fresh seed, faults), repro")
    group.addoption("--stdb-scenario", default=None,
                    help="run only this scenario: a curated ID or a generated stdb1.* ID")
    group.addoption("--stdb-reports-dir", default=None,
                    help="where summaries and per-scenario artefacts go (default: reports/ "
                         "beside the configuration)")
    group.addoption("--stdb-module-features", default="",
                    help="comma-separated Cargo features of the module crate")
    group.addoption("--stdb-mutant", default=None,
                    help="run against a deliberately broken variant declared in the config")
    group.addoption("--stdb-run-mutants", action="store_true", default=False,
                    help="also run the (slow) mutant matrix test outside CI")
    group.addoption("--stdb-max-examples", type=int, default=None,
                    help="generated examples per property (default: the profile's)")
    group.addoption("--stdb-shard", default=None, metavar="I/N",
                    help="run only shard I of N: a disjoint, stable share of the items "
                         "(by a hash of the node id), for N parallel CI jobs")
    group.addoption("--stdb-example-db", default=None, metavar="REDIS_URL",
                    help="keep Hypothesis's example database in this Redis "
                         "(redis://host:port/N), shared by shards and machines; "
                         "randomized profiles only (nightly)")
    group.addoption("--stdb-shrink-budget", default=None, metavar="SECONDS",
                    help="how long a property may go on shrinking after its first violation "
                         "(default: the profile's, pr 60, nightly 300; `none`: no budget)")


def _config_path(config: pytest.Config) -> Path | None:
    """The harness configuration of this run, if there is one (found, not yet read)."""
    explicit = config.getoption("--stdb-config")
    if explicit:
        return Path(explicit)
    return find_config(Path(config.invocation_params.dir).resolve())


def _load(config: pytest.Config, path: Path) -> tuple[HarnessConfig | None, HarnessError | None,
                                                      MutantConfig | None]:
    try:
        loaded = load_config(path, Path(config.invocation_params.dir))
        features = [f for f in config.getoption("--stdb-module-features").split(",") if f]
        loaded, mutant = effective_config(loaded, config.getoption("--stdb-mutant"), features)
    except HarnessError as exc:
        return None, exc, None
    return loaded, None, mutant


def pytest_configure(config: pytest.Config) -> None:
    path = _config_path(config)
    if path is None:
        # A project without a harness configuration: as if the plugin were not installed.
        if config.getoption("--stdb-mutant") or config.getoption("--stdb-scenario"):
            raise pytest.UsageError("stdb-harness: no [tool.stdb-harness] in a pyproject.toml "
                                    "and no stdb-harness.toml at or above "
                                    f"{config.invocation_params.dir}; pass --stdb-config PATH")
        config.stash[SESSION] = HarnessSession(None, None, PROFILES["pr"],
                                               Path(config.invocation_params.dir) / "reports",
                                               None, active=False)
        return
    config.addinivalue_line("markers", "container: needs Docker and the SpacetimeDB image "
                            "(the real tier)")
    config.addinivalue_line("markers", "needs(*capabilities): not applicable to a target "
                            "that lacks any of these capabilities")
    loaded, error, mutant = _load(config, path)
    if config.getoption("--stdb-mutant") and error is not None:
        raise pytest.UsageError(f"stdb-harness: {error}")
    explicit = config.getoption("--stdb-reports-dir")
    root = loaded.root if loaded is not None else path.resolve().parent
    reports = Path(explicit).resolve() if explicit else root / "reports"  # made when used
    try:
        shard_option = config.getoption("--stdb-shard")
        shard = (parse_shard(shard_option, "--stdb-shard") if shard_option is not None
                 else None)
        example_db = config.getoption("--stdb-example-db")
        if example_db is not None and config.getoption("hypothesis_seed", None) is not None:
            raise HarnessError("--stdb-example-db with --hypothesis-seed: a pinned seed turns "
                               "Hypothesis's example database off", "drop one of the two")
        profile = profile_named(config.getoption("--stdb-profile"))
        budget_option = config.getoption("--stdb-shrink-budget")
        budget = (parse_budget(budget_option) if budget_option is not None
                  else profile.shrink_budget_s)
        chosen = hypothesis_settings(profile, reports, config.getoption("--stdb-max-examples"),
                                     example_db)
    except HarnessError as exc:
        raise pytest.UsageError(f"stdb-harness: {exc}") from exc
    state = HarnessSession(loaded, error, profile, reports, mutant, shard=shard,
                           hypothesis=chosen, shrink_budget=ShrinkBudget(budget))
    config.stash[SESSION] = state
    config.pluginmanager.register(ResultCollector(config, state), "stdb-harness-results")
    _add_suite(config, loaded)
    if _suite_selected(config) and not _is_xdist_worker(config):
        state.prepared = _preflight(config, loaded, error, mutant)


def _preflight(config: pytest.Config, loaded: HarnessConfig | None,
               error: HarnessError | None, mutant: MutantConfig | None) -> Prepared:
    """Everything checkable before the suite is collected, once (harness/preflight.py); or
    what `stdb-harness run` checked already, handed in as a plugin object."""
    given = [p for p in config.pluginmanager.get_plugins() if isinstance(p, Prepared)]
    if given:
        return given[0]
    try:
        if loaded is None:
            raise error or HarnessError("no configuration")
        return prepare(loaded, mutant=mutant, stdb_url=config.getoption("--stdb-url"),
                       scenario=config.getoption("--stdb-scenario"),
                       require_containers=_containers_required(config),
                       run=not config.getoption("collectonly"))
    except HarnessError as exc:
        raise pytest.UsageError(f"stdb-harness: {exc}") from exc


def _add_suite(config: pytest.Config, loaded: HarnessConfig | None) -> None:
    """Collect the conformance suite in a project that has a harness config and ran pytest
    without naming paths: installing the plugin is how a user gets the suite."""
    if loaded is None or config.args_source is pytest.Config.ArgsSource.ARGS:
        return
    if not any(Path(arg).resolve() == SUITE_DIR for arg in config.args):
        config.args.append(str(SUITE_DIR))


def _in_suite(path: Path) -> bool:
    return path.resolve().is_relative_to(SUITE_DIR)


def _suite_selected(config: pytest.Config) -> bool:
    """Whether this run collects the conformance suite (or part of it), from its paths."""
    return any(_in_suite(Path(str(arg).split("::", maxsplit=1)[0])) for arg in config.args)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize `curated_scenario` with the configured folder's scenarios of PROPERTY."""
    session = harness_session(metafunc.config)
    if "curated_scenario" not in metafunc.fixturenames or not session.active:
        return
    wanted = getattr(metafunc.module, "PROPERTY", None)
    folder = session.config.scenarios if session.config is not None else None
    try:
        found = curated(wanted, folder) if folder is not None else []
    except HarnessError as exc:
        raise pytest.UsageError(f"stdb-harness: {exc}") from exc
    metafunc.parametrize("curated_scenario", found, ids=[s.id for s in found])


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """With --stdb-scenario only the replay test runs; without it the replay test is dropped.
    With --stdb-shard i/n only this shard's items run (every xdist worker computes the same)."""
    if not harness_session(config).active:
        return
    replaying = config.getoption("--stdb-scenario") is not None
    shard = harness_session(config).shard
    # Shares are cut from the items that can run at all, so the dropped replay test does
    # not unbalance them.
    runnable = [item for item in items if _is_replay(item) == replaying]
    mine = (shard.keep((_kind(item), item.nodeid) for item in runnable)
            if shard is not None else None)

    def wanted(item: pytest.Item) -> bool:
        return _is_replay(item) == replaying and (mine is None or item.nodeid in mine)
    keep = [item for item in items if wanted(item)]
    dropped = [item for item in items if not wanted(item)]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep


def _kind(item: pytest.Item) -> str:
    """Generated (Hypothesis) items and the rest are spread over the shards apart."""
    generated = getattr(getattr(item, "obj", None), "is_hypothesis_test", False)
    return "generated" if generated else "other"


def _is_replay(item: pytest.Item) -> bool:
    """The suite's replay test (a user's test of the same name is theirs)."""
    return item.name.startswith("test_replay_scenario") and _in_suite(item.path)


@pytest.fixture
def requested_scenario(request: pytest.FixtureRequest) -> Scenario:
    """The scenario named by --stdb-scenario: a curated file, or decoded from a generated ID
    (read by the preflight already, where it ran)."""
    wanted: str = request.config.getoption("--stdb-scenario")
    session = harness_session(request.config)
    if session.prepared is not None and session.prepared.requested is not None:
        return session.prepared.requested
    try:
        return scenario_named(session.require_config(), wanted)
    except HarnessError as exc:
        pytest.fail(f"harness error (not a contract violation): {exc}", pytrace=False)


def _containers_required(config: pytest.Config) -> bool:
    return bool(config.getoption("--stdb-require-containers")) or bool(os.environ.get("CI"))


@pytest.fixture(scope="session")
def harness_config(request: pytest.FixtureRequest) -> HarnessConfig:
    """The configuration of the target under test (--stdb-config, or the nearest one)."""
    return harness_session(request.config).require_config()


@pytest.fixture(scope="session")
def stack(request: pytest.FixtureRequest, harness_config: HarnessConfig) -> Iterator[Stack]:
    """The session's SpacetimeDB, started once and removed at the end (none for a target
    without a module)."""
    options = StackOptions(stdb_url=request.config.getoption("--stdb-url"),
                           stdb_image=request.config.getoption("--stdb-image"),
                           spacetimedb=harness_config.module is not None)
    try:
        running = Stack(options).start()
    except DockerUnavailable as exc:
        if _containers_required(request.config):
            pytest.fail(f"the real-container tier must run here, but: {exc}", pytrace=False)
        harness_session(request.config).container_skips.append(str(exc.message))
        pytest.skip(f"NO DOCKER - container test NOT RUN: {exc.message}")
    except HarnessError as exc:
        pytest.fail(f"harness error (not a contract violation): {exc}", pytrace=False)
    yield running
    running.close()


@pytest.fixture(scope="session")
def module_wasm(request: pytest.FixtureRequest,
                harness_config: HarnessConfig) -> BuiltModule | None:
    """The configured module compiled for wasm32: the preflight's build where it ran, else
    built now (cargo skips the work when unchanged); None for a target without a module."""
    prepared = harness_session(request.config).prepared
    if prepared is not None and prepared.module is not None:
        return prepared.module
    try:
        return configured_wasm(harness_config)
    except HarnessError as exc:
        pytest.fail(f"harness error (not a contract violation): {exc}", pytrace=False)


@pytest.fixture
def database(stack: Stack, module_wasm: BuiltModule | None) -> Database:
    """A freshly published module under test, owned by a fresh identity."""
    if module_wasm is None:
        pytest.skip("not applicable: the target has no module")
    return stack.publish(module_wasm)


@pytest.fixture(scope="session")
def run_environment(request: pytest.FixtureRequest, stack: Stack,
                    module_wasm: BuiltModule | None,
                    harness_config: HarnessConfig) -> Iterator[RunEnvironment]:
    """The configured target, assembled in the session's stack."""
    try:
        target = assemble(harness_config, stack, module_wasm)
        target = _prepared(target, stack, module_wasm)
    except HarnessError as exc:
        pytest.fail(f"harness error (not a contract violation): {exc}", pytrace=False)
    session = harness_session(request.config)
    session.target_pins = {**target.pins, "spacetimedb": stack.describe_server()}
    environment = RunEnvironment(stack, target, module_wasm)
    session.lacking = {c.value: list(RULES_NEEDING[c]) for c in sorted(Capability)
                       if c not in environment.capabilities}
    session.lacking |= {part: coverage.rules_needing(part) for part in sorted(target.absent)}
    if session.mutant is not None:
        session.target_pins["mutant"] = session.mutant.name
    yield environment
    closing = getattr(target.control, "close", None)
    if callable(closing):
        closing()


def _prepared(target: Target, stack: Stack, module: BuiltModule | None) -> Target:
    """The target as its published module is: what the module lacks of the contract is
    known, and a description that does not fit the module (a table or column it does not
    have) ends the session before any scenario, exit 2, with the module's own names."""
    if target.module is None or module is None:
        return target
    prepared = target.module.prepare(stack.publish(module))
    if prepared.problems:
        pytest.exit("stdb-harness: the configuration does not fit the module "
                    f"{module.path.name}:\n  " + "\n  ".join(prepared.problems),
                    returncode=pytest.ExitCode.USAGE_ERROR)
    publisher = target.publisher
    if isinstance(publisher, StubPublisher) and prepared.mapping is not None:
        publisher = dataclasses.replace(publisher, wiring=publisher_wiring(prepared.mapping))
    return dataclasses.replace(target, absent=prepared.absent, publisher=publisher)


def repro_command(config: pytest.Config, harness: HarnessConfig) -> str:
    """The command that replays a scenario ID against this same target (the CLI's, whose
    options are the plugin's without their `stdb-` prefix, but for --stdb-url and
    --stdb-image)."""
    parts = ["stdb-harness repro '{id}'", f"--config {harness.path}"]
    session = harness_session(config)
    if session.mutant is not None:
        parts.append(f"--mutant {session.mutant.name}")
    for option, cli in (("--stdb-url", "--stdb-url"), ("--stdb-image", "--stdb-image"),
                        ("--stdb-module-features", "--module-features")):
        value = config.getoption(option)
        if value:
            parts.append(f"{cli} {value}")
    return " ".join(parts)


@pytest.fixture(scope="session")
def judge(request: pytest.FixtureRequest, run_environment: RunEnvironment,
          harness_config: HarnessConfig) -> Judge:
    """Runs and checks scenarios against the configured target."""
    session = harness_session(request.config)
    session.judged = True
    session.reports_dir.mkdir(parents=True, exist_ok=True)  # the suite runs: reports/ now
    goldens = harness_config.golden if session.profile.name != "repro" else None
    fixed = harness_config.event_time
    return Judge(run_environment, session.reports_dir, session.recorder, goldens,
                 repro_command(request.config, harness_config), session.profile,
                 session.shrink_budget, epoch_ms=event_epoch_ms(fixed, session.started),
                 golden_epoch_ms=fixed if fixed is not None else EPOCH_MS)


def event_epoch_ms(fixed: int | None, started: float) -> int:
    """When a generated scenario's first event is published: the configured base, or the
    run's start to the second (None), so that a module comparing an event's time with its
    reducer clock sees events of now, and a replay of an ID keeps the same offsets."""
    return fixed if fixed is not None else int(started) * 1000


@pytest.fixture(scope="session")
def stdb_hypothesis_settings(request: pytest.FixtureRequest) -> settings:
    """The profile's Hypothesis settings, for a suite test that hands Hypothesis settings
    itself (the state machine's `run_state_machine_as_test`): derive from these."""
    chosen = harness_session(request.config).hypothesis
    if chosen is None:
        pytest.fail("harness error (not a contract violation): no harness session",
                    pytrace=False)
    return chosen


@pytest.fixture(autouse=True)
def _needs_capabilities(request: pytest.FixtureRequest) -> None:
    """A test marked `needs(...)` is not applicable to a target lacking a capability."""
    marker = request.node.get_closest_marker("needs")
    if marker is None or not harness_session(request.config).active:
        return
    judge: Judge = request.getfixturevalue("judge")
    lacking = not_applicable(set(marker.args), judge.env.capabilities)
    if lacking is not None:
        harness_session(request.config).mark_not_applicable(request.node.nodeid, lacking)
        pytest.skip(lacking.explain())


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, object, object]:
    """The suite's Hypothesis tests run under the profile's settings, theirs alone (outermost,
    so that Hypothesis's own plugin, which reads them in this hook too, sees them)."""
    session = harness_session(item.config)
    if not session.active:
        return (yield)
    session.recorder.current = item.nodeid
    test = getattr(item, "obj", None)
    ours = session.hypothesis is not None and is_hypothesis_test(test) and _in_suite(item.path)
    try:
        if ours and session.hypothesis is not None:
            with use_settings(test, session.hypothesis):
                return (yield)
        return (yield)
    except ScenarioNotApplicable as exc:
        harness_session(item.config).mark_not_applicable(item.nodeid, exc.lacking)
        pytest.skip(str(exc))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item,
                              call: pytest.CallInfo[None]
                              ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Name the target and the (shrunk) failing scenario in JUnit properties; keep only the
    shrunk scenario's artefacts; show a contract violation as its short block per bug."""
    report = yield
    session = harness_session(item.config)
    if call.when != "call" or not session.active:
        return report
    raised = raised_violations(call.excinfo.value) if call.excinfo is not None else []
    if raised and report.failed:
        report.longrepr = console.blocks([console.Bug(
            v.scenario.id, v.scenario.property, v.verdict.violations, str(v.artefacts), v.repro)
            for v in raised])
    if call.excinfo is not None and isinstance(call.excinfo.value, HarnessAbort):
        # harness/aborts.py: the harness could not run an example; no traceback, no shrink
        report.longrepr = f"harness error (not a contract violation): {call.excinfo.value.error}"
        session.aborted.add(item.nodeid)
    cut = session.shrink_budget.cut(item.nodeid)
    if cut is not None:
        session.shrink_cuts.append(cut)
        item.user_properties.append(("shrink_budget_cut", _cut_text(cut)))
    records = session.recorder.for_test(item.nodeid)
    if session.judged:
        for key, value in sorted(session.target_pins.items()):
            item.user_properties.append((f"target.{key}", value))
    finals = distinct_failures(records)  # one per defect, each shrunk where it led
    for defect, final in finals:
        item.user_properties.append(("scenario_id", final.scenario_id))
        item.user_properties.append(("defect", defect))
        item.user_properties.append(("rules", ",".join(final.broken_rules)))
    kept = {final.artefacts for _, final in finals}
    for record in records:
        if not record.ok and record.artefacts and record.artefacts not in kept:
            shutil.rmtree(record.artefacts, ignore_errors=True)
    if records:
        item.user_properties.append(("scenarios_judged", str(len(records))))
        item.user_properties.append(("events_checked", str(sum(r.events for r in records))))
    return report


def _cut_text(cut: Cut) -> str:
    return (f"shrinking stopped by the {cut.budget_s:g} s shrink budget "
            f"({cut.answered} candidate scenarios answered without running); "
            "the counterexample shown is the smallest found by then")


def raised_violations(error: BaseException) -> list[ContractViolation]:
    """The contract violations a test raised: one, or each of a group (Hypothesis raises an
    ExceptionGroup when it found several distinct bugs). Empty when anything else was
    raised too: a harness error keeps pytest's whole report, traceback included."""
    if isinstance(error, ContractViolation):
        return [error]
    if isinstance(error, BaseExceptionGroup):
        found = [raised_violations(inner) for inner in error.exceptions]
        return [v for group in found for v in group] if all(found) else []
    return []


class ResultCollector:
    """One summary row per test: passed, violation, harness error, not applicable, skipped.

    A plugin object of its own because `pytest_runtest_logreport` is given no config, and
    the rows belong to this session's state."""

    def __init__(self, config: pytest.Config, session: HarnessSession) -> None:
        self.config = config
        self.session = session

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if not (report.when == "call" or (report.when == "setup" and not report.passed)):
            return
        if _is_xdist_controller(self.config):
            return  # the workers' own rows (with their records) arrive in testnodedown
        records = self.session.recorder.for_test(report.nodeid)
        reason = str(report.longrepr[2]) if isinstance(report.longrepr, tuple) else ""
        lacking = self.session.not_applicable.get(report.nodeid)
        if report.passed:
            outcome = "passed"
        elif report.skipped:
            outcome = "not_applicable" if lacking is not None else "skipped"
        elif report.nodeid in self.session.aborted:
            outcome = "error"  # whatever it found before: the harness could not finish
        elif any(not r.ok for r in records):
            outcome = "violation"
        else:
            outcome = "error"
        message = "" if report.passed else (reason or str(report.longreprtext))
        if outcome == "violation":
            message = _violation_message(report.longreprtext)
        result = summary.TestResult(report.nodeid, outcome, report.duration, message, records)
        if lacking is not None and report.skipped:
            result.lacks = sorted(c.value for c in lacking.missing)
            result.unjudged_rules = list(lacking.rules)
        self.session.results.append(result)


def _violation_message(text: str) -> str:
    """From a failure's long text, the part our ContractViolation wrote (ID first)."""
    start = text.rfind("SCENARIO ID: ")
    return text[start:].split("\n\n", maxsplit=1)[0] if start >= 0 else text


def _is_xdist_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def _is_xdist_controller(config: pytest.Config) -> bool:
    return not _is_xdist_worker(config) and getattr(config.option, "dist", "no") != "no"


def worker_output(state: HarnessSession) -> dict[str, object]:
    """What a worker hands the controller: JSON-serialisable, as execnet requires."""
    return {"judged": state.judged, "started": state.started,
            "results": summary.results_to_json(state.results),
            "target_pins": dict(state.target_pins),
            "lacking": {name: list(rules) for name, rules in state.lacking.items()},
            "container_skips": list(state.container_skips),
            "shrink_cuts": [[c.test, c.budget_s, c.answered] for c in state.shrink_cuts]}


def merge_worker_output(state: HarnessSession, output: dict[str, Any]) -> None:
    """Fold one worker's rows into the controller's session (pytest_testnodedown)."""
    state.results.extend(summary.results_from_json(str(output["results"])))
    state.judged = state.judged or bool(output["judged"])
    state.target_pins.update(output["target_pins"])
    state.lacking.update(output["lacking"])
    state.container_skips.extend(output["container_skips"])
    state.shrink_cuts.extend(Cut(str(test), float(budget), int(answered))
                             for test, budget, answered in output.get("shrink_cuts", []))


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    """pytest-xdist: a worker finished; its rows join the controller's summary."""
    output = getattr(node, "workeroutput", {}).get(WORKER_OUTPUT)
    if output is not None and harness_session(node.config).active:
        merge_worker_output(harness_session(node.config), output)


def pytest_sessionfinish(session: pytest.Session) -> None:
    state = harness_session(session.config)
    if not state.active:
        return
    if _is_xdist_worker(session.config):
        workeroutput: dict[str, object] = getattr(session.config, "workeroutput")  # noqa: B009
        workeroutput[WORKER_OUTPUT] = worker_output(state)
        return  # only the controller writes the summary
    if not state.judged:
        return
    rows = clause_rows(state)
    built = summary.build(state.profile.name, state.started, state.results, state.target_pins,
                          state.lacking, clauses=rows, run=run_facts(session.config, state))
    built["shrink_budget"] = {
        "seconds": state.shrink_budget.seconds,
        "cut": [{"test": c.test, "budget_s": c.budget_s, "answered": c.answered}
                for c in state.shrink_cuts]}
    summary.write(state.reports_dir, built)
    unexercised = coverage.never_exercised(rows)
    if unexercised and state.profile.name == "nightly" and session.exitstatus == 0:
        # A clause that applies to the target but that no scenario reached is a gap in the
        # night's search, not a pass: fail, so that it is seen and closed.
        state.unexercised = unexercised
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def run_facts(config: pytest.Config, state: HarnessSession) -> dict[str, str]:
    """When and with what a run judged: what a report must say for a verdict to be
    compared with another, or replayed, months later."""
    seed = config.getoption("hypothesis_seed", None)
    return {
        "started_at": _instant(state.started),
        "finished_at": _instant(time.time()),
        "profile": state.profile.name,
        "seed": (str(seed) if seed is not None else
                 "derandomized (the same examples every run)" if state.profile.derandomize
                 else "fresh per property (pin one with --seed)"),
        "stdb-harness": _version("stdb-harness"),
        "hypothesis": _version("hypothesis"),
        "pytest": _version("pytest"),
        "python": platform.python_version(),
        "spacetimedb": state.target_pins.get("spacetimedb", "not started"),
        "shrink budget": _budget_text(state),
        "event times": _event_time_text(state),
    }


def _event_time_text(state: HarnessSession) -> str:
    fixed = state.config.event_time if state.config is not None else EPOCH_MS
    if fixed is None:
        return (f"relative to the run's start: first event at {_instant(int(state.started))} "
                "(event_time = \"run-start\"; a replay keeps each event's offset)")
    return (f"fixed: first event at {_instant(fixed / 1000)}"
            + (" (the default)" if fixed == EPOCH_MS else " (event_time)"))


def _budget_text(state: HarnessSession) -> str:
    seconds = state.shrink_budget.seconds
    if seconds is None:
        return "none (Hypothesis's own limits)"
    cut = sorted({c.test for c in state.shrink_cuts})
    return (f"{seconds:g} s per test after its first violation; "
            + (f"cut shrinking short in {', '.join(cut)} (the smallest counterexample found "
               "by then is shown)" if cut else "no shrink was cut short"))


def _instant(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds")


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def clause_rows(state: HarnessSession) -> list[dict[str, Any]]:
    """The coverage matrix of the run: every clause, its counts, and whether it applies."""
    exercised: Counter[str] = Counter()
    violated: Counter[str] = Counter()
    unreached: Counter[str] = Counter()
    for result in state.results:
        for record in result.records:
            exercised.update(record.exercised)
            violated.update(record.violated_clauses)
            unreached.update(record.unreached)
    has = [c for c in Capability if c.value not in state.lacking]
    absolute = state.target_pins.get("contract.absolute", "").split()
    absent = [name for name in state.lacking if name.startswith("module.tables.")]
    return coverage.matrix(exercised, violated, unreached, has, absolute, absent=absent)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    state = harness_session(terminalreporter.config)
    if not state.active:
        return
    for cut in state.shrink_cuts:
        terminalreporter.write_line(f"stdb-harness: {cut.test}: {_cut_text(cut)}", yellow=True)
    if state.container_skips:
        terminalreporter.write_sep("!", "REAL-CONTAINER TESTS DID NOT RUN", red=True, bold=True)
        terminalreporter.write_line(f"reason: {state.container_skips[0]}", red=True)
        terminalreporter.write_line("every `container` test above was skipped; "
                                    "this run proves nothing about the server", red=True)
    if state.unexercised:
        terminalreporter.write_sep("!", "CLAUSES NEVER EXERCISED", red=True, bold=True)
        terminalreporter.write_line(
            f"{len(state.unexercised)} clause(s) apply to this target but no scenario reached "
            f"them: {', '.join(state.unexercised)}", red=True)
    if state.judged and state.target_pins:
        terminalreporter.write_line(
            f"stdb-harness judged target {state.target_pins.get('target', '?')} "
            f"({state.target_pins.get('config', '?')}); summary: "
            f"{state.reports_dir / 'summary.html'}")

