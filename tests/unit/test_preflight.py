"""Prepare, then run: each bad input is found before the suite starts, once, as exit 2 with one
message naming it, never a traceback (harness/preflight.py).

Every case runs `stdb-harness run` (or `repro`) as a subprocess in a small project of its
own, with `--stdb-url` pointing at a stand-in that answers `GET /v1/ping` and with Docker
out of reach (`DOCKER_HOST` names no socket): nothing can start a container, so a message
about anything but the bad input, or any later failure, would show. Each case's wall time
is printed.
"""

from __future__ import annotations

import http.server
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = "idempotent-redelivery-burst"
WASM_HEADER = b"\0asm\x01\0\0\0"  # the magic bytes and version 1: all the preflight reads
CONFIG = """target = "preflight"
scenarios = "scenarios"
golden = "golden"

[module]
{module}
"""
NO_DOCKER = {"DOCKER_HOST": "unix:///nonexistent/docker.sock"}


class _Ping(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/v1/ping" else 404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        return None


@pytest.fixture(scope="module")
def ping_url() -> Iterator[str]:
    """A stand-in for a running SpacetimeDB: it answers `GET /v1/ping`, nothing else."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Ping)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def project(root: Path, module: str = 'wasm = "module.wasm"') -> Path:
    """A user's project: a config, a valid-looking wasm, one curated scenario and its golden."""
    (root / "scenarios").mkdir()
    (root / "golden").mkdir()
    shutil.copy2(ROOT / "scenarios" / f"{SCENARIO}.json", root / "scenarios")
    shutil.copy2(ROOT / "golden" / f"{SCENARIO}.json", root / "golden")
    (root / "module.wasm").write_bytes(WASM_HEADER)
    (root / "stdb-harness.toml").write_text(CONFIG.format(module=module), encoding="utf-8")
    return root


def harness(root: Path, *args: str, url: str | None) -> tuple[subprocess.CompletedProcess[str],
                                                              float]:
    argv = [sys.executable, "-m", "harness.cli", *args, "--config",
            str(root / "stdb-harness.toml"), "--reports-dir", str(root / "reports")]
    if url is not None:
        argv += ["--stdb-url", url]
    began = time.monotonic()
    done = subprocess.run(argv, capture_output=True, text=True, timeout=900, check=False,
                          cwd=root, env={**os.environ, **NO_DOCKER})
    took = time.monotonic() - began
    print(f"{' '.join(args)}: exit {done.returncode} after {took:.1f} s")
    return done, took


def refused(done: subprocess.CompletedProcess[str], *named: str, lines: int = 8) -> str:
    """Exit 2, one message naming each of `named`, no traceback; the message."""
    out = done.stdout + done.stderr
    assert done.returncode == 2, out
    assert "Traceback" not in out, out
    assert out.count("stdb-harness: error:") == 1, out
    message = done.stderr[done.stderr.index("stdb-harness: error:"):]
    for name in named:
        assert name in message, message
    assert len(message.splitlines()) <= lines, message
    assert "SCENARIO ID" not in out and "passed" not in out, "the suite ran"
    return message


def test_a_good_project_passes_the_preflight_and_reaches_docker(tmp_path: Path) -> None:
    """The control case: without the stand-in server, the first thing missing is Docker
    (found by the preflight too, under CI), so the cases below are the inputs' own."""
    root = project(tmp_path)
    done, _ = harness(root, "run", url=None)
    out = done.stdout + done.stderr
    assert "cannot reach a Docker engine" in out, out
    assert "Traceback" not in out


def test_a_wasm_that_is_not_wasm(tmp_path: Path, ping_url: str) -> None:
    root = project(tmp_path)
    (root / "module.wasm").write_bytes(b"this is a text file\n")
    refused(harness(root, "run", url=ping_url)[0], "module.wasm",
            "is not a WebAssembly module", "b'this'")


def broken_crate() -> Path:
    """A crate with a syntax error, at a fixed place: the cargo target directory is kept per
    crate path (harness/env/module_keys.py), so wasm32's std (built here with -Zbuild-std,
    about 80 s on 2 cores) is built once, not once per run of this test."""
    crate = Path(tempfile.gettempdir()) / f"stdb-harness-broken-crate-{os.getuid()}"
    files = {"Cargo.toml": '[package]\nname = "broken-module"\nversion = "0.1.0"\n'
                           'edition = "2021"\n\n[lib]\ncrate-type = ["cdylib"]\n',
             "src/lib.rs": "pub fn oops( {\n"}
    for name, text in files.items():
        path = crate / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
    return crate


def test_a_crate_that_does_not_compile(tmp_path: Path, ping_url: str) -> None:
    crate = broken_crate()
    root = project(tmp_path, f"crate = {json.dumps(str(crate))}")
    done, took = harness(root, "run", url=ping_url)
    message = refused(done, "broken-crate", "unclosed delimiter", "src/lib.rs", lines=40)
    assert message.count("error: this file contains an unclosed delimiter") == 1, message
    assert "Compiling" not in message, "cargo's progress instead of the compiler's report"
    assert took < 600


def test_a_stdb_url_that_does_not_answer(tmp_path: Path) -> None:
    root = project(tmp_path)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed once the probe is
    done, took = harness(root, "run", url=f"http://127.0.0.1:{port}")
    message = refused(done, f"--stdb-url http://127.0.0.1:{port} does not answer",
                      "/v1/ping")
    assert "docker" not in message.lower(), message
    assert took < 10


def test_a_malformed_scenario_file(tmp_path: Path, ping_url: str) -> None:
    root = project(tmp_path)
    (root / "scenarios" / "half-written.json").write_text('{"id": "half-written", ',
                                                          encoding="utf-8")
    refused(harness(root, "run", url=ping_url)[0],
            str(root / "scenarios" / "half-written.json"), "cannot read scenario", "hint:")


def test_a_golden_that_is_not_json(tmp_path: Path, ping_url: str) -> None:
    root = project(tmp_path)
    path = root / "golden" / f"{SCENARIO}.json"
    path.write_text("<<<<<<< HEAD\n", encoding="utf-8")
    refused(harness(root, "run", url=ping_url)[0], f"golden {path}: not JSON",
            "stdb-harness golden update")


def test_a_golden_without_its_answers(tmp_path: Path, ping_url: str) -> None:
    root = project(tmp_path)
    path = root / "golden" / f"{SCENARIO}.json"
    path.write_text(json.dumps({"snapshots": {}}), encoding="utf-8")
    refused(harness(root, "run", url=ping_url)[0], f"golden {path}: 'answers' is missing",
            "stdb-harness golden update")


def test_an_adapter_that_does_not_import(tmp_path: Path, ping_url: str) -> None:
    root = project(tmp_path)
    (root / "broken_adapters.py").write_text("import no_such_module_anywhere\n",
                                             encoding="utf-8")
    config = root / "stdb-harness.toml"
    config.write_text(config.read_text(encoding="utf-8")
                      + '\n[client]\nadapter = "broken_adapters:client"\n', encoding="utf-8")
    refused(harness(root, "run", url=ping_url)[0], "config key client.adapter",
            "cannot import 'broken_adapters'", "no_such_module_anywhere")


@pytest.mark.parametrize(("wanted", "named"), [
    ("no-such-scenario", "no scenario 'no-such-scenario'"),
    ("stdb1.idempotence.@@@", "damaged"),
])
def test_an_unknown_scenario_id(tmp_path: Path, ping_url: str, wanted: str, named: str
                                ) -> None:
    root = project(tmp_path)
    refused(harness(root, "repro", wanted, url=ping_url)[0], named)


def test_plain_pytest_refuses_the_same_in_one_line(tmp_path: Path, ping_url: str) -> None:
    """For a plain `pytest` the preflight's refusal is pytest's usage error (exit 4): one
    `ERROR:` message, before anything is collected."""
    root = project(tmp_path)
    (root / "module.wasm").write_bytes(b"this is a text file\n")
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
                           "--stdb-url", ping_url], capture_output=True, text=True,
                          timeout=300, check=False, cwd=root, env={**os.environ, **NO_DOCKER})
    out = done.stdout + done.stderr
    assert done.returncode == pytest.ExitCode.USAGE_ERROR, out
    assert out.count("ERROR: stdb-harness: ") == 1, out
    assert "is not a WebAssembly module" in out and "Traceback" not in out, out
    assert "collected" not in out, out
