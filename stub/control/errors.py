"""The one error shape every control route answers with (CONTRACT.md T3).

Kept apart from the routes so the token rules, the admin API and the HTTP layer raise the same
exception and the body is built in exactly one place: T5 compares bodies byte for byte once
volatile fields are masked, so two spellings of an error would be a parity bug waiting to happen.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


class ApiError(Exception):
    """A refusal with its HTTP status, stable error code, human message and extra headers."""

    def __init__(
        self, status: int, code: str, message: str, headers: Iterable[tuple[str, str]] = ()
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = tuple(headers)

    def body(self) -> dict[str, Any]:
        """`{message, error: {code, message}}`: the top-level message mirrors the nested one."""
        return {"message": self.message, "error": {"code": self.code, "message": self.message}}


def not_found() -> ApiError:
    """404 for an unknown path; a retired alias answers exactly this too (T6)."""
    return ApiError(404, "not_found", "Not found.")


def method_not_allowed(allowed: Iterable[str]) -> ApiError:
    """405 with the `Allow` header RFC 9110 §15.5.6 requires."""
    allow = ("Allow", ", ".join(allowed))
    return ApiError(405, "method_not_allowed", "Method not allowed.", [allow])
