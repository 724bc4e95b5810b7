"""`python -m beacon_gate`, configured from the environment:

BEACON_GATE_PORT         port to listen on, on 127.0.0.1 (required; 0 picks one)
BEACON_GATE_SIGNING_KEY  HS256 key for tokens (required)
BEACON_GATE_KID          key id put in token headers (default beacon-1)
BEACON_GATE_MAIL         "mock": login codes come back in the response instead of by mail
BEACON_GATE_FIXTURES     "on": serve the /_fixtures/ test API
BEACON_GATE_LOG          "on": log every request to stderr
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Mapping

from .mint import Minter
from .server import GateServer


def main(env: Mapping[str, str] = os.environ) -> int:
    port, key = env.get("BEACON_GATE_PORT", ""), env.get("BEACON_GATE_SIGNING_KEY", "")
    if not port.isdigit() or int(port) > 65535:
        print(f"beacon-gate: BEACON_GATE_PORT must be a port number, got {port!r}",
              file=sys.stderr)
        return 2
    if not key:
        print("beacon-gate: set BEACON_GATE_SIGNING_KEY", file=sys.stderr)
        return 2
    server = GateServer(("127.0.0.1", int(port)),
                        Minter(key.encode(), env.get("BEACON_GATE_KID", "beacon-1")),
                        mock_mail=env.get("BEACON_GATE_MAIL") == "mock",
                        fixtures=env.get("BEACON_GATE_FIXTURES") == "on",
                        log=env.get("BEACON_GATE_LOG") == "on")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"beacon-gate listening on {server.url}", flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
