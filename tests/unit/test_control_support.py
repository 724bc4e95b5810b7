"""Shared helpers for the control service's tests; holds no tests itself.

Named `test_control_*` because that is the family of test files the control service owns.
The service runs in-process on 127.0.0.1, port 0, in a background thread; the tests seed its
state directly (the admin API has its own tests) and talk to it over real HTTP.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Final

import jwt
import requests

from stub.control.http import App
from stub.control.server import running
from stub.control.state import ControlState, Toggles
from stub.control.tokens import TokenSettings

KEY: Final = b"unit-test-signing-key-0123456789abcdef"
SETTINGS: Final = TokenSettings(KEY, "test-issuer", "test-audience", "test-kid")

CANONICAL: Final = "/api/sync/token"
ALIAS: Final = "/api/spacetime/token"
V1_CANONICAL: Final = "/api/v1/sync/token"
V1_ALIAS: Final = "/api/v1/spacetime/token"
TOKEN_ROUTES: Final = (CANONICAL, ALIAS, V1_CANONICAL, V1_ALIAS)
BUILD_HEADERS: Final = {
    "x-oa-client-build-id": "ios-2026.11.1",
    "x-oa-protocol-version": "openagents.control.v1",
    "x-oa-schema-version": "1",
}

CLAIM_NAMES: Final = frozenset(
    {
        "iss", "aud", "sub", "iat", "nbf", "exp", "jti", "oa_user_id", "oa_org_id",
        "oa_session_id", "oa_device_id", "oa_sync_scopes", "oa_sync_topics", "oa_sync_streams",
        "oa_claims_version",
    }
)  # fmt: skip


@dataclass
class Service:
    """A running control service, its state, and an HTTP client for it."""

    base_url: str
    state: ControlState
    http: requests.Session

    def request(
        self,
        method: str,
        path: str,
        *,
        bearer: str | None = None,
        body: Any = None,
        raw: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> requests.Response:
        """Send `body` as JSON (or `raw` bytes as they are), with an optional bearer secret."""
        sent = dict(headers or {})
        if bearer is not None:
            sent["Authorization"] = f"Bearer {bearer}"
        if raw is None and body is not None:
            return self.http.request(method, self.base_url + path, json=body, headers=sent)
        return self.http.request(method, self.base_url + path, data=raw, headers=sent)

    def mint(self, path: str = CANONICAL, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def session(self, device_id: str | None = None, *, pat: bool = False) -> str:
        """Seed a user, an org with that user as member, and a session (or PAT): its bearer."""
        user_id = self.state.add_user()
        org_id = self.state.add_org()
        self.state.set_member(org_id, user_id, "member")
        if pat:
            return self.state.issue_pat(user_id, org_id)[1]
        return self.state.open_session(user_id, org_id, device_id)[1]


@contextmanager
def started(toggles: Toggles | None = None) -> Iterator[Service]:
    """A fresh service with its own state, stopped when the block ends."""
    state = ControlState(toggles)
    with running(App(state, SETTINGS)) as server, requests.Session() as http:
        yield Service(server.base_url, state, http)


def error_of(response: requests.Response) -> tuple[int, str]:
    """(status, error code) of a refusal, after checking the body has exactly T3's shape."""
    body = response.json()
    assert set(body) == {"message", "error"}
    assert set(body["error"]) == {"code", "message"}
    assert body["message"] == body["error"]["message"]
    assert isinstance(body["message"], str) and body["message"]
    return response.status_code, body["error"]["code"]


def verified_claims(token: str) -> dict[str, Any]:
    """The claims of `token` once PyJWT has checked signature, issuer, audience and times."""
    claims: dict[str, Any] = jwt.decode(
        token,
        KEY,
        algorithms=["HS256"],
        audience=SETTINGS.audience,
        issuer=SETTINGS.issuer,
        options={"require": ["iss", "aud", "sub", "iat", "nbf", "exp", "jti"]},
    )
    return claims
