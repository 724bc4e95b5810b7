"""`ControlAdmin` for the foreign control service (examples/foreign/control).

The service has no admin API for principals: users come into being by logging in. So a
member is a fresh e-mail address that completes the challenge/verify flow (its first login
creates the user and a personal org), and every further session of that member is one more
login of the same address. PATs are created with one of the member's sessions; revocation
is the credential logging itself out. Minting and org policy have test-only endpoints.

The alias policy is fixed when the service starts (`--alias-retired`), so `configure`
cannot change it: give the factory the same `alias_retired` the service was started with,
and a request for another policy is refused (the configuration declares the capability
`control.policy_toggle` lacking, so the harness does not ask).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from harness.contract.sync_tokens import ControlPolicy
from harness.drivers.control import AdminRefused, ControlClient, Credential, Exchange
from harness.targets.control import ControlAdmin

_HINT = "check the foreign control service's test endpoints (examples/foreign/README.md)"


@dataclass(frozen=True)
class _Member:
    email: str
    org_id: str
    setup_secret: str  # a session of the member's, for creating PATs


class ForeignAdmin:
    """Sets the stage on one foreign control service through its own login flow."""

    def __init__(self, client: ControlClient, *, alias_retired: bool = False,
                 email_domain: str = "harness.example") -> None:
        self._client = client
        self._alias_retired = alias_retired
        self._domain = email_domain
        self._members: dict[str, _Member] = {}

    def reset(self) -> None:
        self._call("POST", "/test/reset", {})
        self._members.clear()

    def configure(self, policy: ControlPolicy, *, minting_unavailable: bool) -> None:
        if policy.alias_retired != self._alias_retired:
            started = "retired" if self._alias_retired else "served"
            raise AdminRefused(
                f"asked for alias_retired={policy.alias_retired}, but the service was started "
                f"with its alias {started}, and its policy cannot change at run time",
                "declare the policy the service runs with, and `control.policy_toggle` lacking",
            )
        if policy.compat_enforced:
            raise AdminRefused(
                "asked for compatibility enforcement, but the service has no /api/v1 routes",
                "declare compat_enforced = false for this service",
            )
        answer = self._call("POST", "/test/minting", {"available": not minting_unavailable})
        if answer.get("available") is not (not minting_unavailable):
            raise AdminRefused(f"minting should be available={not minting_unavailable}, "
                               f"the service answered {answer}", _HINT)

    def member(self) -> tuple[str, str]:
        email = f"member-{uuid.uuid4().hex[:12]}@{self._domain}"
        login = self._log_in(email, None)
        user_id, org_id = str(login["user_id"]), str(login["org_id"])
        self._members[user_id] = _Member(email, org_id, str(login["session"]["token"]))
        return user_id, org_id

    def open_session(self, user_id: str, org_id: str, device_id: str | None) -> Credential:
        login = self._log_in(self._member(user_id, org_id).email, device_id)
        if login["user_id"] != user_id or login["org_id"] != org_id:
            raise AdminRefused(f"a new login of {user_id}'s address came back as user "
                               f"{login['user_id']} in org {login['org_id']}", _HINT)
        session = login["session"]
        return Credential(str(session["id"]), str(session["token"]), user_id, org_id, device_id)

    def issue_pat(self, user_id: str, org_id: str) -> Credential:
        member = self._member(user_id, org_id)
        pat = self._call("POST", "/auth/pats", {}, bearer=member.setup_secret)["pat"]
        return Credential(str(pat["id"]), str(pat["token"]), user_id, org_id, None)

    def revoke(self, credential: Credential) -> None:
        self._call("POST", "/auth/logout", {}, bearer=credential.access_token)

    def deny_sync_tokens(self, org_id: str) -> None:
        self._call("POST", f"/test/orgs/{quote(org_id, safe='')}/deny-sync", {})

    def _log_in(self, email: str, device_id: str | None) -> dict[str, Any]:
        challenge = self._call("POST", "/auth/challenge", {"email": email})
        proof: dict[str, Any] = {"challenge_id": challenge["challenge_id"],
                                 "code": challenge["code"]}
        if device_id is not None:
            proof["device_id"] = device_id
        return self._call("POST", "/auth/verify", proof)

    def _member(self, user_id: str, org_id: str) -> _Member:
        member = self._members.get(user_id)
        if member is None or member.org_id != org_id:
            raise AdminRefused(f"{user_id} in {org_id} is not a member this adapter created "
                               "since the last reset", "create members with member()")
        return member

    def _call(self, method: str, path: str, body: dict[str, Any],
              bearer: str | None = None) -> dict[str, Any]:
        exchange: Exchange = self._client.request(method, path, bearer=bearer, body=body)
        if exchange.status != 200 or not isinstance(exchange.body, dict):
            shown = exchange.body if exchange.body is not None else exchange.text
            raise AdminRefused(f"{method} {path} answered {exchange.status}: {shown}", _HINT)
        return exchange.body


def admin(client: ControlClient, **options: Any) -> ControlAdmin:
    """The factory the harness configuration names (`examples.foreign.adapters.control:admin`).

    Options: `alias_retired` (bool, as the service was started; default false) and
    `email_domain` (the domain of the members' made-up addresses)."""
    unknown = sorted(set(options) - {"alias_retired", "email_domain"})
    if unknown:
        raise ValueError(f"unknown options for the foreign control admin: {', '.join(unknown)}")
    return ForeignAdmin(client, alias_retired=bool(options.get("alias_retired", False)),
                        email_domain=str(options.get("email_domain", "harness.example")))
