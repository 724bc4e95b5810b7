"""The data the report pages render: each violation's view, the clause matrix, the diff.

Built from the real artefacts of tests/report_example.py (real checkers, real `store`),
then taken apart: where the artefacts are gone, damaged, or the summary has no clauses.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from harness.checks import idempotence, rebuild, token_scenario
from harness.checks.verdict import Verdict
from harness.contract.snapshot import VOLATILE
from harness.history import History
from harness.reports import html_page, summary
from harness.reports.clause_matrix import families, state
from harness.reports.end_state import _module_cell
from harness.reports.markdown_page import markdown
from harness.reports.table_diff import MISSING, table_diff
from harness.reports.violation_view import view, violation_view
from harness.scenario.model import Scenario
from tests.report_example import (
    CLAUSE_ROWS,
    alias_ignores_ttl,
    dropped_by_publisher,
    example_summary,
    rebuilt_differently,
)


@pytest.fixture
def built(tmp_path: Path) -> dict[str, Any]:
    return example_summary(tmp_path)


def test_the_step_table_puts_the_observed_answer_beside_the_expected(
        built: dict[str, Any]) -> None:
    duplicate, budget, _ = (v["view"] for v in built["violations"])
    assert [(s["number"], s["op"], s["agrees"]) for s in budget["steps"]][-1] \
        == (6, "resume", False)
    resume = budget["steps"][6]
    assert resume["observed"] == "success" and resume["rules"] == ["R3"]
    assert resume["expected"].startswith("error 'stale_cursor reason=replay_budget_exceeded")
    assert resume["fields"] == {"client": "c1", "topic": "run:r2:events", "cursor": "1",
                                "budget": "1"}
    assert duplicate["steps"][6]["expected"] == "success (duplicate, no change)"
    assert duplicate["steps"][0]["fields"]["payload"] == '{"owner":"ada"}'
    assert [(v["rule"], v["step"], v["relative"]) for v in budget["violations"]] \
        == [("R3", 6, False)]


def test_the_timeline_has_a_lane_per_stream_in_order_of_use(built: dict[str, Any]) -> None:
    timeline = built["violations"][0]["view"]["timeline"]
    assert [lane["id"] for lane in timeline["lanes"]] == ["run:r1:events",
                                                         "worker:w1:lifecycle"]
    assert timeline["lanes"][1]["stream"] == "runtime.worker.w1.lifecycle"
    cells = [(row["step"], lane, cell["phase"]) for row in timeline["rows"]
             for lane, cell in row["cells"].items()]
    assert cells[2:6] == [(2, "worker:w1:lifecycle", "journaled"),
                          (3, "run:r1:events", "acknowledged"),
                          (4, "run:r1:events", "acknowledged"),
                          (5, "worker:w1:lifecycle", "acknowledged")]
    assert cells[-1] == (7, "run:r1:events", "refused")
    assert [c["text"] for c in timeline["end"]["run:r1:events"]] == [
        "module holds seqs 1, 2 (head 2, oldest 1)"]


def test_the_timeline_ends_with_what_each_client_did_against_what_it_had_to(
        built: dict[str, Any]) -> None:
    budget = built["violations"][1]["view"]["timeline"]["end"]["run:r2:events"]
    assert [(c["text"], c["bad"]) for c in budget] == [  # it followed the module's answer
        ("module holds seqs 1-3 (head 3, oldest 1)", False),
        ("client c1: resume after 1: accepted", False),
        ("client c1: deliver 2, 3", False),
        ("client c1: ends at cursor 3", False)]
    skipped = built["violations"][2]["view"]["timeline"]["end"]["run:r3:events"]
    assert [(c["text"], c["bad"]) for c in skipped][1:] == [
        ("client c2: resume after 0: stale_cursor reason=replay_budget_exceeded", False),
        ("client c2: deliver 3", False),
        ("client c2: ends at cursor 3", True)]
    assert skipped[-1]["expected"] == ("load a snapshot first, resume from its head (never "
                                       "again from 0), deliver up to 3, end at cursor 3")


def test_the_diff_names_table_key_column_and_both_values(built: dict[str, Any]) -> None:
    diff = built["violations"][0]["view"]["diff"]
    assert diff[:2] == [
        {"label": "with redeliveries vs each event delivered once", "table": "run_summary",
         "key": "r1", "column": "steps", "expected": "1", "observed": "2"},
        {"label": "with redeliveries vs each event delivered once", "table": "run_summary",
         "key": "r1", "column": "tokens_total", "expected": "5", "observed": "10"}]
    assert {d["label"] for d in diff} == {"with redeliveries vs each event delivered once",
                                          "final snapshot vs oracle"}
    assert built["violations"][1]["view"]["diff"] == []


def _judged_view(scenario: Scenario, history: History,
                 check: Callable[[Scenario, History], Verdict]) -> dict[str, Any]:
    found = check(scenario, history).violations
    return view(scenario, history, [{"rule": v.rule, "message": v.message,
                                     "op_index": v.op_index} for v in found])


def test_a_publisher_run_shows_appends_faults_and_how_far_delivery_got() -> None:
    shown = _judged_view(*dropped_by_publisher(), idempotence.check)
    timeline = shown["timeline"]
    assert [lane["id"] for lane in timeline["lanes"]] == ["harness", "run:r1:events", "nemesis"]
    assert [(c["text"], c["answer"]) for row in timeline["rows"]
            for c in row["cells"].values()][1:4] == [
        ("append run.created", "journaled as seq 1"), ("arm fault duplicate x2", ""),
        ("append run.step", "journaled as seq 2")]
    assert [(c["text"], c["expected"]) for c in timeline["end"]["run:r1:events"]] == [
        ("publisher delivered 1 of 2", "delivered 2 of 2"),
        ("module holds seqs 1 (head 1, oldest 1)", "holds seqs 1, 2 (head 2, oldest 1)")]
    assert {(d["table"], d["key"], d["column"]) for d in shown["diff"]} >= {
        ("stream_head", "runtime.run.r1.events", "head_seq"),
        ("sync_event", "topic:run:r1:events:seq:2", "")}


def test_a_token_run_puts_the_routes_in_lanes_and_the_alias_beside_the_canonical() -> None:
    shown = _judged_view(*alias_ignores_ttl(), token_scenario.check)
    (row,) = shown["timeline"]["rows"]
    assert list(row["cells"]) == ["route: canonical", "route: alias"]
    alias = row["cells"]["route: alias"]
    assert alias["bad"] and alias["why"] == ["T5", "T3", "T4"]  # parity, the direct evidence, first
    assert "T5" in shown["steps"][0]["rules"] and shown["steps"][0]["agrees"]  # both 200
    assert shown["diff"] == []


def test_a_rebuild_is_compared_with_the_oracle_and_the_original() -> None:
    shown = _judged_view(*rebuilt_differently(), rebuild.check)
    assert [(d["label"], d["key"], d["column"], d["observed"]) for d in shown["diff"]] == [
        ("rebuild (step 2) vs original", "r1", "owner", '"ada@1767225600123"'),
        ("rebuild (step 2) vs oracle", "r1", "owner", '"ada@1767225600123"')]
    (rebuilt,) = shown["timeline"]["rows"][2]["cells"].items()
    assert rebuilt[0] == "rebuilder" and rebuilt[1]["bad"]
    assert rebuilt[1]["why"] == ["G2", "M5"]


def test_table_diff_rows_missing_extra_and_masked() -> None:
    want = {"worker_status": [{"worker_id": "w1", "status": "online", "seen": 5},
                              {"worker_id": "w2", "status": "offline", "seen": 6}]}
    seen = {"worker_status": [{"worker_id": "w1", "status": "offline", "seen": VOLATILE},
                              {"worker_id": "w3", "status": "online", "seen": VOLATILE}]}
    rows = [(d["key"], d["column"], d["expected"], d["observed"])
            for d in table_diff("x", want, seen)]
    assert rows == [("w1", "status", '"online"', '"offline"'),
                    ("w2", "", '{"seen":"<volatile>","status":"offline","worker_id":"w2"}',
                     MISSING),
                    ("w3", "", MISSING, '{"seen":"<volatile>","status":"online","worker_id":"w3"}')]


def test_without_artefacts_the_id_still_gives_the_steps(built: dict[str, Any]) -> None:
    violation = built["violations"][0]
    shutil.rmtree(violation["artefacts"])
    view = violation_view(violation["id"], violation["artefacts"], violation["violations"])
    assert view["note"].startswith("no artefacts at hand")
    assert len(view["steps"]) == 8 and view["steps"][3]["observed"] == ""
    assert view["steps"][3]["expected"] == "success" and view["diff"] == []


def test_damaged_artefacts_are_said_and_do_not_stop_the_summary(
        built: dict[str, Any]) -> None:
    violation = built["violations"][1]
    (Path(violation["artefacts"]) / "history.json").write_text("{", encoding="utf-8")
    view = violation_view(violation["id"], violation["artefacts"], violation["violations"])
    assert view["note"].startswith("the artefacts could not be laid out (JSONDecodeError")
    assert view["steps"] == []


def test_the_view_is_stored_in_summary_json(built: dict[str, Any], tmp_path: Path) -> None:
    summary.write(tmp_path, built)
    stored = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    assert stored["violations"][0]["view"] == built["violations"][0]["view"]
    assert stored["violations"][0]["repro"].startswith("stdb-harness repro 'stdb1.idem")
    assert stored["clauses"] == CLAUSE_ROWS
    assert json.loads((Path(built["violations"][0]["artefacts"]) / "verdict.json")
                      .read_text(encoding="utf-8"))["violations"][0]["rule"] == "M1"


@pytest.mark.parametrize(("row", "expected"), [
    ({"violated": 2, "exercised": 9, "applicable": True, "in_profile": True}, "violated"),
    ({"violated": 0, "exercised": 0, "applicable": True, "in_profile": True},
     "never exercised"),
    ({"violated": 0, "exercised": 0, "applicable": False, "lacks": ["client", "control"],
      "in_profile": True}, "n/a (lacks client, control)"),
    ({"violated": 0, "exercised": 0, "applicable": True, "in_profile": False},
     "not in profile"),
    ({"violated": 0, "exercised": 3, "applicable": True, "in_profile": True}, "held"),
])
def test_a_clause_state_in_words(row: dict[str, Any], expected: str) -> None:
    assert state(row)[1] == expected


def test_families_follow_the_contract_and_clauses_their_numbers() -> None:
    rows = [{"clause": c, "rule": c.split(".")[0], "title": "", "exercised": 1, "violated": 0}
            for c in ("G1.1", "M1.10", "M1.9", "E2.1")]
    grouped = families(rows)
    assert [g["family"] for g in grouped] == ["E", "M", "G"]
    assert [r["clause"] for r in grouped[1]["rows"]] == ["M1.9", "M1.10"]
    assert grouped[1]["section"] == "3. Module: tables and reducers"


def test_markdown_has_the_same_sections(built: dict[str, Any]) -> None:
    text = markdown(built)
    assert ("### M: 3. Module: tables and reducers (15 clauses, 14 input classes, 1 never "
            "exercised, 8 n/a)") in text
    assert ("| M1.sequence_conflict | a seq past head+1 is refused with the expected seq | 0 "
            "| 0 | **never exercised** |") in text
    assert ("| M4.compact | compaction drops the tail, keeps projections | 0 | 0 | n/a (lacks "
            "module.compact) |") in text
    assert "| E6.duplicate | a redelivery succeeds and changes nothing (relative) | 5 | 1 " \
           "| **violated** |" in text
    assert "#### Minimal counterexample" in text and "#### Timeline, one lane per stream" in text
    assert "| with redeliveries vs each event delivered once | run_summary | r1 | steps | `1` " \
           "| `2` |" in text
    assert f"```\n{built['violations'][1]['repro']}\n```" in text


def test_a_summary_without_clauses_says_so(built: dict[str, Any]) -> None:
    del built["clauses"]
    assert "No clause coverage was recorded in this run." in markdown(built)
    page = html_page.page(built)
    assert "No clause coverage was recorded" in page and page.endswith("</body></html>\n")


def test_a_module_of_its_own_tables_is_not_shown_as_holding_no_events() -> None:
    """A module without the contract's event and head tables (its own ledger instead) is
    no "bad" end state: what it holds is in the snapshot differences, by its own names."""
    expected = {"sync_event": [{"stream_id": "s", "seq": 1}],
                "stream_head": [{"stream_id": "s", "head_seq": 1}]}
    own = _module_cell("s", expected, {"ledger": [{"key": "k", "position": 1}]})
    assert own["bad"] is False and "its own tables" in own["text"]
    keyless = {"sync_event": [{"stream_id": "s"}], "stream_head": []}
    assert _module_cell("s", expected, keyless)["bad"] is True
