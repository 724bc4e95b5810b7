"""What a checker says: conformant, or the rules broken and a short explanation of each.

A violation names its CONTRACT.md rule (so a CI log says which rule broke) and, where
one exists, the history index of the operation that shows it (so the explanation can
point at "which event, which cursor, which row", as Elle does).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
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
    # What the violation is about: the streams of the step whose answer departed, or of the
    # snapshot rows that differ; and those rows (`run_summary[r1]`). They tell a defect's
    # consequences from a defect of its own (`settle`).
    streams: frozenset[str] = frozenset()
    rows: frozenset[str] = frozenset()
    departure: bool = False  # a step answered otherwise than it had to
    # What tells this defect from another of the same rule, the same whatever scenario shows
    # it ("intrude not answered unauthorized", "worker_status differs from the oracle's"): no
    # step number, seq or id, nor the wrong answer given (a missing check lets a call reach
    # whichever later check it meets). Empty: the rule alone says it.
    signature: str = ""
    # The clause of CONTRACT.md the check decided (`E6.duplicate` for a redelivery that
    # changed state), where the checker knows it better than the step it happened at.
    clause: str = ""

    @property
    def defect(self) -> str:
        """The defect this violation shows, as reports name it: its rule, then what marks it."""
        return f"{self.rule}: {self.signature}" if self.signature else self.rule

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
    # differences that only follow from a violation above it (see `settle`): shown with
    # it, never a finding of their own
    follow_ons: tuple[Violation, ...] = field(default_factory=tuple)

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
        lines += [f"  - (follows from the above) {v}" for v in self.follow_ons]
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


def in_history_order(*groups: Iterable[Violation]) -> list[Violation]:
    """Violations found by different checks, each at an operation of the history, in the
    order the target performed those operations: the first departure comes first."""
    found = [violation for group in groups for violation in group]
    return sorted(found, key=lambda violation: (violation.op_index is None,
                                                violation.op_index or 0))


def within_profile(result: Verdict, absolute: frozenset[str]) -> Verdict:
    """The verdict as the target's contract profile judges it: every relative violation, the
    absolute ones only of the families and rules in `absolute`, in the checker's order."""
    kept = [v for v in result.violations if v.relative or adopted(v.rule, absolute)]
    return Verdict(result.property_name, result.rules, tuple(kept),
                   tuple(v for v in result.follow_ons if v.relative or adopted(v.rule, absolute)))


def settle(result: Verdict) -> Verdict:
    """One defect, one finding: a violation that only follows from an earlier one is moved
    to `follow_ons`. Checkers list violations in the order the target departed (a step's
    answer before the snapshots the run ended with, the target against itself before the
    oracle where both see the same step), so the first of them is the defect; a later
    difference confined to what is already explained (the same rows, or a stream one of
    whose steps answered wrongly before: its rows, its clients) is its consequence. A step
    that answers wrongly is a departure of its own, kept unless an earlier departure had
    already damaged the stored rows of its streams (a compaction that deleted them: the
    later answer is what the damage makes any module say)."""
    kept: list[Violation] = []
    follow_ons = list(result.follow_ons)
    departed: set[str] = set()
    damaged: set[str] = set()  # streams whose stored rows a departure already changed
    explained: set[str] = set()
    for violation in result.violations:
        follows = (bool(violation.streams) and violation.streams <= damaged) or (
            not violation.departure and (
                (violation.streams and violation.streams <= departed)
                or (violation.rows and violation.rows <= explained)))
        if follows:
            follow_ons.append(violation)
            continue
        kept.append(violation)
        explained |= violation.rows
        if violation.departure:
            departed |= violation.streams
            if violation.rows:
                damaged |= violation.streams
    return Verdict(result.property_name, result.rules, tuple(kept), tuple(follow_ons))


# Rules that only restate another violation (a golden or a rebuild differing because a fold
# is wrong): passed over when telling one defect from another (harness.reports.records).
CONSEQUENTIAL_RULES = frozenset({"G1", "G2"})
