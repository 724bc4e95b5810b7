"""Reducer argument templates typed by the module's declared parameter types: every type
in the JSON form SpacetimeDB 1.2 reads (forms verified on the server, examples/almanac
README), and what cannot have its type refused before the suite, naming reducer, parameter,
type and value."""

from __future__ import annotations

import dataclasses

import pytest

from harness.contract.events import ApplyEventArgs
from harness.spacetime.sats import JsonValue
from harness.spacetime.schema import ModuleSchema, ReducerDef
from harness.targets.module_mapping import ModuleMapping, ReducerCall, module_fields
from harness.targets.templates import render
from harness.targets.typed_args import Unfit, compile_args, type_name, typed, typed_mapping

U8: JsonValue = {"U8": []}
U64: JsonValue = {"U64": []}
F64: JsonValue = {"F64": []}
STRING: JsonValue = {"String": []}
TIMESTAMP: JsonValue = {"Product": {"elements": [
    {"name": {"some": "__timestamp_micros_since_unix_epoch__"}, "algebraic_type": {"I64": []}}]}}
IDENTITY: JsonValue = {"Product": {"elements": [
    {"name": {"some": "__identity__"}, "algebraic_type": {"U256": []}}]}}
UNIT: JsonValue = {"Product": {"elements": []}}
OPTION_STRING: JsonValue = {"Sum": {"variants": [
    {"name": {"some": "some"}, "algebraic_type": STRING},
    {"name": {"some": "none"}, "algebraic_type": UNIT}]}}
ORIGIN: JsonValue = {"Sum": {"variants": [
    {"name": {"some": "Live"}, "algebraic_type": UNIT},
    {"name": {"some": "Replay"}, "algebraic_type": UNIT},
    {"name": {"some": "Moved"}, "algebraic_type": STRING}]}}
DETAIL: JsonValue = {"Product": {"elements": [
    {"name": {"some": "by"}, "algebraic_type": STRING},
    {"name": {"some": "weight"}, "algebraic_type": F64}]}}
TYPESPACE: list[JsonValue] = [ORIGIN, DETAIL]

ARGS = ApplyEventArgs("runtime.run.r1.events", 3, "topic:run:r1:events:seq:3", "run.step",
                      '{"tokens":2}', "sha256:" + "a" * 64, 1_767_225_600_000)


@pytest.mark.parametrize(("template", "ty", "sent"), [
    ("{seq}", U64, 3),
    ("{seq}", F64, 3),
    (2.5, F64, 2.5),
    ("{published_at_ms}", TIMESTAMP, {"__timestamp_micros_since_unix_epoch__":
                                      1_767_225_600_000_000}),
    ("{published_at}", TIMESTAMP, {"__timestamp_micros_since_unix_epoch__":
                                   1_767_225_600_000_000}),
    ("{kind}", OPTION_STRING, {"some": "run.step"}),
    ({"none": []}, OPTION_STRING, {"none": []}),
    ("Live", {"Ref": 0}, {"Live": []}),
    ({"variant": "Moved", "value": "{topic}"}, {"Ref": 0}, {"Moved": "run:r1:events"}),
    ({"Replay": []}, {"Ref": 0}, {"Replay": []}),
    ({"by": "{kind}", "weight": "{seq}"}, {"Ref": 1}, {"by": "run.step", "weight": 3}),
    (["{seq}", 7], {"Array": U64}, [3, 7]),
    ("{key_number}", U64, None),
    ("ab", IDENTITY, {"__identity__": "0xab"}),
])
def test_each_type_is_sent_in_the_form_the_server_reads(template: object, ty: JsonValue,
                                                        sent: object) -> None:
    compiled = typed(template, ty, TYPESPACE)
    value = render([compiled], module_fields(ARGS, ModuleMapping()))[0]
    if sent is None:  # a stable number per event key, within u64 and i64
        assert isinstance(value, int) and 0 <= value < 2**63
        assert value == render([compiled], module_fields(ARGS, ModuleMapping()))[0]
    else:
        assert value == sent


@pytest.mark.parametrize(("template", "ty", "why"), [
    ("{seq}", U8, "outside u8's range"),
    (300, U8, "outside u8's range"),
    ("{seq}0", U64, "not a number"),
    ("{kind}", U64, "not a number"),
    ("{kind}", TIMESTAMP, "not a time"),
    ("Gone", {"Ref": 0}, "not one of the variants"),
    ("Moved", {"Ref": 0}, "holds a value"),
    ({"by": "x"}, {"Ref": 1}, "missing ['weight']"),
    (7, STRING, "not text"),
])
def test_what_cannot_have_its_type_is_refused(template: object, ty: JsonValue,
                                               why: str) -> None:
    with pytest.raises(Unfit, match=why.replace("[", r"\[").replace("]", r"\]")):
        typed(template, ty, TYPESPACE)


def test_a_problem_names_the_key_reducer_parameter_type_and_value() -> None:
    reducer = ReducerDef("absorb", (("position", U8), ("at", TIMESTAMP),
                                    ("note", OPTION_STRING)))
    compiled = compile_args("module.reducers.apply", reducer,
                            ["{seq}", "{published_at_ms}", {"none": []}], TYPESPACE)
    assert compiled.problems == ("module.reducers.apply: absorb parameter position (u8): "
                                 "'{seq}' can be 18446744073709551615, outside u8's range "
                                 "0..255",)
    short = compile_args("module.reducers.apply", reducer, ["{seq}"], TYPESPACE)
    assert "absorb takes 3 arguments (position: u8, at: Timestamp, note: Option<String>)" in \
        short.problems[0]


def test_types_are_named_as_a_person_writes_them() -> None:
    types: list[JsonValue] = [U64, OPTION_STRING, TIMESTAMP, {"Ref": 0}, {"Array": STRING}]
    assert [type_name(t, TYPESPACE) for t in types] == [
        "u64", "Option<String>", "Timestamp", "enum {Live, Replay, Moved}", "Vec<String>"]


def test_a_default_reducer_the_module_lacks_is_a_missing_capability_not_a_mistake() -> None:
    """A module without compaction, resume or acks need not say so; a reducer the
    configuration names itself and the module does not have ends the session."""
    apply = ReducerDef("absorb", (("key", STRING),))
    schema = ModuleSchema({}, reducers={"absorb": apply})
    defaults = ModuleMapping(apply=ReducerCall("absorb", ("{idempotency_key}",)))
    typed_defaults, problems = typed_mapping(defaults, schema)
    assert problems == ()
    assert (typed_defaults.compact, typed_defaults.resume, typed_defaults.ack) == (None,) * 3
    named = dataclasses.replace(defaults, declared_reducers=frozenset({"resume"}))
    _, problems = typed_mapping(named, schema)
    assert len(problems) == 1 and "module.reducers.resume" in problems[0]
    assert "no reducer 'resume_stream'" in problems[0]
