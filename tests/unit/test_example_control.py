"""The foreign control service (examples/foreign/ledger_control) and its admin adapter.

The service runs in-process on a free port. Besides its own behaviour (login flow, both
routes, no /api/v1, retired mode, the planted T5 defect), the harness's own request matrix
is run through the admin adapter and judged by the token-parity checker: the only
violations must be the planted defect's.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import jwt
import pytest

from examples.foreign.harness_adapters.control import admin
from examples.foreign.ledger_control.__main__ import main
from examples.foreign.ledger_control.minting import Issuer
from examples.foreign.ledger_control.service import ControlServer
from harness.checks.token_parity import check_token_parity, retired_as_started
from harness.contract.sync_tokens import ControlPolicy
from harness.drivers.control import AdminRefused, ControlClient
from harness.generators.token_requests import cases_for
from harness.runner.token_routes import observe_all, probe_aliases
from harness.targets.control import ControlTarget, TokenRoutes

KEY = b"foreign-test-key-of-thirty-two-bytes!!"
CANONICAL, ALIAS = "/api/sync/token", "/api/spacetime/token"
ROUTES = TokenRoutes(v1_canonical=None, v1_alias=None, openapi="/api/openapi.json")


def _serve(alias_retired: bool) -> Iterator[ControlClient]:
    server = ControlServer(("127.0.0.1", 0), Issuer(KEY, "k-test"), alias_retired=alias_retired)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    client = ControlClient(server.base_url)
    try:
        yield client
    finally:
        client.close()
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def service() -> Iterator[ControlClient]:
    yield from _serve(alias_retired=False)


@pytest.fixture
def retired() -> Iterator[ControlClient]:
    yield from _serve(alias_retired=True)


def _ok(client: ControlClient, path: str, body: Any = None, bearer: str | None = None) -> Any:
    exchange = client.request("POST", path, bearer=bearer, body={} if body is None else body)
    assert exchange.status == 200, exchange
    return exchange.body


def _login(client: ControlClient, email: str, device_id: str | None = None) -> dict[str, Any]:
    challenge = _ok(client, "/auth/challenge", {"email": email})
    proof = {"challenge_id": challenge["challenge_id"], "code": challenge["code"]}
    if device_id is not None:
        proof["device_id"] = device_id
    answer: dict[str, Any] = _ok(client, "/auth/verify", proof)
    return answer


def test_health(service: ControlClient) -> None:
    assert service.request("GET", "/health").status == 200


def test_login_creates_a_user_with_a_personal_org_once_per_email(service: ControlClient) -> None:
    first = _login(service, "ada@example.test")
    again = _login(service, "ADA@example.test")
    other = _login(service, "bob@example.test")
    assert first["session"]["id"].startswith("ses_")
    assert (again["user_id"], again["org_id"]) == (first["user_id"], first["org_id"])
    assert again["session"]["id"] != first["session"]["id"]
    assert other["user_id"] != first["user_id"] and other["org_id"] != first["org_id"]


def test_a_challenge_needs_its_code_and_is_used_once(service: ControlClient) -> None:
    challenge = _ok(service, "/auth/challenge", {"email": "ada@example.test"})
    wrong = "000000" if challenge["code"] != "000000" else "111111"
    refused = service.request("POST", "/auth/verify",
                              body={"challenge_id": challenge["challenge_id"], "code": wrong})
    assert refused.status == 401
    proof = {"challenge_id": challenge["challenge_id"], "code": challenge["code"]}
    assert service.request("POST", "/auth/verify", body=proof).status == 200
    assert service.request("POST", "/auth/verify", body=proof).status == 401
    assert service.request("POST", "/auth/challenge", body={"email": "nope"}).status == 422


def test_both_routes_mint_a_signed_token(service: ControlClient) -> None:
    session = _login(service, "ada@example.test")
    for path in (CANONICAL, ALIAS):
        data = _ok(service, path, {"topics": ["user:7:worker_events"]},
                   bearer=session["session"]["token"])["data"]
        claims = jwt.decode(data["token"], KEY, algorithms=["HS256"],
                            audience="foreign-sync", issuer="foreign-control")
        assert jwt.get_unverified_header(data["token"])["kid"] == data["kid"] == "k-test"
        assert data["subject"] == claims["sub"] == f"user:{session['user_id']}"
        assert data["session_id"] == claims["oa_session_id"] == session["session"]["id"]
        assert data["expires_in"] == 300 and data["refresh_after_in"] == 270
        assert claims["exp"] - claims["iat"] == 300 and claims["nbf"] == claims["iat"]
        assert data["scopes"] == ["runtime.codex_worker_events"]
        assert data["granted_topics"] == [{"topic": "user:7:worker_events",
                                           "required_scope": "runtime.codex_worker_events"}]


def test_pats_mint_and_logout_revokes(service: ControlClient) -> None:
    session = _login(service, "ada@example.test")["session"]
    pat = _ok(service, "/auth/pats", bearer=session["token"])["pat"]
    assert pat["id"].startswith("pat:")
    assert _ok(service, CANONICAL, bearer=pat["token"])["data"]["session_id"] == pat["id"]
    _ok(service, "/auth/logout", bearer=pat["token"])
    assert service.mint(CANONICAL, bearer=pat["token"], body={}).status == 401
    assert service.mint(CANONICAL, bearer=session["token"], body={}).status == 200


def test_refusals(service: ControlClient) -> None:
    bound = _login(service, "ada@example.test", device_id="device-a")
    secret = bound["session"]["token"]
    mismatch = service.mint(CANONICAL, bearer=secret, body={"device_id": "device-b"})
    assert mismatch.status == 403 and mismatch.body["error"]["code"] == "forbidden"
    assert _ok(service, ALIAS, {}, bearer=secret)["data"]["device_id"] == "device-a"
    for body, code in (({"ttl_seconds": 59}, "invalid_request"),
                       ({"topics": ["run:1:events"]}, "invalid_request"),
                       ({"scopes": ["admin"]}, "invalid_scope"),
                       ({"topics": ["user:7:runs"]}, "invalid_scope")):
        answer = service.mint(CANONICAL, bearer=secret, body=body)
        assert (answer.status, answer.body["error"]["code"]) == (422, code), body
    assert service.mint(CANONICAL, body={}).status == 401
    _ok(service, "/test/minting", {"available": False})
    assert service.mint(CANONICAL, bearer=secret, body={}).status == 503
    _ok(service, f"/test/orgs/{bound['org_id']}/deny-sync")
    assert service.mint(CANONICAL, bearer=secret, body={}).status == 403
    _ok(service, "/test/reset")
    assert service.mint(CANONICAL, bearer=secret, body={}).status == 401


def test_no_api_v1_routes_and_the_openapi_document_under_api(service: ControlClient) -> None:
    session = _login(service, "ada@example.test")["session"]["token"]
    for path in ("/api/v1/sync/token", "/api/v1/spacetime/token"):
        answer = service.mint(path, bearer=session, body={})
        assert answer.status == 404 and answer.body["error"]["code"] == "not_found"
    assert service.request("GET", "/openapi.json").status == 404
    paths = service.request("GET", "/api/openapi.json").body["paths"]
    assert CANONICAL in paths and ALIAS in paths


def test_retired_alias_answers_404_and_leaves_the_document(retired: ControlClient) -> None:
    session = _login(retired, "ada@example.test")["session"]["token"]
    assert retired.mint(CANONICAL, bearer=session, body={}).status == 200
    for body in ({}, b"", {"ttl_seconds": 1}):
        assert retired.mint(ALIAS, bearer=session, body=body).status == 404
    assert retired.mint(ALIAS, body={}).status == 404
    paths = retired.request("GET", "/api/openapi.json").body["paths"]
    assert CANONICAL in paths and ALIAS not in paths


def test_planted_defect_alias_ignores_ttl_seconds(service: ControlClient) -> None:
    session = _login(service, "ada@example.test")["session"]["token"]
    canonical = _ok(service, CANONICAL, {"ttl_seconds": 120}, bearer=session)["data"]
    alias = _ok(service, ALIAS, {"ttl_seconds": 120}, bearer=session)["data"]
    assert canonical["expires_in"] == 120
    assert alias["expires_in"] == 300


def test_main_refuses_to_start_without_a_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FOREIGN_CONTROL_SIGNING_KEY", raising=False)
    with pytest.raises(SystemExit):
        main(["--port", "0"])


# The admin adapter, and the harness's matrix judged over it.


def _target(client: ControlClient, alias_retired: bool) -> ControlTarget:
    return ControlTarget(client, admin(client, alias_retired=alias_retired), ROUTES,
                         ControlPolicy(alias_retired=alias_retired), signing_key=KEY)


def test_adapter_sessions_pats_and_revocation(service: ControlClient) -> None:
    setup = admin(service)
    setup.reset()
    setup.configure(ControlPolicy(), minting_unavailable=False)
    user_id, org_id = setup.member()
    bound = setup.open_session(user_id, org_id, "device-a")
    pat = setup.issue_pat(user_id, org_id)
    assert pat.session_id.startswith("pat:") and bound.device_id == "device-a"
    answer = service.mint(CANONICAL, bearer=bound.access_token, body={})
    assert answer.body["data"]["subject"] == f"user:{user_id}"
    assert answer.body["data"]["org_id"] == org_id
    setup.revoke(pat)
    assert service.mint(CANONICAL, bearer=pat.access_token, body={}).status == 401
    setup.deny_sync_tokens(org_id)
    assert service.mint(CANONICAL, bearer=bound.access_token, body={}).status == 403


def test_adapter_refuses_a_policy_the_service_was_not_started_with(
    service: ControlClient,
) -> None:
    with pytest.raises(AdminRefused, match="cannot change at run time"):
        admin(service).configure(ControlPolicy(alias_retired=True), minting_unavailable=False)
    with pytest.raises(AdminRefused, match="no /api/v1 routes"):
        admin(service).configure(ControlPolicy(compat_enforced=True), minting_unavailable=False)
    with pytest.raises(AdminRefused, match="not a member"):
        admin(service).open_session("usr_x", "org_x", None)
    with pytest.raises(ValueError, match="unknown options"):
        admin(service, policy_toggle=True)


def test_matrix_finds_only_the_planted_defect(service: ControlClient) -> None:
    target = _target(service, alias_retired=False)
    cases = cases_for(target.policy, ROUTES.families)
    result = check_token_parity(observe_all(target, cases), target.policy,
                                openapi=target.openapi(), signing_key=KEY)
    assert result.violations
    for violation in result.violations:
        assert violation.rule == "T5", violation
        assert "ttl-" in violation.message or "valid-every-field" in violation.message
        assert any(field in violation.message for field in ("expires_in", "refresh_after_in",
                                                            "exp"))


def test_matrix_on_the_retired_service_is_clean(retired: ControlClient) -> None:
    target = _target(retired, alias_retired=True)
    assert retired_as_started(probe_aliases(target), target.openapi()) == []
    cases = cases_for(target.policy, ROUTES.families)
    result = check_token_parity(observe_all(target, cases), target.policy,
                                openapi=target.openapi(), signing_key=KEY)
    assert result.violations == ()
    assert "T6" in result.rules
