"""What a target can do, so that a scenario it cannot perform is "not applicable", not a crash.

A user's system rarely has every operation of the reference contract: a module without
compaction, a client that computes stale cursors itself, a control service with one route
family. Each side declares what it has; a scenario names what it needs (see
harness.runner.applicability) and the difference, with the rules it would have judged, is
reported per rule in the summary, JUnit and Allure. Never a pass, never a false violation.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType


class Capability(StrEnum):
    MODULE_APPLY = "module.apply"
    MODULE_COMPACT = "module.compact"
    MODULE_RESUME = "module.resume_reducer"
    MODULE_ACK = "module.ack"
    # The ack reducer takes the client as an argument: it can be asked to move another's.
    MODULE_ACK_NAMES_CLIENT = "module.ack_names_client"
    SERVER_CRASH = "env.crash_spacetimedb"
    CLIENT = "client"
    PUBLISHER = "publisher"
    PUBLISHER_CRASH = "publisher.crash"
    NETWORK_CUT = "env.network_cut"
    CONTROL = "control"
    CONTROL_API_V1 = "control.api_v1_routes"
    CONTROL_PAT = "control.personal_access_tokens"
    CONTROL_REVOKE = "control.revocation"
    CONTROL_DEVICE = "control.device_binding"
    CONTROL_ORG_POLICY = "control.org_policy"
    CONTROL_MINTING_TOGGLE = "control.minting_toggle"
    CONTROL_POLICY_TOGGLE = "control.policy_toggle"
    CONTROL_RETIRED_AT_START = "control.retired_at_start"
    # The service declares its alias retired (`policy.alias_retired`): T6 holds it to that.
    CONTROL_RETIRED_DECLARED = "control.alias_retired"
    # The service serves its alias (does not declare it retired): T5 has two routes to compare.
    CONTROL_ALIAS_SERVED = "control.alias_served"


# The rules a capability is needed to judge: what "not applicable" costs the user.
RULES_NEEDING: Mapping[Capability, tuple[str, ...]] = MappingProxyType({
    Capability.MODULE_APPLY: ("M1", "M2", "M3", "E5", "E6", "P1", "P2", "P3", "P4"),
    Capability.MODULE_COMPACT: ("M4",),
    Capability.MODULE_RESUME: ("R1", "R3"),
    Capability.MODULE_ACK: ("M6",),
    Capability.MODULE_ACK_NAMES_CLIENT: ("M6",),
    Capability.SERVER_CRASH: ("G2", "M2"),
    Capability.CLIENT: ("R1", "R2", "R3", "R4"),
    Capability.PUBLISHER: ("B1", "B2", "B3", "B4", "B5", "B6", "E2"),
    Capability.PUBLISHER_CRASH: ("B5",),
    Capability.NETWORK_CUT: ("B3", "B6"),
    Capability.CONTROL: ("T1", "T2", "T3", "T4", "T5", "T6"),
    Capability.CONTROL_API_V1: ("T1",),
    Capability.CONTROL_PAT: ("T2",),
    Capability.CONTROL_REVOKE: ("T3",),
    Capability.CONTROL_DEVICE: ("T3",),
    Capability.CONTROL_ORG_POLICY: ("T3",),
    Capability.CONTROL_MINTING_TOGGLE: ("T3",),
    Capability.CONTROL_POLICY_TOGGLE: ("T1", "T6"),
    Capability.CONTROL_RETIRED_AT_START: ("T6",),
    Capability.CONTROL_RETIRED_DECLARED: ("T6",),
    Capability.CONTROL_ALIAS_SERVED: ("T5",),
})

# Every control capability a full control service has; a user's admin adapter lists the
# ones it lacks in configuration (all but what the service's declarations decide).
CONTROL_CAPABILITIES = frozenset(c for c in Capability if c.value.startswith("control"))
LACKABLE_CONTROL = CONTROL_CAPABILITIES - {Capability.CONTROL_RETIRED_DECLARED,
                                           Capability.CONTROL_RETIRED_AT_START,
                                           Capability.CONTROL_ALIAS_SERVED}
