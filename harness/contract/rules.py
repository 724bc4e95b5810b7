"""The rule ids of docs/CONTRACT.md, so that every verdict and error cites a rule that exists.

Ids are the stable vocabulary between the contract, the checks, the scenarios and the
reports; a typo in an id would silently point a reader at nothing, so lookups of an unknown
id raise instead of returning a placeholder.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule of the contract: its id, a short title and the section it belongs to."""

    id: str
    title: str
    section: str


class UnknownRuleError(LookupError):
    """A rule id that CONTRACT.md does not define."""


_SECTIONS = {
    "E": "1. Authority events",
    "S": "2. Topics and streams",
    "M": "3. Module: tables and reducers",
    "P": "4. Projections",
    "B": "5. Publisher",
    "R": "6. Client resume",
    "T": "7. Sync token routes",
    "G": "8. Snapshots",
}

# The families, in the contract's order: the unit a target opts into absolute rules by.
RULE_FAMILIES: tuple[str, ...] = tuple(_SECTIONS)

_TITLES = {
    "E1": "Fields",
    "E2": "Sequence",
    "E3": "Immutability",
    "E4": "Canonical JSON",
    "E5": "Payload hash",
    "E6": "Identity",
    "S1": "Mapping",
    "S2": "Injective",
    "S3": "Stream seq",
    "M1": "Apply",
    "M2": "Atomic",
    "M3": "Unique",
    "M4": "Compact",
    "M5": "Deterministic",
    "M6": "Checkpoint",
    "P1": "Runs",
    "P2": "Workers",
    "P3": "Other streams",
    "P4": "Validation",
    "B1": "At least once",
    "B2": "Per-stream order",
    "B3": "Classification",
    "B4": "Isolation",
    "B5": "Durable progress",
    "B6": "Decoupled authority",
    "R1": "Resume",
    "R2": "Exactly the gap",
    "R3": "Stale cursor",
    "R4": "Recovery",
    "T1": "Routes",
    "T2": "Request",
    "T3": "Rules",
    "T4": "Response",
    "T5": "Parity policy",
    "T6": "Retired policy",
    "G1": "Canonical snapshot",
    "G2": "Rebuild",
}

RULES: Mapping[str, Rule] = MappingProxyType(
    {
        rule_id: Rule(id=rule_id, title=title, section=_SECTIONS[rule_id[0]])
        for rule_id, title in _TITLES.items()
    }
)


def rule(rule_id: str) -> Rule:
    """The rule with this id; raises `UnknownRuleError` for an id the contract lacks."""
    try:
        return RULES[rule_id]
    except KeyError:
        raise UnknownRuleError(f"no rule {rule_id!r} in CONTRACT.md") from None


def cite(rule_id: str, text: str) -> str:
    """`text` prefixed with its rule, for error messages that must name a real rule."""
    found = rule(rule_id)
    return f"{found.id} ({found.title}): {text}"
