"""T1: the four token routes, and the client build headers the /api/v1 ones need."""

# Test names carry the contract's rule ids (T1...T6), upper case as CONTRACT.md spells them.

from __future__ import annotations

from collections.abc import Iterator

import pytest

from stub.control.state import Toggles
from tests.unit.test_control_support import (
    ALIAS,
    BUILD_HEADERS,
    CANONICAL,
    TOKEN_ROUTES,
    V1_ALIAS,
    V1_CANONICAL,
    Service,
    error_of,
    started,
)


@pytest.fixture
def service() -> Iterator[Service]:
    with started() as running:
        yield running


@pytest.fixture
def enforced() -> Iterator[Service]:
    with started(Toggles(compat_enforced=True)) as running:
        yield running


@pytest.mark.parametrize("path", TOKEN_ROUTES)
def test_T1_every_token_route_mints(service: Service, path: str) -> None:
    response = service.mint(path, bearer=service.session(), body={})
    assert response.status_code == 200
    assert response.json()["data"]["token_type"] == "Bearer"


@pytest.mark.parametrize("path", TOKEN_ROUTES)
def test_T1_token_routes_answer_only_post(service: Service, path: str) -> None:
    response = service.request("GET", path, bearer=service.session())
    assert error_of(response) == (405, "method_not_allowed")
    assert response.headers["Allow"] == "POST"


@pytest.mark.parametrize("path", [V1_CANONICAL, V1_ALIAS])
def test_T1_v1_routes_with_build_headers_mint_under_enforcement(
    enforced: Service, path: str
) -> None:
    response = enforced.mint(path, bearer=enforced.session(), headers=BUILD_HEADERS)
    assert response.status_code == 200


@pytest.mark.parametrize("path", [V1_CANONICAL, V1_ALIAS])
@pytest.mark.parametrize(
    "headers",
    [
        {},
        {**BUILD_HEADERS, "x-oa-client-build-id": ""},
        {k: v for k, v in BUILD_HEADERS.items() if k != "x-oa-client-build-id"},
        {k: v for k, v in BUILD_HEADERS.items() if k != "x-oa-protocol-version"},
        {k: v for k, v in BUILD_HEADERS.items() if k != "x-oa-schema-version"},
        {**BUILD_HEADERS, "x-oa-protocol-version": "openagents.control.v2"},
        {**BUILD_HEADERS, "x-oa-schema-version": "2"},
    ],
    ids=[
        "none",
        "empty-build",
        "no-build",
        "no-protocol",
        "no-schema",
        "wrong-protocol",
        "wrong-schema",
    ],
)
def test_T1_v1_routes_without_valid_build_headers_are_426_under_enforcement(
    enforced: Service, path: str, headers: dict[str, str]
) -> None:
    response = enforced.mint(path, bearer=enforced.session(), headers=headers)
    assert error_of(response) == (426, "invalid_client_build")


@pytest.mark.parametrize("path", [V1_CANONICAL, V1_ALIAS])
def test_T1_build_headers_are_checked_before_authentication(enforced: Service, path: str) -> None:
    assert error_of(enforced.mint(path, raw=b"not json")) == (426, "invalid_client_build")


@pytest.mark.parametrize("path", [CANONICAL, ALIAS])
def test_T1_enforcement_leaves_unversioned_routes_alone(enforced: Service, path: str) -> None:
    assert enforced.mint(path, bearer=enforced.session()).status_code == 200


@pytest.mark.parametrize("path", [V1_CANONICAL, V1_ALIAS])
def test_T1_v1_routes_need_no_headers_without_enforcement(service: Service, path: str) -> None:
    assert service.mint(path, bearer=service.session()).status_code == 200


def test_T1_enforcement_can_be_switched_at_run_time(service: Service) -> None:
    bearer = service.session()
    service.state.update_toggles(compat_enforced=True)
    assert error_of(service.mint(V1_CANONICAL, bearer=bearer)) == (426, "invalid_client_build")
    service.state.update_toggles(compat_enforced=False)
    assert service.mint(V1_CANONICAL, bearer=bearer).status_code == 200


def test_T1_openapi_lists_every_token_route(service: Service) -> None:
    document = service.request("GET", "/openapi.json").json()
    assert document["openapi"].startswith("3.1")
    for path in TOKEN_ROUTES:
        assert "post" in document["paths"][path]
    for path in (V1_CANONICAL, V1_ALIAS):
        assert "426" in document["paths"][path]["post"]["responses"]


def test_healthz_answers_ok(service: Service) -> None:
    response = service.request("GET", "/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


def test_unknown_path_is_404_not_found(service: Service) -> None:
    assert error_of(service.mint("/api/sync/token/")) == (404, "not_found")
