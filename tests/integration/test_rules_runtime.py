"""The runtime's rules against its container and a real SpacetimeDB: the journal (E1-E6,
S1), the publisher (B1-B6), bad input at its API, and kill -9 of either container.

Each test publishes a fresh module and points the session's runtime container at it, which
starts the runtime over with an empty journal. The yardstick is the oracle's projection of
the runtime's journal as read back through the API (see runtime_support). The in-process
unit tests (tests/unit/test_runtime_*.py) cover the same code against a fake server; these
check what only the real pair can show: the module's own verdicts, its hashes, a process
that really dies, a server that really goes away.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any

import pytest

from harness.contract.events import Event, hash_input
from harness.contract.snapshot import contract_tables, snapshot_json
from harness.contract.streams import stream_of
from harness.drivers.runtime import RuntimeClient, RuntimeRefused
from harness.env.services import ServiceContainer
from harness.env.stack import Database, Stack
from harness.model.project import project
from harness.spacetime.http import SpacetimeHttp
from harness.targets.spacetime_module import DeclaredModuleSession
from tests.integration.runtime_support import (
    Appender,
    assert_module_holds_the_journal,
    dead_letters,
    exit_status,
    feed,
    in_topic_order,
    journal,
    settle,
    spacetimedb_down,
    status_when,
    topics_of,
    undelivered,
    workload,
)
from tests.journals import BASE_MS, journal_of, mixed_journal

CRASH_EXIT_STATUS = 70  # what the runtime exits with at an injected crash
SIGKILL_EXIT_STATUS = 137
RETRIES = 6  # with the runtime's default backoff (50 ms doubling, at most 2 s): about 3 s
MIXED_TOPICS = ("run:r1:events", "worker:w1:lifecycle", "fleet:user:u1:workers")


@pytest.fixture
def server(stack: Stack) -> ServiceContainer:
    """The session's SpacetimeDB container (these tests kill it)."""
    assert stack.server is not None, "the runtime needs containers the harness starts"
    return stack.server


@pytest.fixture
def runtime(
    runtime_service: ServiceContainer, server: ServiceContainer, database: Database
) -> Iterator[RuntimeClient]:
    """The runtime container, publishing into this test's fresh module as its owner."""
    client = RuntimeClient(runtime_service.url)
    if not client.healthy():  # a crash test that failed before restarting it
        runtime_service.restart()
    client.set_target(server.internal_url, database.name, database.owner.token)
    yield client
    client.close()


def _refusal(runtime: RuntimeClient, body: dict[str, Any] | bytes) -> RuntimeRefused:
    with pytest.raises(RuntimeRefused) as caught:
        runtime.append_body(body)
    return caught.value


# E1-E6, S1: the journal.


@pytest.mark.parametrize(
    "topic",
    ["", "run:a b:events", "run:a\tb:events", "run:\x07:events", "run:a:events\u2028", "x" * 257],
    ids=["empty", "space", "tab", "control", "line-separator", "257-chars"],
)
def test_E1_bad_topic_is_refused_and_never_journaled(runtime: RuntimeClient, topic: str) -> None:
    refusal = _refusal(
        runtime, {"topic": topic, "kind": "note", "payload_json": '{"text":"t"}'}
    )
    assert (refusal.status, refusal.code) == (400, "invalid_topic")
    status = runtime.status()
    assert (status.journal_events, status.streams) == (0, ())
    with pytest.raises(RuntimeRefused) as read:
        runtime.journal(topic)
    assert read.value.code == "invalid_topic"
    # The longest valid topic is accepted: the limit is 256, not less.
    longest = "x" * 256
    assert runtime.append(longest, "note", {"text": "t"}).seq == 1


def test_E2_seqs_start_at_1_per_topic_and_follow_head_plus_1(
    runtime: RuntimeClient, target: DeclaredModuleSession
) -> None:
    events = workload("e2", per_topic=4)
    journaled = feed(runtime, events)
    assert [(e.topic, e.seq) for e in journaled] == [(e.topic, e.seq) for e in events]
    for topic in topics_of("e2"):
        page = runtime.journal(topic)
        assert page.head_seq == 4
        assert [e.seq for e in page.events] == [1, 2, 3, 4]
        assert [e.seq for e in runtime.journal(topic, after_seq=2).events] == [3, 4]
    assert undelivered(settle(runtime)) == {}
    assert_module_holds_the_journal(runtime, target, topics_of("e2"))


def test_E3_journal_is_byte_identical_after_kill_9_and_restart_and_replays_send_it(
    runtime: RuntimeClient, runtime_service: ServiceContainer, target: DeclaredModuleSession
) -> None:
    """Times are the runtime's own clock's (no published_at sent), the events journaled
    while delivery is paused, so the module receives them only after the restart: what it
    stores must be the journaled event, not a re-stamped one."""
    topics = topics_of("e3")
    runtime.faults(pause=True)
    for topic, kind, payload in zip(
        topics, ("run.created", "worker.online", "note"),
        ({"owner": "o"}, {"region": "r"}, {"text": "t"}), strict=True,
    ):
        for _ in range(3):
            runtime.append(topic, kind, payload)
    before = {topic: runtime.journal(topic) for topic in topics}
    runtime_service.kill9()
    runtime_service.restart()
    after = {topic: runtime.journal(topic) for topic in topics}
    assert {t: p.body for t, p in after.items()} == {t: p.body for t, p in before.items()}
    assert after == before
    assert settle(runtime).paused_all  # the pause was recorded, and survived the crash
    runtime.faults(resume=True)
    assert undelivered(settle(runtime)) == {}
    stored = {row["idempotency_key"]: row for row in target.snapshot()["sync_event"]}
    for page in before.values():
        for event in page.events:
            row = stored[event.idempotency_key]
            assert (row["published_at_ms"], row["payload_json"], row["payload_hash"]) == (
                event.published_at_ms, event.payload_json, event.payload_hash,
            )


def test_E4_E5_journaled_payloads_and_hashes_are_the_canonical_ones(
    runtime: RuntimeClient, target: DeclaredModuleSession
) -> None:
    # Written by hand, not by harness.contract, as a fixed point for the recomputation below.
    anchor = runtime.append(
        "run:e4:events", "run.created",
        '{ "owner" : "Zoë", "meta": {"b": [1, -2, 18446744073709551615], "a": "ü ✓"} }',
        BASE_MS + 7,
    )
    canonical = '{"meta":{"a":"ü ✓","b":[1,-2,18446744073709551615]},"owner":"Zoë"}'
    hashed = (
        '{"kind":"run.created","payload":' + canonical + ',"published_at":'
        '"2023-11-14T22:13:20.007Z","seq":1,"topic":"run:e4:events"}'
    )
    assert anchor.payload_json == canonical
    assert anchor.payload_hash == "sha256:" + hashlib.sha256(hashed.encode()).hexdigest()
    others = [
        runtime.append("run:e4:events", "run.step", '{"tokens":3,"z":null,"a":[{"y":1,"x":[]}]}'),
        runtime.append("worker:ü:lifecycle", "worker.online", '{"region":"\\u00e9\\ud83d\\ude00"}'),
        runtime.append("misc:%.:x", "note", {"text": "\"quoted\" \\ back / slash"}),
    ]
    for event in [anchor, *others]:
        payload = json.loads(event.payload_json)
        assert event.payload_json == json.dumps(
            payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False
        )
        expected = hash_input(event.topic, event.seq, event.kind, payload, event.published_at_ms)
        assert event.payload_hash == "sha256:" + hashlib.sha256(expected.encode()).hexdigest()
        assert event.payload_hash == event.contract_event().payload_hash
    # The module recomputes every hash in Rust (M1): a mismatch would be dead-lettered.
    status = settle(runtime)
    assert (dead_letters(status), undelivered(status)) == ({}, {})
    topics = ["run:e4:events", "worker:ü:lifecycle", "misc:%.:x"]
    assert_module_holds_the_journal(runtime, target, topics)


def test_E6_identity_is_topic_and_seq_so_equal_content_is_two_events(
    runtime: RuntimeClient, target: DeclaredModuleSession
) -> None:
    topic = "fleet:user:a:b:workers"
    first, second = (runtime.append(topic, "note", {"text": "same"}, BASE_MS) for _ in range(2))
    assert (first.seq, second.seq) == (1, 2)
    assert first.idempotency_key == "topic:fleet:user:a:b:workers:seq:1"
    assert second.idempotency_key == "topic:fleet:user:a:b:workers:seq:2"
    assert first.payload_hash != second.payload_hash  # the seq is hashed too (E5)
    assert undelivered(settle(runtime)) == {}
    keys = [row["idempotency_key"] for row in target.snapshot()["sync_event"]]
    assert keys == [first.idempotency_key, second.idempotency_key]


# Written out by hand: the S1 table, not harness.contract.streams, is the reference.
S1_STREAMS = {
    "run:r-1:events": "runtime.run.r-1.events",
    "worker:w.1:lifecycle": "runtime.worker.w.1.lifecycle",
    "fleet:user:u1:workers": "runtime.fleet.user.u1.workers",
    "fleet:user:a:b:workers": "runtime.fleet.user.a:b.workers",
    "fleet:guest:g1:workers": "runtime.fleet.guest.g1.workers",
    "runtime.codex_worker_events": "runtime.codex.worker.events",
    "misc.a%b:c": "runtime.topic.misc%2Ea%25b.c",
    "run::events": "runtime.topic.run..events",  # an empty <id> fits no specific row
}
S1_FIRST_EVENTS = {"run": ("run.created", {"owner": "o"}), "worker": ("worker.heartbeat", {})}


def test_S1_the_publisher_uses_the_contract_stream_ids(
    runtime: RuntimeClient, target: DeclaredModuleSession
) -> None:
    for topic, stream_id in S1_STREAMS.items():
        family = stream_id.split(".")[1]
        kind, payload = S1_FIRST_EVENTS.get(family, ("note", {"text": topic}))
        assert runtime.append(topic, kind, payload).stream_id == stream_id
        assert runtime.journal(topic).stream_id == stream_id
    status = settle(runtime)
    assert {s.topic: s.stream_id for s in status.streams} == S1_STREAMS
    assert undelivered(status) == {}
    heads = {row["stream_id"]: row["head_seq"] for row in target.snapshot()["stream_head"]}
    assert heads == dict.fromkeys(S1_STREAMS.values(), 1)


# B1-B6: the publisher.


def test_B1_with_every_delivery_duplicated_the_module_equals_the_oracle(
    runtime: RuntimeClient, target: DeclaredModuleSession
) -> None:
    events = mixed_journal()
    runtime.faults(pause=True)
    assert [e.contract_event() for e in feed(runtime, events)] == events
    runtime.faults(duplicate_next=len(events), resume=True)
    status = settle(runtime)
    assert status.pending_faults.duplicate_next == 0  # every duplicate was sent
    assert (dead_letters(status), undelivered(status)) == ({}, {})
    assert_module_holds_the_journal(runtime, target, MIXED_TOPICS)


def test_B2_with_late_resends_of_n_minus_1_per_stream_order_holds(
    runtime: RuntimeClient, target: DeclaredModuleSession
) -> None:
    """A stale resend of n-1 after n is a duplicate to the module; but a publisher that
    sent n+1 before n was acknowledged would meet a sequence_conflict, dead-letter it, and
    the snapshot would differ."""
    events = workload("b2", per_topic=12)
    runtime.faults(pause=True)
    feed(runtime, events)
    runtime.faults(reorder_next=sum(e.seq > 1 for e in events), resume=True)
    status = settle(runtime)
    assert status.pending_faults.reorder_next == 0  # every stale resend was sent
    assert (dead_letters(status), undelivered(status)) == ({}, {})
    assert_module_holds_the_journal(runtime, target, topics_of("b2"))


def test_B3_unauthorized_is_dead_lettered_with_its_reason_and_the_stream_paused(
    runtime: RuntimeClient, server: ServiceContainer, database: Database,
    target: DeclaredModuleSession,
) -> None:
    stranger = SpacetimeHttp(database.url).create_identity()
    runtime.set_target(server.internal_url, database.name, stranger.token)
    feed(runtime, workload("b3", per_topic=3))
    status = settle(runtime)  # quiescent: held, not retrying forever
    assert (status.paused_streams, status.dead_lettered_streams) == (3, 3)
    for stream in status.streams:
        assert stream.dead_letter is not None
        assert stream.dead_letter.seq == 1
        assert stream.dead_letter.reason.startswith("unauthorized")
        assert stream.dead_letter.delivery == "primary"
        assert (stream.paused, stream.delivered_head, stream.outbox_depth) == (True, 0, 3)
        assert (stream.last_error, stream.consecutive_failures) == ("", 0)
    assert target.snapshot()["sync_event"] == []


def test_B1_templated_arguments_reach_the_real_module(
    runtime: RuntimeClient, server: ServiceContainer, database: Database,
    target: DeclaredModuleSession,
) -> None:
    """The reference's arguments written as other templates (key and hash as formatted
    text): the container renders them, and the real module accepts every event."""
    args = ["{stream_id}", "{seq}", "topic:{topic}:seq:{seq}", "{kind}", "{payload_json}",
            "sha256:{payload_hash_hex}", "{published_at_ms}"]
    runtime.set_target(server.internal_url, database.name, database.owner.token, args=args,
                       permanent_errors=[r"^sequence_conflict\b"])
    feed(runtime, workload("tpl", per_topic=3))
    status = settle(runtime)
    assert (dead_letters(status), undelivered(status)) == ({}, {})
    assert_module_holds_the_journal(runtime, target, topics_of("tpl"))


def test_B3_permanent_errors_are_the_targets_patterns(
    runtime: RuntimeClient, server: ServiceContainer, database: Database,
) -> None:
    """With patterns that do not cover `unauthorized`, the module's refusal of a stranger
    is retried as transient; with the default patterns it is dead-lettered (above)."""
    stranger = SpacetimeHttp(database.url).create_identity()
    runtime.set_target(server.internal_url, database.name, stranger.token,
                       permanent_errors=[r"^E_NOT_THIS_MODULE"])
    feed(runtime, workload("pat", per_topic=1))
    status = status_when(runtime, "3 streams retrying", lambda s: len(s.streams) == 3 and all(
        stream.consecutive_failures >= 2 for stream in s.streams))
    for stream in status.streams:
        assert stream.last_error.startswith("unauthorized")
        assert (stream.dead_letter, stream.paused) == (None, False)


def test_B3_an_unknown_reducer_is_dead_lettered_with_the_servers_answer(
    runtime: RuntimeClient, server: ServiceContainer, database: Database,
) -> None:
    runtime.set_target(server.internal_url, database.name, database.owner.token,
                       reducer="apply_events")
    feed(runtime, workload("red", per_topic=1))
    status = settle(runtime)
    assert status.dead_lettered_streams == 3
    for stream in status.streams:
        assert stream.dead_letter is not None
        assert stream.dead_letter.reason.startswith("http 404"), stream.dead_letter.reason


def test_B3_conflicting_event_is_dead_lettered_and_stays_so_after_a_resume(
    runtime: RuntimeClient, target: DeclaredModuleSession
) -> None:
    """The module already holds another event with the identity (topic, 1): a conflict
    (E6), never a duplicate. Resuming retries it once and holds the stream again: the
    event is neither dropped nor retried forever."""
    topic = "run:b3c:events"
    intruder = Event(topic, 1, "run.created", {"owner": "mallory"}, BASE_MS)
    assert target.apply(intruder.reducer_args()).ok
    created, step = ("run.created", {"owner": "alice"}), ("run.step", {"tokens": 2})
    feed(runtime, journal_of(topic, created, step))
    for _ in range(2):
        stream = settle(runtime).stream(stream_of(topic))
        assert stream.dead_letter is not None
        assert (stream.dead_letter.seq, stream.dead_letter.delivery) == (1, "primary")
        assert stream.dead_letter.reason.startswith("idempotency_conflict")
        assert (stream.paused, stream.delivered_head, stream.outbox_depth) == (True, 0, 2)
        runtime.faults(stream_of(topic), resume=True)
    assert snapshot_json(contract_tables(target.snapshot())) == snapshot_json(project([intruder]))


def test_B3_transient_failure_spacetimedb_killed_is_retried_and_delivered_after_restart(
    runtime: RuntimeClient, server: ServiceContainer, target: DeclaredModuleSession
) -> None:
    """The outage lasts for `RETRIES` failed tries of one stream, a few seconds of the
    runtime's backoff, so a publisher that gives up after a handful of tries (dropping
    or dead-lettering the event) is caught with the event out of its outbox."""
    events = workload("b3t", per_topic=4)
    feed(runtime, events[:3])
    settle(runtime)
    run_stream = stream_of(topics_of("b3t")[0])
    with spacetimedb_down(server):
        feed(runtime, events[3:])
        status = status_when(runtime, f"{RETRIES} failed tries of the run stream",
                             lambda s: s.stream(run_stream).consecutive_failures >= RETRIES)
        retrying = status.stream(run_stream)
        assert retrying.last_error and retrying.in_flight
        assert (retrying.dead_letter, retrying.paused) == (None, False)
        assert (retrying.delivered_head, retrying.outbox_depth) == (1, 3)
    status = settle(runtime)
    assert (dead_letters(status), undelivered(status)) == ({}, {})
    stream = status.stream(run_stream)
    assert (stream.last_error, stream.consecutive_failures) == ("", 0)
    assert_module_holds_the_journal(runtime, target, topics_of("b3t"))


def test_B4_dead_lettered_and_paused_streams_do_not_hold_up_another(
    runtime: RuntimeClient, target: DeclaredModuleSession
) -> None:
    refused, paused, flowing = "run:b4x:events", "worker:b4p:lifecycle", "fleet:user:b4:workers"
    intruder = Event(refused, 1, "run.created", {"owner": "mallory"}, BASE_MS)
    assert target.apply(intruder.reducer_args()).ok
    runtime.faults(stream_of(paused), pause=True)
    for index in range(3):
        runtime.append(refused, "run.created" if index == 0 else "run.step",
                       {"owner": "alice"} if index == 0 else {"tokens": index})
        runtime.append(paused, "worker.heartbeat", {})
        runtime.append(flowing, "note", {"text": f"{index}"})
    status = settle(runtime)
    assert undelivered(status) == {stream_of(refused): 3, stream_of(paused): 3}
    assert status.stream(stream_of(refused)).dead_letter is not None
    assert status.stream(stream_of(paused)).paused
    # While both stay held, the third stream keeps flowing.
    for index in range(3, 8):
        runtime.append(flowing, "note", {"text": f"{index}"})
    status = settle(runtime)
    assert status.stream(stream_of(flowing)).delivered_head == 8
    assert_module_holds_the_journal(runtime, target, [flowing], intruder)
    runtime.faults(stream_of(paused), resume=True)
    status = settle(runtime)
    assert undelivered(status) == {stream_of(refused): 3}
    assert_module_holds_the_journal(runtime, target, [paused, flowing], intruder)


@pytest.mark.parametrize("after_commit", [True, False], ids=["after-commit", "before-send"])
def test_B5_injected_crash_then_restart_reaches_the_journals_projection(
    runtime: RuntimeClient, runtime_service: ServiceContainer,
    target: DeclaredModuleSession, after_commit: bool,
) -> None:
    """After commit: the module committed the event and the runtime died before recording
    it, so it is sent again after the restart (a harmless duplicate, B1). Before send: the
    runtime died with the event unsent. Either way the spent fault must have been recorded
    before the crash, or the restarted runtime would crash again, forever."""
    events = mixed_journal()
    runtime.faults(pause=True)
    feed(runtime, events)
    run_stream = stream_of(MIXED_TOPICS[0])
    if after_commit:
        runtime.faults(run_stream, crash_after_commit_next=1)
    else:
        runtime.faults(run_stream, crash_before_send_next=1)
    runtime.faults(resume=True)
    assert exit_status(runtime_service) == CRASH_EXIT_STATUS
    runtime_service.restart()
    status = settle(runtime)
    assert status.pending_stream_faults == {}
    assert (dead_letters(status), undelivered(status)) == ({}, {})
    assert in_topic_order(journal(runtime, MIXED_TOPICS)) == in_topic_order(events)
    assert_module_holds_the_journal(runtime, target, MIXED_TOPICS)


def test_B5_kill_9_of_the_runtime_mid_stream_loses_no_journaled_event(
    runtime: RuntimeClient, runtime_service: ServiceContainer, target: DeclaredModuleSession
) -> None:
    """A backlog is being delivered and another connection keeps appending when the
    container is killed: every append that was answered must be in the journal after the
    restart, unchanged; delivery resumes; the module ends equal to the whole journal."""
    topics = topics_of("b5k")
    runtime.faults(pause=True)
    answered = feed(runtime, workload("b5k", per_topic=60))
    appender = Appender(runtime_service.url, "b5k")
    appender.start()
    runtime.faults(resume=True)
    before = status_when(runtime, "delivery under way", lambda s: s.delivered_events >= 30)
    runtime_service.kill9()
    answered += appender.stop()
    assert before.outbox_depth > 0 and appender.acknowledged, "the kill must come mid-stream"
    assert exit_status(runtime_service) == SIGKILL_EXIT_STATUS
    runtime_service.restart()
    journaled = {e.idempotency_key: e for t in topics for e in runtime.read_topic(t)}
    assert [journaled.get(e.idempotency_key) for e in answered] == answered
    for topic in topics:  # and no gap (E2): seqs 1..head
        head = runtime.journal(topic).head_seq
        assert [e.seq for e in runtime.read_topic(topic)] == list(range(1, head + 1))
    runtime.append(topics[2], "note", {"text": "after the restart"})
    status = settle(runtime)
    assert (dead_letters(status), undelivered(status)) == ({}, {})
    assert_module_holds_the_journal(runtime, target, topics)


def test_B5_B6_kill_9_of_spacetimedb_mid_stream_loses_no_journaled_event(
    runtime: RuntimeClient, server: ServiceContainer, target: DeclaredModuleSession
) -> None:
    """The journal grows before, during and after the outage, and the publisher is
    retrying when the server comes back. The kill comes after `FSYNC_QUIET_S` of quiet:
    SpacetimeDB 1.2 acknowledges commits before it fsyncs them (every 500 ms), so a kill
    in the middle of a delivery can make the server forget a commit it acknowledged. The
    runtime rightly never resends an acknowledged event (it is delivered, B1), so the
    module would then refuse the next seq (sequence_conflict) for a loss that is
    SpacetimeDB's. The test provokes only what the runtime must survive."""
    events = workload("b56", per_topic=30)
    first, second, third = events[:30], events[30:60], events[60:]
    answered = feed(runtime, first)
    settle(runtime)
    with spacetimedb_down(server):
        answered += feed(runtime, second)
        status_when(runtime, "a failed try",
                    lambda s: any(stream.consecutive_failures for stream in s.streams))
    answered += feed(runtime, third)  # while the outbox drains
    status = settle(runtime)
    assert (dead_letters(status), undelivered(status)) == ({}, {})
    assert [e.contract_event() for e in answered] == events
    assert in_topic_order(journal(runtime, topics_of("b56"))) == in_topic_order(events)
    assert_module_holds_the_journal(runtime, target, topics_of("b56"))


def test_B6_appends_succeed_while_spacetimedb_is_down_and_are_delivered_after(
    runtime: RuntimeClient, server: ServiceContainer, target: DeclaredModuleSession
) -> None:
    events = workload("b6", per_topic=5)
    with spacetimedb_down(server):
        answered = feed(runtime, events)
        assert [e.contract_event() for e in answered] == events
        assert in_topic_order(journal(runtime, topics_of("b6"))) == in_topic_order(events)
        status = runtime.status()
        assert (status.journal_events, status.delivered_events) == (15, 0)
    status = settle(runtime)
    assert (dead_letters(status), undelivered(status)) == ({}, {})
    assert_module_holds_the_journal(runtime, target, topics_of("b6"))


# Bad input at the runtime's API: refused with its code, journaling nothing.

RUN = "run:bad:events"
TOO_LARGE = "x" * (65536 - len('{"text":""}') + 1)


@pytest.mark.parametrize(
    ("body", "code"),
    [
        pytest.param({"topic": RUN, "kind": "run.step", "payload_json": '{"tokens":-1}'},
                     "invalid_payload", id="negative-tokens"),
        pytest.param({"topic": RUN, "kind": "run.created", "payload_json": "{}"},
                     "invalid_payload", id="missing-field"),
        pytest.param({"topic": RUN, "kind": "run.created", "payload_json": '["owner"]'},
                     "payload_not_object", id="payload-array"),
        pytest.param({"topic": RUN, "kind": "run.created", "payload_json": '{"owner":'},
                     "invalid_json", id="payload-not-json"),
        pytest.param({"topic": RUN, "kind": "run.step", "payload_json": '{"tokens":NaN}'},
                     "invalid_json", id="payload-nan"),
        pytest.param({"topic": RUN, "kind": "run.exploded", "payload_json": "{}"},
                     "unknown_kind", id="unknown-kind"),
        pytest.param({"topic": RUN, "kind": "note", "payload_json": '{"text":"t"}'},
                     "unknown_kind", id="kind-of-another-family"),
        pytest.param({"topic": "fleet:user:bad:workers", "kind": "note",
                      "payload_json": json.dumps({"text": TOO_LARGE})},
                     "payload_too_large", id="payload-64KiB-plus-1"),
        pytest.param({"topic": RUN, "kind": "run.created", "payload_json": '{"owner":"o"}',
                      "published_at_ms": 253_402_300_800_000},
                     "invalid_published_at", id="after-year-9999"),
        pytest.param(b'{"topic": "run:bad:events", "kind": ', "invalid_request", id="bad-json"),
        pytest.param(b'["run:bad:events"]', "invalid_request", id="json-not-object"),
        pytest.param({"topic": RUN, "kind": "run.created", "payload_json": '{"owner":"o"}',
                      "sequence": 1}, "invalid_request", id="unknown-field"),
        pytest.param({"topic": RUN, "seq": 1, "kind": "run.created",
                      "payload_json": '{"owner":"o"}'}, "seq_not_allowed", id="seq-1"),
        pytest.param({"topic": RUN, "seq": "7", "kind": "run.created",
                      "payload_json": '{"owner":"o"}'}, "seq_not_allowed", id="seq-as-text"),
    ],
)
def test_E1_E2_bad_append_is_refused_at_the_api_and_takes_no_seq(
    runtime: RuntimeClient, body: dict[str, Any] | bytes, code: str
) -> None:
    refusal = _refusal(runtime, body)
    assert (refusal.status, refusal.code) == (400, code)
    assert runtime.status().journal_events == 0
    assert runtime.append(RUN, "run.created", {"owner": "o"}).seq == 1


def test_E4_payload_limit_is_64_KiB_of_canonical_json(runtime: RuntimeClient) -> None:
    """Measured on the canonical form: spaces the caller sends do not count."""
    exact = "x" * (65536 - len('{"text":""}'))
    padded = '{  "text"  :  "' + exact + '"  }' + " " * 100
    assert runtime.append("fleet:user:big:workers", "note", padded).seq == 1
    refusal = _refusal(runtime, {"topic": "fleet:user:big:workers", "kind": "note",
                                 "payload_json": json.dumps({"text": exact + "x"})})
    assert refusal.code == "payload_too_large"
    assert runtime.journal("fleet:user:big:workers").head_seq == 1
