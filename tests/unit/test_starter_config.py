"""`stdb-harness init`'s starter configuration: written from the schema alone, it loads as
it is, maps what names and types settle, and marks every other line as a guess."""

from __future__ import annotations

import re
from pathlib import Path

from harness.config.load import load_config
from harness.config.starter import guesses, starter_config
from harness.spacetime.sats import JsonValue, RowType
from harness.spacetime.schema import ModuleSchema, ReducerDef
from harness.targets.module_mapping import ReducerCall

U64: JsonValue = {"U64": []}
I64: JsonValue = {"I64": []}
F64: JsonValue = {"F64": []}
STRING: JsonValue = {"String": []}
UNIT: JsonValue = {"Product": {"elements": []}}
TIMESTAMP: JsonValue = {"Product": {"elements": [
    {"name": {"some": "__timestamp_micros_since_unix_epoch__"}, "algebraic_type": I64}]}}
OPTION_STRING: JsonValue = {"Sum": {"variants": [
    {"name": {"some": "some"}, "algebraic_type": STRING},
    {"name": {"some": "none"}, "algebraic_type": UNIT}]}}
ORIGIN: JsonValue = {"Sum": {"variants": [
    {"name": {"some": "Live"}, "algebraic_type": UNIT},
    {"name": {"some": "Replay"}, "algebraic_type": UNIT}]}}

# A module of another team's naming: the apply reducer takes a Timestamp, an enum, a float
# and an Option; a second reducer only looks like compaction.
SCHEMA = ModuleSchema(
    tables={
        "ingested": RowType(("key", "stream", "position", "at", "received_at"),
                            (STRING, STRING, U64, TIMESTAMP, TIMESTAMP)),
        "kind_seen": RowType(("kind", "times"), (STRING, U64)),
        "keeper": RowType(("slot", "identity"), (U64, STRING)),
    },
    primary_keys={"ingested": "key", "kind_seen": None, "keeper": "slot"},
    public=frozenset({"ingested", "kind_seen"}),
    reducers={
        "init": ReducerDef("init", (), "Init"),
        "absorb": ReducerDef("absorb", (
            ("key", STRING), ("stream", STRING), ("position", U64), ("kind", STRING),
            ("body", STRING), ("digest", STRING), ("at", TIMESTAMP), ("origin", {"Ref": 0}),
            ("weight", F64), ("note", OPTION_STRING))),
        "prune_old": ReducerDef("prune_old", (("stream", STRING),)),
    },
    typespace=(ORIGIN,),
)


def _written(tmp_path: Path) -> str:
    (tmp_path / "module").mkdir(parents=True)
    (tmp_path / "module" / "Cargo.toml").write_text("[package]\nname = 'm'\n")
    text = starter_config(SCHEMA, 'crate = "module"', "almanac")
    (tmp_path / "stdb-harness.toml").write_text(text, encoding="utf-8")
    return text


def test_the_starter_loads_as_written_and_maps_what_names_and_types_settle(
    tmp_path: Path,
) -> None:
    _written(tmp_path)
    config = load_config(tmp_path / "stdb-harness.toml", tmp_path)
    assert config.module is not None
    assert config.module.apply == ReducerCall("absorb", (
        "{idempotency_key}", "{stream_id}", "{seq}", "{kind}", "{payload_json}",
        "{payload_hash}", "{published_at_us}", "Live", 0.0, {"none": []}))
    # the one reducer named like compaction is a guess set to false; resume and ack are
    # left unset, so the module lacks them once its schema shows it has neither
    assert config.module.compact is None
    assert config.module.declared_reducers == {"apply", "compact"}
    assert config.module.volatile == {"ingested": frozenset({"at", "received_at"})}


def test_every_guess_is_marked_and_listed_with_its_line(tmp_path: Path) -> None:
    left = guesses(_written(tmp_path))
    assert [line.split(": ", 1)[1].split("  #")[0] for line in left] == [
        '"Live",', "0.0,", "{ none = [] },", "compact = false",
        "[module.errors]", 'ingested = ["at", "received_at"]']
    assert "which variant: Live | Replay" in left[0]
    assert "prune_old may be the compact reducer" in left[3]
    # the schema's whole shape is in the comments: every reducer's types, every key
    text = _written(tmp_path / "again")
    assert "#   absorb(key: String, stream: String, position: u64" in text
    assert "at: Timestamp, origin: enum {Live, Replay}, weight: f64, note: Option<String>)" in text
    assert "#   kind_seen (no primary key: compared as a multiset): kind, times" in text
    assert "#   keeper (key slot, private): slot, identity" in text
    assert "init(" not in text  # a lifecycle reducer is nobody's to call


def test_a_settled_config_has_no_guesses_left() -> None:
    settled = re.sub(r"\s*(# )?TODO:.*", "", starter_config(SCHEMA, 'crate = "m"', "m"))
    assert guesses(settled) == []
