"""Deliberately broken variants of the publisher, for proving the harness catches a runtime
that gets delivery wrong (B1-B5).

Each mutant is one realistic slip at one of the publisher's decisions, guarded by a check of
its name where that decision is made (`classify`, `publisher` or `journal`). It is selected
at start-up with `PublisherSettings(mutant=NAME)`, which `python -m stub.runtime` fills from
`--mutant`, or from the environment variable `RUNTIME_MUTANT` when the flag is absent; the
reference runs with "" and never takes a mutant's branch.
"""

from __future__ import annotations

from typing import Final

MUTANT_ENV: Final = "RUNTIME_MUTANT"

PERMANENT_RETRIED_FOREVER: Final = "permanent-retried-forever"
"""B3: every reducer error (530) is transient, so a permanent refusal is never dead-lettered."""

DROPPED_AFTER_RETRIES: Final = "dropped-after-retries"
"""B1: after `GIVE_UP_AFTER` failed attempts of a transient error the event is recorded as
delivered and the stream moves on to the next seq; the module never gets the event."""

REORDERED_STREAM: Final = "reordered-stream"
"""B2: with two or more events pending, seq n+1 is sent before n; the module's answer (a
sequence_conflict, from a conforming module) is then classified as usual."""

DEAD_LETTER_PAUSES_ALL: Final = "dead-letter-pauses-all"
"""B4: dead-lettering one stream sets the pause of all streams, so every other one waits."""

JOURNAL_TAIL_LOST: Final = "journal-tail-lost"
"""B5: loading the journal, the cut of a half-written last record also cuts the last whole
one, so every restart forgets the last event journaled (acknowledged, perhaps delivered)."""

PROGRESS_BEFORE_SEND: Final = "progress-before-send"
"""B1/B5: the outbox marks an event delivered when it takes it, before the send ("it is
about to go"), so a crash between the two leaves the event recorded as delivered that the
module never got; the restarted runtime goes on with the next seq."""

RUNTIME_MUTANTS: Final = frozenset(
    {PERMANENT_RETRIED_FOREVER, DROPPED_AFTER_RETRIES, REORDERED_STREAM, DEAD_LETTER_PAUSES_ALL,
     JOURNAL_TAIL_LOST, PROGRESS_BEFORE_SEND}
)

GIVE_UP_AFTER: Final = 3
"""How many failed attempts `dropped-after-retries` makes before it drops the event."""


def check_mutant(name: str) -> str:
    """`name` if it selects the reference ("") or a known mutant; ValueError otherwise, so
    a typo never runs the reference while the caller believes a mutant is under test."""
    if name and name not in RUNTIME_MUTANTS:
        known = ", ".join(sorted(RUNTIME_MUTANTS))
        raise ValueError(f"unknown runtime mutant {name!r}; known: {known}")
    return name
