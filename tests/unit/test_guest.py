"""A guest in the user's test run: the harness's Hypothesis settings reach its own suite's
tests alone, testcontainers' configuration is the user's outside the harness's own container
starts, and a project's own tests run under the project's own profile beside the suite."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from hypothesis import Verbosity, given, settings
from hypothesis import strategies as st
from testcontainers.core.config import testcontainers_config

from harness.env.services import ryuk_disabled
from harness.profiles import PROFILES, hypothesis_settings, use_settings


def test_a_given_test_runs_under_the_settings_handed_to_it_then_its_own_again(
        tmp_path: Path) -> None:
    seen: list[int] = []

    @settings(max_examples=7, database=None)
    @given(st.integers())
    def probe(n: int) -> None:
        seen.append(settings().max_examples)

    chosen = hypothesis_settings(PROFILES["pr"], tmp_path, max_examples=3)
    for _ in range(2):  # a second session in the same process hands them again
        seen.clear()
        with use_settings(probe, chosen):
            probe()
        assert seen == [3, 3, 3]
    seen.clear()
    probe()
    assert seen == [7] * 7


def test_the_profile_settings_take_nothing_from_the_loaded_profile(tmp_path: Path) -> None:
    settings.register_profile("a-users-own", max_examples=500, deadline=200,
                              verbosity=Verbosity.quiet, stateful_step_count=3,
                              report_multiple_bugs=False)
    before = settings.get_current_profile_name()
    settings.load_profile("a-users-own")
    try:
        chosen = hypothesis_settings(PROFILES["nightly"], tmp_path)
    finally:
        settings.load_profile(before)
    assert (chosen.max_examples, chosen.deadline, chosen.derandomize) == (150, None, False)
    assert chosen.verbosity.name == "normal" and chosen.stateful_step_count == 50
    assert chosen.report_multiple_bugs


def test_ryuk_is_disabled_for_the_harness_s_own_starts_only() -> None:
    before = testcontainers_config.ryuk_disabled
    testcontainers_config.ryuk_disabled = False  # the user's choice
    try:
        with ryuk_disabled():
            assert testcontainers_config.ryuk_disabled is True
        assert testcontainers_config.ryuk_disabled is False
    finally:
        testcontainers_config.ryuk_disabled = before


CONFTEST = """
from hypothesis import settings

settings.register_profile("the-projects-own", max_examples=500, deadline=200, database=None)
settings.load_profile("the-projects-own")
"""
OWN_TEST = """
from datetime import timedelta

from hypothesis import given, settings, strategies as st

CALLS = []


@given(st.integers())
def test_the_projects_own_property(n):
    CALLS.append(n)
    assert (settings().max_examples, settings().deadline) == (500, timedelta(milliseconds=200))


def test_it_ran_under_the_projects_own_profile():
    assert len(CALLS) == 500
"""
CONFIG = """target = "guest"

[module]
wasm = "module.wasm"
"""


def test_a_projects_own_hypothesis_test_keeps_its_profile_beside_the_suite(tmp_path: Path
                                                                           ) -> None:
    """Plain `pytest` in a project with a harness config: the plugin adds the suite (skipped
    here, Docker out of reach), the project's own property runs its 500 examples."""
    (tmp_path / "stdb-harness.toml").write_text(CONFIG, encoding="utf-8")
    (tmp_path / "module.wasm").write_bytes(b"\0asm\x01\0\0\0")
    (tmp_path / "conftest.py").write_text(CONFTEST, encoding="utf-8")
    (tmp_path / "test_own.py").write_text(OWN_TEST, encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rs"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300,
                          check=False, env={**os.environ, "CI": "",
                                            "DOCKER_HOST": "unix:///nonexistent/docker.sock"})
    out = done.stdout + done.stderr
    assert done.returncode == 0, out
    assert "test_own.py .." in out, out  # both of the project's tests passed
    assert "test_stateful.py s" in out, out  # the suite was added (and skipped: no Docker)
    assert "REAL-CONTAINER TESTS DID NOT RUN" in out, out
    assert not (tmp_path / "reports").exists(), "reports/ made although no suite test ran"
