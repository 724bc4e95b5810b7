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


NOISE = ("duplicate", "conflict", "ahead", "broken", "stranger applies", "compact",
         "stranger compacts", "resume", "ack")


def _noise(
    draw: st.DrawFn,
    event: Event,
    *,
    delivered: Sequence[Event],
    ahead: Sequence[Event],
    stream_ids: Sequence[str],
    longest: int,
) -> Operation:
    """One mistake (or client call) to make before delivering `event`: a conflict is of
    `event` or of an earlier event, a duplicate of an earlier one, a gap an event from
    `ahead`. Plain draws from fixed strategies: building strategies per draw is slow."""
    kinds = [kind for kind in NOISE
             if (kind != "duplicate" or delivered) and (kind != "ahead" or ahead)]
    kind = draw(st.sampled_from(kinds))
    streams = st.sampled_from([*stream_ids, *INVALID_STREAM_IDS])
    cursors = st.integers(0, longest + 1)
    if kind == "duplicate":
        return Apply(draw(st.sampled_from(delivered)).reducer_args())
    if kind == "conflict":
        original = draw(st.sampled_from([*delivered, event]))
        return Apply(conflicting(original, draw(st.integers(1, 9))).reducer_args())
    if kind == "ahead":
        return Apply(draw(st.sampled_from(ahead)).reducer_args())
    if kind == "broken":
        return Apply(MUTATIONS[draw(st.sampled_from(sorted(MUTATIONS)))](event.reducer_args()))
    if kind == "stranger applies":
        return Apply(event.reducer_args(), caller=INTRUDER)
    if kind in ("compact", "stranger compacts"):
        caller = INTRUDER if kind == "stranger compacts" else None
        return Compact(draw(streams), draw(cursors), caller)
    client = draw(st.sampled_from(CLIENTS))
    if kind == "resume":
        return Resume(client, draw(streams), draw(cursors), draw(cursors))
    return Ack(client, draw(streams), draw(cursors))


@st.composite
def delivery_plans(draw: st.DrawFn, journal: Sequence[Event], max_noise: int = 2) -> list[
    Operation
]:
    """The journal's events in order, each preceded by up to `max_noise` other calls,
    and up to `max_noise` more calls at the end."""
    stream_ids = sorted({event.stream_id for event in journal})
    longest = max((event.seq for event in journal), default=0)

    def noise(event: Event, delivered: Sequence[Event], ahead: Sequence[Event]) -> list[
        Operation
    ]:
        count = draw(st.integers(0, max_noise))
        return [_noise(draw, event, delivered=delivered, ahead=ahead, stream_ids=stream_ids,
                       longest=longest) for _ in range(count)]

    plan: list[Operation] = []
    for index, event in enumerate(journal):
        plan += noise(event, journal[:index], journal[index + 1 :])
        plan.append(Apply(event.reducer_args()))
    if journal:
        plan += noise(journal[-1], journal, ())
    return plan
