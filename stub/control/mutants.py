"""Deliberately broken alias routes, for proving the harness catches route divergence.

Each mutant is a realistic slip in a service whose alias route grew its own code path
instead of sharing the canonical handler: it answers differently from the canonical
route in one small way, breaking T5. Selected with `--mutant NAME` (CONTROL_MUTANT);
the reference runs with none.
"""

from __future__ import annotations

import base64
import dataclasses
import json
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Final

from stub.control import hs256
from stub.control.errors import ApiError
from stub.control.tokens import DEFAULT_TTL_SECONDS

if TYPE_CHECKING:
    from stub.control.http import App, Handler, Request, Response


def _rewriting_body(handler: Handler, rewrite: Callable[[dict[str, Any]], None]) -> Handler:
    """The alias's own pre-processing of a JSON object body, then the shared handler.

    Any other body is passed on untouched, so the shared checks refuse it exactly as on the
    canonical route: a mutant built on this departs only where its rewrite changes something.
    """
    def alias(app: App, request: Request) -> Response:
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            return handler(app, request)
        if isinstance(body, dict):
            rewrite(body)
            request = dataclasses.replace(request, body=json.dumps(body).encode())
        return handler(app, request)
    return alias


def _alias_ignores_ttl(handler: Handler) -> Handler:
    """The alias forgets to pass ttl_seconds through: every alias token gets the default."""
    def rewrite(body: dict[str, Any]) -> None:
        body.pop("ttl_seconds", None)
    return _rewriting_body(handler, rewrite)


def _alias_other_error_code(handler: Handler) -> Handler:
    """The alias maps an unknown scope to the generic invalid_request code."""
    def alias(app: App, request: Request) -> Response:
        try:
            return handler(app, request)
        except ApiError as error:
            if error.code == "invalid_scope":
                raise ApiError(error.status, "invalid_request", error.message) from error
            raise
    return alias


def _alias_drops_claim(handler: Handler) -> Handler:
    """The alias signs its JWT from an older claim builder that lacks oa_device_id."""
    def alias(app: App, request: Request) -> Response:
        response = handler(app, request)
        data: dict[str, Any] = response.body["data"] if response.status == 200 else {}
        if data:
            claims = json.loads(_b64decode(data["token"].split(".")[1]))
            claims.pop("oa_device_id", None)
            data["token"] = hs256.encode(claims, app.settings.signing_key, app.settings.kid)
        return response
    return alias


def _alias_falsy_ttl_default(handler: Handler) -> Handler:
    """The alias reads the TTL as `body.get("ttl_seconds") or DEFAULT`, the idiom for "not
    given", so a falsy TTL (0, false, "", []) is minted with the default where the canonical
    route refuses it; absent, null and every truthy TTL are answered alike."""
    def rewrite(body: dict[str, Any]) -> None:
        body["ttl_seconds"] = body.get("ttl_seconds") or DEFAULT_TTL_SECONDS
    return _rewriting_body(handler, rewrite)


def _alias_sorts_scopes(handler: Handler) -> Handler:
    """The alias normalises the scopes with `sorted(set(scopes))` before signing, to make its
    tokens "canonical". The dedupe is harmless (the shared handler keeps first occurrences
    anyway); the sort is not: scopes asked out of order are granted and signed in another
    order than on the canonical route. Scopes asked in sorted order are answered alike."""
    def rewrite(body: dict[str, Any]) -> None:
        scopes = body.get("scopes")
        if isinstance(scopes, list) and all(isinstance(scope, str) for scope in scopes):
            body["scopes"] = sorted(set(scopes))
    return _rewriting_body(handler, rewrite)


def _alias_strips_whitespace(handler: Handler) -> Handler:
    """The alias "cleans" its input, stripping surrounding whitespace from every string of
    scopes, topics, streams and device_id before validating: a padded scope or topic the
    canonical route refuses is granted, a padded device id is bound without its spaces.
    Strings without surrounding whitespace are answered alike."""
    def stripped(value: Any) -> Any:
        if isinstance(value, list):
            return [stripped(item) for item in value]
        return value.strip() if isinstance(value, str) else value

    def rewrite(body: dict[str, Any]) -> None:
        for name in ("scopes", "topics", "streams", "device_id"):
            if name in body:
                body[name] = stripped(body[name])
    return _rewriting_body(handler, rewrite)


def _b64decode(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


ALIAS_MUTANTS: Final[Mapping[str, Callable[[Handler], Handler]]] = {
    "alias-ignores-ttl": _alias_ignores_ttl,
    "alias-other-error-code": _alias_other_error_code,
    "alias-drops-claim": _alias_drops_claim,
    "alias-falsy-ttl-default": _alias_falsy_ttl_default,
    "alias-sorts-scopes": _alias_sorts_scopes,
    "alias-strips-whitespace": _alias_strips_whitespace,
}
