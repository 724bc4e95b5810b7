"""`python -m stub.control`: serve the control service until SIGTERM or Ctrl-C.

Prints `control service listening on http://<host>:<port>` on stderr once the socket is bound,
so a caller that asked for port 0 can learn the port.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from types import FrameType

from stub.control.config import parse_config
from stub.control.http import App
from stub.control.server import ControlServer
from stub.control.state import ControlState


def _stop(signum: int, _frame: FrameType | None) -> None:
    """Turn SIGTERM into a clean exit: as PID 1 in a container it would otherwise be ignored."""
    raise SystemExit(128 + signum)


def main() -> int:
    config = parse_config(sys.argv[1:], os.environ)
    app = App(ControlState(config.toggles), config.settings, mutant=config.mutant)
    signal.signal(signal.SIGTERM, _stop)
    with ControlServer((config.host, config.port), app) as server:
        print(f"control service listening on {server.base_url}", file=sys.stderr, flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
