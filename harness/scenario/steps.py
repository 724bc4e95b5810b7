"""The step vocabulary: which ops exist, what fields each needs, which property may use it.

Checked when a scenario is loaded from a file or an ID, so a malformed scenario is a
clear harness error (exit 2) and never a false verdict.
"""

from __future__ import annotations

from collections.abc import Mapping

from harness.scenario.model import PROPERTIES, Scenario

MODULE_PROPERTIES = ("idempotence", "rebuild", "stale_cursor")

# op -> (required fields with their types, properties that may use it)
STEP_FIELDS: Mapping[str, tuple[Mapping[str, type | tuple[type, ...]], tuple[str, ...]]] = {
    # journal a new event on `topic` (seq = the topic's head + 1, E2)
    "event": ({"topic": str, "kind": str, "payload": dict}, MODULE_PROPERTIES),
    # the publisher applies journaled event (topic, seq) to the module (M1)
    "deliver": ({"topic": str, "seq": int}, MODULE_PROPERTIES),
    # the publisher applies (topic, seq) with different content: a conflict (E6)
    "conflict": ({"topic": str, "seq": int, "payload": dict}, MODULE_PROPERTIES),
    # the publisher applies (topic, seq) with a payload_hash that is not its content's (E5)
    "bad_hash": ({"topic": str, "seq": int}, MODULE_PROPERTIES),
    # client `client` acknowledges `seq` of the stream of `topic` (M6)
    "ack": ({"client": str, "topic": str, "seq": int}, ("stale_cursor",)),
    # the publisher compacts the stream of `topic` through `through` (M4)
    "compact": ({"topic": str, "through": int}, MODULE_PROPERTIES),
    # from here on `event` steps are journaled by the stub runtime, whose publisher delivers
    # them (B1-B6); the harness no longer delivers by itself
    "via_runtime": ({}, ("idempotence",)),
    # arm a publisher fault for the next `count` deliveries: duplicate, reorder,
    # crash_after_commit or crash_before_send
    "fault": ({"kind": str, "count": int}, ("idempotence",)),
    # the runtime container is killed with SIGKILL and started again (B5)
    "crash_runtime": ({}, ("idempotence",)),
    # the runtime is cut off the network from SpacetimeDB, and later reconnected (B3, B6)
    "cut_network": ({}, ("idempotence",)),
    "heal_network": ({}, ("idempotence",)),
    # wait until the publisher has delivered everything it can
    "settle": ({}, ("idempotence",)),
    # let `ms` milliseconds pass (an outage that outlasts the publisher's quick retries)
    "hold": ({"ms": int}, ("idempotence",)),
    # after settling, the harness applies (topic, seq) itself with extra payload field
    # `forged`: when the runtime then delivers the real event it is a permanent conflict
    # (B3: dead letter, stream paused; B4: the other streams go on)
    "preempt": ({"topic": str, "seq": int, "forged": int}, ("idempotence",)),
    # SpacetimeDB is killed with SIGKILL once its commitlog is durable, then restarted
    "crash_stdb": ({}, MODULE_PROPERTIES),
    # a fresh database replays the journal in an interleaving chosen by `seed` (G2)
    "rebuild": ({"seed": int}, ("rebuild",)),
    # client `client` resumes `topic` from `cursor` with `budget` (R1-R4)
    "resume": ({"client": str, "topic": str, "cursor": int, "budget": int}, ("stale_cursor",)),
    # the control service's declared policy for the following token steps (T1, T6)
    "policy": ({"alias_retired": bool, "compat_enforced": bool}, ("token_parity",)),
    # one request of the token matrix, sent to both routes (T1-T6)
    "token": ({"case": str}, ("token_parity",)),
    # a generated request body, sent to both /api routes (T2-T5)
    "token_body": ({"body": dict}, ("token_parity",)),
}


def problems(scenario: Scenario) -> list[str]:
    """Everything wrong with a scenario's shape (empty when it is well formed)."""
    found: list[str] = []
    if scenario.property not in PROPERTIES:
        found.append(f"unknown property {scenario.property!r}")
    for number, step in enumerate(scenario.steps):
        op = step.get("op")
        if not isinstance(op, str) or op not in STEP_FIELDS:
            found.append(f"step {number}: unknown op {op!r}")
            continue
        fields, allowed = STEP_FIELDS[op]
        if scenario.property not in allowed:
            found.append(f"step {number}: op {op!r} is not used by {scenario.property}")
        for name, kind in fields.items():
            value = step.get(name)
            if not isinstance(value, kind) or (isinstance(value, bool) and kind is int):
                found.append(f"step {number} ({op}): field {name!r} must be "
                             f"{getattr(kind, '__name__', kind)}, got {value!r}")
    return found
