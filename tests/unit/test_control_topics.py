"""T3's topic rule and our stream rule (topics.py), as pure functions."""

# Test names carry the contract's rule ids (T1...T6), upper case as CONTRACT.md spells them.

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stub.control.topics import stream_of, stream_scope, topic_of, topic_scope

SUFFIX_SCOPES = {
    ":worker_events": "runtime.codex_worker_events",
    ":workers": "runtime.codex_worker_summaries",
    ":runs": "runtime.run_summaries",
}
# Prefixes that exercise S1's specific rows, its escapes, and plain text.
prefixes = st.one_of(
    st.sampled_from(["fleet:user:u1", "fleet:guest:g", "run:1", "worker:w", "a.b%c", "%2E", ""]),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cc", "Zs", "Zl", "Zp"])),
)
grantable_topics = st.builds(lambda p, s: p + s, prefixes, st.sampled_from(list(SUFFIX_SCOPES)))


@pytest.mark.parametrize(
    ("topic", "stream"),
    [
        ("run:r1:events", "runtime.run.r1.events"),
        ("worker:w1:lifecycle", "runtime.worker.w1.lifecycle"),
        ("fleet:user:u1:workers", "runtime.fleet.user.u1.workers"),
        ("fleet:guest:g1:workers", "runtime.fleet.guest.g1.workers"),
        ("runtime.codex_worker_events", "runtime.codex.worker.events"),
        ("org:a.b%c:runs", "runtime.topic.org.a%2Eb%25c.runs"),
        ("run::events", "runtime.topic.run..events"),
    ],
)
def test_T3_streams_are_named_by_the_S1_table(topic: str, stream: str) -> None:
    assert stream_of(topic) == stream
    assert topic_of(stream) == topic


@pytest.mark.parametrize(
    "stream",
    ["runtime.topic.a%2e.runs", "runtime.topic.a%41.runs", "runtime.topic.run.1.events", "x"],
)
def test_T3_non_canonical_stream_ids_name_no_topic(stream: str) -> None:
    assert topic_of(stream) is None
    assert stream_scope(stream) is None


@settings(max_examples=300, deadline=None)
@given(grantable_topics)
def test_T3_a_stream_needs_exactly_what_its_topic_needs(topic: str) -> None:
    scope = topic_scope(topic)
    if len(topic) <= 256:
        assert scope == SUFFIX_SCOPES[next(s for s in SUFFIX_SCOPES if topic.endswith(s))]
    assert topic_of(stream_of(topic)) == topic
    assert stream_scope(stream_of(topic)) == scope


@pytest.mark.parametrize("char", ["\u00a0", "\u2028", "\u3000", "\u0085", "\x7f", "\x9f"])
def test_T3_topics_with_e1_whitespace_or_control_characters_are_not_grantable(char: str) -> None:
    assert topic_scope(f"user{char}1:runs") is None


@pytest.mark.parametrize("char", ["\u200b", "\u00ad", "é", "☃"])
def test_T3_other_characters_are_fine_in_a_topic(char: str) -> None:
    assert topic_scope(f"user{char}1:runs") == "runtime.run_summaries"
