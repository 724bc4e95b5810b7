"""A malformed curated scenario stops the run with a message naming the file and problem."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.scenario.files import MalformedScenario, curated, load_file
from harness.scenario.steps import Deliver

GOOD = {"id": "ok", "intent": "x", "property": "idempotence", "rules": ["M1"],
        "steps": [{"op": "event", "topic": "run:a:events", "kind": "run.created",
                   "payload": {"owner": "o"}}, {"op": "deliver", "topic": "run:a:events",
                                                "seq": 1}]}


def write(folder: Path, name: str, data: object) -> Path:
    path = folder / f"{name}.json"
    path.write_text(json.dumps(data) if not isinstance(data, str) else data)
    return path


def test_a_well_formed_file_loads(tmp_path: Path) -> None:
    assert load_file(write(tmp_path, "ok", GOOD)).steps[1] == Deliver("run:a:events", 1)


@pytest.mark.parametrize(("change", "says"), [
    ({"rules": ["Z9"]}, "unknown rule id 'Z9'"),
    ({"property": "speed"}, "unknown property"),
    ({"intent": ""}, "intent is empty"),
    ({"steps": [{"op": "teleport"}]}, "unknown op 'teleport'"),
    ({"steps": [{"op": "deliver", "topic": "run:a:events", "seq": "1"}]},
     "field 'seq' must be int"),
    ({"steps": [{"op": "deliver", "topic": "run:a:events", "seq": True}]},
     "field 'seq' must be int"),
    ({"steps": [{"op": "resume", "client": "c", "topic": "t", "cursor": 0, "budget": 1}]},
     "not used by idempotence"),
])
def test_each_kind_of_mistake_is_named(tmp_path: Path, change: dict[str, object],
                                       says: str) -> None:
    with pytest.raises(MalformedScenario, match=says):
        load_file(write(tmp_path, "ok", {**GOOD, **change}))


def test_an_id_that_differs_from_the_file_name_is_refused(tmp_path: Path) -> None:
    with pytest.raises(MalformedScenario, match="differs from the file name"):
        load_file(write(tmp_path, "other", GOOD))


def test_invalid_json_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(MalformedScenario, match="cannot read scenario"):
        load_file(write(tmp_path, "ok", "{not json"))


def test_every_curated_scenario_in_the_repository_is_well_formed() -> None:
    assert len(curated(None, Path(__file__).resolve().parents[2] / "scenarios")) >= 12
