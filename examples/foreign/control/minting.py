"""A sync-token request, checked and answered.

`approve` runs the checks in this order, the first failure answering:

1. the bearer is a live session or personal access token          401 unauthorized
2. the body is empty or a JSON object whose fields have the right
   types (`scopes`, `topics`, `streams`: lists of strings; `ttl_seconds`: an integer
   in 60..900; `device_id`: a string), every topic and stream requestable
                                                                   422 invalid_request
3. every scope allowed, every topic's and stream's scope granted  422 invalid_scope
4. a device-bound session asked for another device               403 forbidden
5. the user's org refuses sync tokens                            403 forbidden
6. minting is switched off                                       503 sync_token_unavailable

`token_response` then builds the signed token and the response that describes it.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from examples.foreign.control import grants
from examples.foreign.control.accounts import Accounts, Credential
from examples.foreign.control.signing import sign

DEFAULT_TTL_SECONDS = 300
TTL_RANGE = range(60, 901)
CLAIMS_VERSION = "oa_sync_claims_v1"


class Refusal(Exception):
    """An answer other than 200, with the body every refusal of this service has."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message

    def document(self) -> dict[str, Any]:
        return {"message": self.message, "error": {"code": self.code, "message": self.message}}


@dataclass(frozen=True)
class TokenAsk:
    """A request body that passed check 2: each topic and stream with the scope it needs."""

    scopes: tuple[str, ...]
    topics: tuple[tuple[str, str], ...]
    streams: tuple[tuple[str, str], ...]
    ttl_seconds: int
    device_id: str | None


@dataclass(frozen=True)
class Approved:
    credential: Credential
    ask: TokenAsk
    device_id: str | None


@dataclass(frozen=True)
class Issuer:
    """What every token shares."""

    key: bytes
    kid: str
    issuer: str = "foreign-control"
    audience: str = "foreign-sync"


def _malformed(message: str) -> Refusal:
    return Refusal(422, "invalid_request", message)


def _bearer(accounts: Accounts, authorization: str | None) -> Credential:
    parts = (authorization or "").split()
    found = accounts.live(parts[1]) if len(parts) == 2 and parts[0].lower() == "bearer" else None
    if found is None:
        raise Refusal(401, "unauthorized", "A valid session or access token is required.")
    return found


def _names(body: dict[str, Any], field: str) -> list[str]:
    value = body.get(field)
    if value is None:
        return []
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return value
    raise _malformed(f"'{field}' must be an array of strings.")


def read_ask(raw: bytes) -> TokenAsk:
    """Check 2: the body's shape."""
    try:
        body = json.loads(raw.decode("utf-8")) if raw.strip() else {}
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise _malformed("The body is not JSON.") from error
    if not isinstance(body, dict):
        raise _malformed("The body must be a JSON object.")
    scopes = _names(body, "scopes")
    topics, streams = [], []
    for topic in _names(body, "topics"):
        needed = grants.topic_scope(topic)
        if needed is None:
            raise _malformed(f"Topic '{topic}' cannot be requested.")
        topics.append((topic, needed))
    for stream in _names(body, "streams"):
        needed = grants.stream_scope(stream)
        if needed is None:
            raise _malformed(f"Stream '{stream}' cannot be requested.")
        streams.append((stream, needed))
    ttl = body.get("ttl_seconds", DEFAULT_TTL_SECONDS)
    ttl = DEFAULT_TTL_SECONDS if ttl is None else ttl
    if isinstance(ttl, bool) or not isinstance(ttl, int) or ttl not in TTL_RANGE:
        raise _malformed(f"'ttl_seconds' must be an integer from {TTL_RANGE.start} "
                         f"to {TTL_RANGE.stop - 1}.")
    device_id = body.get("device_id")
    if device_id is not None and not isinstance(device_id, str):
        raise _malformed("'device_id' must be a string.")
    return TokenAsk(tuple(scopes), tuple(topics), tuple(streams), ttl, device_id or None)


def approve(accounts: Accounts, authorization: str | None, raw: bytes) -> Approved:
    """Checks 1-6 (see the module's docstring)."""
    credential = _bearer(accounts, authorization)
    ask = read_ask(raw)
    for scope in ask.scopes:
        if scope not in grants.ALLOWED_SCOPES:
            raise Refusal(422, "invalid_scope", f"Unknown scope '{scope}'.")
    granted = ask.scopes or (grants.DEFAULT_SCOPE,)
    for name, needed in ask.topics + ask.streams:
        if needed not in granted:
            raise Refusal(422, "invalid_scope", f"'{name}' needs the scope '{needed}'.")
    device_id = ask.device_id
    if credential.device_id is not None:
        if device_id not in (None, credential.device_id):
            raise Refusal(403, "forbidden", "This session belongs to another device.")
        device_id = credential.device_id
    if accounts.denies_sync(credential.org_id):
        raise Refusal(403, "forbidden", "Your organization does not allow sync tokens.")
    if not accounts.minting_available:
        raise Refusal(503, "sync_token_unavailable", "Sync tokens cannot be issued right now.")
    return Approved(credential, TokenAsk(granted, ask.topics, ask.streams, ask.ttl_seconds,
                                         ask.device_id), device_id)


def _utc(seconds: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def token_response(
    issuer: Issuer, approved: Approved, ttl_seconds: int, *, now: int, token_id: str
) -> dict[str, Any]:
    """The 200 body: `{data: {...}}` with the signed token and what it grants."""
    who, ask = approved.credential, approved.ask
    refresh_in = max(ttl_seconds - 30, 1)
    subject = "user:" + who.user_id
    claims = {
        "iss": issuer.issuer, "aud": issuer.audience, "sub": subject,
        "iat": now, "nbf": now, "exp": now + ttl_seconds, "jti": token_id,
        "oa_user_id": who.user_id, "oa_org_id": who.org_id, "oa_session_id": who.id,
        "oa_device_id": approved.device_id,
        "oa_sync_scopes": list(ask.scopes),
        "oa_sync_topics": [name for name, _ in ask.topics],
        "oa_sync_streams": [name for name, _ in ask.streams],
        "oa_claims_version": CLAIMS_VERSION,
    }  # fmt: skip
    return {"data": {
        "token": sign(claims, issuer.key, issuer.kid),
        "token_type": "Bearer",
        "transport": "spacetime_ws",
        "protocol_version": "spacetime.sync.v1",
        "expires_in": ttl_seconds,
        "refresh_after_in": refresh_in,
        "issued_at": _utc(now),
        "refresh_after": _utc(now + refresh_in),
        "expires_at": _utc(now + ttl_seconds),
        "issuer": issuer.issuer,
        "audience": issuer.audience,
        "subject": subject,
        "org_id": who.org_id,
        "claims_version": CLAIMS_VERSION,
        "scopes": list(ask.scopes),
        "granted_topics": [{"topic": n, "required_scope": s} for n, s in ask.topics],
        "granted_streams": [{"stream": n, "required_scope": s} for n, s in ask.streams],
        "kid": issuer.kid,
        "token_id": token_id,
        "session_id": who.id,
        "device_id": approved.device_id,
    }}
