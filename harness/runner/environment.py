"""What a runner needs from the environment, for one target under test.

The runner does not know how a database is made or a server crashed; it asks this
object, which the pytest plugin builds from the session's stack and the target's
module (the reference or a mutant).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from harness.env.built_module import BuiltModule
from harness.env.stack import CONTROL_SIGNING_KEY, Stack
from harness.errors import EnvironmentFailed
from harness.targets.control import ControlTarget, reference_target
from harness.targets.spacetime_module import REFERENCE_NAMES, ModuleNames, SpacetimeModuleTarget

# SpacetimeDB 1.2 fsyncs its commitlog every 500 ms and acknowledges before that, so a
# crash test waits this long after the last write: losing a commit that was never durable
# is the server's documented behaviour, not a projector bug.
DURABILITY_WAIT_S = 1.2


@dataclass
class RunEnvironment:
    stack: Stack
    module: BuiltModule
    names: ModuleNames = REFERENCE_NAMES
    client_mutant: str | None = None  # a broken reference client variant (harness/targets)
    _control: ControlTarget | None = field(default=None, repr=False)

    def control_target(self) -> ControlTarget:
        """The control service (started on first use) as a token-route target."""
        if self._control is None:
            self._control = reference_target(self.stack.control().url,
                                             CONTROL_SIGNING_KEY.encode("utf-8"))
        return self._control

    def fresh_target(self) -> SpacetimeModuleTarget:
        """A new database with the module under test: every example gets its own."""
        return SpacetimeModuleTarget(self.stack.publish(self.module), self.names)

    def crash_spacetimedb(self) -> None:
        """kill -9 SpacetimeDB once its last commit is durable, then start it again."""
        if self.stack.server is None:
            raise EnvironmentFailed("crash steps need a SpacetimeDB container the harness "
                                    "started", "run without --stdb-url")
        time.sleep(DURABILITY_WAIT_S)
        self.stack.server.kill9()
        self.stack.server.restart()
