"""`python -m examples.foreign.control --port N --signing-key K [--alias-retired]`.

The signing key may come from the environment instead (`FOREIGN_CONTROL_SIGNING_KEY`), so
it need not show in a process list. The server runs until it is interrupted or terminated.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from types import FrameType

from examples.foreign.control.minting import Issuer
from examples.foreign.control.service import ControlServer

KEY_VARIABLE = "FOREIGN_CONTROL_SIGNING_KEY"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m examples.foreign.control",
                                     description="The foreign sync-token control service.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True, help="0 picks a free port")
    parser.add_argument("--signing-key", default=os.environ.get(KEY_VARIABLE),
                        help=f"HS256 key (default: ${KEY_VARIABLE})")
    parser.add_argument("--kid", default="foreign-2024-01", help="the key id in JWT headers")
    parser.add_argument("--alias-retired", action="store_true",
                        help="serve only the canonical route; the alias answers 404")
    parser.add_argument("--verbose", action="store_true", help="log every request")
    args = parser.parse_args(argv)
    if not args.signing_key:
        parser.error(f"give --signing-key or set {KEY_VARIABLE}")
    server = ControlServer((args.host, args.port),
                           Issuer(args.signing_key.encode("utf-8"), args.kid),
                           alias_retired=args.alias_retired, quiet=not args.verbose)

    def stop(_signal: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    retired = " (alias retired)" if args.alias_retired else ""
    print(f"foreign control listening on {server.base_url}{retired}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
