"""Where the publisher delivers: a SpacetimeDB server, a database and the publisher's token.

Checked when set rather than when first used, so that a typo is a 400 on `POST /v1/target`
instead of a stream of transient connection errors later.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from stub.runtime.errors import RefusedError


@dataclass(frozen=True, slots=True)
class Target:
    """A SpacetimeDB database to publish into; `token` authenticates the publisher (M1)."""

    stdb_url: str
    database: str
    token: str

    @property
    def apply_event_url(self) -> str:
        """`POST` here to call the module's `apply_event` reducer."""
        database = quote(self.database, safe="")
        return f"{self.stdb_url.rstrip('/')}/v1/database/{database}/call/apply_event"

    def to_json(self) -> dict[str, str]:
        return {"stdb_url": self.stdb_url, "database": self.database, "token": self.token}


def make_target(stdb_url: str, database: str, token: str) -> Target | None:
    """The target these fields name; None for an empty URL (journal without publishing)."""
    if not stdb_url:
        if database or token:
            raise RefusedError("invalid_target", "database and token need a stdb_url")
        return None
    parts = urlsplit(stdb_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RefusedError("invalid_target", f"stdb_url {stdb_url!r} is not an http(s) URL")
    if parts.query or parts.fragment:
        raise RefusedError("invalid_target", f"stdb_url {stdb_url!r} has a query or fragment")
    if not database:
        raise RefusedError("invalid_target", "database is empty")
    return Target(stdb_url, database, token)


def target_from_json(value: Any) -> Target | None:
    """The target `Target.to_json` wrote (None for null); ValueError if it is not one."""
    if value is None:
        return None
    if not isinstance(value, dict) or not all(
        isinstance(value.get(name), str) for name in ("stdb_url", "database", "token")
    ):
        raise ValueError(f"not a target: {value!r}")
    return Target(value["stdb_url"], value["database"], value["token"])
