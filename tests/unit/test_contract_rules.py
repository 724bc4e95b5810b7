"""The rule registry must hold exactly the ids of CONTRACT.md, so citations cannot dangle."""

from __future__ import annotations

import pytest

from harness.contract.rules import RULES, UnknownRuleError, cite, rule

CONTRACT_IDS = (
    [f"E{n}" for n in range(1, 7)]
    + [f"S{n}" for n in range(1, 4)]
    + [f"M{n}" for n in range(1, 7)]
    + [f"P{n}" for n in range(1, 5)]
    + [f"B{n}" for n in range(1, 7)]
    + [f"R{n}" for n in range(1, 5)]
    + [f"T{n}" for n in range(1, 7)]
    + [f"G{n}" for n in range(1, 3)]
)


def test_registry_holds_exactly_the_contract_ids() -> None:
    assert sorted(RULES) == sorted(CONTRACT_IDS)


@pytest.mark.parametrize(
    ("rule_id", "title", "section"),
    [
        ("E4", "Canonical JSON", "1. Authority events"),
        ("S2", "Injective", "2. Topics and streams"),
        ("M1", "Apply", "3. Module: tables and reducers"),
        ("P4", "Validation", "4. Projections"),
        ("B3", "Classification", "5. Publisher"),
        ("R3", "Stale cursor", "6. Client resume"),
        ("T5", "Parity policy", "7. Sync token routes"),
        ("G2", "Rebuild", "8. Snapshots"),
    ],
)
def test_rule_lookup_gives_title_and_section(rule_id: str, title: str, section: str) -> None:
    found = rule(rule_id)
    assert (found.id, found.title, found.section) == (rule_id, title, section)


@pytest.mark.parametrize("rule_id", ["E7", "S0", "m1", "", "X1"])
def test_unknown_rule_id_raises(rule_id: str) -> None:
    with pytest.raises(UnknownRuleError):
        rule(rule_id)


def test_cite_names_the_rule_and_refuses_unknown_ids() -> None:
    assert cite("M4", "through_seq past head") == "M4 (Compact): through_seq past head"
    with pytest.raises(UnknownRuleError):
        cite("M7", "nope")
