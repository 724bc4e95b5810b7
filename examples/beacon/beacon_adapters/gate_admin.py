"""`ControlAdmin` over beacon-gate (examples/beacon/beacon_gate).

A member is an org made through `/_fixtures/orgs` plus a fresh address added to it; a
session is one e-mail login of that address into that org (the gate runs with mail in mock
mode, so the code comes back in the answer). Revocation, org policy and the minting switch
are fixture calls. The gate has no personal access tokens, and its alias policy is part of
the release (retired), so neither can be asked of it.
"""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import quote

from harness.contract.sync_tokens import ControlPolicy
from harness.drivers.control import AdminRefused, ControlClient, Credential
from harness.targets.control import ControlAdmin

_HINT = "run beacon-gate with BEACON_GATE_MAIL=mock and BEACON_GATE_FIXTURES=on (gate.toml)"


class GateAdmin:
    def __init__(self, client: ControlClient, domain: str) -> None:
        self._client = client
        self._domain = domain
        self._emails: dict[str, str] = {}  # user id -> address

    def reset(self) -> None:
        self._call("POST", "/_fixtures/reset")
        self._emails.clear()

    def configure(self, policy: ControlPolicy, *, minting_unavailable: bool) -> None:
        if not policy.alias_retired or policy.compat_enforced:
            raise AdminRefused(f"beacon-gate cannot run under {policy}: its alias is retired "
                               "by release and it has no /api/v1 routes",
                               "declare policy = { alias_retired = true } in gate.toml")
        self._call("PUT", "/_fixtures/minting", {"enabled": not minting_unavailable})

    def member(self) -> tuple[str, str]:
        org_id = str(self._call("POST", "/_fixtures/orgs", {"name": "harness"})["org_id"])
        email = f"h-{uuid.uuid4().hex[:10]}@{self._domain}"
        joined = self._call("POST", "/_fixtures/memberships", {"org_id": org_id, "email": email})
        user_id = str(joined["user_id"])
        self._emails[user_id] = email
        return user_id, org_id

    def open_session(self, user_id: str, org_id: str, device_id: str | None) -> Credential:
        email = self._emails.get(user_id)
        if email is None:
            raise AdminRefused(f"{user_id} was not made by member() since the last reset",
                               "create members with member()")
        code = self._call("POST", "/auth/challenge", {"email": email}).get("code")
        if code is None:
            raise AdminRefused("the login code did not come back: mail is not mocked", _HINT)
        proof = {"email": email, "code": code, "org_id": org_id, "device_id": device_id}
        session = self._call("POST", "/auth/verify", proof)
        return Credential(str(session["session_id"]), str(session["access_token"]),
                          user_id, org_id, device_id)

    def issue_pat(self, user_id: str, org_id: str) -> Credential:
        raise AdminRefused("beacon-gate has no personal access tokens",
                           'list "control.personal_access_tokens" in [control] lacks')

    def revoke(self, credential: Credential) -> None:
        self._call("DELETE", f"/_fixtures/sessions/{quote(credential.session_id, safe='')}")

    def deny_sync_tokens(self, org_id: str) -> None:
        self._call("PUT", f"/_fixtures/orgs/{quote(org_id, safe='')}/sync", {"allowed": False})

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None,
              ) -> dict[str, Any]:
        answer = self._client.request(method, path, body={} if body is None else body)
        if answer.status not in (200, 201) or not isinstance(answer.body, dict):
            raise AdminRefused(f"{method} {path} answered {answer.status}: "
                               f"{answer.body if answer.body is not None else answer.text}", _HINT)
        return answer.body


def admin(client: ControlClient, *, email_domain: str = "beacon.test") -> ControlAdmin:
    """The factory gate.toml names; option `email_domain` for the members' addresses."""
    return GateAdmin(client, email_domain)
