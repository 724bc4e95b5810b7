"""Errors that mean "the harness could not run", as opposed to a contract violation.

The two are kept apart: a violation exits 1, a harness error exits 2 with a
message that tells the user what to do. Every layer raises `HarnessError` (or a
subclass) for the second kind so the CLI and the pytest plugin can tell them apart
without guessing from exception types of third-party libraries.
"""

from __future__ import annotations


class HarnessError(Exception):
    """The harness could not do its job; `hint` says what the user can do about it."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\n  hint: {self.hint}" if self.hint else self.message


class DockerUnavailable(HarnessError):
    """No Docker engine answered: nothing can be built or started."""


class BuildFailed(HarnessError):
    """An image, binary or module could not be built."""


class EnvironmentFailed(HarnessError):
    """A container did not start, did not become ready, or a port was taken."""
