"""Run profiles (README, Profiles): pr, nightly, repro. Never Hypothesis's implicit `ci` profile.

Hypothesis loads a `ci` profile by itself whenever `CI` is set (derandomized, no
database), which would quietly turn a nightly run into the same examples every night.
The harness is also a guest in its users' test runs, whose own Hypothesis profile must stay
theirs. So a profile's settings are never registered or loaded as a Hypothesis profile: every
setting is given explicitly (none falls back to whichever profile is loaded, `ci` or the
user's), and the pytest plugin hands the object to the harness's own suite tests alone
(`use_settings`), while they run.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from hypothesis import HealthCheck, Phase, Verbosity, settings
from hypothesis.database import DirectoryBasedExampleDatabase, ExampleDatabase

from harness.errors import HarnessError


@dataclass(frozen=True)
class Profile:
    name: str
    examples: int          # generated examples per property
    derandomize: bool      # pr: the same examples on every run of the same code
    faults: bool           # crash steps in generated scenarios
    write_database: bool   # keep Hypothesis's example database as an artefact
    missing_golden_fails: bool
    parts: int = 1         # module examples merged into one database (harness/generators)
    # seconds a property may go on shrinking after its first violation; None: no limit but
    # Hypothesis's own (harness/shrink_budget.py)
    shrink_budget_s: float | None = None


PROFILES = {
    "pr": Profile("pr", examples=25, derandomize=True, faults=False, write_database=False,
                  missing_golden_fails=True, shrink_budget_s=60.0),
    "nightly": Profile("nightly", examples=150, derandomize=False, faults=True,
                       write_database=True, missing_golden_fails=True, parts=50,
                       shrink_budget_s=300.0),
    "repro": Profile("repro", examples=1, derandomize=True, faults=False, write_database=False,
                     missing_golden_fails=False),
}


def profile_named(name: str) -> Profile:
    if name not in PROFILES:
        raise HarnessError(f"unknown profile {name!r}", f"use one of {', '.join(PROFILES)}")
    return PROFILES[name]


# Keys of the shared database: apart from anything else kept in the same Redis.
REDIS_KEY_PREFIX = b"stdb-harness:hypothesis:"
REDIS_SCHEMES = ("redis", "rediss", "unix")


def check_example_db(url: str) -> str:
    """The URL if it names a Redis (`redis://host:port/N`), else a HarnessError."""
    parts = urlsplit(url)
    if parts.scheme not in REDIS_SCHEMES or not (parts.netloc or parts.path):
        raise HarnessError(f"bad --example-db {url!r}: not a Redis URL",
                           "pass redis://host:port/N (rediss:// and unix:// work too)")
    return url


def redis_example_database(url: str) -> ExampleDatabase:
    """Hypothesis's Redis example database at `url`, checked to answer now (a run that
    found a counterexample must not learn at the end that it could not store it)."""
    check_example_db(url)
    try:
        import redis  # noqa: PLC0415 - optional: only a run given --example-db needs it
        from hypothesis.extra.redis import RedisExampleDatabase  # noqa: PLC0415
    except ImportError as exc:
        raise HarnessError("--example-db needs the `redis` package",
                           "install the harness with its redis extra: "
                           "pip install 'stdb-harness[redis]'") from exc
    client = redis.Redis.from_url(url)
    try:
        client.ping()
    except redis.RedisError as exc:
        raise HarnessError(f"no Redis answers at {url}: {exc}",
                           "start one (redis-server) or fix --example-db") from exc
    return RedisExampleDatabase(client, key_prefix=REDIS_KEY_PREFIX)


def hypothesis_settings(profile: Profile, reports_dir: Path, max_examples: int | None = None,
                        example_db: str | None = None) -> settings:
    """The Hypothesis settings of `profile`. `example_db` (a Redis URL) replaces the
    profile's own database, so shards and machines replay each other's counterexamples;
    a derandomized profile has none (Hypothesis: derandomize implies no database)."""
    database: ExampleDatabase | None = None
    if example_db is not None:
        if profile.derandomize:
            raise HarnessError(
                f"--example-db (pytest: --stdb-example-db) does not apply to the "
                f"{profile.name} profile",
                f"{profile.name} is derandomized, and Hypothesis keeps no example database "
                "for derandomized runs; use it with --profile nightly (pytest: "
                "--stdb-profile nightly)")
        database = redis_example_database(example_db)
    elif profile.write_database:
        database = DirectoryBasedExampleDatabase(str(reports_dir / "hypothesis-db"))
    # Every setting is given, so none comes from the loaded profile (Hypothesis's `ci`, or
    # the user's own): `settings(...)` takes what it is not given from `settings.default`.
    return settings(
        max_examples=max_examples or profile.examples,
        derandomize=profile.derandomize,
        database=database,
        verbosity=Verbosity.normal,
        deadline=None,
        print_blob=False,
        report_multiple_bugs=True,
        stateful_step_count=50,
        backend="hypothesis",
        phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                               HealthCheck.data_too_large],
    )


@contextmanager
def use_settings(test: Any, chosen: settings) -> Iterator[None]:
    """Run the `@given` test `test` under `chosen` inside the block, then give it back its own.

    `@given`'s wrapper reads the settings it runs under from the test's
    `_hypothesis_internal_use_settings` on every call: the attribute the `@settings`
    decorator sets, and that Hypothesis's own pytest plugin replaces in its
    `pytest_runtest_call`, as this does. The decorator itself cannot serve: it refuses a test
    it was applied to already (as it would be in a second session of the same process), and
    one session's settings would stay for the next. Nothing global changes, so a user's own
    tests in the same run keep their own profile."""
    function = getattr(test, "__func__", test)
    had = function.__dict__.get("_hypothesis_internal_use_settings")
    function._hypothesis_internal_use_settings = chosen
    try:
        yield
    finally:
        if had is None:
            del function._hypothesis_internal_use_settings
        else:
            function._hypothesis_internal_use_settings = had
