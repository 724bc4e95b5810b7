"""Run profiles (README, Profiles): pr, nightly, repro. Never Hypothesis's implicit `ci` profile.

Hypothesis loads a `ci` profile by itself whenever `CI` is set (derandomized, no
database), which would quietly turn a nightly run into the same examples every night.
The harness therefore always loads one of its own profiles explicitly.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from hypothesis import HealthCheck, Phase, settings
from hypothesis.database import DirectoryBasedExampleDatabase

from harness.errors import HarnessError


@dataclass(frozen=True)
class Profile:
    name: str
    examples: int          # generated examples per property
    derandomize: bool      # pr: the same examples on every run of the same code
    faults: bool           # crash steps in generated scenarios
    write_database: bool   # keep Hypothesis's example database as an artefact
    missing_golden_fails: bool


PROFILES = {
    "pr": Profile("pr", examples=25, derandomize=True, faults=False, write_database=False,
                  missing_golden_fails=True),
    "nightly": Profile("nightly", examples=150, derandomize=False, faults=True,
                       write_database=True, missing_golden_fails=True),
    "repro": Profile("repro", examples=1, derandomize=True, faults=False, write_database=False,
                     missing_golden_fails=False),
}

def activate(name: str, reports_dir: Path, max_examples: int | None = None) -> Profile:
    """Load the Hypothesis settings of profile `name` and return it (the caller keeps it:
    the pytest plugin on its session, never a module global)."""
    if name not in PROFILES:
        raise HarnessError(f"unknown profile {name!r}", f"use one of {', '.join(PROFILES)}")
    profile = PROFILES[name]
    database = (DirectoryBasedExampleDatabase(str(reports_dir / "hypothesis-db"))
                if profile.write_database else None)
    settings.register_profile(
        f"stdb-{name}",
        max_examples=max_examples or profile.examples,
        derandomize=profile.derandomize,
        database=database,
        deadline=None,
        print_blob=False,
        phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                               HealthCheck.data_too_large],
    )
    settings.load_profile(f"stdb-{name}")
    return profile
