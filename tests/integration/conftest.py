"""Fixtures shared by the real-container tier."""

from __future__ import annotations

import pytest

from harness.env.stack import Database
from harness.targets.spacetime_module import SpacetimeModuleTarget


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything under tests/integration needs the real server, but the packaging tests."""
    for item in items:
        if "tests/integration" in str(item.path) and item.get_closest_marker("packaging") is None:
            item.add_marker(pytest.mark.container)


@pytest.fixture
def target(database: Database) -> SpacetimeModuleTarget:
    """The reference module, freshly published, as a contract target."""
    return SpacetimeModuleTarget(database)
