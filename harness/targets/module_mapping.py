"""A module described by data: reducer calls, tables, formats and error patterns.

Most modules differ from the reference only in names and shapes: their reducer is `ingest`
with the seq in sixth place, their key includes the kind, their hash has no `sha256:`
prefix, their errors are phrased their own way. A `ModuleMapping` says all of that as data
(configuration builds it, no Python needed); the functions here translate one event's fields
into the module's forms and a stored row back into the contract's, so the same checkers
judge every module. The reference module is the mapping with every default.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from harness.contract.events import ApplyEventArgs, idempotency_key
from harness.contract.schema import REFERENCE_TABLES
from harness.contract.streams import InvalidStreamIdError, topic_of
from harness.contract.timestamps import format_ms
from harness.targets.templates import parse_format

HASH_PREFIX = "sha256:"


@dataclass(frozen=True)
class ReducerCall:
    """A reducer's name and its argument templates (harness.targets.templates)."""

    name: str
    args: tuple[object, ...]


@dataclass(frozen=True)
class TableMapping:
    """A contract table's name in the module, contract column -> the module's column, and
    the contract's columns the module does not have (`absent`): what cannot be compared is
    left out of every comparison with the oracle, never reported as a difference. Columns
    of the module's own beyond the contract's are kept: the target is compared with itself
    over them, and the oracle, which knows nothing of them, ignores them."""

    name: str
    columns: Mapping[str, str] = field(default_factory=dict)
    absent: frozenset[str] = frozenset()


# The contract's error texts, as templates over the named groups a module's pattern captures.
CONTRACT_ERRORS: Mapping[str, str] = {
    "unauthorized": "unauthorized",
    "invalid_event": "invalid_event {field}",
    "idempotency_conflict": "idempotency_conflict",
    "sequence_conflict": "sequence_conflict expected_next_seq={expected_next_seq} "
                         "actual_seq={actual_seq}",
    "checkpoint_regression": "checkpoint_regression current_seq={current_seq} "
                             "requested_seq={requested_seq}",
    "checkpoint_ahead_of_head": "checkpoint_ahead_of_head requested_seq={requested_seq} "
                                "head_seq={head_seq}",
    "stale_cursor": "stale_cursor reason={reason} stream_id={stream_id} "
                    "requested_after_seq={requested_after_seq} "
                    "oldest_available_cursor={oldest_available_cursor} "
                    "head_cursor={head_cursor} replay_budget={replay_budget}",
}

REFERENCE_APPLY = ReducerCall("apply_event", (
    "{stream_id}", "{seq}", "{idempotency_key}", "{kind}", "{payload_json}", "{payload_hash}",
    "{published_at_ms}"))
REFERENCE_COMPACT = ReducerCall("compact_stream", ("{stream_id}", "{through_seq}"))
REFERENCE_RESUME = ReducerCall("resume_stream", ("{stream_id}", "{after_seq}", "{replay_budget}"))
REFERENCE_ACK = ReducerCall("ack_checkpoint", ("{stream_id}", "{last_applied_seq}"))


@dataclass(frozen=True)
class ModuleMapping:
    """Everything that differs between a module and the contract's names; defaults are the
    contract's. A reducer set to None is one the module does not have (a capability it
    lacks). `errors` maps a contract error name to a regular expression whose named groups
    fill the contract's text (CONTRACT_ERRORS). `volatile` lists, per contract table, the
    module's columns that hold a time of application (M5): masked in every snapshot."""

    apply: ReducerCall = REFERENCE_APPLY
    compact: ReducerCall | None = REFERENCE_COMPACT
    resume: ReducerCall | None = REFERENCE_RESUME
    ack: ReducerCall | None = REFERENCE_ACK
    tables: Mapping[str, TableMapping] = field(
        default_factory=lambda: {name: TableMapping(name) for name in REFERENCE_TABLES})
    idempotency_key_format: str = "{idempotency_key}"
    payload_hash_format: str = "{payload_hash}"
    errors: Mapping[str, re.Pattern[str]] = field(default_factory=dict)
    volatile: Mapping[str, frozenset[str]] = field(default_factory=dict)
    # the contract tables the configuration maps itself (the rest map to same-named tables
    # where the module has them), and the module's tables left out of every snapshot
    declared_tables: frozenset[str] = frozenset()
    exclude: frozenset[str] = frozenset()
    # the reducers (compact, resume, ack) the configuration names itself: one left to its
    # default is the module's only where its schema has a reducer of that name
    declared_reducers: frozenset[str] = frozenset()

    def contract_error(self, text: str) -> str:
        for name, pattern in self.errors.items():
            found = pattern.fullmatch(text) or pattern.match(text)
            if found:
                return CONTRACT_ERRORS[name].format_map(derived_fields(found.groupdict()))
        return text


def derived_fields(groups: Mapping[str, str | None]) -> dict[str, str | None]:
    """A module's error fields with what follows from them: a text that gives the stream's
    head (`head_seq`) instead of the next seq it expects has `expected_next_seq` = head + 1."""
    found = dict(groups)
    head = found.get("head_seq")
    if "expected_next_seq" not in found and head is not None and head.isdigit():
        found["expected_next_seq"] = str(int(head) + 1)
    return found


def _event_fields(args: ApplyEventArgs) -> dict[str, Any]:
    """The contract's fields of an apply call; the key and hash still in contract form."""
    try:
        topic = topic_of(args.stream_id)
    except InvalidStreamIdError:
        topic = ""
    hash_hex = args.payload_hash.removeprefix(HASH_PREFIX)
    return {
        "topic": topic, "stream_id": args.stream_id, "seq": args.seq, "kind": args.kind,
        "payload_json": args.payload_json, "payload_hash": args.payload_hash,
        "payload_hash_hex": hash_hex, "idempotency_key": args.idempotency_key,
        "published_at_ms": args.published_at_ms,
        "published_at": format_ms(args.published_at_ms) if args.published_at_ms >= 0 else "",
        "published_at_us": args.published_at_ms * 1000,
        "key_number": key_number(args.idempotency_key),
    }


def key_number(key: str) -> int:
    """A stable integer per event key (the contract's), for a module whose event id is a
    number: the first 63 bits of the key's SHA-256, so it fits u64 and i64 alike."""
    return int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:8], "big") >> 1


def module_fields(args: ApplyEventArgs, mapping: ModuleMapping) -> dict[str, Any]:
    """The fields an apply template sees: key and hash in the module's formats.

    Only a well-formed contract key or hash is rewritten; a deliberately wrong one (a
    scenario's bad_hash) is passed as sent, so the module still has to refuse it."""
    fields = _event_fields(args)
    if fields["topic"] and args.idempotency_key == idempotency_key(fields["topic"], args.seq):
        fields["idempotency_key"] = mapping.idempotency_key_format.format_map(fields)
    if args.payload_hash.startswith(HASH_PREFIX):
        fields["payload_hash"] = mapping.payload_hash_format.format_map(fields)
    return fields


def contract_event_row(row: Mapping[str, Any], mapping: ModuleMapping) -> dict[str, Any]:
    """A stored event with its key and hash back in contract form.

    The key is read back through the module's key format (`{stream_id}/{seq}/{kind}`
    parsed, not guessed), so a module without a `kind` column, or with the topic in its
    key, still has contract keys; it is rewritten only where every field the format and
    the row both hold agrees, and the hash only where the module's hash format can be read
    back (`{payload_hash_hex}`). Anything else stays as stored, so a wrongly stored key or
    hash shows in the diff."""
    found = dict(row)
    key_fields = parse_format(mapping.idempotency_key_format, row.get("idempotency_key"))
    if key_fields is not None and _agrees(key_fields, row):
        topic = key_fields.get("topic") or topic_or_empty(str(key_fields.get("stream_id",
                                                                     row.get("stream_id", ""))))
        seq = key_fields.get("seq", row.get("seq"))
        if topic and isinstance(seq, int):
            found["idempotency_key"] = idempotency_key(topic, seq)
    hash_fields = parse_format(mapping.payload_hash_format, row.get("payload_hash"))
    if hash_fields is not None and _agrees(hash_fields, row):
        if "payload_hash" in hash_fields:
            found["payload_hash"] = hash_fields["payload_hash"]
        elif "payload_hash_hex" in hash_fields:
            found["payload_hash"] = HASH_PREFIX + str(hash_fields["payload_hash_hex"])
    return found


def _agrees(fields: Mapping[str, Any], row: Mapping[str, Any]) -> bool:
    """Whether the fields read from a key or hash agree with the row's own columns."""
    for name, value in fields.items():
        stored = row.get(name)
        if stored is not None and name in ("stream_id", "seq", "kind") and stored != value:
            return False
    topic = fields.get("topic")
    stream = row.get("stream_id")
    return not (isinstance(topic, str) and isinstance(stream, str)
                and topic_or_empty(stream) != topic)


def topic_or_empty(stream_id: str) -> str:
    try:
        return topic_of(stream_id)
    except InvalidStreamIdError:
        return ""


def absent_parts(mapping: ModuleMapping | None) -> frozenset[str]:
    """The contract's tables and columns the module does not have, as the config keys that
    say so (a target without a module lacks `module.apply`, which says it all)."""
    prefix = "module.tables."
    if mapping is None:
        return frozenset()
    found = {prefix + name for name in REFERENCE_TABLES if name not in mapping.tables}
    for name, table in mapping.tables.items():
        found |= {f"{prefix}{name}.{column}" for column in table.absent}
    return frozenset(found)
