"""Delivery plans deliver the whole journal in order and, across examples, reach every
answer the module can give: the mistakes they mix in are worth comparing on."""

from __future__ import annotations

import pytest
from hypothesis import find, given, settings

from harness.contract.events import Event
from harness.generators.operations import Apply, Operation, conflicting, planned_journals
from harness.model.module import ReferenceModel
from harness.runner.operations import predict

Example = tuple[list[Event], list[Operation]]


def answers(plan: list[Operation]) -> list[str]:
    """The oracle's answer to each operation: its error text, or `ok`."""
    model = ReferenceModel("publisher")
    return [predict(op, model, lambda name: f"id-{name}").error or "ok" for op in plan]


@settings(max_examples=60, derandomize=True, deadline=None, database=None)
@given(example=planned_journals())
def test_B1_plans_deliver_every_journal_event_in_journal_order(example: Example) -> None:
    journal, plan = example
    delivered = iter(op.args for op in plan if isinstance(op, Apply) and op.caller is None)
    assert all(event.reducer_args() in delivered for event in journal)


ANSWERS = frozenset({
    "ok", "unauthorized", "idempotency_conflict", "sequence_conflict",
    "invalid_event stream_id", "invalid_event idempotency_key", "invalid_event kind",
    "invalid_event payload_json", "invalid_event payload_hash", "invalid_event seq",
    "invalid_event payload", "invalid_event through_seq", "stale_cursor",
    "checkpoint_regression", "checkpoint_ahead_of_head",
})


def kind_of(answer: str) -> str:
    """`invalid_event <field>` whole, any other answer by its first word."""
    words = answer.split(" ")
    return " ".join(words[:2]) if words[0] == "invalid_event" else words[0]


@pytest.mark.parametrize("answer", sorted(ANSWERS))
def test_M1_M4_M6_R3_plans_reach_every_answer(answer: str) -> None:
    """Every answer the module can give is reached by the plans (searched for, one answer
    at a time): the agreement test compares the module with the oracle on each kind."""
    found = find(planned_journals(), lambda example: answer in map(kind_of, answers(example[1])),
                 settings=settings(max_examples=2000, derandomize=True, database=None,
                                   deadline=None))
    assert answer in map(kind_of, answers(found[1]))


def test_plans_give_no_answer_outside_the_contract() -> None:
    seen: set[str] = set()

    @settings(max_examples=100, derandomize=True, deadline=None, database=None)
    @given(example=planned_journals())
    def collect(example: Example) -> None:
        seen.update(kind_of(answer) for answer in answers(example[1]))

    collect()
    assert seen <= ANSWERS


def test_E6_a_conflicting_event_has_the_identity_and_other_content() -> None:
    event = Event("run:r:events", 3, "run.step", {"tokens": 1, "~variant": 2}, 5)
    for variant in range(1, 10):
        other = conflicting(event, variant)
        assert other.idempotency_key == event.idempotency_key
        assert other.payload_hash != event.payload_hash
