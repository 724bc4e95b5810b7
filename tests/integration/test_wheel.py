"""The harness installs from a wheel into someone else's project and works there as a pytest
plugin (no Docker: nothing here starts a container or builds an image), and, with Docker, runs
the conformance suite there for real (the one `container` test at the end).

The wheel is built from a copy of the tracked files (so no stale `build/` folder and nothing
untracked can slip in, and the checkout is not written to), installed with `--no-deps` into a
fresh virtual environment. That environment sees this environment's third-party packages
through a folder of links that leaves out everything of stdb-harness itself (its packages,
its dist-info, its editable-install hooks), so the only `harness`, `stub` and `stdb_harness`
entry point it can find are the wheel's; this keeps the test to seconds and off the network
after the build. Every step's wall time is printed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import time
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

import pytest

from harness.env import stub_image
from harness.env.built_module import BuiltModule
from harness.env.docker_client import docker_client
from harness.env.image_build import image_folder
from harness.env.labels import RUN_LABEL
from harness.env.recipe import context_digest
from harness.errors import DockerUnavailable

pytestmark = pytest.mark.packaging

ROOT = Path(__file__).resolve().parents[2]

WHEEL_MUST_HOLD = (
    "harness/pytest_plugin.py",
    "harness/contract/rules.py",
    "harness/env/images/spacetimedb/Dockerfile",
    "harness/env/images/spacetimedb/start-spacetimedb",
    "harness/env/images/stub/Dockerfile",
    "harness/drivers/runtime_pb2.py",
    "harness/drivers/runtime_pb2.pyi",
    "stub/__init__.py",
    "stub/runtime/__main__.py",
    "stub/control/__main__.py",
    "stub/proto/runtime.proto",
    "stub/proto/runtime_pb2.py",
    "stub/proto/runtime_pb2.pyi",
)

# What the installed copy reports about itself: where it is imported from, where its image
# files are, and the stub image's tag digest (which must equal the checkout's).
PROBE = """
import json, os
from pathlib import Path
import harness, stub
from harness.env import stub_image
from harness.env.image_build import image_folder
from harness.env.recipe import context_digest
files = {"Dockerfile": image_folder("stub") / "Dockerfile", **stub_image._source_files()}
start = image_folder("spacetimedb") / "start-spacetimedb"
print(json.dumps({
    "harness": harness.__file__,
    "stub": stub.__file__,
    "sources": sorted(str(path) for path in files.values()),
    "stub_digest": context_digest(files, ["base", "site"]),
    "start_script_executable": os.access(start, os.X_OK),
}))
"""

PLUGIN_PROBE_TEST = """
import harness
import harness.pytest_plugin


def test_the_plugin_came_through_the_entry_point(pytestconfig):
    assert pytestconfig.pluginmanager.get_plugin("stdb_harness") is harness.pytest_plugin
    assert pytestconfig.getoption("--stdb-url") is None


def test_the_project_keeps_its_own_profile_option(pytestconfig):
    assert pytestconfig.getoption("--profile") == "fast"


def test_testcontainers_keeps_the_projects_configuration():
    import harness.env.services  # what the plugin loads; it once disabled Ryuk on import
    from testcontainers.core.config import testcontainers_config

    assert harness.env.services.ryuk_disabled is not None
    assert testcontainers_config.ryuk_disabled is False
"""

# A project's own Hypothesis profile and test, beside the harness (in both projects): the
# harness's settings must never reach it, nor its settings the harness's suite.
OWN_PROFILE_CONFTEST = """
from hypothesis import settings

# derandomize given: under CI Hypothesis's own `ci` profile (derandomized) is the parent
settings.register_profile("the-projects-own", max_examples=500, deadline=200, database=None,
                          derandomize=False)
settings.load_profile("the-projects-own")
"""
OWN_PROFILE_OPTION = """

def pytest_addoption(parser):
    # a name pytest-profiling uses too: a guest plugin must not claim it
    parser.addoption("--profile", default="none", help="this project's own option")
"""
OWN_HYPOTHESIS_TEST = """
from datetime import timedelta

from hypothesis import given, settings, strategies as st

CALLS = []


@given(st.integers())
def test_the_projects_own_property(n):
    CALLS.append(n)
    assert settings().max_examples == 500
    assert settings().deadline == timedelta(milliseconds=200)
    assert not settings().derandomize


def test_it_ran_under_the_projects_own_profile():
    assert len(CALLS) == 500
"""


class Stopwatch:
    def __init__(self) -> None:
        self.started = time.monotonic()
        self.laps: list[tuple[str, float]] = []

    def lap(self, name: str, since: float) -> None:
        self.laps.append((name, time.monotonic() - since))

    def report(self) -> str:
        total = time.monotonic() - self.started
        lines = [f"  {name:<34} {seconds:6.1f} s" for name, seconds in self.laps]
        return "\n".join(["wheel tests, wall time:", *lines, f"  {'total':<34} {total:6.1f} s"])


@dataclass(frozen=True)
class Installed:
    wheel: Path
    venv: Path
    site: Path
    env: dict[str, str]
    stopwatch: Stopwatch

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"


def _attempt(argv: list[str | Path], cwd: Path, env: dict[str, str],
             timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(arg) for arg in argv], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout, check=False)


def _output(result: subprocess.CompletedProcess[str]) -> str:
    return f"{result.args} exited {result.returncode}\n{result.stdout[-4000:]}\n" \
           f"{result.stderr[-4000:]}"


def _run(argv: list[str | Path], cwd: Path, env: dict[str, str],
         timeout: float = 600) -> subprocess.CompletedProcess[str]:
    result = _attempt(argv, cwd, env, timeout)
    assert result.returncode == 0, _output(result)
    return result


def _clean_env() -> dict[str, str]:
    env = {key: value for key, value in os.environ.items()
           if key not in {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTEST_ADDOPTS",
                          "PYTEST_PLUGINS", "PYTEST_DISABLE_PLUGIN_AUTOLOAD"}}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def _copy_tracked_files(destination: Path) -> None:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: no list of tracked files to build the wheel from")
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True,
                            check=True)
    for name in listed.stdout.decode().split("\0"):
        source = ROOT / name
        if name and source.is_file():
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)


def _is_ours(name: str) -> bool:
    """An entry of site-packages that belongs to stdb-harness (any kind of install)."""
    lowered = name.lower()
    return (name in {"harness", "stub"} or lowered.startswith("stdb_harness")
            or (lowered.startswith("__editable__") and "stdb_harness" in lowered))


def _third_party_links(folder: Path) -> Path:
    """Links to this environment's installed packages, stdb-harness's own left out."""
    folder.mkdir()
    seen: set[str] = set()
    for key in ("purelib", "platlib"):
        site = Path(sysconfig.get_paths()[key])
        for entry in sorted(site.iterdir()):
            if entry.name in seen or _is_ours(entry.name) or entry.suffix == ".pth":
                continue
            seen.add(entry.name)
            (folder / entry.name).symlink_to(entry)
    return folder


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    """The wheel, built from the tracked files, installed into a fresh venv."""
    stopwatch = Stopwatch()
    tmp = tmp_path_factory.mktemp("wheel")
    env = _clean_env()

    began = time.monotonic()
    source = tmp / "source"
    _copy_tracked_files(source)
    dist = tmp / "dist"
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", dist, source],
         tmp, env)
    wheels = sorted(dist.glob("stdb_harness-*.whl"))
    assert len(wheels) == 1, wheels
    stopwatch.lap("build the wheel", began)

    began = time.monotonic()
    venv = tmp / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", venv], tmp, env)
    python = venv / "bin" / "python"
    site = Path(_run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                     tmp, env).stdout.strip())
    links = _third_party_links(tmp / "third-party")
    (site / "third_party_of_the_test.pth").write_text(f"{links}\n", encoding="utf-8")
    _run([sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--quiet",
          wheels[0]], tmp, env)
    stopwatch.lap("venv + install the wheel", began)

    yield Installed(wheels[0], venv, site, env, stopwatch)
    print(stopwatch.report())


def test_the_wheel_holds_image_files_stub_sources_and_entry_points(installed: Installed
                                                                   ) -> None:
    with zipfile.ZipFile(installed.wheel) as archive:
        names = set(archive.namelist())
        entry_points = next(archive.read(name).decode() for name in names
                            if name.endswith(".dist-info/entry_points.txt"))
        start_mode = archive.getinfo("harness/env/images/spacetimedb/start-spacetimedb") \
            .external_attr >> 16
    missing = [name for name in WHEEL_MUST_HOLD if name not in names]
    assert not missing, f"the wheel lacks {missing}"
    assert not [n for n in names if n.startswith(("tests/", "benchmarks/", "docker/"))]
    assert "[pytest11]\nstdb_harness = harness.pytest_plugin" in entry_points
    assert "stdb-harness = harness.cli:main" in entry_points
    assert start_mode & 0o111, "start-spacetimedb lost its executable bit in the wheel"


def test_the_installed_wheel_is_what_is_imported_and_builds_from_itself(installed: Installed
                                                                        ) -> None:
    began = time.monotonic()
    tmp = installed.venv.parent
    _run([installed.python, "-m", "pip", "check"], tmp, installed.env)
    found = json.loads(_run([installed.python, "-c", PROBE], tmp, installed.env).stdout)
    site = installed.site
    assert Path(found["harness"]).is_relative_to(site), found["harness"]
    assert Path(found["stub"]).is_relative_to(site), found["stub"]
    outside = [path for path in found["sources"] if not Path(path).is_relative_to(site)]
    assert not outside, f"the stub image would read files outside the install: {outside}"
    here = {"Dockerfile": image_folder("stub") / "Dockerfile", **stub_image._source_files()}
    assert found["stub_digest"] == context_digest(here, ["base", "site"]), (
        "the installed wheel would tag the stub image differently from this checkout")
    assert found["start_script_executable"]
    installed.stopwatch.lap("imports and image contexts", began)


def test_the_plugin_loads_through_its_entry_point_in_a_foreign_project(installed: Installed
                                                                       ) -> None:
    began = time.monotonic()
    python, env = installed.python, installed.env
    env = {**env, "TESTCONTAINERS_RYUK_DISABLED": "false"}  # the project's own setting
    # A project without a harness configuration: there the plugin must change nothing.
    project = installed.venv.parent / "project"
    project.mkdir()
    (project / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    (project / "conftest.py").write_text(OWN_PROFILE_CONFTEST + OWN_PROFILE_OPTION,
                                         encoding="utf-8")
    (project / "test_probe.py").write_text(PLUGIN_PROBE_TEST, encoding="utf-8")
    (project / "test_own_property.py").write_text(OWN_HYPOTHESIS_TEST, encoding="utf-8")
    collected = _run([python, "-m", "pytest", "--co", "-q", "-p", "no:cacheprovider"],
                     project, env).stdout
    assert "test_probe.py::test_the_plugin_came_through_the_entry_point" in collected
    assert "harness/suite" not in collected, "the suite was added without a harness config"
    helped = _run([python, "-m", "pytest", "--help"], project, env).stdout
    assert "--stdb-url" in helped and "--stdb-profile" in helped
    without = _run([python, "-m", "pytest", "-p", "no:stdb_harness", "--help"], project, env)
    assert "--stdb-url" not in without.stdout
    ran = _run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--profile", "fast"],
               project, env)
    assert "5 passed" in ran.stdout, ran.stdout
    assert "stdb-harness" not in ran.stdout, ran.stdout
    assert not (project / "reports").exists(), "reports/ made where no harness runs"
    assert not (installed.site / "reports").exists(), "the plugin wrote into site-packages"
    installed.stopwatch.lap("pytest in the foreign project", began)


def test_the_command_line_tool_runs(installed: Installed) -> None:
    began = time.monotonic()
    helped = _run([installed.venv / "bin" / "stdb-harness", "--help"], installed.venv.parent,
                  installed.env).stdout
    assert "usage: stdb-harness" in helped
    installed.stopwatch.lap("stdb-harness --help", began)


# The user's project of the last test: one curated scenario of this repository, its golden, and
# the reference module as a prebuilt wasm, nothing else (no publisher, client or control).
SCENARIO = "idempotent-redelivery-burst"
# Two generated examples per property: every property runs, the curated scenario in full.
MAX_EXAMPLES = "2"
USER_CONFIG = """# A project that tests the reference module, prebuilt, with one curated scenario.
target = "wheel-user-project"
scenarios = "scenarios"
golden = "golden"

[module]
wasm = {wasm}
"""


def _require_docker(config: pytest.Config) -> None:
    try:
        docker_client().close()
    except DockerUnavailable as exc:
        if os.environ.get("CI") or config.getoption("--stdb-require-containers"):
            pytest.fail(f"the real-container tier must run here, but: {exc}", pytrace=False)
        pytest.skip(f"NO DOCKER - container test NOT RUN: {exc.message}")


def _user_project(root: Path, wasm: Path) -> Path:
    (root / "scenarios").mkdir()
    (root / "golden").mkdir()
    shutil.copy2(ROOT / "scenarios" / f"{SCENARIO}.json", root / "scenarios")
    shutil.copy2(ROOT / "golden" / f"{SCENARIO}.json", root / "golden")
    # A JSON string is a valid TOML basic string.
    (root / "stdb-harness.toml").write_text(USER_CONFIG.format(wasm=json.dumps(str(wasm))),
                                            encoding="utf-8")
    (root / "conftest.py").write_text(OWN_PROFILE_CONFTEST, encoding="utf-8")
    (root / "test_own_property.py").write_text(OWN_HYPOTHESIS_TEST, encoding="utf-8")
    return root


def _testcases(junit: Path) -> dict[str, ElementTree.Element]:
    return {case.get("name", ""): case for case in ElementTree.parse(junit).iter("testcase")}


def _own_tests_passed(junit: Path, output: str) -> None:
    """The project's own Hypothesis tests ran beside the suite, under their own profile."""
    cases = _testcases(junit)
    for own in ("test_the_projects_own_property", "test_it_ran_under_the_projects_own_profile"):
        assert own in cases, f"the project's own test {own} did not run beside the suite"
        assert not [child.tag for child in cases[own] if child.tag in ("failure", "error")], \
            f"the project's own test {own} failed beside the suite:\n{output[-3000:]}"


def _left_behind(run_id: str) -> list[str]:
    client = docker_client()
    try:
        selector = {"label": f"{RUN_LABEL}={run_id}"}
        return ([f"container {c.name}" for c in client.containers.list(all=True,
                                                                           filters=selector)]
                + [f"network {n.name}" for n in client.networks.list(filters=selector)])
    finally:
        client.close()


@pytest.mark.container
def test_the_installed_wheel_runs_the_suite_in_a_project_of_its_own(
    installed: Installed, module_wasm: BuiltModule, tmp_path_factory: pytest.TempPathFactory,
    pytestconfig: pytest.Config,
) -> None:
    """What a user does after `pip install stdb-harness`: a config, a scenario and its golden
    in their own folder, then plain `pytest` (the plugin adds the suite, which runs beside
    the project's own Hypothesis test, each under its own settings), `stdb-harness repro` and
    `check`; and a golden that no longer matches fails the run with G1."""
    _require_docker(pytestconfig)
    project = _user_project(tmp_path_factory.mktemp("user-project"), module_wasm.path)
    assert not project.is_relative_to(ROOT)
    run_id = f"wheel-{uuid.uuid4().hex[:8]}"
    env = {**installed.env, "STDB_HARNESS_RUN_ID": run_id}
    python, tool = installed.python, installed.venv / "bin" / "stdb-harness"
    reports = project.parent / f"{project.name}-reports"
    pytest_argv: list[str | Path] = [python, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                                     "--stdb-max-examples", MAX_EXAMPLES]

    began = time.monotonic()
    ran = _run([*pytest_argv, "--stdb-reports-dir", reports, "--junitxml", reports / "junit.xml"],
               project, env, timeout=1800)
    installed.stopwatch.lap("pytest: suite in a user project", began)
    assert not (project / "reports").exists(), "reports/ made although --stdb-reports-dir"
    case = _testcases(reports / "junit.xml").get(f"test_curated_idempotence[{SCENARIO}]")
    assert case is not None, f"the curated scenario was not collected:\n{ran.stdout[-3000:]}"
    assert not [child.tag for child in case if child.tag in ("failure", "error", "skipped")]
    _own_tests_passed(reports / "junit.xml", ran.stdout)
    summary = json.loads((reports / "summary.json").read_text(encoding="utf-8"))
    assert summary["target"]["target"] == "wheel-user-project"
    assert summary["target"]["config"] == str((project / "stdb-harness.toml").resolve())
    assert Path(summary["target"]["module.wasm"]).resolve() == module_wasm.path.resolve()
    assert (summary["failed"], summary["errors"]) == (0, 0), summary
    # the suite ran under the harness's settings (2 examples a property), not the project's 500
    assert 1 <= summary["properties"]["idempotence"]["scenarios"] <= 10, summary["properties"]
    stored = reports / "runs" / SCENARIO
    assert (stored / "history.json").is_file(), sorted(p.name for p in (reports / "runs").iterdir())

    began = time.monotonic()
    replayed = _run([tool, "repro", SCENARIO], project, env, timeout=900)
    installed.stopwatch.lap("stdb-harness repro <curated ID>", began)
    assert "profile=repro" in replayed.stdout
    assert (project / "reports" / "summary.json").is_file(), "repro reports go beside the config"

    began = time.monotonic()
    checked = _run([tool, "check", stored], project, env, timeout=300)
    installed.stopwatch.lap("stdb-harness check <stored run>", began)
    assert checked.stdout.startswith(f"{SCENARIO}: ")

    golden_file = project / "golden" / f"{SCENARIO}.json"
    approved = json.loads(golden_file.read_text(encoding="utf-8"))
    first = min(approved["answers"], key=int)
    assert approved["answers"][first] == "ok"
    approved["answers"][first] = "fail"
    golden_file.write_text(json.dumps(approved, indent=1, sort_keys=True) + "\n",
                           encoding="utf-8")
    began = time.monotonic()
    corrupt = project.parent / f"{project.name}-reports-corrupt-golden"
    failed = _attempt([*pytest_argv, "--stdb-reports-dir", corrupt], project, env, timeout=1800)
    installed.stopwatch.lap("pytest: corrupted golden (G1)", began)
    assert failed.returncode == 1, _output(failed)
    assert f"SCENARIO ID: {SCENARIO}" in failed.stdout and "G1" in failed.stdout, \
        _output(failed)
    violations = json.loads((corrupt / "summary.json").read_text(encoding="utf-8"))["violations"]
    assert [(v["id"], v["rules"]) for v in violations] == [(SCENARIO, ["G1"])], violations
    assert f"golden: step {first} answered 'ok', approved 'fail'" in json.dumps(violations)

    assert _left_behind(run_id) == [], "the runs in the user project left these behind"
