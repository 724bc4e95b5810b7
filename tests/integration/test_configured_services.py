"""A control service the harness starts from an image the configuration names.

The stub control image stands in for a user's: the configuration gives its image, port,
arguments and environment, and the token-parity scenario runs against it through the
configured admin adapter, exactly as a user's service would be driven; `[control.retired]`
gives the arguments of a second instance, started with its alias retired (T6).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from harness.config.model import HarnessConfig
from harness.env.built_module import BuiltModule
from harness.env.docker_client import docker_client
from harness.env.stub_image import ensure_stub_image

REPO = Path(__file__).resolve().parents[2]
SCENARIO = "token-parity-api-matrix"


def _from_image(tmp_path: Path, module_wasm: BuiltModule, harness_config: HarnessConfig,
                scenario: str, extra: str = "") -> dict[str, Any]:
    """Run `scenario` against the stub control image configured as a user's; the summary."""
    assert harness_config.control is not None and harness_config.control.signing_key
    key = harness_config.control.signing_key
    image = ensure_stub_image(docker_client())
    (tmp_path / "scenarios").mkdir()
    shutil.copy(REPO / "scenarios" / f"{scenario}.json", tmp_path / "scenarios")
    config = tmp_path / "stdb-harness.toml"
    config.write_text(f'''target = "control-from-image"
scenarios = "scenarios"

[module]
wasm = "{module_wasm.path}"

[control]
image = "{image}"
port = 8081
args = ["-m", "stub.control", "--host", "0.0.0.0", "--port", "8081"]
env = {{ CONTROL_SIGNING_KEY = "{key}" }}
admin = "stub.adapters:reference_admin"
signing_key = "{key}"
{extra}''', encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "harness.cli", "repro", scenario,
                             "--config", str(config), "--reports-dir", str(tmp_path / "r")],
                            capture_output=True, text=True, timeout=600, check=False, cwd=REPO)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    summary: dict[str, Any] = json.loads((tmp_path / "r" / "summary.json").read_text(
        encoding="utf-8"))
    assert summary["target"]["target"] == "control-from-image"
    return summary


def test_a_control_service_started_from_an_image(tmp_path: Path, module_wasm: BuiltModule,
                                                 harness_config: HarnessConfig) -> None:
    summary = _from_image(tmp_path, module_wasm, harness_config, SCENARIO)
    assert summary["properties"]["token_parity"]["passed"] == 1


def test_T6_a_second_instance_started_with_the_alias_retired(
        tmp_path: Path, module_wasm: BuiltModule, harness_config: HarnessConfig) -> None:
    retired = ('[control.retired]\nargs = ["-m", "stub.control", "--host", "0.0.0.0", '
               '"--port", "8081", "--alias-retired"]\n')
    summary = _from_image(tmp_path, module_wasm, harness_config, "token-alias-retired-at-start",
                          retired)
    assert summary["properties"]["token_parity"]["passed"] == 1
    assert "control.retired_at_start" not in summary["capabilities_lacking"]
