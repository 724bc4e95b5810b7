"""Run profiles (README, Profiles): pr, nightly, repro. Never Hypothesis's implicit `ci` profile.

Hypothesis loads a `ci` profile by itself whenever `CI` is set (derandomized, no
database), which would quietly turn a nightly run into the same examples every night.
The harness therefore always loads one of its own profiles explicitly.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from hypothesis import HealthCheck, Phase, settings
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


PROFILES = {
    "pr": Profile("pr", examples=25, derandomize=True, faults=False, write_database=False,
                  missing_golden_fails=True),
    "nightly": Profile("nightly", examples=150, derandomize=False, faults=True,
                       write_database=True, missing_golden_fails=True, parts=50),
    "repro": Profile("repro", examples=1, derandomize=True, faults=False, write_database=False,
                     missing_golden_fails=False),
}

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
                f"--example-db does not apply to the {profile.name} profile",
                f"{profile.name} is derandomized, and Hypothesis keeps no example database "
                "for derandomized runs; use it with --profile nightly")
        database = redis_example_database(example_db)
    elif profile.write_database:
        database = DirectoryBasedExampleDatabase(str(reports_dir / "hypothesis-db"))
    return settings(
        max_examples=max_examples or profile.examples,
        derandomize=profile.derandomize,
        database=database,
        deadline=None,
        print_blob=False,
        phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                               HealthCheck.data_too_large],
    )


def activate(name: str, reports_dir: Path, max_examples: int | None = None,
             example_db: str | None = None) -> Profile:
    """Load the Hypothesis settings of profile `name` and return it (the caller keeps it:
    the pytest plugin on its session, never a module global)."""
    if name not in PROFILES:
        raise HarnessError(f"unknown profile {name!r}", f"use one of {', '.join(PROFILES)}")
    profile = PROFILES[name]
    settings.register_profile(f"stdb-{name}",
                              hypothesis_settings(profile, reports_dir, max_examples, example_db))
    settings.load_profile(f"stdb-{name}")
    return profile
