"""Drive token cases through a control target and record what both routes answered.

The driving half of the token-route checks: set the stage for a case through the target's
admin operations, then send the one request to the canonical route, to its alias and to the
canonical route again (the second canonical answer lets the checker learn which fields vary on
their own). Nothing is judged here; harness/checks/token_parity.py does that.
"""

from __future__ import annotations

from collections.abc import Iterable

from harness.checks.token_parity import Observation
from harness.drivers.control import Credential, Exchange
from harness.generators.token_requests import BOUND_DEVICE, Principal, TokenCase
from harness.targets.control import ControlTarget

_REVOKED = (Principal.REVOKED_SESSION, Principal.REVOKED_PAT)


def prepare(target: ControlTarget, case: TokenCase) -> dict[str, str]:
    """Reset the service, apply the declared policy and the case's set-up; the headers to send.

    Every case starts from an empty service, so no case can pass or fail because of another.
    """
    target.admin.reset()
    target.admin.configure(target.policy, minting_unavailable=case.minting_unavailable)
    user_id, org_id = target.admin.member()
    credential: Credential
    if case.principal in (Principal.PAT, Principal.REVOKED_PAT):
        credential = target.admin.issue_pat(user_id, org_id)
    else:
        device = BOUND_DEVICE if case.principal is Principal.DEVICE_BOUND else None
        credential = target.admin.open_session(user_id, org_id, device)
    if case.principal in _REVOKED:
        target.admin.revoke(credential)
    if case.org_denies:
        target.admin.deny_sync_tokens(org_id)
    headers = dict(case.headers)
    if case.authorization is not None:
        headers["authorization"] = case.authorization.format(secret=credential.access_token)
    return headers


def observe(target: ControlTarget, case: TokenCase) -> Observation:
    """One case, prepared, then sent to the canonical route, the alias, and the canonical again."""
    headers = prepare(target, case)
    canonical_path, alias_path = target.routes.pair(case.family)

    def send(path: str) -> Exchange:
        return target.client.request(case.method, path, body=case.body, headers=headers)

    canonical, alias = send(canonical_path), send(alias_path)
    return Observation(case, canonical, alias, canonical_again=send(canonical_path))


# T6 says "every request": the methods a retired alias is asked with, POST and the others.
ALIAS_METHODS = ("POST", "GET", "PUT", "DELETE")


def probe_aliases(target: ControlTarget) -> list[Exchange]:
    """Every alias route of the target's families, asked with every method, with no
    credentials and before any set-up: what a retired alias answers as the service started."""
    return [target.client.request(method, target.routes.pair(family)[1])
            for family in target.routes.families for method in ALIAS_METHODS]


def observe_all(target: ControlTarget, cases: Iterable[TokenCase]) -> list[Observation]:
    """Every case in order; each starts from a reset service."""
    return [observe(target, case) for case in cases]
