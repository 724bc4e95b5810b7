"""beacon-gate (examples/beacon/beacon_gate) on its own, and its admin adapter.

The gate is started as the harness starts it: `python -m beacon_gate` in examples/beacon,
its port and key given only in the environment. Besides its login flow and its own
answers, the harness's /api request matrix is run through the adapter and judged by the
token-parity checker: as declared (alias retired) the only T5/T6 findings are T6, the planted
defect, and judged as if the alias were served, the two routes agree (no T5).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
import requests

from examples.beacon.beacon_adapters.gate_admin import admin
from harness.checks.token_parity import check_token_parity, retired_as_started
from harness.contract.sync_tokens import ControlPolicy
from harness.drivers.control import AdminRefused, ControlClient, ControlUnavailable, Exchange
from harness.generators.token_requests import API_CASES, Principal, cases_for
from harness.runner.token_routes import observe_all, probe_aliases
from harness.targets.control import ControlAdmin, ControlTarget, TokenRoutes

BEACON = Path(__file__).resolve().parents[2] / "examples" / "beacon"
KEY = "beacon-unit-test-signing-key-of-some-length"
CANONICAL, ALIAS = "/api/sync/token", "/api/spacetime/token"
RETIRED = ControlPolicy(alias_retired=True)
ROUTES = TokenRoutes(v1_canonical=None, v1_alias=None, openapi="/openapi.json")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _start(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "beacon_gate"], cwd=BEACON,
                            env={**os.environ, **env}, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)


@pytest.fixture(scope="module")
def gate() -> Iterator[ControlClient]:
    port = _free_port()
    process = _start({"BEACON_GATE_PORT": str(port), "BEACON_GATE_SIGNING_KEY": KEY,
                      "BEACON_GATE_MAIL": "mock", "BEACON_GATE_FIXTURES": "on"})
    client = ControlClient(f"http://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + 15
        while True:
            assert process.poll() is None, process.communicate()[0]
            try:
                if client.request("GET", "/healthz").status == 200:
                    break
            except ControlUnavailable:
                assert time.monotonic() < deadline, "beacon-gate never answered /healthz"
                time.sleep(0.05)
        yield client
    finally:
        client.close()
        process.terminate()
        process.wait(10)


@pytest.fixture
def fixtures(gate: ControlClient) -> ControlAdmin:
    chosen = admin(gate)
    chosen.reset()
    chosen.configure(RETIRED, minting_unavailable=False)
    return chosen


def _ok(client: ControlClient, method: str, path: str, body: Any = None) -> Any:
    answer = client.request(method, path, body={} if body is None else body)
    assert answer.status in (200, 201), answer
    return answer.body


def _mint(client: ControlClient, secret: str | None, body: Any = b"{}", path: str = CANONICAL,
          content_type: str | None = "application/json") -> Exchange:
    headers = {"content-type": content_type} if content_type else {}
    return client.request("POST", path, bearer=secret, body=body, headers=headers)


def test_it_listens_on_the_port_in_its_environment(gate: ControlClient) -> None:
    assert gate.request("GET", "/healthz").body == {"status": "ok", "service": "beacon-gate"}
    assert requests.get(gate.base_url + "/healthz", timeout=5).status_code == 200


def test_without_a_port_it_refuses_to_start() -> None:
    env = {k: v for k, v in os.environ.items() if k != "BEACON_GATE_PORT"}
    done = subprocess.run([sys.executable, "-m", "beacon_gate"], cwd=BEACON, env=env,
                          capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode == 2
    assert "BEACON_GATE_PORT" in done.stderr


def test_the_login_flow(gate: ControlClient, fixtures: ControlAdmin) -> None:
    org = _ok(gate, "POST", "/_fixtures/orgs", {"name": "acme"})["org_id"]
    member = _ok(gate, "POST", "/_fixtures/memberships", {"org_id": org, "email": "Ada@x.test"})
    sent = _ok(gate, "POST", "/auth/challenge", {"email": "ada@x.test"})
    wrong = "000000" if sent["code"] != "000000" else "111111"
    refused = gate.request("POST", "/auth/verify", body={"email": "ada@x.test", "code": wrong})
    assert refused.status == 401
    session = _ok(gate, "POST", "/auth/verify", {"email": "ada@x.test", "code": sent["code"]})
    assert (session["user_id"], session["org_id"]) == (member["user_id"], org)
    again = gate.request("POST", "/auth/verify", body={"email": "ada@x.test",
                                                       "code": sent["code"]})
    assert again.status == 401  # a code is good once
    assert _mint(gate, session["access_token"]).status == 200
    signed_out = gate.request("POST", "/auth/logout", bearer=session["access_token"], body={})
    assert signed_out.status == 200
    assert _mint(gate, session["access_token"]).status == 401


def test_a_token(gate: ControlClient, fixtures: ControlAdmin) -> None:
    user_id, org_id = fixtures.member()
    session = fixtures.open_session(user_id, org_id, None)
    body = {"scopes": ["runtime.run_summaries"], "topics": [f"org:{org_id}:runs"],
            "streams": [f"runtime.topic.org.{org_id}.runs"], "ttl_seconds": 120}
    answer = _mint(gate, session.access_token, body)
    assert answer.status == 200, answer
    data = answer.body["data"]
    assert (data["expires_in"], data["refresh_after_in"]) == (120, 90)
    assert data["granted_topics"] == [{"topic": f"org:{org_id}:runs",
                                       "required_scope": "runtime.run_summaries"}]
    assert data["granted_streams"][0]["required_scope"] == "runtime.run_summaries"
    assert data["subject"] == f"user:{user_id}" and data["session_id"] == session.session_id
    claims = jwt.decode(data["token"], KEY, algorithms=["HS256"], audience="beacon-feed")
    assert claims["exp"] - claims["iat"] == 120 and claims["jti"] == data["token_id"]
    assert claims["oa_org_id"] == org_id
    assert jwt.get_unverified_header(data["token"])["kid"] == data["kid"]
    assert _mint(gate, session.access_token, b"", content_type=None).status == 200


def test_its_own_refusals(gate: ControlClient, fixtures: ControlAdmin) -> None:
    user_id, org_id = fixtures.member()
    secret = fixtures.open_session(user_id, org_id, "phone").access_token
    assert _mint(gate, None).status == 401
    assert _mint(gate, secret, b"{}", content_type=None).status == 415
    assert _mint(gate, secret, b"{}", content_type="text/plain").status == 415
    assert _mint(gate, secret, b"{").status == 400
    shape = _mint(gate, secret, {"ttl_seconds": 59})
    assert (shape.status, shape.text) == (422, "ttl_seconds: expected an integer from 60 to 900")
    assert shape.headers["content-type"].startswith("text/plain")
    assert _mint(gate, secret, {"scopes": ["nope"]}).body["error"]["code"] == "invalid_scope"
    assert _mint(gate, secret, {"topics": ["run:1:events"]}).body["error"]["code"] == \
        "invalid_request"
    other_org = _mint(gate, secret, {"scopes": ["runtime.run_summaries"],
                                     "topics": ["org:someone-else:runs"]})
    assert (other_org.status, other_org.body["error"]["code"]) == (403, "forbidden")
    assert _mint(gate, secret, {"device_id": "laptop"}).status == 403
    assert gate.request("GET", CANONICAL).status == 405


def test_the_retired_alias_still_answers_and_is_still_listed(gate: ControlClient,
                                                             fixtures: ControlAdmin) -> None:
    """The planted defect (T6): the alias should be 404 and absent from the document."""
    user_id, org_id = fixtures.member()
    secret = fixtures.open_session(user_id, org_id, None).access_token
    for body in ({}, {"ttl_seconds": 61}, {"ttl_seconds": 5}, {"scopes": ["x"]}):
        canonical, alias = _mint(gate, secret, body), _mint(gate, secret, body, ALIAS)
        assert alias.status == canonical.status != 404
        if canonical.status == 200:
            assert alias.body["data"]["expires_in"] == canonical.body["data"]["expires_in"]
        else:
            assert (alias.body, alias.text) == (canonical.body, canonical.text)
    assert gate.request("GET", ALIAS).status == 405
    paths = gate.request("GET", "/openapi.json").body["paths"]
    assert paths[ALIAS]["post"]["deprecated"] is True
    assert CANONICAL in paths


def test_the_adapter(gate: ControlClient, fixtures: ControlAdmin) -> None:
    user_id, org_id = fixtures.member()
    bound = fixtures.open_session(user_id, org_id, "device-a")
    assert _mint(gate, bound.access_token, {"device_id": "device-a"}).body["data"][
        "device_id"] == "device-a"
    fixtures.configure(RETIRED, minting_unavailable=True)
    assert _mint(gate, bound.access_token).status == 503
    fixtures.configure(RETIRED, minting_unavailable=False)
    fixtures.deny_sync_tokens(org_id)
    assert _mint(gate, bound.access_token).status == 403
    fixtures.revoke(bound)
    assert _mint(gate, bound.access_token).status == 401
    with pytest.raises(AdminRefused):
        fixtures.issue_pat(user_id, org_id)
    with pytest.raises(AdminRefused):
        fixtures.configure(ControlPolicy(alias_retired=False), minting_unavailable=False)


def _matrix(gate: ControlClient, policy: ControlPolicy) -> Any:
    target = ControlTarget(gate, admin(gate), ROUTES, RETIRED, KEY.encode())
    cases = [c for c in cases_for(policy, ROUTES.families, API_CASES)
             if c.principal not in (Principal.PAT, Principal.REVOKED_PAT)]
    observations = observe_all(target, cases)
    return check_token_parity(observations, policy, openapi=target.openapi(),
                              signing_key=KEY.encode()), target


def test_the_harness_matrix_finds_the_planted_defect_and_nothing_else_relative(
        gate: ControlClient) -> None:
    retired, target = _matrix(gate, RETIRED)
    judged = {v.rule for v in retired.violations} & {"T5", "T6"}
    assert judged == {"T6"}
    assert any("lists the retired alias" in v.message for v in retired.violations)
    assert retired_as_started(probe_aliases(target), target.openapi())
    served, _ = _matrix(gate, ControlPolicy(alias_retired=False))
    assert [str(v) for v in served.violations if v.rule == "T5"] == []
