"""A Hypothesis state machine that builds scenarios rule by rule.

Where the flat strategies draw a whole plan at once, the machine keeps a small model of
what it has built so far (each topic's journal head, what was delivered, the retention
floor) and only fires rules that make sense in that state: redeliver what was delivered,
compact what exists, resume with a cursor of a chosen class relative to the live head.
Its product is an ordinary Scenario, judged at teardown, so a failure shrinks over rule
sequences and is still printed as a self-contained scenario ID.
"""

from __future__ import annotations

from typing import ClassVar, Protocol

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, precondition, rule

from harness.generators.module_scenarios import (
    CURSOR_CLASSES,
    FAMILY_DRAWS,
    TOPIC_FAMILIES,
    _cursor,
    _payload,
    conflicting_payload,
)
from harness.generators.options import Generation
from harness.scenario.model import Scenario
from harness.scenario.steps import (
    Ack,
    BadHash,
    Compact,
    Conflict,
    CrashSpacetimeDB,
    Deliver,
    Event,
    Resume,
    Step,
)

CLIENTS = ("alice", "bob")


class Referee(Protocol):
    """Whatever judges a built scenario (harness.conformance.Judge in the suite)."""

    def judge(self, scenario: Scenario) -> object: ...


class ScenarioMachine(RuleBasedStateMachine):
    """Subclass and set `referee` (and `options`) to run; see harness/suite/test_stateful.py."""

    referee: ClassVar[Referee | None] = None
    options: ClassVar[Generation] = Generation()

    def __init__(self) -> None:
        super().__init__()
        self.steps: list[Step] = []
        self.heads: dict[str, int] = {}
        self.delivered: dict[str, int] = {}
        self.oldest: dict[str, int] = {}

    @initialize(families=st.lists(st.sampled_from(FAMILY_DRAWS), min_size=1, max_size=3))
    def topics(self, families: list[int]) -> None:
        for number, family in enumerate(families):
            topic = TOPIC_FAMILIES[family][0].format(f"m{number}")
            self.heads[topic], self.delivered[topic], self.oldest[topic] = 0, 0, 1

    def _topic(self, which: int) -> str:
        return sorted(self.heads)[which % len(self.heads)]

    @rule(which=st.integers(0, 2), kind=st.integers(0, 5), amount=st.integers(0, 30))
    def append(self, which: int, kind: int, amount: int) -> None:
        topic = self._topic(which)
        kinds = next(k for pattern, k in TOPIC_FAMILIES if topic.startswith(pattern[:4]))
        chosen = kinds[kind % len(kinds)]
        self.steps.append(Event(topic, chosen, _payload(chosen, amount)))
        self.heads[topic] += 1

    @rule(which=st.integers(0, 2))
    def deliver_next(self, which: int) -> None:
        topic = self._topic(which)
        if self.delivered[topic] < self.heads[topic]:
            self.delivered[topic] += 1
            self.steps.append(Deliver(topic, self.delivered[topic]))

    @rule(which=st.integers(0, 2), back=st.integers(0, 5))
    def redeliver(self, which: int, back: int) -> None:
        topic = self._topic(which)
        if self.delivered[topic]:
            seq = max(1, self.delivered[topic] - back)
            self.steps.append(Deliver(topic, seq))

    @rule(which=st.integers(0, 2), amount=st.integers(0, 9))
    def conflict(self, which: int, amount: int) -> None:
        topic = self._topic(which)
        if self.delivered[topic]:
            seq = 1 + amount % self.delivered[topic]
            original = [s for s in self.steps if isinstance(s, Event) and s.topic == topic]
            self.steps.append(Conflict(topic, seq, conflicting_payload(original[seq - 1],
                                                                       amount)))

    @rule(which=st.integers(0, 2))
    def deliver_early(self, which: int) -> None:
        topic = self._topic(which)
        if self.delivered[topic] + 2 <= self.heads[topic]:
            self.steps.append(Deliver(topic, self.delivered[topic] + 2))

    @precondition(lambda self: self.options.compaction)
    @rule(which=st.integers(0, 2), keep=st.integers(0, 3))
    def compact(self, which: int, keep: int) -> None:
        topic = self._topic(which)
        through = max(0, self.delivered[topic] - keep)
        if through >= self.oldest[topic]:
            self.oldest[topic] = through + 1
            self.steps.append(Compact(topic, through))

    @precondition(lambda self: self.options.clients)
    @rule(client=st.sampled_from(CLIENTS), which=st.integers(0, 2),
          kind=st.sampled_from(CURSOR_CLASSES), budget=st.integers(0, 4),
          amount=st.integers(0, 9))
    def resume(self, client: str, which: int, kind: str, budget: int, amount: int) -> None:
        topic = self._topic(which)
        cursor = _cursor(kind, self.oldest[topic], self.delivered[topic], budget, amount)
        self.steps.append(Resume(client, topic, cursor, budget))

    @precondition(lambda self: self.options.acks)
    @rule(client=st.sampled_from(CLIENTS), which=st.integers(0, 2), back=st.integers(-1, 3))
    def ack(self, client: str, which: int, back: int) -> None:
        topic = self._topic(which)
        seq = max(0, self.delivered[topic] - back)
        self.steps.append(Ack(client, topic, seq))

    @rule(which=st.integers(0, 2), back=st.integers(0, 3))
    def bad_hash(self, which: int, back: int) -> None:
        topic = self._topic(which)
        if self.heads[topic]:
            seq = max(1, min(self.heads[topic], self.delivered[topic] + 1 - back))
            self.steps.append(BadHash(topic, seq))

    @precondition(lambda self: self.options.crashes)
    @rule()
    def crash_spacetimedb(self) -> None:
        self.steps.append(CrashSpacetimeDB())

    def teardown(self) -> None:
        """Deliver what is left, in order, then judge the scenario that was built."""
        for topic in sorted(self.heads):
            self.steps += [Deliver(topic, seq)
                           for seq in range(self.delivered[topic] + 1, self.heads[topic] + 1)]
        if self.referee is not None and any(isinstance(step, Event) for step in self.steps):
            self.referee.judge(Scenario("stale_cursor", ("M1", "M4", "R1", "R2", "R3", "R4"),
                                      tuple(self.steps)))
