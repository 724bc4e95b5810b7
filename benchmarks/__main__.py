"""Every speed figure of the harness and its goal, from one command, as one table.

    .venv/bin/python -m benchmarks [--nightly-examples 10] [--nightly-workers 2] [--skip-nightly]
                                   [--test-command]

Each row is measured in this run by the same commands a user runs (`stdb-harness run`, the
two micro-benchmarks of this folder), except the mutant detection times, which are read
from the last `stdb-harness mutants` report when one exists (running all 18 takes minutes),
and the cold set-up, which only a machine without a cache can measure: `scripts/bootstrap`
keeps its duration when it began with no harness cache.
Nothing here is asserted: the goals are printed beside the figures.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.env.cache import cache_root

REPO = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Row:
    figure: str
    measured: str
    goal: str
    met: bool | None  # None: not measured in this run


def _harness_run(reports: Path, *extra: str) -> tuple[float, dict[str, Any]]:
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "harness.cli", "run", "--reports-dir", str(reports),
                    *extra], capture_output=True, text=True, check=False, cwd=REPO)
    wall = time.monotonic() - started
    summary: dict[str, Any] = json.loads((reports / "summary.json").read_text())
    return wall, summary


def _benchmark(module: str) -> str:
    return subprocess.run([sys.executable, "-m", module], capture_output=True, text=True,
                          check=False, cwd=REPO).stdout


def _number(pattern: str, text: str) -> float | None:
    found = re.search(pattern, text)
    return float(found.group(1)) if found else None


def pr_gate(folder: Path) -> list[Row]:
    wall, summary = _harness_run(folder / "pr")
    events, passed = summary["events_checked"], summary["passed"]
    return [Row("pr gate, warm (s)", f"{wall:.0f} ({passed} tests, {events} events)", "<= 60",
                wall <= 60)]


# Before the shrink budget (issue 14): the foreign example's failing pr run in one process,
# and the README's test command, warm; the goal is half of each.
FAILING_GATE_BEFORE_S = 642.0
TEST_COMMAND_BEFORE_S = 884.0


def failing_gate(folder: Path) -> list[Row]:
    """A pr run against a target with several defects (the foreign example, five planted):
    how long a failing gate takes to report, shrinking included."""
    wall, summary = _harness_run(folder / "foreign", "--config",
                                 str(REPO / "examples" / "foreign" / "stdb-harness.toml"))
    goal = FAILING_GATE_BEFORE_S / 2
    return [Row("failing pr gate, foreign example, 1 process (s)",
                f"{wall:.0f} ({len(summary['violations'])} defects reported)",
                f"<= {goal:.0f}", wall <= goal)]


def test_command(run_it: bool) -> Row:
    """The README's test command (`pytest`), warm; minutes, so only when asked."""
    goal = TEST_COMMAND_BEFORE_S / 2
    if not run_it:
        return Row("the README's test command, warm (s)", "not run (--test-command runs it)",
                   f"<= {goal:.0f}", None)
    started = time.monotonic()
    result = subprocess.run([str(REPO / ".venv" / "bin" / "pytest"), "-q", "-p",
                             "no:cacheprovider"], capture_output=True, text=True, check=False,
                            cwd=REPO)
    wall = time.monotonic() - started
    tail = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else "?"
    return Row("the README's test command, warm (s)", f"{wall:.0f} ({tail})", f"<= {goal:.0f}",
               wall <= goal)


def nightly(folder: Path, examples: int, workers: int) -> list[Row]:
    """One process, then `workers` xdist processes (one SpacetimeDB each) in the same run."""
    rows = []
    for processes in sorted({1, workers}):
        extra = ["--workers", str(processes)] if processes > 1 else []
        wall, summary = _harness_run(folder / f"nightly-{processes}", "--profile", "nightly",
                                     "--max-examples", str(examples), *extra)
        events = int(summary["events_checked"])
        scenarios = sum(int(p["scenarios"]) for p in summary["properties"].values())
        per_hour = events / wall * 3600
        rows.append(Row(f"nightly events checked per hour, {processes} process(es)",
                        f"{per_hour:,.0f} ({scenarios / wall * 3600:,.0f} scenarios/h; "
                        f"{events} events in {wall:.0f} s)", ">= 1,000,000",
                        per_hour >= 1_000_000))
    return rows


def micro() -> list[Row]:
    latency = _benchmark("benchmarks.reducer_latency")
    http = _number(r"HTTP\s+calls=\s*\d+\s+median=\s*([\d.]+)", latency)
    ws = _number(r"WebSocket\s+calls=\s*\d+\s+median=\s*([\d.]+)", latency)
    publisher = _benchmark("benchmarks.publisher_throughput")
    ratio = _number(r"ratio publisher/raw: ([\d.]+)", publisher)
    rows = [Row("reducer call median HTTP / WebSocket (ms)",
                f"{http} / {ws}" if http and ws else "not measured", "(ratio only)", None)]
    rows.append(Row("publisher / raw HTTP reducer calls", f"{ratio:.2f}" if ratio else "?",
                    ">= 1.0", ratio >= 1.0 if ratio else None))
    return rows


def mutants() -> list[Row]:
    report = REPO / "reports" / "mutants.json"
    if not report.is_file():
        return [Row("own-mutant median time to detection (s)", "run `stdb-harness mutants`",
                    "<= 30", None)]
    data = json.loads(report.read_text())
    median = data.get("median_detection_s")
    return [Row("own-mutant median time to detection (s)",
                f"{median:.1f} (worst {data.get('worst_detection_s')}; {data['caught']}/"
                f"{data['total']} caught; from reports/mutants.json)", "<= 30",
                median is not None and median <= 30)]


def cold_setup() -> Row:
    """What the last `scripts/bootstrap` that began without a harness cache measured (only
    such a machine can measure it; this run would find everything built)."""
    kept = cache_root() / "cold-setup.json"
    if not kept.is_file():
        return Row("cold set-up (min)", "not measured on this machine (its cache predates "
                   "the record; see README)", "<= 10", None)
    data = json.loads(kept.read_text())
    minutes = data["seconds"] / 60
    return Row("cold set-up (min)", f"{minutes:.1f} (scripts/bootstrap from no cache, "
               f"{data['date']})", "<= 10", minutes <= 10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--nightly-examples", type=int, default=10)
    parser.add_argument("--skip-nightly", action="store_true")
    parser.add_argument("--nightly-workers", type=int, default=2,
                        help="also run the nightly in this many xdist processes")
    parser.add_argument("--test-command", action="store_true",
                        help="also time the README's test command (about 15 minutes)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="stdb-bench-") as tmp:
        folder = Path(tmp)
        rows = [*pr_gate(folder), *failing_gate(folder), test_command(args.test_command)]
        if not args.skip_nightly:
            rows += nightly(folder, args.nightly_examples, args.nightly_workers)
        rows += [*micro(), *mutants(), cold_setup()]
    width = max(len(row.figure) for row in rows)
    print(f"{'figure':<{width}}  {'goal':<14} {'met':<4} measured")
    for row in rows:
        met = {True: "yes", False: "NO", None: "-"}[row.met]
        print(f"{row.figure:<{width}}  {row.goal:<14} {met:<4} {row.measured}")


if __name__ == "__main__":
    main()
