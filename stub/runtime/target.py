"""Where and how the publisher delivers: a SpacetimeDB server, a database, the publisher's
token, and the module's apply reducer: its name, its argument templates (see `templates`)
and the regular expressions of its permanent errors (B3).

The defaults are the reference module's, `apply_event(stream_id, seq, idempotency_key,
kind, payload_json, payload_hash, published_at_ms)` and its four error words. Everything is
checked when set rather than when first used, so that a typo is a 400 on `POST /v1/target`
instead of a stream of failed deliveries later.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import quote, urlsplit

from stub.runtime.errors import RefusedError
from stub.runtime.templates import REFERENCE_ARGS, TemplateError, check_templates, parse_args_json

REFERENCE_REDUCER: Final = "apply_event"
REFERENCE_ERROR_WORDS: Final = (
    "sequence_conflict", "idempotency_conflict", "invalid_event", "unauthorized",
)  # fmt: skip
REFERENCE_PERMANENT_ERRORS: Final[tuple[str, ...]] = tuple(
    rf"^({word})(?!\S)" for word in REFERENCE_ERROR_WORDS
)
"""The reference's permanent errors: a text whose first word is one of the four (so
`unauthorized` and `unauthorized <detail>` are permanent, `unauthorized_by_policy` is not)."""

_REDUCER_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True, slots=True)
class Target:
    """A SpacetimeDB database to publish into; `token` authenticates the publisher (M1).

    `reducer` is called with `args` rendered for each event; a 530 whose text matches any
    of `permanent_errors` (`re.search`) is a permanent refusal."""

    stdb_url: str
    database: str
    token: str
    reducer: str = REFERENCE_REDUCER
    args: tuple[object, ...] = REFERENCE_ARGS
    permanent_errors: tuple[str, ...] = REFERENCE_PERMANENT_ERRORS

    @property
    def reducer_url(self) -> str:
        """`POST` here to call the module's apply reducer."""
        database = quote(self.database, safe="")
        reducer = quote(self.reducer, safe="")
        return f"{self.stdb_url.rstrip('/')}/v1/database/{database}/call/{reducer}"

    def permanent_patterns(self) -> tuple[re.Pattern[str], ...]:
        return tuple(re.compile(pattern) for pattern in self.permanent_errors)

    def to_json(self) -> dict[str, object]:
        return {
            "stdb_url": self.stdb_url,
            "database": self.database,
            "token": self.token,
            "reducer": self.reducer,
            "args": list(self.args),
            "permanent_errors": list(self.permanent_errors),
        }


def make_target(
    stdb_url: str,
    database: str,
    token: str,
    *,
    reducer: str = "",
    args_json: str = "",
    permanent_errors: Sequence[str] = (),
) -> Target | None:
    """The target these fields name; None for an empty URL (journal without publishing).
    An empty `reducer`, `args_json` or `permanent_errors` is the reference's."""
    if not stdb_url:
        if database or token or reducer or args_json or permanent_errors:
            raise RefusedError(
                "invalid_target", "database, token and the reducer's wiring need a stdb_url"
            )
        return None
    parts = urlsplit(stdb_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RefusedError("invalid_target", f"stdb_url {stdb_url!r} is not an http(s) URL")
    if parts.query or parts.fragment:
        raise RefusedError("invalid_target", f"stdb_url {stdb_url!r} has a query or fragment")
    if not database:
        raise RefusedError("invalid_target", "database is empty")
    try:
        return _checked(
            Target(
                stdb_url,
                database,
                token,
                reducer or REFERENCE_REDUCER,
                parse_args_json(args_json) if args_json else REFERENCE_ARGS,
                tuple(permanent_errors) or REFERENCE_PERMANENT_ERRORS,
            )
        )
    except (TemplateError, ValueError) as exc:
        raise RefusedError("invalid_target", str(exc)) from None


def target_from_json(value: Any) -> Target | None:
    """The target `Target.to_json` wrote (None for null); ValueError if it is not one. A
    target recorded before the reducer's wiring was configurable gets the reference's."""
    if value is None:
        return None
    if not isinstance(value, dict) or not all(
        isinstance(value.get(name), str) for name in ("stdb_url", "database", "token")
    ):
        raise ValueError(f"not a target: {value!r}")
    reducer = value.get("reducer", REFERENCE_REDUCER)
    args = value.get("args", list(REFERENCE_ARGS))
    patterns = value.get("permanent_errors", list(REFERENCE_PERMANENT_ERRORS))
    if (
        not isinstance(reducer, str)
        or not isinstance(args, list)
        or not isinstance(patterns, list)
        or not all(isinstance(pattern, str) for pattern in patterns)
    ):
        raise ValueError(f"not a target: {value!r}")
    target = Target(
        value["stdb_url"], value["database"], value["token"], reducer, tuple(args), tuple(patterns)
    )
    return _checked(target)


def _checked(target: Target) -> Target:
    """`target` if its reducer name, templates and patterns are valid; ValueError (a
    TemplateError for the templates) naming the first problem otherwise."""
    if not _REDUCER_NAME.fullmatch(target.reducer):
        raise ValueError(f"reducer {target.reducer!r} is not a reducer name")
    check_templates(target.args)
    for pattern in target.permanent_errors:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(
                f"permanent_errors: {pattern!r} is not a regular expression: {exc}"
            ) from None
    return target
