"""Per step of a stored run: what the target answered and what was expected of it.

Both the step table and the timeline of a violation show these, so they are worked out once,
from the stored scenario and history alone. Expected answers are the oracle's for module
steps (harness.checks.expectations, the same the checkers use), the journal's seq for an
append, and the canonical route's answer for the alias (T5 is relative: the alias must
answer as the canonical route does).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from harness.checks.expectations import expect
from harness.history import Entry, EntryType, History
from harness.model.outcome import Outcome, Status
from harness.scenario.model import Scenario
from harness.scenario.steps import Event, Token, TokenBody


@dataclass(frozen=True)
class Answer:
    """One step's answer: `observed` is empty where the target was not asked (the harness
    journals a module scenario's events itself), `expected` where nothing is predicted."""

    observed: str
    expected: str = ""
    agrees: bool = True


def describe(outcome: Outcome) -> str:
    """The oracle's outcome in the words a target's answer is written in."""
    if outcome.status is Status.ERROR:
        return f"error {outcome.detail!r}"
    return "success" + (f" ({outcome.detail}, no change)" if outcome.detail else "")


def observed_text(entry: Entry) -> str:
    """A completion as a person reads it: success, the error text, or no answer at all."""
    if entry.type is EntryType.OK:
        return "success"
    if entry.type is EntryType.FAIL:
        return f"error {entry.error!r}"
    return f"no answer ({entry.error})" if entry.error else "no answer"


def exchange_text(exchange: Mapping[str, Any] | None) -> str:
    """A route's answer: its status and, for an error body, its error code (T3)."""
    if not exchange:
        return "no answer"
    body = exchange.get("body")
    error = body.get("error") if isinstance(body, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    return f"{exchange.get('status')} {code}" if code else str(exchange.get("status"))


def _token_answer(entry: Entry, alias_retired: bool) -> Answer:
    """The alias's answer against the canonical route's (T5), or against 404 where the
    alias is declared retired (T6)."""
    if "not_applicable" in entry.value:
        return Answer(f"not applicable ({entry.error})")
    alias = exchange_text(entry.value.get("alias"))
    if alias_retired:
        return Answer(f"alias {alias}", "retired: 404", alias.split(" ", 1)[0] == "404")
    canonical = exchange_text(entry.value.get("canonical"))
    return Answer(f"alias {alias}", f"as canonical: {canonical}", alias == canonical)


def event_seqs(scenario: Scenario) -> dict[int, int]:
    """Each Event step's journal seq (E2: its topic's head + 1)."""
    seqs: dict[int, int] = {}
    events = iter(scenario.journal())
    for number, step in enumerate(scenario.steps):
        if isinstance(step, Event):
            seqs[number] = next(events).seq
    return seqs


def completions_by_step(history: History) -> dict[int, Entry]:
    """The last completion of each step number the history records."""
    found: dict[int, Entry] = {}
    for entry in history.completions():
        if isinstance(entry.value, dict) and isinstance(entry.value.get("step"), int):
            found[entry.value["step"]] = entry
    return found


def answers(scenario: Scenario, history: History | None) -> dict[int, Answer]:
    """Every step's answer, by step number (no history: expectations only)."""
    outcomes = (expect(scenario, history).outcomes if scenario.property != "token_parity"
                else {})
    seqs = event_seqs(scenario)
    done = completions_by_step(history) if history is not None else {}
    control = history.snapshots.get("control", {}) if history is not None else {}
    retired = bool(control.get("policy", {}).get("alias_retired", False))
    found: dict[int, Answer] = {}
    for number, step in enumerate(scenario.steps):
        entry = done.get(number)
        if isinstance(step, Event):
            got = entry.value.get("seq") if entry is not None else None
            found[number] = (Answer(f"journaled as seq {got}",
                                    f"journaled as seq {seqs[number]}",
                                    got == seqs[number]) if entry is not None
                             else Answer("", f"journaled as seq {seqs[number]}"))
        elif isinstance(step, Token | TokenBody) and entry is not None:
            found[number] = _token_answer(entry, retired)
        elif number in outcomes:
            want = outcomes[number]
            if entry is None:  # without a history, nothing is known to be missing
                found[number] = (Answer("not performed", describe(want), False)
                                 if history is not None else Answer("", describe(want)))
            elif entry.type is EntryType.INFO:  # a timeout proves nothing either way
                found[number] = Answer(observed_text(entry), describe(want))
            else:
                got_error = entry.error if entry.type is EntryType.FAIL else None
                found[number] = Answer(observed_text(entry), describe(want),
                                       got_error == want.error)
        elif entry is not None:
            found[number] = Answer("done" if entry.type is EntryType.OK
                                   else observed_text(entry))
        else:  # a marker step (via_runtime, policy): nothing to answer
            found[number] = Answer("")
    return found
