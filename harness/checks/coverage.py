"""Which clauses of the contract a scenario reaches, and which of them a verdict broke.

Pure functions over the scenario, the oracle's predictions and the recorded history. The
oracle says which branch of a rule each step is meant to take (the seq past head+1 is a
`sequence_conflict`, the cursor below the floor a `retention_floor_breach`); the history
says whether the step actually ran (a step with an unknown outcome, or one the target
could not perform, exercised nothing). A run adds these up per clause into the matrix of
the summary, so a clause never exercised is visible, and nightly fails on one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from harness.checks import input_classes
from harness.checks.clauses import CLAUSES
from harness.checks.expectations import expect
from harness.checks.outcomes import TABLE_RULES
from harness.checks.verdict import Violation, adopted
from harness.contract.events import Event as JournalEvent
from harness.contract.sync_tokens import RouteFamily
from harness.generators.token_requests import BEARER, Principal, TokenCase, case_of
from harness.history import EntryType, History
from harness.model.outcome import Outcome, Status
from harness.scenario.model import Scenario
from harness.scenario.steps import (
    Ack,
    AckAs,
    BadHash,
    ClearDatabase,
    Compact,
    CompactAs,
    Conflict,
    CrashRuntime,
    CrashSpacetimeDB,
    CutNetwork,
    Deliver,
    Event,
    Fault,
    Intrude,
    Policy,
    Preempt,
    Rebuild,
    Resume,
    RetiredAtStart,
    Token,
    TokenBody,
    ViaRuntime,
)
from harness.targets.capabilities import Capability


@dataclass
class Reach:
    """The clauses a scenario is built to exercise: per step number, and as a whole (a
    snapshot compared, a rebuild replayed) once it ran at all."""

    by_step: dict[int, list[str]] = field(default_factory=dict)
    whole: list[str] = field(default_factory=list)

    def add(self, step: int, *clause_ids: str) -> None:
        self.by_step.setdefault(step, []).extend(clause_ids)

    def everything(self) -> Counter[str]:
        found = Counter(self.whole)
        for ids in self.by_step.values():
            found.update(ids)
        return found


class _Folds:
    """The branch of P1/P2/P3 each applied event takes, from a running view of its row."""

    def __init__(self) -> None:
        self.runs: dict[str, str] = {}  # topic -> status
        self.workers: dict[str, tuple[str, str]] = {}  # topic -> (status, region)

    def clause(self, event: JournalEvent) -> str:
        kind, topic = event.kind, event.topic
        if kind.startswith("run."):
            status = self.runs.get(topic)
            if status in ("completed", "cancelled"):
                return "P1.after_end"
            self.runs[topic] = {"run.step": "running", "run.completed": "completed",
                                "run.cancelled": "cancelled"}.get(kind, status or "created")
            if status is None:
                return "P1.new_row"
            return {"run.created": "P1.created_again", "run.step": "P1.step",
                    "run.completed": "P1.completed"}.get(kind, "P1.cancelled")
        if kind.startswith("worker."):
            status, region = self.workers.get(topic, ("offline", ""))
            if kind == "worker.online":
                self.workers[topic] = ("online", str(event.payload.get("region", "")))
                return "P2.online_again" if status == "online" else "P2.online"
            if kind == "worker.heartbeat":
                return "P2.heartbeat" if status == "online" else "P2.heartbeat_offline"
            self.workers[topic] = ("offline", region)
            return "P2.offline"
        return "P3.note"


def _apply_clauses(outcome: Outcome, event: JournalEvent, folds: _Folds) -> list[str]:
    if outcome.status is Status.OK:
        return ["M1.insert", folds.clause(event)]
    if outcome.status is Status.NOOP:
        return ["E6.duplicate"] if outcome.detail == "duplicate" else ["M1.compacted"]
    text = outcome.detail
    if text.startswith("sequence_conflict"):
        return ["M1.sequence_conflict", "M2.refused"]
    if text == "invalid_event payload":
        return ["P4.invalid_payload", "M2.refused"]
    return ["M2.refused"]


def _ack_clauses(outcome: Outcome, step: Ack, acked: dict[str, set[str]]) -> list[str]:
    text = outcome.error or ""
    if text.startswith("checkpoint_regression"):
        return ["M6.regression"]
    if text.startswith("checkpoint_ahead_of_head"):
        return ["M6.ahead"]
    others = acked.setdefault(step.topic, set()) - {step.client}
    acked[step.topic].add(step.client)
    return ["M6.forward", *(["M6.per_caller"] if others else [])]


def _resume_clauses(outcome: Outcome, step: Resume, heads: Mapping[str, int]) -> list[str]:
    text = outcome.error
    if text is None:
        return ["R1.resume", *(["R2.gap"] if outcome.gap else []),
                *(["R3.empty_stream"] if not heads.get(step.topic) else [])]
    found = [f"R3.{code}" for code in ("retention_floor_breach", "replay_budget_exceeded",
                                       "cursor_ahead_of_head") if code in text]
    if not heads.get(step.topic):
        found.append("R3.empty_stream")
    return [*found, "R4.recovery"] if text.startswith("stale_cursor") else found


def _module_reach(scenario: Scenario, reach: Reach) -> None:
    outcomes = expect(scenario).outcomes
    folds, acked, heads = _Folds(), dict[str, set[str]](), dict[str, int]()
    topics = {step.topic for step in scenario.of(Event)}
    for number, step in enumerate(scenario.steps):
        outcome = outcomes.get(number)
        reach.add(number, *_sent_classes(scenario, step, heads))
        match step:
            case Deliver(topic, seq) if outcome is not None:
                reach.add(number, *_apply_clauses(outcome, scenario.event(topic, seq), folds))
                if outcome.status is Status.OK:
                    heads[topic] = seq
            case Conflict() if outcome is not None:
                reach.add(number, "E6.conflict" if (outcome.error or "").startswith(
                    "idempotency_conflict") else "P4.invalid_payload", "M2.refused")
            case BadHash():
                reach.add(number, "E5.refused", "M2.refused")
            case Intrude():
                reach.add(number, "M1.unauthorized", "M2.refused")
            case Ack() if outcome is not None:
                reach.add(number, *_ack_clauses(outcome, step, acked))
            case AckAs():
                # one caller can never move another's, asked outright (M6)
                reach.add(number, "M6.per_caller", "M2.refused")
            case CompactAs():
                reach.add(number, "M4.unauthorized", "M2.refused")
            case Compact() if outcome is not None:
                reach.add(number, "M4.compact" if outcome.succeeded else "M4.beyond_head")
            case Resume() if outcome is not None:
                reach.add(number, *_resume_clauses(outcome, step, heads))
            case CrashSpacetimeDB():
                reach.add(number, "M2.crash")
            case Rebuild():
                reach.add(number, "G2.rebuild", *(["M5.interleavings"] if len(topics) > 1
                                                  else []))
    if scenario.of(Deliver):
        reach.whole.append("M3.unique")


def _sent_classes(scenario: Scenario, step: object, heads: Mapping[str, int]) -> list[str]:
    """The input classes of what `step` sends, the stream's head being `heads`' (the seqs
    of the events a step sends, and their payloads, count where a call carries them)."""
    match step:
        case Deliver(topic, seq) | Conflict(topic, seq, _) | BadHash(topic, seq) | Intrude(
                _, topic, seq):
            payload = step.payload if isinstance(step, Conflict) else scenario.event(
                topic, seq).payload
            last = sum(1 for event in scenario.of(Event) if event.topic == topic)
            return [*input_classes.delivered_seq(seq, heads.get(topic, 0), last),
                    *input_classes.payload_values(payload)]
        case Resume(_, topic, cursor, budget):
            return input_classes.resume_cursor(cursor, budget, heads.get(topic, 0))
        case Ack(_, topic, seq) | AckAs(_, _, topic, seq):
            return input_classes.ack_seq(seq, heads.get(topic, 0))
        case Compact(topic, through) | CompactAs(_, topic, through):
            return input_classes.compact_through(through, heads.get(topic, 0))
    return []


def _runtime_reach(scenario: Scenario, reach: Reach) -> None:
    folds = _Folds()
    journal = iter(scenario.journal())
    seqs: Counter[str] = Counter()
    for number, step in enumerate(scenario.steps):
        match step:
            case Event():
                event = next(journal)
                seqs[event.topic] += 1
                reach.add(number, "E2.assigned", "E3.fixed", "E4.canonical", "E5.form",
                          "E6.key", "S1.mapping", "B1.delivered", folds.clause(event),
                          *input_classes.payload_values(event.payload),
                          *(["B2.order"] if seqs[event.topic] > 1 else []))
            case Fault(kind) if not kind.crashes:
                reach.add(number, "B3.transient")
            case Fault() | CrashRuntime():
                reach.add(number, "B5.crash")
            case CutNetwork():
                reach.add(number, "B6.decoupled", "B3.transient")
            case Preempt():
                reach.add(number, "B3.idempotency_conflict",
                          *(["B4.isolation"] if len(seqs) > 1 else []))
            case ClearDatabase():
                reach.add(number, "B3.sequence_conflict",
                          *(["B4.isolation"] if len(seqs) > 1 else []))


def token_clauses(case: TokenCase, retired: bool) -> list[str]:
    """The clauses one request reaches: its route family, principal, fields and parity."""
    v1 = case.family is RouteFamily.API_V1
    found = ["T1.api_v1" if v1 else "T1.api"]
    if any(outcome.status == 426 for outcome in case.expect):
        found.append("T1.client_build")
    found += {Principal.SESSION: ["T2.session"], Principal.PAT: ["T2.pat"],
              Principal.DEVICE_BOUND: ["T2.session", "T3.device"],
              Principal.REVOKED_SESSION: ["T3.revoked"],
              Principal.REVOKED_PAT: ["T2.pat", "T3.revoked"]}[case.principal]
    if case.authorization != BEARER:
        found.append("T2.authorization")
    body = case.body
    if not isinstance(body, dict):
        found.append("T2.body")
    else:
        found += [clause for key, clause in (("scopes", "T3.scopes"), ("topics", "T3.topics"),
                                             ("streams", "T3.topics"), ("ttl_seconds", "T3.ttl"))
                  if key in body]
        found += ["T3.device"] if "device_id" in body else []
    if case.org_denies:
        found.append("T3.org_policy")
    if case.minting_unavailable:
        found.append("T3.unavailable")
    if any(outcome.status == 200 for outcome in case.expect):
        found.append("T4.response")
    family = "api_v1" if v1 else "api"
    found.append(f"T6.{family}" if retired else f"T5.{family}")
    return found


def _token_reach(scenario: Scenario, reach: Reach) -> None:
    retired = False
    for number, step in enumerate(scenario.steps):
        if isinstance(step, Policy):
            retired = step.alias_retired
        elif isinstance(step, RetiredAtStart):
            retired = True
        elif isinstance(step, Token | TokenBody):
            case = case_of(step)
            reach.add(number, *token_clauses(case, retired), *input_classes.token_request(case))


def reach(scenario: Scenario, *, curated: bool, retired_at_start: bool = False) -> Reach:
    """The clauses `scenario` is built to exercise (`curated`: it has a golden)."""
    found = Reach()
    if scenario.count(Token) or scenario.count(TokenBody):
        _token_reach(scenario, found)
        if retired_at_start:
            found = _retire(found)
    elif scenario.count(ViaRuntime):
        _runtime_reach(scenario, found)
    else:
        _module_reach(scenario, found)
    if curated:
        found.whole.append("G1.golden")
    return found


def _retire(found: Reach) -> Reach:
    """Every parity clause is a retirement clause where the alias is retired at start-up."""
    return Reach({step: [c.replace("T5.", "T6.") for c in ids]
                  for step, ids in found.by_step.items()}, found.whole)


def _ran(history: History) -> Iterator[tuple[int, Any]]:
    for entry in history.completions():
        value = entry.value if isinstance(entry.value, dict) else {}
        if entry.type is not EntryType.INFO and "step" in value and (
                "not_applicable" not in value):
            yield int(value["step"]), entry


def exercised(found: Reach, history: History) -> Counter[str]:
    """The clauses the run reached: those of every step that completed, plus the whole
    scenario's when anything ran. Steps with no completion of their own (an event journaled
    by the runtime, a rebuild) count once the scenario ran."""
    completed = {step for step, _ in _ran(history)}
    counted: Counter[str] = Counter()
    ran = bool(completed) or bool(history.snapshots)
    recorded_ops = {entry.value.get("step") for entry in history.completions()
                    if isinstance(entry.value, dict)}
    for step, ids in found.by_step.items():
        if step in completed or (ran and step not in recorded_ops):
            counted.update(ids)
    if ran:
        counted.update(clause for clause in found.whole if _decided(clause, history))
    return counted


# Clauses of a whole scenario that decide something only over rows: uniqueness over a
# table the run left empty held nothing.
_DECIDED_OVER = {"M3.unique": "sync_event"}


def _decided(clause: str, history: History) -> bool:
    table = _DECIDED_OVER.get(clause)
    return table is None or any(snapshot.get(table) for snapshot in history.snapshots.values())


def charged(found: Reach, history: History, violations: Iterable[Violation]) -> list[str]:
    """The clause each violation breaks, in the verdict's order: the one its checker names;
    else the clause of its rule that its step reached; else the only clause of its rule
    the scenario reached; else the rule as a whole. What tells one defect from another
    (harness.conformance)."""
    steps = {entry.index: step for step, entry in _ran(history)}
    reached = found.everything()
    clauses: list[str] = []
    for violation in violations:
        if violation.clause:
            clauses.append(violation.clause)
            continue
        rule = violation.rule
        at_step = found.by_step.get(steps.get(violation.op_index, -1), []) if (
            violation.op_index is not None) else []
        own = [c for c in at_step if _branch_of(c, rule)]
        candidates = own or [c for c in reached if _branch_of(c, rule)]
        clauses.append(candidates[0] if len(candidates) == 1 or own else rule)
    return clauses


def _branch_of(clause_id: str, rule: str) -> bool:
    """Whether `clause_id` is a branch of `rule`: a violation breaks a branch, never the
    class of a value a step sent."""
    clause = CLAUSES.get(clause_id)
    return clause_id.split(".", 1)[0] == rule and not (clause and clause.input_class)


def violated(found: Reach, history: History,
             violations: Iterable[Violation]) -> Counter[str]:
    """The clauses this scenario broke, each counted once however many lines its verdict
    holds (a table diff and an error text of one defect are one violated clause)."""
    return Counter(set(charged(found, history, violations)))


def matrix(exercised_counts: Mapping[str, int], violated_counts: Mapping[str, int],
           unreached_counts: Mapping[str, int], has: Collection[Capability],
           absolute: Collection[str], *, absent: Collection[str] = ()
           ) -> list[dict[str, Any]]:
    """Every clause of the contract as a summary row (a rule charged as a whole, when a
    violation could not be pinned to one of its clauses, gets its own row). `absent` names
    the contract tables and columns the module lacks (harness.targets.sides.Target)."""
    rows: list[dict[str, Any]] = []
    for clause in CLAUSES.values():
        lacks = clause.lacks(has, absent)
        rows.append({"clause": clause.id, "rule": clause.rule, "title": clause.title,
                     "exercised": exercised_counts.get(clause.id, 0),
                     "violated": violated_counts.get(clause.id, 0),
                     "not_applicable": unreached_counts.get(clause.id, 0),
                     "applicable": not lacks, "lacks": lacks,
                     # a class of inputs is to be drawn whatever judges it
                     "in_profile": (clause.relative or clause.input_class
                                    or adopted(clause.rule, absolute)),
                     "relative": clause.relative, "input_class": clause.input_class})
    for rule in sorted(k for k in violated_counts if k not in CLAUSES):
        rows.append({"clause": rule, "rule": rule, "title": "the rule as a whole",
                     "exercised": sum(r["exercised"] for r in rows if r["rule"] == rule),
                     "violated": violated_counts[rule], "not_applicable": 0,
                     "applicable": True, "lacks": [], "in_profile": True, "relative": False,
                     "input_class": False})
    return sorted(rows, key=lambda row: (_order(row["rule"]), row["clause"]))


def _order(rule: str) -> tuple[int, int]:
    families = "ESMPBRTG"
    return families.index(rule[0]), int(rule[1:].split(".", maxsplit=1)[0] or 0)


def never_exercised(rows: Iterable[Mapping[str, Any]]) -> list[str]:
    """The clauses that apply to the target and are in its profile, yet no scenario reached:
    what nightly must not leave unexamined."""
    return [row["clause"] for row in rows if row["applicable"] and row["in_profile"]
            and not row["exercised"] and row["clause"] in CLAUSES]


def rules_needing(absent_part: str) -> list[str]:
    """The rules whose clauses read a table or column the module lacks (a config key such as
    `module.tables.run_summary`): what the summary says goes unjudged for want of it."""
    found = {clause.rule for clause in CLAUSES.values()
             if clause.lacks(list(Capability), [absent_part])}
    table = absent_part.removeprefix("module.tables.").split(".", 1)[0]
    if table in TABLE_RULES:  # the table's rows are compared with the oracle's by its rule
        found.add(TABLE_RULES[table])
    return sorted(found)
