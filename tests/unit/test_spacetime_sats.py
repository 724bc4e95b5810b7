"""SATS-JSON decoding and reducer-argument encoding, on payloads shaped like the server's."""

from __future__ import annotations

import json

import pytest

from harness.spacetime.errors import ProtocolError
from harness.spacetime.sats import (
    JsonValue,
    RowType,
    decode_value,
    identity_arg,
    normalize_identity,
    option_arg,
    timestamp_arg,
)
from harness.spacetime.schema import ModuleSchema

IDENTITY_HEX = "c200" + "ab" * 30
UNIT: JsonValue = {"Product": {"elements": []}}


def _column(name: str, ty: JsonValue) -> JsonValue:
    return {"name": {"some": name}, "algebraic_type": ty}


def _option(ty: JsonValue) -> JsonValue:
    return {"Sum": {"variants": [_column("some", ty), _column("none", UNIT)]}}


def _special(tag: str, ty: str) -> JsonValue:
    return {"Product": {"elements": [_column(tag, {ty: []})]}}


# The `schema` of a SQL statement result: a ProductType with resolved column types.
SQL_SCHEMA: JsonValue = {
    "elements": [
        _column("stream_id", {"String": []}),
        _column("seq", {"U64": []}),
        _column("owner", _special("__identity__", "U256")),
        _column("note", _option({"String": []})),
        _column("published_at", _special("__timestamp_micros_since_unix_epoch__", "I64")),
        _column("big", {"U256": []}),
        _column("ok", {"Bool": []}),
    ]
}


def test_sql_array_row_decodes_to_plain_values_by_column_name() -> None:
    row_type = RowType.from_product(SQL_SCHEMA)
    raw = json.loads(
        f'["s-1", 7, ["0x{IDENTITY_HEX}"], [0, "hello"], [1700000000123456], "0x1ff", true]'
    )

    assert row_type.decode(raw) == {
        "stream_id": "s-1",
        "seq": 7,
        "owner": IDENTITY_HEX,
        "note": "hello",
        "published_at": 1700000000123456,
        "big": 0x1FF,
        "ok": True,
    }


def test_option_none_and_object_shaped_row_decode_like_the_array_form() -> None:
    row_type = RowType.from_product(SQL_SCHEMA)
    raw: JsonValue = {
        "stream_id": "s-2",
        "seq": 8,
        "owner": {"__identity__": "0x1"},
        "note": [1, []],
        "published_at": {"__timestamp_micros_since_unix_epoch__": 5},
        "big": "0x0",
        "ok": False,
    }

    row = row_type.decode(raw)

    assert row["note"] is None
    assert row["owner"] == "0" * 63 + "1"
    assert row["published_at"] == 5


def test_refs_resolve_through_the_module_typespace_for_enums_and_structs() -> None:
    kind_enum: JsonValue = {
        "Sum": {
            "variants": [
                _column("Append", UNIT),
                _column("Compact", {"Product": {"elements": [_column("upto", {"U64": []})]}}),
            ]
        }
    }
    row: JsonValue = {
        "Product": {
            "elements": [
                _column("kind", {"Ref": 0}),
                _column("payload", {"Array": {"U8": []}}),
                _column("tags", {"Array": {"String": []}}),
            ]
        }
    }
    schema = ModuleSchema.from_json(
        {
            "typespace": {"types": [kind_enum, row]},
            "tables": [{"name": "sync_event", "product_type_ref": 1}],
        }
    )
    row_type = schema.row_type("sync_event")

    unit_variant = row_type.decode([[0, []], "00ff", ["a", "b"]])
    payload_variant = row_type.decode([[1, [42]], "0102", []])
    named_variant = row_type.decode([{"Compact": {"upto": 42}}, "", []])

    assert unit_variant == {"kind": "Append", "payload": b"\x00\xff", "tags": ["a", "b"]}
    assert payload_variant["kind"] == {"Compact": {"upto": 42}}
    assert payload_variant["payload"] == b"\x01\x02"
    assert named_variant["kind"] == payload_variant["kind"]
    with pytest.raises(ProtocolError):
        row_type.decode([[0, []], [1, 2], []])  # bytes always come as hex


def test_unknown_table_in_schema_is_a_protocol_error_naming_known_tables() -> None:
    schema = ModuleSchema.from_json(
        {
            "typespace": {"types": [{"Product": {"elements": []}}]},
            "tables": [{"name": "stream_head", "product_type_ref": 0}],
        }
    )

    with pytest.raises(ProtocolError, match="stream_head"):
        schema.row_type("nope")


@pytest.mark.parametrize(
    ("ty", "raw", "expected"),
    [
        ({"I256": []}, "-0x10", -16),
        ({"U128": []}, 340282366920938463463374607431768211455, 2**128 - 1),
        ({"F64": []}, 1, 1.0),
        ({"I64": []}, -3, -3),
        (_special("__connection_id__", "U128"), [255], "0" * 30 + "ff"),
    ],
)
def test_scalar_decoding(ty: JsonValue, raw: JsonValue, expected: object) -> None:
    assert decode_value(ty, raw) == expected


@pytest.mark.parametrize(
    ("ty", "raw"),
    [
        ({"U64": []}, True),  # JSON booleans are not numbers
        ({"String": []}, 5),
        (_option({"U8": []}), [2, 1]),  # tag out of range
        ({"Ref": 3}, 1),  # reference outside the (empty) typespace
        ({"Nope": []}, 1),
    ],
)
def test_ill_typed_values_raise_protocol_error(ty: JsonValue, raw: JsonValue) -> None:
    with pytest.raises(ProtocolError):
        decode_value(ty, raw)


def test_row_with_wrong_arity_is_rejected() -> None:
    with pytest.raises(ProtocolError, match="columns"):
        RowType.from_product(SQL_SCHEMA).decode(["only-one"])


def test_identity_normalization_and_argument_encoding() -> None:
    assert normalize_identity("0x" + IDENTITY_HEX.upper()) == IDENTITY_HEX
    assert normalize_identity("0xabc") == "0" * 61 + "abc"
    assert identity_arg(IDENTITY_HEX) == {"__identity__": "0x" + IDENTITY_HEX}
    assert option_arg(None) == {"none": []}
    assert option_arg(3) == {"some": 3}
    assert timestamp_arg(12) == {"__timestamp_micros_since_unix_epoch__": 12}
    with pytest.raises(ProtocolError):
        normalize_identity("not-hex")
