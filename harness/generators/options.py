"""What generation may draw for one target under one profile.

A generated scenario the target cannot perform would only be "not applicable", which
finds nothing; so the strategies leave out what the target lacks (compaction, acks, crash
steps, token cases it cannot set up) and spend every example on what it has.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Generation:
    crashes: bool = False          # SpacetimeDB kill -9 steps (nightly, own containers)
    compaction: bool = True        # the module has a compact reducer
    acks: bool = True              # the module has a checkpoint reducer
    acks_name_client: bool = False  # ... which takes the client as an argument
    clients: bool = True           # the target has a client that resumes
    runtime_crashes: bool = False  # runtime kill -9 and network cuts (nightly, containers)
    publisher_crash_faults: bool = True  # faults that make the publisher's process crash
    random_bodies: bool = False    # random token request bodies (nightly)
    token_cases: tuple[str, ...] = ()  # the matrix cases the control service can set up
    retired_at_start: bool = False  # a second control instance started with the alias retired
    parts: int = 1                 # module scenarios merged into one database (nightly)
