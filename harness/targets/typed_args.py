"""Argument templates typed by the reducer's declared parameter types.

A template says which contract field goes where (`"{seq}"`, `"{published_at_ms}"`); the
module's schema says what the parameter is (a `u8`, a `Timestamp`, an `Option<Detail>`, an
enum). SpacetimeDB reads each type in one JSON form only: a timestamp as
`{"__timestamp_micros_since_unix_epoch__": n}`, an option as `{"some": v}` or
`{"none": []}`, an enum's unit variant as `{"Live": []}`, a struct as an object of its
fields. `compile_args` turns each template into a template of that form, once the schema is
known, so whoever renders it (the harness, or a publisher that renders templates itself,
as the stub runtime does) sends what the server takes; and it says, per reducer and
parameter, what cannot have the declared type, before any scenario runs.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from harness.spacetime.sats import JsonValue
from harness.spacetime.schema import ModuleSchema, ReducerDef
from harness.targets.module_mapping import ModuleMapping, ReducerCall
from harness.targets.templates import field_names

_IDENTITY = "__identity__"
_CONNECTION_ID = "__connection_id__"
_TIMESTAMP = "__timestamp_micros_since_unix_epoch__"
_DURATION = "__time_duration_micros__"

# The integer fields templates can name, and their least and greatest values.
FIELD_RANGES = {
    "seq": (1, 2**64 - 1), "through_seq": (0, 2**64 - 1), "after_seq": (0, 2**64 - 1),
    "replay_budget": (0, 2**64 - 1), "last_applied_seq": (0, 2**64 - 1),
    "published_at_ms": (0, 2**63 - 1), "published_at_us": (0, 2**63 - 1),
    "key_number": (0, 2**63 - 1),
}
# Fields that give an event's time, in the unit each gives it in.
TIME_FIELDS = {"published_at_ms": 1000, "published_at_us": 1, "published_at": None}
_INTEGER_RANGES = {
    "U8": (0, 2**8 - 1), "U16": (0, 2**16 - 1), "U32": (0, 2**32 - 1), "U64": (0, 2**64 - 1),
    "U128": (0, 2**128 - 1), "U256": (0, 2**256 - 1),
    "I8": (-(2**7), 2**7 - 1), "I16": (-(2**15), 2**15 - 1), "I32": (-(2**31), 2**31 - 1),
    "I64": (-(2**63), 2**63 - 1), "I128": (-(2**127), 2**127 - 1),
    "I256": (-(2**255), 2**255 - 1),
}


class Unfit(Exception):
    """A template that cannot have its parameter's type; the message says why."""


@dataclass(frozen=True)
class Compiled:
    """A reducer's templates in the JSON forms of its parameters, and what did not fit."""

    args: tuple[object, ...]
    problems: tuple[str, ...]


def compile_args(where: str, reducer: ReducerDef, templates: Sequence[object],
                 typespace: Sequence[JsonValue]) -> Compiled:
    """`templates` (one per parameter, in order) in the forms `reducer` declares. Each
    problem names the config key, the reducer, the parameter, its type and the value."""
    if len(templates) != len(reducer.params):
        names = ", ".join(f"{name}: {type_name(ty, typespace)}" for name, ty in reducer.params)
        return Compiled(tuple(templates), (
            f"{where}: {reducer.name} takes {len(reducer.params)} arguments ({names}), the "
            f"config gives {len(templates)}",))
    compiled: list[object] = []
    problems: list[str] = []
    for (name, ty), template in zip(reducer.params, templates, strict=True):
        try:
            compiled.append(typed(template, ty, typespace))
        except Unfit as exc:
            compiled.append(template)
            problems.append(f"{where}: {reducer.name} parameter {name} "
                            f"({type_name(ty, typespace)}): {template!r} {exc}")
    return Compiled(tuple(compiled), tuple(problems))


def _resolve(ty: JsonValue, typespace: Sequence[JsonValue]) -> JsonValue:
    while isinstance(ty, dict) and "Ref" in ty and isinstance(ty["Ref"], int):
        ty = typespace[ty["Ref"]]
    return ty


def _kind(ty: JsonValue) -> tuple[str, Any]:
    if isinstance(ty, dict) and len(ty) == 1:
        ((kind, body),) = ty.items()
        return kind, body
    raise Unfit(f"has a type the harness cannot read: {ty!r}")


def _elements(body: Any, key: str) -> list[tuple[str | None, JsonValue]]:
    items = body.get(key, []) if isinstance(body, dict) else []
    found = []
    for item in items:
        label = item.get("name") if isinstance(item, dict) else None
        name = label.get("some") if isinstance(label, dict) else None
        found.append((name if isinstance(name, str) else None, item.get("algebraic_type")))
    return found


def _special(ty: JsonValue) -> str | None:
    """The name of a special single-field product (identity, timestamp, ...), if it is one."""
    kind, body = _kind(ty) if isinstance(ty, dict) else ("", None)
    if kind != "Product":
        return None
    elements = _elements(body, "elements")
    if len(elements) == 1 and elements[0][0] in (_IDENTITY, _CONNECTION_ID, _TIMESTAMP,
                                                  _DURATION):
        return elements[0][0]
    return None


def _option(ty: JsonValue) -> JsonValue | None:
    """The inner type of an `Option<T>` (a sum of `some: T` and `none: ()`), else None."""
    kind, body = _kind(ty)
    if kind != "Sum":
        return None
    variants = dict(_elements(body, "variants"))
    return variants.get("some") if set(variants) == {"some", "none"} else None


def type_name(ty: JsonValue, typespace: Sequence[JsonValue] = ()) -> str:
    """A parameter's type as a person writes it: `u64`, `Option<String>`, `Timestamp`."""
    ty = _resolve(ty, typespace)
    special = _special(ty)
    if special is not None:
        return {_IDENTITY: "Identity", _CONNECTION_ID: "ConnectionId", _TIMESTAMP: "Timestamp",
                _DURATION: "TimeDuration"}[special]
    try:
        kind, body = _kind(ty)
        inner = _option(ty)
    except Unfit:
        return repr(ty)
    if inner is not None:
        return f"Option<{type_name(inner, typespace)}>"
    if kind == "Array":
        return f"Vec<{type_name(body, typespace)}>"
    if kind == "Sum":
        return "enum {" + ", ".join(n or "?" for n, _ in _elements(body, "variants")) + "}"
    if kind == "Product":
        return "struct {" + ", ".join(n or "?" for n, _ in _elements(body, "elements")) + "}"
    return kind if kind == "String" else kind.lower()


def _lone_field(template: object) -> str | None:
    if isinstance(template, str):
        names = field_names(template)
        if len(names) == 1 and template == "{" + names[0] + "}":
            return names[0]
    return None


def typed(template: object, ty: JsonValue, typespace: Sequence[JsonValue]) -> object:
    """One template in the JSON form of type `ty`; Unfit where it cannot have it."""
    ty = _resolve(ty, typespace)
    special = _special(ty)
    if special is not None:
        return _special_value(special, template)
    inner = _option(ty)
    if inner is not None:
        return _option_value(template, inner, typespace)
    kind, body = _kind(ty)
    if kind in _INTEGER_RANGES:
        return _integer(template, kind)
    if kind in ("F32", "F64"):
        return _float(template)
    if kind == "Bool":
        if isinstance(template, bool):
            return template
        raise Unfit("is not true or false (no field gives a boolean)")
    if kind == "String":
        if isinstance(template, str):
            return template
        raise Unfit("is not text: write it as a string template")
    if kind == "Array":
        if not isinstance(template, list):
            raise Unfit("is not a list")
        return [typed(item, body, typespace) for item in template]
    if kind == "Product":
        return _product(template, body, typespace)
    if kind == "Sum":
        return _variant(template, body, typespace)
    raise Unfit(f"has the type {kind}, which templates cannot give")


def _integer(template: object, kind: str) -> object:
    low, high = _INTEGER_RANGES[kind]
    field = _lone_field(template)
    if field is not None:
        if field not in FIELD_RANGES:
            raise Unfit(f"names {{{field}}}, which is not a number")
        least, greatest = FIELD_RANGES[field]
        if least < low or greatest > high:
            raise Unfit(f"can be {greatest if greatest > high else least}, outside "
                        f"{kind.lower()}'s range {low}..{high}")
        return template
    if isinstance(template, int) and not isinstance(template, bool):
        if not low <= template <= high:
            raise Unfit(f"is outside {kind.lower()}'s range {low}..{high}")
        return template
    raise Unfit("is not a number: write a lone numeric field (\"{seq}\") or an integer")


def _float(template: object) -> object:
    field = _lone_field(template)
    if field is not None:
        if field not in FIELD_RANGES:
            raise Unfit(f"names {{{field}}}, which is not a number")
        return template
    if isinstance(template, int | float) and not isinstance(template, bool):
        return template
    raise Unfit("is not a number: write a lone numeric field (\"{seq}\") or a number")


def _special_value(special: str, template: object) -> object:
    field = _lone_field(template)
    if special == _TIMESTAMP:
        if field in TIME_FIELDS:
            return {_TIMESTAMP: "{published_at_us}"}
        if isinstance(template, int) and not isinstance(template, bool):
            return {_TIMESTAMP: template}
        raise Unfit("is not a time: write \"{published_at_ms}\" (the event's time) or "
                    "microseconds since the epoch")
    if special == _DURATION:
        if field in FIELD_RANGES or (isinstance(template, int) and not isinstance(
                template, bool)):
            return {_DURATION: template}
        raise Unfit("is not a duration: write microseconds, or a lone numeric field")
    if isinstance(template, str):  # an identity or a connection id, in hex
        hex_text = template if template.startswith("0x") else "0x" + template
        return {special: hex_text}
    raise Unfit("is not a hex identity: write \"{client_identity}\" or a hex string")


def _option_value(template: object, inner: JsonValue,
                  typespace: Sequence[JsonValue]) -> object:
    """`{ none = [] }` (TOML has no null) or `{ some = ... }`, or any other template as
    the value of `some`."""
    if template is None or template in ({"none": []}, {"none": {}}):
        return {"none": []}
    if isinstance(template, dict) and set(template) == {"some"}:
        return {"some": typed(template["some"], inner, typespace)}
    return {"some": typed(template, inner, typespace)}


def _product(template: object, body: Any, typespace: Sequence[JsonValue]) -> object:
    elements = _elements(body, "elements")
    if isinstance(template, list) and len(template) == len(elements):
        return [typed(item, ty, typespace) for item, (_, ty) in
                zip(template, elements, strict=True)]
    if not isinstance(template, dict):
        raise Unfit(f"is not a table of the fields {[n for n, _ in elements]}")
    names = {name for name, _ in elements}
    unknown = sorted(set(template) - names)
    missing = sorted(name for name in names if name is not None and name not in template)
    if unknown or missing:
        raise Unfit(f"does not name exactly the fields {sorted(n for n in names if n)} "
                    f"(unknown {unknown}, missing {missing})")
    return {name: typed(template[name], ty, typespace) for name, ty in elements
            if name is not None}


def _variant(template: object, body: Any, typespace: Sequence[JsonValue]) -> object:
    """`"Live"` (a unit variant), `{ variant = "Detail", value = ... }`, or a table whose
    one key is a variant (`{ Live = [] }`, as SpacetimeDB writes it)."""
    variants = dict(_elements(body, "variants"))
    if isinstance(template, str) and template in variants:
        return {template: _unit(variants[template], template, typespace)}
    if isinstance(template, dict) and set(template) <= {"variant", "value"} and isinstance(
            template.get("variant"), str):
        name = str(template["variant"])
        if name not in variants:
            raise Unfit(f"names no variant of {sorted(n for n in variants if n)}")
        if "value" not in template:
            return {name: _unit(variants[name], name, typespace)}
        return {name: typed(template["value"], variants[name], typespace)}
    if isinstance(template, dict) and len(template) == 1:
        ((name, value),) = template.items()
        if name in variants:
            if value in ([], {}):
                return {name: _unit(variants[name], name, typespace)}
            return {name: typed(value, variants[name], typespace)}
    raise Unfit(f"is not one of the variants {sorted(n for n in variants if n)}: write "
                "its name, or { variant = \"...\", value = ... }")


def _unit(ty: JsonValue, name: str, typespace: Sequence[JsonValue]) -> list[object]:
    kind, body = _kind(_resolve(ty, typespace))
    if kind == "Product" and not _elements(body, "elements"):
        return []
    raise Unfit(f"names the variant {name}, which holds a value: give it as "
                f"{{ variant = \"{name}\", value = ... }}")


def typed_mapping(mapping: ModuleMapping, schema: ModuleSchema
                  ) -> tuple[ModuleMapping, tuple[str, ...]]:
    """`mapping` with every reducer's templates in its parameters' forms, and what does
    not fit: a reducer the configuration names that the module does not have, a template
    its parameter cannot take. A compact, resume or ack reducer left to the contract's
    default and absent from the module is a capability the module lacks, not a mistake."""
    calls: dict[str, ReducerCall | None] = {"apply": mapping.apply, "compact": mapping.compact,
                                            "resume": mapping.resume, "ack": mapping.ack}
    problems: list[str] = []
    for operation, call in calls.items():
        if call is None:
            continue
        where = f"module.reducers.{operation}"
        reducer = schema.reducers.get(call.name)
        if reducer is None and operation not in {"apply", *mapping.declared_reducers}:
            calls[operation] = None  # a default the module does not have: it lacks it
            continue
        if reducer is None or reducer.lifecycle is not None:
            callable_ = sorted(n for n, r in schema.reducers.items() if r.lifecycle is None)
            problems.append(f"{where}: the module has no reducer {call.name!r} (its reducers: "
                            f"{', '.join(callable_)})")
            continue
        compiled = compile_args(where, reducer, call.args, schema.typespace)
        problems += compiled.problems
        calls[operation] = ReducerCall(call.name, compiled.args)
    apply = calls["apply"] or mapping.apply
    return dataclasses.replace(mapping, apply=apply, compact=calls["compact"],
                               resume=calls["resume"], ack=calls["ack"]), tuple(problems)
