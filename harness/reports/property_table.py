"""The per-property counts of a run, as rows both pages lay out the same way."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

PROPERTY_HEADER = ("property", "tests", "passed", "violations", "errors", "n/a", "scenarios",
                   "events", "seconds")


def property_rows(summary: Mapping[str, Any]) -> list[list[str]]:
    return [[name, str(p["tests"]), str(p["passed"]), str(p["failed"]), str(p["errors"]),
             str(p["not_applicable"]), str(p["scenarios"]), str(p["events"]),
             f"{p['duration_s']:.1f}"]
            for name, p in sorted(summary["properties"].items())]
