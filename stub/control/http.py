"""The control service's HTTP routes: one table, one dispatcher, transport-free.

`ROUTES` is the whole public surface. The four token routes share the one handler
`sync_token`, so the alias answers exactly as the canonical route (T5) by construction; a
deliberately broken variant swaps one entry of the table. A route's flags carry the two route
level policies: `alias` routes are retired together (T6: 404 to every method, gone from
/openapi.json), and `versioned` routes check client build headers under enforcement (T1: 426).

Per request, in this order: the admin prefix goes to admin.py; an unknown path, or an alias
while retired, is 404 `not_found`; a wrong method is 405 `method_not_allowed`; a versioned
route under enforcement checks the build headers; then the handler runs (for tokens, the
checks listed in tokens.py).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from stub.control import admin, mutants, openapi, tokens
from stub.control.compat import check_client_build
from stub.control.errors import ApiError, method_not_allowed, not_found
from stub.control.state import ControlState


@dataclass(frozen=True)
class Request:
    method: str
    path: str  # without the query string
    headers: Mapping[str, str]  # names in lower case
    body: bytes = b""


@dataclass(frozen=True)
class Response:
    status: int
    body: dict[str, Any]
    headers: tuple[tuple[str, str], ...] = ()


def _new_token_id() -> str:
    return str(uuid.uuid4())


@dataclass(frozen=True)
class App:
    """Everything a handler may use; the clock and id source are injectable for tests."""

    state: ControlState
    settings: tokens.TokenSettings
    clock: Callable[[], float] = time.time
    new_token_id: Callable[[], str] = _new_token_id
    mutant: str = ""  # a deliberately broken alias (stub/control/mutants.py); "" = reference


Handler = Callable[[App, Request], Response]


@dataclass(frozen=True)
class Route:
    method: str
    handler: Handler
    mints: bool = False  # a sync token route, described as such in /openapi.json
    alias: bool = False  # retired with the alias (T6)
    versioned: bool = False  # an /api/v1 route: client build headers under enforcement (T1)


def sync_token(app: App, request: Request) -> Response:
    """Mint a sync token (T2-T4); every token route, canonical or alias, lands here."""
    data = tokens.issue(
        app.state,
        app.settings,
        request.headers.get("authorization"),
        request.body,
        clock=app.clock,
        new_token_id=app.new_token_id,
    )
    return Response(200, {"data": data})


def openapi_json(app: App, _: Request) -> Response:
    return Response(200, openapi.document(served_token_routes(app.state)))


def healthz(_app: App, _request: Request) -> Response:
    return Response(200, {"status": "ok"})


ROUTES: Final[Mapping[str, Route]] = {
    "/api/sync/token": Route("POST", sync_token, mints=True),
    "/api/spacetime/token": Route("POST", sync_token, mints=True, alias=True),
    "/api/v1/sync/token": Route("POST", sync_token, mints=True, versioned=True),
    "/api/v1/spacetime/token": Route("POST", sync_token, mints=True, alias=True, versioned=True),
    "/openapi.json": Route("GET", openapi_json),
    "/healthz": Route("GET", healthz),
}


def _served(route: Route, state: ControlState) -> bool:
    return not (route.alias and state.toggles.alias_retired)


def served_token_routes(state: ControlState) -> dict[str, bool]:
    """The token routes in force, each with whether it is versioned, for the OpenAPI document."""
    return {
        path: route.versioned
        for path, route in ROUTES.items()
        if route.mints and _served(route, state)
    }


def _route(app: App, request: Request) -> Response:
    if request.path.startswith(admin.PREFIX):
        status, body = admin.handle(app.state, request.method, request.path, request.body)
        return Response(status, body)
    route = ROUTES.get(request.path)
    if route is None or not _served(route, app.state):
        raise not_found()
    if request.method != route.method:
        raise method_not_allowed([route.method])
    if route.versioned and app.state.toggles.compat_enforced:
        check_client_build(request.headers)
    if route.alias and app.mutant:
        return mutants.ALIAS_MUTANTS[app.mutant](route.handler)(app, request)
    return route.handler(app, request)


def dispatch(app: App, request: Request) -> Response:
    """Answer one request; every refusal becomes the contract's error body."""
    try:
        return _route(app, request)
    except ApiError as error:
        return Response(error.status, error.body(), error.headers)
