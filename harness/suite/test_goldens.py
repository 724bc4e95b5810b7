"""Goldens and curated scenarios stay in step: no golden without its scenario (obsolete)."""

from __future__ import annotations

from harness import golden
from harness.config.model import HarnessConfig
from harness.scenario.files import curated


def test_every_golden_has_its_curated_scenario(harness_config: HarnessConfig) -> None:
    if harness_config.golden is None:
        return
    scenarios = curated(None, harness_config.scenarios) if harness_config.scenarios else []
    obsolete = golden.orphans({scenario.id for scenario in scenarios}, harness_config.golden)
    assert not obsolete, (f"obsolete goldens (no scenario in {harness_config.scenarios}): "
                          f"{obsolete}; delete them or restore their scenarios")
