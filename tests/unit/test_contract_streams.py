"""S1's topic → stream table and S2's inverse."""

# Test names carry the rule id they check (CONTRACT.md), upper case as the contract writes it.

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from harness.contract.streams import (
    InvalidStreamIdError,
    is_valid_stream_id,
    parse_stream_id,
    projection_key,
    stream_family,
    stream_of,
    topic_of,
)
from harness.contract.topics import InvalidTopicError, is_valid_topic

_tricky = st.sampled_from([":", ".", "%", "%2E", "%25", "2E", "25", "run", "events", "é", "😀"])
_chars = st.characters(codec="utf-8", exclude_categories=("Cc", "Cs"))
_pieces = st.lists(_tricky | st.text(_chars, min_size=1, max_size=3), min_size=1, max_size=8)
_free_topics = _pieces.map("".join).filter(is_valid_topic)
_shaped_topics = st.builds(
    lambda shape, ident: shape.format(ident),
    st.sampled_from(
        [
            "run:{}:events",
            "worker:{}:lifecycle",
            "fleet:user:{}:workers",
            "fleet:guest:{}:workers",
            "{}",
        ]
    ),
    _pieces.map("".join),
).filter(is_valid_topic)
topics = _free_topics | _shaped_topics | st.just("runtime.codex_worker_events")


@pytest.mark.parametrize(
    ("topic", "stream_id"),
    [
        ("run:r1:events", "runtime.run.r1.events"),
        ("run:a:b.c:events", "runtime.run.a:b.c.events"),
        ("worker:w-9:lifecycle", "runtime.worker.w-9.lifecycle"),
        ("fleet:user:42:workers", "runtime.fleet.user.42.workers"),
        ("fleet:guest:g.1:workers", "runtime.fleet.guest.g.1.workers"),
        ("runtime.codex_worker_events", "runtime.codex.worker.events"),
        ("a.b:c%d", "runtime.topic.a%2Eb.c%25d"),
        ("run::events", "runtime.topic.run..events"),
        ("run:r1", "runtime.topic.run.r1"),
        ("fleet:other:1:workers", "runtime.topic.fleet.other.1.workers"),
        ("runtime.codex.worker.events", "runtime.topic.runtime%2Ecodex%2Eworker%2Eevents"),
        ("%2E", "runtime.topic.%252E"),
    ],
)
def test_S1_mapping_table(topic: str, stream_id: str) -> None:
    assert stream_of(topic) == stream_id
    assert topic_of(stream_id) == topic


@pytest.mark.parametrize("topic", ["", "run:a b:events", "x\n"])
def test_S1_invalid_topics_have_no_stream(topic: str) -> None:
    with pytest.raises(InvalidTopicError, match="E1"):
        stream_of(topic)


@pytest.mark.parametrize(
    ("stream_id", "family", "key"),
    [
        ("runtime.run.r.1.events", "run", "r.1"),
        ("runtime.worker.w:1.lifecycle", "worker", "w:1"),
        ("runtime.fleet.user.u.workers", "other", None),
        ("runtime.fleet.guest.g.workers", "other", None),
        ("runtime.codex.worker.events", "other", None),
        ("runtime.topic.note", "other", None),
        ("runtime.topic.run.r1", "other", None),
    ],
)
def test_S1_family_and_projection_key(stream_id: str, family: str, key: str | None) -> None:
    assert stream_family(stream_id) == family
    assert projection_key(stream_id) == key
    assert parse_stream_id(stream_id).topic == topic_of(stream_id)


@pytest.mark.parametrize(
    "stream_id",
    [
        "",
        "runtime.topic.",
        "runtime.run..events",
        "runtime.run.a b.events",
        "runtime.topic.a%2e",
        "runtime.topic.a%",
        "runtime.topic.a%2",
        "runtime.topic.a%41",
        "runtime.topic.run.x.events",
        "runtime.topic.runtime%2Ecodex_worker_events",
        "runtime.topic.fleet.user.u.workers",
        "runtime.codex.worker.events.extra",
        "runtime.other.x",
        "run:r1:events",
        "runtime.run." + "x" * 250 + ".events",
    ],
)
def test_S2_non_canonical_or_invalid_stream_ids_are_refused(stream_id: str) -> None:
    assert not is_valid_stream_id(stream_id)
    with pytest.raises(InvalidStreamIdError, match="S2"):
        topic_of(stream_id)


@settings(max_examples=200, deadline=None)
@given(topics)
def test_S2_topic_of_inverts_stream_of(topic: str) -> None:
    assert topic_of(stream_of(topic)) == topic


def _near_twins(topic: str) -> list[str]:
    """Spellings a naive escaping would send to the same stream."""
    return [
        topic.replace(".", ":"),
        topic.replace(":", "."),
        topic.replace(".", "%2E"),
        topic.replace("%2E", "."),
        topic.replace("%", "%25"),
        topic.replace("%25", "%"),
        "runtime.topic." + topic,
    ]


@settings(max_examples=200, deadline=None)
@given(topics, st.data())
def test_S2_distinct_topics_give_distinct_streams(topic: str, data: st.DataObject) -> None:
    other = data.draw(st.sampled_from(_near_twins(topic)) | topics)
    assume(other != topic and is_valid_topic(other))
    assert stream_of(other) != stream_of(topic)


_stream_like = st.lists(
    st.sampled_from([".", ":", "%", "%2E", "%25", "%2e", "2E", "run", "events", "a", "é"]),
    max_size=8,
).map("".join)


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(["runtime.topic.", "runtime.run.", "runtime.worker.", "runtime.", ""]),
    _stream_like,
    st.sampled_from(["", ".events", ".lifecycle", ".workers"]),
)
def test_S2_every_accepted_stream_id_is_canonical(prefix: str, middle: str, suffix: str) -> None:
    stream_id = prefix + middle + suffix
    try:
        topic = topic_of(stream_id)
    except InvalidStreamIdError:
        return
    assert stream_of(topic) == stream_id
