"""Token requests: what may be asked for, in which order it is checked, what comes back.

A request body is optional; when present it is a JSON object with any of `scopes`,
`topics`, `streams` (lists of strings), `ttl_seconds` (60 to 900, default 300) and
`device_id`. Shape mistakes are answered by the validator as plain text (422); everything
after that is a JSON error `{message, error: {code, message}}`.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from .accounts import Accounts, Refused, Session

WORKER_EVENTS = "runtime.codex_worker_events"
WORKER_SUMMARIES = "runtime.codex_worker_summaries"
RUN_SUMMARIES = "runtime.run_summaries"
SCOPES = (WORKER_EVENTS, WORKER_SUMMARIES, RUN_SUMMARIES)
# A topic may be requested by its last segment; each needs one scope.
TOPIC_SCOPES = {"worker_events": WORKER_EVENTS, "workers": WORKER_SUMMARIES,
                "runs": RUN_SUMMARIES}
TTL_RANGE = range(60, 901)
DEFAULT_TTL = 300
CLAIMS_VERSION = "oa_sync_claims_v1"


class ShapeError(Exception):
    """The body is not what the schema says; answered 422 as plain text."""


@dataclass(frozen=True)
class Ask:
    scopes: tuple[str, ...]
    topics: tuple[str, ...]
    streams: tuple[str, ...]
    ttl: int
    device_id: str | None


def _strings(body: dict[str, Any], name: str) -> tuple[str, ...]:
    value = body.get(name, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ShapeError(f"{name}: expected a list of strings")
    return tuple(value)


def parse(raw: bytes) -> Ask:
    """The request body as an `Ask`; `ValueError` if it is not JSON, `ShapeError` if its
    shape is wrong."""
    body = json.loads(raw) if raw.strip() else {}
    if not isinstance(body, dict):
        raise ShapeError("body: expected a JSON object")
    ttl = body.get("ttl_seconds", DEFAULT_TTL)
    if type(ttl) is not int or ttl not in TTL_RANGE:
        raise ShapeError("ttl_seconds: expected an integer from 60 to 900")
    device = body.get("device_id")
    if device is not None and not isinstance(device, str):
        raise ShapeError("device_id: expected a string")
    return Ask(_strings(body, "scopes") or (WORKER_EVENTS,), _strings(body, "topics"),
               _strings(body, "streams"), ttl, device)


_FLEET_STREAM = re.compile(r"runtime\.fleet\.(user|guest)\.(.+)\.workers")
_ESCAPED = {"%2E": ".", "%25": "%", ".": ":"}


def stream_topic(stream: str) -> str | None:
    """The topic a requestable stream carries (the runtime's naming), or None."""
    fleet = _FLEET_STREAM.fullmatch(stream)
    if fleet:
        return f"fleet:{fleet[1]}:{fleet[2]}:workers"
    encoded = stream.removeprefix("runtime.topic.")
    if encoded == stream or not encoded or "%" in re.sub("%2E|%25", "", encoded):
        return None
    return re.sub(r"%2E|%25|\.", lambda m: _ESCAPED[m[0]], encoded)


def _needs(topic: str) -> str:
    scope = TOPIC_SCOPES.get(topic.rpartition(":")[2]) if ":" in topic else None
    if scope is None:
        raise Refused(422, "invalid_request", f"{topic} cannot be requested")
    return scope


def _grants(ask: Ask) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    topics, streams = [], []
    for topic in ask.topics:
        topics.append({"topic": topic, "required_scope": _needs(topic)})
    for stream in ask.streams:
        carried = stream_topic(stream)
        if carried is None:
            raise Refused(422, "invalid_request", f"unknown stream {stream}")
        streams.append({"stream": stream, "required_scope": _needs(carried)})
    for grant in (*topics, *streams):
        if grant["required_scope"] not in ask.scopes:
            named = grant.get("topic") or grant["stream"]
            raise Refused(422, "invalid_scope", f"{named} needs {grant['required_scope']}")
    return topics, streams


def _org_of(topic: str) -> str | None:
    parts = topic.split(":")
    return parts[1] if len(parts) > 2 and parts[0] == "org" else None


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Minter:
    key: bytes
    kid: str
    issuer: str = "beacon-gate"
    audience: str = "beacon-feed"

    def mint(self, accounts: Accounts, session: Session, ask: Ask) -> dict[str, Any]:
        """The response's `data`, or `Refused`."""
        unknown = [s for s in ask.scopes if s not in SCOPES]
        if unknown:
            raise Refused(422, "invalid_scope", f"unknown scope {unknown[0]}")
        topics, streams = _grants(ask)
        carried = [*ask.topics, *(stream_topic(s) or "" for s in ask.streams)]
        if any(_org_of(t) not in (None, session.org_id) for t in carried):
            raise Refused(403, "forbidden", "a requested topic belongs to another org")
        if session.device_id is not None and ask.device_id not in (None, session.device_id):
            raise Refused(403, "forbidden", "this session is bound to another device")
        if session.org_id is None or not accounts.sync_allowed(session.org_id):
            raise Refused(403, "forbidden", "sync is not enabled for this org")
        if not accounts.minting_enabled:
            raise Refused(503, "sync_token_unavailable", "token minting is paused")
        return self._issue(session, ask, topics, streams)

    def _issue(self, session: Session, ask: Ask, topics: list[dict[str, str]],
               streams: list[dict[str, str]]) -> dict[str, Any]:
        now = datetime.now(UTC).replace(microsecond=0)
        iat = int(now.timestamp())
        token_id = f"t-{secrets.token_hex(8)}"
        device = ask.device_id or session.device_id
        refresh = max(ask.ttl - 30, 1)
        claims = {
            "iss": self.issuer, "aud": self.audience, "sub": f"user:{session.user_id}",
            "iat": iat, "nbf": iat, "exp": iat + ask.ttl, "jti": token_id,
            "oa_user_id": session.user_id, "oa_org_id": session.org_id,
            "oa_session_id": session.session_id, "oa_device_id": device,
            "oa_sync_scopes": list(ask.scopes), "oa_sync_topics": list(ask.topics),
            "oa_sync_streams": list(ask.streams), "oa_claims_version": CLAIMS_VERSION,
        }
        token = jwt.encode(claims, self.key, algorithm="HS256", headers={"kid": self.kid})
        return {
            "token": token, "token_type": "Bearer", "transport": "spacetime_ws",
            "protocol_version": "spacetime.sync.v1",
            "expires_in": ask.ttl, "refresh_after_in": refresh, "issued_at": _stamp(now),
            "refresh_after": _stamp(now + timedelta(seconds=refresh)),
            "expires_at": _stamp(now + timedelta(seconds=ask.ttl)),
            "issuer": self.issuer, "audience": self.audience,
            "subject": claims["sub"], "org_id": session.org_id,
            "claims_version": CLAIMS_VERSION, "scopes": list(ask.scopes),
            "granted_topics": topics, "granted_streams": streams, "kid": self.kid,
            "token_id": token_id, "session_id": session.session_id, "device_id": device,
        }
