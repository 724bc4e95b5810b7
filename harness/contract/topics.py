"""Which strings are topics (E1).

"No whitespace" means the Unicode White_Space property, which is what Rust's
`char::is_whitespace` tests. Python's `str.isspace` is a different set (it adds U+001C..U+001F
and follows the local Unicode database), so the 25 code points are spelled out here and the
two implementations cannot drift apart with a Unicode upgrade. "No control characters" means
general category Cc (Rust's `char::is_control`), which Unicode's stability policy fixes at
U+0000..U+001F and U+007F..U+009F. Length counts code points, as Rust's `chars().count()`.
"""

from __future__ import annotations

from harness.contract.rules import cite

MAX_TOPIC_LENGTH = 256

WHITE_SPACE: frozenset[str] = frozenset(
    [chr(cp) for cp in range(0x0009, 0x000E)]
    + ["\u0020", "\u0085", "\u00a0", "\u1680"]
    + [chr(cp) for cp in range(0x2000, 0x200B)]
    + ["\u2028", "\u2029", "\u202f", "\u205f", "\u3000"]
)


class InvalidTopicError(ValueError):
    """A string that breaks E1's topic rule, so it has no stream (S1)."""


def is_control(char: str) -> bool:
    """Whether `char` is in general category Cc."""
    code = ord(char)
    return code <= 0x1F or 0x7F <= code <= 0x9F


def topic_problem(topic: str) -> str | None:
    """Why `topic` is not a valid topic (E1), or None when it is one."""
    if not 1 <= len(topic) <= MAX_TOPIC_LENGTH:
        return f"length {len(topic)} is not in 1..{MAX_TOPIC_LENGTH}"
    for index, char in enumerate(topic):
        if char in WHITE_SPACE:
            return f"whitespace U+{ord(char):04X} at {index}"
        if is_control(char):
            return f"control character U+{ord(char):04X} at {index}"
    return None


def is_valid_topic(topic: str) -> bool:
    """Whether `topic` satisfies E1."""
    return topic_problem(topic) is None


def check_topic(topic: str) -> str:
    """`topic` itself if it is valid; `InvalidTopicError` citing E1 otherwise."""
    problem = topic_problem(topic)
    if problem is not None:
        raise InvalidTopicError(cite("E1", f"topic {topic!r}: {problem}"))
    return topic
