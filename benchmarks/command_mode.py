"""Command-mode runs of a control service the harness starts itself, counted by outcome.

    .venv/bin/python -m benchmarks.command_mode [--runs 20] [--config examples/beacon/gate.toml]

A real service started with `command =` (its port chosen by the harness, given in its
environment) used to end most runs as a harness error: `ControlUnavailable ...
RemoteDisconnected`, then Hypothesis's `FlakyFailure`. This runs the pr profile against the
beacon example's gate (a service whose alias is declared retired yet still answers: one T6
violation, exit 1, is its right verdict) again and again, and prints how many runs ended
with the same verdict, with a harness error (exit 2), or otherwise. Nothing is asserted;
the figure goes into the README.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def one_run(config: Path, reports: Path) -> tuple[int, str, float]:
    """The run's exit code, its findings as one text (defects and IDs), its wall time."""
    started = time.monotonic()
    code = subprocess.run([sys.executable, "-m", "harness.cli", "run", "--config", str(config),
                           "--reports-dir", str(reports)], capture_output=True, text=True,
                          check=False, cwd=REPO).returncode
    wall = time.monotonic() - started
    path = reports / "summary.json"
    summary = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    findings = sorted(f"{v['defect']} {v['id']}" for v in summary.get("violations", []))
    return code, "; ".join(findings) + f" errors={summary.get('errors', '?')}", wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--config", default=str(REPO / "examples" / "beacon" / "gate.toml"))
    args = parser.parse_args()
    codes: Counter[int] = Counter()
    verdicts: Counter[str] = Counter()
    walls = []
    with tempfile.TemporaryDirectory() as folder:
        for number in range(args.runs):
            code, verdict, wall = one_run(Path(args.config), Path(folder) / str(number))
            codes[code] += 1
            verdicts[verdict] += 1
            walls.append(wall)
            print(f"run {number + 1}/{args.runs}: exit {code} in {wall:.1f}s: {verdict}",
                  flush=True)
    print(f"{args.runs} command-mode runs of {args.config}: "
          f"{codes.get(2, 0)} harness errors (exit 2), exit codes {dict(sorted(codes.items()))}, "
          f"{len(verdicts)} distinct verdict(s), median {sorted(walls)[len(walls) // 2]:.1f}s")


if __name__ == "__main__":
    main()
