"""Golden snapshots: the approved observable result of each curated scenario.

A golden holds, per step, the answer the reference gave and the snapshots taken, as
canonical JSON. It is written only by `stdb-harness golden update <ID>` on a developer's
machine, never in CI (where a missing golden fails the run, as syrupy and Vitest do).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from harness.contract.canonical import canonical_json
from harness.errors import HarnessError
from harness.history import EntryType, History


class GoldenMissing(HarnessError):
    """A curated scenario without its golden file."""


def observed_result(history: History) -> dict[str, Any]:
    """What a golden stores: each step's answer ("ok" or the error text) and the snapshots."""
    answers: dict[str, str] = {}
    for entry in history.completions():
        if isinstance(entry.value, dict) and "step" in entry.value:
            answers[str(entry.value["step"])] = (
                entry.error or "fail" if entry.type is EntryType.FAIL else entry.type.value)
    # Module snapshots only: what a client did is judged by its checker, and how its
    # deliveries were batched may differ between two correct runs; the state around a
    # compaction is its checker's too (M4), and the end state shows where it led.
    snapshots = {k: v for k, v in history.snapshots.items()
                 if not k.startswith(("client:", "compacted:")) and k != "table_keys"}
    result: dict[str, Any] = json.loads(
        canonical_json({"answers": answers, "snapshots": snapshots}))
    return result


class MalformedGolden(HarnessError):
    """A golden file that is not a golden: not JSON, or without its answers or snapshots."""


GOLDEN_FIX = ("a golden is a JSON object {\"answers\": {step: answer}, \"snapshots\": "
              "{label: snapshot}}, written by `stdb-harness golden update <ID>`: run it again "
              "(or restore the file from version control) and review it")


def read(path: Path) -> dict[str, Any]:
    """The golden in `path`, or MalformedGolden naming the file, what is wrong, and the fix."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise MalformedGolden(f"golden {path}: cannot be read ({exc})", GOLDEN_FIX) from exc
    except ValueError as exc:
        raise MalformedGolden(f"golden {path}: not JSON ({exc})", GOLDEN_FIX) from exc
    if not isinstance(data, dict):
        raise MalformedGolden(f"golden {path}: a JSON {type(data).__name__}, not an object",
                              GOLDEN_FIX)
    for key in ("answers", "snapshots"):
        if not isinstance(data.get(key), dict):
            problem = "is missing" if key not in data else "is not a JSON object"
            raise MalformedGolden(f"golden {path}: {key!r} {problem}", GOLDEN_FIX)
    return data


def load(scenario_id: str, folder: Path) -> dict[str, Any]:
    path = folder / f"{scenario_id}.json"
    if not path.is_file():
        raise GoldenMissing(f"no golden for curated scenario {scenario_id!r} ({path})",
                            f"run `stdb-harness golden update {scenario_id}` locally, review "
                            "the file and commit it")
    return read(path)


def write(scenario_id: str, result: dict[str, Any], folder: Path) -> Path:
    if os.environ.get("CI"):
        raise HarnessError("goldens are never written in CI",
                           "run `stdb-harness golden update` on your machine")
    path = folder / f"{scenario_id}.json"
    path.write_text(json.dumps(result, indent=1, ensure_ascii=False, sort_keys=True) + "\n",
                    encoding="utf-8")
    return path


def orphans(scenario_ids: set[str], folder: Path) -> list[str]:
    """Golden files whose scenario no longer exists (obsolete goldens)."""
    return sorted(path.stem for path in folder.glob("*.json")
                  if path.stem not in scenario_ids)
