"""Goldens and curated scenarios stay in step: no golden without its scenario (obsolete)."""

from __future__ import annotations

from harness import golden
from harness.scenario.files import curated


def test_every_golden_has_its_curated_scenario() -> None:
    obsolete = golden.orphans({scenario.id for scenario in curated()})
    assert not obsolete, (f"obsolete goldens (no scenario in scenarios/): {obsolete}; "
                          "delete them or restore their scenarios")
