"""The HTTP side: routes, the OpenAPI document and the threaded server.

Public routes: `POST /api/sync/token`, the e-mail login under `/auth/`, `GET /healthz`,
`GET /openapi.json`. Test deployments (`BEACON_GATE_FIXTURES=on`) also serve `/_fixtures/`,
which our own tests use to set up orgs, members, policies and outages.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from .accounts import Accounts, Refused, Session
from .mint import Minter, ShapeError, parse

TOKEN_ROUTE = "/api/sync/token"
# 1.x clients asked /api/spacetime/token. That name is retired since 2.0 (README, "Routes")
# and is supposed to answer 404 like any unknown path.
# PLANTED DEFECT (examples/beacon/README.md, T6): the migration shim below was never taken
# out, so the retired name is still resolved to the token route, and the OpenAPI document
# still lists it (as deprecated).
RENAMED = {"/api/spacetime/token": TOKEN_ROUTE}

Handler = Callable[["_Request", dict[str, str]], None]


class _Reply(Exception):
    """Ends a request early with this answer."""

    def __init__(self, status: int, body: Any, text: bool = False) -> None:
        super().__init__(status)
        self.status, self.body, self.text = status, body, text


def _error(status: int, code: str, message: str) -> _Reply:
    return _Reply(status, {"message": message, "error": {"code": code, "message": message}})


class GateServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], minter: Minter, *, mock_mail: bool = False,
                 fixtures: bool = False, log: bool = False) -> None:
        super().__init__(address, _Request)
        self.minter = minter
        self.accounts = Accounts()
        self.mock_mail = mock_mail
        self.fixtures = fixtures
        self.log = log

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"


class _Request(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes
    server: GateServer

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.log:
            super().log_message(format, *args)

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def do_PATCH(self) -> None:
        self._handle("PATCH")

    # plumbing

    def _handle(self, method: str) -> None:
        length = int(self.headers.get("content-length") or 0)
        self.raw = self.rfile.read(length) if length > 0 else b""
        path = urlsplit(self.path).path
        path = RENAMED.get(path, path)
        try:
            for pattern, methods, private in ROUTES:
                found = pattern.fullmatch(path)
                if found is None or (private and not self.server.fixtures):
                    continue
                if method not in methods:
                    self._allow = ", ".join(sorted(methods))
                    raise _error(405, "method_not_allowed", f"{method} is not allowed here")
                methods[method](self, found.groupdict())
                return
            raise _error(404, "not_found", f"no route {path}")
        except _Reply as reply:
            self._send(reply)
        except Refused as refused:
            self._send(_error(refused.status, refused.code, refused.message))

    def _send(self, reply: _Reply) -> None:
        if reply.text:
            payload, kind = str(reply.body).encode(), "text/plain; charset=utf-8"
        else:
            payload, kind = json.dumps(reply.body).encode(), "application/json"
        self.send_response(reply.status)
        self.send_header("content-type", kind)
        self.send_header("content-length", str(len(payload)))
        self.send_header("cache-control", "no-store")
        if reply.status == 405:
            self.send_header("allow", getattr(self, "_allow", ""))
        self.end_headers()
        self.wfile.write(payload)

    def _json(self) -> dict[str, Any]:
        try:
            body = json.loads(self.raw) if self.raw.strip() else {}
        except ValueError:
            raise _error(400, "malformed_json", "the body is not JSON") from None
        if not isinstance(body, dict):
            raise _error(400, "malformed_json", "the body is not a JSON object")
        return body

    def _session(self) -> Session:
        scheme, _, secret = (self.headers.get("authorization") or "").partition(" ")
        session = self.server.accounts.session(secret.strip()) \
            if scheme.lower() == "bearer" and secret.strip() else None
        if session is None:
            raise _error(401, "unauthorized", "sign in first")
        return session

    # public routes

    def health(self, _: dict[str, str]) -> None:
        raise _Reply(200, {"status": "ok", "service": "beacon-gate"})

    def openapi(self, _: dict[str, str]) -> None:
        raise _Reply(200, OPENAPI)

    def token(self, _: dict[str, str]) -> None:
        session = self._session()
        media = (self.headers.get("content-type") or "").split(";")[0].strip().lower()
        if self.raw and media != "application/json":
            raise _error(415, "unsupported_media_type", "send application/json")
        try:
            ask = parse(self.raw)
        except ShapeError as problem:
            raise _Reply(422, str(problem), text=True) from None
        except ValueError:
            raise _error(400, "malformed_json", "the body is not JSON") from None
        accounts = self.server.accounts
        raise _Reply(200, {"data": self.server.minter.mint(accounts, session, ask)})

    def challenge(self, _: dict[str, str]) -> None:
        code = self.server.accounts.challenge(self._json().get("email"))
        answer: dict[str, Any] = {"sent": True}
        if self.server.mock_mail:
            answer["code"] = code
        else:
            self.log_message("login code %s", code)
        raise _Reply(200, answer)

    def verify(self, _: dict[str, str]) -> None:
        body = self._json()
        session = self.server.accounts.verify(body.get("email"), body.get("code"),
                                              body.get("org_id"), body.get("device_id"))
        raise _Reply(200, {"access_token": session.secret, "session_id": session.session_id,
                           "user_id": session.user_id, "org_id": session.org_id,
                           "device_id": session.device_id})

    def logout(self, _: dict[str, str]) -> None:
        self.server.accounts.revoke(self._session().session_id)
        raise _Reply(200, {"signed_out": True})

    # fixtures (test deployments only)

    def reset(self, _: dict[str, str]) -> None:
        self.server.accounts.reset()
        raise _Reply(200, {"reset": True})

    def new_org(self, _: dict[str, str]) -> None:
        name = self._json().get("name")
        org = self.server.accounts.create_org(name if isinstance(name, str) else None)
        raise _Reply(201, {"org_id": org.org_id, "name": org.name})

    def new_member(self, _: dict[str, str]) -> None:
        body = self._json()
        org_id = str(body.get("org_id"))
        user_id = self.server.accounts.add_member(org_id, body.get("email"))
        raise _Reply(201, {"org_id": org_id, "user_id": user_id})

    def org_sync(self, params: dict[str, str]) -> None:
        allowed = self._json().get("allowed")
        if not isinstance(allowed, bool):
            raise _error(400, "bad_request", "allowed must be true or false")
        self.server.accounts.set_sync_allowed(params["org"], allowed)
        raise _Reply(200, {"org_id": params["org"], "allowed": allowed})

    def end_session(self, params: dict[str, str]) -> None:
        if not self.server.accounts.revoke(params["session"]):
            raise _error(404, "no_such_session", f"no session {params['session']}")
        raise _Reply(200, {"revoked": params["session"]})

    def minting(self, _: dict[str, str]) -> None:
        enabled = self._json().get("enabled")
        if not isinstance(enabled, bool):
            raise _error(400, "bad_request", "enabled must be true or false")
        self.server.accounts.minting_enabled = enabled
        raise _Reply(200, {"enabled": enabled})


Route = tuple[re.Pattern[str], dict[str, Handler], bool]


def _route(pattern: str, methods: dict[str, Handler], fixture: bool = False) -> Route:
    """(path pattern, method -> handler, served in test deployments only)"""
    return re.compile(pattern), methods, fixture


ROUTES: list[Route] = [
    _route("/healthz", {"GET": _Request.health}),
    _route("/openapi.json", {"GET": _Request.openapi}),
    _route(re.escape(TOKEN_ROUTE), {"POST": _Request.token}),
    _route("/auth/challenge", {"POST": _Request.challenge}),
    _route("/auth/verify", {"POST": _Request.verify}),
    _route("/auth/logout", {"POST": _Request.logout}),
    _route("/_fixtures/reset", {"POST": _Request.reset}, fixture=True),
    _route("/_fixtures/orgs", {"POST": _Request.new_org}, fixture=True),
    _route("/_fixtures/memberships", {"POST": _Request.new_member}, fixture=True),
    _route("/_fixtures/orgs/(?P<org>[^/]+)/sync", {"PUT": _Request.org_sync}, fixture=True),
    _route("/_fixtures/sessions/(?P<session>[^/]+)", {"DELETE": _Request.end_session},
           fixture=True),
    _route("/_fixtures/minting", {"PUT": _Request.minting}, fixture=True),
]


def _operation(summary: str, *responses: int, bearer: bool = False) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "summary": summary,
        "responses": {str(code): {"description": str(code)} for code in responses},
    }
    if bearer:
        operation["security"] = [{"session": []}]
    return operation


_TOKEN = _operation("Mint a feed subscription token", 200, 401, 403, 415, 422, 503, bearer=True)
OPENAPI: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "beacon-gate", "version": "2.1.0"},
    "components": {"securitySchemes": {"session": {"type": "http", "scheme": "bearer"}}},
    "paths": {
        "/healthz": {"get": _operation("Liveness", 200)},
        TOKEN_ROUTE: {"post": _TOKEN},
        "/auth/challenge": {"post": _operation("Mail a login code", 200, 400)},
        "/auth/verify": {"post": _operation("Trade a login code for a session", 200, 401, 403)},
        "/auth/logout": {"post": _operation("End this session", 200, 401, bearer=True)},
        **{old: {"post": {**_TOKEN, "deprecated": True}} for old in RENAMED},
    },
}
