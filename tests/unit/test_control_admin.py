"""The admin API the harness seeds the control service with (admin.py), over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from stub.control.state import Toggles
from tests.unit.test_control_support import ALIAS, CANONICAL, Service, error_of, started

BAD = (400, "invalid_admin_request")


@pytest.fixture
def service() -> Iterator[Service]:
    with started(Toggles(compat_enforced=True)) as running:
        yield running


def admin(service: Service, path: str, body: Any = None, method: str = "POST") -> dict[str, Any]:
    response = service.request(method, "/_admin/" + path, body=body if body is not None else {})
    assert response.status_code in (200, 201), response.text
    answer: dict[str, Any] = response.json()
    return answer


def admin_error(service: Service, path: str, body: Any) -> tuple[int, str]:
    return error_of(service.request("POST", "/_admin/" + path, body=body))


def member_session(service: Service, **extra: Any) -> dict[str, Any]:
    user_id = admin(service, "users")["user_id"]
    org_id = admin(service, "orgs")["org_id"]
    admin(service, "memberships", {"org_id": org_id, "user_id": user_id, "role": "viewer"})
    return admin(service, "sessions", {"user_id": user_id, "org_id": org_id, **extra})


def test_seeded_session_mints(service: Service) -> None:
    seeded = member_session(service, device_id="device-a")
    assert seeded["device_id"] == "device-a"
    response = service.mint(bearer=seeded["access_token"])
    assert response.status_code == 200
    data = response.json()["data"]
    assert (data["session_id"], data["org_id"]) == (seeded["session_id"], seeded["org_id"])
    assert data["subject"] == f"user:{seeded['user_id']}"
    assert data["device_id"] == "device-a"


def test_callers_may_choose_ids(service: Service) -> None:
    assert admin(service, "users", {"user_id": "alice"}) == {"user_id": "alice"}
    assert admin(service, "orgs", {"org_id": "acme"}) == {"org_id": "acme"}
    member = {"org_id": "acme", "user_id": "alice", "role": "owner"}
    assert admin(service, "memberships", member) == member
    pat = admin(service, "pats", {"user_id": "alice", "org_id": "acme"})
    assert pat["session_id"].startswith("pat:")
    assert pat["device_id"] is None
    assert service.mint(bearer=pat["access_token"]).json()["data"]["subject"] == "user:alice"


def test_revocation_stops_the_bearer(service: Service) -> None:
    seeded = member_session(service)
    answer = admin(service, "revocations", {"session_id": seeded["session_id"]})
    assert answer == {"session_id": seeded["session_id"], "revoked": True}
    assert error_of(service.mint(bearer=seeded["access_token"])) == (401, "unauthorized")


def test_org_policy_denies_sync_tokens(service: Service) -> None:
    seeded = member_session(service)
    policy = {"org_id": seeded["org_id"], "deny_sync_tokens": True}
    assert admin(service, "org-policy", policy) == policy
    assert error_of(service.mint(bearer=seeded["access_token"])) == (403, "forbidden")


def test_toggles_are_read_and_set_partially(service: Service) -> None:
    startup = {"minting_unavailable": False, "alias_retired": False, "compat_enforced": True}
    assert admin(service, "toggles", method="GET") == startup
    changed = admin(service, "toggles", {"minting_unavailable": True, "alias_retired": True})
    assert changed == {**startup, "minting_unavailable": True, "alias_retired": True}
    bearer = member_session(service)["access_token"]
    assert error_of(service.mint(bearer=bearer)) == (503, "sync_token_unavailable")
    assert error_of(service.mint(ALIAS, bearer=bearer)) == (404, "not_found")


def test_reset_forgets_everything_and_restores_startup_toggles(service: Service) -> None:
    bearer = member_session(service)["access_token"]
    admin(service, "toggles", {"compat_enforced": False, "alias_retired": True})
    assert admin(service, "reset") == {"reset": True}
    assert error_of(service.mint(bearer=bearer)) == (401, "unauthorized")
    assert admin(service, "toggles", method="GET")["compat_enforced"] is True
    assert admin(service, "toggles", method="GET")["alias_retired"] is False


@pytest.mark.parametrize(
    ("path", "body", "expected"),
    [
        ("users", {"user_id": 5}, BAD),
        ("users", {"user_id": ""}, BAD),
        ("memberships", {"org_id": "o", "user_id": "u", "role": "god"}, BAD),
        ("memberships", {"org_id": "nope", "user_id": "u", "role": "admin"}, (404, "not_found")),
        ("sessions", {"user_id": "u"}, BAD),
        ("sessions", {"user_id": "u", "org_id": "o"}, (409, "conflict")),
        ("sessions", {"user_id": "ghost", "org_id": "o"}, (404, "not_found")),
        ("pats", {"user_id": "u", "org_id": "ghost"}, (404, "not_found")),
        ("revocations", {"session_id": "sess-404"}, (404, "not_found")),
        ("org-policy", {"org_id": "o", "deny_sync_tokens": "yes"}, BAD),
        ("toggles", {"alias_retired": 1}, BAD),
        ("users", [], BAD),
        ("nothing-here", {}, (404, "not_found")),
    ],
)  # fmt: skip
def test_admin_refusals(service: Service, path: str, body: Any, expected: tuple[int, str]) -> None:
    admin(service, "users", {"user_id": "u"})
    admin(service, "orgs", {"org_id": "o"})  # "u" is not a member of "o"
    assert admin_error(service, path, body) == expected


def test_duplicate_ids_conflict(service: Service) -> None:
    admin(service, "users", {"user_id": "u"})
    admin(service, "orgs", {"org_id": "o"})
    assert admin_error(service, "users", {"user_id": "u"}) == (409, "conflict")
    assert admin_error(service, "orgs", {"org_id": "o"}) == (409, "conflict")


def test_admin_body_must_be_json(service: Service) -> None:
    response = service.request("POST", "/_admin/users", raw=b"{")
    assert error_of(response) == BAD


def test_admin_wrong_method_is_405(service: Service) -> None:
    response = service.request("DELETE", "/_admin/toggles")
    assert error_of(response) == (405, "method_not_allowed")
    assert response.headers["Allow"] == "GET, POST"


def test_admin_api_is_not_in_openapi(service: Service) -> None:
    paths = service.request("GET", "/openapi.json").json()["paths"]
    assert CANONICAL in paths
    assert not [path for path in paths if path.startswith("/_admin/")]


def test_generated_ids_do_not_collide_with_chosen_ones(service: Service) -> None:
    admin(service, "users", {"user_id": "user-1"})
    assert admin(service, "users")["user_id"] != "user-1"
