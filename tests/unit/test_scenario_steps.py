"""The typed step vocabulary and its JSON boundary.

Steps are typed values inside the harness; JSON exists only in files, IDs and artefacts.
The JSON form is pinned: the ops and fields below are exactly those scenarios used when
steps were dicts, every curated file re-serialises to its own bytes, and every stored ID
decodes and re-encodes to itself. A malformed step is refused with its number and field.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import zlib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.contract.canonical import canonical_json
from harness.generators.module_scenarios import (
    idempotence_scenarios,
    rebuild_scenarios,
    runtime_scenarios,
    stale_cursor_scenarios,
)
from harness.generators.options import Generation
from harness.generators.token_scenarios import token_parity_scenarios
from harness.scenario.files import MalformedScenario, load_file, save
from harness.scenario.ids import BadScenarioId, decode, encode
from harness.scenario.model import Scenario, with_id
from harness.scenario.steps import (
    BY_OP,
    PROPERTIES_USING,
    Ack,
    AckAs,
    BadHash,
    ClearDatabase,
    Compact,
    CompactAs,
    Conflict,
    CrashRuntime,
    CrashSpacetimeDB,
    CutNetwork,
    Deliver,
    Event,
    Fault,
    FaultKind,
    HealNetwork,
    Hold,
    Intrude,
    Policy,
    Preempt,
    Rebuild,
    Resume,
    RetiredAtStart,
    Settle,
    Step,
    Token,
    TokenBody,
    ViaRuntime,
    step_fields,
    step_from_json,
    step_to_json,
)

ROOT = Path(__file__).resolve().parents[2]
CURATED = sorted([*(ROOT / "scenarios").glob("*.json"),
                  *(ROOT / "examples" / "foreign" / "scenarios").glob("*.json")])
MODULE = ("idempotence", "rebuild", "stale_cursor")

# The JSON form as it was when steps were dicts (the former STEP_FIELDS): op -> (fields with
# their JSON types, properties that may use it). Changing any of this changes scenario IDs.
JSON_FORM: dict[str, tuple[dict[str, type], tuple[str, ...]]] = {
    "event": ({"topic": str, "kind": str, "payload": dict}, MODULE),
    "deliver": ({"topic": str, "seq": int}, MODULE),
    "conflict": ({"topic": str, "seq": int, "payload": dict}, MODULE),
    "bad_hash": ({"topic": str, "seq": int}, MODULE),
    "intrude": ({"client": str, "topic": str, "seq": int}, MODULE),
    "ack": ({"client": str, "topic": str, "seq": int}, ("stale_cursor",)),
    "ack_as": ({"client": str, "named": str, "topic": str, "seq": int}, ("stale_cursor",)),
    "compact": ({"topic": str, "through": int}, MODULE),
    "compact_as": ({"client": str, "topic": str, "through": int}, MODULE),
    "via_runtime": ({}, ("idempotence",)),
    "fault": ({"kind": str, "count": int}, ("idempotence",)),
    "crash_runtime": ({}, ("idempotence",)),
    "cut_network": ({}, ("idempotence",)),
    "heal_network": ({}, ("idempotence",)),
    "settle": ({}, ("idempotence",)),
    "hold": ({"ms": int}, ("idempotence",)),
    "preempt": ({"topic": str, "seq": int, "forged": int}, ("idempotence",)),
    "clear_database": ({}, ("idempotence",)),
    "crash_stdb": ({}, MODULE),
    "rebuild": ({"seed": int}, ("rebuild",)),
    "resume": ({"client": str, "topic": str, "cursor": int, "budget": int}, ("stale_cursor",)),
    "policy": ({"alias_retired": bool, "compat_enforced": bool}, ("token_parity",)),
    "retired_at_start": ({}, ("token_parity",)),
    "token": ({"case": str}, ("token_parity",)),
    "token_body": ({"body": dict}, ("token_parity",)),
}

T = "run:a:events"
ONE_OF_EACH: tuple[Step, ...] = (
    Event(T, "run.created", {"owner": "o", "nested": {"list": [1, "x", None]}}),
    Deliver(T, 1), Conflict(T, 1, {"owner": "p"}), BadHash(T, 1), Intrude("eve", T, 1),
    Ack("alice", T, 1), AckAs("eve", "alice", T, 1),
    Compact(T, 1), CompactAs("eve", T, 1), ViaRuntime(), Fault(FaultKind.CRASH_BEFORE_SEND, 2),
    CrashRuntime(),
    CutNetwork(), HealNetwork(), Settle(), Hold(1500), Preempt(T, 2, 3), ClearDatabase(),
    CrashSpacetimeDB(),
    Rebuild(7), Resume("bob", T, 0, 4), Policy(True, False), RetiredAtStart(),
    Token("valid-empty-object"),
    TokenBody({"scopes": ["a"], "ttl_seconds": 60}),
)


def _sample(kind: type) -> object:
    return {str: "x", int: 1, bool: True, dict: {"k": 1}}[kind]


# --- the vocabulary and its JSON form -----------------------------------------------------------

def test_the_vocabulary_is_exactly_the_former_ops_fields_and_properties() -> None:
    assert set(BY_OP) == set(JSON_FORM)
    assert {type(step) for step in ONE_OF_EACH} == set(PROPERTIES_USING)
    for op, (fields, properties) in JSON_FORM.items():
        kind = BY_OP[op]
        assert kind.op == op
        assert [f.name for f in dataclasses.fields(kind)] == list(fields), op
        assert PROPERTIES_USING[kind] == properties, op
        step = step_from_json({"op": op, **{n: _sample(t) if n != "kind" else "reorder"
                                            for n, t in fields.items()}})
        written = step_to_json(step)
        assert [type(v) for k, v in written.items() if k != "op"] == list(fields.values()), op


@pytest.mark.parametrize("step", ONE_OF_EACH, ids=lambda s: s.op)
def test_each_step_round_trips_through_json(step: Step) -> None:
    written = step_to_json(step)
    assert written["op"] == step.op
    assert json.loads(json.dumps(written)) == written  # plain JSON values only
    assert step_from_json(json.loads(json.dumps(written))) == step
    assert step_fields(step) == {k: v for k, v in written.items() if k != "op"}


def test_a_fault_kind_is_written_as_its_plain_string() -> None:
    written = step_to_json(Fault(FaultKind.DUPLICATE, 1))
    assert written == {"op": "fault", "kind": "duplicate", "count": 1}
    assert type(written["kind"]) is str
    assert canonical_json(written) == '{"count":1,"kind":"duplicate","op":"fault"}'


def test_steps_are_frozen_values_that_can_be_hashed_and_compared() -> None:
    assert len(set(ONE_OF_EACH)) == len(ONE_OF_EACH)
    assert Deliver(T, 1) == Deliver(T, 1) != Deliver(T, 2)
    assert Event(T, "k", {"a": 1}) != Event(T, "k", {"a": 2})
    with pytest.raises(dataclasses.FrozenInstanceError):
        Deliver(T, 1).seq = 2  # type: ignore[misc]


def test_a_scenario_counts_and_selects_steps_by_type() -> None:
    scenario = Scenario("stale_cursor", ("R1",), (Event(T, "run.created", {"owner": "o"}),
                                                  Deliver(T, 1), Resume("c", T, 0, 1),
                                                  Deliver(T, 1)))
    assert scenario.count(Deliver) == 2
    assert scenario.count(Rebuild) == 0
    assert scenario.of(Deliver) == [Deliver(T, 1), Deliver(T, 1)]
    assert scenario.of(Resume)[0].budget == 1
    assert [(e.topic, e.seq) for e in scenario.journal()] == [(T, 1)]


# --- byte identity of curated files, IDs and generated scenarios --------------------------------

def test_there_are_curated_files_to_check() -> None:
    assert len(CURATED) >= 30


@pytest.mark.parametrize("path", CURATED, ids=lambda p: f"{p.parent.parent.name}/{p.stem}")
def test_a_curated_file_re_serialises_to_its_own_bytes(path: Path, tmp_path: Path) -> None:
    original = path.read_bytes()
    scenario = load_file(path)
    assert canonical_json(scenario.to_json()) == canonical_json(json.loads(original))
    assert save(scenario, tmp_path).read_bytes() == original


@pytest.mark.parametrize("path", CURATED, ids=lambda p: f"{p.parent.parent.name}/{p.stem}")
def test_a_curated_scenario_round_trips_through_its_id(path: Path) -> None:
    scenario = load_file(path)
    bare = Scenario(scenario.property, scenario.rules, scenario.steps)
    assert decode(encode(bare)) == with_id(bare, encode(bare))


def _stored_ids() -> list[str]:
    data = json.loads((ROOT / "tests" / "integration" / "detection_ids.json").read_text())
    found: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, str) and value.startswith("stdb1."):
            found.append(value)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(data)
    return found


def test_ids_printed_before_typed_steps_decode_and_re_encode_to_themselves() -> None:
    stored = _stored_ids()
    assert stored
    for scenario_id in stored:
        assert encode(decode(scenario_id)) == scenario_id


EVERYTHING = Generation(crashes=True, runtime_crashes=True, random_bodies=False)


@settings(max_examples=150, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(scenario=st.one_of(idempotence_scenarios(EVERYTHING), rebuild_scenarios(EVERYTHING),
                          stale_cursor_scenarios(EVERYTHING), runtime_scenarios(EVERYTHING),
                          token_parity_scenarios(EVERYTHING)))
def test_a_generated_scenario_round_trips_through_its_id(scenario: Scenario) -> None:
    scenario_id = encode(scenario)
    assert decode(scenario_id) == with_id(scenario, scenario_id)
    assert Scenario.from_json(scenario.to_json()) == scenario


# --- malformed steps: each is refused, naming the step and the field ----------------------------

@pytest.mark.parametrize(("raw", "says"), [
    ("deliver", r"step 3: must be a JSON object with an op, got 'deliver'"),
    (["op", "deliver"], r"step 3: must be a JSON object"),
    ({"topic": T, "seq": 1}, r"step 3: unknown op None"),
    ({"op": 7}, r"step 3: unknown op 7"),
    ({"op": "teleport"}, r"step 3: unknown op 'teleport' \(the ops: ack, ack_as, bad_hash, "),
    ({"op": "Deliver", "topic": T, "seq": 1}, r"unknown op 'Deliver'"),
    ({"op": "deliver", "topic": T}, r"step 3 \(deliver\): field 'seq' is missing \(it must be "
                                    r"int\)"),
    ({"op": "deliver", "topic": T, "seq": 1, "client": "c"},
     r"step 3 \(deliver\): unknown field 'client' \(its fields: 'topic', 'seq'\)"),
    ({"op": "settle", "ms": 5}, r"step 3 \(settle\): unknown field 'ms' \(its fields: none\)"),
    ({"op": "deliver", "topic": T, "seq": "1"},
     r"step 3 \(deliver\): field 'seq' must be int, got '1'"),
    ({"op": "deliver", "topic": T, "seq": True},
     r"step 3 \(deliver\): field 'seq' must be int, got True"),
    ({"op": "deliver", "topic": T, "seq": 1.0},
     r"step 3 \(deliver\): field 'seq' must be int, got 1.0"),
    ({"op": "deliver", "topic": None, "seq": 1},
     r"step 3 \(deliver\): field 'topic' must be str, got None"),
    ({"op": "policy", "alias_retired": 1, "compat_enforced": False},
     r"step 3 \(policy\): field 'alias_retired' must be bool, got 1"),
    ({"op": "event", "topic": T, "kind": "run.created", "payload": []},
     r"step 3 \(event\): field 'payload' must be dict, got \[\]"),
    ({"op": "token_body", "body": "{}"}, r"step 3 \(token_body\): field 'body' must be dict"),
    ({"op": "fault", "kind": "explode", "count": 1},
     r"step 3 \(fault\): field 'kind' must be one of 'duplicate', 'reorder', "
     r"'crash_after_commit', 'crash_before_send', got 'explode'"),
    ({"op": "hold", "ms": False}, r"step 3 \(hold\): field 'ms' must be int, got False"),
])
def test_a_malformed_step_is_refused_with_its_number_and_field(raw: object, says: str) -> None:
    with pytest.raises(MalformedScenario, match=says) as caught:
        step_from_json(raw, 3)
    assert all(problem.startswith("step 3") for problem in caught.value.problems)


def test_every_problem_of_a_step_is_named_at_once() -> None:
    with pytest.raises(MalformedScenario) as caught:
        step_from_json({"op": "resume", "client": 1, "cursor": "0", "budget": 2, "x": 1}, 0)
    assert caught.value.problems == (
        "step 0 (resume): field 'client' must be str, got 1",
        "step 0 (resume): field 'topic' is missing (it must be str)",
        "step 0 (resume): field 'cursor' must be int, got '0'",
        "step 0 (resume): unknown field 'x' (its fields: 'client', 'topic', 'cursor', "
        "'budget')",
    )


def test_a_step_without_a_number_is_still_named() -> None:
    with pytest.raises(MalformedScenario, match=r"^step \(rebuild\): field 'seed' is missing"):
        step_from_json({"op": "rebuild"})


def _body(steps: list[object], prop: str = "idempotence") -> dict[str, Any]:
    return {"property": prop, "rules": ["M1"], "steps": steps}


def test_a_scenario_names_every_malformed_step_by_its_number() -> None:
    raw = _body([{"op": "event", "topic": T, "kind": "run.created", "payload": {}},
                 {"op": "deliver", "topic": T, "seq": "1"},
                 {"op": "deliver", "topic": T, "seq": 1},
                 {"op": "teleport"}])
    with pytest.raises(MalformedScenario) as caught:
        Scenario.from_json(raw)
    assert caught.value.problems == (
        "step 1 (deliver): field 'seq' must be int, got '1'",
        "step 3: unknown op 'teleport' (the ops: " + ", ".join(sorted(JSON_FORM)) + ")",
    )


def test_a_step_the_property_does_not_use_is_refused() -> None:
    with pytest.raises(MalformedScenario,
                       match=r"step 1 \(rebuild\): op 'rebuild' is not used by idempotence"):
        Scenario.from_json(_body([{"op": "crash_stdb"}, {"op": "rebuild", "seed": 1}]))


def test_an_unknown_property_is_refused() -> None:
    with pytest.raises(MalformedScenario, match=r"unknown property 'speed'"):
        Scenario.from_json(_body([{"op": "crash_stdb"}], prop="speed"))


def test_steps_that_are_not_a_list_are_refused() -> None:
    with pytest.raises(TypeError, match="steps must be a list"):
        Scenario.from_json(_body({"op": "crash_stdb"}))  # type: ignore[arg-type]


def _id_of(body: dict[str, Any]) -> str:
    packed = base64.urlsafe_b64encode(zlib.compress(canonical_json(body).encode(), 9))
    return f"stdb1.{body['property']}.{packed.decode().rstrip('=')}"


def test_an_id_holding_a_malformed_step_is_a_clear_id_error() -> None:
    scenario_id = _id_of(_body([{"op": "deliver", "topic": T, "seq": True}]))
    with pytest.raises(BadScenarioId, match=r"malformed scenario: step 0 \(deliver\): "
                                            r"field 'seq' must be int, got True"):
        decode(scenario_id)


def test_an_id_holding_an_unknown_op_is_a_clear_id_error() -> None:
    with pytest.raises(BadScenarioId, match=r"step 0: unknown op 'teleport'"):
        decode(_id_of(_body([{"op": "teleport"}])))


def test_a_curated_file_with_a_malformed_step_names_the_file_step_and_field(
        tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"id": "bad", "intent": "x", **_body(
        [{"op": "crash_stdb"}, {"op": "compact", "topic": T, "through": -1.5}])}))
    with pytest.raises(MalformedScenario) as caught:
        load_file(path)
    assert str(path) in caught.value.message
    assert "step 1 (compact): field 'through' must be int, got -1.5" in caught.value.message


def test_a_curated_file_reports_step_and_identity_problems_together(tmp_path: Path) -> None:
    path = tmp_path / "named.json"
    path.write_text(json.dumps({"id": "other", "intent": "", **_body([{"op": "hold"}])}))
    with pytest.raises(MalformedScenario) as caught:
        load_file(path)
    assert caught.value.problems == (
        "step 0 (hold): field 'ms' is missing (it must be int)",
        "id 'other' differs from the file name 'named'",
        "intent is empty: say what the scenario is for",
    )
