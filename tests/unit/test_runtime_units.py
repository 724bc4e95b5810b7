"""The runtime's small pure parts: answer classification (B3), backoff, targets, state files."""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any

import pytest

from harness.contract.events import Event
from harness.contract.streams import stream_of
from harness.drivers.runtime import (
    REFERENCE_ARGS,
    REFERENCE_PERMANENT_ERRORS,
    REFERENCE_REDUCER,
)
from stub.runtime import event as stub_event
from stub.runtime.classify import Verdict, classify
from stub.runtime.errors import RefusedError, StateError
from stub.runtime.faults import FaultCommand
from stub.runtime.mutants import PERMANENT_RETRIED_FOREVER
from stub.runtime.progress import PROGRESS_FILE
from stub.runtime.settings import PublisherSettings
from stub.runtime.spacetime_client import CallAnswer
from stub.runtime.target import Target, make_target, target_from_json
from stub.runtime.templates import event_fields, render, render_one
from tests.unit.test_runtime_support import (
    INGEST,
    INGEST_ARGS,
    INGEST_PERMANENT,
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
        (530, "sequence_conflict: expected 3", Verdict.TRANSIENT),
        (530, "  invalid_event\tkind", Verdict.PERMANENT),
        (530, "the module said: unauthorized", Verdict.TRANSIENT),
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
    assert dataclasses.replace(target, reducer="ingest").reducer_url.endswith("/call/ingest")


# Custom permanent errors (B3): a module with its own error texts.
CUSTOM = tuple(re.compile(pattern) for pattern in INGEST_PERMANENT)


@pytest.mark.parametrize(
    ("status", "text", "verdict"),
    [
        (530, "E_KEY_REUSED: runtime.run.r1.events/2/run.step", Verdict.PERMANENT),
        (530, "E_KEY_REUSED", Verdict.PERMANENT),
        (530, "E_BAD_DIGEST 0f3a", Verdict.PERMANENT),
        (530, "E_FORBIDDEN_CALLER", Verdict.PERMANENT),
        (530, "E_KEY_REUSEDX", Verdict.TRANSIENT),
        (530, "E_BUSY: compaction in progress", Verdict.TRANSIENT),
        # The reference's words mean nothing to a module that does not use them.
        (530, "sequence_conflict expected_next_seq=3 actual_seq=5", Verdict.TRANSIENT),
        (530, "unauthorized", Verdict.TRANSIENT),
        # Other answers are classified as for any module.
        (200, "", Verdict.ACKNOWLEDGED),
        (503, "E_KEY_REUSED", Verdict.TRANSIENT),
        (404, "No such reducer.", Verdict.PERMANENT),
        (None, "ConnectionRefusedError", Verdict.TRANSIENT),
    ],
)
def test_B3_classification_by_custom_patterns(
    status: int | None, text: str, verdict: Verdict
) -> None:
    classified = classify(CallAnswer(status, text), permanent=CUSTOM)
    assert classified.verdict is verdict
    if status == 530:
        assert classified.reason == text


def test_B3_patterns_are_searched_not_matched() -> None:
    permanent = (re.compile("conflict"),)
    assert classify(CallAnswer(530, "ERR 17: conflict"), permanent=permanent).verdict is (
        Verdict.PERMANENT
    )


def test_B3_permanent_retried_forever_mutant_ignores_custom_patterns_too() -> None:
    answer = CallAnswer(530, "E_KEY_REUSED: x")
    assert classify(answer, permanent=CUSTOM).verdict is Verdict.PERMANENT
    mutated = classify(answer, permanent=CUSTOM, mutant=PERMANENT_RETRIED_FOREVER)
    assert mutated.verdict is Verdict.TRANSIENT


def test_reference_defaults_are_unchanged() -> None:
    target = Target("http://stdb:3000", "db", "t")
    assert target.reducer == "apply_event"
    assert target.args == (
        "{stream_id}", "{seq}", "{idempotency_key}", "{kind}", "{payload_json}",
        "{payload_hash}", "{published_at_ms}",
    )  # fmt: skip
    assert target.permanent_errors == (
        r"^(sequence_conflict)(?!\S)", r"^(idempotency_conflict)(?!\S)",
        r"^(invalid_event)(?!\S)", r"^(unauthorized)(?!\S)",
    )  # fmt: skip
    assert make_target("http://stdb:3000", "db", "t") == target
    assert make_target("http://stdb:3000", "db", "t", reducer="", args_json="") == target
    # The harness's driver sends nothing for the same defaults.
    assert (
        target.reducer, target.args, target.permanent_errors,
    ) == (REFERENCE_REDUCER, REFERENCE_ARGS, REFERENCE_PERMANENT_ERRORS)  # fmt: skip


# Argument templates.
EVENT = stub_event.Event("run:r1:events", 3, "run.step", {"tokens": 2}, 1_700_000_000_123)
CONTRACT_EVENT = Event("run:r1:events", 3, "run.step", {"tokens": 2}, 1_700_000_000_123)


def test_reference_templates_render_the_reference_arguments() -> None:
    assert render(REFERENCE_ARGS, event_fields(EVENT)) == list(CONTRACT_EVENT.reducer_args())


def test_templates_render_a_non_reference_call() -> None:
    rendered = render(INGEST_ARGS, event_fields(EVENT))
    digest = EVENT.payload_hash.removeprefix("sha256:")
    assert len(digest) == 64
    assert rendered == [
        "runtime.run.r1.events/3/run.step", "runtime.run.r1.events", "run.step",
        '{"tokens":2}', digest, 1_700_000_000_123, 3, True, 3,
    ]  # fmt: skip
    assert json.dumps(rendered, separators=(",", ":")) == (
        '["runtime.run.r1.events/3/run.step","runtime.run.r1.events","run.step",'
        f'"{{\\"tokens\\":2}}","{digest}",1700000000123,3,true,3]'
    )


@pytest.mark.parametrize(
    ("template", "value"),
    [
        ("{seq}", 3),
        ("{published_at}", "2023-11-14T22:13:20.123Z"),
        ("{idempotency_key}", "topic:run:r1:events:seq:3"),
        ("{topic}", "run:r1:events"),
        ("seq {seq}", "seq 3"),
        ("{seq:05d}", "00003"),
        ("{{seq}}", "{seq}"),
        ("{{{seq}}}", "{3}"),
        ("", ""),
        (0, 0),
        (None, None),
        ([1, "{seq}"], [1, 3]),
        ({"__timestamp_micros_since_unix_epoch__": "{published_at_us}"},
         {"__timestamp_micros_since_unix_epoch__": 1_700_000_000_123_000}),
        ({"some": {"k": "{seq}"}}, {"some": {"k": 3}}),
    ],
)
def test_template_semantics(template: object, value: object) -> None:
    """A literal as is, a lone `{field}` with its type, any other string formatted; inside
    a list or an object each item the same way (a typed argument's JSON form)."""
    assert render_one(template, event_fields(EVENT)) == value


@pytest.mark.parametrize(
    "body",
    [
        {"args_json": "{}"},
        {"args_json": "not json"},
        {"args_json": "[NaN]"},
        {"args_json": '["{nope}"]'},
        {"args_json": '["{seq.real}"]'},
        {"args_json": '["{0}"]'},
        {"args_json": '["{}"]'},
        {"args_json": '["{seq"]'},
        {"args_json": '["{stream_id:d}"]'},
        {"reducer": "call/other"},
        {"reducer": "1st"},
        {"permanent_errors": ["("]},
        {"permanent_errors": ["^ok", "[z-a]"]},
    ],
)
def test_bad_call_wiring_is_refused(body: dict[str, Any]) -> None:
    with pytest.raises(RefusedError) as refused:
        make_target("http://stdb:3000", "db", "t", **body)
    assert refused.value.code == "invalid_target"


def test_target_round_trips_through_its_record() -> None:
    target = Target("http://stdb:3000", "db", "t", INGEST, INGEST_ARGS, INGEST_PERMANENT)
    assert target_from_json(json.loads(json.dumps(target.to_json()))) == target


def test_target_recorded_without_wiring_is_the_reference() -> None:
    """A data directory written before the wiring was configurable still opens."""
    recorded = {"stdb_url": "http://stdb:3000", "database": "db", "token": "t"}
    assert target_from_json(recorded) == Target("http://stdb:3000", "db", "t")
    with pytest.raises(ValueError, match="not a target"):
        target_from_json({**recorded, "args": "{seq}"})


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
