"""Hypothesis strategies for valid journals: topics of every family, their events, and
interleavings that keep each topic's seq order (E1, E2, S1, P1-P3, G2).

Every event drawn here is one the module must accept when delivered in order, so a
journal is a yardstick: the oracle projects it, the module must reach the same state.
Broken deliveries are built on top of these (see `operations`).

Two choices keep Python's and Rust's view of an event byte-identical, which the payload
hash (E5) needs:
* payloads hold no floats: the two languages print some floats differently (exponents),
  which would fail an event for a reason that is no rule's;
* integers stay within [-2**63, 2**64-1], the range serde_json keeps as integers (E4).

Topics favour the characters the stream mapping escapes or splits on (`:`, `.`, `%`),
`'` (which SQL literals must escape, R1) and non-ASCII text, since those are where a
mapping or a query goes wrong.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from hypothesis import strategies as st

from harness.contract.canonical import I64_MIN, U64_MAX
from harness.contract.events import Event
from harness.contract.kinds import KINDS
from harness.contract.streams import StreamFamily, stream_family, stream_of
from harness.contract.timestamps import MAX_MS
from harness.contract.topics import MAX_TOPIC_LENGTH, WHITE_SPACE, is_valid_topic

# Anything but whitespace, controls and surrogates (E1), with the troublesome ASCII
# characters drawn often enough to meet each other.
_topic_chars = st.one_of(
    st.sampled_from(":.%'-_/"),
    st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zs", "Zl", "Zp")).filter(
        lambda char: char not in WHITE_SPACE
    ),
)

# The <id> of a run or worker topic: verbatim, may itself hold ':' and '.' (S1).
_ids = st.text(_topic_chars, min_size=1, max_size=12)

_SPECIFIC_OTHER_TOPICS = (
    st.builds("fleet:user:{}:workers".format, _ids),
    st.builds("fleet:guest:{}:workers".format, _ids),
    st.just("runtime.codex_worker_events"),
)


def _is_fallback_topic(topic: str) -> bool:
    """A valid topic that only the last row of S1 maps (no run or worker shape)."""
    return is_valid_topic(topic) and stream_family(stream_of(topic)) == "other"


def run_topics() -> st.SearchStrategy[str]:
    """`run:<id>:events`, projected into run_summary (P1)."""
    return st.builds("run:{}:events".format, _ids)


def worker_topics() -> st.SearchStrategy[str]:
    """`worker:<id>:lifecycle`, projected into worker_status (P2)."""
    return st.builds("worker:{}:lifecycle".format, _ids)


def other_topics() -> st.SearchStrategy[str]:
    """Topics without a projection (P3): the fleet and codex rows of S1, and anything
    else, escaped by the last row, up to the longest topic E1 allows."""
    return st.one_of(
        *_SPECIFIC_OTHER_TOPICS,
        st.text(_topic_chars, min_size=1, max_size=24).filter(_is_fallback_topic),
        # The longest topic E1 allows, made of a short piece repeated: cheap to draw.
        st.text(_topic_chars, min_size=1, max_size=8)
        .map(lambda piece: (piece * MAX_TOPIC_LENGTH)[:MAX_TOPIC_LENGTH])
        .filter(_is_fallback_topic),
    )


_TOPICS_BY_FAMILY: Mapping[StreamFamily, st.SearchStrategy[str]] = {
    "run": run_topics(),
    "worker": worker_topics(),
    "other": other_topics(),
}


def topics() -> st.SearchStrategy[str]:
    """A topic of any family."""
    return st.one_of(*_TOPICS_BY_FAMILY.values())


_texts = st.text(st.characters(codec="utf-8"), max_size=12)

# A JSON value as the module parses it: no floats, integers within serde_json's range.
_json_values = st.recursive(
    st.none() | st.booleans() | st.integers(I64_MIN, U64_MAX) | _texts,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_texts, inner, max_size=3),
    max_leaves=6,
)

# A value for each required payload field named in harness.contract.kinds (P1-P4).
_FIELD_VALUES: Mapping[str, st.SearchStrategy[Any]] = {
    "owner": _texts,
    "tokens": st.integers(0, 1000) | st.integers(0, U64_MAX),
    "outcome": st.sampled_from(("success", "failure")),
    "reason": _texts,
    "region": _texts,
    "text": _texts,
}


def _payloads(family: StreamFamily, kind: str) -> st.SearchStrategy[dict[str, Any]]:
    """A valid payload of `kind`: its required fields, and maybe extra fields, which the
    contract allows and the folds ignore."""
    required = {name: _FIELD_VALUES[name] for name in KINDS[family][kind]}
    extras = st.dictionaries(_texts.filter(lambda key: key not in required), _json_values,
                             max_size=2)
    return st.tuples(extras, st.fixed_dictionaries(required)).map(
        lambda parts: {**parts[0], **parts[1]}
    )


# Built once: Hypothesis validates a strategy on its first draw, which costs more than
# drawing from it, so strategies built per draw would dominate the generation time.
_KINDS_AND_PAYLOADS: Mapping[StreamFamily, st.SearchStrategy[tuple[str, dict[str, Any]]]] = {
    family: st.one_of([st.tuples(st.just(kind), _payloads(family, kind))
                       for kind in sorted(kinds)])
    for family, kinds in KINDS.items()
}


def kinds_and_payloads(family: StreamFamily) -> st.SearchStrategy[tuple[str, dict[str, Any]]]:
    """A kind the family accepts, with a valid payload for it (P1-P4)."""
    return _KINDS_AND_PAYLOADS[family]


def topic_events(topic: str, min_events: int = 1, max_events: int = 8) -> st.SearchStrategy[
    list[Event]
]:
    """Events 1..n of `topic`, as the runtime journals them (E2); published_at is any
    instant RFC 3339 can write, in no particular order (E1 asks for none)."""
    family = stream_family(stream_of(topic))
    contents = st.tuples(kinds_and_payloads(family), st.integers(0, MAX_MS))
    return st.lists(contents, min_size=min_events, max_size=max_events).map(
        lambda drawn: [
            Event(topic, seq, kind, payload, published_at_ms)
            for seq, ((kind, payload), published_at_ms) in enumerate(drawn, start=1)
        ]
    )


def interleavings(per_topic: Sequence[Sequence[Event]]) -> st.SearchStrategy[list[Event]]:
    """Every merge of the topics' event lists that keeps each list's order (G2). Shrinks
    towards the topics one after another."""
    labels = [index for index, events in enumerate(per_topic) for _ in events]
    return st.permutations(labels).map(lambda order: _weave(per_topic, order))


def _weave(per_topic: Sequence[Sequence[Event]], order: Sequence[int]) -> list[Event]:
    queues: list[Iterator[Event]] = [iter(events) for events in per_topic]
    return [next(queues[index]) for index in order]


@st.composite
def journals(
    draw: st.DrawFn, min_topics: int = 1, max_topics: int = 4, max_events: int = 8
) -> list[Event]:
    """A journal over several distinct topics of mixed families, interleaved."""
    chosen = draw(st.lists(topics(), min_size=min_topics, max_size=max_topics, unique=True))
    per_topic = [draw(topic_events(topic, max_events=max_events)) for topic in chosen]
    return draw(interleavings(per_topic))
