"""Typed failures of the SpacetimeDB drivers.

The harness records every operation as ok / fail / info (Jepsen style). Which of the three an
exception means must be decidable from its type alone, so the drivers never raise bare
transport or JSON errors:

* ``ReducerFailed``: the server ran the reducer and it returned ``Err`` or panicked: a
  definite *fail*, and the transaction was rolled back.
* ``CallRejected``: the server answered but refused the request (bad arguments, unknown
  reducer or database, broken module, SQL error): a definite *fail*, nothing ran.
* ``SpacetimeUnavailable``: no usable answer. ``outcome_unknown`` says whether the request
  may have reached the server (timeout or connection lost after sending: *info*) or surely
  did not (connection refused: *fail*).
* ``SubscriptionRejected`` / ``WaitTimedOut``: subscriber-side conditions that are neither
  a call outcome nor a lost connection.
* ``ProtocolError``: the answer could not be decoded: a harness error, never a verdict.
"""

# The names say what happened (the harness's outcome vocabulary), not that they are errors.

from __future__ import annotations


class SpacetimeError(Exception):
    """Base of every error raised by ``harness.spacetime``."""


class ReducerFailed(SpacetimeError):
    """The reducer ran and failed (HTTP 530, or WebSocket status ``Failed``).

    ``message`` is the module's error text verbatim, so checks can match a rule prefix such
    as ``sequence_conflict``.
    """

    def __init__(self, reducer: str, message: str) -> None:
        super().__init__(f"reducer {reducer!r} failed: {message}")
        self.reducer = reducer
        self.message = message


class CallRejected(SpacetimeError):
    """The server answered with an error other than a reducer failure; nothing ran.

    ``status`` is the HTTP status, or ``None`` for a WebSocket rejection (the server then
    reports a failed transaction with request id 0 instead of a status code).
    """

    def __init__(self, status: int | None, body: str, operation: str = "request") -> None:
        how = f"HTTP {status}" if status is not None else "WebSocket error"
        super().__init__(f"{operation} rejected with {how}: {body}")
        self.status = status
        self.body = body
        self.operation = operation


class SpacetimeUnavailable(SpacetimeError):
    """The server could not be reached or did not answer in time.

    ``outcome_unknown`` is true when the request may already have been delivered, so the
    operation may or may not have taken effect.
    """

    def __init__(self, message: str, *, outcome_unknown: bool) -> None:
        super().__init__(message)
        self.outcome_unknown = outcome_unknown


class SubscriptionRejected(SpacetimeError):
    """The server refused a subscription query, or dropped one later (``SubscriptionError``)."""


class WaitTimedOut(SpacetimeError):
    """No matching message arrived in time on a connection that is still open.

    Distinct from ``SpacetimeUnavailable``: waiting for a broadcast that never comes is an
    observation about the system under test, not a transport failure.
    """


class ProtocolError(SpacetimeError):
    """The server sent a shape these drivers do not understand.

    A harness bug or an unsupported server version, never a contract violation: the harness
    reports it as "could not run".
    """
