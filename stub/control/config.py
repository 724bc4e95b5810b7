"""Start-up configuration from command-line flags, falling back to environment variables.

Flags win over the environment so one container image serves every target variant; the
environment is there for orchestration that cannot change a command line.

    --host              CONTROL_HOST              default 127.0.0.1
    --port              CONTROL_PORT              default 8081 (0 picks a free port)
    --signing-key       CONTROL_SIGNING_KEY       required; UTF-8, at least 32 bytes (RFC 7518)
    --issuer            CONTROL_ISSUER            default openagents-control-stub
    --audience          CONTROL_AUDIENCE          default openagents-sync
    --kid               CONTROL_KID               default sync-auth-v1
    --alias-retired     CONTROL_ALIAS_RETIRED     T6 from the start (true/false, 1/0, yes/no)
    --compat-enforced   CONTROL_COMPAT_ENFORCED   T1 header checks from the start
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from stub.control.hs256 import MIN_KEY_BYTES
from stub.control.mutants import ALIAS_MUTANTS
from stub.control.state import Toggles
from stub.control.tokens import TokenSettings

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off", ""})


@dataclass(frozen=True)
class Config:
    host: str
    port: int
    settings: TokenSettings
    toggles: Toggles
    mutant: str = ""


def _flag(env: Mapping[str, str], name: str) -> bool:
    value = env.get(name, "").strip().lower()
    if value not in _TRUE | _FALSE:
        raise ValueError(f"{name}={value!r} is neither true nor false")
    return value in _TRUE


def _add_arguments(parser: argparse.ArgumentParser, env: Mapping[str, str]) -> None:
    parser.add_argument("--host", default=env.get("CONTROL_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(env.get("CONTROL_PORT", "8081")))
    parser.add_argument("--signing-key", default=env.get("CONTROL_SIGNING_KEY"))
    parser.add_argument("--mutant", default=env.get("CONTROL_MUTANT", ""),
                        choices=["", *ALIAS_MUTANTS], help="a deliberately broken alias")
    parser.add_argument("--issuer", default=env.get("CONTROL_ISSUER", "openagents-control-stub"))
    parser.add_argument("--audience", default=env.get("CONTROL_AUDIENCE", "openagents-sync"))
    parser.add_argument("--kid", default=env.get("CONTROL_KID", "sync-auth-v1"))
    retired, enforced = _flag(env, "CONTROL_ALIAS_RETIRED"), _flag(env, "CONTROL_COMPAT_ENFORCED")
    parser.add_argument("--alias-retired", action="store_true", default=retired)
    parser.add_argument("--compat-enforced", action="store_true", default=enforced)


def parse_config(argv: Sequence[str], env: Mapping[str, str]) -> Config:
    """The configuration, or `SystemExit(2)` with a message saying what to fix."""
    parser = argparse.ArgumentParser(
        prog="python -m stub.control", description="Reference control service (sync tokens)."
    )
    try:
        _add_arguments(parser, env)
    except ValueError as error:  # a malformed environment variable
        parser.error(str(error))
    args = parser.parse_args(argv)
    key = (args.signing_key or "").encode("utf-8")
    if len(key) < MIN_KEY_BYTES:
        parser.error(f"--signing-key (or CONTROL_SIGNING_KEY) needs at least {MIN_KEY_BYTES} bytes")
    return Config(
        host=args.host,
        port=args.port,
        settings=TokenSettings(key, args.issuer, args.audience, args.kid),
        toggles=Toggles(alias_retired=args.alias_retired, compat_enforced=args.compat_enforced),
        mutant=args.mutant,
    )
