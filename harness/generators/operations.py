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


def _rehashed(args: ApplyEventArgs) -> ApplyEventArgs:
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
    "unknown kind, rehashed": lambda a: _rehashed(a._replace(kind="unknown.kind")),
    "empty payload_json": lambda a: a._replace(payload_json=""),
    "payload is an array": lambda a: a._replace(payload_json="[]"),
    "payload is not JSON": lambda a: a._replace(payload_json="{"),
    "payload without fields, rehashed": lambda a: _rehashed(a._replace(payload_json="{}")),
    "empty payload_hash": lambda a: a._replace(payload_hash=""),
    "zero hash": lambda a: a._replace(payload_hash="sha256:" + "0" * 64),
    "upper-case hash": lambda a: a._replace(payload_hash=a.payload_hash.upper()),
    "seq 0": lambda a: a._replace(seq=0),
    "published_at moved, old hash": lambda a: a._replace(
        published_at_ms=(a.published_at_ms + 1) % (MAX_MS + 1)
    ),
}


def conflicting(event: Event, variant: int) -> Event:
    """Another event with `event`'s identity (topic, seq) and other content (E6)."""
    if variant % 2:
        return Event(event.topic, event.seq, event.kind, event.payload,
                     (event.published_at_ms + variant) % (MAX_MS + 1))
    return Event(event.topic, event.seq, event.kind, {**event.payload, "~variant": variant},
                 event.published_at_ms)


def _noise(
    event: Event,
    delivered: Sequence[Event],
    ahead: Sequence[Event],
    stream_ids: Sequence[str],
    longest: int,
) -> st.SearchStrategy[Operation]:
    """One mistake (or client call) to make before delivering `event`."""
    cursors = st.integers(0, longest + 1)
    streams = st.sampled_from([*stream_ids, *INVALID_STREAM_IDS])
    clients = st.sampled_from(CLIENTS)
    choices: list[st.SearchStrategy[Operation]] = [
        st.builds(lambda v: Apply(conflicting(event, v).reducer_args()), st.integers(1, 9)),
        st.builds(lambda name: Apply(MUTATIONS[name](event.reducer_args())),
                  st.sampled_from(sorted(MUTATIONS))),
        st.just(Apply(event.reducer_args(), caller=INTRUDER)),
        st.builds(Compact, streams, cursors),
        st.builds(Compact, streams, cursors, st.just(INTRUDER)),
        st.builds(Resume, clients, streams, cursors, cursors),
        st.builds(Ack, clients, streams, cursors),
    ]
    if delivered:
        choices.append(st.sampled_from(delivered).map(lambda e: Apply(e.reducer_args())))
        choices.append(st.builds(lambda e, v: Apply(conflicting(e, v).reducer_args()),
                                 st.sampled_from(delivered), st.integers(1, 9)))
    if ahead:
        choices.append(st.sampled_from(ahead).map(lambda e: Apply(e.reducer_args())))
    return st.one_of(choices)


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
        return [draw(_noise(event, delivered, ahead, stream_ids, longest)) for _ in range(count)]

    plan: list[Operation] = []
    for index, event in enumerate(journal):
        plan += noise(event, journal[:index], journal[index + 1 :])
        plan.append(Apply(event.reducer_args()))
    if journal:
        plan += noise(journal[-1], journal, ())
    return plan
