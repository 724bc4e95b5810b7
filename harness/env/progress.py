"""Progress for build steps that take minutes.

A SpacetimeDB compile runs for half an hour on two cores; silence for that long
looks like a hang. `run_logged` streams a subprocess into a log file and prints a
heartbeat line (elapsed time and the newest line of output) at a fixed interval.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from harness.errors import BuildFailed

HEARTBEAT_SECONDS = 20.0


def say(message: str) -> None:
    """Progress goes to stderr so `--json` output on stdout stays parseable."""
    print(f"[stdb-harness] {message}", file=sys.stderr, flush=True)


def run_logged(
    step: str,
    argv: Sequence[str],
    log_path: Path,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> float:
    """Run `argv`, tee its output to `log_path`, and return the wall time in seconds.

    Raises BuildFailed with the log's tail, because the last lines of a failed
    compile are what the user needs to see.
    """
    say(f"{step}: started (full log: {log_path})")
    started = time.monotonic()
    newest = ""
    lines = 0
    done = threading.Event()

    def heartbeat() -> None:
        while not done.wait(HEARTBEAT_SECONDS):
            say(f"{step}: {time.monotonic() - started:.0f}s, {lines} lines, last: {newest[:100]}")

    ticker = threading.Thread(target=heartbeat, daemon=True)
    ticker.start()
    try:
        with log_path.open("w", encoding="utf-8") as log:
            proc = subprocess.Popen(
                list(argv),
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                errors="replace",
                env=dict(env) if env is not None else None,
                cwd=cwd,
            )
            assert proc.stdout is not None
            for line in proc.stdout:
                log.write(line)
                lines += 1
                if line.strip():
                    newest = line.strip()
            code = proc.wait()
    except FileNotFoundError as exc:
        raise BuildFailed(f"{step}: {argv[0]} is not installed", "run `bash .ci/run` once, "
                          "or install it with apt-get") from exc
    finally:
        done.set()
    elapsed = time.monotonic() - started
    if code != 0:
        text = log_path.read_text(encoding="utf-8", errors="replace")
        tail = "".join(text.splitlines(True)[-25:])
        raise BuildFailed(f"{step} failed (exit {code}) after {elapsed:.0f}s:\n{tail}",
                          f"see the full log at {log_path}")
    say(f"{step}: done in {elapsed:.1f}s")
    return elapsed
