"""The HTTP face of the service: routes, JSON in and out, and the server.

| route                                   | what                                           |
|-----------------------------------------|------------------------------------------------|
| `GET  /health`                          | 200 while the service runs                     |
| `POST /auth/challenge {email}`          | a login challenge (test mode returns the code) |
| `POST /auth/verify {challenge_id, code, device_id?}` | a session for that e-mail's user  |
| `POST /auth/pats` (bearer: a session)   | a personal access token of the same user       |
| `POST /auth/logout` (bearer)            | revokes the session or PAT that sends it       |
| `POST /api/sync/token`                  | a sync token                                   |
| `POST /api/spacetime/token`             | the same under its old name (404 when retired) |
| `GET  /api/openapi.json`                | the OpenAPI document of the routes above       |
| `POST /test/reset`                      | forget every user, org and credential          |
| `POST /test/minting {available}`        | switch minting on or off                       |
| `POST /test/orgs/<org_id>/deny-sync`    | make that org refuse sync tokens               |

Whether the alias is retired is decided when the server starts and never changes.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

from examples.foreign.control.accounts import Accounts, Credential, LoginRefused
from examples.foreign.control.minting import (
    DEFAULT_TTL_SECONDS,
    Issuer,
    Refusal,
    approve,
    token_response,
)

CANONICAL = "/api/sync/token"
ALIAS = "/api/spacetime/token"
OPENAPI = "/api/openapi.json"
_DENY_SYNC = ("/test/orgs/", "/deny-sync")

Answer = tuple[int, dict[str, Any]]


def openapi_document(alias_retired: bool) -> dict[str, Any]:
    """The routes a client may call; a retired alias is not among them."""
    token_op = {
        "post": {
            "summary": "Mint a sync token for the SpacetimeDB WebSocket",
            "security": [{"bearer": []}],
            "requestBody": {"required": False, "content": {"application/json": {"schema": {
                "type": "object",
                "properties": {
                    "scopes": {"type": "array", "items": {"type": "string"}},
                    "topics": {"type": "array", "items": {"type": "string"}},
                    "streams": {"type": "array", "items": {"type": "string"}},
                    "ttl_seconds": {"type": "integer", "minimum": 60, "maximum": 900},
                    "device_id": {"type": "string"},
                },
            }}}},
            "responses": {code: {"description": text} for code, text in (
                ("200", "the token"), ("401", "no valid credential"),
                ("403", "device or organization refuses"), ("422", "invalid request"),
                ("503", "minting unavailable"))},
        }
    }  # fmt: skip
    paths: dict[str, Any] = {
        "/auth/challenge": {"post": {"summary": "Start an e-mail login"}},
        "/auth/verify": {"post": {"summary": "Finish an e-mail login"}},
        "/auth/pats": {"post": {"summary": "Create a personal access token"}},
        "/auth/logout": {"post": {"summary": "Revoke the calling credential"}},
        CANONICAL: token_op,
    }
    if not alias_retired:
        paths[ALIAS] = {"post": {**token_op["post"], "deprecated": True}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Foreign sync control", "version": "2.3.0"},
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        "paths": paths,
    }


def _problem(status: int, code: str, message: str) -> Answer:
    return status, Refusal(status, code, message).document()


class ControlServer(ThreadingHTTPServer):
    """One service: its memory, its signing settings and its alias policy."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], issuer: Issuer, *, alias_retired: bool,
                 quiet: bool = True) -> None:
        super().__init__(address, _Handler)
        self.accounts = Accounts()
        self.issuer = issuer
        self.alias_retired = alias_retired
        self.quiet = quiet

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"


class _Handler(BaseHTTPRequestHandler):
    server: ControlServer
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def log_message(self, format: str, *args: Any) -> None:
        if not self.server.quiet:
            super().log_message(format, *args)

    def _serve(self, method: str) -> None:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length > 0 else b""
        path = urlsplit(self.path).path
        methods = self._routes().get(path)
        if methods is None and path.startswith(_DENY_SYNC[0]) and path.endswith(_DENY_SYNC[1]):
            org_id = unquote(path[len(_DENY_SYNC[0]):-len(_DENY_SYNC[1])])
            methods = {"POST": lambda _raw: self._deny_sync(org_id)}
        extra: list[tuple[str, str]] = []
        if methods is None:
            status, body = _problem(404, "not_found", f"No route for {path}.")
        elif method not in methods:
            status, body = _problem(405, "method_not_allowed", "Method not allowed.")
            extra.append(("Allow", ", ".join(sorted(methods))))
        else:
            try:
                status, body = methods[method](raw)
            except Refusal as refusal:
                status, body = refusal.status, refusal.document()
        self._send(status, body, extra)

    def _send(self, status: int, body: dict[str, Any], extra: list[tuple[str, str]]) -> None:
        payload = json.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Cache-Control", "no-store")
        for name, value in extra:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def _routes(self) -> dict[str, dict[str, Callable[[bytes], Answer]]]:
        routes: dict[str, dict[str, Callable[[bytes], Answer]]] = {
            "/health": {"GET": lambda _raw: (200, {"status": "ok"})},
            OPENAPI: {"GET": lambda _raw: (200, openapi_document(self.server.alias_retired))},
            "/auth/challenge": {"POST": self._challenge},
            "/auth/verify": {"POST": self._verify},
            "/auth/pats": {"POST": self._new_pat},
            "/auth/logout": {"POST": self._logout},
            CANONICAL: {"POST": self._canonical_token},
            "/test/reset": {"POST": self._reset},
            "/test/minting": {"POST": self._minting},
        }
        if not self.server.alias_retired:
            routes[ALIAS] = {"POST": self._alias_token}
        return routes

    # Sync tokens.

    def _canonical_token(self, raw: bytes) -> Answer:
        approved = approve(self.server.accounts, self.headers.get("authorization"), raw)
        return 200, token_response(self.server.issuer, approved, approved.ask.ttl_seconds,
                                   now=int(time.time()), token_id=_token_id())

    def _alias_token(self, raw: bytes) -> Answer:
        """The route's name before it was renamed; kept for clients that still call it."""
        approved = approve(self.server.accounts, self.headers.get("authorization"), raw)
        # PLANTED DEFECT (breaks CONTRACT T5, alias parity): this handler was copied from
        # the canonical one before `ttl_seconds` existed and was never updated, so the alias
        # mints every token with the default TTL. It should pass `approved.ask.ttl_seconds`.
        return 200, token_response(self.server.issuer, approved, DEFAULT_TTL_SECONDS,
                                   now=int(time.time()), token_id=_token_id())

    # Login.

    def _challenge(self, raw: bytes) -> Answer:
        email = _json_object(raw).get("email")
        if not isinstance(email, str) or "@" not in email.strip()[1:-1]:
            raise Refusal(422, "invalid_request", "'email' must be an e-mail address.")
        challenge_id, code = self.server.accounts.start_login(email)
        return 200, {"challenge_id": challenge_id, "code": code}

    def _verify(self, raw: bytes) -> Answer:
        body = _json_object(raw)
        challenge_id, code, device_id = (body.get(k) for k in ("challenge_id", "code",
                                                                "device_id"))
        if not isinstance(challenge_id, str) or not isinstance(code, str) or not (
                device_id is None or isinstance(device_id, str)):
            raise Refusal(422, "invalid_request",
                          "'challenge_id' and 'code' must be strings, 'device_id' a string.")
        try:
            session = self.server.accounts.finish_login(challenge_id, code, device_id or None)
        except LoginRefused as error:
            raise Refusal(401, "unauthorized", "That code is not valid.") from error
        return 200, {"session": {"id": session.id, "token": session.secret},
                     "user_id": session.user_id, "org_id": session.org_id}

    def _caller(self) -> Credential:
        parts = (self.headers.get("authorization") or "").split()
        found = (self.server.accounts.live(parts[1])
                 if len(parts) == 2 and parts[0].lower() == "bearer" else None)
        if found is None:
            raise Refusal(401, "unauthorized", "A valid session or access token is required.")
        return found

    def _new_pat(self, _raw: bytes) -> Answer:
        session = self._caller()
        if session.kind != "session":
            raise Refusal(403, "forbidden", "Only a signed-in session can create access tokens.")
        pat = self.server.accounts.new_pat(session)
        return 200, {"pat": {"id": pat.id, "token": pat.secret}}

    def _logout(self, _raw: bytes) -> Answer:
        credential = self._caller()
        self.server.accounts.log_out(credential)
        return 200, {"revoked": credential.id}

    # Test-only administration.

    def _reset(self, _raw: bytes) -> Answer:
        self.server.accounts.forget_everything()
        return 200, {"reset": True}

    def _minting(self, raw: bytes) -> Answer:
        available = _json_object(raw).get("available")
        if not isinstance(available, bool):
            raise Refusal(422, "invalid_request", "'available' must be true or false.")
        self.server.accounts.minting_available = available
        return 200, {"available": available}

    def _deny_sync(self, org_id: str) -> Answer:
        if not self.server.accounts.deny_sync(org_id):
            raise Refusal(404, "not_found", f"No organization {org_id}.")
        return 200, {"org_id": org_id, "sync_tokens": "denied"}


def _json_object(raw: bytes) -> dict[str, Any]:
    try:
        body = json.loads(raw.decode("utf-8")) if raw.strip() else {}
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise Refusal(422, "invalid_request", "The body is not JSON.") from error
    if not isinstance(body, dict):
        raise Refusal(422, "invalid_request", "The body must be a JSON object.")
    return body


def _token_id() -> str:
    return "stk_" + secrets.token_hex(12)
