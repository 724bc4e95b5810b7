"""A pipelined replay answers like one call at a time: each answer paired with its own
call, failures included, and the same tables, on a real server.

Rebuilds replay whole journals over one WebSocket with many calls in flight; if answers
were paired with the wrong calls, or the server reordered them, a rebuild would judge a
database that holds something else than the journal it was fed.
"""

from __future__ import annotations

from dataclasses import replace

from harness.contract.snapshot import snapshot_json
from harness.env.stack import Stack
from harness.targets.base import ReplyStatus
from harness.targets.spacetime_module import DeclaredModule, DeclaredModuleSession
from tests.integration.test_rules_module import run_steps
from tests.journals import mixed_journal


def test_a_pipelined_replay_pairs_every_answer_with_its_call_and_keeps_the_order(
    stack: Stack, target: DeclaredModuleSession,
) -> None:
    journal = [*mixed_journal(), *run_steps(150, "run:long:events")]
    # Out of order on purpose: seq 3 before 2 is a sequence_conflict, 2 then lands, 3 again
    # lands; a redelivery succeeds; an unknown stream is invalid.
    steps = run_steps(4, "run:gaps:events")
    calls = [*journal, steps[0], steps[2], steps[1], steps[2], steps[2], steps[3]]
    replies = target.replay([event.reducer_args() for event in calls])
    one_by_one = DeclaredModule().bind(stack.publish(target.database.module))
    expected = [one_by_one.apply(event.reducer_args()) for event in calls]
    assert replies == expected
    assert [r.error for r in replies[len(journal):]] == [
        None, "sequence_conflict expected_next_seq=2 actual_seq=3", None, None, None, None]
    assert snapshot_json(target.snapshot()) == snapshot_json(one_by_one.snapshot())


def test_an_empty_replay_calls_nothing(target: DeclaredModuleSession) -> None:
    assert target.replay([]) == []


def test_a_replay_that_reached_no_server_fails_every_call_as_unavailable(
    target: DeclaredModuleSession,
) -> None:
    """Nothing was sent, so nothing may have taken effect: FAIL, as one HTTP call answers."""
    nowhere = DeclaredModule().bind(replace(target.database, url="http://127.0.0.1:9"))
    replies = nowhere.replay([event.reducer_args() for event in run_steps(2, "run:x:events")])
    assert [r.status for r in replies] == [ReplyStatus.FAIL, ReplyStatus.FAIL]
    assert all((r.error or "").startswith("unavailable: ") for r in replies)
