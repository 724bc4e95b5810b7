"""`stdb-harness golden update <ID>`: run a curated scenario and write its golden (locally)."""

from __future__ import annotations

import argparse

from harness import golden
from harness.commands.configured import configured, golden_dir, scenarios_dir
from harness.config.assemble import assemble, configured_wasm
from harness.conformance import CHECKERS, RUNNERS
from harness.env.stack import Stack, StackOptions
from harness.errors import HarnessError
from harness.runner.environment import RunEnvironment
from harness.scenario.files import curated, find


def update(args: argparse.Namespace) -> int:
    """Run the scenario against the configured target; write its golden only if the target
    passes the checkers, so a golden never approves a violation."""
    config = configured(args)
    scenarios, goldens = scenarios_dir(config), golden_dir(config)
    ids = ([s.id for s in curated(None, scenarios)] if args.scenario_id == "all"
           else [args.scenario_id])
    wasm = configured_wasm(config)
    stack = Stack(StackOptions(stdb_url=args.stdb_url, stdb_image=args.stdb_image)).start()
    try:
        env = RunEnvironment(stack, assemble(config, stack, wasm), wasm)
        for scenario_id in ids:
            scenario = find(scenario_id, scenarios)
            if scenario is None:
                raise HarnessError(f"no curated scenario {scenario_id!r} in {scenarios}",
                                   "goldens exist only for curated scenario files")
            history = RUNNERS[scenario.property](scenario, env)
            result = CHECKERS[scenario.property](scenario, history)
            if not result.ok:
                raise HarnessError(f"{scenario_id}: the target fails the checker, "
                                   f"no golden written:\n{result.explain()}",
                                   "fix the scenario or the target first")
            path = golden.write(scenario_id, golden.observed_result(history), goldens)
            print(f"wrote {path}")
    finally:
        stack.close()
    return 0
