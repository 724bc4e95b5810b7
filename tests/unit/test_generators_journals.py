"""The journal strategies draw only valid journals, and reach the cases that matter:
every family and kind, the tricky topic characters, the longest topic, every merge."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import find, given, settings
from hypothesis import strategies as st

from harness.contract.events import Event, validate_event
from harness.contract.kinds import KINDS
from harness.contract.streams import StreamFamily, stream_family, stream_of
from harness.contract.topics import MAX_TOPIC_LENGTH
from harness.generators.journals import (
    interleavings,
    journals,
    kinds_and_payloads,
    other_topics,
    run_topics,
    topics,
    worker_topics,
)
from harness.model.project import project

SETTINGS = settings(max_examples=60, derandomize=True, deadline=None, database=None)


def floats_in(value: Any) -> bool:
    if isinstance(value, float):
        return True
    if isinstance(value, dict):
        return any(floats_in(item) for item in value.values())
    if isinstance(value, list):
        return any(floats_in(item) for item in value)
    return False


@SETTINGS
@given(journal=journals())
def test_G2_journals_are_valid_topics_with_seqs_1_to_n_in_order(journal: list[Event]) -> None:
    seqs: dict[str, list[int]] = {}
    for event in journal:
        assert validate_event(event) is None, event
        assert not floats_in(dict(event.payload))
        seqs.setdefault(event.topic, []).append(event.seq)
    assert all(found == list(range(1, len(found) + 1)) for found in seqs.values())
    project(journal)  # raises if the oracle refuses any event delivered in this order


@pytest.mark.parametrize(("strategy", "family"), [
    (run_topics(), "run"), (worker_topics(), "worker"), (other_topics(), "other"),
])
def test_S1_topic_strategies_stay_in_their_family(
    strategy: st.SearchStrategy[str], family: StreamFamily
) -> None:
    @SETTINGS
    @given(topic=strategy)
    def check(topic: str) -> None:
        assert stream_family(stream_of(topic)) == family

    check()


@pytest.mark.parametrize(("family", "kind"), [
    (family, kind) for family, kinds in KINDS.items() for kind in sorted(kinds)
])
def test_P1_P2_P3_every_kind_of_every_family_is_drawn(family: StreamFamily, kind: str) -> None:
    assert find(kinds_and_payloads(family), lambda drawn: drawn[0] == kind)[0] == kind


@pytest.mark.parametrize("wanted", [
    lambda topic: "'" in topic,
    lambda topic: "%" in topic and "." in topic and ":" in topic,
    lambda topic: any(ord(char) > 127 for char in topic),
    lambda topic: len(topic) == MAX_TOPIC_LENGTH,
    lambda topic: topic == "runtime.codex_worker_events",
    lambda topic: topic.startswith("fleet:guest:"),
], ids=["quote", "escaped-characters", "non-ascii", "longest", "codex", "fleet-guest"])
def test_S1_tricky_topics_are_drawn(wanted: Any) -> None:
    assert wanted(find(topics(), wanted))


def test_G2_interleavings_keep_each_topic_order_and_reach_every_merge() -> None:
    a = [Event("a", seq, "note", {"text": ""}, 0) for seq in (1, 2)]
    b = [Event("b", 1, "note", {"text": ""}, 0)]
    merges = set()
    for position in range(3):

        def b_at(journal: list[Event], at: int = position) -> bool:
            return journal[at] == b[0]

        merges.add(tuple((event.topic, event.seq) for event in find(interleavings([a, b]), b_at)))
    assert merges == {(("b", 1), ("a", 1), ("a", 2)), (("a", 1), ("b", 1), ("a", 2)),
                      (("a", 1), ("a", 2), ("b", 1))}
