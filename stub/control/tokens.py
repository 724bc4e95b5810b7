"""Sync-token minting: request validation, the order of checks, claims (CONTRACT.md T2-T4).

Pure functions over a `ControlState`, the settings and a clock, so every rule can be tested
without a socket. Every route that mints (canonical, alias, /api/v1) calls `issue`, so they
cannot disagree (T5).

Order of checks; the first failure answers:
1. `Authorization: Bearer <secret>` names a live session or PAT, else 401 `unauthorized`.
2. The body has the right shape, else 422 `invalid_request`: empty or a JSON object; `scopes`,
   `topics`, `streams` lists of strings; `ttl_seconds` an integer (not a bool) in 60..900;
   `device_id` a string; every topic and stream grantable (topics.py). JSON null counts as
   absent, so does an empty `device_id`; unknown fields are ignored.
3. Every scope is allowed and every topic and stream has its scope granted, else 422
   `invalid_scope`. An absent or empty `scopes` means the default. A malformed request is
   `invalid_request` even when it also asks for a wrong scope: shape before permission.
4. The device: a session bound to a device refuses a different `device_id` (403 `forbidden`);
   one that is not bound takes the `device_id` asked for. Absent means the session's device.
5. The org's policy may deny sync tokens: 403 `forbidden`.
6. Minting may be unavailable: 503 `sync_token_unavailable`. It comes last so a 503 always
   means "this request is fine and would be granted; retry later".

Lists are deduplicated keeping first occurrences, so the token states each grant once.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, NoReturn

from stub.control import hs256
from stub.control.errors import ApiError
from stub.control.state import ControlState, Session
from stub.control.topics import ALLOWED_SCOPES, DEFAULT_SCOPES, stream_scope, topic_scope

CLAIMS_VERSION: Final = "oa_sync_claims_v1"
TOKEN_TYPE: Final = "Bearer"
TRANSPORT: Final = "spacetime_ws"
PROTOCOL_VERSION: Final = "spacetime.sync.v1"
DEFAULT_TTL_SECONDS: Final = 300
MIN_TTL_SECONDS: Final = 60
MAX_TTL_SECONDS: Final = 900
REFRESH_MARGIN_SECONDS: Final = 30


@dataclass(frozen=True)
class TokenSettings:
    """What every minted token shares: the HS256 key and the names verifiers check."""

    signing_key: bytes
    issuer: str
    audience: str
    kid: str


@dataclass(frozen=True)
class TokenRequest:
    """A well-shaped request body (check 2), not yet checked against scopes or policy."""

    scopes: tuple[str, ...]
    topics: tuple[tuple[str, str], ...]  # (topic, the scope it requires)
    streams: tuple[tuple[str, str], ...]  # (stream id, the scope it requires)
    ttl_seconds: int
    device_id: str | None


@dataclass(frozen=True)
class Grant:
    """What the token will allow: scopes, and each topic and stream with the scope it needs."""

    scopes: tuple[str, ...]
    topics: tuple[tuple[str, str], ...]
    streams: tuple[tuple[str, str], ...]


def _invalid_request(message: str) -> ApiError:
    return ApiError(422, "invalid_request", message)


def _invalid_scope(message: str) -> ApiError:
    return ApiError(422, "invalid_scope", message)


def _unique(items: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def authenticate(state: ControlState, authorization: str | None) -> Session:
    """Check 1: the live session or PAT behind the bearer secret."""
    scheme, _, secret = (authorization or "").strip().partition(" ")
    session = state.session_for_bearer(secret.strip()) if scheme.lower() == "bearer" else None
    if session is None or session.revoked:
        raise ApiError(401, "unauthorized", "Unauthenticated.")
    return session


def _reject_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not JSON")


def _string_list(document: Mapping[str, Any], name: str) -> list[str]:
    value = document.get(name)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise _invalid_request(f"{name} must be a list of strings.")
    return value


def parse_request(body: bytes) -> TokenRequest:
    """Check 2: the body's shape, the TTL range and the form of topics and streams."""
    try:
        document = json.loads(body, parse_constant=_reject_constant) if body.strip() else {}
    except ValueError as error:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise _invalid_request("The request body is not valid JSON.") from error
    if not isinstance(document, dict):
        raise _invalid_request("The request body must be a JSON object.")
    scopes = _string_list(document, "scopes")
    topics = _string_list(document, "topics")
    streams = _string_list(document, "streams")
    ttl = document.get("ttl_seconds")
    if ttl is None:
        ttl = DEFAULT_TTL_SECONDS
    elif type(ttl) is not int:  # bool is a subclass of int, and is not a TTL
        raise _invalid_request("ttl_seconds must be an integer.")
    if not MIN_TTL_SECONDS <= ttl <= MAX_TTL_SECONDS:
        raise _invalid_request(
            f"ttl_seconds must be between {MIN_TTL_SECONDS} and {MAX_TTL_SECONDS}."
        )
    device_id = document.get("device_id")
    if device_id is not None and not isinstance(device_id, str):
        raise _invalid_request("device_id must be a string.")
    return TokenRequest(
        scopes=_unique(scopes),
        topics=tuple((topic, _topic_scope(topic)) for topic in _unique(topics)),
        streams=tuple((stream, _stream_scope(stream)) for stream in _unique(streams)),
        ttl_seconds=ttl,
        device_id=device_id or None,
    )


def _topic_scope(topic: str) -> str:
    scope = topic_scope(topic)
    if scope is None:
        raise _invalid_request(
            f"Topic {topic!r} cannot be requested: a topic must end in "
            "':worker_events', ':workers' or ':runs'."
        )
    return scope


def _stream_scope(stream: str) -> str:
    scope = stream_scope(stream)
    if scope is None:
        raise _invalid_request(
            f"Stream {stream!r} cannot be requested: it must be the stream id of a topic "
            "that can be requested."
        )
    return scope


def grant(request: TokenRequest) -> Grant:
    """Check 3: allowed scopes, and the scope each requested topic and stream needs."""
    unknown = [scope for scope in request.scopes if scope not in ALLOWED_SCOPES]
    if unknown:
        raise _invalid_scope(f"Scope {unknown[0]!r} is not allowed.")
    scopes = request.scopes or DEFAULT_SCOPES
    for name, needed in request.topics + request.streams:
        if needed not in scopes:
            raise _invalid_scope(f"{name!r} requires scope {needed!r}, which was not granted.")
    return Grant(scopes, request.topics, request.streams)


def authorize(state: ControlState, session: Session, request: TokenRequest) -> str | None:
    """Checks 4-6: device binding, org policy, availability. Returns the token's device."""
    bound = session.device_id
    if bound is not None and request.device_id not in (None, bound):
        raise ApiError(403, "forbidden", "The session is bound to another device.")
    if state.denies_sync_tokens(session.org_id):
        raise ApiError(403, "forbidden", "Sync tokens are disabled for this organization.")
    if state.toggles.minting_unavailable:
        raise ApiError(503, "sync_token_unavailable", "Sync token minting is unavailable.")
    return bound if bound is not None else request.device_id


def _rfc3339(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def mint(
    settings: TokenSettings,
    session: Session,
    granted: Grant,
    device_id: str | None,
    ttl_seconds: int,
    *,
    issued_at: int,
    token_id: str,
) -> dict[str, Any]:
    """T4: the signed token and the response `data` that describes it."""
    refresh_after_in = max(ttl_seconds - REFRESH_MARGIN_SECONDS, 1)
    subject = f"user:{session.user_id}"
    claims = {
        "iss": settings.issuer,
        "aud": settings.audience,
        "sub": subject,
        "iat": issued_at,
        "nbf": issued_at,
        "exp": issued_at + ttl_seconds,
        "jti": token_id,
        "oa_user_id": session.user_id,
        "oa_org_id": session.org_id,
        "oa_session_id": session.session_id,
        "oa_device_id": device_id,
        "oa_sync_scopes": list(granted.scopes),
        "oa_sync_topics": [topic for topic, _ in granted.topics],
        "oa_sync_streams": [stream for stream, _ in granted.streams],
        "oa_claims_version": CLAIMS_VERSION,
    }
    return {
        "token": hs256.encode(claims, settings.signing_key, settings.kid),
        "token_type": TOKEN_TYPE,
        "transport": TRANSPORT,
        "protocol_version": PROTOCOL_VERSION,
        "expires_in": ttl_seconds,
        "refresh_after_in": refresh_after_in,
        "issued_at": _rfc3339(issued_at),
        "refresh_after": _rfc3339(issued_at + refresh_after_in),
        "expires_at": _rfc3339(issued_at + ttl_seconds),
        "issuer": settings.issuer,
        "audience": settings.audience,
        "subject": subject,
        "org_id": session.org_id,
        "claims_version": CLAIMS_VERSION,
        "scopes": list(granted.scopes),
        "granted_topics": [{"topic": t, "required_scope": s} for t, s in granted.topics],
        "granted_streams": [{"stream": t, "required_scope": s} for t, s in granted.streams],
        "kid": settings.kid,
        "token_id": token_id,
        "session_id": session.session_id,
        "device_id": device_id,
    }


def issue(
    state: ControlState,
    settings: TokenSettings,
    authorization: str | None,
    body: bytes,
    *,
    clock: Callable[[], float],
    new_token_id: Callable[[], str],
) -> dict[str, Any]:
    """Run checks 1-6 in order and mint; raises `ApiError` for the first failure."""
    session = authenticate(state, authorization)
    request = parse_request(body)
    granted = grant(request)
    device_id = authorize(state, session, request)
    return mint(
        settings,
        session,
        granted,
        device_id,
        request.ttl_seconds,
        issued_at=int(clock()),
        token_id=new_token_id(),
    )
