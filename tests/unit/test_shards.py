"""--shard i/n: disjoint, complete, stable shares; bad values are usage errors (exit 2)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness.cli import main
from harness.errors import HarnessError
from harness.shards import Shard, assign, parse_shard

ROOT = Path(__file__).resolve().parents[2]


def _pairs(count: int, generated_every: int = 7) -> list[tuple[str, str]]:
    return [("generated" if i % generated_every == 0 else "other",
             f"harness/suite/test_x.py::test_{i}[case-{i % 5}]") for i in range(count)]


def test_shards_partition_the_items_disjointly_completely_and_evenly() -> None:
    pairs = _pairs(500)
    shares = [Shard(k, 4).keep(pairs) for k in range(1, 5)]
    assert set().union(*shares) == {nodeid for _, nodeid in pairs}
    assert sum(len(share) for share in shares) == len(pairs)
    generated = {nodeid for kind, nodeid in pairs if kind == "generated"}
    for share in shares:  # each kind evenly: within one item
        assert len(share - generated) in (107, 108)
        assert len(share & generated) in (18, 19)


def test_adding_a_test_moves_at_most_one_item_per_cut() -> None:
    pairs = _pairs(100)
    before = assign(pairs, 4)
    after = assign([*pairs, ("other", "t.py::test_new")], 4)
    moved = [nodeid for nodeid in before if before[nodeid] != after[nodeid]]
    assert len(moved) <= 3


def test_six_generated_items_spread_over_two_shards() -> None:
    pairs = [("generated", f"harness/suite/test_{name}.py::test_generated_{name}")
             for name in ("a", "b", "c", "d", "e", "f")]
    assert sorted(assign(pairs, 2).values()) == [1, 1, 1, 2, 2, 2]


@pytest.mark.parametrize("text", ["0/2", "3/2", "x", "1/0", "1-2", "/2", "-1/2", ""])
def test_bad_shards_are_refused(text: str) -> None:
    with pytest.raises(HarnessError, match="--shard"):
        parse_shard(text)


def test_good_shards_parse() -> None:
    assert parse_shard("1/1") == Shard(1, 1)
    assert parse_shard(" 4/4 ") == Shard(4, 4)


@pytest.mark.parametrize("text", ["0/2", "3/2", "x"])
def test_a_bad_shard_is_exit_2_from_the_cli(text: str, capsys: pytest.CaptureFixture[str]
                                            ) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["run", "--shard", text])
    assert exited.value.code == 2
    assert "--shard" in capsys.readouterr().err


def test_a_bad_shard_is_a_pytest_usage_error() -> None:
    result = _collect("--stdb-shard", "3/2")
    assert result.returncode == pytest.ExitCode.USAGE_ERROR
    assert "bad --stdb-shard '3/2'" in result.stderr


def _collect(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q",
                           "-p", "no:cacheprovider", "harness/suite", *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
                          env={**os.environ, "PYTEST_ADDOPTS": ""})


def _items(result: subprocess.CompletedProcess[str]) -> set[str]:
    assert result.returncode == 0, result.stdout + result.stderr
    return {line for line in result.stdout.splitlines() if "::" in line}


def test_the_suite_splits_into_shards_that_each_hold_both_kinds() -> None:
    everything = _items(_collect())
    runs = [_collect("--stdb-shard", f"{k}/2") for k in (1, 2)]
    shares = [_items(run) for run in runs]
    # the rest is reported deselected (and the replay test, dropped without --scenario)
    for run, share in zip(runs, shares, strict=True):
        assert f"({len(everything) - len(share) + 1} deselected)" in run.stdout
    assert shares[0] | shares[1] == everything
    assert not shares[0] & shares[1]
    for share in shares:
        assert any("test_curated" in item for item in share), share
        assert any("test_generated" in item for item in share), share
    assert abs(len(shares[0]) - len(shares[1])) <= 2
