"""Which scopes a sync token may carry, and which scope each requested topic or stream needs.

Topics are named by their suffix: `...:worker_events` needs `runtime.codex_worker_events`,
`...:workers` needs `runtime.codex_worker_summaries`, `...:runs` needs
`runtime.run_summaries`; any other topic cannot be requested. A topic is 1-256 characters
without whitespace or control characters.

Streams are named by their dotted stream id (`user:7:runs` is streamed as
`runtime.topic.user.7.runs`), so this service reads the same suffixes with a dot:
a stream id starting `runtime.` and ending `.worker_events`, `.workers` or `.runs` needs
that suffix's scope. (This is more lenient than decoding the stream id back to its topic:
the contract leaves streams' rules open, and this service never had a reason to be strict.)
"""

from __future__ import annotations

import unicodedata

ALLOWED_SCOPES = (
    "runtime.codex_worker_events",
    "runtime.codex_worker_summaries",
    "runtime.run_summaries",
)
DEFAULT_SCOPE = "runtime.codex_worker_events"

_SUFFIX_SCOPE = {
    "worker_events": "runtime.codex_worker_events",
    "workers": "runtime.codex_worker_summaries",
    "runs": "runtime.run_summaries",
}
_TOPIC_LIMIT = 256
_STREAM_PREFIX = "runtime."


def _printable(name: str) -> bool:
    return all(not char.isspace() and unicodedata.category(char) != "Cc" for char in name)


def topic_scope(topic: str) -> str | None:
    """The scope a topic needs, or None when it may not be requested."""
    if not 0 < len(topic) <= _TOPIC_LIMIT or not _printable(topic):
        return None
    _, colon, suffix = topic.rpartition(":")
    return _SUFFIX_SCOPE.get(suffix) if colon else None


def stream_scope(stream: str) -> str | None:
    """The scope a stream needs, or None when it may not be requested."""
    if not stream.startswith(_STREAM_PREFIX) or not _printable(stream):
        return None
    head, dot, suffix = stream.rpartition(".")
    return _SUFFIX_SCOPE.get(suffix) if dot and len(head) >= len(_STREAM_PREFIX) else None
