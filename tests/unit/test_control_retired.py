"""T6: a retired alias answers 404 to every request and leaves the OpenAPI document."""

# Test names carry the contract's rule ids (T1...T6), upper case as CONTRACT.md spells them.

from __future__ import annotations

from collections.abc import Iterator

import pytest

from stub.control.state import Toggles
from tests.unit.test_control_support import (
    ALIAS,
    BUILD_HEADERS,
    CANONICAL,
    V1_ALIAS,
    V1_CANONICAL,
    Service,
    error_of,
    started,
)

ALIASES = (ALIAS, V1_ALIAS)
METHODS = ("POST", "GET", "PUT", "PATCH", "DELETE", "OPTIONS")


@pytest.fixture
def retired() -> Iterator[Service]:
    with started(Toggles(alias_retired=True)) as running:
        yield running


def openapi_paths(service: Service) -> set[str]:
    response = service.request("GET", "/openapi.json")
    assert response.status_code == 200
    return set(response.json()["paths"])


@pytest.mark.parametrize("path", ALIASES)
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("authorized", [True, False], ids=["bearer", "anonymous"])
def test_T6_retired_alias_answers_404_to_every_request(
    retired: Service, path: str, method: str, authorized: bool
) -> None:
    bearer = retired.session() if authorized else None
    response = retired.request(method, path, bearer=bearer, body={}, headers=BUILD_HEADERS)
    assert error_of(response) == (404, "not_found")


@pytest.mark.parametrize("path", ALIASES)
def test_T6_retired_alias_answers_head_with_404(retired: Service, path: str) -> None:
    assert retired.request("HEAD", path).status_code == 404


@pytest.mark.parametrize("path", ALIASES)
def test_T6_retired_alias_is_indistinguishable_from_an_unknown_path(
    retired: Service, path: str
) -> None:
    unknown = retired.mint("/api/never/existed")
    response = retired.mint(path, bearer=retired.session())
    assert (response.status_code, response.json()) == (unknown.status_code, unknown.json())


@pytest.mark.parametrize("path", ALIASES)
def test_T6_retired_alias_ignores_even_compat_enforcement(retired: Service, path: str) -> None:
    retired.state.update_toggles(compat_enforced=True)
    assert error_of(retired.mint(path)) == (404, "not_found")


def test_T6_retired_alias_is_absent_from_openapi(retired: Service) -> None:
    paths = openapi_paths(retired)
    assert not paths & set(ALIASES)
    assert {CANONICAL, V1_CANONICAL} <= paths


@pytest.mark.parametrize("path", [CANONICAL, V1_CANONICAL])
def test_T6_canonical_routes_still_mint_while_the_alias_is_retired(
    retired: Service, path: str
) -> None:
    assert retired.mint(path, bearer=retired.session()).status_code == 200


def test_T6_alias_can_be_retired_and_restored_at_run_time() -> None:
    with started() as service:
        bearer = service.session()
        assert set(ALIASES) <= openapi_paths(service)
        service.state.update_toggles(alias_retired=True)
        assert [service.mint(path, bearer=bearer).status_code for path in ALIASES] == [404, 404]
        assert not openapi_paths(service) & set(ALIASES)
        service.state.update_toggles(alias_retired=False)
        assert [service.mint(path, bearer=bearer).status_code for path in ALIASES] == [200, 200]
        assert set(ALIASES) <= openapi_paths(service)
