"""The configuration a command works on: `--config`, or the nearest one to the working
directory, read before anything is built so a bad file is exit 2 with the key named."""

from __future__ import annotations

import argparse
from pathlib import Path

from harness.config.load import load_config
from harness.config.model import HarnessConfig
from harness.errors import HarnessError


def add_config_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", default=None,
                        help="a stdb-harness.toml, or a pyproject.toml with [tool.stdb-harness] "
                             "(default: the nearest one above the working directory)")


def configured(args: argparse.Namespace) -> HarnessConfig:
    return load_config(Path(args.config) if args.config else None, Path.cwd())


def reports_dir(args: argparse.Namespace, config: HarnessConfig) -> Path:
    """`--reports-dir`, or reports/ beside the configuration."""
    return Path(args.reports_dir).resolve() if args.reports_dir else config.root / "reports"


def scenarios_dir(config: HarnessConfig) -> Path:
    if config.scenarios is None:
        raise HarnessError(f"{config.path} names no scenarios folder",
                           'add scenarios = "scenarios" to [tool.stdb-harness]')
    return config.scenarios


def golden_dir(config: HarnessConfig) -> Path:
    if config.golden is None:
        raise HarnessError(f"{config.path} names no golden folder",
                           'add golden = "golden" to [tool.stdb-harness]')
    return config.golden
