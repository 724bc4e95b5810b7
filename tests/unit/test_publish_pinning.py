"""Stack.publish pins the module: the file is what was built, the server holds what was sent.

Against the scripted server of test_spacetime_http, answering as SpacetimeDB 1.2 does.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.env.built_module import BuiltModule
from harness.env.stack import Stack, StackOptions
from harness.errors import EnvironmentFailed
from harness.spacetime.program_hash import program_hash
from tests.unit.test_spacetime_http import IDENTITY_HEX, TOKEN, FakeServer, Reply, server

__all__ = ["server"]  # the fixture, imported for the tests below

NAME = "ref"
WASM = b"\0asm\1\0\0\0 the reference module"


def _u256(digest: str) -> str:
    """A program hash as 1.2 writes it: the digest as a little-endian u256, 0x hex."""
    return f"0x{int.from_bytes(bytes.fromhex(digest), 'little'):x}"


def _script(server: FakeServer, initial_program: str, op: str = "created") -> None:
    server.reply("POST", "/v1/identity",
                 Reply(body=json.dumps({"identity": IDENTITY_HEX, "token": TOKEN}).encode()))
    server.reply("PUT", f"/v1/database/{NAME}", Reply(body=json.dumps(
        {"Success": {"domain": NAME, "database_identity": IDENTITY_HEX, "op": op}}).encode()))
    server.reply("GET", f"/v1/database/{NAME}", Reply(body=json.dumps({
        "database_identity": {"__identity__": "0x" + IDENTITY_HEX},
        "owner_identity": {"__identity__": "0x" + IDENTITY_HEX},
        "host_type": {"Wasm": []},
        "initial_program": initial_program,
    }).encode()))


@pytest.fixture
def module(tmp_path: Path) -> BuiltModule:
    path = tmp_path / "default.wasm"
    path.write_bytes(WASM)
    return BuiltModule.from_bytes(path, WASM, tmp_path, ())


def test_a_matching_program_hash_is_recorded(server: FakeServer, module: BuiltModule) -> None:
    _script(server, _u256(program_hash(WASM)))

    database = Stack(StackOptions(stdb_url=server.url)).publish(module, NAME)

    assert database.program_hash == program_hash(WASM)
    assert database.module_sha256 == module.sha256
    assert [seen.body for seen in server.seen if seen.method == "PUT"] == [WASM]


def test_a_different_program_on_the_server_is_an_environment_failure(
    server: FakeServer, module: BuiltModule
) -> None:
    other = program_hash(b"\0asm\1\0\0\0 some other module")
    _script(server, _u256(other))

    with pytest.raises(EnvironmentFailed, match="runs a module other than") as caught:
        Stack(StackOptions(stdb_url=server.url)).publish(module, NAME)

    assert other in str(caught.value)
    assert program_hash(WASM) in str(caught.value)


def test_an_update_is_not_judged_by_the_initial_program(
    server: FakeServer, module: BuiltModule
) -> None:
    # 1.2 keeps initial_program when an existing database gets a new module.
    _script(server, _u256(program_hash(b"the first module")), op="updated")

    database = Stack(StackOptions(stdb_url=server.url)).publish(module, NAME)

    assert database.module_sha256 == module.sha256


def test_a_file_changed_since_the_build_is_refused_before_publishing(
    server: FakeServer, module: BuiltModule
) -> None:
    module.path.write_bytes(WASM + b" overwritten by another build")

    with pytest.raises(EnvironmentFailed, match="changed since it was built"):
        Stack(StackOptions(stdb_url=server.url)).publish(module, NAME)

    assert server.seen == []
