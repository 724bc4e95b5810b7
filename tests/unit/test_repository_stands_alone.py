"""The repository stands on its own: no tracked file points outside it, and the contract the
harness cites is the one in docs/CONTRACT.md, with every rule id the registry knows."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from harness.contract.rules import RULES

ROOT = Path(__file__).resolve().parents[2]
CONTRACT = ROOT / "docs" / "CONTRACT.md"

# Built from pieces so that this file does not match its own patterns.
FORBIDDEN = ("../" + "shared", "/" + "work/", "anchors" + ".md", "DESIGN" + ".md")


def _tracked_files() -> list[Path]:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: no list of tracked files")
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True,
                            check=True)
    return [ROOT / name for name in listed.stdout.decode().split("\0") if name]


def _text(path: Path) -> str | None:
    """The file's text, or None for a binary file (or one deleted but not yet staged)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    if b"\0" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def test_no_tracked_file_points_outside_the_repository() -> None:
    offences: list[str] = []
    for path in _tracked_files():
        text = _text(path)
        if text is None:
            continue
        for number, line in enumerate(text.splitlines(), start=1):
            offences.extend(
                f"{path.relative_to(ROOT)}:{number}: {needle!r}"
                for needle in FORBIDDEN if needle in line
            )
    assert not offences, "tracked files point outside the repository:\n" + "\n".join(offences)


def test_every_registered_rule_is_defined_in_docs_contract() -> None:
    text = CONTRACT.read_text(encoding="utf-8")
    missing = [f"{rule.id} {rule.title}" for rule in RULES.values()
               if f"**{rule.id} {rule.title}.**" not in text]
    assert not missing, f"rules of harness/contract/rules.py not defined in {CONTRACT}: {missing}"


def test_docs_contract_defines_no_rule_the_registry_lacks() -> None:
    defined = re.findall(r"^- \*\*([A-Z][0-9]+) ", CONTRACT.read_text(encoding="utf-8"),
                         flags=re.MULTILINE)
    assert len(defined) == len(set(defined)), f"a rule is defined twice: {sorted(defined)}"
    assert set(defined) == set(RULES)
