"""The token request matrix and the random bodies: coverage, and agreement with T3's rules."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import find, given, settings
from hypothesis.errors import NoSuchExample

from harness.contract.canonical import CanonicalJsonError, canonical_json
from harness.contract.sync_tokens import BUILD_ID_HEADER, ControlPolicy, RouteFamily
from harness.generators.token_requests import (
    API_CASES,
    BEARER,
    FORBIDDEN,
    INVALID_CLIENT_BUILD,
    INVALID_REQUEST,
    INVALID_SCOPE,
    MATRIX,
    NOT_ALLOWED,
    OK,
    UNAUTHORIZED,
    UNAVAILABLE,
    Outcome,
    Principal,
    TokenCase,
    cases_for,
    generated_case,
    on_v1,
    token_bodies,
)

BOTH = (RouteFamily.API, RouteFamily.API_V1)


def test_case_ids_are_unique() -> None:
    ids = [case.id for case in MATRIX]
    assert len(ids) == len(set(ids)) == 140


def test_the_matrix_expects_every_outcome_T1_and_T3_name() -> None:
    expected = {outcome for case in MATRIX for outcome in case.expect}
    assert expected == {
        OK, UNAUTHORIZED, FORBIDDEN, INVALID_REQUEST, INVALID_SCOPE, INVALID_CLIENT_BUILD,
        UNAVAILABLE, NOT_ALLOWED,
    }  # fmt: skip


def _plain(case: TokenCase) -> bool:
    """A case whose outcome depends on its body alone (what `generated_case` judges)."""
    return (
        isinstance(case.body, dict)
        and case.principal is Principal.SESSION
        and case.authorization == BEARER
        and case.method == "POST"
        and not (case.org_denies or case.minting_unavailable or case.headers)
    )


@pytest.mark.parametrize("case", [c for c in API_CASES if _plain(c)], ids=lambda c: c.id)
def test_the_body_rules_agree_with_the_hand_written_cases(case: TokenCase) -> None:
    # Two statements of T3, one by example and one by rule: each checks the other.
    assert generated_case(case.body).expect == case.expect


def test_generated_successes_expect_their_ttl() -> None:
    assert generated_case({"ttl_seconds": 60}).data == {"expires_in": 60, "refresh_after_in": 30}
    assert generated_case({}).data == {"expires_in": 300, "refresh_after_in": 270}


@pytest.mark.parametrize(
    "expect",
    [(OK,), (INVALID_REQUEST,), (INVALID_SCOPE,), (INVALID_REQUEST, INVALID_SCOPE)],
    ids=["valid", "malformed", "scope", "malformed-and-scope"],
)
def test_random_bodies_reach_every_kind_of_outcome(expect: tuple[Outcome, ...]) -> None:
    body = find(token_bodies(), lambda b: generated_case(b).expect == expect,
                settings=settings(max_examples=2000, database=None))  # fmt: skip
    assert generated_case(body).expect == expect


@given(token_bodies())
def test_every_random_body_has_an_expected_outcome(body: dict[str, Any]) -> None:
    # None lands where §7 is silent, so every one tests T3 as well as parity.
    assert generated_case(body).expect


def _encodable(body: dict[str, Any]) -> bool:
    try:
        canonical_json(body)
    except CanonicalJsonError:
        return False
    return True


def test_no_random_body_falls_outside_canonical_json() -> None:
    """A scenario ID carries the body as canonical JSON (E4): an integer past 64 bits would
    make the scenario unreportable, a harness error instead of a verdict."""
    with pytest.raises(NoSuchExample):
        find(token_bodies(), lambda body: not _encodable(body),
             settings=settings(max_examples=3000, database=None))


def test_cases_follow_the_declared_compat_policy() -> None:
    off = {case.id for case in cases_for(ControlPolicy(), BOTH)}
    on = {case.id for case in cases_for(ControlPolicy(compat_enforced=True), BOTH)}
    assert "v1-no-build-headers" in off - on
    assert {"v1-no-build-headers-enforced", "api-no-build-headers-enforced"} <= on - off
    assert "valid-empty-object" in off & on
    assert (len(off), len(on)) == (133, 139)


def test_a_service_without_v1_routes_gets_no_v1_cases() -> None:
    cases = cases_for(ControlPolicy(), (RouteFamily.API,))
    assert cases and all(case.family is RouteFamily.API for case in cases)


def test_v1_variants_carry_the_build_headers() -> None:
    variant = on_v1(API_CASES[0])
    assert (variant.id, variant.family) == ("v1-valid-empty-object", RouteFamily.API_V1)
    assert variant.headers[BUILD_ID_HEADER]
    assert variant.compat_enforced is None
