"""T4: the success body and the JWT, checked independently with PyJWT."""

# Test names carry the contract's rule ids (T1...T6), upper case as CONTRACT.md spells them.

from __future__ import annotations

import warnings
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest

from stub.control import hs256
from stub.control.state import Session
from stub.control.tokens import Grant, mint
from tests.unit.test_control_support import (
    CLAIM_NAMES,
    KEY,
    SETTINGS,
    Service,
    started,
    verified_claims,
)

DATA_FIELDS = {
    "token", "token_type", "transport", "protocol_version", "expires_in", "refresh_after_in",
    "issued_at", "refresh_after", "expires_at", "issuer", "audience", "subject", "org_id",
    "claims_version", "scopes", "granted_topics", "granted_streams", "kid", "token_id",
    "session_id", "device_id",
}  # fmt: skip
RICH_BODY = {
    "scopes": ["runtime.run_summaries", "runtime.codex_worker_summaries"],
    "topics": ["org:acme:runs", "fleet:user:7:workers"],
    "streams": ["runtime.topic.org.acme.runs"],
    "ttl_seconds": 600,
    "device_id": "device-a",
}


@pytest.fixture
def service() -> Iterator[Service]:
    with started() as running:
        yield running


def rich_mint(service: Service) -> dict[str, Any]:
    response = service.mint(bearer=service.session(), body=RICH_BODY)
    assert response.status_code == 200, response.text
    assert set(response.json()) == {"data"}
    data: dict[str, Any] = response.json()["data"]
    return data


def timestamp(text: str) -> datetime:
    assert text.endswith("Z"), text
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def test_T4_data_holds_exactly_the_contract_fields(service: Service) -> None:
    assert set(rich_mint(service)) == DATA_FIELDS


def test_T4_data_describes_the_grant(service: Service) -> None:
    bearer = service.session()
    session = service.state.session_for_bearer(bearer)
    assert session is not None
    response = service.mint(bearer=bearer, body=RICH_BODY)
    data = response.json()["data"]
    assert data["token_type"] == "Bearer"
    assert data["transport"] == "spacetime_ws"
    assert data["protocol_version"] == "spacetime.sync.v1"
    assert data["claims_version"] == "oa_sync_claims_v1"
    assert (data["issuer"], data["audience"], data["kid"]) == (
        SETTINGS.issuer,
        SETTINGS.audience,
        SETTINGS.kid,
    )
    assert data["subject"] == f"user:{session.user_id}"
    assert (data["org_id"], data["session_id"]) == (session.org_id, session.session_id)
    assert data["device_id"] == "device-a"
    assert data["scopes"] == RICH_BODY["scopes"]
    assert data["granted_topics"] == [
        {"topic": "org:acme:runs", "required_scope": "runtime.run_summaries"},
        {"topic": "fleet:user:7:workers", "required_scope": "runtime.codex_worker_summaries"},
    ]
    assert data["granted_streams"] == [
        {"stream": "runtime.topic.org.acme.runs", "required_scope": "runtime.run_summaries"}
    ]


@pytest.mark.parametrize("ttl", [60, 61, 300, 900])
def test_T4_times_follow_the_ttl(service: Service, ttl: int) -> None:
    response = service.mint(bearer=service.session(), body={"ttl_seconds": ttl})
    data = response.json()["data"]
    assert data["expires_in"] == ttl
    assert data["refresh_after_in"] == max(ttl - 30, 1)
    issued = timestamp(data["issued_at"])
    assert abs(issued - datetime.now(UTC)) < timedelta(seconds=5)
    assert timestamp(data["refresh_after"]) == issued + timedelta(seconds=ttl - 30)
    assert timestamp(data["expires_at"]) == issued + timedelta(seconds=ttl)


def test_T4_refresh_after_in_is_at_least_one_second() -> None:
    session = Session("sess-1", "u", "o", None)
    data = mint(SETTINGS, session, Grant((), (), ()), None, 20, issued_at=0, token_id="t")
    assert (data["refresh_after_in"], data["refresh_after"]) == (1, "1970-01-01T00:00:01Z")


def test_T4_timestamps_are_rfc3339_utc_from_the_clock() -> None:
    session = Session("sess-1", "u", "o", None)
    data = mint(
        SETTINGS, session, Grant((), (), ()), None, 300, issued_at=1_700_000_000, token_id="t"
    )
    assert data["issued_at"] == "2023-11-14T22:13:20Z"
    assert data["refresh_after"] == "2023-11-14T22:17:50Z"
    assert data["expires_at"] == "2023-11-14T22:18:20Z"


def test_T4_token_is_an_hs256_jwt_with_the_kid(service: Service) -> None:
    header = jwt.get_unverified_header(rich_mint(service)["token"])
    assert header == {"alg": "HS256", "typ": "JWT", "kid": SETTINGS.kid}


def test_T4_claims_verify_and_match_the_data(service: Service) -> None:
    data = rich_mint(service)
    claims = verified_claims(data["token"])
    assert set(claims) == CLAIM_NAMES
    assert (claims["iss"], claims["aud"]) == (data["issuer"], data["audience"])
    assert claims["sub"] == data["subject"] == f"user:{claims['oa_user_id']}"
    assert claims["nbf"] == claims["iat"]
    assert claims["exp"] == claims["iat"] + data["expires_in"]
    assert claims["jti"] == data["token_id"]
    assert datetime.fromtimestamp(claims["iat"], UTC) == timestamp(data["issued_at"])
    assert datetime.fromtimestamp(claims["exp"], UTC) == timestamp(data["expires_at"])
    assert claims["oa_org_id"] == data["org_id"]
    assert claims["oa_session_id"] == data["session_id"]
    assert claims["oa_device_id"] == data["device_id"]
    assert claims["oa_sync_scopes"] == data["scopes"]
    assert claims["oa_sync_topics"] == [g["topic"] for g in data["granted_topics"]]
    assert claims["oa_sync_streams"] == [g["stream"] for g in data["granted_streams"]]
    assert claims["oa_claims_version"] == data["claims_version"] == "oa_sync_claims_v1"


def test_T4_device_claim_is_null_without_a_device(service: Service) -> None:
    data = service.mint(bearer=service.session()).json()["data"]
    assert data["device_id"] is None
    assert verified_claims(data["token"])["oa_device_id"] is None


def test_T4_token_does_not_verify_with_another_key(service: Service) -> None:
    token = rich_mint(service)["token"]
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, b"another-key-of-at-least-32-bytes!", algorithms=["HS256"], audience="x")


def test_T4_every_mint_has_its_own_token_id(service: Service) -> None:
    bearer = service.session()
    ids = {service.mint(bearer=bearer).json()["data"]["token_id"] for _ in range(5)}
    assert len(ids) == 5


def test_T4_hs256_encoder_agrees_with_pyjwt() -> None:
    claims = {"sub": "user:ü", "n": [1, None, True], "nested": {"a": "b"}}
    token = hs256.encode(claims, KEY, "k1")
    assert jwt.get_unverified_header(token) == {"alg": "HS256", "typ": "JWT", "kid": "k1"}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no InsecureKeyLengthWarning either
        assert jwt.decode(token, KEY, algorithms=["HS256"]) == claims


def test_T4_hs256_refuses_keys_shorter_than_the_hash() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        hs256.encode({}, b"x" * 31, "k1")
