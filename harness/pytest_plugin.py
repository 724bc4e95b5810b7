"""The harness as a pytest plugin: options, the session's containers, fresh databases.

One SpacetimeDB per session (starting it costs seconds; publishing a module costs
milliseconds), one fresh database per test or example. Tests that need containers
carry the `container` marker. Where Docker is missing they skip, and say so in a
banner at the end of the run, because a quiet skip would read as a pass. In CI
(`CI` set) or with `--require-containers` a missing Docker is an error instead:
the real tier must run there.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Generator, Iterator
from pathlib import Path

import pytest

from harness.conformance import Judge
from harness.env.cache import repo_root
from harness.env.module_build import build_module
from harness.env.services import ServiceContainer
from harness.env.stack import Database, Stack, StackOptions
from harness.errors import DockerUnavailable, HarnessError
from harness.profiles import PROFILES, activate
from harness.reports import summary
from harness.reports.records import RECORDER
from harness.runner.environment import RunEnvironment
from harness.scenario.files import curated, find
from harness.scenario.ids import decode, is_generated_id
from harness.scenario.model import Scenario
from harness.targets.mutants import Mutant, mutant

_container_skips: list[str] = []
_results: list[summary.TestResult] = []
_started = time.time()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("stdb-harness")
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
                         "under pytest's rootdir)")
    group.addoption("--module-features", default="",
                    help="comma-separated Cargo features of the module (mutants are features)")
    group.addoption("--mutant", default=None,
                    help="run against a deliberately broken variant (harness/targets/mutants.py)")
    group.addoption("--run-mutants", action="store_true", default=False,
                    help="also run the (slow) mutant matrix test outside CI")
    group.addoption("--max-examples", type=int, default=None,
                    help="generated examples per property (default: the profile's)")


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("--reports-dir") is None:
        # The project being tested (this checkout, or whichever project installed the plugin),
        # never the folder the harness package itself is installed in.
        config.option.reports_dir = str(config.rootpath / "reports")
    reports = Path(config.getoption("--reports-dir"))
    reports.mkdir(parents=True, exist_ok=True)
    activate(config.getoption("--profile"), reports, config.getoption("--max-examples"))


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize `curated_scenario` with the curated files of the module's PROPERTY."""
    if "curated_scenario" not in metafunc.fixturenames:
        return
    wanted = getattr(metafunc.module, "PROPERTY", None)
    found = curated(wanted)
    metafunc.parametrize("curated_scenario", found, ids=[s.id for s in found])


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """With --scenario only the replay test runs; without it the replay test is dropped."""
    replaying = config.getoption("--scenario") is not None
    keep = [item for item in items if _is_replay(item) == replaying]
    dropped = [item for item in items if _is_replay(item) != replaying]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep


def _is_replay(item: pytest.Item) -> bool:
    return item.name.startswith("test_replay_scenario")


@pytest.fixture
def requested_scenario(request: pytest.FixtureRequest) -> Scenario:
    """The scenario named by --scenario: a curated file, or decoded from a generated ID."""
    wanted: str = request.config.getoption("--scenario")
    try:
        return decode(wanted) if is_generated_id(wanted) else _curated_or_fail(wanted)
    except HarnessError as exc:
        pytest.fail(f"harness error (not a contract violation): {exc}", pytrace=False)


def _curated_or_fail(scenario_id: str) -> Scenario:
    scenario = find(scenario_id)
    if scenario is None:
        raise HarnessError(f"no scenario {scenario_id!r}",
                           "pass a file name from scenarios/ (without .json) or a stdb1.* ID")
    return scenario


def _containers_required(config: pytest.Config) -> bool:
    return bool(config.getoption("--require-containers")) or bool(os.environ.get("CI"))


def _selected_mutant(config: pytest.Config) -> Mutant | None:
    name = config.getoption("--mutant")
    if not name:
        return None
    try:
        return mutant(name)
    except HarnessError as exc:
        pytest.fail(f"harness error: {exc}", pytrace=False)


@pytest.fixture(scope="session")
def stack(request: pytest.FixtureRequest) -> Iterator[Stack]:
    """The session's SpacetimeDB, started once and removed at the end."""
    selected = _selected_mutant(request.config)
    options = StackOptions(
        stdb_url=request.config.getoption("--stdb-url"),
        stdb_image=request.config.getoption("--stdb-image"),
        control_mutant=selected.control_mutant if selected else None,
        runtime_mutant=selected.runtime_mutant if selected else None,
    )
    try:
        running = Stack(options).start()
    except DockerUnavailable as exc:
        if _containers_required(request.config):
            pytest.fail(f"the real-container tier must run here, but: {exc}", pytrace=False)
        _container_skips.append(str(exc.message))
        pytest.skip(f"NO DOCKER - container test NOT RUN: {exc.message}")
    except HarnessError as exc:
        pytest.fail(f"harness error (not a contract violation): {exc}", pytrace=False)
    yield running
    running.close()


@pytest.fixture(scope="session")
def reference_wasm(request: pytest.FixtureRequest) -> Path:
    """The module under test compiled for wasm32 (cargo skips the work when unchanged).

    The reference by default; `--module-features` selects a variant such as a mutant."""
    features = [f for f in request.config.getoption("--module-features").split(",") if f]
    selected = _selected_mutant(request.config)
    if selected is not None and selected.module_feature:
        features.append(selected.module_feature)
    try:
        return build_module(repo_root() / "projectors" / "reference", features)
    except HarnessError as exc:
        pytest.fail(f"harness error (not a contract violation): {exc}", pytrace=False)


@pytest.fixture
def database(stack: Stack, reference_wasm: Path) -> Database:
    """A freshly published reference module, owned by a fresh identity."""
    return stack.publish(reference_wasm)


@pytest.fixture(scope="session")
def control_url(stack: Stack) -> str:
    """Base URL of the stub control service container (sync-token routes, §7)."""
    try:
        return stack.control().url
    except HarnessError as exc:
        pytest.fail(f"harness error (not a contract violation): {exc}", pytrace=False)


@pytest.fixture(scope="session")
def runtime_service(stack: Stack) -> ServiceContainer:
    """The stub runtime container (journal and publisher, §1, §2, §5)."""
    try:
        return stack.runtime()
    except HarnessError as exc:
        pytest.fail(f"harness error (not a contract violation): {exc}", pytrace=False)


@pytest.fixture(scope="session")
def judge(request: pytest.FixtureRequest, stack: Stack, reference_wasm: Path) -> Judge:
    """Runs and checks scenarios against the reference target (or the one selected)."""
    selected = _selected_mutant(request.config)
    env = RunEnvironment(stack, reference_wasm,
                         client_mutant=selected.client_mutant if selected else None)
    return Judge(env,
                 Path(request.config.getoption("--reports-dir")),
                 check_goldens=request.config.getoption("--profile") != "repro")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, object, object]:
    RECORDER.current = item.nodeid
    return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item,
                              call: pytest.CallInfo[None]
                              ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Name the (shrunk) failing scenario in JUnit properties; keep only its artefacts."""
    report = yield
    if call.when != "call":
        return report
    records = RECORDER.for_test(item.nodeid)
    failing = [record for record in records if not record.ok]
    if failing:
        final = failing[-1]  # Hypothesis replays the shrunk example last
        item.user_properties.append(("scenario_id", final.scenario_id))
        item.user_properties.append(("rules", ",".join(sorted({str(v["rule"])
                                                               for v in final.violations}))))
        for earlier in failing[:-1]:
            if earlier.artefacts and earlier.artefacts != final.artefacts:
                shutil.rmtree(earlier.artefacts, ignore_errors=True)
    if records:
        item.user_properties.append(("scenarios_judged", str(len(records))))
        item.user_properties.append(("events_checked", str(sum(r.events for r in records))))
    return report


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """One summary row per test: passed, violation, harness error or skipped."""
    if report.when == "call" or (report.when == "setup" and not report.passed):
        records = RECORDER.for_test(report.nodeid)
        if report.passed:
            outcome = "passed"
        elif report.skipped:
            outcome = "skipped"
        elif any(not r.ok for r in records):
            outcome = "violation"
        else:
            outcome = "error"
        message = "" if report.passed else str(report.longreprtext)[-4000:]
        if outcome == "violation":
            message = _violation_message(report.longreprtext)
        _results.append(summary.TestResult(report.nodeid, outcome, report.duration, message,
                                           records))


def _violation_message(text: str) -> str:
    """From a failure's long text, the part our ContractViolation wrote (ID first)."""
    start = text.rfind("SCENARIO ID: ")
    return text[start:].split("\n\n", maxsplit=1)[0] if start >= 0 else text[-4000:]


def pytest_sessionfinish(session: pytest.Session) -> None:
    if not _results or not any("harness/suite" in r.nodeid for r in _results):
        return
    config = session.config
    built = summary.build(config.getoption("--profile"), _started, _results)
    summary.write(Path(config.getoption("--reports-dir")), built)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _container_skips:
        terminalreporter.write_sep("!", "REAL-CONTAINER TESTS DID NOT RUN", red=True, bold=True)
        terminalreporter.write_line(f"reason: {_container_skips[0]}", red=True)
        terminalreporter.write_line("every `container` test above was skipped; "
                                    "this run proves nothing about the server", red=True)
