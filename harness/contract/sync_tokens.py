"""The vocabulary of CONTRACT.md §7 (sync token routes), shared by generators and checkers.

Written from the contract, not imported from the reference service (`stub/control`): a
constant shared with the implementation under test would hide the very bug it should catch.
Where §7 names a thing without pinning it down, the reading chosen here is said next to it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

SCOPE_WORKER_EVENTS: Final = "runtime.codex_worker_events"
SCOPE_WORKER_SUMMARIES: Final = "runtime.codex_worker_summaries"
SCOPE_RUN_SUMMARIES: Final = "runtime.run_summaries"
ALLOWED_SCOPES: Final = (SCOPE_WORKER_EVENTS, SCOPE_WORKER_SUMMARIES, SCOPE_RUN_SUMMARIES)
DEFAULT_SCOPE: Final = SCOPE_WORKER_EVENTS

# T3 lists the suffixes and says a topic "needs its scope"; which scope goes with which suffix
# is read from the names (worker events, worker summaries, run summaries).
TOPIC_SUFFIX_SCOPES: Final[Mapping[str, str]] = {
    ":worker_events": SCOPE_WORKER_EVENTS,
    ":workers": SCOPE_WORKER_SUMMARIES,
    ":runs": SCOPE_RUN_SUMMARIES,
}

MIN_TTL_SECONDS: Final = 60
MAX_TTL_SECONDS: Final = 900
DEFAULT_TTL_SECONDS: Final = 300
_REFRESH_MARGIN_SECONDS: Final = 30

TOKEN_TYPE: Final = "Bearer"
TRANSPORT: Final = "spacetime_ws"
PROTOCOL_VERSION: Final = "spacetime.sync.v1"
CLAIMS_VERSION: Final = "oa_sync_claims_v1"
SUBJECT_PREFIX: Final = "user:"

# T4's `data` fields, in the contract's order.
RESPONSE_FIELDS: Final = (
    "token", "token_type", "transport", "protocol_version", "expires_in", "refresh_after_in",
    "issued_at", "refresh_after", "expires_at", "issuer", "audience", "subject", "org_id",
    "claims_version", "scopes", "granted_topics", "granted_streams", "kid", "token_id",
    "session_id", "device_id",
)  # fmt: skip
CLAIMS: Final = (
    "iss", "aud", "sub", "iat", "nbf", "exp", "jti", "oa_user_id", "oa_org_id", "oa_session_id",
    "oa_device_id", "oa_sync_scopes", "oa_sync_topics", "oa_sync_streams", "oa_claims_version",
)  # fmt: skip
# T5: what may differ between two answers to the same request.
VOLATILE_FIELDS: Final = frozenset(
    {"token", "token_id", "issued_at", "refresh_after", "expires_at"}
)
VOLATILE_CLAIMS: Final = frozenset({"iat", "nbf", "exp", "jti"})

# T1: the client build headers the /api/v1 routes need under compatibility enforcement.
BUILD_ID_HEADER: Final = "x-oa-client-build-id"
PROTOCOL_HEADER: Final = "x-oa-protocol-version"
SCHEMA_HEADER: Final = "x-oa-schema-version"
CLIENT_PROTOCOL_VERSION: Final = "openagents.control.v1"
CLIENT_SCHEMA_VERSION: Final = "1"


class ErrorCode(StrEnum):
    """The `error.code` values §7 names, each with the status T1/T3 pair it with."""

    UNAUTHORIZED = "unauthorized"  # 401
    FORBIDDEN = "forbidden"  # 403
    INVALID_REQUEST = "invalid_request"  # 422
    INVALID_SCOPE = "invalid_scope"  # 422
    INVALID_CLIENT_BUILD = "invalid_client_build"  # 426
    SYNC_TOKEN_UNAVAILABLE = "sync_token_unavailable"  # 503


class RouteFamily(StrEnum):
    """T1's two pairs of routes: each pairs a canonical route with its alias."""

    API = "api"  # /api/sync/token and /api/spacetime/token
    API_V1 = "api-v1"  # the optional /api/v1 pair, with client build headers


@dataclass(frozen=True)
class ControlPolicy:
    """What a service declares about itself; T1 and T6 depend on it."""

    alias_retired: bool = False  # T6: the alias answers 404 and leaves the OpenAPI document
    compat_enforced: bool = False  # T1: the /api/v1 routes need the client build headers


def refresh_after_in(ttl_seconds: int) -> int:
    """T4: the refresh hint, thirty seconds before expiry but never below one second."""
    return max(ttl_seconds - _REFRESH_MARGIN_SECONDS, 1)


def topic_scope(topic: str) -> str | None:
    """The scope a requested topic needs (T3), or None when it may not be requested."""
    return next(
        (scope for suffix, scope in TOPIC_SUFFIX_SCOPES.items() if topic.endswith(suffix)), None
    )
