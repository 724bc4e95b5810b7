"""Kinds per stream family and their payload fields (P1-P4)."""

# Test names carry the rule id they check (CONTRACT.md), upper case as the contract writes it.

from __future__ import annotations

from typing import Any

import pytest

from harness.contract.events import Event, validate_event
from harness.contract.kinds import kinds_for, payload_fits

TOPIC_OF_FAMILY = {
    "run": "run:r1:events",
    "worker": "worker:w1:lifecycle",
    "fleet": "fleet:user:u1:workers",
    "guest": "fleet:guest:g1:workers",
    "codex": "runtime.codex_worker_events",
    "fallback": "team:t1:notes",
}


def _reason(topic: str, kind: str, payload: dict[str, Any]) -> str | None:
    return validate_event(Event(topic, 1, kind, payload, 0))


def test_P1_P2_P3_kinds_per_family() -> None:
    assert kinds_for("run") == {"run.created", "run.step", "run.completed", "run.cancelled"}
    assert kinds_for("worker") == {"worker.online", "worker.heartbeat", "worker.offline"}
    assert kinds_for("other") == {"note"}


@pytest.mark.parametrize(
    ("family", "kind", "payload"),
    [
        ("run", "run.created", {"owner": "alice"}),
        ("run", "run.created", {"owner": "", "extra": [1]}),
        ("run", "run.step", {"tokens": 0}),
        ("run", "run.step", {"tokens": 2**64 - 1}),
        ("run", "run.completed", {"outcome": "success"}),
        ("run", "run.completed", {"outcome": "failure"}),
        ("run", "run.cancelled", {"reason": "user"}),
        ("worker", "worker.online", {"region": "eu"}),
        ("worker", "worker.heartbeat", {}),
        ("worker", "worker.heartbeat", {"load": 3}),
        ("worker", "worker.offline", {"reason": "drain"}),
        ("fleet", "note", {"text": "hi"}),
        ("guest", "note", {"text": ""}),
        ("codex", "note", {"text": "x"}),
        ("fallback", "note", {"text": "x"}),
    ],
)
def test_P4_valid_payloads_are_accepted(family: str, kind: str, payload: dict[str, Any]) -> None:
    assert _reason(TOPIC_OF_FAMILY[family], kind, payload) is None


@pytest.mark.parametrize(
    ("kind", "payload"),
    [
        ("run.created", {}),
        ("run.created", {"owner": 1}),
        ("run.created", {"owner": None}),
        ("run.step", {}),
        ("run.step", {"tokens": -1}),
        ("run.step", {"tokens": True}),
        ("run.step", {"tokens": 1.0}),
        ("run.step", {"tokens": "1"}),
        ("run.completed", {"outcome": "aborted"}),
        ("run.completed", {"outcome": "Success"}),
        ("run.completed", {"outcome": ["success"]}),
        ("run.cancelled", {}),
        ("worker.online", {"region": 1}),
        ("worker.offline", {}),
        ("note", {"text": False}),
    ],
)
def test_P4_missing_or_mistyped_fields_are_invalid_payload(
    kind: str, payload: dict[str, Any]
) -> None:
    family = "fallback" if kind == "note" else kind.split(".", maxsplit=1)[0]
    assert _reason(TOPIC_OF_FAMILY[family], kind, payload) == "invalid_event payload"


@pytest.mark.parametrize(
    ("family", "kind"),
    [
        ("run", "worker.online"),
        ("run", "note"),
        ("worker", "run.step"),
        ("fleet", "run.created"),
        ("codex", "worker.heartbeat"),
        ("fallback", "Note"),
    ],
)
def test_P3_kinds_of_another_family_are_invalid_kind(family: str, kind: str) -> None:
    assert _reason(TOPIC_OF_FAMILY[family], kind, {}) == "invalid_event kind"


def test_P4_bool_is_not_a_json_integer() -> None:
    assert not payload_fits("run", "run.step", {"tokens": False})
    assert payload_fits("run", "run.step", {"tokens": 0})
