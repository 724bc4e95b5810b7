"""`stdb-harness`: build the environment, run the conformance suite, reproduce a failure.

Exit codes (see the README): 0 conformant, 1 a contract violation, 2 the harness could
not run (with a message that says what to do). A HarnessError is never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import Any

from harness.commands import env, goldens, mutants, offline
from harness.commands.configured import add_config_option
from harness.commands.init import init
from harness.commands.run import EXIT_HARNESS, repro, run
from harness.errors import HarnessError
from harness.profiles import PROFILES, check_example_db
from harness.shards import parse_shard
from harness.shrink_budget import parse_budget


def _argument(check: Callable[[str], object]) -> Callable[[str], str]:
    """An argparse type from a HarnessError-raising check: a bad value is a usage error
    (exit 2) with the check's message, and the option keeps its text."""
    def parse(text: str) -> str:
        try:
            check(text)
        except HarnessError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from exc
        return text
    return parse


def _count_for(option: str) -> Callable[[str], None]:
    """The check of a count of at least 1 given as `option`."""
    def check(text: str) -> None:
        if not text.strip().isdigit() or int(text) < 1:
            raise HarnessError(f"bad {option} {text!r}: not a whole number of at least 1",
                               f"pass {option} N with N >= 1, e.g. {option} 2")
    return check


def _target_options(parser: argparse.ArgumentParser) -> None:
    add_config_option(parser)
    parser.add_argument("--stdb-url", default=None, help="use this running SpacetimeDB")
    parser.add_argument("--stdb-image", default=None, help="start this SpacetimeDB image")
    parser.add_argument("--module-features", default="",
                        help="Cargo features of the module under test (e.g. a mutant)")
    parser.add_argument("--mutant", default=None,
                        help="run against a deliberately broken variant (see `mutants`)")
    parser.add_argument("--reports-dir", default=None,
                        help="default: reports/ beside the configuration")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="stdb-harness", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    env_parser = commands.add_parser("env", help="build, start or remove the environment")
    env_commands = env_parser.add_subparsers(dest="env_command", required=True)
    build = env_commands.add_parser("build", help="build whatever is missing (images, module)")
    add_config_option(build)
    build.set_defaults(handler=env.build)
    up = env_commands.add_parser("up", help="start SpacetimeDB, publish the reference module")
    up.add_argument("--json", action="store_true", help="print the result as JSON")
    up.add_argument("--port", type=int, default=None, help="fixed host port (default: any)")
    up.add_argument("--stdb-image", default=None, help="use this image instead of building")
    add_config_option(up)
    up.set_defaults(handler=env.up)
    env_commands.add_parser("down", help="remove everything the harness started") \
        .set_defaults(handler=env.down)

    run_parser = commands.add_parser("run", help="run the conformance suite (the main job)")
    run_parser.add_argument("--profile", default="pr", choices=sorted(PROFILES))
    run_parser.add_argument("--seed", type=int, default=None, help="Hypothesis seed (nightly)")
    run_parser.add_argument("--max-examples", type=int, default=None,
                            help="generated examples per property")
    run_parser.add_argument("--first-failure", action="store_true",
                            help="stop at the first property that finds a violation")
    run_parser.add_argument("--shard", default=None, metavar="I/N", type=_argument(parse_shard),
                            help="run shard I of N (a disjoint, stable share of the items), "
                                 "for N parallel jobs")
    run_parser.add_argument("--example-db", default=None, metavar="REDIS_URL",
                            type=_argument(check_example_db),
                            help="Hypothesis example database in this Redis "
                                 "(redis://host:port/N), shared by shards and machines; "
                                 "nightly profile")
    run_parser.add_argument("--shrink-budget", default=None, metavar="SECONDS",
                            type=_argument(parse_budget),
                            help="how long a property may go on shrinking after its first "
                                 "violation (default: the profile's, pr 60, nightly 300; "
                                 "`none`: Hypothesis's own limit only)")
    run_parser.add_argument("--workers", type=_argument(_count_for("--workers")), default=None,
                            metavar="N",
                            help="run the properties in N processes (pytest-xdist), each with "
                                 "its own SpacetimeDB; one summary")
    _target_options(run_parser)
    run_parser.set_defaults(handler=run)

    repro_parser = commands.add_parser("repro", help="replay one scenario from its ID alone")
    repro_parser.add_argument("scenario", help="a curated ID or a generated stdb1.* ID")
    _target_options(repro_parser)
    repro_parser.set_defaults(handler=repro)

    mutants_parser = commands.add_parser("mutants", help="the pr profile against every mutant")
    mutants_parser.add_argument("--only", nargs="*", help="mutant names (default: all)")
    mutants_parser.add_argument("--max-examples", type=int, default=None)
    mutants_parser.add_argument(
        "--jobs", type=_argument(_count_for("--jobs")), default="1", metavar="N",
        help="mutants run at once, each its own run process (default 1: detection times "
             "then measure one run alone)")
    mutants_parser.add_argument("--reports-dir", default=None)
    add_config_option(mutants_parser)
    mutants_parser.set_defaults(handler=mutants.run_mutants)

    init_parser = commands.add_parser(
        "init", help="write a starter stdb-harness.toml from a module's own schema")
    init_parser.add_argument("--crate", default=None, help="the module crate's folder")
    init_parser.add_argument("--wasm", default=None, help="or the built module's .wasm")
    init_parser.add_argument("--module-features", default="", help="Cargo features to build")
    init_parser.add_argument("--output", default="stdb-harness.toml",
                             help="where to write it (default: ./stdb-harness.toml)")
    init_parser.add_argument("--force", action="store_true", help="replace an existing file")
    init_parser.add_argument("--check", action="store_true",
                             help="list the lines of --output still marked TODO (exit 1 "
                                  "while any is left)")
    init_parser.add_argument("--stdb-url", default=None, help="use this running SpacetimeDB")
    init_parser.set_defaults(handler=init)

    _offline_commands(commands)
    return parser


def _offline_commands(commands: Any) -> None:
    """The commands that work on files: check, golden, scenario."""
    check = commands.add_parser("check", help="re-run the checkers on stored artefacts")
    check.add_argument("run_dir", help="a reports/runs/<slug> folder, or a folder of them")
    check.set_defaults(handler=offline.check)

    golden = commands.add_parser("golden", help="goldens of curated scenarios")
    golden_commands = golden.add_subparsers(dest="golden_command", required=True)
    update = golden_commands.add_parser("update", help="run a curated scenario, write golden")
    update.add_argument("scenario_id", help="a curated ID, or `all`")
    update.add_argument("--stdb-url", default=None)
    update.add_argument("--stdb-image", default=None)
    add_config_option(update)
    update.set_defaults(handler=goldens.update)

    scenario = commands.add_parser("scenario", help="curated scenarios")
    scenario_commands = scenario.add_subparsers(dest="scenario_command", required=True)
    save = scenario_commands.add_parser("save", help="turn a generated ID into a curated file")
    save.add_argument("scenario_id")
    save.add_argument("--name", required=True, help="the curated ID (file name)")
    save.add_argument("--intent", required=True, help="what the scenario is for")
    save.add_argument("--tag", action="append")
    add_config_option(save)
    save.set_defaults(handler=offline.scenario_save)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        code: int = args.handler(args)
    except HarnessError as exc:
        print(f"stdb-harness: error: {exc}", file=sys.stderr)
        return EXIT_HARNESS
    except KeyboardInterrupt:
        print("stdb-harness: interrupted", file=sys.stderr)
        return 130
    return code


if __name__ == "__main__":
    sys.exit(main())
