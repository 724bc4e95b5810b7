"""The module's rules (E4-E6, S1-S3, M1-M6, P1-P4), one test per rule id, on a real server.

Each test publishes a fresh reference module and states the outcome CONTRACT.md demands,
written out by hand rather than asked of the oracle, so these tests hold the oracle to
the text as well (test_oracle_agreement compares the two on generated journals).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest

from harness.contract.canonical import sha256_tag
from harness.contract.events import ApplyEventArgs, Event
from harness.contract.snapshot import snapshot_json
from harness.contract.streams import stream_family, stream_of
from harness.env.stack import Database, Stack
from harness.generators.operations import rehashed
from harness.spacetime.http import SpacetimeHttp
from harness.spacetime.ws import SpacetimeSubscriber
from harness.targets.base import Reply
from harness.targets.spacetime_module import DeclaredModule, DeclaredModuleSession
from tests.journals import BASE_MS, journal_of, mixed_journal

RUN = "run:r1:events"
RUN_STREAM = "runtime.run.r1.events"


def apply_all(target: DeclaredModuleSession, events: Iterable[Event]) -> None:
    for event in events:
        reply = target.apply(event.reducer_args())
        assert reply.ok, f"{event.idempotency_key}: {reply.error}"


def table(target: DeclaredModuleSession, name: str) -> list[dict[str, Any]]:
    return target.snapshot()[name]


def seqs(target: DeclaredModuleSession, stream_id: str) -> list[int]:
    return [row["seq"] for row in table(target, "sync_event") if row["stream_id"] == stream_id]


def head(target: DeclaredModuleSession, stream_id: str) -> dict[str, Any]:
    return next(row for row in table(target, "stream_head") if row["stream_id"] == stream_id)


def created(topic: str = RUN, seq: int = 1, owner: str = "alice") -> Event:
    return Event(topic, seq, "run.created", {"owner": owner}, BASE_MS + seq)


def run_steps(count: int, topic: str = RUN) -> list[Event]:
    """run.created then `count - 1` run.step events of `topic`."""
    return journal_of(topic, ("run.created", {"owner": "alice"}),
                      *[("run.step", {"tokens": n}) for n in range(1, count)])


def hash_document(topic: str, seq: int, kind: str, payload: dict[str, Any],
                  published_at: str) -> dict[str, Any]:
    """What E5 hashes, built here by hand rather than by harness.contract."""
    return {"topic": topic, "seq": seq, "kind": kind, "payload": payload,
            "published_at": published_at}


def canonical(value: object) -> str:
    """E4 written out with the standard library: sorted keys, no spaces, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


# --- E: authority events, as the module enforces them ------------------------------------


def test_E4_module_hashes_only_the_canonical_json(target: DeclaredModuleSession) -> None:
    """E4/E5: the hash covers the canonical JSON (sorted keys, no spaces, UTF-8, integers
    as integers); a hash of any other spelling of the same document is refused."""
    payload = {"owner": "zoë", "b": [1, -2], "a": {"y": None, "x": True}}
    event = Event(RUN, 1, "run.created", payload, BASE_MS)
    document = hash_document(RUN, 1, "run.created", payload, event.published_at)
    not_canonical = {
        "spaces": json.dumps(document, sort_keys=True, ensure_ascii=False),
        "unsorted keys": json.dumps(document, separators=(",", ":"), ensure_ascii=False),
        "ASCII escapes": json.dumps(document, sort_keys=True, separators=(",", ":")),
        "integer as float": canonical(
            {**document, "payload": {**payload, "b": [1.0, -2]}}
        ),
    }
    for spelling, text in not_canonical.items():
        assert text != canonical(document), spelling
        reply = target.apply(event.reducer_args()._replace(payload_hash=sha256_tag(text)))
        assert reply.error == "invalid_event payload_hash", spelling
    assert table(target, "sync_event") == []
    # The payload text itself may be spelled any way: the module hashes its canonical form.
    loose = event.reducer_args()._replace(
        payload_json=json.dumps(payload, ensure_ascii=True, indent=1),
        payload_hash=sha256_tag(canonical(document)),
    )
    assert target.apply(loose).ok
    assert table(target, "run_summary")[0]["owner"] == "zoë"


def test_E5_payload_hash_covers_every_field_of_the_event(target: DeclaredModuleSession) -> None:
    """E5: `sha256:` + lowercase hex over {topic, seq, kind, payload, published_at}, with
    published_at as RFC 3339 `Z` text with milliseconds; any other hash is refused."""
    event = Event(RUN, 1, "run.created", {"owner": "alice"}, 1_700_000_000_123)
    args = event.reducer_args()
    document = hash_document(RUN, 1, "run.created", {"owner": "alice"},
                             "2023-11-14T22:13:20.123Z")
    wrong = [
        {**document, "topic": "run:r2:events"},
        {**document, "seq": 2},
        {**document, "kind": "run.cancelled"},
        {**document, "payload": {"owner": "bob"}},
        {**document, "published_at": "2023-11-14T22:13:20.124Z"},
        {**document, "published_at": "2023-11-14T22:13:20.123+00:00"},
        {**document, "published_at": "2023-11-14T22:13:20Z"},
        {**document, "published_at": 1_700_000_000_123},
        {key: value for key, value in document.items() if key != "published_at"},
    ]
    right = sha256_tag(canonical(document))
    hashes = [sha256_tag(canonical(doc)) for doc in wrong] + [
        right.upper(),
        right.removeprefix("sha256:"),
        "sha256:" + right.removeprefix("sha256:").upper(),
        sha256_tag(canonical({"owner": "alice"})),
    ]
    for bad in hashes:
        assert target.apply(args._replace(payload_hash=bad)).error == "invalid_event payload_hash"
    # Digest of the contract's example, computed independently with sha256sum.
    assert right == "sha256:68565b6e78621317cfc20114b5980f48da6bbb5afcc6ffd6844686b8cfcd8f60"
    assert target.apply(args._replace(payload_hash=right)).ok
    assert [row["payload_hash"] for row in table(target, "sync_event")] == [right]


def test_E6_identity_is_topic_and_seq_and_other_content_is_a_conflict(
    target: DeclaredModuleSession,
) -> None:
    """E6: the key is `topic:<topic>:seq:<seq>`; the same (topic, seq) with other kind,
    payload or published_at is `idempotency_conflict`, never a duplicate."""
    event = Event(RUN, 1, "run.cancelled", {"reason": "x"}, BASE_MS)
    args = event.reducer_args()
    for key in ("run:r1:events:seq:1", "topic:run:r1:events:seq:01",
                f"topic:{RUN_STREAM}:seq:1", "topic:run:r1:events:seq:2", "topic:run:r1:events"):
        reply = target.apply(args._replace(idempotency_key=key))
        assert reply.error == "invalid_event idempotency_key", key
    assert target.apply(args._replace(idempotency_key="topic:run:r1:events:seq:1")).ok
    before = snapshot_json(target.snapshot())
    others = [
        Event(RUN, 1, "run.created", {"owner": "x"}, BASE_MS),
        Event(RUN, 1, "run.cancelled", {"reason": "y"}, BASE_MS),
        Event(RUN, 1, "run.cancelled", {"reason": "x"}, BASE_MS + 1),
    ]
    for other in others:
        assert target.apply(other.reducer_args()).error == "idempotency_conflict"
    assert target.apply(args).ok
    assert snapshot_json(target.snapshot()) == before


# --- S: topics and streams --------------------------------------------------------------

S1_TABLE = [
    ("run:r.1:events", "runtime.run.r.1.events"),
    ("worker:w:1:lifecycle", "runtime.worker.w:1.lifecycle"),
    ("fleet:user:u1:workers", "runtime.fleet.user.u1.workers"),
    ("fleet:guest:g:1:workers", "runtime.fleet.guest.g:1.workers"),
    ("runtime.codex_worker_events", "runtime.codex.worker.events"),
    ("a.b%c:d", "runtime.topic.a%2Eb%25c.d"),
    ("run::events", "runtime.topic.run..events"),
    ("run:events", "runtime.topic.run.events"),
    ("ünï:cödé", "runtime.topic.ünï.cödé"),
]


def _first_event(topic: str) -> Event:
    """A valid first event of `topic`, of a kind its family accepts."""
    family = stream_family(stream_of(topic))
    if family == "run":
        return created(topic)
    if family == "worker":
        return Event(topic, 1, "worker.online", {"region": "eu"}, BASE_MS)
    return Event(topic, 1, "note", {"text": "n"}, BASE_MS)


def test_S1_each_row_of_the_mapping_is_the_stream_id_the_module_accepts(
    target: DeclaredModuleSession,
) -> None:
    """S1: the stream ids of the contract's table, written out; each is accepted with its
    topic's key and hash, and the run and worker rows project under their verbatim id."""
    for topic, stream_id in S1_TABLE:
        args = _first_event(topic).reducer_args()._replace(stream_id=stream_id)
        assert target.apply(args).ok, (topic, stream_id)
    snapshot = target.snapshot()
    assert sorted(row["stream_id"] for row in snapshot["sync_event"]) == sorted(
        stream for _, stream in S1_TABLE
    )
    assert [row["run_id"] for row in snapshot["run_summary"]] == ["r.1"]
    assert [row["worker_id"] for row in snapshot["worker_status"]] == ["w:1"]


def test_S2_distinct_topics_never_share_a_stream_and_other_spellings_are_refused(
    target: DeclaredModuleSession,
) -> None:
    """S2: topics that a careless escaping would merge get distinct streams; a stream id
    that is not exactly stream_of(its topic) names no topic (`invalid_event stream_id`)."""
    topics = ["a.b", "a:b", "a%2Eb", "a%b", "run:x:events", "run.x.events",
              "runtime.run.x.events", "runtime.codex_worker_events",
              "runtime:codex_worker_events"]
    for topic in topics:
        apply_all(target, [_first_event(topic)])
    assert len(table(target, "stream_head")) == len(topics)
    keys = {row["idempotency_key"] for row in table(target, "sync_event")}
    assert keys == {f"topic:{topic}:seq:1" for topic in topics}
    before = snapshot_json(target.snapshot())
    aliases = [
        ("run:y:events", "runtime.topic.run.y.events"),
        ("a.c", "runtime.topic.a%2ec"),
        ("runtime.codex_worker_events", "runtime.topic.runtime%2Ecodex_worker_events"),
        ("a%c", "runtime.topic.a%c"),
    ]
    for topic, alias in aliases:
        args = _first_event(topic).reducer_args()._replace(stream_id=alias)
        assert target.apply(args).error == "invalid_event stream_id", alias
    assert snapshot_json(target.snapshot()) == before


def test_S3_stream_seq_names_the_topic_event_with_that_seq(
    target: DeclaredModuleSession,
) -> None:
    """S3: (stream_id, seq) and (topic, seq) name the same event: the row at stream seq n
    is the topic's event n, and a key for another seq is refused."""
    journal = run_steps(4)
    apply_all(target, journal)
    rows = {row["seq"]: row for row in table(target, "sync_event")}
    for event in journal:
        assert rows[event.seq]["idempotency_key"] == f"topic:{RUN}:seq:{event.seq}"
        assert rows[event.seq]["payload_hash"] == event.payload_hash
    assert head(target, RUN_STREAM)["head_seq"] == 4
    fifth = Event(RUN, 5, "run.step", {"tokens": 1}, BASE_MS)
    mismatched = fifth.reducer_args()._replace(idempotency_key=f"topic:{RUN}:seq:6")
    assert target.apply(mismatched).error == "invalid_event idempotency_key"


# --- M1: apply, each step in its order ---------------------------------------------------


def test_M1_step1_unauthorized_comes_before_every_other_check(
    target: DeclaredModuleSession,
) -> None:
    """M1.1: a caller other than the publisher is `unauthorized`, whatever else is wrong."""
    apply_all(target, [created()])
    stored = created().reducer_args()
    attempts = [
        stored._replace(stream_id=""),
        stored._replace(payload_hash="sha256:0"),
        stored,
        created(owner="bob").reducer_args(),
        Event(RUN, 3, "run.step", {"tokens": 1}, BASE_MS).reducer_args(),
        Event(RUN, 2, "run.step", {"tokens": 1}, BASE_MS).reducer_args(),
    ]
    for args in attempts:
        reply = target.apply(args, caller="intruder")
        assert reply.error == "unauthorized", args
    assert seqs(target, RUN_STREAM) == [1]


_VALID = Event(RUN, 1, "run.created", {"owner": "alice"}, 1_700_000_000_123).reducer_args()

M1_STEP2_CASES: list[tuple[str, ApplyEventArgs, str]] = [
    ("empty stream_id", _VALID._replace(stream_id=""), "stream_id"),
    ("unmapped stream_id", _VALID._replace(stream_id="somewhere.else"), "stream_id"),
    ("empty idempotency_key", _VALID._replace(idempotency_key=""), "idempotency_key"),
    ("key of another seq", _VALID._replace(idempotency_key=f"topic:{RUN}:seq:2"),
     "idempotency_key"),
    ("empty kind", _VALID._replace(kind=""), "kind"),
    ("kind of another family", rehashed(_VALID._replace(kind="note")), "kind"),
    ("unknown kind", rehashed(_VALID._replace(kind="run.paused")), "kind"),
    ("empty payload_json", _VALID._replace(payload_json=""), "payload_json"),
    ("payload not JSON", _VALID._replace(payload_json="{"), "payload"),
    ("payload an array", _VALID._replace(payload_json="[]"), "payload"),
    ("payload a string", _VALID._replace(payload_json='"x"'), "payload"),
    ("payload missing its field", rehashed(_VALID._replace(payload_json="{}")), "payload"),
    ("empty payload_hash", _VALID._replace(payload_hash=""), "payload_hash"),
    ("hash of other content", _VALID._replace(published_at_ms=1), "payload_hash"),
    ("seq 0", _VALID._replace(seq=0), "seq"),
]


@pytest.mark.parametrize(("case", "args", "field"), M1_STEP2_CASES,
                         ids=[case for case, _, _ in M1_STEP2_CASES])
def test_M1_step2_invalid_event_names_the_field(
    target: DeclaredModuleSession, case: str, args: ApplyEventArgs, field: str
) -> None:
    """M1.2: fields non-empty, seq >= 1, key per E6, hash per E5, payload an object, kind
    known for the stream, else `invalid_event <field>`; nothing is stored."""
    assert target.apply(args).error == f"invalid_event {field}", case
    assert table(target, "sync_event") == []
    assert target.apply(_VALID).ok


def test_M1_step2_checks_fields_in_the_contract_order(target: DeclaredModuleSession) -> None:
    """M1.2, the order: with two broken fields, the first one in M1's list is named."""
    pairs = [
        (_VALID._replace(stream_id="", kind=""), "stream_id"),
        (_VALID._replace(idempotency_key="", kind=""), "idempotency_key"),
        (_VALID._replace(kind="", payload_json=""), "kind"),
        (_VALID._replace(payload_json="", payload_hash=""), "payload_json"),
        (_VALID._replace(payload_hash="", seq=0), "payload_hash"),
        (_VALID._replace(seq=0, payload_json="[]"), "seq"),
        (_VALID._replace(seq=2, payload_json="[]"), "idempotency_key"),
        (_VALID._replace(payload_json="[]", payload_hash="x"), "payload"),
        (_VALID._replace(kind="note"), "payload_hash"),
        (rehashed(_VALID._replace(kind="note", payload_json='{"text":"t"}')), "kind"),
    ]
    for args, field in pairs:
        assert target.apply(args).error == f"invalid_event {field}", args


def test_M1_step3_stored_key_is_a_duplicate_or_a_conflict_before_any_seq_check(
    target: DeclaredModuleSession,
) -> None:
    """M1.3: a stored key with the same hash succeeds and changes nothing; with another
    hash it is `idempotency_conflict`; both are decided before the seq (steps 4-5), and
    after the field checks (step 2)."""
    journal = run_steps(3)
    apply_all(target, journal)
    before = snapshot_json(target.snapshot())
    assert target.apply(journal[0].reducer_args()).ok
    forged = created(owner="mallory")
    assert target.apply(forged.reducer_args()).error == "idempotency_conflict"
    broken = journal[0].reducer_args()._replace(payload_hash="sha256:" + "0" * 64)
    assert target.apply(broken).error == "invalid_event payload_hash"
    assert snapshot_json(target.snapshot()) == before


def test_M1_step4_an_event_below_oldest_seq_succeeds_without_change(
    target: DeclaredModuleSession,
) -> None:
    """M1.4: seq < oldest_seq (applied, then compacted away) succeeds with no change, even
    with other content, since its key is no longer stored."""
    journal = run_steps(4)
    apply_all(target, journal)
    assert target.compact(RUN_STREAM, 2).ok
    before = snapshot_json(target.snapshot())
    assert target.apply(journal[0].reducer_args()).ok
    assert target.apply(journal[1].reducer_args()).ok
    assert target.apply(created(owner="mallory").reducer_args()).ok
    assert snapshot_json(target.snapshot()) == before


def test_M1_step5_a_seq_other_than_head_plus_one_is_a_sequence_conflict(
    target: DeclaredModuleSession,
) -> None:
    """M1.5: `sequence_conflict expected_next_seq=<head+1> actual_seq=<seq>`."""
    journal = run_steps(8)
    assert target.apply(journal[1].reducer_args()).error == (
        "sequence_conflict expected_next_seq=1 actual_seq=2")
    apply_all(target, journal[:3])
    assert target.apply(journal[6].reducer_args()).error == (
        "sequence_conflict expected_next_seq=4 actual_seq=7")
    assert target.compact(RUN_STREAM, 3).ok
    assert target.apply(journal[4].reducer_args()).error == (
        "sequence_conflict expected_next_seq=4 actual_seq=5")
    assert seqs(target, RUN_STREAM) == []
    assert head(target, RUN_STREAM) == {"stream_id": RUN_STREAM, "head_seq": 3, "oldest_seq": 4}


def test_M1_step6_event_head_and_projection_change_in_one_transaction(
    database: Database, target: DeclaredModuleSession
) -> None:
    """M1.6: the event row, the head and the projection are written by one transaction:
    a subscriber sees all three in one update."""
    client = SpacetimeHttp(database.url).create_identity()
    queries = ["SELECT * FROM sync_event", "SELECT * FROM stream_head",
               "SELECT * FROM run_summary"]
    with SpacetimeSubscriber.connect(database.url, database.name, client.token,
                                     timeout=10) as subscriber:
        subscriber.subscribe(queries, timeout=10)
        apply_all(target, run_steps(2))
        for seq in (1, 2):
            update = subscriber.next_transaction(timeout=10)
            assert [row["seq"] for row in update.inserts("sync_event")] == [seq]
            assert [row["head_seq"] for row in update.inserts("stream_head")] == [seq]
            assert [row["last_seq"] for row in update.inserts("run_summary")] == [seq]


# --- M2-M6 -------------------------------------------------------------------------------


def test_M2_a_failed_call_changes_nothing(
    database: Database, target: DeclaredModuleSession
) -> None:
    """M2: whatever the failure (unauthorized, invalid, conflict, gap, bad compaction, bad
    checkpoint), the tables are as before and no subscriber sees a transaction."""
    journal = run_steps(3)
    apply_all(target, journal)
    assert target.ack("alice", RUN_STREAM, 2).ok
    before = snapshot_json(target.snapshot())
    failing: list[Callable[[], Reply]] = [
        lambda: target.apply(run_steps(4)[3].reducer_args(), caller="intruder"),
        lambda: target.apply(journal[0].reducer_args()._replace(payload_hash="sha256:0")),
        lambda: target.apply(created(owner="mallory").reducer_args()),
        lambda: target.apply(run_steps(6)[5].reducer_args()),
        lambda: target.compact(RUN_STREAM, 4),
        lambda: target.compact(RUN_STREAM, 2, caller="intruder"),
        lambda: target.ack("alice", RUN_STREAM, 1),
        lambda: target.ack("alice", RUN_STREAM, 9),
    ]
    client = SpacetimeHttp(database.url).create_identity()
    with SpacetimeSubscriber.connect(database.url, database.name, client.token,
                                     timeout=10) as subscriber:
        subscriber.subscribe(["SELECT * FROM sync_event", "SELECT * FROM stream_head",
                              "SELECT * FROM run_summary", "SELECT * FROM stream_checkpoint"],
                             timeout=10)
        for call in failing:
            assert not call().ok
        assert snapshot_json(target.snapshot()) == before
        apply_all(target, [run_steps(4)[3]])
        first_seen = subscriber.next_transaction(timeout=10)
        assert [row["seq"] for row in first_seen.inserts("sync_event")] == [4]


def test_M3_no_duplicate_seq_and_no_gap_after_messy_delivery(
    target: DeclaredModuleSession,
) -> None:
    """M3: after duplicates, conflicts, events sent two ahead of their turn and a
    compaction, each stream holds each seq at most once, exactly oldest_seq..head_seq.
    Only the tables are judged here; the replies are M1's business."""
    journal = mixed_journal()
    by_identity = {(event.topic, event.seq): event for event in journal}
    for index, event in enumerate(journal):
        two_ahead = by_identity.get((event.topic, event.seq + 2))
        if two_ahead is not None:
            target.apply(two_ahead.reducer_args())
        target.apply(event.reducer_args())
        target.apply(journal[index // 2].reducer_args())
        target.apply(Event(event.topic, event.seq, event.kind, event.payload,
                           event.published_at_ms + 7).reducer_args())
        if index == 7:
            target.compact(RUN_STREAM, 2)
    snapshot = target.snapshot()
    for row in snapshot["stream_head"]:
        stored = [event["seq"] for event in snapshot["sync_event"]
                  if event["stream_id"] == row["stream_id"]]
        assert sorted(stored) == list(range(row["oldest_seq"], row["head_seq"] + 1)), row
    heads = {row["stream_id"]: (row["oldest_seq"], row["head_seq"])
             for row in snapshot["stream_head"]}
    assert heads == {RUN_STREAM: (3, 6),
                     "runtime.worker.w1.lifecycle": (1, 5),
                     "runtime.fleet.user.u1.workers": (1, 3)}


def test_M4_compaction_deletes_tail_and_keeps_projections(
    target: DeclaredModuleSession,
) -> None:
    """M4: compact_stream deletes the stream's rows with seq <= through_seq and sets
    oldest_seq = through_seq + 1; head, projections and other streams do not change."""
    apply_all(target, mixed_journal())
    before = target.snapshot()
    assert target.compact(RUN_STREAM, 4).ok
    after = target.snapshot()
    assert seqs(target, RUN_STREAM) == [5, 6]
    assert head(target, RUN_STREAM) == {"stream_id": RUN_STREAM, "head_seq": 6, "oldest_seq": 5}
    for name in ("run_summary", "worker_status", "stream_checkpoint"):
        assert after[name] == before[name], name
    others = [row for row in before["sync_event"] if row["stream_id"] != RUN_STREAM]
    assert [row for row in after["sync_event"] if row["stream_id"] != RUN_STREAM] == others
    assert target.compact(RUN_STREAM, 6).ok
    assert seqs(target, RUN_STREAM) == []
    assert head(target, RUN_STREAM)["oldest_seq"] == 7
    assert target.apply(Event(RUN, 7, "run.step", {"tokens": 1}, BASE_MS).reducer_args()).ok
    assert seqs(target, RUN_STREAM) == [7]


def test_M4_compaction_refusals_and_no_ops(target: DeclaredModuleSession) -> None:
    """M4: publisher only (`unauthorized`); through_seq > head is `invalid_event
    through_seq`; through_seq below oldest_seq has nothing to delete and succeeds."""
    apply_all(target, run_steps(5))
    assert target.compact(RUN_STREAM, 2, caller="intruder").error == (
        "unauthorized")
    assert target.compact(RUN_STREAM, 6).error == "invalid_event through_seq"
    assert target.compact("runtime.run.empty.events", 1).error == "invalid_event through_seq"
    assert target.compact("no.such.stream", 0).error == "invalid_event stream_id"
    assert seqs(target, RUN_STREAM) == [1, 2, 3, 4, 5]
    assert target.compact(RUN_STREAM, 3).ok
    before = snapshot_json(target.snapshot())
    for through in (0, 1, 2):
        assert target.compact(RUN_STREAM, through).ok
    assert snapshot_json(target.snapshot()) == before


def test_M5_projections_depend_only_on_the_events(
    stack: Stack, reference_wasm: Path, target: DeclaredModuleSession
) -> None:
    """M5: another database, another publisher, another interleaving, another transport
    (WebSocket instead of HTTP), a later wall clock: the same tables."""
    journal = mixed_journal() + journal_of("worker:w2:lifecycle",
                                           ("worker.online", {"region": "eu"}),
                                           ("worker.heartbeat", {}))
    apply_all(target, journal)
    other = stack.publish(reference_wasm)
    by_topic = sorted(journal, key=lambda event: (event.topic, event.seq))
    time.sleep(1.1)
    with SpacetimeSubscriber.connect(other.url, other.name, other.owner.token,
                                     timeout=10) as socket:
        for event in by_topic:
            socket.call_reducer("apply_event", list(event.reducer_args()),
                                timeout=10).raise_for_status()
    assert snapshot_json(DeclaredModule().bind(other).snapshot()) == snapshot_json(
        target.snapshot())


def test_M6_checkpoints_are_per_caller_forward_only_and_never_past_head(
    target: DeclaredModuleSession,
) -> None:
    """M6: keyed by the caller's identity; regression is `checkpoint_regression`, past the
    head `checkpoint_ahead_of_head`; acknowledging the same seq again succeeds."""
    apply_all(target, run_steps(5))
    assert target.ack("alice", RUN_STREAM, 3).ok
    assert target.ack("bob", RUN_STREAM, 1).ok
    assert target.ack("alice", RUN_STREAM, 2).error == (
        "checkpoint_regression current_seq=3 requested_seq=2")
    assert target.ack("alice", RUN_STREAM, 6).error == (
        "checkpoint_ahead_of_head requested_seq=6 head_seq=5")
    assert target.ack("bob", "runtime.run.empty.events", 1).error == (
        "checkpoint_ahead_of_head requested_seq=1 head_seq=0")
    assert target.ack("bob", "no.such.stream", 0).error == "invalid_event stream_id"
    assert target.ack("alice", RUN_STREAM, 3).ok
    assert target.ack("bob", RUN_STREAM, 5).ok
    alice, bob = target.client_identity("alice"), target.client_identity("bob")
    rows = {row["client_identity"]: row for row in table(target, "stream_checkpoint")}
    assert rows == {
        alice: {"checkpoint_key": f"{alice}:{RUN_STREAM}", "client_identity": alice,
                "stream_id": RUN_STREAM, "last_applied_seq": 3},
        bob: {"checkpoint_key": f"{bob}:{RUN_STREAM}", "client_identity": bob,
              "stream_id": RUN_STREAM, "last_applied_seq": 5},
    }


# --- P: projections ----------------------------------------------------------------------

RUN_DEFAULTS = {"owner": "", "status": "created", "steps": 0, "tokens_total": 0,
                "outcome": "", "ignored_events": 0}


def test_P1_run_events_fold_into_run_summary(target: DeclaredModuleSession) -> None:
    """P1: the folds of run.created/step/completed/cancelled, the new-row defaults, and
    only ignored_events (and last_seq) moving once a run is completed or cancelled."""
    completed = journal_of(
        "run:done:events",
        ("run.created", {"owner": "alice"}),
        ("run.step", {"tokens": 5}),
        ("run.step", {"tokens": 0}),
        ("run.created", {"owner": "mallory"}),
        ("run.completed", {"outcome": "failure"}),
        ("run.step", {"tokens": 9}),
        ("run.cancelled", {"reason": "late"}),
        ("run.created", {"owner": "eve"}),
    )
    cancelled = journal_of(
        "run:stop:events",
        ("run.step", {"tokens": 2}),
        ("run.cancelled", {"reason": "user"}),
        ("run.completed", {"outcome": "success"}),
    )
    fresh = journal_of("run:new:events", ("run.created", {"owner": "bob"}))
    apply_all(target, completed + cancelled + fresh)
    assert table(target, "run_summary") == [
        {**RUN_DEFAULTS, "run_id": "done", "owner": "alice", "status": "completed", "steps": 2,
         "tokens_total": 5, "outcome": "failure", "ignored_events": 4, "last_seq": 8},
        {**RUN_DEFAULTS, "run_id": "new", "owner": "bob", "last_seq": 1},
        {**RUN_DEFAULTS, "run_id": "stop", "status": "cancelled", "steps": 1,
         "tokens_total": 2, "ignored_events": 1, "last_seq": 3},
    ]


def test_P2_worker_events_fold_into_worker_status(target: DeclaredModuleSession) -> None:
    """P2: a new row starts offline; online from offline opens a session; heartbeats count
    only while online, else they are ignored; offline sets offline."""
    apply_all(target, journal_of(
        "worker:w1:lifecycle",
        ("worker.heartbeat", {}),
        ("worker.online", {"region": "eu"}),
        ("worker.heartbeat", {"load": 3}),
        ("worker.online", {"region": "us"}),
        ("worker.offline", {"reason": "drain"}),
        ("worker.heartbeat", {}),
        ("worker.online", {"region": "ap"}),
    ))
    apply_all(target, journal_of("worker:w2:lifecycle", ("worker.offline", {"reason": "x"})))
    apply_all(target, journal_of("worker:w3:lifecycle", ("worker.online", {"region": "eu"}),
                                 ("worker.heartbeat", {})))
    assert table(target, "worker_status") == [
        {"worker_id": "w1", "status": "online", "region": "ap", "sessions": 2,
         "heartbeats": 1, "ignored_events": 2, "last_seq": 7},
        {"worker_id": "w2", "status": "offline", "region": "", "sessions": 0,
         "heartbeats": 0, "ignored_events": 0, "last_seq": 1},
        {"worker_id": "w3", "status": "online", "region": "eu", "sessions": 1,
         "heartbeats": 1, "ignored_events": 0, "last_seq": 2},
    ]


def test_P3_other_streams_take_notes_only_and_project_nothing(
    target: DeclaredModuleSession,
) -> None:
    """P3: fleet, codex and fallback streams accept `note {text}` only; no projection row."""
    others = ["fleet:user:u:workers", "fleet:guest:g:workers", "runtime.codex_worker_events",
              "ops:notes", "run::events"]
    for topic in others:
        apply_all(target, [Event(topic, 1, "note", {"text": "hello"}, BASE_MS)])
        for kind, payload in (("run.created", {"owner": "a"}), ("worker.heartbeat", {})):
            wrong = Event(topic, 2, kind, payload, BASE_MS).reducer_args()
            assert target.apply(wrong).error == "invalid_event kind", (topic, kind)
    for topic in ("run:r:events", "worker:w:lifecycle"):
        note = Event(topic, 1, "note", {"text": "hello"}, BASE_MS).reducer_args()
        assert target.apply(note).error == "invalid_event kind", topic
    snapshot = target.snapshot()
    assert len(snapshot["sync_event"]) == len(others)
    assert snapshot["run_summary"] == snapshot["worker_status"] == []


P4_BAD_PAYLOADS: list[tuple[str, str, dict[str, Any]]] = [
    ("run:r:events", "run.created", {}),
    ("run:r:events", "run.created", {"owner": 1}),
    ("run:r:events", "run.created", {"owner": None}),
    ("run:r:events", "run.step", {}),
    ("run:r:events", "run.step", {"tokens": -1}),
    ("run:r:events", "run.step", {"tokens": "1"}),
    ("run:r:events", "run.step", {"tokens": True}),
    ("run:r:events", "run.step", {"tokens": 1.5}),
    ("run:r:events", "run.completed", {"outcome": "ok"}),
    ("run:r:events", "run.completed", {}),
    ("run:r:events", "run.cancelled", {"reason": ["x"]}),
    ("worker:w:lifecycle", "worker.online", {}),
    ("worker:w:lifecycle", "worker.online", {"region": {"name": "eu"}}),
    ("worker:w:lifecycle", "worker.offline", {"reason": False}),
    ("ops:notes", "note", {}),
    ("ops:notes", "note", {"text": 7}),
]


def test_P4_missing_or_mistyped_payload_fields_are_invalid(
    target: DeclaredModuleSession,
) -> None:
    """P4: a required field missing or of the wrong type is `invalid_event payload`;
    fields beyond the required ones are allowed."""
    for topic, kind, payload in P4_BAD_PAYLOADS:
        reply = target.apply(Event(topic, 1, kind, payload, BASE_MS).reducer_args())
        assert reply.error == "invalid_event payload", (kind, payload)
    assert table(target, "sync_event") == []
    extra = Event(RUN, 1, "run.step", {"tokens": 18446744073709551615, "note": [1, {}]},
                  BASE_MS)
    assert target.apply(extra.reducer_args()).ok
    assert table(target, "run_summary")[0]["tokens_total"] == 18446744073709551615
