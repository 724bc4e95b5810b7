"""--example-db: Hypothesis's example database in a real Redis, shared between runs.

A counterexample found by one run is replayed first (Hypothesis's `reuse` phase) by the
next run on the same Redis, as shards and nightly runs on other machines do. Needs the
`redis-server` binary (scripts/bootstrap installs it): skipped loudly without it outside
CI, an error in CI.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import unittest
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st
from hypothesis.database import DirectoryBasedExampleDatabase, ExampleDatabase
from hypothesis.extra.redis import RedisExampleDatabase

from harness.errors import HarnessError
from harness.profiles import (
    PROFILES,
    check_example_db,
    hypothesis_settings,
    redis_example_database,
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def redis_url() -> Iterator[str]:
    """A throw-away redis-server on a free port, no persistence."""
    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("redis-server is missing in CI: scripts/bootstrap installs it")
        pytest.skip("NO REDIS-SERVER - the shared example database test did NOT RUN "
                    "(apt-get install redis-server)")
    port = _free_port()
    server = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1",
                               "--save", "", "--appendonly", "no"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"redis://127.0.0.1:{port}/0"
        deadline = time.monotonic() + 10
        while True:
            try:
                redis_example_database(url)
                break
            except HarnessError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.05)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


def _property(database: ExampleDatabase, seen: list[int],
              phases: tuple[Phase, ...]) -> Callable[[], None]:
    """The same tiny property each time (same source, so the same database key): it
    fails for x >= 3."""
    @settings(database=database, derandomize=False, phases=phases, max_examples=200,
              deadline=None)
    @given(st.integers(min_value=0, max_value=10**9))
    def tiny(x: int) -> None:
        seen.append(x)
        assert x < 3
    return tiny


def test_a_second_run_replays_the_first_runs_counterexample_from_redis(redis_url: str) -> None:
    first: list[int] = []
    with pytest.raises(AssertionError):
        _property(redis_example_database(redis_url), first, tuple(Phase))()
    assert 3 in first and len(first) > 1  # found by generation, shrunk to 3

    # Another process on another machine: a fresh connection, and no generation at all,
    # so only the stored example can make it fail.
    second: list[int] = []
    with pytest.raises(AssertionError):
        _property(redis_example_database(redis_url), second, (Phase.reuse,))()
    assert second[0] == 3
    assert set(second) == {3}


def test_without_a_shared_database_nothing_is_replayed(tmp_path: Path) -> None:
    with pytest.raises(AssertionError):
        _property(DirectoryBasedExampleDatabase(str(tmp_path / "a")), [], tuple(Phase))()
    second: list[int] = []
    with pytest.raises(unittest.SkipTest, match="no test cases"):  # nothing stored
        _property(DirectoryBasedExampleDatabase(str(tmp_path / "b")), second, (Phase.reuse,))()
    assert second == []


def test_the_nightly_profile_uses_the_given_redis(redis_url: str, tmp_path: Path) -> None:
    nightly = hypothesis_settings(PROFILES["nightly"], tmp_path, example_db=redis_url)
    assert isinstance(nightly.database, RedisExampleDatabase)
    own = hypothesis_settings(PROFILES["nightly"], tmp_path)
    assert isinstance(own.database, DirectoryBasedExampleDatabase)


def test_a_derandomized_profile_refuses_an_example_db(tmp_path: Path) -> None:
    with pytest.raises(HarnessError, match="derandomized"):
        hypothesis_settings(PROFILES["pr"], tmp_path, example_db="redis://127.0.0.1:1/0")


@pytest.mark.parametrize("url", ["http://x:1/0", "x", "redis://"])
def test_a_bad_url_is_refused(url: str) -> None:
    with pytest.raises(HarnessError, match="not a Redis URL"):
        check_example_db(url)


def test_an_unreachable_redis_is_said_at_once() -> None:
    with pytest.raises(HarnessError, match="no Redis answers"):
        redis_example_database(f"redis://127.0.0.1:{_free_port()}/0")
