"""The admin API: how the harness seeds the control service and flips its policies.

A test seam, not part of the contract: it has no authentication, so the service must only be
reachable from the harness (a private Docker network, or 127.0.0.1). Every request body and
answer is a JSON object; errors use the contract's error body. Ids may be chosen by the caller
(for reproducible goldens) or left out to get `user-<n>`, `org-<n>`, `sess-<n>`, `pat:<n>`.

    POST /_admin/reset        {}                                   -> 200 {"reset": true}
         forget every user, org, session and PAT; toggles return to their startup values
    POST /_admin/users        {"user_id"?}                         -> 201 {"user_id"}
    POST /_admin/orgs         {"org_id"?}                          -> 201 {"org_id"}
    POST /_admin/memberships  {"org_id", "user_id", "role"}        -> 201 the same fields
         role is owner, admin, member or viewer; a second call replaces the role
    POST /_admin/sessions     {"user_id", "org_id", "device_id"?}  -> 201 {"session_id",
         "access_token", "user_id", "org_id", "device_id"}; the user must be a member of the org;
         with device_id the session is bound to that device
    POST /_admin/pats         {"user_id", "org_id"}                -> 201 the same fields, with a
         session_id starting "pat:" and no device
    POST /_admin/revocations  {"session_id"}                       -> 200 {"session_id", "revoked"}
         revokes a session or PAT; its access token then answers 401
    POST /_admin/org-policy   {"org_id", "deny_sync_tokens": bool} -> 200 the same fields
    GET  /_admin/toggles                                           -> 200 the toggles
    POST /_admin/toggles      {"minting_unavailable"?, "alias_retired"?, "compat_enforced"?}
         -> 200 the toggles now in force (fields left out keep their value)

Errors: 400 `invalid_admin_request` (bad JSON, missing or mistyped field, unknown role),
404 `not_found` (unknown user, org or session, or admin path), 405 `method_not_allowed`,
409 `conflict` (duplicate id, session for a non-member).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping
from typing import Any, Final, TypeVar

from stub.control.errors import ApiError, method_not_allowed, not_found
from stub.control.state import (
    ROLES,
    ConflictError,
    ControlState,
    NotFoundError,
    Session,
)

PREFIX: Final = "/_admin/"

Answer = tuple[int, dict[str, Any]]
AdminHandler = Callable[[ControlState, Mapping[str, Any]], Answer]
_T = TypeVar("_T")


def _bad(message: str) -> ApiError:
    return ApiError(400, "invalid_admin_request", message)


def _field(document: Mapping[str, Any], name: str, kind: type[_T]) -> _T:
    value = document.get(name)
    if not isinstance(value, kind) or value == "":
        expected = "a non-empty string" if kind is str else f"a JSON {kind.__name__}"
        raise _bad(f"{name} must be {expected}.")
    return value


def _optional(document: Mapping[str, Any], name: str, kind: type[_T]) -> _T | None:
    return None if document.get(name) is None else _field(document, name, kind)


def _session_answer(session: Session, access_token: str) -> dict[str, Any]:
    return {
        "session_id": session.session_id,
        "access_token": access_token,
        "user_id": session.user_id,
        "org_id": session.org_id,
        "device_id": session.device_id,
    }


def _reset(state: ControlState, _: Mapping[str, Any]) -> Answer:
    state.reset()
    return 200, {"reset": True}


def _create_user(state: ControlState, document: Mapping[str, Any]) -> Answer:
    return 201, {"user_id": state.add_user(_optional(document, "user_id", str))}


def _create_org(state: ControlState, document: Mapping[str, Any]) -> Answer:
    return 201, {"org_id": state.add_org(_optional(document, "org_id", str))}


def _set_member(state: ControlState, document: Mapping[str, Any]) -> Answer:
    org_id = _field(document, "org_id", str)
    user_id = _field(document, "user_id", str)
    role = next((role for role in ROLES if role == document.get("role")), None)
    if role is None:
        raise _bad(f"role must be one of {', '.join(ROLES)}.")
    state.set_member(org_id, user_id, role)
    return 201, {"org_id": org_id, "user_id": user_id, "role": role}


def _create_session(state: ControlState, document: Mapping[str, Any]) -> Answer:
    session, access_token = state.open_session(
        _field(document, "user_id", str),
        _field(document, "org_id", str),
        _optional(document, "device_id", str),
    )
    return 201, _session_answer(session, access_token)


def _create_pat(state: ControlState, document: Mapping[str, Any]) -> Answer:
    session, access_token = state.issue_pat(
        _field(document, "user_id", str), _field(document, "org_id", str)
    )
    return 201, _session_answer(session, access_token)


def _revoke(state: ControlState, document: Mapping[str, Any]) -> Answer:
    session = state.revoke(_field(document, "session_id", str))
    return 200, {"session_id": session.session_id, "revoked": session.revoked}


def _org_policy(state: ControlState, document: Mapping[str, Any]) -> Answer:
    org_id = _field(document, "org_id", str)
    deny = _field(document, "deny_sync_tokens", bool)
    state.set_org_policy(org_id, deny_sync_tokens=deny)
    return 200, {"org_id": org_id, "deny_sync_tokens": deny}


def _get_toggles(state: ControlState, _: Mapping[str, Any]) -> Answer:
    return 200, dataclasses.asdict(state.toggles)


def _set_toggles(state: ControlState, document: Mapping[str, Any]) -> Answer:
    toggles = state.update_toggles(
        minting_unavailable=_optional(document, "minting_unavailable", bool),
        alias_retired=_optional(document, "alias_retired", bool),
        compat_enforced=_optional(document, "compat_enforced", bool),
    )
    return 200, dataclasses.asdict(toggles)


ADMIN_ROUTES: Final[Mapping[tuple[str, str], AdminHandler]] = {
    ("POST", "/_admin/reset"): _reset,
    ("POST", "/_admin/users"): _create_user,
    ("POST", "/_admin/orgs"): _create_org,
    ("POST", "/_admin/memberships"): _set_member,
    ("POST", "/_admin/sessions"): _create_session,
    ("POST", "/_admin/pats"): _create_pat,
    ("POST", "/_admin/revocations"): _revoke,
    ("POST", "/_admin/org-policy"): _org_policy,
    ("GET", "/_admin/toggles"): _get_toggles,
    ("POST", "/_admin/toggles"): _set_toggles,
}


def handle(state: ControlState, method: str, path: str, body: bytes) -> Answer:
    """Run one admin request; raises `ApiError` with the status the harness should see."""
    handler = ADMIN_ROUTES.get((method, path))
    if handler is None:
        allowed = sorted(verb for verb, route_path in ADMIN_ROUTES if route_path == path)
        if allowed:
            raise method_not_allowed(allowed)
        raise not_found()
    try:
        document = json.loads(body) if body.strip() else {}
    except ValueError as error:
        raise _bad("The request body is not valid JSON.") from error
    if not isinstance(document, dict):
        raise _bad("The request body must be a JSON object.")
    try:
        return handler(state, document)
    except NotFoundError as error:
        raise ApiError(404, "not_found", str(error)) from error
    except ConflictError as error:
        raise ApiError(409, "conflict", str(error)) from error
