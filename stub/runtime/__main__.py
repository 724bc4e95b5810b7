"""`python -m stub.runtime --host 0.0.0.0 --port 8080 --data-dir /data`: serve the runtime
until SIGTERM or Ctrl-C.

Prints `runtime listening on http://<host>:<port>` on stderr once the socket is bound, so
a caller that asked for port 0 can learn the port. An injected crash exits with status 70
at once; the harness restarts the process, and start-up recovers from the data directory.

`--mutant NAME`, or the environment variable RUNTIME_MUTANT when the flag is absent, runs a
deliberately broken publisher (see `mutants`): one container image serves every variant.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Mapping
from pathlib import Path
from types import FrameType

from stub.runtime.mutants import MUTANT_ENV, RUNTIME_MUTANTS, check_mutant
from stub.runtime.server import RuntimeServer
from stub.runtime.service import RuntimeService
from stub.runtime.settings import PublisherSettings


def _stop(signum: int, _frame: FrameType | None) -> None:
    """Turn SIGTERM into a clean exit: as PID 1 in a container it would otherwise be ignored."""
    raise SystemExit(128 + signum)


def parse_args(argv: list[str], env: Mapping[str, str] = os.environ) -> argparse.Namespace:
    """The flags; `--mutant` defaults to `env[RUNTIME_MUTANT]`, and an unknown mutant is a
    usage error (exit 2) whichever of the two named it."""
    defaults = PublisherSettings()
    parser = argparse.ArgumentParser(prog="python -m stub.runtime", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument(
        "--backoff-initial-ms", type=int, default=round(defaults.backoff_initial_s * 1000)
    )
    parser.add_argument("--backoff-max-ms", type=int, default=round(defaults.backoff_max_s * 1000))
    parser.add_argument("--call-timeout-s", type=float, default=defaults.call_timeout_s)
    parser.add_argument(
        "--mutant",
        default=env.get(MUTANT_ENV, ""),
        help=f"a deliberately broken publisher (default: ${MUTANT_ENV}, else the reference):"
        f" {', '.join(sorted(RUNTIME_MUTANTS))}",
    )
    args = parser.parse_args(argv)
    try:
        check_mutant(args.mutant)
    except ValueError as error:
        parser.error(str(error))
    return args


def settings_of(args: argparse.Namespace) -> PublisherSettings:
    """The publisher's settings the flags select; apart from `main` so that a test can check
    them without starting a server."""
    return PublisherSettings(
        backoff_initial_s=args.backoff_initial_ms / 1000,
        backoff_max_s=args.backoff_max_ms / 1000,
        call_timeout_s=args.call_timeout_s,
        mutant=args.mutant,
    )


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(levelname)s %(message)s"
    )
    settings = settings_of(args)
    if settings.mutant:
        logging.warning("deliberately broken publisher: mutant %s", settings.mutant)
    service = RuntimeService(args.data_dir, settings=settings, exit_on_crash=True)
    signal.signal(signal.SIGTERM, _stop)
    service.start()
    try:
        with RuntimeServer((args.host, args.port), service) as server:
            print(f"runtime listening on {server.base_url}", file=sys.stderr, flush=True)
            with contextlib.suppress(KeyboardInterrupt):
                server.serve_forever()
    finally:
        service.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
