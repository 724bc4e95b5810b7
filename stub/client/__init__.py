"""The reference client: resumes streams from cursors and recovers from stale ones (R1-R4).

It is part of the system under test, like the reference module: broken variants of it are
written to prove the harness catches each rule's violation (`mutants`, selected with
`ResumingClient(..., mutant=NAME)`), so every rule lives in one module and nowhere else:

| rule | where                                   | what                                        |
|------|-----------------------------------------|---------------------------------------------|
| R1   | `queries` (the SQL), `client._resume`   | call `resume_stream`, then subscribe         |
| R2   | `view.StreamView.admit`                 | deliver (cursor, head] once, in seq order    |
| R3   | `steps.Resumed.stale`                   | recognise the module's `stale_cursor` answer |
| R4   | `client._recover`, `snapshot`           | drop the view, load a snapshot, resume       |

A checker judges the client by what it exposes per stream: its `steps` (every resume
outcome, snapshot and delivered seq, in order), its `view` and its `cursor`.
"""

from stub.client.client import ResumeFailedError, ResumingClient
from stub.client.steps import ClientStep, Delivered, Resumed, SnapshotLoaded
from stub.client.view import StreamView

__all__ = [
    "ClientStep",
    "Delivered",
    "ResumeFailedError",
    "Resumed",
    "ResumingClient",
    "SnapshotLoaded",
    "StreamView",
]
