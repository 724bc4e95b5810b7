"""The client mutants: catalogued, plumbed to every client, and each one small and wrong.

The client runs against an in-process fake of the module (a stream of seqs 1..head whose
events up to `floor` are compacted), so every mutant can be compared with the reference
on the one situation it gets wrong, without a container. Whether the harness catches
them against the real server is the mutant run's job (`stdb-harness mutants`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from harness.config.load import load_config
from harness.contract.error_texts import StaleCode, stale_cursor
from harness.targets.sides import HeldRow
from stub import adapters
from stub.client import client as client_module
from stub.client.client import ResumeFailedError, ResumingClient
from stub.client.mutants import CLIENT_MUTANTS
from stub.client.spacetime import NothingArrivedError, ReducerFailedError
from stub.client.steps import Delivered, Resumed, SnapshotLoaded

STREAM = "runtime.run.r1.events"

REPO = Path(__file__).resolve().parents[2]


@dataclass
class FakeModule:
    """One stream: events 1..head, those up to `floor` compacted away (M4)."""

    head: int
    floor: int = 0

    def resume_error(self, cursor: int, budget: int) -> str | None:
        codes: list[StaleCode] = []
        if cursor < self.floor:
            codes.append("retention_floor_breach")
        if self.head - cursor > budget:
            codes.append("replay_budget_exceeded")
        if cursor > self.head:
            codes.append("cursor_ahead_of_head")
        if not codes:
            return None
        return stale_cursor(codes, stream_id=STREAM, requested_after_seq=cursor,
                            oldest_available_cursor=self.floor, head_cursor=self.head,
                            replay_budget=budget)

    def rows_after(self, cursor: int) -> list[dict[str, Any]]:
        return [{"stream_id": STREAM, "seq": seq, "payload_json": f'{{"tokens":{seq}}}'}
                for seq in range(max(cursor, self.floor) + 1, self.head + 1)]


def _after(query: str) -> int:
    """The cursor of a `sync_event` query (`... AND seq > N`)."""
    found = re.search(r"seq > (\d+)$", query)
    assert found is not None, query
    return int(found[1])


class FakeHttp:
    def __init__(self, module: FakeModule) -> None:
        self.module = module

    def call(self, database: str, reducer: str, args: Sequence[Any]) -> None:
        error = self.module.resume_error(args[1], args[2])
        if error is not None:
            raise ReducerFailedError(reducer, error)

    def sql(self, database: str, query: str) -> list[dict[str, Any]]:
        if query.startswith("SELECT * FROM stream_head"):
            return [{"head_seq": self.module.head}]
        if query.startswith("SELECT * FROM sync_event"):
            return self.module.rows_after(_after(query))
        return []  # the projection row: a view's rows are not what these tests compare

    def columns(self, database: str) -> dict[str, tuple[str, ...]]:
        return {}


class FakeSubscriber:
    def __init__(self, module: FakeModule) -> None:
        self.module = module

    def subscribe(self, queries: Sequence[str], timeout: float) -> dict[str, list[dict[str, Any]]]:
        (query,) = queries
        return {"sync_event": self.module.rows_after(_after(query))}

    def next_transaction(self, timeout: float) -> object:
        raise NothingArrivedError("no live event in the fake")

    def close(self) -> None:
        pass


@pytest.fixture
def module(monkeypatch: pytest.MonkeyPatch) -> FakeModule:
    """A fake module with head 6 and events 1..2 compacted, wired into the client."""
    fake = FakeModule(head=6, floor=2)
    monkeypatch.setattr(client_module, "DatabaseHttp", lambda *args: FakeHttp(fake))
    monkeypatch.setattr(client_module, "Subscriber",
                        SimpleNamespace(connect=lambda *args: FakeSubscriber(fake)))
    return fake


def resumed(module: FakeModule, cursor: int, budget: int,
            mutant_name: str | None = None) -> ResumingClient:
    client = ResumingClient("http://fake", "db", "token", mutant=mutant_name)
    client.resume(STREAM, cursor, budget)
    return client


def test_client_mutants_declared_in_the_config_are_the_client_s_own_list() -> None:
    config = load_config(None, REPO)
    layer = [m for m in config.mutants.values() if m.layer == "client"]
    assert {m.name for m in layer} == CLIENT_MUTANTS
    for entry in layer:
        assert entry.overrides == {"client.options": {"mutant": entry.name}}
        assert entry.rules and all(rule.startswith("R") for rule in entry.rules)


def test_the_reference_client_side_builds_every_client_as_its_mutant(
        monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[str | None] = []

    class Recorder:
        def __init__(self, *args: object, mutant: str | None = None) -> None:
            built.append(mutant)

    class Identity:
        def __init__(self, url: str) -> None:
            pass

        def new_identity(self) -> str:
            return "token"

    class Module:
        class database:  # noqa: N801 - stands in for the attribute of the same name
            url, name = "http://fake", "db"

    monkeypatch.setattr(adapters, "ResumingClient", Recorder)
    monkeypatch.setattr(adapters, "DatabaseHttp", Identity)
    side = adapters.reference_client(mutant="gap-edge-off-by-one")
    for client in ("alice", "bob"):
        side.connect(Module(), client)  # type: ignore[arg-type]
    assert built == ["gap-edge-off-by-one", "gap-edge-off-by-one"]


def test_an_unknown_client_mutant_is_refused() -> None:
    with pytest.raises(ValueError, match="skip-ahead-on-stale"):
        ResumingClient("http://fake", "db", "token", mutant="skip-ahead")


def test_R2_the_reference_gets_exactly_the_gap_and_gap_edge_off_by_one_cannot(
        module: FakeModule) -> None:
    assert resumed(module, 3, 5).delivered(STREAM) == [4, 5, 6]
    with pytest.raises(ResumeFailedError, match="after cursor 3 the subscription began at seq 5"):
        resumed(module, 3, 5, "gap-edge-off-by-one")


def test_R4_the_reference_recovers_by_snapshot_and_skip_ahead_on_stale_does_not(
        module: FakeModule) -> None:
    refused = Resumed(1, 5, module.resume_error(1, 5))
    assert resumed(module, 1, 5).steps(STREAM) == (refused, SnapshotLoaded(6), Resumed(6, 5, None))
    skipped = resumed(module, 1, 5, "skip-ahead-on-stale")
    assert skipped.steps(STREAM) == (refused, Resumed(6, 5, None))
    assert skipped.cursor(STREAM) == 6


def test_R4_the_reference_recovers_from_a_cursor_ahead_and_resume_ahead_of_head_waits(
        module: FakeModule) -> None:
    refused = Resumed(8, 5, module.resume_error(8, 5))
    assert resumed(module, 8, 5).steps(STREAM) == (refused, SnapshotLoaded(6), Resumed(6, 5, None))
    waiting = resumed(module, 8, 5, "resume-ahead-of-head")
    assert waiting.steps(STREAM) == (refused,)
    assert waiting.cursor(STREAM) == 8


def test_R2_the_reference_delivers_ten_rows_in_seq_order_and_seqs_ordered_as_text_cannot(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Seqs of one width sort alike as text and as numbers: only a resume whose rows cross
    from one digit to two shows the slip (seq 10 sorts before seq 2)."""
    fake = FakeModule(head=12)
    monkeypatch.setattr(client_module, "DatabaseHttp", lambda *args: FakeHttp(fake))
    monkeypatch.setattr(client_module, "Subscriber",
                        SimpleNamespace(connect=lambda *args: FakeSubscriber(fake)))
    assert resumed(fake, 0, 20).delivered(STREAM) == list(range(1, 13))
    assert resumed(fake, 9, 20, "seqs-ordered-as-text").delivered(STREAM) == [10, 11, 12]
    with pytest.raises(ResumeFailedError, match="after cursor 1 the subscription began at seq 10"):
        resumed(fake, 0, 20, "seqs-ordered-as-text")


@pytest.mark.parametrize("name", sorted(CLIENT_MUTANTS))
def test_every_client_mutant_resumes_an_ordinary_cursor_like_the_reference_up_to_its_slip(
        module: FakeModule, name: str) -> None:
    """A mutant differs only where its slip is: a cursor at the head, resumable, with
    nothing to deliver, looks the same through every one of them."""
    reference = resumed(module, 6, 0)
    assert resumed(module, 6, 0, name).steps(STREAM) == reference.steps(STREAM)
    assert not any(isinstance(step, Delivered) for step in reference.steps(STREAM))


def test_R2_the_reference_holds_the_gap_s_rows_as_stored_and_gap_payload_reencoded_does_not(
        module: FakeModule) -> None:
    """The seqs and the steps are the reference's: only the rows held tell them apart."""
    reference, mutant = resumed(module, 3, 5), resumed(module, 3, 5, "gap-payload-reencoded")
    assert mutant.steps(STREAM) == reference.steps(STREAM)
    assert reference.view(STREAM).events == module.rows_after(3)
    assert [row["payload_json"] for row in mutant.view(STREAM).events] == [
        '{"tokens": 4}', '{"tokens": 5}', '{"tokens": 6}']


def test_R4_the_reference_recovers_holding_nothing_folded_and_snapshot_holds_folded_events_does(
        module: FakeModule) -> None:
    """The snapshot's head, the cursor and every step are the reference's; the mutant also
    holds the stored events 3..6 that the snapshot at 6 already folds."""
    reference = resumed(module, 1, 5)
    mutant = resumed(module, 1, 5, "snapshot-holds-folded-events")
    assert mutant.steps(STREAM) == reference.steps(STREAM)
    assert mutant.cursor(STREAM) == reference.cursor(STREAM) == 6
    assert reference.view(STREAM).events == []
    assert [row["seq"] for row in mutant.view(STREAM).events] == [3, 4, 5, 6]


def test_the_reference_client_s_record_holds_its_view_s_rows_in_the_contract_s_names(
        module: FakeModule, monkeypatch: pytest.MonkeyPatch) -> None:
    """What the harness's R2/R4 comparison reads: every held row, seq apart from the rest."""
    monkeypatch.setattr(adapters, "DatabaseHttp",
                        lambda url: SimpleNamespace(new_identity=lambda: "token"))
    target = SimpleNamespace(database=SimpleNamespace(url="http://fake", name="db"),
                             contract_error=str)
    session = adapters.reference_client().connect(target, "alice")
    session.resume(STREAM, 4, 5)
    record = session.record(STREAM)
    assert record.events == (5, 6)
    assert record.rows[0] == HeldRow(5, {"stream_id": STREAM, "payload_json": '{"tokens":5}'})
