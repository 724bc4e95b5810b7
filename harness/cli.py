"""`stdb-harness`: build the environment, start or remove it, run the conformance suite.

Exit codes follow DESIGN.md: 0 conformant, 1 a contract violation, 2 the harness
could not run (with a message that says what to do). A HarnessError is never shown
as a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence

from harness.env.cache import repo_root
from harness.env.cleanup import sweep
from harness.env.docker_client import docker_client
from harness.env.module_build import build_module
from harness.env.progress import say
from harness.env.spacetimedb_image import ensure_spacetimedb_image
from harness.env.stack import Stack, StackOptions
from harness.env.stub_image import ensure_stub_image
from harness.errors import HarnessError

EXIT_OK, EXIT_VIOLATION, EXIT_HARNESS = 0, 1, 2


def _env_build(_args: argparse.Namespace) -> int:
    started = time.monotonic()
    client = docker_client()
    image = ensure_spacetimedb_image(client)
    stub = ensure_stub_image(client)
    wasm = build_module(repo_root() / "projectors" / "reference")
    say(f"environment ready in {time.monotonic() - started:.1f}s: images {image}, {stub}; "
        f"module {wasm}")
    return EXIT_OK


def _env_up(args: argparse.Namespace) -> int:
    started = time.monotonic()
    options = StackOptions(stdb_url=None, stdb_image=args.stdb_image, host_port=args.port)
    stack = Stack(options, keep_on_exit=True).start()
    try:
        database = stack.publish(build_module(repo_root() / "projectors" / "reference"))
    except BaseException:
        stack.close()
        raise
    info = {
        "stdb_url": stack.stdb_url,
        "database": database.name,
        "owner_identity": database.owner.identity,
        "owner_token": database.owner.token,
        "container_id": stack.server.container_id if stack.server else None,
        "seconds_to_ready": round(time.monotonic() - started, 2),
    }
    if args.json:
        print(json.dumps(info))
    else:
        print(f"SpacetimeDB: {info['stdb_url']}  database: {info['database']}  "
              f"(ready in {info['seconds_to_ready']}s; `stdb-harness env down` removes it)")
    return EXIT_OK


def _env_down(_args: argparse.Namespace) -> int:
    removed = sweep(docker_client())
    print(f"removed {len(removed.containers)} container(s), {len(removed.networks)} network(s), "
          f"{len(removed.volumes)} volume(s)")
    return EXIT_OK


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="stdb-harness", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    env = commands.add_parser("env", help="build, start or remove the environment")
    env_commands = env.add_subparsers(dest="env_command", required=True)
    env_commands.add_parser("build", help="build whatever is missing (images, module)") \
        .set_defaults(handler=_env_build)
    up = env_commands.add_parser("up", help="start SpacetimeDB, publish the reference module")
    up.add_argument("--json", action="store_true", help="print the result as JSON")
    up.add_argument("--port", type=int, default=None, help="fixed host port (default: any)")
    up.add_argument("--stdb-image", default=None, help="use this image instead of building")
    up.set_defaults(handler=_env_up)
    env_commands.add_parser("down", help="remove everything the harness started") \
        .set_defaults(handler=_env_down)
    return parser


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
