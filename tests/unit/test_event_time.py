"""Event times the user can set: a fixed base by default or from the config, or the run's
start; the scenario ID keeps only the offsets, a stored run its own base."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from harness.config.load import ConfigError, load_config
from harness.pytest_plugin import event_epoch_ms
from harness.scenario.ids import decode, encode
from harness.scenario.model import EPOCH_MS, Scenario
from harness.scenario.steps import Event


def _load(tmp_path: Path, line: str) -> int | None:
    (tmp_path / "module").mkdir(exist_ok=True)
    (tmp_path / "module" / "Cargo.toml").write_text("[package]\nname = 'm'\n")
    (tmp_path / "stdb-harness.toml").write_text(
        f'{line}\n[module]\ncrate = "module"\n', encoding="utf-8")
    return load_config(tmp_path / "stdb-harness.toml", tmp_path).event_time


def test_the_base_is_fixed_by_default_set_by_the_config_or_the_runs_start(
    tmp_path: Path,
) -> None:
    assert _load(tmp_path, "") == EPOCH_MS
    assert _load(tmp_path, "event_time = 1893456000000") == 1_893_456_000_000
    assert _load(tmp_path, 'event_time = "run-start"') is None
    assert event_epoch_ms(None, 1_800_000_000.75) == 1_800_000_000_000
    assert event_epoch_ms(1_893_456_000_000, 1_800_000_000.75) == 1_893_456_000_000


@pytest.mark.parametrize("line", ['event_time = "tomorrow"', "event_time = -1",
                                  "event_time = true", "event_time = 1.5"])
def test_a_time_that_is_none_is_a_config_error(tmp_path: Path, line: str) -> None:
    with pytest.raises(ConfigError, match="event_time"):
        _load(tmp_path, line)


def test_an_id_keeps_the_offsets_and_a_stored_scenario_its_base() -> None:
    scenario = Scenario("rebuild", ("G2",), (Event("run:r1:events", "run.step", {"n": 1}),
                                             Event("run:r1:events", "run.step", {"n": 2})))
    moved = replace(scenario, epoch_ms=1_893_456_000_000)
    assert [e.published_at_ms for e in moved.journal()] == [1_893_456_000_000,
                                                            1_893_456_001_000]
    assert encode(moved) == encode(scenario)  # the ID: offsets only
    assert decode(encode(moved)).epoch_ms == EPOCH_MS
    assert Scenario.from_json(moved.to_json()).journal() == moved.journal()
    assert "epoch_ms" not in scenario.to_json()
