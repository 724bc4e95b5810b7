"""T2 and T3: what a request may hold, and every refusal with its status and code."""

# Test names carry the contract's rule ids (T1...T6), upper case as CONTRACT.md spells them.

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from stub.control.topics import stream_of
from tests.unit.test_control_support import Service, error_of, started

EVENTS = "runtime.codex_worker_events"
SUMMARIES = "runtime.codex_worker_summaries"
RUNS = "runtime.run_summaries"


@pytest.fixture
def service() -> Iterator[Service]:
    with started() as running:
        yield running


def mint_data(service: Service, body: Any = None, **kwargs: Any) -> dict[str, Any]:
    response = service.mint(bearer=service.session(), body=body, **kwargs)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


# T2: request


def test_T2_session_access_token_is_accepted(service: Service) -> None:
    data = mint_data(service, {})
    assert data["session_id"].startswith("sess-")


def test_T2_personal_access_token_is_accepted(service: Service) -> None:
    response = service.mint(bearer=service.session(pat=True))
    assert response.status_code == 200
    assert response.json()["data"]["session_id"].startswith("pat:")


@pytest.mark.parametrize("raw", [b"", b"{}", b"  \n", b'{"unknown_field": 1}'])
def test_T2_every_body_field_is_optional(service: Service, raw: bytes) -> None:
    data = mint_data(service, raw=raw)
    assert (data["scopes"], data["expires_in"]) == ([EVENTS], 300)
    assert (data["granted_topics"], data["granted_streams"], data["device_id"]) == ([], [], None)


def test_T2_null_fields_count_as_absent(service: Service) -> None:
    body = dict.fromkeys(["scopes", "topics", "streams", "ttl_seconds", "device_id"])
    data = mint_data(service, body)
    assert (data["scopes"], data["expires_in"], data["device_id"]) == ([EVENTS], 300, None)


def test_T2_bearer_scheme_is_case_insensitive(service: Service) -> None:
    bearer = service.session()
    response = service.mint(headers={"Authorization": f"bearer {bearer}"})
    assert response.status_code == 200


@pytest.mark.parametrize(
    "raw",
    [
        b"not json",
        b"[]",
        b"null",
        b'"scopes"',
        b'{"ttl_seconds": NaN}',
        b"\xff\xfe",
        b'{"scopes": "runtime.run_summaries"}',
        b'{"scopes": [1]}',
        b'{"topics": "user:1:runs"}',
        b'{"topics": [null]}',
        b'{"streams": {}}',
        b'{"ttl_seconds": "300"}',
        b'{"ttl_seconds": 300.0}',
        b'{"ttl_seconds": true}',
        b'{"device_id": 7}',
        b'{"device_id": ["d"]}',
    ],
)
def test_T2_malformed_body_is_422_invalid_request(service: Service, raw: bytes) -> None:
    response = service.mint(bearer=service.session(), raw=raw)
    assert error_of(response) == (422, "invalid_request")


# T3: scopes


def test_T3_default_scope_is_codex_worker_events(service: Service) -> None:
    assert mint_data(service, {})["scopes"] == [EVENTS]
    assert mint_data(service, {"scopes": []})["scopes"] == [EVENTS]


def test_T3_allowed_scopes_are_granted_deduplicated(service: Service) -> None:
    data = mint_data(service, {"scopes": [RUNS, SUMMARIES, EVENTS, RUNS]})
    assert data["scopes"] == [RUNS, SUMMARIES, EVENTS]


@pytest.mark.parametrize("scope", ["runtime.admin", "", "RUNTIME.RUN_SUMMARIES", "runtime."])
def test_T3_unknown_scope_is_422_invalid_scope(service: Service, scope: str) -> None:
    response = service.mint(bearer=service.session(), body={"scopes": [EVENTS, scope]})
    assert error_of(response) == (422, "invalid_scope")


# T3: topics and streams


@pytest.mark.parametrize(
    ("topic", "scope"),
    [
        ("user:1:worker_events", EVENTS),
        ("fleet:user:7:workers", SUMMARIES),
        ("org:acme.inc:runs", RUNS),
    ],
)
def test_T3_topic_is_granted_with_the_scope_its_suffix_needs(
    service: Service, topic: str, scope: str
) -> None:
    data = mint_data(service, {"scopes": [scope], "topics": [topic, topic]})
    assert data["granted_topics"] == [{"topic": topic, "required_scope": scope}]


@pytest.mark.parametrize(
    "topic",
    [
        "run:1:events",
        "worker:1:lifecycle",
        "user:1:worker",
        "user:1:runs:",
        "user:1:RUNS",
        "runtime.codex_worker_events",
        "",
        "a b:runs",
        "a\tb:runs",
        "a\x00b:runs",
        "x" * 252 + ":runs",
    ],
)
def test_T3_topic_without_a_grantable_suffix_is_422_invalid_request(
    service: Service, topic: str
) -> None:
    body = {"scopes": [EVENTS, SUMMARIES, RUNS], "topics": [topic]}
    response = service.mint(bearer=service.session(), body=body)
    assert error_of(response) == (422, "invalid_request")


def test_T3_topic_of_256_characters_is_grantable(service: Service) -> None:
    topic = "x" * 251 + ":runs"
    assert mint_data(service, {"scopes": [RUNS], "topics": [topic]})["granted_topics"]


@pytest.mark.parametrize(
    ("topic", "scopes"),
    [
        ("user:1:runs", [EVENTS]),
        ("user:1:workers", [EVENTS, RUNS]),
        ("user:1:worker_events", [SUMMARIES]),
        ("user:1:runs", None),
    ],
)
def test_T3_topic_without_its_scope_is_422_invalid_scope(
    service: Service, topic: str, scopes: list[str] | None
) -> None:
    response = service.mint(bearer=service.session(), body={"scopes": scopes, "topics": [topic]})
    assert error_of(response) == (422, "invalid_scope")


@pytest.mark.parametrize(
    ("stream", "scope"),
    [
        ("runtime.topic.user.1.worker_events", EVENTS),
        ("runtime.fleet.guest.g.workers", SUMMARIES),
        ("runtime.topic.org.acme%2Einc.runs", RUNS),
    ],
)
def test_T3_stream_is_granted_with_the_scope_of_its_topic(
    service: Service, stream: str, scope: str
) -> None:
    data = mint_data(service, {"scopes": [scope], "streams": [stream]})
    assert data["granted_streams"] == [{"stream": stream, "required_scope": scope}]


@pytest.mark.parametrize(
    "stream",
    [
        "user:1:runs",
        stream_of("run:1:events"),
        stream_of("runtime.codex_worker_events"),
        "runtime.topic.org.acme.inc%2runs",
        "runtime.topic.org.acme%2einc.runs",
        "runtime.topic.fleet.user.7.workers",
        "runtime.fleet.user..workers",
        "",
    ],
)
def test_T3_stream_that_is_not_a_grantable_topics_id_is_422_invalid_request(
    service: Service, stream: str
) -> None:
    body = {"scopes": [EVENTS, SUMMARIES, RUNS], "streams": [stream]}
    response = service.mint(bearer=service.session(), body=body)
    assert error_of(response) == (422, "invalid_request")


def test_T3_stream_without_its_scope_is_422_invalid_scope(service: Service) -> None:
    body = {"streams": ["runtime.topic.user.1.runs"]}
    assert error_of(service.mint(bearer=service.session(), body=body)) == (422, "invalid_scope")


# T3: TTL


@pytest.mark.parametrize("ttl", [60, 61, 300, 899, 900])
def test_T3_ttl_in_60_to_900_is_granted(service: Service, ttl: int) -> None:
    assert mint_data(service, {"ttl_seconds": ttl})["expires_in"] == ttl


@pytest.mark.parametrize("ttl", [59, 901, 0, -1, 10**30])
def test_T3_ttl_outside_60_to_900_is_422_invalid_request(service: Service, ttl: int) -> None:
    response = service.mint(bearer=service.session(), body={"ttl_seconds": ttl})
    assert error_of(response) == (422, "invalid_request")


def test_T3_ttl_defaults_to_300(service: Service) -> None:
    assert mint_data(service, {})["expires_in"] == 300


# T3: authentication, device, policy, availability


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Bearer ", "Bearer not-a-token", "Basic dXNlcjpwYXNz", "Token {b}"],
)
def test_T3_missing_or_bad_session_is_401_unauthorized(
    service: Service, authorization: str | None
) -> None:
    bearer = service.session()
    headers = {} if authorization is None else {"Authorization": authorization.format(b=bearer)}
    assert error_of(service.mint(headers=headers)) == (401, "unauthorized")


@pytest.mark.parametrize("pat", [False, True], ids=["session", "pat"])
def test_T3_revoked_session_is_401_unauthorized(service: Service, pat: bool) -> None:
    bearer = service.session(pat=pat)
    assert service.mint(bearer=bearer).status_code == 200
    session = service.state.session_for_bearer(bearer)
    assert session is not None
    service.state.revoke(session.session_id)
    assert error_of(service.mint(bearer=bearer)) == (401, "unauthorized")


def test_T3_device_mismatch_is_403_forbidden(service: Service) -> None:
    bearer = service.session(device_id="device-a")
    response = service.mint(bearer=bearer, body={"device_id": "device-b"})
    assert error_of(response) == (403, "forbidden")


@pytest.mark.parametrize("body", [{}, {"device_id": "device-a"}, {"device_id": ""}])
def test_T3_bound_session_mints_for_its_own_device(service: Service, body: dict[str, str]) -> None:
    bearer = service.session(device_id="device-a")
    response = service.mint(bearer=bearer, body=body)
    assert response.status_code == 200
    assert response.json()["data"]["device_id"] == "device-a"


@pytest.mark.parametrize("pat", [False, True], ids=["session", "pat"])
def test_T3_unbound_session_mints_for_the_device_asked(service: Service, pat: bool) -> None:
    response = service.mint(bearer=service.session(pat=pat), body={"device_id": "device-z"})
    assert response.json()["data"]["device_id"] == "device-z"


def test_T3_org_policy_denial_is_403_forbidden(service: Service) -> None:
    bearer = service.session()
    session = service.state.session_for_bearer(bearer)
    assert session is not None
    service.state.set_org_policy(session.org_id, deny_sync_tokens=True)
    assert error_of(service.mint(bearer=bearer)) == (403, "forbidden")
    service.state.set_org_policy(session.org_id, deny_sync_tokens=False)
    assert service.mint(bearer=bearer).status_code == 200


def test_T3_minting_unavailable_is_503_sync_token_unavailable(service: Service) -> None:
    bearer = service.session()
    service.state.update_toggles(minting_unavailable=True)
    assert error_of(service.mint(bearer=bearer)) == (503, "sync_token_unavailable")
    service.state.update_toggles(minting_unavailable=False)
    assert service.mint(bearer=bearer).status_code == 200


def test_T3_error_body_is_exactly_message_and_error(service: Service) -> None:
    body = service.mint().json()
    message = body["message"]
    assert body == {"message": message, "error": {"code": "unauthorized", "message": message}}


# T3: the order of checks (tokens.py): auth, shape, scope, device, org policy, availability


def test_T3_authentication_is_checked_before_the_body(service: Service) -> None:
    response = service.mint(bearer="unknown", raw=b'{"ttl_seconds": 5, "scopes": ["x"]}')
    assert error_of(response) == (401, "unauthorized")


@pytest.mark.parametrize(
    "body",
    [
        {"scopes": ["x"], "ttl_seconds": 5},
        {"scopes": ["x"], "topics": ["bad"]},
        {"topics": ["user:1:runs", "bad"]},
        {"streams": ["runtime.topic.user.1.runs", "bad"]},
    ],
)
def test_T3_shape_is_checked_before_scopes(service: Service, body: dict[str, Any]) -> None:
    response = service.mint(bearer=service.session(), body=body)
    assert error_of(response) == (422, "invalid_request")


def test_T3_scopes_are_checked_before_device_policy_and_availability(service: Service) -> None:
    bearer = service.session(device_id="device-a")
    session = service.state.session_for_bearer(bearer)
    assert session is not None
    service.state.set_org_policy(session.org_id, deny_sync_tokens=True)
    service.state.update_toggles(minting_unavailable=True)
    body = {"scopes": ["x"], "device_id": "device-b"}
    assert error_of(service.mint(bearer=bearer, body=body)) == (422, "invalid_scope")
    response = service.mint(bearer=bearer, body={"device_id": "device-b"})
    assert error_of(response) == (403, "forbidden")
    assert "device" in response.json()["message"]
    response = service.mint(bearer=bearer)
    assert error_of(response) == (403, "forbidden")
    assert "organization" in response.json()["message"]
    service.state.set_org_policy(session.org_id, deny_sync_tokens=False)
    assert error_of(service.mint(bearer=bearer)) == (503, "sync_token_unavailable")
