"""What a runner needs: the target under test and the environment it runs in.

The runner does not know how a database is made, a server crashed or a service started;
it asks this object, which the pytest plugin builds from the session's stack and the
configured target. Capabilities of the environment (can it crash the server?) join the
target's own, so a scenario's applicability is decided in one place.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from harness.env.built_module import BuiltModule
from harness.env.services import ServiceContainer
from harness.env.stack import Stack
from harness.errors import EnvironmentFailed
from harness.targets.capabilities import Capability
from harness.targets.control import ControlTarget
from harness.targets.sides import ModuleSession, PublisherWiring, Target

# SpacetimeDB 1.2 fsyncs its commitlog every 500 ms and acknowledges before that, so a
# crash test waits this long after the last write: losing a commit that was never durable
# is the server's documented behaviour, not a projector bug.
DURABILITY_WAIT_S = 1.2


@dataclass
class RunEnvironment:
    stack: Stack
    target: Target
    module: BuiltModule | None  # None for a target without a module

    @property
    def capabilities(self) -> frozenset[Capability]:
        found = set(self.target.capabilities)
        if self.stack.server is not None and self.target.module is not None:
            found.add(Capability.SERVER_CRASH)
        return frozenset(found)

    def fresh_module(self) -> ModuleSession:
        """A new database with the module under test: every example gets its own."""
        if self.target.module is None or self.module is None:
            raise EnvironmentFailed("this target has no module",
                                    "the runner should have found the scenario not applicable")
        return self.target.module.bind(self.stack.publish(self.module))

    def clear_module(self, module: ModuleSession) -> None:
        """Clear `module`'s database and start its module again (a restored database)."""
        self.stack.clear(module.database)

    def control(self, retired_at_start: bool = False) -> ControlTarget:
        """The control service, or its instance started with the alias retired."""
        if self.target.control is None:
            raise EnvironmentFailed("this target has no control service",
                                    "the runner should have found the scenario not applicable")
        side = self.target.control
        return side.connect_retired() if retired_at_start else side.connect()

    def runtime(self) -> ServiceContainer:
        """The stub runtime that publishes for this target, started on first use."""
        if self.target.publisher is None:
            raise EnvironmentFailed("this target has no publisher",
                                    "the runner should have found the scenario not applicable")
        return self.stack.runtime(self.target.publisher.service_env)

    def publisher_wiring(self) -> PublisherWiring:
        """How the publisher must call this target's module."""
        if self.target.publisher is None:
            raise EnvironmentFailed("this target has no publisher",
                                    "the runner should have found the scenario not applicable")
        return self.target.publisher.wiring

    def crash_spacetimedb(self) -> None:
        """kill -9 SpacetimeDB once its last commit is durable, then start it again."""
        if self.stack.server is None:
            raise EnvironmentFailed("crash steps need a SpacetimeDB container the harness "
                                    "started", "run without --stdb-url")
        time.sleep(DURABILITY_WAIT_S)
        self.stack.server.kill9()
        self.stack.server.restart()
