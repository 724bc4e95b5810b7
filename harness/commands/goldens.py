"""`stdb-harness golden update <ID>`: run a curated scenario and write its golden (locally)."""

from __future__ import annotations

import argparse

from harness import golden
from harness.conformance import CHECKERS, RUNNERS
from harness.env.cache import repo_root
from harness.env.module_build import build_module
from harness.env.stack import Stack, StackOptions
from harness.errors import HarnessError
from harness.runner.environment import RunEnvironment
from harness.scenario.files import curated, find


def update(args: argparse.Namespace) -> int:
    ids = [s.id for s in curated()] if args.scenario_id == "all" else [args.scenario_id]
    stack = Stack(StackOptions(stdb_url=args.stdb_url, stdb_image=args.stdb_image)).start()
    try:
        env = RunEnvironment(stack, build_module(repo_root() / "projectors" / "reference"))
        for scenario_id in ids:
            scenario = find(scenario_id)
            if scenario is None:
                raise HarnessError(f"no curated scenario {scenario_id!r}",
                                   "goldens exist only for files in scenarios/")
            history = RUNNERS[scenario.property](scenario, env)
            result = CHECKERS[scenario.property](scenario, history)
            if not result.ok:
                raise HarnessError(f"{scenario_id}: the reference itself fails the checker, "
                                   f"no golden written:\n{result.explain()}",
                                   "fix the scenario or the reference first")
            print(f"wrote {golden.write(scenario_id, golden.observed_result(history))}")
    finally:
        stack.close()
    return 0
