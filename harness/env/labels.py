"""Labels that mark everything the harness starts, so it can always be found again.

Ryuk (testcontainers' reaper) cannot be pulled here, so the harness cleans up after
itself: every container and network carries `stdb-harness=<role>` and the id of the
process run that made it. `env down` and the cleanup on exit or signal both select
by these labels, never by name.
"""

from __future__ import annotations

import os
import uuid

HARNESS_LABEL = "stdb-harness"
RUN_LABEL = "stdb-harness.run"

# One id per harness process; `STDB_HARNESS_RUN_ID` lets a parent (CI) group its children.
RUN_ID = os.environ.get("STDB_HARNESS_RUN_ID") or uuid.uuid4().hex[:12]
# The process itself: pytest-xdist workers share the run id they inherit, and a worker's
# exit must remove only its own containers, never a sibling's still in use.
PROCESS_LABEL = "stdb-harness.process"
PROCESS_ID = uuid.uuid4().hex[:12]


def labels_for(role: str) -> dict[str, str]:
    """The labels a resource of `role` (spacetimedb, runtime, network...) carries."""
    return {HARNESS_LABEL: role, RUN_LABEL: RUN_ID, PROCESS_LABEL: PROCESS_ID}
