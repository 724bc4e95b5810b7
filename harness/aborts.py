"""A harness error inside a Hypothesis example ends the test at once, as a harness error.

Hypothesis treats an `Exception` raised by an example as a failure of the property: it
shrinks it, replays the smallest one, and when that replay does not fail the same way
reports `FlakyFailure`. A harness error (a server that stopped answering, a publish that
failed, a container that did not come back) is no property of the target: shrinking it
wastes minutes, and a Flaky report of it reads as a flaky contract failure. Hypothesis
lets a `BaseException` that is none of `Exception`, `SystemExit` or `GeneratorExit` pass
(`hypothesis.core.failure_exceptions_to_catch`): its engine stops on it at once, without
shrinking or replaying, and pytest receives it, where the plugin reports it as a harness
error with its message. Outside an example (a curated scenario, a command) a harness error
stays the HarnessError it is.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from hypothesis import currently_in_test_context

from harness.errors import HarnessError

P = ParamSpec("P")
R = TypeVar("R")


class HarnessAbort(BaseException):
    """A HarnessError carried out of a Hypothesis example; `error` is the original."""

    def __init__(self, error: HarnessError) -> None:
        super().__init__(str(error))
        self.error = error


def aborts_examples(function: Callable[P, R]) -> Callable[P, R]:
    """`function`, whose HarnessError raised inside a Hypothesis example is a HarnessAbort."""

    @functools.wraps(function)
    def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return function(*args, **kwargs)
        except HarnessError as exc:
            if currently_in_test_context():
                raise HarnessAbort(exc) from exc
            raise

    return guarded
