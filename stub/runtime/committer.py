"""Group commit of the publisher's progress: one writer thread records delivered heads in
batches, so no delivery worker waits for an fsync, its own or another stream's.

Why this is safe (B5, B1). A stream's outbox is its journaled events after the *recorded*
`delivered_head` (see `progress`). Each write records a snapshot of the in-memory progress,
and an in-memory head only ever moves to a seq the module has acknowledged; so a recorded
head never runs ahead of what the module holds. It may lag behind: a kill -9 loses the
heads acknowledged since the last write (at most `progress_interval_s` of deliveries, or
`progress_batch` of them), and after the restart those events are sent again, in seq order.
The module answers each such duplicate with success and no change (B1, M1), so delivery
picks up where it was and the projection still ends as the whole journal's.

What a restart must not forget or redo is written at once by `now`, which the caller waits
for: pauses, dead letters and fault counters (an armed crash is spent on disk before it
fires). Every write, from either path, takes its snapshot under the save lock, so a later
write never records older state than an earlier one. Nothing is written once the
publisher halted (`snapshot` returns None), as a crashed process writes nothing more.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

Snapshot = Callable[[], dict[str, Any] | None]
Save = Callable[[dict[str, Any]], None]


class ProgressCommitter:
    """Writes `snapshot()` with `save`: at once (`now`), or soon, grouped (`later`)."""

    def __init__(
        self, snapshot: Snapshot, save: Save, *, interval_s: float, batch: int
    ) -> None:
        self._snapshot = snapshot
        self._save = save
        self._interval_s = interval_s
        self._batch = max(1, batch)
        self._save_lock = threading.Lock()
        # A leaf lock: nothing else is taken while it is held.
        self._pending_changed = threading.Condition()
        self._pending = 0
        self._closing = False
        self._thread = threading.Thread(target=self._run, name="progress writer", daemon=True)
        self._thread.start()

    def later(self) -> None:
        """Note a change to record soon; returns at once."""
        with self._pending_changed:
            self._pending += 1
            if self._pending == 1 or self._pending >= self._batch:
                self._pending_changed.notify_all()

    def now(self) -> None:
        """Record the current progress (with every change noted so far) before returning."""
        self._write()

    def flush(self) -> None:
        """Record the changes noted so far, if any are not recorded yet."""
        with self._pending_changed:
            if self._pending == 0:
                return
        self._write()

    def close(self, *, flush: bool) -> None:
        """Stop the writer, after recording what is pending when `flush`."""
        with self._pending_changed:
            self._closing = True
            self._pending_changed.notify_all()
        if threading.current_thread() is not self._thread:
            self._thread.join()
        if flush:
            self.flush()

    def _run(self) -> None:
        last = time.monotonic() - self._interval_s
        while True:
            with self._pending_changed:
                self._pending_changed.wait_for(lambda: self._closing or self._pending > 0)
                if self._closing:
                    return
                # Gather: write once the interval since the last write has passed, or a
                # batch is full, whichever comes first.
                self._pending_changed.wait_for(
                    lambda: self._closing or self._pending >= self._batch,
                    timeout=max(0.0, last + self._interval_s - time.monotonic()),
                )
                if self._closing:
                    return
            last = time.monotonic()
            try:
                self._write()
            except OSError:
                # The changes stay noted and are tried again after the interval; meanwhile
                # a crash would only re-send more (see above).
                log.exception("recording the publisher's progress failed")

    def _write(self) -> None:
        with self._save_lock:
            with self._pending_changed:
                covered = self._pending  # the snapshot below includes these changes
            recorded = self._snapshot()
            if recorded is not None:
                self._save(recorded)
            with self._pending_changed:
                self._pending -= covered
