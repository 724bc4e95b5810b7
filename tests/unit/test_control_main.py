"""`python -m stub.control`: flags, environment, and the real entry point in a subprocess."""

# Test names carry the contract's rule ids (T1...T6), upper case as CONTRACT.md spells them.

from __future__ import annotations

import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from stub.control.config import parse_config
from stub.control.state import Toggles
from tests.unit.test_control_support import ALIAS, CANONICAL, verified_claims

ROOT = Path(__file__).resolve().parents[2]
KEY_TEXT = "unit-test-signing-key-0123456789abcdef"


def test_flags_configure_the_service() -> None:
    argv = ["--host", "0.0.0.0", "--port", "9", "--signing-key", KEY_TEXT, "--issuer", "i"]
    argv += ["--audience", "a", "--kid", "k", "--alias-retired", "--compat-enforced"]
    config = parse_config(argv, {})
    assert (config.host, config.port) == ("0.0.0.0", 9)
    settings = config.settings
    assert (settings.signing_key, settings.issuer, settings.audience, settings.kid) == (
        KEY_TEXT.encode(),
        "i",
        "a",
        "k",
    )
    assert config.toggles == Toggles(alias_retired=True, compat_enforced=True)


def test_environment_configures_the_service_and_flags_win() -> None:
    env = {
        "CONTROL_HOST": "10.0.0.1",
        "CONTROL_PORT": "7000",
        "CONTROL_SIGNING_KEY": KEY_TEXT,
        "CONTROL_ALIAS_RETIRED": "true",
        "CONTROL_COMPAT_ENFORCED": "0",
    }
    config = parse_config(["--port", "7001"], env)
    assert (config.host, config.port, config.settings.signing_key) == (
        "10.0.0.1",
        7001,
        KEY_TEXT.encode(),
    )
    assert config.toggles == Toggles(alias_retired=True, compat_enforced=False)


def test_defaults() -> None:
    config = parse_config(["--signing-key", KEY_TEXT], {})
    assert (config.host, config.port) == ("127.0.0.1", 8081)
    assert config.toggles == Toggles()


@pytest.mark.parametrize(
    ("argv", "env"),
    [
        ([], {}),
        (["--signing-key", "too-short"], {}),
        (["--signing-key", KEY_TEXT], {"CONTROL_ALIAS_RETIRED": "maybe"}),
        (["--signing-key", KEY_TEXT], {"CONTROL_PORT": "http"}),
    ],
)
def test_bad_configuration_exits_2(argv: list[str], env: dict[str, str]) -> None:
    with pytest.raises(SystemExit) as raised:
        parse_config(argv, env)
    assert raised.value.code == 2


@pytest.fixture
def process() -> Iterator[tuple[subprocess.Popen[str], str]]:
    """The real entry point with the alias retired from the start, on a free port."""
    command = [sys.executable, "-m", "stub.control", "--port", "0", "--alias-retired"]
    child = subprocess.Popen(
        [*command, "--signing-key", KEY_TEXT, "--issuer", "test-issuer"],
        cwd=ROOT,
        stderr=subprocess.PIPE,
        text=True,
        env={"CONTROL_AUDIENCE": "test-audience", "PYTHONPATH": str(ROOT)},
    )
    try:
        assert child.stderr is not None
        banner = child.stderr.readline()
        found = re.search(r"listening on (http://\S+)", banner)
        assert found, banner
        yield child, found.group(1)
    finally:
        if child.poll() is None:
            child.kill()
        child.wait(timeout=10)
        if child.stderr is not None:
            child.stderr.close()


def test_T6_entry_point_serves_with_the_alias_retired_and_stops_on_sigterm(
    process: tuple[subprocess.Popen[str], str],
) -> None:
    child, base_url = process
    with requests.Session() as http:
        user = http.post(f"{base_url}/_admin/users", json={}).json()["user_id"]
        org = http.post(f"{base_url}/_admin/orgs", json={}).json()["org_id"]
        member = {"org_id": org, "user_id": user, "role": "owner"}
        http.post(f"{base_url}/_admin/memberships", json=member)
        seeded = http.post(f"{base_url}/_admin/sessions", json={"user_id": user, "org_id": org})
        auth = {"Authorization": f"Bearer {seeded.json()['access_token']}"}
        minted = http.post(base_url + CANONICAL, headers=auth)
        assert minted.status_code == 200
        assert verified_claims(minted.json()["data"]["token"])["sub"] == f"user:{user}"
        assert http.post(base_url + ALIAS, headers=auth).status_code == 404
    child.send_signal(signal.SIGTERM)
    assert child.wait(timeout=10) == 128 + signal.SIGTERM
