"""The control driver and target adapter against the reference service run in-process.

What is tested is the harness's side: that answers are recorded as sent (whatever their
status), that admin calls set the stage or raise, that the adapter finds routes and documents.
The service's own rules have their tests in test_control_*.py.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from harness.contract.sync_tokens import ControlPolicy, RouteFamily
from harness.drivers.control import AdminRefused, ControlClient, ControlUnavailable
from harness.env.services import free_port
from harness.errors import HarnessError
from harness.generators.token_requests import Principal, TokenCase
from harness.runner.token_routes import observe, prepare
from harness.targets.control import ControlTarget, TokenRoutes
from stub.adapters import reference_control_target as reference_target
from tests.unit.test_control_support import KEY, Service, started

CANONICAL = "/api/sync/token"


@pytest.fixture
def service() -> Iterator[Service]:
    with started() as running:
        yield running


@pytest.fixture
def client(service: Service) -> Iterator[ControlClient]:
    driver = ControlClient(service.base_url)
    yield driver
    driver.close()


def member_bearer(client: ControlClient, device_id: str | None = None) -> str:
    user_id, org_id = client.create_user(), client.create_org()
    client.add_member(org_id, user_id)
    return client.open_session(user_id, org_id, device_id).access_token


def test_mint_records_status_json_body_and_headers(client: ControlClient) -> None:
    exchange = client.mint(CANONICAL, member_bearer(client), {"ttl_seconds": 60})
    assert (exchange.method, exchange.path, exchange.status) == ("POST", CANONICAL, 200)
    assert exchange.body["data"]["expires_in"] == 60
    assert exchange.text is None
    assert exchange.headers == {"content-type": "application/json", "cache-control": "no-store"}


def test_a_refusal_is_recorded_not_raised(client: ControlClient) -> None:
    exchange = client.mint(CANONICAL)
    assert (exchange.status, exchange.body["error"]["code"]) == (401, "unauthorized")


def test_an_answer_without_json_is_kept_as_text(client: ControlClient) -> None:
    exchange = client.request("HEAD", CANONICAL)
    assert (exchange.status, exchange.body, exchange.text) == (405, None, "")
    assert exchange.headers["allow"] == "POST"


def test_bytes_are_sent_verbatim(client: ControlClient) -> None:
    exchange = client.mint(CANONICAL, member_bearer(client), b"{")
    assert (exchange.status, exchange.body["error"]["code"]) == (422, "invalid_request")


def test_an_authorization_header_overrides_the_bearer(client: ControlClient) -> None:
    bearer = member_bearer(client)
    exchange = client.mint(CANONICAL, bearer, {}, {"Authorization": f"Basic {bearer}"})
    assert exchange.status == 401


def test_admin_helpers_set_the_stage(client: ControlClient) -> None:
    user_id, org_id = client.create_user("u-1"), client.create_org("o-1")
    client.add_member(org_id, user_id, "admin")
    pat = client.issue_pat(user_id, org_id)
    assert pat.session_id.startswith("pat:") and pat.device_id is None
    session = client.open_session(user_id, org_id, "dev-1")
    assert (session.user_id, session.org_id, session.device_id) == ("u-1", "o-1", "dev-1")
    assert client.mint(CANONICAL, session.access_token).body["data"]["device_id"] == "dev-1"
    client.revoke(pat.session_id)
    assert client.mint(CANONICAL, pat.access_token).status == 401
    client.set_org_policy(org_id, deny_sync_tokens=True)
    assert client.mint(CANONICAL, session.access_token).status == 403


def test_toggles_are_set_read_and_reset(client: ControlClient) -> None:
    bearer = member_bearer(client)
    toggles = client.set_toggles(minting_unavailable=True, alias_retired=True)
    assert (toggles.minting_unavailable, toggles.alias_retired, toggles.compat_enforced) == (
        True, True, False,
    )  # fmt: skip
    assert client.toggles() == toggles
    assert client.mint(CANONICAL, bearer).status == 503
    client.reset()
    assert not client.toggles().minting_unavailable
    assert client.mint(CANONICAL, bearer).status == 401  # the session is gone too


def test_a_refused_admin_call_raises(client: ControlClient) -> None:
    user_id, org_id = client.create_user(), client.create_org()
    with pytest.raises(AdminRefused, match="409"):
        client.open_session(user_id, org_id)  # not a member


def test_no_answer_raises() -> None:
    driver = ControlClient(f"http://127.0.0.1:{free_port()}", timeout=2)
    with pytest.raises(ControlUnavailable, match="no answer"):
        driver.mint(CANONICAL)


# The target adapter.


def test_route_families_and_pairs() -> None:
    routes = TokenRoutes()
    assert routes.pair(RouteFamily.API_V1) == ("/api/v1/sync/token", "/api/v1/spacetime/token")
    bare = TokenRoutes(canonical="/tokens", alias="/legacy/tokens", v1_alias=None)
    assert bare.families == (RouteFamily.API,)
    assert bare.pair(RouteFamily.API) == ("/tokens", "/legacy/tokens")
    with pytest.raises(HarnessError, match="no /api/v1 routes"):
        bare.pair(RouteFamily.API_V1)


def test_openapi_document_is_fetched_or_declared_absent(service: Service) -> None:
    target = reference_target(service.base_url)
    document = target.openapi()
    assert document is not None and CANONICAL in document["paths"]
    without = ControlTarget(target.client, target.admin, TokenRoutes(openapi=None))
    assert without.openapi() is None
    misplaced = ControlTarget(target.client, target.admin, TokenRoutes(openapi="/nope.json"))
    with pytest.raises(HarnessError, match="answered 404"):
        misplaced.openapi()


def test_prepare_applies_the_declared_policy_and_the_cases_set_up(service: Service) -> None:
    target = reference_target(service.base_url).declaring(ControlPolicy(alias_retired=True))
    case = TokenCase("t", principal=Principal.REVOKED_PAT, minting_unavailable=True,
                     org_denies=True, authorization="Basic {secret}")  # fmt: skip
    headers = prepare(target, case)
    toggles = target.client.toggles()
    assert (toggles.alias_retired, toggles.minting_unavailable) == (True, True)
    secret = headers["authorization"].removeprefix("Basic ")
    session = service.state.session_for_bearer(secret)
    assert session is not None and session.session_id.startswith("pat:") and session.revoked
    assert service.state.denies_sync_tokens(session.org_id)


def test_observe_sends_the_case_to_both_routes_and_the_canonical_twice(service: Service) -> None:
    target = reference_target(service.base_url, KEY)
    seen = observe(target, TokenCase("v1", {}, family=RouteFamily.API_V1))
    assert seen.canonical.path == "/api/v1/sync/token"
    assert seen.alias.path == "/api/v1/spacetime/token"
    assert seen.canonical_again is not None and seen.canonical_again.path == seen.canonical.path
    answers = (seen.canonical, seen.alias, seen.canonical_again)
    assert len({answer.body["data"]["token_id"] for answer in answers}) == 3
