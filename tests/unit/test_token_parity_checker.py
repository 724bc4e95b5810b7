"""The token-route checker (T1-T6) on hand-made exchanges: each divergence, its rule id.

No service here: exchanges are built as a conformant service would answer, then broken one
way at a time, so each test shows the checker sees exactly that break and cites its rule.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import jwt
import pytest

from harness.checks.token_parity import (
    Observation,
    check_token_parity,
    learned_noise,
    retired_as_started,
)
from harness.contract.sync_tokens import ControlPolicy
from harness.drivers.control import Exchange
from harness.generators.token_requests import (
    INVALID_CLIENT_BUILD,
    INVALID_REQUEST,
    INVALID_SCOPE,
    NOT_ALLOWED,
    OK,
    UNAUTHORIZED,
    TokenCase,
)

KEY = b"checker-unit-test-key-0123456789abcdef"
ISSUED = 1_800_000_000
CANONICAL, ALIAS = "/api/sync/token", "/api/spacetime/token"
LIVE, RETIRED = ControlPolicy(), ControlPolicy(alias_retired=True)
VALID = TokenCase("valid", {}, (OK,))

Mutation = Callable[[dict[str, Any], dict[str, Any]], None]  # (data, claims), in place


def _rfc3339(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def minted(
    path: str = CANONICAL,
    *,
    ttl: int = 300,
    issued: int = ISSUED,
    token_id: str = "tid-1",
    mutate: Mutation | None = None,
    key: bytes = KEY,
) -> Exchange:
    """A 200 as a conformant service would send it; `mutate` breaks it before signing."""
    refresh = max(ttl - 30, 1)
    claims: dict[str, Any] = {
        "iss": "issuer", "aud": "audience", "sub": "user:u1", "iat": issued, "nbf": issued,
        "exp": issued + ttl, "jti": token_id, "oa_user_id": "u1", "oa_org_id": "o1",
        "oa_session_id": "s1", "oa_device_id": None,
        "oa_sync_scopes": ["runtime.codex_worker_events"], "oa_sync_topics": ["u:1:worker_events"],
        "oa_sync_streams": [], "oa_claims_version": "oa_sync_claims_v1",
    }  # fmt: skip
    data: dict[str, Any] = {
        "token_type": "Bearer", "transport": "spacetime_ws",
        "protocol_version": "spacetime.sync.v1", "expires_in": ttl, "refresh_after_in": refresh,
        "issued_at": _rfc3339(issued), "refresh_after": _rfc3339(issued + refresh),
        "expires_at": _rfc3339(issued + ttl), "issuer": "issuer", "audience": "audience",
        "subject": "user:u1", "org_id": "o1", "claims_version": "oa_sync_claims_v1",
        "scopes": ["runtime.codex_worker_events"],
        "granted_topics": [
            {"topic": "u:1:worker_events", "required_scope": "runtime.codex_worker_events"}
        ],
        "granted_streams": [], "kid": "kid-1", "token_id": token_id, "session_id": "s1",
        "device_id": None,
    }  # fmt: skip
    if mutate is not None:
        mutate(data, claims)
    token = jwt.encode(claims, key, algorithm="HS256", headers={"kid": "kid-1"})
    return Exchange("POST", path, 200, {"data": {"token": token, **data}}, None, {})


def refused(path: str, status: int, code: str, message: str = "No.") -> Exchange:
    body = {"message": message, "error": {"code": code, "message": message}}
    return Exchange("POST", path, status, body, None, {})


def judge(
    *observations: Observation, policy: ControlPolicy = LIVE, openapi: Any = None
) -> tuple[tuple[str, ...], str]:
    found = check_token_parity(observations, policy, openapi=openapi, signing_key=KEY)
    return found.broken_rules, found.explain()


def pair(case: TokenCase, canonical: Exchange, alias: Exchange) -> Observation:
    return Observation(case, canonical, alias)


def test_a_conformant_pair_passes_though_its_volatile_fields_differ() -> None:
    alias = minted(ALIAS, issued=ISSUED + 1, token_id="tid-2")
    found = check_token_parity([pair(VALID, minted(), alias)], LIVE, signing_key=KEY)
    assert found.ok, found.explain()
    assert set(found.rules) == {"T3", "T4", "T5"}


def test_T5_a_different_status_is_caught() -> None:
    alias = refused(ALIAS, 422, "invalid_request")
    rules, text = judge(pair(VALID, minted(), alias))
    assert rules == ("T5",)
    assert "status: POST /api/sync/token 200, POST /api/spacetime/token 422" in text


def test_T5_a_different_error_code_is_caught() -> None:
    case = TokenCase("bad", {"ttl_seconds": 1}, (INVALID_REQUEST,))
    canonical = refused(CANONICAL, 422, "invalid_request")
    rules, text = judge(pair(case, canonical, refused(ALIAS, 422, "invalid_scope")))
    assert rules == ("T5",)
    assert "error code: POST /api/sync/token invalid_request" in text


def test_T5_a_different_error_message_is_caught() -> None:
    case = TokenCase("bad", {"ttl_seconds": 1}, (INVALID_REQUEST,))
    canonical = refused(CANONICAL, 422, "invalid_request", "TTL out of range.")
    rules, text = judge(pair(case, canonical, refused(ALIAS, 422, "invalid_request", "Bad.")))
    assert rules == ("T5",)
    assert "error.message: canonical 'TTL out of range.', alias 'Bad.'" in text


def test_T5_an_extra_field_on_the_alias_is_caught() -> None:
    alias = minted(ALIAS, mutate=lambda data, _: data.update(route="alias"))
    rules, text = judge(pair(VALID, minted(), alias))
    assert rules == ("T5",)
    assert "data.route: only alias has it ('alias')" in text


def test_T5_and_T4_a_missing_field_on_the_alias_is_caught() -> None:
    alias = minted(ALIAS, mutate=lambda data, _: data.pop("session_id"))
    rules, text = judge(pair(VALID, minted(), alias))
    assert rules == ("T4", "T5")
    assert "data.session_id: only canonical has it ('s1')" in text
    assert "POST /api/spacetime/token: data lacks session_id" in text


def test_T5_an_alias_that_ignores_the_ttl_is_caught() -> None:
    case = TokenCase("ttl-60", {"ttl_seconds": 60}, (OK,))
    rules, text = judge(pair(case, minted(ttl=60), minted(ALIAS, ttl=300)))
    assert rules == ("T5",)
    assert "data.expires_in: canonical 60, alias 300" in text
    assert "data.refresh_after_in: canonical 30, alias 270" in text


def test_T5_and_T4_a_claim_missing_from_one_routes_token_is_caught() -> None:
    alias = minted(ALIAS, mutate=lambda _, claims: claims.pop("oa_device_id"))
    rules, text = judge(pair(VALID, minted(), alias))
    assert rules == ("T4", "T5")
    assert "JWT claim oa_device_id: only canonical has it (None)" in text
    assert "the JWT lacks claims oa_device_id" in text


def test_T5_a_claim_that_differs_between_routes_is_caught() -> None:
    scopes = ["runtime.run_summaries"]
    alias = minted(ALIAS, mutate=lambda _, claims: claims.update(oa_sync_scopes=scopes))
    rules, text = judge(pair(VALID, minted(), alias))
    assert "T5" in rules
    assert "JWT claim oa_sync_scopes[0]: canonical 'runtime.codex_worker_events', " in text


def _set(target: str, **values: Any) -> Mutation:
    def mutate(data: dict[str, Any], claims: dict[str, Any]) -> None:
        (data if target == "data" else claims).update(values)

    return mutate


T4_BREAKS = {
    "nbf is not iat": (_set("claims", nbf=ISSUED + 5), "claim nbf is 1800000005, iat is"),
    "exp is not iat + expires_in": (_set("claims", exp=ISSUED + 301), "iat + data.expires_in"),
    "jti is not token_id": (_set("claims", jti="other"), "claim jti is 'other', data.token_id"),
    "iat is not issued_at": (
        _set("claims", iat=ISSUED - 1, nbf=ISSUED - 1, exp=ISSUED + 299), "data.issued_at is"
    ),
    "refresh_after_in rule": (_set("data", refresh_after_in=100), "max(expires_in - 30, 1)"),
    "expires_at": (_set("data", expires_at=_rfc3339(ISSUED + 10)), "data.expires_at is 10 s"),
    "subject form": (_set("data", subject="u1"), "data.subject is 'u1', not user:<uid>"),
    "token_type": (_set("data", token_type="bearer"), "data.token_type is 'bearer'"),
    "claims_version": (_set("claims", oa_claims_version="v0"), "claim oa_claims_version"),
    "device claim": (_set("claims", oa_device_id="d"), "claim oa_device_id is 'd'"),
    "scopes type": (_set("data", scopes="runtime.codex_worker_events"), "not a list of strings"),
    "timestamp form": (_set("data", issued_at="yesterday"), "data.issued_at is 'yesterday'"),
}


@pytest.mark.parametrize("name", T4_BREAKS)
def test_T4_each_broken_relation_is_caught(name: str) -> None:
    mutate, words = T4_BREAKS[name]
    # The same break on both routes: parity holds, so only T4 may be cited.
    found = pair(VALID, minted(mutate=mutate), minted(ALIAS, mutate=mutate))
    rules, text = judge(found)
    assert rules == ("T4",), text
    assert words in text


def test_T4_nbf_differing_from_iat_on_one_route_is_T4_not_T5() -> None:
    alias = minted(ALIAS, mutate=_set("claims", nbf=ISSUED + 5))
    rules, text = judge(pair(VALID, minted(), alias))
    assert rules == ("T4",)
    assert "POST /api/spacetime/token: claim nbf is 1800000005, iat is 1800000000" in text


def test_T4_a_token_signed_with_another_key_is_caught_only_when_the_key_is_given() -> None:
    forged = minted(key=b"another-key-that-is-long-enough-0123456")
    observation = pair(VALID, forged, minted(ALIAS))
    with_key = check_token_parity([observation], LIVE, signing_key=KEY)
    assert with_key.broken_rules == ("T4",)
    assert "signature does not verify" in with_key.explain()
    assert check_token_parity([observation], LIVE).ok


def test_T3_an_answer_the_case_does_not_allow_is_caught() -> None:
    case = TokenCase("ttl-901", {"ttl_seconds": 901}, (INVALID_REQUEST,))
    rules, text = judge(pair(case, minted(), minted(ALIAS)))
    assert rules == ("T3",)
    assert "POST /api/sync/token answered 200, expected 422 invalid_request" in text


def test_T3_the_cases_own_rule_is_cited() -> None:
    case = TokenCase("v1-no-build-headers", {}, (INVALID_CLIENT_BUILD,), rule="T1")
    rules, text = judge(pair(case, minted(), minted(ALIAS)))
    assert rules == ("T1",)
    assert "answered 200, expected 426 invalid_client_build" in text


def test_T3_either_allowed_outcome_passes() -> None:
    case = TokenCase("either", {}, (INVALID_REQUEST, INVALID_SCOPE))
    answer = (refused(CANONICAL, 422, "invalid_scope"), refused(ALIAS, 422, "invalid_scope"))
    assert judge(pair(case, *answer)) == ((), "sync token routes: conformant (T3, T4, T5)")


def test_T3_a_field_the_case_expects_is_checked() -> None:
    case = TokenCase("ttl-60", {"ttl_seconds": 60}, (OK,), data={"expires_in": 60})
    rules, text = judge(pair(case, minted(ttl=300), minted(ALIAS, ttl=300)))
    assert rules == ("T3",)
    assert "data.expires_in: expected 60, answered 300" in text


def test_T3_expected_lists_are_compared_without_order() -> None:
    scopes = ["b", "a"]
    case = TokenCase("scopes", {}, (OK,), data={"scopes": ["a", "b"]})

    def mutate(data: dict[str, Any], claims: dict[str, Any]) -> None:
        data["scopes"] = claims["oa_sync_scopes"] = scopes

    rules, text = judge(pair(case, minted(mutate=mutate), minted(ALIAS, mutate=mutate)))
    assert rules == (), text


def test_T3_a_refusal_without_the_error_body_is_caught() -> None:
    case = TokenCase("no-auth", {}, (UNAUTHORIZED,))
    bare = Exchange("POST", CANONICAL, 401, {"error": "unauthorized"}, None, {})
    rules, text = judge(pair(case, bare, Exchange("POST", ALIAS, 401, bare.body, None, {})))
    assert rules == ("T3",)
    assert "the refusal's body is not {message, error: {code, message}}" in text


def test_T1_a_canonical_route_that_is_not_served_is_caught() -> None:
    not_found = (refused(CANONICAL, 404, "not_found"), refused(ALIAS, 404, "not_found"))
    rules, text = judge(pair(VALID, *not_found))
    assert rules == ("T1",)
    assert "POST /api/sync/token answered 404 not_found, expected 200" in text


def test_T6_a_retired_alias_that_still_answers_is_caught() -> None:
    rules, text = judge(pair(VALID, minted(), minted(ALIAS)), policy=RETIRED)
    assert rules == ("T6",)
    assert "POST /api/spacetime/token answered 200; a retired alias answers 404" in text


def test_T6_a_retired_alias_listed_in_the_openapi_document_is_caught() -> None:
    observation = pair(VALID, minted(), refused(ALIAS, 404, "not_found"))
    listed: dict[str, Any] = {"paths": {CANONICAL: {}, ALIAS: {}}}
    rules, text = judge(observation, policy=RETIRED, openapi=listed)
    assert rules == ("T6",)
    assert "the OpenAPI document lists the retired alias /api/spacetime/token" in text
    assert judge(observation, policy=RETIRED, openapi={"paths": {CANONICAL: {}}})[0] == ()


def test_T6_does_not_apply_to_a_live_alias() -> None:
    listed: dict[str, Any] = {"paths": {CANONICAL: {}, ALIAS: {}}}
    assert judge(pair(VALID, minted(), minted(ALIAS)), openapi=listed)[0] == ()


def test_T1_another_method_is_405_with_any_code_never_the_404_of_a_missing_route() -> None:
    case = TokenCase("method-put", b"", (NOT_ALLOWED,), "T1", method="PUT")

    def answer(path: str, status: int, code: str) -> Exchange:
        return Exchange("PUT", path, status, refused(path, status, code).body, None, {})

    assert judge(pair(case, answer(CANONICAL, 405, "method_not_allowed"),
                      answer(ALIAS, 405, "method_not_allowed")))[0] == ()
    assert judge(pair(case, answer(CANONICAL, 404, "not_found"),
                      answer(ALIAS, 404, "not_found")))[0] == ("T1",)
    retired = judge(pair(case, answer(CANONICAL, 405, "method_not_allowed"),
                         answer(ALIAS, 405, "method_not_allowed")), policy=RETIRED)
    assert retired[0] == ("T6",)
    assert "PUT /api/spacetime/token answered 405; a retired alias answers 404" in retired[1]


def test_T6_an_alias_retired_at_start_is_judged_as_the_service_started() -> None:
    gone = [Exchange(method, ALIAS, 404, None, "", {}) for method in ("POST", "GET", "DELETE")]
    document: dict[str, Any] = {"paths": {CANONICAL: {}}}
    assert retired_as_started(gone, document) == []
    answering = [*gone[:2], Exchange("DELETE", ALIAS, 405, None, "", {})]
    found = retired_as_started(answering, {"paths": {CANONICAL: {}, ALIAS: {}}})
    assert [v.rule for v in found] == ["T6", "T6"]
    assert "as started: DELETE /api/spacetime/token answered 405" in found[0].message
    assert "as started: the OpenAPI document lists the retired alias" in found[1].message


def test_noise_learned_from_two_canonical_answers_is_set_aside_and_warned_of() -> None:
    def stamped(value: str) -> Mutation:
        return lambda data, _: data.update(request_id=value)

    observation = Observation(
        VALID,
        minted(mutate=stamped("r1")),
        minted(ALIAS, mutate=stamped("r2"), token_id="tid-2"),
        canonical_again=minted(mutate=stamped("r3"), token_id="tid-3", issued=ISSUED + 1),
    )
    (warning,) = learned_noise([observation])
    assert warning.startswith("valid: data.request_id differs between two canonical answers")
    assert judge(observation)[0] == ()


def test_learned_noise_does_not_hide_a_difference_in_another_field() -> None:
    def stamped(value: str, ttl: int) -> Mutation:
        return lambda data, _: data.update(request_id=value, expires_in=ttl)

    observation = Observation(
        VALID,
        minted(mutate=stamped("r1", 300)),
        minted(ALIAS, mutate=stamped("r2", 600), token_id="tid-2"),
        canonical_again=minted(mutate=stamped("r3", 300), token_id="tid-3"),
    )
    rules, text = judge(observation)
    assert "T5" in rules
    assert "expires_in" in text and "request_id" not in text


def test_volatile_fields_are_not_noise() -> None:
    again = minted(token_id="tid-3", issued=ISSUED + 7)
    assert learned_noise([Observation(VALID, minted(), minted(ALIAS), again)]) == ()


def test_a_declared_volatile_field_is_set_aside_without_a_second_canonical_answer() -> None:
    def stamped(value: str) -> Mutation:
        return lambda data, _: data.update(request_id=value)

    observation = pair(VALID, minted(mutate=stamped("r1")),
                       minted(ALIAS, mutate=stamped("r2"), token_id="tid-2"))
    assert judge(observation)[0] == ("T5",)
    declared = check_token_parity([observation], LIVE, signing_key=KEY,
                                  volatile=frozenset({"data.request_id"}))
    assert declared.ok
