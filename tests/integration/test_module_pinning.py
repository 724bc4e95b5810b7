"""Against a real SpacetimeDB: the server holds exactly the module the harness built.

SpacetimeDB 1.2 reports the Keccak-256 of a new database's module as `initial_program`
(`GET /v1/database/<name>`); publish compares it with the bytes it sent, so a run can
never test a module other than the one it names.
"""

from __future__ import annotations

import pytest

from harness.env import stack as stack_module
from harness.env.built_module import BuiltModule, sha256_hex
from harness.env.stack import Stack
from harness.errors import EnvironmentFailed
from harness.spacetime.http import SpacetimeHttp
from harness.spacetime.program_hash import parse_program_hash, program_hash


def test_publish_records_the_program_hash_of_the_built_bytes(
    stack: Stack, reference_wasm: BuiltModule
) -> None:
    wasm = reference_wasm.path.read_bytes()

    database = stack.publish(reference_wasm)

    http = SpacetimeHttp(database.url)
    info = http.database_info(database.name)
    assert info.program_hash == program_hash(wasm) == database.program_hash
    assert database.module_sha256 == reference_wasm.sha256 == sha256_hex(wasm)
    assert info.owner_identity == database.owner.identity
    # The module the database runs (st_module) is the same program: same hash, same spelling.
    [running] = http.sql(database.name, "SELECT program_hash FROM st_module")
    assert parse_program_hash(running["program_hash"]) == database.program_hash


def test_a_server_holding_other_bytes_is_an_environment_failure(
    stack: Stack, reference_wasm: BuiltModule, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As if the server had stored other bytes than those sent: the expected hash differs.
    monkeypatch.setattr(stack_module, "program_hash",
                        lambda wasm: program_hash(wasm + b"\0another module"))

    with pytest.raises(EnvironmentFailed, match="runs a module other than") as caught:
        stack.publish(reference_wasm)

    assert program_hash(reference_wasm.path.read_bytes()) in str(caught.value)
