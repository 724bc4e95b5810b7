"""The harness as a pytest plugin: options, the configured target, the session's containers.

Loaded through the `pytest11` entry point, so installing the wheel in a user's project is
enough: their `[tool.stdb-harness]` names the system under test, and a plain `pytest` there
runs the conformance suite against it. Everything a session accumulates (configuration,
profile, records, results) lives on the pytest config's stash, as syrupy keeps its session,
so nothing here is process-global.

One SpacetimeDB per session, one fresh database per example. Under pytest-xdist every
worker is a session of its own (its own SpacetimeDB and state); workers hand their rows
to the controller through `workeroutput`, and only the controller writes the summary.
`--shard i/n` keeps this job's share of the items (harness/shards.py). Tests that need containers
skip where Docker is missing, and say so in a banner at the end, because a quiet skip
would read as a pass; in CI (`CI` set) or with `--require-containers` that is an error.
"""

from __future__ import annotations

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

from harness import suite
from harness.checks import coverage
from harness.config.assemble import assemble, configured_wasm
from harness.config.load import load_config, parse_config
from harness.config.model import HarnessConfig, MutantConfig
from harness.conformance import ContractViolation, Judge, ScenarioNotApplicable
from harness.env.built_module import BuiltModule
from harness.env.stack import Database, Stack, StackOptions
from harness.errors import DockerUnavailable, HarnessError
from harness.profiles import PROFILES, Profile, activate
from harness.reports import console, summary
from harness.reports.allure_labels import label_not_applicable
from harness.reports.records import Recorder, distinct_failures
from harness.runner.applicability import NotApplicable, not_applicable
from harness.runner.environment import RunEnvironment
from harness.scenario.files import curated, find
from harness.scenario.ids import decode, is_generated_id
from harness.scenario.model import Scenario
from harness.shards import Shard, parse_shard
from harness.targets.capabilities import RULES_NEEDING, Capability


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
    group.addoption("--config", default=None,
                    help="the harness configuration: a stdb-harness.toml or a pyproject.toml "
                         "with [tool.stdb-harness] (default: the nearest one)")
    group.addoption("--stdb-url", default=None,
                    help="use this running SpacetimeDB instead of starting a container")
    group.addoption("--stdb-image", default=None,
                    help="start this SpacetimeDB image instead of the one built here")
    group.addoption("--require-containers", action="store_true", default=False,
                    help="fail (not skip) container tests when Docker is missing; implied by CI")
    group.addoption("--profile", default="pr", choices=sorted(PROFILES),
                    help="pr (derandomized gate), nightly (fresh seed, faults), repro")
    group.addoption("--scenario", default=None,
                    help="run only this scenario: a curated ID or a generated stdb1.* ID")
    group.addoption("--reports-dir", default=None,
                    help="where summaries and per-scenario artefacts go (default: reports/ "
                         "beside the configuration)")
    group.addoption("--module-features", default="",
                    help="comma-separated Cargo features of the module crate")
    group.addoption("--mutant", default=None,
                    help="run against a deliberately broken variant declared in the config")
    group.addoption("--run-mutants", action="store_true", default=False,
                    help="also run the (slow) mutant matrix test outside CI")
    group.addoption("--max-examples", type=int, default=None,
                    help="generated examples per property (default: the profile's)")
    group.addoption("--shard", default=None, metavar="I/N",
                    help="run only shard I of N: a disjoint, stable share of the items "
                         "(by a hash of the node id), for N parallel CI jobs")
    group.addoption("--example-db", default=None, metavar="REDIS_URL",
                    help="keep Hypothesis's example database in this Redis "
                         "(redis://host:port/N), shared by shards and machines; "
                         "randomized profiles only (nightly)")


def _load(config: pytest.Config) -> tuple[HarnessConfig | None, HarnessError | None,
                                           MutantConfig | None]:
    explicit = config.getoption("--config")
    try:
        loaded = load_config(Path(explicit) if explicit else None,
                             Path(config.invocation_params.dir))
        overrides: dict[str, object] = {}
        mutant = None
        if config.getoption("--mutant"):
            name = config.getoption("--mutant")
            if name not in loaded.mutants:
                raise HarnessError(f"unknown mutant {name!r}",
                                   f"mutants in {loaded.path}: {', '.join(sorted(loaded.mutants))}")
            mutant = loaded.mutants[name]
            overrides |= mutant.overrides
        features = [f for f in config.getoption("--module-features").split(",") if f]
        if features and loaded.module_source is not None:
            overrides["module.features"] = [*loaded.module_source.features, *features]
        if overrides:
            loaded = parse_config(loaded.path, loaded.raw, overrides)
    except HarnessError as exc:
        return None, exc, None
    return loaded, None, mutant


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "container: needs Docker and the SpacetimeDB image "
                            "(the real tier)")
    config.addinivalue_line("markers", "needs(*capabilities): not applicable to a target "
                            "that lacks any of these capabilities")
    loaded, error, mutant = _load(config)
    if config.getoption("--mutant") and error is not None:
        raise pytest.UsageError(str(error))
    explicit = config.getoption("--reports-dir")
    root = loaded.root if loaded is not None else Path(config.invocation_params.dir)
    reports = Path(explicit) if explicit else root / "reports"
    reports.mkdir(parents=True, exist_ok=True)
    try:
        shard_option = config.getoption("--shard")
        shard = parse_shard(shard_option) if shard_option is not None else None
        example_db = config.getoption("--example-db")
        if example_db is not None and config.getoption("hypothesis_seed", None) is not None:
            raise HarnessError("--example-db with --hypothesis-seed: a pinned seed turns "
                               "Hypothesis's example database off", "drop one of the two")
        profile = activate(config.getoption("--profile"), reports,
                           config.getoption("--max-examples"), example_db)
    except HarnessError as exc:
        raise pytest.UsageError(f"stdb-harness: {exc}") from exc
    state = HarnessSession(loaded, error, profile, reports, mutant, shard=shard)
    config.stash[SESSION] = state
    config.pluginmanager.register(ResultCollector(config, state), "stdb-harness-results")
    _add_suite(config, loaded)


def _add_suite(config: pytest.Config, loaded: HarnessConfig | None) -> None:
    """Collect the conformance suite in a project that has a harness config and ran pytest
    without naming paths: installing the plugin is how a user gets the suite."""
    suite_dir = str(Path(suite.__file__).parent)
    if loaded is None or config.args_source is pytest.Config.ArgsSource.ARGS:
        return
    if not any(Path(arg).resolve() == Path(suite_dir) for arg in config.args):
        config.args.append(suite_dir)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize `curated_scenario` with the configured folder's scenarios of PROPERTY."""
    if "curated_scenario" not in metafunc.fixturenames:
        return
    session = harness_session(metafunc.config)
    wanted = getattr(metafunc.module, "PROPERTY", None)
    folder = session.config.scenarios if session.config is not None else None
    try:
        found = curated(wanted, folder) if folder is not None else []
    except HarnessError as exc:
        raise pytest.UsageError(f"stdb-harness: {exc}") from exc
    metafunc.parametrize("curated_scenario", found, ids=[s.id for s in found])


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """With --scenario only the replay test runs; without it the replay test is dropped.
    With --shard i/n only this shard's items run (every xdist worker computes the same)."""
    replaying = config.getoption("--scenario") is not None
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
    return item.name.startswith("test_replay_scenario")


@pytest.fixture
def requested_scenario(request: pytest.FixtureRequest) -> Scenario:
    """The scenario named by --scenario: a curated file, or decoded from a generated ID."""
    wanted: str = request.config.getoption("--scenario")
    session = harness_session(request.config)
    try:
        if is_generated_id(wanted):
            return decode(wanted)
        config = session.require_config()
        scenario = find(wanted, config.scenarios) if config.scenarios is not None else None
        if scenario is None:
            raise HarnessError(f"no scenario {wanted!r} in {config.scenarios}",
                               "pass a curated scenario's file name (without .json) or a "
                               "stdb1.* ID")
        return scenario
    except HarnessError as exc:
        pytest.fail(f"harness error (not a contract violation): {exc}", pytrace=False)


def _containers_required(config: pytest.Config) -> bool:
    return bool(config.getoption("--require-containers")) or bool(os.environ.get("CI"))


@pytest.fixture(scope="session")
def harness_config(request: pytest.FixtureRequest) -> HarnessConfig:
    """The configuration of the target under test (--config, or the nearest one)."""
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
def module_wasm(harness_config: HarnessConfig) -> BuiltModule | None:
    """The configured module compiled for wasm32 (cargo skips the work when unchanged);
    None for a target without a module."""
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


def repro_command(config: pytest.Config, harness: HarnessConfig) -> str:
    """The command that replays a scenario ID against this same target."""
    parts = ["stdb-harness repro '{id}'", f"--config {harness.path}"]
    session = harness_session(config)
    if session.mutant is not None:
        parts.append(f"--mutant {session.mutant.name}")
    for option in ("--stdb-url", "--stdb-image", "--module-features"):
        value = config.getoption(option)
        if value:
            parts.append(f"{option} {value}")
    return " ".join(parts)


@pytest.fixture(scope="session")
def judge(request: pytest.FixtureRequest, run_environment: RunEnvironment,
          harness_config: HarnessConfig) -> Judge:
    """Runs and checks scenarios against the configured target."""
    session = harness_session(request.config)
    session.judged = True
    goldens = harness_config.golden if session.profile.name != "repro" else None
    return Judge(run_environment, session.reports_dir, session.recorder, goldens,
                 repro_command(request.config, harness_config), session.profile)


@pytest.fixture(autouse=True)
def _needs_capabilities(request: pytest.FixtureRequest) -> None:
    """A test marked `needs(...)` is not applicable to a target lacking a capability."""
    marker = request.node.get_closest_marker("needs")
    if marker is None:
        return
    judge: Judge = request.getfixturevalue("judge")
    lacking = not_applicable(set(marker.args), judge.env.capabilities)
    if lacking is not None:
        harness_session(request.config).mark_not_applicable(request.node.nodeid, lacking)
        pytest.skip(lacking.explain())


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, object, object]:
    harness_session(item.config).recorder.current = item.nodeid
    try:
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
    if call.when != "call":
        return report
    raised = raised_violations(call.excinfo.value) if call.excinfo is not None else []
    if raised and report.failed:
        report.longrepr = console.blocks([console.Bug(
            v.scenario.id, v.scenario.property, v.verdict.violations, str(v.artefacts), v.repro)
            for v in raised])
    session = harness_session(item.config)
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
            "container_skips": list(state.container_skips)}


def merge_worker_output(state: HarnessSession, output: dict[str, Any]) -> None:
    """Fold one worker's rows into the controller's session (pytest_testnodedown)."""
    state.results.extend(summary.results_from_json(str(output["results"])))
    state.judged = state.judged or bool(output["judged"])
    state.target_pins.update(output["target_pins"])
    state.lacking.update(output["lacking"])
    state.container_skips.extend(output["container_skips"])


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    """pytest-xdist: a worker finished; its rows join the controller's summary."""
    output = getattr(node, "workeroutput", {}).get(WORKER_OUTPUT)
    if output is not None:
        merge_worker_output(harness_session(node.config), output)


def pytest_sessionfinish(session: pytest.Session) -> None:
    state = harness_session(session.config)
    if _is_xdist_worker(session.config):
        workeroutput: dict[str, object] = getattr(session.config, "workeroutput")  # noqa: B009
        workeroutput[WORKER_OUTPUT] = worker_output(state)
        return  # only the controller writes the summary
    if not state.judged:
        return
    rows = clause_rows(state)
    built = summary.build(state.profile.name, state.started, state.results, state.target_pins,
                          state.lacking, clauses=rows, run=run_facts(session.config, state))
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
    }


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

