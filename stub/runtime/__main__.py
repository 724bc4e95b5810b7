"""`python -m stub.runtime --host 0.0.0.0 --port 8080 --data-dir /data`: serve the runtime
until SIGTERM or Ctrl-C.

Prints `runtime listening on http://<host>:<port>` on stderr once the socket is bound, so
a caller that asked for port 0 can learn the port. An injected crash exits with status 70
at once; the harness restarts the process, and start-up recovers from the data directory.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import signal
import sys
from pathlib import Path
from types import FrameType

from stub.runtime.server import RuntimeServer
from stub.runtime.service import RuntimeService
from stub.runtime.settings import PublisherSettings


def _stop(signum: int, _frame: FrameType | None) -> None:
    """Turn SIGTERM into a clean exit: as PID 1 in a container it would otherwise be ignored."""
    raise SystemExit(128 + signum)


def parse_args(argv: list[str]) -> argparse.Namespace:
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
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(levelname)s %(message)s"
    )
    settings = PublisherSettings(
        backoff_initial_s=args.backoff_initial_ms / 1000,
        backoff_max_s=args.backoff_max_ms / 1000,
        call_timeout_s=args.call_timeout_s,
    )
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
