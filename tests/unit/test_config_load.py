"""The configuration loader: every mistake names its key and the fix; a good file is typed.

A typo in a user's config must stop the run with exit 2, never silently test the defaults
or crash with a traceback.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from harness.config.load import ConfigError, find_config, load_config
from harness.targets.capabilities import Capability
from harness.targets.control import control_capabilities
from harness.targets.templates import render

REPO = Path(__file__).resolve().parents[2]


def write(folder: Path, text: str, name: str = "stdb-harness.toml") -> Path:
    (folder / "module").mkdir(exist_ok=True)
    (folder / "module" / "Cargo.toml").write_text("[package]\nname = 'm'\n")
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


MINIMAL = '[module]\ncrate = "module"\n'


def load(tmp_path: Path, text: str) -> object:
    return load_config(write(tmp_path, text), tmp_path)


def test_a_minimal_config_is_the_reference_mapping(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, MINIMAL), tmp_path)
    assert config.name == tmp_path.name
    assert config.module is not None
    assert config.module.apply.name == "apply_event"
    assert config.client is None and config.control is None and config.publisher is None


def test_the_repository_config_is_the_reference_with_31_mutants() -> None:
    config = load_config(None, REPO)
    assert config.path == REPO / "pyproject.toml" and config.name == "reference"
    assert len(config.mutants) == 31
    assert config.control is not None and config.control.service.kind == "stub"


def test_the_foreign_example_config_declares_what_it_lacks() -> None:
    config = load_config(REPO / "examples" / "foreign" / "stdb-harness.toml", REPO)
    assert config.module is not None
    assert config.module.compact is None and config.module.resume is None
    assert config.control is not None
    assert Capability.CONTROL_POLICY_TOGGLE in config.control.lacks
    assert config.module.contract_error("gap: stream s wants 3, got 5") == (
        "sequence_conflict expected_next_seq=3 actual_seq=5")


def test_absolute_rules_are_opted_into_by_family_and_none_by_default(tmp_path: Path) -> None:
    assert load_config(write(tmp_path, MINIMAL), tmp_path).absolute == frozenset()
    assert load_config(None, REPO).absolute == frozenset("ESMPBRTG")
    foreign = load_config(REPO / "examples" / "foreign" / "stdb-harness.toml", REPO)
    assert "T" not in foreign.absolute and "P" in foreign.absolute


def test_the_nearest_config_is_found_walking_up(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL)
    (tmp_path / "a" / "b").mkdir(parents=True)
    assert find_config(tmp_path / "a" / "b") == path
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[tool.stdb-harness.module]\ncrate = "module"\n')
    path.unlink()
    assert find_config(tmp_path / "a") == pyproject


@pytest.mark.parametrize(("text", "key", "hint"), [
    ("colour = 1\n" + MINIMAL, "colour", "the keys here are"),
    (MINIMAL + '[contract]\nabsolute = ["M", "X"]\n', "contract.absolute", "E S M P B R T G"),
    (MINIMAL + '[contract]\nabsolute = "M"\n', "contract.absolute", "list of strings"),
    (MINIMAL + "colour = 1\n", "module.colour", "the keys here are"),
    ("[module]\n", "module.crate", "exactly one of crate, wasm, database"),
    ('[module]\ncrate = "nowhere"\n', "module.crate", "no Cargo.toml"),
    (MINIMAL + '[module.reducers]\napply = { name = "ingest", args = ["{sequence}"] }\n',
     "module.reducers.apply.args", "unknown field {sequence}"),
    (MINIMAL + "[module.reducers]\napply = false\n", "module.reducers.apply",
     "must have an apply reducer"),
    (MINIMAL + "[module.errors]\nsequence_conflict = 'gap (\\d+)'\n",
     "module.errors.sequence_conflict", "no named group for actual_seq, expected_next_seq"),
    (MINIMAL + "[module.errors]\nunauthorized = '(('\n", "module.errors.unauthorized",
     "not a regular expression"),
    (MINIMAL + "[module.tables.run_summary]\ncolumns = { runid = 'x' }\n",
     "module.tables.run_summary.columns.runid", "unknown key"),
    (MINIMAL + '[client]\nadapter = "not a factory"\n', "client.adapter",
     "package.module:factory"),
    (MINIMAL + '[control]\ncommand = ["serve"]\nadmin = "a.b:c"\n', "control.command",
     "{port}"),
    (MINIMAL + '[control]\nservice = "stub"\nadmin = "a.b:c"\nlacks = ["control.teleport"]\n',
     "control.lacks", "unknown control capability"),
    (MINIMAL + '[control]\nservice = "stub"\n', "control.admin", "name your admin adapter"),
    (MINIMAL + '[control]\nurl = "http://x"\nservice = "stub"\nadmin = "a.b:c"\n',
     "control.service", "exactly one of"),
    (MINIMAL + '[publisher]\nurl = "http://x"\n', "publisher.service", "stub runtime"),
    (MINIMAL + '[module.volatile]\nsync_event = "applied_at"\n', "module.volatile.sync_event",
     "list of strings"),
    (MINIMAL + '[control]\nservice = "stub"\nadmin = "a.b:c"\nretired = { policy = {} }\n',
     "control.retired.policy", "unknown key"),
    (MINIMAL + '[control]\nservice = "stub"\nadmin = "a.b:c"\nretired = {}\n',
     "control.retired", "alias retired"),
    (MINIMAL + '[control]\nservice = "stub"\nadmin = "a.b:c"\n'
     'retired = { command = ["serve"] }\n', "control.retired.command", "{port}"),
])
def test_a_mistake_names_its_key_and_the_fix(tmp_path: Path, text: str, key: str,
                                             hint: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load(tmp_path, text)
    where = f"{tmp_path / 'stdb-harness.toml'}: config key {key}:"
    assert raised.value.message.startswith(where), raised.value.message
    assert hint in str(raised.value)


def test_broken_toml_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot be read as TOML"):
        load(tmp_path, "[module\n")


def test_no_config_says_how_to_add_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"no \[tool.stdb-harness\]"):
        load_config(None, tmp_path)


def test_a_bad_config_is_exit_2_from_the_cli_with_the_key(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL + "[module.reducers]\nresume = 3\n")
    result = subprocess.run([sys.executable, "-m", "harness.cli", "run", "--config", str(path)],
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 2
    assert "module.reducers.resume" in result.stderr
    assert "Traceback" not in result.stderr


def test_overrides_are_how_a_mutant_changes_the_target() -> None:
    config = load_config(None, REPO)
    mutant = config.mutants["fold-counts-duplicate"]
    assert mutant.overrides == {"module.features": ["mutant-fold-counts-duplicate"]}


def test_templates_keep_a_lone_field_s_type_and_format_the_rest() -> None:
    fields = {"seq": 3, "stream_id": "s", "kind": "k"}
    assert render(["{seq}", "{stream_id}/{seq}/{kind}", True, 0], fields) == [
        3, "s/3/k", True, 0]


def test_a_control_service_from_an_image_needs_its_port(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"config key control\.port"):
        load(tmp_path, MINIMAL + '[control]\nimage = "theirs:1"\nadmin = "a.b:c"\n')
    config = load_config(write(tmp_path, MINIMAL + '[control]\nimage = "theirs:1"\nport = 9000\n'
                               'args = ["serve"]\nadmin = "a.b:c"\n'), tmp_path)
    assert config.control is not None
    service = config.control.service
    assert (service.kind, service.image, service.port, service.command) == (
        "image", "theirs:1", 9000, ("serve",))


def test_a_control_service_retired_at_start_is_the_same_service_started_otherwise(
        tmp_path: Path) -> None:
    """[control.retired] adds to [control]'s env and options, replaces how the service is
    started, and declares the alias retired; the capability follows its presence."""
    config = load_config(write(tmp_path, MINIMAL + (
        '[control]\ncommand = ["serve", "--port", "{port}"]\nadmin = "a.b:c"\n'
        'env = { KEY = "k" }\noptions = { alias_retired = false, mode = "x" }\n'
        'policy = { compat_enforced = true }\n'
        '[control.retired]\ncommand = ["serve", "--port", "{port}", "--retired"]\n'
        'env = { RETIRED = "1" }\noptions = { alias_retired = true }\n')), tmp_path)
    assert config.control is not None and config.control.retired is not None
    retired = config.control.retired
    assert retired.service.command == ("serve", "--port", "{port}", "--retired")
    assert retired.service.env == {"KEY": "k", "RETIRED": "1"}
    assert retired.admin.options == {"alias_retired": True, "mode": "x"}
    assert (retired.policy.alias_retired, retired.policy.compat_enforced) == (True, True)
    assert not config.control.policy.alias_retired and retired.retired is None
    assert control_capabilities(config.control.routes, config.control.lacks, True) >= {
        Capability.CONTROL_RETIRED_AT_START}
    assert Capability.CONTROL_RETIRED_AT_START not in control_capabilities(
        config.control.routes, config.control.lacks)
