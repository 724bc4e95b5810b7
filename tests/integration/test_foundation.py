"""The foundation against a real SpacetimeDB: publish, apply, read back, subscribe, crash.

Each test publishes the reference module under a fresh database name, so the tests are
independent. The oracle (harness.model) states what the tables must hold.
"""

from __future__ import annotations

import time

from harness.contract.events import Event
from harness.contract.snapshot import contract_tables, snapshot_json
from harness.env.stack import Database, Stack
from harness.model.project import project
from harness.spacetime.http import SpacetimeHttp
from harness.spacetime.ws import SpacetimeSubscriber
from harness.targets.base import ReplyStatus
from harness.targets.spacetime_module import DeclaredModuleSession
from tests.journals import BASE_MS, journal_of, mixed_journal


def apply_all(target: DeclaredModuleSession, journal: list[Event]) -> None:
    for event in journal:
        reply = target.apply(event.reducer_args())
        assert reply.ok, f"{event.idempotency_key}: {reply.error}"


def test_init_records_the_publishing_identity(database: Database) -> None:
    rows = database.http().sql(database.name, "SELECT * FROM module_publisher")
    assert [row["publisher"] for row in rows] == [database.owner.identity]


def test_M1_applied_events_read_back_through_sql_equal_the_oracle(
    target: DeclaredModuleSession,
) -> None:
    journal = mixed_journal()
    apply_all(target, journal)
    observed = target.snapshot()
    assert snapshot_json(contract_tables(observed)) == snapshot_json(project(journal))
    assert [row["head_seq"] for row in observed["stream_head"]] == [3, 6, 5]


def test_M1_live_subscription_sees_inserts_in_seq_order(
    database: Database, target: DeclaredModuleSession
) -> None:
    journal = journal_of("run:live:events", ("run.created", {"owner": "o"}),
                         *[("run.step", {"tokens": n}) for n in range(19)])
    stream_id = journal[0].stream_id
    client = SpacetimeHttp(database.url).create_identity()
    with SpacetimeSubscriber.connect(database.url, database.name, client.token, timeout=10) as sub:
        initial = sub.subscribe([f"SELECT * FROM sync_event WHERE stream_id = '{stream_id}'"],
                                timeout=10)
        assert initial.get("sync_event", []) == []
        apply_all(target, journal)
        seen: list[int] = []
        while len(seen) < len(journal):
            update = sub.next_transaction(timeout=10)
            if "sync_event" in update.tables:
                seen += [row["seq"] for row in update.tables["sync_event"].inserts]
    assert seen == list(range(1, len(journal) + 1))


def test_M1_duplicate_delivery_succeeds_and_changes_nothing(
    target: DeclaredModuleSession,
) -> None:
    journal = mixed_journal()
    apply_all(target, journal)
    before = snapshot_json(target.snapshot())
    for event in journal[:5]:
        assert target.apply(event.reducer_args()).ok
    assert snapshot_json(target.snapshot()) == before


def test_M1_M2_conflicting_content_is_refused_and_changes_nothing(
    target: DeclaredModuleSession,
) -> None:
    journal = journal_of("run:c:events", ("run.created", {"owner": "a"}),
                         ("run.step", {"tokens": 1}))
    apply_all(target, journal)
    before = snapshot_json(target.snapshot())
    forged = Event(journal[1].topic, 2, "run.step", {"tokens": 999}, journal[1].published_at_ms)
    reply = target.apply(forged.reducer_args())
    assert reply.status is ReplyStatus.FAIL
    assert reply.error is not None and reply.error.startswith("idempotency_conflict")
    assert snapshot_json(target.snapshot()) == before


def test_M1_gap_is_a_sequence_conflict_with_the_expected_next_seq(
    target: DeclaredModuleSession,
) -> None:
    journal = journal_of("worker:g:lifecycle", ("worker.online", {"region": "x"}),
                         ("worker.heartbeat", {}), ("worker.heartbeat", {}))
    assert target.apply(journal[0].reducer_args()).ok
    reply = target.apply(journal[2].reducer_args())
    assert reply.error == "sequence_conflict expected_next_seq=2 actual_seq=3"
    assert [row["seq"] for row in target.snapshot()["sync_event"]] == [1]


def test_M1_only_the_publisher_may_apply(target: DeclaredModuleSession) -> None:
    event = Event("run:auth:events", 1, "run.created", {"owner": "x"}, BASE_MS)
    reply = target.apply(event.reducer_args(), caller="intruder")
    assert reply.error is not None and reply.error.startswith("unauthorized")
    assert target.snapshot()["sync_event"] == []


def test_committed_rows_survive_kill_9_and_restart(
    stack: Stack, target: DeclaredModuleSession
) -> None:
    assert stack.server is not None, "needs a container the harness started"
    journal = mixed_journal()
    apply_all(target, journal)
    before = snapshot_json(target.snapshot())
    time.sleep(1.2)  # SpacetimeDB 1.2 fsyncs its commitlog every 500 ms
    stack.server.kill9()
    stack.server.restart()
    assert snapshot_json(target.snapshot()) == before
