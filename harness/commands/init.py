"""`stdb-harness init`: a starter configuration from the module itself, and `--check`.

The schema a published module serves is the one description of its tables and reducers
that cannot be out of date, so `init` publishes the module to a throwaway SpacetimeDB
(removed again whatever happens) and writes what it reads; `--check` then keeps a user
honest about which of its lines are still guesses.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from harness.config.starter import guesses, source_line, starter_config
from harness.env.built_module import BuiltModule
from harness.env.docker_client import docker_client
from harness.env.module_build import build_module
from harness.env.progress import say
from harness.env.stack import Stack, StackOptions
from harness.errors import HarnessError
from harness.spacetime.schema import ModuleSchema


def init(args: argparse.Namespace) -> int:
    output = Path(args.output)
    if args.check:
        return _check(output)
    crate = Path(args.crate) if args.crate else None
    wasm = Path(args.wasm) if args.wasm else None
    if (crate is None) == (wasm is None):
        raise HarnessError("init needs the module: give exactly one of --crate or --wasm",
                           "e.g. stdb-harness init --crate path/to/module")
    if output.exists() and not args.force:
        raise HarnessError(f"{output} exists; init does not overwrite a configuration",
                           "pass --force to replace it, or --output another path")
    started = time.monotonic()
    schema = _published_schema(crate, wasm, tuple(args.module_features.split(",")
                                                  if args.module_features else ()),
                               args.stdb_url)
    target = (crate or wasm or output).resolve().name.removesuffix(".wasm")
    text = starter_config(schema, source_line(crate, wasm, output.parent), target)
    output.write_text(text, encoding="utf-8")
    left = guesses(text)
    say(f"wrote {output} in {time.monotonic() - started:.1f}s: "
        f"{sum(r.lifecycle is None for r in schema.reducers.values())} reducer(s), "
        f"{len(schema.tables)} table(s), {len(left)} line(s) marked TODO")
    for line in left:
        print(f"  {line}")
    return 0


def _check(output: Path) -> int:
    """Exit 1 while a guess is left, so a CI step can insist the config is settled."""
    if not output.is_file():
        raise HarnessError(f"{output}: no such configuration",
                           "write one with `stdb-harness init --crate <module>` first")
    left = guesses(output.read_text(encoding="utf-8"))
    for line in left:
        print(f"{output}: {line}")
    print(f"{output}: {len(left)} guess(es) left" if left else f"{output}: no guesses left")
    return 1 if left else 0


def _published_schema(crate: Path | None, wasm: Path | None, features: tuple[str, ...],
                      stdb_url: str | None) -> ModuleSchema:
    if crate is not None and not (crate / "Cargo.toml").is_file():
        raise HarnessError(f"{crate}: no Cargo.toml here", "give the module crate's folder")
    if wasm is not None and not wasm.is_file():
        raise HarnessError(f"{wasm}: no such file", "give the built module's .wasm")
    module = build_module(crate, features) if crate is not None else BuiltModule.prebuilt(
        wasm) if wasm is not None else None
    assert module is not None
    if stdb_url is None:
        docker_client()  # no Docker is exit 2 here, before a server is asked for
    stack = Stack(StackOptions(stdb_url=stdb_url)).start()
    try:
        database = stack.publish(module)
        return database.http().schema(database.name)
    finally:
        stack.close()
