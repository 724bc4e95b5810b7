"""Client resume (R1-R4) against a real server: the module's `resume_stream` answers and
the reference client (stub.client) that acts on them.

The client is judged by what it exposes: its steps (each resume answer, snapshot and
delivered seq, in order), its view and its cursor, compared with the module's tables.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from harness.contract.events import Event
from harness.contract.snapshot import snapshot_json
from harness.contract.streams import projection_key, stream_family
from harness.env.stack import Database
from harness.targets.spacetime_module import DeclaredModuleSession
from stub.client import Delivered, Resumed, ResumingClient, SnapshotLoaded, StreamView
from tests.journals import journal_of

# A stream id with a quote: an unescaped SQL literal breaks on it (R1).
RUN = "run:o'neil:events"
RUN_STREAM = "runtime.run.o'neil.events"
WORKER = "worker:w'1:lifecycle"
NOTES = "ops:it's%notes"


def run_journal(count: int, topic: str = RUN) -> list[Event]:
    return journal_of(topic, ("run.created", {"owner": "alice"}),
                      *[("run.step", {"tokens": n}) for n in range(1, count)])


def apply_all(target: DeclaredModuleSession, events: list[Event]) -> None:
    for event in events:
        reply = target.apply(event.reducer_args())
        assert reply.ok, f"{event.idempotency_key}: {reply.error}"


def stale(codes: str, stream_id: str, *, after: int, oldest_cursor: int, head: int,
          budget: int) -> str:
    """R3's text, spelled out here rather than by harness.contract."""
    return (f"stale_cursor reason={codes} stream_id={stream_id} requested_after_seq={after}"
            f" oldest_available_cursor={oldest_cursor} head_cursor={head}"
            f" replay_budget={budget}")


def module_head(target: DeclaredModuleSession, stream_id: str) -> int:
    rows = [row for row in target.snapshot()["stream_head"] if row["stream_id"] == stream_id]
    return int(rows[0]["head_seq"]) if rows else 0


def module_view(target: DeclaredModuleSession, stream_id: str, base_seq: int) -> StreamView:
    """The module's tables as a view based at `base_seq`: the stream's projection rows
    (as of now, so comparable while `base_seq` is the head) and its events after it."""
    snapshot = target.snapshot()
    family, key = stream_family(stream_id), projection_key(stream_id)
    projected = {"run": ("run_summary", "run_id"), "worker": ("worker_status", "worker_id")}
    projection: tuple[dict[str, object], ...] = ()
    if family in projected:
        name, column = projected[family]
        projection = tuple(row for row in snapshot[name] if row[column] == key)
    events = sorted((row for row in snapshot["sync_event"]
                     if row["stream_id"] == stream_id and row["seq"] > base_seq),
                    key=lambda row: int(row["seq"]))
    return StreamView(base_seq, projection, events)


@pytest.fixture
def client(database: Database, target: DeclaredModuleSession) -> Iterator[ResumingClient]:
    """The reference client, as a client identity of its own."""
    token = target.client_token("reader")
    with ResumingClient(database.url, database.name, token, timeout=10) as resuming:
        yield resuming


# --- R1 -----------------------------------------------------------------------------------


def test_R1_module_resume_stream_is_open_to_any_client_and_changes_nothing(
    target: DeclaredModuleSession,
) -> None:
    """R1: any client may call resume_stream; it answers and writes nothing. A stream id
    that names no topic is `invalid_event stream_id`."""
    apply_all(target, run_journal(4))
    before = snapshot_json(target.snapshot())
    assert target.resume("alice", RUN_STREAM, 2, 10).ok
    assert target.resume("bob", RUN_STREAM, 4, 0).ok
    assert target.resume("bob", RUN_STREAM, 9, 0).error == stale(
        "cursor_ahead_of_head", RUN_STREAM, after=9, oldest_cursor=0, head=4, budget=0)
    assert target.resume("bob", "runtime.topic.a%2eb", 0, 0).error == "invalid_event stream_id"
    assert snapshot_json(target.snapshot()) == before


def test_R1_client_resumes_then_subscribes_to_its_stream_only(
    target: DeclaredModuleSession, client: ResumingClient
) -> None:
    """R1: the client calls resume_stream first, then subscribes to the stream's events
    after its cursor, with the quote in the stream id escaped; no other stream leaks in."""
    neighbours = [run_journal(3, "run:o:events"), run_journal(3, "run:o'neil:events:x:events")]
    for journal in [run_journal(5), *neighbours]:
        apply_all(target, journal)
    answer = client.resume(RUN_STREAM, 1, 10)
    assert answer == Resumed(1, 10, None)
    assert client.steps(RUN_STREAM) == (answer, *(Delivered(seq) for seq in (2, 3, 4, 5)))
    assert {row["stream_id"] for row in client.view(RUN_STREAM).events} == {RUN_STREAM}


# --- R2 -----------------------------------------------------------------------------------


def test_R2_client_sees_exactly_the_gap_once_in_order_then_live_events(
    target: DeclaredModuleSession, client: ResumingClient
) -> None:
    """R2: every event in (c, head] once, in seq order, then live events; nothing at or
    below the cursor, nothing twice even when the publisher redelivers."""
    journal = run_journal(10)
    apply_all(target, journal[:6])
    assert client.resume(RUN_STREAM, 2, 10).ok
    apply_all(target, journal[6:])
    apply_all(target, journal[3:8])  # duplicates: success, no change (M1.3)
    client.pump(RUN_STREAM, until_seq=10, timeout=10)
    client.pump(RUN_STREAM, timeout=0.5)
    assert client.delivered(RUN_STREAM) == list(range(3, 11))
    assert client.view(RUN_STREAM).events == module_view(target, RUN_STREAM, 2).events


def test_R2_reconnecting_from_its_own_cursor_delivers_only_what_is_new(
    target: DeclaredModuleSession, client: ResumingClient
) -> None:
    """R2 across reconnects: a client that resumes from the cursor it reached sees each
    event once over all its connections."""
    journal = journal_of(WORKER, ("worker.online", {"region": "eu"}),
                         *[("worker.heartbeat", {"n": n}) for n in range(7)])
    stream_id = journal[0].stream_id
    apply_all(target, journal[:3])
    assert client.resume(stream_id, 0, 10).ok
    client.pump(stream_id, until_seq=3, timeout=10)
    apply_all(target, journal[3:6])
    assert client.reconnect(stream_id) == Resumed(3, 10, None)
    apply_all(target, journal[6:])
    client.pump(stream_id, until_seq=8, timeout=10)
    client.pump(stream_id, timeout=0.5)
    assert client.delivered(stream_id) == list(range(1, 9))
    assert [type(step).__name__ for step in client.steps(stream_id)].count("Resumed") == 2


# --- R3 -----------------------------------------------------------------------------------


@pytest.fixture
def compacted(target: DeclaredModuleSession) -> DeclaredModuleSession:
    """RUN with head 10 and oldest_seq 4: oldest_available_cursor = 3."""
    apply_all(target, run_journal(10))
    assert target.compact(RUN_STREAM, 3).ok
    return target


R3_SINGLE_CODES = [
    (2, 8, "retention_floor_breach"),
    (3, 6, "replay_budget_exceeded"),
    (11, 0, "cursor_ahead_of_head"),
    (12, 100, "cursor_ahead_of_head"),
]


@pytest.mark.parametrize(("after", "budget", "code"), R3_SINGLE_CODES)
def test_R3_each_code_alone_with_the_exact_text(
    compacted: DeclaredModuleSession, after: int, budget: int, code: str
) -> None:
    """R3: retention_floor_breach if c < oldest-1, replay_budget_exceeded if head-c > b,
    cursor_ahead_of_head if c > head; the exact text with every field."""
    assert compacted.resume("alice", RUN_STREAM, after, budget).error == stale(
        code, RUN_STREAM, after=after, oldest_cursor=3, head=10, budget=budget)


def test_R3_codes_combine_in_the_contract_order(compacted: DeclaredModuleSession) -> None:
    """R3: codes comma-joined in the order retention, budget, ahead."""
    both = "retention_floor_breach,replay_budget_exceeded"
    for after, budget in ((2, 7), (0, 0), (0, 9)):
        assert compacted.resume("alice", RUN_STREAM, after, budget).error == stale(
            both, RUN_STREAM, after=after, oldest_cursor=3, head=10, budget=budget)


def test_R3_boundary_cursors_resume(compacted: DeclaredModuleSession) -> None:
    """R3: c = oldest-1, head-c = b and c = head are all allowed."""
    for after, budget in ((3, 7), (5, 5), (10, 0), (9, 1)):
        assert compacted.resume("alice", RUN_STREAM, after, budget).ok, (after, budget)


def test_R3_empty_stream_resumes_at_zero_only(target: DeclaredModuleSession) -> None:
    """R3: on a stream with no events c = 0 resumes and c > 0 is cursor_ahead_of_head."""
    empty = "runtime.topic.never%2Eused"
    assert target.resume("alice", empty, 0, 0).ok
    assert target.resume("alice", empty, 1, 5).error == stale(
        "cursor_ahead_of_head", empty, after=1, oldest_cursor=0, head=0, budget=5)


def test_R3_fully_compacted_stream_resumes_at_its_head_only(
    target: DeclaredModuleSession,
) -> None:
    """R3 with nothing stored: oldest-1 = head, so only c = head resumes."""
    apply_all(target, run_journal(5))
    assert target.compact(RUN_STREAM, 5).ok
    assert target.resume("alice", RUN_STREAM, 5, 0).ok
    assert target.resume("alice", RUN_STREAM, 4, 1).error == stale(
        "retention_floor_breach", RUN_STREAM, after=4, oldest_cursor=5, head=5, budget=1)


def test_R3_client_reports_the_exact_stale_text(
    compacted: DeclaredModuleSession, client: ResumingClient
) -> None:
    """R3 as the client sees it: its resume outcome is the module's exact text."""
    answer = client.resume(RUN_STREAM, 2, 7)
    assert answer.stale
    assert answer.error == stale("retention_floor_breach,replay_budget_exceeded", RUN_STREAM,
                                 after=2, oldest_cursor=3, head=10, budget=7)


# --- R4 -----------------------------------------------------------------------------------


def test_R4_recovery_by_snapshot_leaves_the_view_equal_to_the_module(
    compacted: DeclaredModuleSession, client: ResumingClient
) -> None:
    """R4: on stale_cursor the client drops its view, loads the projection and head,
    resumes from that head (never from the refused cursor) and its view equals the
    module's; live events then follow from head+1."""
    error = stale("retention_floor_breach", RUN_STREAM, after=2, oldest_cursor=3, head=10,
                  budget=100)
    assert client.resume(RUN_STREAM, 2, 100) == Resumed(2, 100, error)
    assert client.steps(RUN_STREAM) == (
        Resumed(2, 100, error), SnapshotLoaded(10), Resumed(10, 100, None))
    assert client.view(RUN_STREAM) == module_view(compacted, RUN_STREAM, 10)
    assert client.view(RUN_STREAM).projection[0]["steps"] == 9
    more = run_journal(12)[10:]
    apply_all(compacted, more)
    client.pump(RUN_STREAM, until_seq=12, timeout=10)
    assert client.delivered(RUN_STREAM) == [11, 12]
    assert client.view(RUN_STREAM).events == module_view(compacted, RUN_STREAM, 10).events
    assert client.cursor(RUN_STREAM) == module_head(compacted, RUN_STREAM)


@pytest.mark.parametrize(("topic", "cursor", "budget"), [
    (WORKER, 0, 2),     # replay_budget_exceeded
    (WORKER, 9, 100),   # cursor_ahead_of_head
    (NOTES, 1, 0),      # replay_budget_exceeded, no projection (P3)
])
def test_R4_recovers_from_every_stale_code_on_every_family(
    target: DeclaredModuleSession, client: ResumingClient, topic: str, cursor: int, budget: int
) -> None:
    """R4 for budget and ahead-of-head refusals, on worker and note streams: the view
    after recovery is the module's (for notes: the head and no projection rows)."""
    if topic == WORKER:
        journal = journal_of(topic, ("worker.online", {"region": "eu"}),
                             *[("worker.heartbeat", {}) for _ in range(5)])
    else:
        journal = journal_of(topic, *[("note", {"text": f"n{n}"}) for n in range(6)])
    apply_all(target, journal)
    stream_id = journal[0].stream_id
    answer = client.resume(stream_id, cursor, budget)
    assert answer.stale
    assert client.steps(stream_id)[1:] == (SnapshotLoaded(6), Resumed(6, budget, None))
    assert client.view(stream_id) == module_view(target, stream_id, 6)
    assert client.delivered(stream_id) == []


def test_R4_recovery_on_an_empty_stream_then_live_events(
    target: DeclaredModuleSession, client: ResumingClient
) -> None:
    """R4 on a stream with no events: a cursor ahead of the empty head recovers to head 0,
    and the events that follow are delivered from seq 1."""
    answer = client.resume(RUN_STREAM, 3, 5)
    assert answer.error == stale("cursor_ahead_of_head", RUN_STREAM, after=3, oldest_cursor=0,
                                 head=0, budget=5)
    assert client.view(RUN_STREAM) == StreamView(0)
    apply_all(target, run_journal(2))
    client.pump(RUN_STREAM, until_seq=2, timeout=10)
    assert client.steps(RUN_STREAM) == (
        answer, SnapshotLoaded(0), Resumed(0, 5, None), Delivered(1), Delivered(2))
    view = client.view(RUN_STREAM)
    assert (view.base_seq, view.projection) == (0, ())
    assert view.events == module_view(target, RUN_STREAM, 0).events
