"""The oracle's prediction for a journal: what the module must hold once it has applied it.

This is the yardstick of B5 and G2: whatever order, duplication or restarts the delivery
went through, the real module's final snapshot must equal `project(journal)`.
"""

from __future__ import annotations

from collections.abc import Iterable

from harness.contract.events import Event
from harness.contract.rules import cite
from harness.contract.snapshot import Snapshot
from harness.model.module import ReferenceModel

PUBLISHER = "publisher"


class JournalRejectedError(ValueError):
    """A journal event the module refuses. A journal that keeps E1-E6 and each topic's seq
    order never has one, so this means the journal (or the test building it) is wrong."""


def replay(journal: Iterable[Event], publisher: str = PUBLISHER) -> ReferenceModel:
    """A fresh model after the publisher applied every event of `journal` in order.

    Duplicates are allowed (at-least-once delivery, B1) and interleavings of topics too;
    an event the module would refuse raises `JournalRejectedError`."""
    model = ReferenceModel(publisher)
    for event in journal:
        outcome = model.apply_event(publisher, event.reducer_args())
        if outcome.error is not None:
            raise JournalRejectedError(
                cite("G2", f"{event.idempotency_key} is refused: {outcome.error}")
            )
    return model


def project(journal: Iterable[Event]) -> Snapshot:
    """The canonical snapshot (G1) the module must reach after applying `journal`."""
    return replay(journal).snapshot()
