"""The runtime's small pure parts: answer classification (B3), backoff, targets, state files."""

from __future__ import annotations

import json

import pytest

from harness.contract.streams import stream_of
from stub.runtime.classify import Verdict, classify
from stub.runtime.errors import StateError
from stub.runtime.faults import FaultCommand
from stub.runtime.progress import PROGRESS_FILE
from stub.runtime.settings import PublisherSettings
from stub.runtime.spacetime_client import CallAnswer
from stub.runtime.target import Target
from tests.unit.test_runtime_support import (
    NOTE,
    Runtimes,
    note,
    runtimes_fixture,  # noqa: F401 - a fixture
)


@pytest.mark.parametrize(
    ("status", "text", "verdict"),
    [
        (200, "", Verdict.ACKNOWLEDGED),
        (530, "sequence_conflict expected_next_seq=3 actual_seq=5", Verdict.PERMANENT),
        (530, "idempotency_conflict", Verdict.PERMANENT),
        (530, "invalid_event payload", Verdict.PERMANENT),
        (530, "unauthorized\n", Verdict.PERMANENT),
        (530, "unauthorized_by_policy", Verdict.TRANSIENT),
        (530, "the module trapped", Verdict.TRANSIENT),
        (530, "", Verdict.TRANSIENT),
        (500, "sequence_conflict", Verdict.TRANSIENT),
        (502, "", Verdict.TRANSIENT),
        (503, "", Verdict.TRANSIENT),
        (400, "invalid arguments", Verdict.PERMANENT),
        (401, "", Verdict.PERMANENT),
        (404, "No such database.", Verdict.PERMANENT),
        (408, "", Verdict.TRANSIENT),
        (429, "", Verdict.TRANSIENT),
        (None, "ConnectionRefusedError", Verdict.TRANSIENT),
    ],
)
def test_B3_classification(status: int | None, text: str, verdict: Verdict) -> None:
    assert classify(CallAnswer(status, text)).verdict is verdict


def test_B3_permanent_reason_is_the_module_text_verbatim() -> None:
    text = "sequence_conflict expected_next_seq=3 actual_seq=5"
    assert classify(CallAnswer(530, text)).reason == text
    assert classify(CallAnswer(404, "No such database.")).reason == "http 404: No such database."


def test_B3_backoff_doubles_and_is_bounded() -> None:
    settings = PublisherSettings(backoff_initial_s=0.05, backoff_max_s=2.0)
    delays = [settings.retry_delay(failures) for failures in range(1, 9)]
    assert delays == [0.05, 0.1, 0.2, 0.4, 0.8, 1.6, 2.0, 2.0]
    assert settings.retry_delay(10_000) == 2.0


def test_target_url_quotes_the_database_name() -> None:
    target = Target("http://stdb:3000/", "my db/x", "")
    assert target.reducer_url == "http://stdb:3000/v1/database/my%20db%2Fx/call/apply_event"


def test_B5_damaged_progress_refuses_to_start(runtimes: Runtimes) -> None:
    service = runtimes.start()
    note(service, NOTE, "a")
    service.control(FaultCommand(pause=True))  # records the progress file
    service.stop()
    [path] = runtimes.data_dir.glob(f"ns-*/{PROGRESS_FILE}")
    recorded = json.loads(path.read_text())
    recorded["streams"][stream_of(NOTE)]["delivered_head"] = 2
    path.write_text(json.dumps(recorded))
    with pytest.raises(StateError, match="past the journal"):
        runtimes.start()
    path.write_text("{}")
    with pytest.raises(StateError, match="not a progress record"):
        runtimes.start()
