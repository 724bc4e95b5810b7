"""A module shaped unlike the reference: columns missing, columns of its own, tables off,
its own key and hash formats, no module at all. What the oracle cannot judge is left out of
its comparisons; nothing of it is reported as a difference."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.checks.outcomes import snapshot_violations
from harness.checks.snapshot_diff import contract_view
from harness.config.load import ConfigError, load_config
from harness.contract.events import Event
from harness.targets.module_mapping import ModuleMapping, absent_parts, contract_event_row
from harness.targets.templates import parse_format

EVENT = Event("run:r1:events", 2, "run.step", {"tokens": 3}, 1_767_225_600_000)


def test_a_format_is_read_back_into_its_fields() -> None:
    assert parse_format("{stream_id}/{seq}/{kind}", "runtime.run.r1.events/2/run.step") == {
        "stream_id": "runtime.run.r1.events", "seq": 2, "kind": "run.step"}
    assert parse_format("{topic}#{seq}", "run:r1:events#12") == {"topic": "run:r1:events",
                                                                  "seq": 12}
    assert parse_format("{topic}#{seq}", "run:r1:events#x") is None
    assert parse_format("{payload_hash_hex}", "sha256:ab") is None
    assert parse_format("{payload_hash_hex}", 7) is None


def _stored(mapping: ModuleMapping, **drop: bool) -> dict[str, object]:
    """The event's row as a module with `mapping`'s formats stores it, without columns."""
    args = EVENT.reducer_args()
    row: dict[str, object] = {
        "idempotency_key": mapping.idempotency_key_format.format(
            topic=EVENT.topic, stream_id=args.stream_id, seq=args.seq, kind=args.kind,
            idempotency_key=args.idempotency_key),
        "stream_id": args.stream_id, "seq": args.seq, "kind": args.kind,
        "payload_json": args.payload_json,
        "payload_hash": mapping.payload_hash_format.format(
            payload_hash=args.payload_hash,
            payload_hash_hex=args.payload_hash.removeprefix("sha256:")),
        "published_at_ms": args.published_at_ms, "body_bytes": 12}
    return {k: v for k, v in row.items() if k not in drop}


@pytest.mark.parametrize(("key", "hash_format"), [
    ("{stream_id}/{seq}/{kind}", "{payload_hash_hex}"),
    ("{topic}#{seq}", "{payload_hash}"),
    ("{idempotency_key}", "{payload_hash}"),
])
def test_a_stored_key_and_hash_read_back_in_contract_form_without_a_kind_column(
        key: str, hash_format: str) -> None:
    mapping = ModuleMapping(idempotency_key_format=key, payload_hash_format=hash_format)
    for row in (_stored(mapping), _stored(mapping, kind=True)):
        found = contract_event_row(row, mapping)
        assert found["idempotency_key"] == EVENT.idempotency_key
        assert found["payload_hash"] == EVENT.payload_hash
        assert found["body_bytes"] == 12


def test_a_key_that_names_another_event_stays_as_stored() -> None:
    mapping = ModuleMapping(idempotency_key_format="{topic}#{seq}")
    row = {**_stored(mapping), "seq": 3}
    assert contract_event_row(row, mapping)["idempotency_key"] == "run:r1:events#2"


ORACLE = {"sync_event": [{"idempotency_key": "k1", "stream_id": "s", "seq": 1,
                          "kind": "note", "payload_json": "{}", "payload_hash": "h",
                          "published_at_ms": 5}],
          "stream_head": [{"stream_id": "s", "head_seq": 1, "oldest_seq": 1}],
          "run_summary": [{"run_id": "r1", "owner": "", "status": "created", "steps": 0,
                           "tokens_total": 0, "outcome": "", "ignored_events": 0,
                           "last_seq": 1}]}
TARGET = {"sync_event": [{"idempotency_key": "k1", "stream_id": "s", "seq": 1,
                          "payload_json": "{}", "payload_hash": "h", "published_at_ms": 5,
                          "body_bytes": 2}],
          "stream_head": [{"stream_id": "s", "head_seq": 1, "event_count": 1}]}


def test_absent_tables_and_columns_and_extra_columns_are_no_difference() -> None:
    assert not list(snapshot_violations("final vs oracle", ORACLE, TARGET))
    expected, observed = contract_view(ORACLE, TARGET)
    assert set(expected) == {"sync_event", "stream_head"}
    assert "kind" not in expected["sync_event"][0] and "body_bytes" not in observed[
        "sync_event"][0]


def test_a_difference_in_a_column_both_hold_is_still_one() -> None:
    wrong = {**TARGET, "stream_head": [{"stream_id": "s", "head_seq": 2, "event_count": 1}]}
    found = list(snapshot_violations("final vs oracle", ORACLE, wrong))
    assert [v.rule for v in found] == ["M3"] and "head_seq: expected 1, observed 2" in \
        found[0].message


def test_the_target_against_itself_compares_its_own_columns_too() -> None:
    other = {**TARGET, "stream_head": [{"stream_id": "s", "head_seq": 1, "event_count": 2}]}
    found = list(snapshot_violations("rebuild vs original", TARGET, other, rule="G2",
                                     relative=True))
    assert [v.rule for v in found] == ["G2"] and "event_count" in found[0].message


def _config(tmp_path: Path, text: str) -> Path:
    (tmp_path / "module").mkdir(exist_ok=True)
    (tmp_path / "module" / "Cargo.toml").write_text("[package]\nname = 'm'\n")
    path = tmp_path / "stdb-harness.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_module_declares_the_tables_and_columns_it_lacks(tmp_path: Path) -> None:
    config = load_config(_config(tmp_path, '''
[module]
crate = "module"
[module.tables]
run_summary = false
[module.tables.sync_event]
name = "event_log"
columns = { kind = false, seq = "position" }
'''), tmp_path)
    assert config.module is not None
    table = config.module.tables["sync_event"]
    assert table.name == "event_log" and table.absent == {"kind"}
    assert table.columns == {"seq": "position"}
    assert absent_parts(config.module) == {"module.tables.run_summary",
                                           "module.tables.sync_event.kind"}


def test_a_primary_key_cannot_be_absent(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="primary key cannot be absent"):
        load_config(_config(tmp_path, '[module]\ncrate = "module"\n'
                            '[module.tables.stream_head]\ncolumns = { stream_id = false }\n'),
                    tmp_path)


def test_a_control_service_alone_is_a_target(tmp_path: Path) -> None:
    config = load_config(_config(tmp_path, '''
[control]
command = ["{python}", "-m", "gate"]
env = { GATE_PORT = "{port}" }
admin = "adapters:admin"
'''), tmp_path)
    assert config.module is None and config.module_source is None
    assert config.control is not None and config.control.service.env == {"GATE_PORT": "{port}"}


@pytest.mark.parametrize(("text", "problem"), [
    ("", "no side at all"),
    ('[publisher]\nservice = "stub"\n[control]\nurl = "http://x"\nadmin = "a:b"\n',
     "needs a module"),
    ('[control]\ncommand = ["serve"]\nadmin = "a:b"\n', "{port} placeholder"),
])
def test_a_target_that_cannot_be_run_is_refused(tmp_path: Path, text: str,
                                                 problem: str) -> None:
    with pytest.raises(ConfigError, match=problem.replace("{", r"\{").replace("}", r"\}")):
        load_config(_config(tmp_path, text), tmp_path)
