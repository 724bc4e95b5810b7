"""Argument templates: a module's reducer arguments described as data over the contract's fields.

A user's reducer rarely takes the contract's arguments in the contract's order. Rather than
asking for Python, configuration lists the arguments, each either a literal (`true`, `0`) or a
string over named fields: `"{seq}"` is the field itself with its type (an integer stays an
integer), `"{stream_id}/{seq}/{kind}"` is formatted text. The same templates are handed to a
publisher (the stub runtime renders them itself), so both deliver the same call.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from string import Formatter
from typing import Any

from harness.errors import HarnessError

# The fields each operation's templates may name.
APPLY_FIELDS = frozenset({
    "topic", "stream_id", "seq", "kind", "payload_json", "payload_hash", "payload_hash_hex",
    "idempotency_key", "published_at_ms", "published_at", "published_at_us", "key_number",
})
COMPACT_FIELDS = frozenset({"topic", "stream_id", "through_seq"})
RESUME_FIELDS = frozenset({"topic", "stream_id", "after_seq", "replay_budget", "client_identity"})
ACK_FIELDS = frozenset({"topic", "stream_id", "last_applied_seq", "client_identity"})


class TemplateError(HarnessError):
    """A template names a field its operation does not have, or is not well formed."""


def field_names(template: object) -> list[str]:
    """The fields a template item uses (none for a literal), inside lists and tables too."""
    if isinstance(template, list):
        return [name for item in template for name in field_names(item)]
    if isinstance(template, dict):
        return [name for item in template.values() for name in field_names(item)]
    if not isinstance(template, str):
        return []
    try:
        return [name for _, name, _, _ in Formatter().parse(template) if name is not None]
    except ValueError as exc:
        raise TemplateError(f"template {template!r} is not well formed: {exc}",
                            "write fields as {name}, and a literal brace as {{ or }}") from exc


def check_templates(where: str, templates: Iterable[object], allowed: frozenset[str]) -> None:
    """Refuse, naming the config key, any field the operation cannot fill."""
    for template in templates:
        for name in field_names(template):
            if name not in allowed:
                raise TemplateError(
                    f"{where}: unknown field {{{name}}} in {template!r}",
                    f"the fields here are: {', '.join(sorted(allowed))}",
                )


def render_one(template: object, fields: Mapping[str, Any]) -> Any:
    """One argument: a literal as is, a lone `{field}` with its type, else formatted text;
    the items of a list and the values of a table rendered the same way (an argument of a
    product, sum or option type, harness.targets.typed_args)."""
    if isinstance(template, list):
        return [render_one(item, fields) for item in template]
    if isinstance(template, dict):
        return {key: render_one(item, fields) for key, item in template.items()}
    if not isinstance(template, str):
        return template
    names = field_names(template)
    if len(names) == 1 and template == "{" + names[0] + "}":
        return fields[names[0]]
    return template.format_map(fields)


def render(templates: Sequence[object], fields: Mapping[str, Any]) -> list[Any]:
    return [render_one(template, fields) for template in templates]


# What each field's text looks like inside a formatted value, to read a value back.
_FIELD_PATTERNS = {"seq": r"\d+", "published_at_ms": r"-?\d+", "through_seq": r"\d+",
                   "payload_hash_hex": r"[0-9a-fA-F]+"}
_INTEGER_FIELDS = frozenset({"seq", "published_at_ms", "through_seq"})


def parse_format(template: str, text: object) -> dict[str, Any] | None:
    """The fields a formatted text was made of (`"{stream_id}/{seq}/{kind}"` read back from
    `"runtime.run.r1.events/2/run.step"`), or None when the text does not have the form:
    how a module's own key and hash formats are turned back into the contract's."""
    if not isinstance(text, str):
        return None
    pattern, seen = "", set()
    for literal, name, _, _ in Formatter().parse(template):
        pattern += re.escape(literal)
        if name is None:
            continue
        if name in seen:
            pattern += f"(?P={name})"
        else:
            seen.add(name)
            pattern += f"(?P<{name}>{_FIELD_PATTERNS.get(name, '.+?')})"
    found = re.fullmatch(pattern, text, re.DOTALL)
    if found is None:
        return None
    return {name: int(value) if name in _INTEGER_FIELDS else value
            for name, value in found.groupdict().items()}
