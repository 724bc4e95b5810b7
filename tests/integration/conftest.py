"""Fixtures shared by the real-container tier: the reference target's pieces, directly.

These tests check the reference stubs and module rule by rule, so they reach the stub
services and the configured module themselves; the conformance suite (harness/suite) only
ever sees the configured target.
"""

from __future__ import annotations

import pytest

from harness.config.model import HarnessConfig
from harness.env.built_module import BuiltModule
from harness.env.services import ServiceContainer
from harness.env.stack import Database, Stack
from harness.targets.spacetime_module import DeclaredModule, DeclaredModuleSession


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything under tests/integration needs the real server, but the packaging tests."""
    for item in items:
        if "tests/integration" in str(item.path) and item.get_closest_marker("packaging") is None:
            item.add_marker(pytest.mark.container)


@pytest.fixture
def target(database: Database) -> DeclaredModuleSession:
    """The reference module, freshly published, as a contract target."""
    return DeclaredModule().bind(database)


@pytest.fixture(scope="session")
def reference_wasm(module_wasm: BuiltModule) -> BuiltModule:
    return module_wasm


@pytest.fixture(scope="session")
def control_signing_key(harness_config: HarnessConfig) -> str:
    assert harness_config.control is not None and harness_config.control.signing_key
    return harness_config.control.signing_key


@pytest.fixture(scope="session")
def control_url(stack: Stack, control_signing_key: str) -> str:
    """Base URL of the stub control service container (sync-token routes, §7)."""
    return stack.control({"CONTROL_SIGNING_KEY": control_signing_key}).url


@pytest.fixture(scope="session")
def runtime_service(stack: Stack) -> ServiceContainer:
    """The stub runtime container (journal and publisher, §1, §2, §5)."""
    return stack.runtime()
