"""The event kinds each stream family accepts and the payload fields they need (P1-P4).

Only required fields are checked; extra fields are allowed, so a producer can add data
without breaking older modules. Integers follow JSON, not Python: `True` is a bool, not the
integer 1, and a token count must fit the module's u64 column.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType

from harness.contract.canonical import U64_MAX
from harness.contract.streams import StreamFamily

FieldCheck = Callable[[object], bool]


def _is_str(value: object) -> bool:
    return isinstance(value, str)


def _is_u64(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= U64_MAX


def _is_outcome(value: object) -> bool:
    return isinstance(value, str) and value in ("success", "failure")


KINDS: Mapping[StreamFamily, Mapping[str, Mapping[str, FieldCheck]]] = MappingProxyType(
    {
        "run": {
            "run.created": {"owner": _is_str},
            "run.step": {"tokens": _is_u64},
            "run.completed": {"outcome": _is_outcome},
            "run.cancelled": {"reason": _is_str},
        },
        "worker": {
            "worker.online": {"region": _is_str},
            "worker.heartbeat": {},
            "worker.offline": {"reason": _is_str},
        },
        "other": {"note": {"text": _is_str}},
    }
)


def kinds_for(family: StreamFamily) -> frozenset[str]:
    """The kinds a stream of this family accepts; any other kind is `invalid_event kind`."""
    return frozenset(KINDS[family])


def payload_fits(family: StreamFamily, kind: str, payload: Mapping[str, object]) -> bool:
    """Whether `payload` has every field `kind` needs, each of the right type (P4).

    `kind` must be one of `kinds_for(family)`: the kind check comes first in M1."""
    fields = KINDS[family][kind]
    return all(name in payload and check(payload[name]) for name, check in fields.items())
