"""The almanac example (examples/almanac), a module of another team judged as it is: six
tables of its own and none of the contract's, an apply reducer taking a Timestamp, an enum,
an f64 and an Option, refusal texts of its own; driven by the stub publisher through its
configuration alone (no `[module.tables]`, no Python).

Each planted defect must be reported once, under its rule, naming its own table; nothing
else (no relative rule leaning on the reference, no follow-on, no harness error). The
lenient build breaks absolute rules only, so a relative-only run of it reports nothing.
And `stdb-harness init` on the crate writes a config that, once its guesses are settled as
almanac.toml settles them, maps the module the same way.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from harness.config.load import load_config

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "almanac"

# The planted defects (examples/almanac/README.md): the rule each is reported under and the
# table it must name.
DEFECTS = {"stream_tally": {"M1"}, "hour_bucket": {"M5", "G2"}, "visitor": {"M2"}}

pytestmark = pytest.mark.container


def run(config: Path, reports: Path, *extra: str) -> tuple[int, dict[str, Any], str]:
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "harness.cli", "run", "--config", str(config),
                             "--reports-dir", str(reports), *extra], capture_output=True,
                            text=True, timeout=1800, check=False, cwd=REPO)
    print(f"{config.name} {' '.join(extra)}: exit {result.returncode} in "
          f"{time.monotonic() - started:.1f}s")
    output = result.stdout + result.stderr
    assert (reports / "summary.json").is_file(), f"exit {result.returncode}:\n{output[-3000:]}"
    summary = json.loads((reports / "summary.json").read_text(encoding="utf-8"))
    return result.returncode, summary, output


@pytest.fixture(scope="module")
def default_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, dict[str, Any], str]:
    return run(EXAMPLE / "almanac.toml", tmp_path_factory.mktemp("almanac"))


def _named_table(finding: dict[str, Any]) -> str:
    """The table a finding's defect names (`M2: visitor: a refused call left rows`)."""
    return str(finding["defect"]).split(": ")[1]


def test_each_planted_defect_is_one_finding_naming_its_own_table(
        default_build: tuple[int, dict[str, Any], str]) -> None:
    code, summary, output = default_build
    assert code == 1, output[-3000:]
    assert summary["errors"] == 0, summary["harness_errors"]
    findings = summary["violations"]
    by_table = {_named_table(finding): finding for finding in findings}
    assert len(findings) == len(DEFECTS) and set(by_table) == set(DEFECTS), (
        [(f["defect"], _named_table(f)) for f in findings])
    for table, rules in DEFECTS.items():
        finding = by_table[table]
        assert finding["defect"].split(":")[0] in rules, (table, finding["defect"])
        # its scenario may show another planted defect beside it, never anything else
        assert all(v["relative"] and _named_table(v) in DEFECTS
                   for v in finding["violations"]), finding["violations"]
    assert len({finding["id"] for finding in findings}) == len(DEFECTS)


def test_nothing_of_the_reference_is_judged_on_a_module_without_its_tables(
        default_build: tuple[int, dict[str, Any], str]) -> None:
    _, summary, _ = default_build
    lacking = summary["capabilities_lacking"]
    for part in ("module.compact", "module.resume_reducer", "module.ack",
                 "module.tables.run_summary", "module.tables.sync_event"):
        assert part in lacking, sorted(lacking)


def test_the_lenient_build_holds_every_relative_rule(tmp_path: Path) -> None:
    """It stores a bad hash, answers a conflict as a duplicate and has no sequencing:
    absolute departures only, so with no family absolute nothing may be reported."""
    code, summary, output = run(EXAMPLE / "almanac.toml", tmp_path / "reports",
                                "--module-features", "lenient")
    assert (code, summary["violations"], summary["errors"]) == (0, [], 0), output[-3000:]


# The lenient build with families E and M absolute: the ledger and the progress named as
# the contract's tables (the columns it has), so each departure from the reference's exact
# rules can be judged, and is reported under its own rule.
ABSOLUTE_MAPPING = """
[module.tables]
run_summary = false
worker_status = false
stream_checkpoint = false

[module.tables.sync_event]
name = "ingested"

[module.tables.sync_event.columns]
idempotency_key = "key"
stream_id = "stream"
seq = "position"
payload_json = false
payload_hash = "digest"
published_at_ms = false

[module.tables.stream_head]
name = "feed_progress"
columns = { stream_id = "stream", head_seq = "last_position", oldest_seq = false }

[contract]
absolute = ["E", "M"]
"""


def test_the_lenient_build_departs_from_absolute_rules_each_under_its_own(
        tmp_path: Path) -> None:
    """A digest stored as sent (E5), a conflict answered as a duplicate (E6) and no
    sequencing (M1): with E and M absolute each is a finding of its rule, and nothing of
    a relative rule is."""
    config = tmp_path / "almanac-absolute.toml"
    ours = (EXAMPLE / "almanac.toml").read_text(encoding="utf-8")
    config.write_text(ours.replace('crate = "module"', f'crate = "{EXAMPLE / "module"}"')
                      + ABSOLUTE_MAPPING, encoding="utf-8")
    code, summary, output = run(config, tmp_path / "reports", "--module-features", "lenient")
    assert code == 1 and summary["errors"] == 0, output[-3000:]
    findings = summary["violations"]
    assert all(not v["relative"] for finding in findings for v in finding["violations"]), (
        [finding["defect"] for finding in findings])
    # one finding per departure, whichever step shows it first
    assert sorted(finding["defect"].split(":")[0] for finding in findings) == [
        "E5", "E6", "M1"], [finding["defect"] for finding in findings]


def test_init_settled_as_almanac_toml_maps_the_module_the_same_way(tmp_path: Path) -> None:
    written = tmp_path / "stdb-harness.toml"
    result = subprocess.run([sys.executable, "-m", "harness.cli", "init", "--crate",
                             str(EXAMPLE / "module"), "--output", str(written)],
                            capture_output=True, text=True, timeout=1200, check=False, cwd=REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    text = written.read_text(encoding="utf-8")
    checked = subprocess.run([sys.executable, "-m", "harness.cli", "init", "--check",
                              "--output", str(written)], capture_output=True, text=True,
                             timeout=60, check=False, cwd=REPO)
    assert checked.returncode == 1 and "TODO" in checked.stdout
    settled = _settled(text)
    written.write_text(settled, encoding="utf-8")
    assert "TODO" not in settled
    ours, theirs = (load_config(path, REPO).module
                     for path in (written, EXAMPLE / "almanac.toml"))
    assert ours is not None and theirs is not None
    assert ours == theirs, (ours, theirs)


def _settled(text: str) -> str:
    """The starter with its guesses settled as almanac.toml settles them: the weight, the
    volatile columns and the refusal texts (the enum's variant and the note as guessed)."""
    ours = (EXAMPLE / "almanac.toml").read_text(encoding="utf-8")
    errors = ours.split("[module.errors]", 1)[1].split("\n\n", 1)[0].split("\n")[1:]
    lines = []
    for line in text.splitlines():
        if line.startswith("[module.errors]"):
            lines += ["[module.errors]", *errors]
        elif line.startswith("# ") and "= '^<" in line:
            continue  # the block's examples
        elif re.match(r"\s*0\.0,\s+# weight", line):
            lines.append('  "{seq}",')
        elif line.startswith("ingested = "):
            lines.append('ingested = ["received_at"]')
        else:
            lines.append(re.sub(r"\s*# .*\bTODO\b.*$", "", line))
    return "\n".join(lines) + "\n"
