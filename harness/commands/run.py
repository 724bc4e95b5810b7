"""`stdb-harness run` and `stdb-harness repro`: the conformance suite through pytest.

Both run the suite shipped in harness/suite with the harness's pytest plugin, so the
CLI, CI and a plain `pytest` call share one code path. Before pytest starts, everything
that can be checked is checked once (harness/preflight.py: a problem is exit 2 with one
message), and what it built is handed to the plugin. The CLI keeps its short option names
and gives pytest the plugin's (`--profile` is `--stdb-profile`, ...). The exit code is derived
from the summary, not from pytest's code alone: a violation is 1, a harness error 2.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from harness import suite
from harness.commands.configured import configured, reports_dir, scenarios_dir
from harness.config.model import HarnessConfig
from harness.errors import HarnessError
from harness.preflight import Prepared, effective_config, prepare
from harness.profiles import PROFILES
from harness.scenario.ids import is_generated_id

EXIT_OK, EXIT_VIOLATION, EXIT_HARNESS = 0, 1, 2


def pytest_args(args: argparse.Namespace, config: HarnessConfig, reports: Path) -> list[str]:
    argv = [str(Path(suite.__file__).parent), "-p", "stdb_harness",
            "--stdb-config", str(config.path), "-p", "no:cacheprovider",
            "--stdb-profile", args.profile,
            "--stdb-reports-dir", str(reports), "--junitxml", str(reports / "junit.xml"),
            "--alluredir", str(reports / "allure-results"), "--clean-alluredir",
            "-o", "junit_family=xunit2", "-W", "ignore::pytest.PytestAssertRewriteWarning",
            "-q"]
    if args.stdb_url:
        argv += ["--stdb-url", args.stdb_url]
    if args.stdb_image:
        argv += ["--stdb-image", args.stdb_image]
    if args.module_features:
        argv += ["--stdb-module-features", args.module_features]
    if getattr(args, "mutant", None):
        argv += ["--stdb-mutant", args.mutant]
    if getattr(args, "max_examples", None):
        argv += ["--stdb-max-examples", str(args.max_examples)]
    if getattr(args, "seed", None) is not None:
        argv += ["--hypothesis-seed", str(args.seed)]
    if getattr(args, "first_failure", False):
        argv += ["--exitfirst"]
    if getattr(args, "scenario", None):
        argv += ["--stdb-scenario", args.scenario]
    if getattr(args, "shard", None):
        argv += ["--stdb-shard", args.shard]
    if getattr(args, "example_db", None):
        argv += ["--stdb-example-db", args.example_db]
    if getattr(args, "shrink_budget", None) is not None:
        argv += ["--stdb-shrink-budget", args.shrink_budget]
    if getattr(args, "workers", None):
        argv += ["-n", str(args.workers)]
    return argv


def exit_code(pytest_code: int, reports: Path) -> int:
    """0 conformant, 1 violation, 2 the harness could not run (README)."""
    summary_path = reports / "summary.json"
    if not summary_path.is_file():
        return EXIT_OK if pytest_code == 0 else EXIT_HARNESS
    summary: dict[str, Any] = json.loads(summary_path.read_text(encoding="utf-8"))
    if summary["failed"]:
        return EXIT_VIOLATION
    if summary["errors"] or pytest_code not in (0, 1):
        return EXIT_HARNESS
    return EXIT_OK if pytest_code == 0 else EXIT_HARNESS


def print_summary(reports: Path) -> None:
    path = reports / "summary.json"
    if not path.is_file():
        return
    summary = json.loads(path.read_text(encoding="utf-8"))
    for violation in summary["violations"]:
        print(f"VIOLATION {','.join(violation['rules'])} [{violation['property']}] "
              f"SCENARIO ID: {violation['id']}")
    for name, p in sorted(summary["properties"].items()):
        print(f"{name:<14} tests={p['tests']} passed={p['passed']} violations={p['failed']} "
              f"errors={p['errors']} scenarios={p['scenarios']} events={p['events']} "
              f"{p['duration_s']}s")
    for cut in summary.get("shrink_budget", {}).get("cut", []):
        print(f"SHRINK BUDGET {cut['budget_s']:g}s cut shrinking short: {cut['test']} "
              f"({cut['answered']} candidates answered without running; the counterexample "
              "is the smallest found by then)")
    print(f"profile={summary['profile']} passed={summary['passed']} failed={summary['failed']} "
          f"errors={summary['errors']} duration={summary['duration_s']}s "
          f"events/min={summary['events_per_minute']}")
    print(f"reports: {reports / 'summary.html'}, {reports / 'junit.xml'}, "
          f"{reports / 'allure-results'}")


def check_example_db_use(args: argparse.Namespace) -> None:
    """--example-db needs a randomized profile and no pinned seed (else Hypothesis keeps
    no database): refused before anything is built."""
    if not getattr(args, "example_db", None):
        return
    if PROFILES[args.profile].derandomize:
        raise HarnessError(f"--example-db does not apply to the {args.profile} profile",
                           f"{args.profile} is derandomized, and Hypothesis keeps no example "
                           "database for derandomized runs; use --profile nightly")
    if getattr(args, "seed", None) is not None:
        raise HarnessError("--example-db with --seed: a pinned seed turns Hypothesis's example "
                           "database off", "drop one of the two")


def preflight(args: argparse.Namespace, config: HarnessConfig) -> Prepared:
    """The checks of harness/preflight.py against the target this run tests (its mutant and
    features applied), before pytest starts."""
    features = [f for f in (args.module_features or "").split(",") if f]
    target, mutant = effective_config(config, getattr(args, "mutant", None), features)
    return prepare(target, mutant=mutant, stdb_url=args.stdb_url,
                   scenario=getattr(args, "scenario", None),
                   require_containers=bool(os.environ.get("CI")))


def run(args: argparse.Namespace) -> int:
    check_example_db_use(args)
    config = configured(args)
    prepared = preflight(args, config)
    reports = reports_dir(args, config)
    reports.mkdir(parents=True, exist_ok=True)
    (reports / "summary.json").unlink(missing_ok=True)
    code = int(pytest.main(pytest_args(args, config, reports), plugins=[prepared]))
    sys.stdout.flush()
    print_summary(reports)
    return exit_code(code, reports)


def repro(args: argparse.Namespace) -> int:
    if not is_generated_id(args.scenario):
        scenarios_dir(configured(args))  # a config without scenarios: say which key to add
    args.profile = "repro"
    return run(args)
