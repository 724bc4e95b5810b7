"""T5: the alias answers every request exactly as the canonical route does.

Each case sets the service up once, then sends the same request to both routes of a pair and
compares status, error code, the body with the volatile fields masked, and the JWT claims but
iat/nbf/exp/jti; those four are checked against T4 on each side instead.
"""

# Test names carry the contract's rule ids (T1...T6), upper case as CONTRACT.md spells them.

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests

from tests.unit.test_control_support import (
    ALIAS,
    BUILD_HEADERS,
    CANONICAL,
    V1_ALIAS,
    V1_CANONICAL,
    Service,
    started,
    verified_claims,
)

VOLATILE_DATA = ("token", "token_id", "issued_at", "refresh_after", "expires_at")
VOLATILE_CLAIMS = ("iat", "nbf", "exp", "jti")
ALL_SCOPES = [
    "runtime.codex_worker_events",
    "runtime.codex_worker_summaries",
    "runtime.run_summaries",
]


@dataclass(frozen=True)
class Case:
    """One request, and how to prepare the service before sending it to both routes."""

    name: str
    body: Any = None
    raw: bytes | None = None
    bearer: str = "session"  # "session", "pat", "device", "revoked", "none" or "bogus"
    method: str = "POST"
    headers: dict[str, str] = field(default_factory=dict)
    toggles: dict[str, bool] = field(default_factory=dict)
    deny_org: bool = False


CASES = [
    Case("empty body", raw=b""),
    Case("empty object", body={}),
    Case("pat", body={}, bearer="pat"),
    Case(
        "rich",
        body={
            "scopes": ALL_SCOPES,
            "topics": ["u:1:worker_events", "fleet:user:1:workers", "org:a.b:runs"],
            "streams": ["runtime.topic.u.1.worker_events", "runtime.topic.org.a%2Eb.runs"],
            "ttl_seconds": 900,
            "device_id": "device-x",
        },
    ),
    Case("bound device, same", body={"device_id": "device-a"}, bearer="device"),
    Case("bound device, absent", body={}, bearer="device"),
    Case("bound device, other", body={"device_id": "device-b"}, bearer="device"),
    Case("no bearer", body={}, bearer="none"),
    Case("unknown bearer", body={}, bearer="bogus"),
    Case("revoked", body={}, bearer="revoked"),
    Case("not json", raw=b"{"),
    Case("array", body=[]),
    Case("unknown scope", body={"scopes": ["runtime.nope"]}),
    Case("topic suffix", body={"topics": ["run:1:events"]}),
    Case("topic scope", body={"topics": ["u:1:runs"]}),
    Case("stream form", body={"streams": ["runtime.topic.u.1.run"], "scopes": ALL_SCOPES}),
    Case("stream scope", body={"streams": ["runtime.topic.u.1.runs"]}),
    Case("ttl 59", body={"ttl_seconds": 59}),
    Case("ttl 60", body={"ttl_seconds": 60}),
    Case("ttl 901", body={"ttl_seconds": 901}),
    Case("ttl bool", body={"ttl_seconds": True}),
    Case("org denied", body={}, deny_org=True),
    Case("unavailable", body={}, toggles={"minting_unavailable": True}),
    Case("unavailable, bad body", body={"ttl_seconds": 1}, toggles={"minting_unavailable": True}),
    Case("get", method="GET"),
    Case("compat, headers", body={}, headers=BUILD_HEADERS, toggles={"compat_enforced": True}),
    Case("compat, no headers", body={}, toggles={"compat_enforced": True}),
    Case("compat, no bearer", body={}, bearer="none", toggles={"compat_enforced": True}),
]

PAIRS = [(CANONICAL, ALIAS), (V1_CANONICAL, V1_ALIAS)]


@pytest.fixture
def service() -> Iterator[Service]:
    with started() as running:
        yield running


def prepare(service: Service, case: Case) -> str | None:
    """Seed what the case needs; the bearer secret to send, if any."""
    if case.bearer in ("none", "bogus"):
        return None if case.bearer == "none" else "bogus-secret"
    bearer = service.session(
        device_id="device-a" if case.bearer == "device" else None, pat=case.bearer == "pat"
    )
    session = service.state.session_for_bearer(bearer)
    assert session is not None
    if case.bearer == "revoked":
        service.state.revoke(session.session_id)
    service.state.set_org_policy(session.org_id, deny_sync_tokens=case.deny_org)
    service.state.update_toggles(**case.toggles)
    return bearer


def observe(response: requests.Response) -> dict[str, Any]:
    """What T5 compares, once T4's relations for the volatile fields have been checked."""
    body = response.json()
    seen: dict[str, Any] = {"status": response.status_code, "body": body}
    if response.status_code != 200:
        return seen
    data = dict(body["data"])
    claims = verified_claims(data["token"])
    assert claims["nbf"] == claims["iat"]
    assert claims["exp"] == claims["iat"] + data["expires_in"]
    assert claims["jti"] == data["token_id"]
    seen["body"] = {"data": {**data, **dict.fromkeys(VOLATILE_DATA, "<volatile>")}}
    seen["claims"] = {k: v for k, v in claims.items() if k not in VOLATILE_CLAIMS}
    return seen


@pytest.mark.parametrize(("canonical", "alias"), PAIRS, ids=["api", "api-v1"])
@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_T5_alias_answers_as_the_canonical_route(
    service: Service, case: Case, canonical: str, alias: str
) -> None:
    bearer = prepare(service, case)

    def send(path: str) -> dict[str, Any]:
        return observe(
            service.request(
                case.method, path, bearer=bearer, body=case.body, raw=case.raw, headers=case.headers
            )
        )

    assert send(alias) == send(canonical)


def test_T5_matrix_reaches_every_outcome(service: Service) -> None:
    """The matrix is only as good as its coverage: every status and code T1-T3 name."""
    outcomes: set[tuple[int, str | None]] = set()
    for case in CASES:
        service.state.reset()
        bearer = prepare(service, case)
        response = service.request(
            case.method, V1_CANONICAL, bearer=bearer, body=case.body, raw=case.raw,
            headers=case.headers,
        )  # fmt: skip
        outcomes.add((response.status_code, response.json().get("error", {}).get("code")))
    assert outcomes >= {
        (200, None),
        (401, "unauthorized"),
        (403, "forbidden"),
        (405, "method_not_allowed"),
        (422, "invalid_request"),
        (422, "invalid_scope"),
        (426, "invalid_client_build"),
        (503, "sync_token_unavailable"),
    }
