"""A control service as a target: where its token routes are, how to seed it, what it declares.

The contract speaks of one abstract operation, "mint a sync token" on a canonical route or its
alias (CONTRACT.md T1), and of principals (sessions, PATs, devices, orgs) that exist before it.
A target says how both look on one concrete service:

* `TokenRoutes`: the paths of the four routes and of the OpenAPI document, so a service
  that mounts them elsewhere plugs in by changing data, not code;
* `ControlAdmin`: the set-up operations the request matrix needs. The reference service
  implements them over its `/_admin/` API; a user's service implements
  them its own way (fixtures in its database, its own test API; the reference's adapter is
  stub/adapters.py);
* `ControlPolicy` (harness.contract.sync_tokens): what the service declares, which decides
  whether T6 applies and which T1 cases can run.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Protocol

from harness.contract.sync_tokens import ControlPolicy, RouteFamily
from harness.drivers.control import ControlClient, Credential
from harness.errors import HarnessError
from harness.targets.capabilities import CONTROL_CAPABILITIES, Capability


@dataclass(frozen=True)
class TokenRoutes:
    """Where one service serves T1's routes; None for a route it does not have."""

    canonical: str = "/api/sync/token"
    alias: str = "/api/spacetime/token"
    v1_canonical: str | None = "/api/v1/sync/token"
    v1_alias: str | None = "/api/v1/spacetime/token"
    openapi: str | None = "/openapi.json"

    @property
    def families(self) -> tuple[RouteFamily, ...]:
        """The route pairs this service has; /api/v1 is optional in T1."""
        has_v1 = self.v1_canonical is not None and self.v1_alias is not None
        return (RouteFamily.API, RouteFamily.API_V1) if has_v1 else (RouteFamily.API,)

    def pair(self, family: RouteFamily) -> tuple[str, str]:
        """(canonical path, alias path) of a route family."""
        if family is RouteFamily.API:
            return self.canonical, self.alias
        if self.v1_canonical is None or self.v1_alias is None:
            raise HarnessError(
                "this control target declares no /api/v1 routes",
                "leave the api-v1 cases out (filter by TokenRoutes.families)",
            )
        return self.v1_canonical, self.v1_alias


class ControlAdmin(Protocol):
    """The set-up the harness needs before minting; a failed step raises a `HarnessError`."""

    def reset(self) -> None:
        """Start from a service with no principals (a case must not see the last one's)."""

    def configure(self, policy: ControlPolicy, *, minting_unavailable: bool) -> None:
        """Make the service run under `policy`, with minting available or not (T3's 503)."""

    def member(self) -> tuple[str, str]:
        """A fresh user who is a member of a fresh org: (user_id, org_id)."""

    def open_session(self, user_id: str, org_id: str, device_id: str | None) -> Credential:
        """A session of that member, bound to `device_id` when one is given."""

    def issue_pat(self, user_id: str, org_id: str) -> Credential:
        """A personal access token of that member (T2: its session id starts `pat:`)."""

    def revoke(self, credential: Credential) -> None:
        """Revoke a session or PAT: its bearer must then answer 401."""

    def deny_sync_tokens(self, org_id: str) -> None:
        """Set the org's policy to refuse sync tokens (T3's 403)."""


def control_capabilities(routes: TokenRoutes, lacks: frozenset[Capability],
                         retired_at_start: bool = False,
                         retired_declared: bool = False) -> frozenset[Capability]:
    """What a service with these routes can do, less what its configuration says it lacks;
    a second instance started with its alias retired only where one is configured, and a
    retirement to hold the service to only where it declares one."""
    found = set(CONTROL_CAPABILITIES - lacks)
    if RouteFamily.API_V1 not in routes.families:
        found.discard(Capability.CONTROL_API_V1)
    if not retired_at_start:
        found.discard(Capability.CONTROL_RETIRED_AT_START)
    if not retired_declared:
        found.discard(Capability.CONTROL_RETIRED_DECLARED)
    else:
        found.discard(Capability.CONTROL_ALIAS_SERVED)
    return frozenset(found)


@dataclass(frozen=True)
class ControlTarget:
    """One control service: its driver, routes, set-up, declared policy and signing key.

    `signing_key` lets checkers verify token signatures; None when the harness is not given
    the key (claims are then still decoded and judged, signatures are not). `lacks` names
    what the service (or its admin adapter) cannot do: revocable PATs, device binding, a
    policy switched at run time; scenarios needing it are not applicable.
    """

    client: ControlClient
    admin: ControlAdmin
    routes: TokenRoutes = field(default_factory=TokenRoutes)
    policy: ControlPolicy = field(default_factory=ControlPolicy)
    signing_key: bytes | None = None
    lacks: frozenset[Capability] = frozenset()
    volatile: tuple[str, ...] = ()  # declared fields T5 sets aside, beside the learned ones

    @property
    def capabilities(self) -> frozenset[Capability]:
        return control_capabilities(self.routes, self.lacks,
                                    retired_declared=self.policy.alias_retired)

    def declaring(self, policy: ControlPolicy) -> ControlTarget:
        """The same service declared under another policy (applied by `admin.configure`)."""
        return dataclasses.replace(self, policy=policy)

    def openapi(self) -> dict[str, Any] | None:
        """The service's OpenAPI document (T6), or None when it declares none."""
        if self.routes.openapi is None:
            return None
        exchange = self.client.request("GET", self.routes.openapi)
        if exchange.status != 200 or not isinstance(exchange.body, dict):
            raise HarnessError(
                f"GET {self.routes.openapi} answered {exchange.status}, not a JSON document",
                "set TokenRoutes.openapi to the document's path, or None if there is none",
            )
        return exchange.body

