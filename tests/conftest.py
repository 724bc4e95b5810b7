"""The Hypothesis profile of this repository's own tests.

The harness's pytest plugin never loads a Hypothesis profile (it is a guest in its users'
runs, and hands its settings to the conformance suite alone), so these tests choose their
own, as any project does: derandomized (the same examples on every run, in CI too, where
Hypothesis would load its `ci` profile), no deadline, no example database, and no explain
phase (it made each `find` several times slower). A test's own `@settings` still wins.
"""

from __future__ import annotations

from hypothesis import HealthCheck, Phase, settings

settings.register_profile(
    "stdb-harness-own-tests",
    max_examples=25,
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=False,
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                           HealthCheck.data_too_large],
)
settings.load_profile("stdb-harness-own-tests")
