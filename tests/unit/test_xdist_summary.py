"""Under pytest-xdist a worker hands its rows to the controller, which writes the summary."""

from __future__ import annotations

from pathlib import Path

import execnet

from harness.profiles import PROFILES
from harness.pytest_plugin import HarnessSession, merge_worker_output, worker_output
from harness.reports import summary
from harness.reports.records import ScenarioRecord


def _worker(nodeid: str, outcome: str) -> HarnessSession:
    state = HarnessSession(None, None, PROFILES["pr"], Path("reports"), None)
    record = ScenarioRecord("stdb1.rebuild.x", "rebuild", ("R1", "R2"), 12, 3, 0.5,
                            violations=[{"rule": "R1", "message": "m", "detail": {"row": [1, "a"]}}]
                            if outcome == "violation" else [])
    state.results.append(summary.TestResult(nodeid, outcome, 1.5, "", [record]))
    state.judged = True
    state.target_pins = {"target": "reference"}
    state.lacking = {"publisher": ["P1"]}
    return state


def test_workers_rows_survive_the_wire_and_merge_into_one_summary() -> None:
    controller = HarnessSession(None, None, PROFILES["pr"], Path("reports"), None)
    workers = [_worker("harness/suite/test_rebuild.py::test_a", "passed"),
               _worker("harness/suite/test_rebuild.py::test_b", "violation")]
    for worker in workers:
        sent = execnet.loads(execnet.dumps(worker_output(worker)))  # as xdist sends it
        merge_worker_output(controller, sent)
    assert controller.judged
    assert [r.records for r in controller.results] == [w.results[0].records for w in workers]
    built = summary.build("pr", controller.started, controller.results,
                          controller.target_pins, controller.lacking)
    assert (built["passed"], built["failed"]) == (1, 1)
    assert built["properties"]["rebuild"]["events"] == 24
    assert built["violations"][0]["rules"] == ["R1"]
    assert built["capabilities_lacking"] == {"publisher": ["P1"]}
