"""Hypothesis strategies for a journal's delivery with deliberate mistakes mixed in.

A plan delivers every journal event in journal order and, before each, maybe some noise:
a duplicate, a conflicting variant, an event from further ahead (a gap), a compaction,
an event broken in one field, a call from an identity that is not the publisher, a
resume or a checkpoint with any cursor. The plan does not say what each call must
answer: the oracle does, so a plan is only ever judged by comparing the module with it.

Operations name their caller: None is the publisher, any other name a client identity
that the runner mints.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from hypothesis import strategies as st

from harness.contract.canonical import sha256_tag
from harness.contract.events import ApplyEventArgs, Event, hash_input, idempotency_key
from harness.contract.streams import topic_of
from harness.contract.timestamps import MAX_MS
from harness.generators.journals import journals

CLIENTS = ("alice", "bob")
INTRUDER = "mallory"

# Stream ids no topic maps to (S2), to reach the `invalid_event stream_id` branches.
INVALID_STREAM_IDS = ("", "runtime.topic.", "runtime.run..events", "runtime.topic.a%2eb")


@dataclass(frozen=True, slots=True)
class Apply:
    """`apply_event` with these arguments (M1)."""

    args: ApplyEventArgs
    caller: str | None = None


@dataclass(frozen=True, slots=True)
class Compact:
    """`compact_stream(stream_id, through_seq)` (M4)."""

    stream_id: str
    through_seq: int
    caller: str | None = None


@dataclass(frozen=True, slots=True)
class Resume:
    """`resume_stream(stream_id, after_seq, replay_budget)` as a client (R1, R3)."""

    client: str
    stream_id: str
    after_seq: int
    replay_budget: int


@dataclass(frozen=True, slots=True)
class Ack:
    """`ack_checkpoint(stream_id, last_applied_seq)` as a client (M6)."""

    client: str
    stream_id: str
    last_applied_seq: int


Operation = Apply | Compact | Resume | Ack


def rehashed(args: ApplyEventArgs) -> ApplyEventArgs:
    """`args` with the hash E5 gives them, so that checks after the hash are reached."""
    payload = json.loads(args.payload_json)
    text = hash_input(topic_of(args.stream_id), args.seq, args.kind, payload,
                      args.published_at_ms)
    return args._replace(payload_hash=sha256_tag(text))


def _next_key(args: ApplyEventArgs) -> ApplyEventArgs:
    return args._replace(idempotency_key=idempotency_key(topic_of(args.stream_id), args.seq + 1))


# One broken field each, in M1 step 2's terms; the names show up in failing examples.
MUTATIONS: Mapping[str, Callable[[ApplyEventArgs], ApplyEventArgs]] = {
    "empty stream_id": lambda a: a._replace(stream_id=""),
    "unmapped stream_id": lambda a: a._replace(stream_id="runtime.topic."),
    "empty idempotency_key": lambda a: a._replace(idempotency_key=""),
    "key of the next seq": _next_key,
    "empty kind": lambda a: a._replace(kind=""),
    "unknown kind, old hash": lambda a: a._replace(kind="unknown.kind"),
    "unknown kind, rehashed": lambda a: rehashed(a._replace(kind="unknown.kind")),
    "empty payload_json": lambda a: a._replace(payload_json=""),
    "payload is an array": lambda a: a._replace(payload_json="[]"),
    "payload is not JSON": lambda a: a._replace(payload_json="{"),
    "payload without fields, rehashed": lambda a: rehashed(a._replace(payload_json="{}")),
    "empty payload_hash": lambda a: a._replace(payload_hash=""),
    "zero hash": lambda a: a._replace(payload_hash="sha256:" + "0" * 64),
    "upper-case hash": lambda a: a._replace(payload_hash=a.payload_hash.upper()),
    "seq 0": lambda a: a._replace(seq=0),
    "published_at moved, old hash": lambda a: a._replace(
        published_at_ms=(a.published_at_ms + 1) % (MAX_MS + 1)
    ),
}


def conflicting(event: Event, variant: int) -> Event:
    """Another event with `event`'s identity (topic, seq) and other content (E6): another
    payload for even variants, else (or if the payload already held that field) another
    published_at."""
    published_at_ms = (event.published_at_ms + variant) % (MAX_MS + 1)
    if variant % 2 == 0:
        payload = {**event.payload, "~variant": variant}
        if payload != event.payload:
            return Event(event.topic, event.seq, event.kind, payload, event.published_at_ms)
    return Event(event.topic, event.seq, event.kind, event.payload, published_at_ms)


def _stream(draw: st.DrawFn, stream_ids: Sequence[str]) -> str:
    """Mostly (7 in 8) a stream of the journal, else one that no topic maps to."""
    if stream_ids and draw(st.integers(0, 7)) < 7:
        return draw(st.sampled_from(stream_ids))
    return draw(st.sampled_from(INVALID_STREAM_IDS))


def _cursor(draw: st.DrawFn, head: int) -> int:
    """A seq in 0..head+1, shrinking towards `head`: where M4, M6 and R3 have their
    boundaries, which uniformly drawn cursors seldom hit."""
    return head - draw(st.integers(-1, head))


def _budget(draw: st.DrawFn, head: int, after: int) -> int:
    """A replay budget: half the time within one of the gap head-after (R3's boundary)."""
    if draw(st.booleans()):
        return draw(st.integers(0, head + 1))
    return max(0, head - after + draw(st.integers(-1, 1)))


NOISE = ("duplicate", "conflict", "ahead", "broken", "stranger applies", "compact",
         "stranger compacts", "resume", "ack")


def _noise(
    draw: st.DrawFn,
    event: Event,
    *,
    delivered: Sequence[Event],
    ahead: Sequence[Event],
    heads: Mapping[str, int],
) -> list[Operation]:
    """One mistake (or client calls) to make before delivering `event`: a conflict is of
    `event` or of an earlier event, a duplicate of an earlier one, a gap an event from
    `ahead`; compactions, resumes and checkpoints take cursors near the stream's head as
    planned so far (`heads`), and checkpoints come in runs of two or three on one stream,
    so that they can also move backwards. Plain draws from fixed strategies: building
    strategies per draw is slow."""
    kinds = [kind for kind in NOISE
             if (kind != "duplicate" or delivered) and (kind != "ahead" or ahead)]
    kind = draw(st.sampled_from(kinds))
    if kind == "duplicate":
        return [Apply(draw(st.sampled_from(delivered)).reducer_args())]
    if kind == "conflict":
        original = draw(st.sampled_from([*delivered, event]))
        return [Apply(conflicting(original, draw(st.integers(1, 9))).reducer_args())]
    if kind == "ahead":
        return [Apply(draw(st.sampled_from(ahead)).reducer_args())]
    if kind == "broken":
        return [Apply(MUTATIONS[draw(st.sampled_from(sorted(MUTATIONS)))](event.reducer_args()))]
    if kind == "stranger applies":
        return [Apply(event.reducer_args(), caller=INTRUDER)]
    stream_id = _stream(draw, sorted(heads))
    head = heads.get(stream_id, 0)
    if kind in ("compact", "stranger compacts"):
        caller = INTRUDER if kind == "stranger compacts" else None
        return [Compact(stream_id, _cursor(draw, head), caller)]
    client = draw(st.sampled_from(CLIENTS))
    if kind == "resume":
        after = _cursor(draw, head)
        return [Resume(client, stream_id, after, _budget(draw, head, after))]
    return [Ack(client, stream_id, _cursor(draw, head))
            for _ in range(draw(st.integers(2, 3)))]


@st.composite
def delivery_plans(draw: st.DrawFn, journal: Sequence[Event], max_noise: int = 2) -> list[
    Operation
]:
    """The journal's events in order, each preceded by up to `max_noise` mistakes or
    client calls, and up to `max_noise` more at the end."""
    heads = dict.fromkeys(sorted({event.stream_id for event in journal}), 0)

    def noise(event: Event, delivered: Sequence[Event], ahead: Sequence[Event]) -> list[
        Operation
    ]:
        made: list[Operation] = []
        for _ in range(draw(st.integers(0, max_noise))):
            made += _noise(draw, event, delivered=delivered, ahead=ahead, heads=heads)
        return made

    plan: list[Operation] = []
    for index, event in enumerate(journal):
        plan += noise(event, journal[:index], journal[index + 1 :])
        plan.append(Apply(event.reducer_args()))
        heads[event.stream_id] = event.seq
    if journal:
        plan += noise(journal[-1], journal, ())
    return plan


@st.composite
def planned_journals(draw: st.DrawFn, max_topics: int = 3, max_events: int = 6) -> tuple[
    list[Event], list[Operation]
]:
    """A journal and a delivery plan for it."""
    journal = draw(journals(max_topics=max_topics, max_events=max_events))
    return journal, draw(delivery_plans(journal))
