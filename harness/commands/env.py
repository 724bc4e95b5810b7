"""`stdb-harness env build|up|down`: the environment by hand."""

from __future__ import annotations

import argparse
import json
import time

from harness.commands.configured import configured
from harness.config.assemble import configured_wasm
from harness.env.cleanup import sweep
from harness.env.docker_client import docker_client
from harness.env.progress import say
from harness.env.spacetimedb_image import ensure_spacetimedb_image
from harness.env.stack import Stack, StackOptions
from harness.env.stub_image import ensure_stub_image
from harness.errors import HarnessError


def build(args: argparse.Namespace) -> int:
    started = time.monotonic()
    client = docker_client()
    image = ensure_spacetimedb_image(client)
    stub = ensure_stub_image(client)
    module = configured_wasm(configured(args))
    built = f"module {module.path} (sha256 {module.sha256})" if module else "no module"
    say(f"environment ready in {time.monotonic() - started:.1f}s: images {image}, {stub}; "
        f"{built}")
    return 0


def up(args: argparse.Namespace) -> int:
    started = time.monotonic()
    options = StackOptions(stdb_url=None, stdb_image=args.stdb_image, host_port=args.port)
    config = configured(args)
    docker_client()  # no Docker is exit 2 at once, before any build
    wasm = configured_wasm(config)
    if wasm is None:
        raise HarnessError(f"{config.path} declares no [module] to publish",
                           "env up starts SpacetimeDB with the configured module; give one")
    stack = Stack(options, keep_on_exit=True).start()
    try:
        database = stack.publish(wasm)
    except BaseException:
        stack.close()
        raise
    info = {
        "stdb_url": stack.stdb_url,
        "database": database.name,
        "owner_identity": database.owner.identity,
        "owner_token": database.owner.token,
        "module_sha256": database.module_sha256,
        "program_hash": database.program_hash,
        "container_id": stack.server.container_id if stack.server else None,
        "seconds_to_ready": round(time.monotonic() - started, 2),
    }
    if args.json:
        print(json.dumps(info))
    else:
        print(f"SpacetimeDB: {info['stdb_url']}  database: {info['database']}  "
              f"(ready in {info['seconds_to_ready']}s; `stdb-harness env down` removes it)")
    return 0


def down(_args: argparse.Namespace) -> int:
    removed = sweep(docker_client())
    print(f"removed {len(removed.containers)} container(s), {len(removed.networks)} network(s), "
          f"{len(removed.volumes)} volume(s)")
    return 0
