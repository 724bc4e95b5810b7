"""What a checker says: conformant, or the rules broken and a short explanation of each.

A violation names its CONTRACT.md rule (so a CI log says which rule broke) and, where
one exists, the history index of the operation that shows it (so the explanation can
point at "which event, which cursor, which row", as Elle does).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field

from harness.contract.rules import rule as lookup_rule


@dataclass(frozen=True)
class Violation:
    """`relative`: found by comparing the target with itself (CONTRACT.md §9), so it holds
    for any projection pipeline; otherwise it is an absolute rule of the reference contract
    (a format, an error text, a fold), judged only where the target's profile opts in."""

    rule: str
    message: str
    op_index: int | None = None
    relative: bool = False

    def __post_init__(self) -> None:
        lookup_rule(self.rule)  # an unknown rule id is a bug in the checker, caught at once

    def __str__(self) -> str:
        where = f" (op #{self.op_index})" if self.op_index is not None else ""
        return f"[{self.rule}] {self.message}{where}"


@dataclass(frozen=True)
class Verdict:
    """The result of one checker on one scenario."""

    property_name: str
    rules: tuple[str, ...]
    violations: tuple[Violation, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return not self.violations

    @property
    def broken_rules(self) -> tuple[str, ...]:
        return tuple(sorted({v.rule for v in self.violations}))

    def explain(self) -> str:
        if self.ok:
            return f"{self.property_name}: conformant ({', '.join(self.rules)})"
        lines = [f"{self.property_name}: {len(self.violations)} violation(s) of "
                 f"{', '.join(self.broken_rules)}"]
        lines += [f"  - {v}" for v in self.violations]
        return "\n".join(lines)

    def headline(self, limit: int = 8) -> str:
        """The explanation cut to `limit` violations, for a console; the whole one is stored
        with the artefacts and in the summary."""
        if len(self.violations) <= limit:
            return self.explain()
        shown = Verdict(self.property_name, self.rules, self.violations[:limit]).explain()
        return (shown.replace(f"{limit} violation(s)", f"{len(self.violations)} violation(s)", 1)
                + f"\n  ... {len(self.violations) - limit} more in the stored verdict")


def verdict(property_name: str, rules: Iterable[str],
            violations: Iterable[Violation]) -> Verdict:
    return Verdict(property_name, tuple(rules), tuple(violations))


def family(rule_id: str) -> str:
    """A rule's family, the unit a target opts into: `M` for M1-M6."""
    return rule_id[:1]


# Rules judged against what the target itself declares, so wherever they apply, whatever
# its profile: a service that declares its alias retired is held to its own declaration
# (T6), which needs no adoption of the reference's exact statuses (T1-T4).
DECLARED_RULES = frozenset({"T6"})


def adopted(rule_id: str, absolute: Collection[str]) -> bool:
    """Whether a target whose profile is `absolute` (families and single rules) is held to
    the absolute clauses of `rule_id`."""
    return rule_id in DECLARED_RULES or rule_id in absolute or family(rule_id) in absolute


def within_profile(result: Verdict, absolute: frozenset[str]) -> Verdict:
    """The verdict as the target's contract profile judges it: every relative violation, the
    absolute ones only of the families and rules in `absolute`; relative ones first, so a
    bug found by comparing the target with itself is never named after (and never masked by)
    a difference from the reference contract's exact choices."""
    kept = [v for v in result.violations if v.relative or adopted(v.rule, absolute)]
    ordered = [v for v in kept if v.relative] + [v for v in kept if not v.relative]
    return Verdict(result.property_name, result.rules, tuple(ordered))


# Rules that only restate another violation (a golden or a rebuild differing because a fold
# is wrong): left out when telling one bug from another.
CONSEQUENTIAL_RULES = frozenset({"G1", "G2"})


def bug_rule(rules: Sequence[str]) -> str:
    """What tells one bug from another: the first rule a verdict names (checkers name the
    most direct evidence first), passing over the consequential ones. A scenario that
    happens to show two defects counts as the first; the other is searched for on its own."""
    direct = [rule for rule in rules if rule not in CONSEQUENTIAL_RULES]
    return (direct or list(rules) or ["?"])[0]
