"""One call of the module's apply reducer over SpacetimeDB's HTTP API.

Only the standard library (the runtime's container has nothing else), and no proxy from
the environment: the server is on the harness's private network, and a proxy would turn
"SpacetimeDB is down" into some other answer. What the answer means is `classify`'s job;
this module only reports it, with no status at all when nothing answered.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from http.client import HTTPException

from stub.runtime.target import Target

_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
# The error text of a failed reducer is short; a longer body is cut to keep logs readable.
_MAX_TEXT = 4096


@dataclass(frozen=True, slots=True)
class CallAnswer:
    """The HTTP status and body text of a call; status None when no answer came."""

    status: int | None
    text: str


def call_reducer(target: Target, args: Sequence[object], timeout_s: float) -> CallAnswer:
    """`POST {stdb_url}/v1/database/{database}/call/{reducer}` with `args` (rendered from
    the target's templates) as a JSON array."""
    headers = {"Content-Type": "application/json"}
    if target.token:
        headers["Authorization"] = f"Bearer {target.token}"
    body = json.dumps(list(args), ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(target.reducer_url, data=body, headers=headers, method="POST")
    try:
        with _OPENER.open(request, timeout=timeout_s) as response:
            return CallAnswer(response.status, _text(response.read()))
    except urllib.error.HTTPError as exc:
        with exc:
            return CallAnswer(exc.code, _text(exc.read()))
    except (OSError, HTTPException) as exc:
        # URLError (refused, unreachable), timeouts and broken connections are all OSError.
        return CallAnswer(None, f"{type(exc).__name__}: {exc}")


def _text(body: bytes) -> str:
    return body[:_MAX_TEXT].decode("utf-8", errors="replace")
