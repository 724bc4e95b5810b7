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
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.env.cache import repo_root
from harness.env.module_build import build_module
from harness.env.services import ServiceContainer
from harness.env.stack import Database, Stack, StackOptions
from harness.errors import DockerUnavailable, HarnessError

_container_skips: list[str] = []


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("stdb-harness")
    group.addoption("--stdb-url", default=None,
                    help="use this running SpacetimeDB instead of starting a container")
    group.addoption("--stdb-image", default=None,
                    help="start this SpacetimeDB image instead of the one built here")
    group.addoption("--require-containers", action="store_true", default=False,
                    help="fail (not skip) container tests when Docker is missing; implied by CI")


def _containers_required(config: pytest.Config) -> bool:
    return bool(config.getoption("--require-containers")) or bool(os.environ.get("CI"))


@pytest.fixture(scope="session")
def stack(request: pytest.FixtureRequest) -> Iterator[Stack]:
    """The session's SpacetimeDB, started once and removed at the end."""
    options = StackOptions(
        stdb_url=request.config.getoption("--stdb-url"),
        stdb_image=request.config.getoption("--stdb-image"),
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
def reference_wasm() -> Path:
    """The reference module compiled for wasm32 (cargo skips the work when unchanged)."""
    try:
        return build_module(repo_root() / "projectors" / "reference")
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


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _container_skips:
        terminalreporter.write_sep("!", "REAL-CONTAINER TESTS DID NOT RUN", red=True, bold=True)
        terminalreporter.write_line(f"reason: {_container_skips[0]}", red=True)
        terminalreporter.write_line("every `container` test above was skipped; "
                                    "this run proves nothing about the server", red=True)
