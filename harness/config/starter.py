"""A starter configuration written from a published module's own schema (`stdb-harness init`).

A new user's first hour goes into reading their module to find which reducer applies an
event and which parameter takes which contract field; the schema already says most of it.
What the schema cannot settle (a parameter no contract field fits, a reducer that may or
may not be the compaction one, a column that may hold reducer time) is written as a best
guess on a line marked `TODO`, so `init --check` can list what is still a guess and nothing
is silently assumed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from harness.spacetime.sats import JsonValue
from harness.spacetime.schema import ModuleSchema, ReducerDef
from harness.targets.typed_args import type_name

TODO = "TODO"

# Parameter names that say which contract field a parameter takes, and the types it may have.
_STRING = frozenset({"String"})
_INTEGER = frozenset({"u8", "u16", "u32", "u64", "u128", "i8", "i16", "i32", "i64", "i128"})
_NAMED_FIELDS: tuple[tuple[str, frozenset[str], frozenset[str]], ...] = (
    ("{idempotency_key}", frozenset({"idempotency_key", "key", "event_key", "idem_key",
                                     "dedupe_key", "dedup_key"}), _STRING),
    ("{stream_id}", frozenset({"stream_id", "stream", "topic", "channel", "feed"}), _STRING),
    ("{seq}", frozenset({"seq", "sequence", "position", "pos", "offset", "seq_no", "seqno"}),
     _INTEGER),
    ("{kind}", frozenset({"kind", "event_kind", "type", "event_type"}), _STRING),
    ("{payload_json}", frozenset({"payload_json", "payload", "body", "data", "json",
                                  "content"}), _STRING),
    ("{payload_hash}", frozenset({"payload_hash", "hash", "digest", "checksum", "sha256"}),
     _STRING),
)
_TIME_NAMES = frozenset({"published_at", "published_at_ms", "published_at_us", "at", "time",
                         "timestamp", "ts", "occurred_at", "created_at", "event_time"})
_OPERATIONS = {"compact": ("compact", "trim", "prune", "truncate"),
               "resume": ("resume", "replay", "catch_up"),
               "ack": ("ack", "checkpoint", "commit_cursor")}


@dataclass(frozen=True)
class Argument:
    """One parameter's template, as TOML text, and why it is only a guess (None: sure)."""

    toml: str
    guess: str | None


def starter_config(schema: ModuleSchema, source: str, target: str) -> str:
    """The text of a `stdb-harness.toml` for the module `schema` describes, built from
    `source` (a `crate = "..."` or `wasm = "..."` line)."""
    lines = [
        f"# Written by `stdb-harness init` from the schema of {target}'s module.",
        f"# Lines marked {TODO} are guesses: settle each, delete its {TODO}, then run",
        "# `stdb-harness init --check` to list what is still a guess.",
        f"target = {json.dumps(target)}",
        "",
        "[module]",
        source,
        "",
        *_reducer_lines(schema),
        "",
        *_error_lines(),
        "",
        *_table_lines(schema),
        "",
        "[publisher]",
        'service = "stub"  # the harness\'s own publisher; see the README for your own',
    ]
    return "\n".join(lines) + "\n"


def guesses(config_text: str) -> list[str]:
    """The lines of a configuration still marked as guesses, numbered as an editor does."""
    return [f"line {number}: {line.strip()}"
            for number, line in enumerate(config_text.splitlines(), start=1)
            if re.search(rf"#.*\b{TODO}\b", line) and number > 3]


def _callable(schema: ModuleSchema) -> list[ReducerDef]:
    return [reducer for reducer in schema.reducers.values() if reducer.lifecycle is None]


def _reducer_lines(schema: ModuleSchema) -> Iterator[str]:
    reducers = _callable(schema)
    yield "# The module's reducers and their parameters:"
    for reducer in reducers:
        yield f"#   {reducer.name}({_signature(reducer, schema)})"
    apply, sure = _apply_reducer(reducers, schema)
    yield ""
    yield "[module.reducers.apply]"
    if apply is None:
        yield f'name = "apply"  # {TODO}: the reducer that applies one event'
        yield f'args = []  # {TODO}: its arguments, e.g. ["{{stream_id}}", "{{seq}}", ...]'
    else:
        note = "" if sure else f"  # {TODO}: is this the reducer that applies one event?"
        yield f"name = {json.dumps(apply.name)}{note}"
        yield "args = ["
        for (name, ty), argument in zip(apply.params, _apply_args(apply, schema), strict=True):
            comment = f"{name}: {type_name(ty, schema.typespace)}"
            if argument.guess is not None:
                comment += f"  {TODO}: {argument.guess}"
            yield f"  {argument.toml},  # {comment}"
        yield "]"
    others = [reducer for reducer in reducers if reducer is not apply]
    yield ""
    yield "[module.reducers]"
    for operation, words in _OPERATIONS.items():
        alike = [r for r in others if any(word in r.name.lower() for word in words)]
        if alike:
            names = ", ".join(r.name for r in alike)
            yield (f"{operation} = false  # {TODO}: {names} may be the {operation} reducer; "
                   f"give {{ name, args }} (see the README)")
        else:
            yield (f"# {operation}: no reducer is named like one (unset, the contract's "
                   f"is mapped only where the module has it)")


def _error_lines() -> Iterator[str]:
    """The refusal texts cannot be read from a schema, and a refusal the harness cannot
    classify is a transient failure to the publisher (retried, never dead-lettered)."""
    yield (f"[module.errors]  # {TODO}: the apply reducer's refusal texts, as regular "
           "expressions with the fields as named groups (see the README); delete those it "
           "never gives")
    yield "# unauthorized = '^<the caller is not allowed>$'"
    yield "# invalid_event = '^<a malformed (?P<field>\\w+)>'"
    yield "# idempotency_conflict = '^<the key was applied with other content>$'"
    yield ("# sequence_conflict = '^<(?P<expected_next_seq>\\d+) (or the head, "
           "(?P<head_seq>\\d+)) and (?P<actual_seq>\\d+)>$'")


def _signature(reducer: ReducerDef, schema: ModuleSchema) -> str:
    return ", ".join(f"{name}: {type_name(ty, schema.typespace)}" for name, ty in reducer.params)


def _apply_reducer(reducers: Sequence[ReducerDef],
                   schema: ModuleSchema) -> tuple[ReducerDef | None, bool]:
    """The reducer whose parameters take the most contract fields by name and type; sure
    only when it takes the stream, the seq and the key and no other reducer ties it."""
    scored = sorted(((sum(a.guess is None and a.toml.startswith('"{')
                          for a in _apply_args(r, schema)), r) for r in reducers),
                    key=lambda pair: -pair[0])
    if not scored or scored[0][0] == 0:
        return None, False
    tied = len(scored) > 1 and scored[1][0] == scored[0][0]
    return scored[0][1], scored[0][0] >= 3 and not tied


def _apply_args(reducer: ReducerDef, schema: ModuleSchema) -> list[Argument]:
    return [_argument(name, ty, schema) for name, ty in reducer.params]


def _argument(name: str, ty: JsonValue, schema: ModuleSchema) -> Argument:
    """The template a parameter most likely takes: a contract field its name and type
    give, else a value of its type marked as a guess."""
    written = type_name(ty, schema.typespace)
    lowered = name.lower()
    for template, names, types in _NAMED_FIELDS:
        if lowered in names and written in types:
            return Argument(json.dumps(template), None)
    if written == "Timestamp":
        sure = lowered in _TIME_NAMES
        return Argument('"{published_at_us}"', None if sure else "the event's time?")
    if written in _INTEGER and lowered in _TIME_NAMES:
        unit = "us" if lowered.endswith("_us") else "ms"
        return Argument(json.dumps(f"{{published_at_{unit}}}"), f"the event's time in {unit}?")
    return _placeholder(written)


def _placeholder(written: str) -> Argument:
    """A value of the parameter's type that no contract field gives."""
    if written.startswith("Option<"):
        return Argument("{ none = [] }", "none, or { some = <template> }")
    if written.startswith("enum {"):
        variants = written[len("enum {"):-1].split(", ")
        return Argument(json.dumps(variants[0]), "which variant: " + " | ".join(variants))
    if written.startswith("Vec<"):
        return Argument("[]", "the elements")
    if written in ("f32", "f64"):
        return Argument("0.0", "a number, or a lone integer field such as \"{seq}\"")
    if written in _INTEGER:
        return Argument("0", "a number, or a field such as \"{seq}\" or \"{key_number}\"")
    if written == "bool":
        return Argument("false", "true or false")
    if written == "String":
        return Argument('""', "a text, or a template of contract fields")
    return Argument(json.dumps(TODO), f"a value of type {written}")


def _table_lines(schema: ModuleSchema) -> Iterator[str]:
    yield "# The module's tables, each judged as it is (no mapping needed for relative rules):"
    for table, row in schema.tables.items():
        key = schema.primary_keys.get(table)
        held = f"key {key}" if key else "no primary key: compared as a multiset"
        access = "" if table in schema.public else ", private"
        yield f"#   {table} ({held}{access}): {', '.join(row.columns)}"
    timed = {table: [column for column, ty in zip(row.columns, row.types, strict=True)
                     if type_name(ty, schema.typespace) == "Timestamp"
                     or column.endswith("_at")]
             for table, row in schema.tables.items()}
    yield ""
    yield "[module.volatile]  # columns that hold the reducer's clock, set aside in comparisons"
    for table, columns in timed.items():
        if columns:
            yield (f"{table} = {json.dumps(columns)}  # {TODO}: keep only the columns "
                   "stamped with reducer time")


def source_line(crate: Path | None, wasm: Path | None, config_dir: Path) -> str:
    """The `crate = ...` or `wasm = ...` line, relative to where the config is written."""
    path, key = (crate, "crate") if crate is not None else (wasm, "wasm")
    assert path is not None
    try:
        shown = path.resolve().relative_to(config_dir.resolve())
    except ValueError:
        shown = path.resolve()
    return f"{key} = {json.dumps(str(shown))}"
