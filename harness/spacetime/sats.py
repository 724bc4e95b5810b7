"""SATS-JSON values: decoding by AlgebraicType, and encoding of reducer arguments.

The server emits table rows as *untyped* SATS-JSON: products are arrays in column order (or,
for rows read from committed tables over WebSocket, objects keyed by column name), sums and
options are ``[tag, payload]``, identities are ``["0x..."]`` and timestamps ``[micros]``.
None of that is comparable with the oracle's plain values, so every row is decoded here,
driven by the type the server itself published (the SQL response ``schema`` or the module's
``typespace``), into plain Python: dicts keyed by column name, ``None`` for an empty option,
lowercase 64-character hex for identities, integer microseconds for timestamps.

AlgebraicTypes arrive as SATS-JSON sums themselves: ``{"U64": []}``, ``{"String": []}``,
``{"Array": T}``, ``{"Product": {"elements": [...]}}``, ``{"Sum": {"variants": [...]}}``,
``{"Ref": n}`` (an index into the typespace).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

from harness.spacetime.errors import ProtocolError

JsonValue: TypeAlias = "bool | int | float | str | list[JsonValue] | dict[str, JsonValue] | None"
"""Anything ``json.loads`` can return and ``json.dumps`` can write."""

Row: TypeAlias = dict[str, Any]
"""One decoded row, keyed by column name."""

_SMALL_INTS = frozenset({"U8", "I8", "U16", "I16", "U32", "I32", "U64", "I64"})
# 128-bit integers are JSON numbers; 256-bit ones are "0x..." strings (ethnum's serde).
# Both are accepted either way: Python ints have no width, so nothing is lost.
_BIG_INTS = frozenset({"U128", "I128", "U256", "I256"})

# Special single-field products with a meaning of their own (sats product_type.rs).
_IDENTITY = "__identity__"
_CONNECTION_ID = "__connection_id__"
_TIMESTAMP = "__timestamp_micros_since_unix_epoch__"
_DURATION = "__time_duration_micros__"


def normalize_identity(identity: str | int) -> str:
    """Return an identity as 64 lowercase hex digits without ``0x``.

    The server writes an identity as the hex of its u256 value, with or without ``0x`` and
    leading zeros depending on where it appears; one canonical spelling lets checks compare
    identities with ``==``.
    """
    if isinstance(identity, int):
        value = identity
    else:
        digits = identity.lower().removeprefix("0x")
        try:
            value = int(digits, 16)
        except ValueError as exc:
            raise ProtocolError(f"not an identity: {identity!r}") from exc
    if not 0 <= value < 1 << 256:
        raise ProtocolError(f"not an identity: {identity!r}")
    return f"{value:064x}"


def identity_arg(identity: str) -> JsonValue:
    """Encode an identity as a reducer argument.

    A bare hex string does not deserialize: the server wants the special product, and its
    u256 parser wants the ``0x`` prefix that ``/v1/identity`` leaves out.
    """
    return {_IDENTITY: "0x" + normalize_identity(identity)}


def option_arg(value: JsonValue) -> JsonValue:
    """Encode an ``Option`` reducer argument: ``None`` is none, anything else is some.

    The server does not accept a bare value for an option, so optional arguments must be
    wrapped. (An ``Option<()>``-style some-of-null cannot be expressed; no reducer needs it.)
    """
    if value is None:
        return {"none": []}
    return {"some": value}


def timestamp_arg(micros: int) -> JsonValue:
    """Encode a ``Timestamp`` reducer argument from microseconds since the Unix epoch."""
    return {_TIMESTAMP: micros}


@dataclass(frozen=True)
class RowType:
    """The column names and types of one table, able to decode that table's rows.

    ``typespace`` resolves ``{"Ref": n}`` column types (module-defined structs and enums);
    the SQL response schema comes already resolved, so it may be empty there.
    """

    columns: tuple[str, ...]
    types: tuple[JsonValue, ...]
    typespace: tuple[JsonValue, ...] = ()

    @classmethod
    def from_product(cls, product: JsonValue, typespace: Sequence[JsonValue] = ()) -> RowType:
        """Build from a ``ProductType`` (``{"elements": [...]}``) as the server writes it."""
        elements = _elements(product)
        return cls(
            columns=tuple(_element_name(e, i) for i, e in enumerate(elements)),
            types=tuple(_field(e, "algebraic_type") for e in elements),
            typespace=tuple(typespace),
        )

    def decode(self, raw: JsonValue) -> Row:
        """Decode one row given as an array in column order or an object keyed by column."""
        values = _product_fields(raw, self.columns)
        return {
            name: decode_value(ty, value, self.typespace)
            for name, ty, value in zip(self.columns, self.types, values, strict=True)
        }


def decode_value(ty: JsonValue, raw: JsonValue, typespace: Sequence[JsonValue] = ()) -> Any:
    """Decode one SATS-JSON value of AlgebraicType ``ty`` into plain Python.

    Products become dicts (special products become their scalar: identity hex, connection
    id hex, integer microseconds); options become the value or ``None``; other sums become
    the variant name when the payload is unit, else ``{name: payload}``; ``Array<U8>``
    becomes ``bytes``.
    """
    kind, arg = _single(ty, "AlgebraicType")
    if kind == "Ref":
        index = _expect(arg, int, "type reference")
        if not 0 <= index < len(typespace):
            raise ProtocolError(f"type reference {index} outside a typespace of {len(typespace)}")
        return decode_value(typespace[index], raw, typespace)
    if kind in _SMALL_INTS:
        return _expect(raw, int, kind)
    if kind in _BIG_INTS:
        return raw if isinstance(raw, int) and not isinstance(raw, bool) else _parse_int(raw)
    if kind in ("F32", "F64"):
        return float(_expect(raw, (int, float), kind))
    if kind == "Bool":
        return _expect(raw, bool, kind)
    if kind == "String":
        return _expect(raw, str, kind)
    if kind == "Array":
        return _decode_array(arg, raw, typespace)
    if kind == "Product":
        return _decode_product(arg, raw, typespace)
    if kind == "Sum":
        return _decode_sum(arg, raw, typespace)
    raise ProtocolError(f"unknown AlgebraicType {kind!r}")


def _decode_array(elem: JsonValue, raw: JsonValue, typespace: Sequence[JsonValue]) -> Any:
    if elem == {"U8": []}:  # the server writes byte arrays as hex strings
        try:
            return bytes.fromhex(_expect(raw, str, "bytes"))
        except ValueError as exc:
            raise ProtocolError(f"bad hex bytes {raw!r}") from exc
    return [decode_value(elem, item, typespace) for item in _expect(raw, list, "array")]


def _decode_product(product: JsonValue, raw: JsonValue, typespace: Sequence[JsonValue]) -> Any:
    row_type = RowType.from_product(product, typespace)
    fields = row_type.decode(raw)
    if row_type.columns == (_IDENTITY,):
        return normalize_identity(fields[_IDENTITY])
    if row_type.columns == (_CONNECTION_ID,):
        return f"{fields[_CONNECTION_ID]:032x}"
    if row_type.columns in ((_TIMESTAMP,), (_DURATION,)):
        return fields[row_type.columns[0]]
    return fields


def _decode_sum(sum_type: JsonValue, raw: JsonValue, typespace: Sequence[JsonValue]) -> Any:
    variants = _field(sum_type, "variants")
    variants = _expect(variants, list, "sum variants")
    names = [_element_name(v, i) for i, v in enumerate(variants)]
    tag, payload = _sum_parts(raw, names)
    variant_type = _field(variants[tag], "algebraic_type")
    value = decode_value(variant_type, payload, typespace)
    if names == ["some", "none"]:
        return value if tag == 0 else None
    if value == {}:  # unit payload: the variant name alone says it all
        return names[tag]
    return {names[tag]: value}


def _sum_parts(raw: JsonValue, names: list[str]) -> tuple[int, JsonValue]:
    """Split a sum value into (tag, payload).

    Rows carry untyped sums, ``[tag, payload]``; the named form ``{name: payload}`` of typed
    SATS-JSON is accepted too, because no reference table has a sum column to confirm that
    object-shaped rows never use it.
    """
    if isinstance(raw, list) and len(raw) == 2 and isinstance(raw[0], int):
        tag, payload = raw[0], raw[1]
    elif isinstance(raw, dict) and len(raw) == 1 and next(iter(raw)) in names:
        ((key, payload),) = raw.items()
        tag = names.index(key)
    else:
        raise ProtocolError(f"not a sum value of variants {names}: {raw!r}")
    if not 0 <= tag < len(names):
        raise ProtocolError(f"sum tag {tag} out of range for variants {names}")
    return tag, payload


def _product_fields(raw: JsonValue, columns: tuple[str, ...]) -> list[JsonValue]:
    """Put a product's values in column order, from an array or a name-keyed object."""
    if isinstance(raw, list):
        if len(raw) != len(columns):
            raise ProtocolError(f"product of {len(raw)} values for columns {columns}")
        return raw
    if isinstance(raw, dict):
        if set(raw) != set(columns):
            raise ProtocolError(f"product keys {sorted(raw)} do not match columns {columns}")
        return [raw[name] for name in columns]
    raise ProtocolError(f"not a product value: {raw!r}")


def _elements(product: JsonValue) -> list[JsonValue]:
    elements: list[JsonValue] = _expect(_field(product, "elements"), list, "product elements")
    return elements


def _element_name(element: JsonValue, index: int) -> str:
    """An element's name: ``{"some": "col"}``; unnamed elements are keyed by position."""
    kind, value = _single(_field(element, "name"), "element name")
    return _expect(value, str, "element name") if kind == "some" else str(index)


def _single(value: JsonValue, what: str) -> tuple[str, JsonValue]:
    """Unpack a one-key object, the SATS-JSON form of a named sum such as an AlgebraicType."""
    if not isinstance(value, dict) or len(value) != 1:
        raise ProtocolError(f"{what} is not a one-key object: {value!r}")
    ((key, inner),) = value.items()
    return key, inner


def _field(value: JsonValue, name: str) -> JsonValue:
    if not isinstance(value, dict) or name not in value:
        raise ProtocolError(f"expected an object with {name!r}, got {value!r}")
    return value[name]


def _parse_int(text: JsonValue) -> int:
    """Parse ``"0x..."``, ``"-0x..."`` or decimal text, as big integers are written."""
    if not isinstance(text, str):
        raise ProtocolError(f"expected an integer string, got {text!r}")
    try:
        return int(text, 0)
    except ValueError as exc:
        raise ProtocolError(f"not an integer: {text!r}") from exc


def _expect(value: JsonValue, kind: type | tuple[type, ...], what: str) -> Any:
    """Check a JSON value's Python type; JSON booleans never pass as numbers."""
    if isinstance(value, bool) and kind is not bool:
        raise ProtocolError(f"{what}: expected a number, got {value!r}")
    if not isinstance(value, kind):
        raise ProtocolError(f"{what}: unexpected value {value!r}")
    return value


__all__ = [
    "JsonValue",
    "Row",
    "RowType",
    "decode_value",
    "identity_arg",
    "normalize_identity",
    "option_arg",
    "timestamp_arg",
]
