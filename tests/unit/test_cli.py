"""The CLI's failure modes: a clear message and exit code 2, never a traceback."""

from __future__ import annotations

import argparse
import itertools
import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness.cli import main
from harness.commands.run import pytest_args
from harness.config.load import load_config


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "harness.cli", *args], capture_output=True,
                          text=True, env={**os.environ, **(env or {})}, timeout=120, check=False)


def test_an_unknown_scenario_id_is_exit_2_with_a_hint() -> None:
    result = run_cli("repro", "no-such-scenario-anywhere", "--stdb-url", "http://127.0.0.1:9")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr + result.stdout


def test_a_damaged_generated_id_is_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scenario", "save", "stdb1.rebuild.@@@", "--name", "x", "--intent", "y"]) == 2
    assert "damaged" in capsys.readouterr().err


def test_check_on_a_folder_without_runs_is_exit_2(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(tmp_path)]) == 2
    assert "holds no stored run" in capsys.readouterr().err


def test_bad_arguments_are_exit_2() -> None:
    assert run_cli("run", "--profile", "weekly").returncode == 2


def test_no_docker_is_exit_2_with_what_to_do() -> None:
    result = run_cli("env", "up", env={"DOCKER_HOST": "unix:///nonexistent/docker.sock"})
    assert result.returncode == 2
    assert "cannot reach a Docker engine" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("text", ["0", "-1", "two", ""])
@pytest.mark.parametrize(("command", "option"), [("run", "--workers"), ("mutants", "--jobs")])
def test_a_bad_count_is_exit_2(command: str, option: str, text: str,
                               capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main([command, option, text])
    assert exited.value.code == 2
    assert f"bad {option}" in capsys.readouterr().err


def test_workers_become_xdist_processes(tmp_path: Path) -> None:
    """`--workers N` is pytest-xdist's `-n N`; without it the suite runs in one process."""
    config = load_config(None, Path(__file__).resolve().parents[2])
    args = argparse.Namespace(profile="pr", stdb_url=None, stdb_image=None, module_features="")
    assert "-n" not in pytest_args(args, config, tmp_path)
    args.workers = 2
    assert pytest_args(args, config, tmp_path)[-2:] == ["-n", "2"]


def test_the_cli_keeps_its_short_names_and_hands_pytest_the_plugins(tmp_path: Path) -> None:
    """`stdb-harness run --profile ...` is `pytest --stdb-profile ...`: the plugin's options
    are prefixed (a guest in the user's run), the CLI's are not."""
    config = load_config(None, Path(__file__).resolve().parents[2])
    args = argparse.Namespace(profile="nightly", stdb_url="http://127.0.0.1:3000",
                              stdb_image="img", module_features="a,b", mutant="m",
                              max_examples=3, scenario="s", shard="1/2",
                              example_db="redis://h:1/0", shrink_budget="30")
    argv = pytest_args(args, config, tmp_path)
    pairs = dict(itertools.pairwise(argv))
    assert pairs["--stdb-config"] == str(config.path)
    assert pairs["--stdb-profile"] == "nightly"
    assert pairs["--stdb-reports-dir"] == str(tmp_path)
    assert (pairs["--stdb-url"], pairs["--stdb-image"]) == ("http://127.0.0.1:3000", "img")
    assert (pairs["--stdb-module-features"], pairs["--stdb-mutant"]) == ("a,b", "m")
    assert (pairs["--stdb-max-examples"], pairs["--stdb-scenario"]) == ("3", "s")
    assert (pairs["--stdb-shard"], pairs["--stdb-example-db"]) == ("1/2", "redis://h:1/0")
    assert pairs["--stdb-shrink-budget"] == "30"
    unprefixed = {"--config", "--profile", "--reports-dir", "--module-features", "--mutant",
                  "--max-examples", "--scenario", "--shard", "--example-db"}
    assert not unprefixed & set(argv), argv


@pytest.mark.parametrize("text", ["soon", "-5"])
def test_a_bad_shrink_budget_is_exit_2(text: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["run", "--shrink-budget", text])
    assert exited.value.code == 2
    assert "bad shrink budget" in capsys.readouterr().err
