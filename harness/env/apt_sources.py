"""Read the Debian mirror from this machine's own apt configuration.

The repository must not name any package host: whoever runs the harness already has
apt configured for a mirror they can reach, so debootstrap uses that same mirror.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from harness.errors import BuildFailed

APT_DIR = Path("/etc/apt")


@dataclass(frozen=True)
class AptSource:
    """One `deb` entry: a mirror URI serving a suite."""

    uri: str
    suites: tuple[str, ...]


def _deb822_entries(text: str) -> list[AptSource]:
    """Parse the stanzas of a `.sources` file (deb822 format)."""
    entries: list[AptSource] = []
    for stanza in text.split("\n\n"):
        fields: dict[str, str] = {}
        for line in stanza.splitlines():
            if line.startswith("#") or ":" not in line:
                continue
            key, _, value = line.partition(":")
            fields[key.strip().lower()] = value.strip()
        if "deb" not in fields.get("types", "").split():
            continue
        suites = tuple(fields.get("suites", "").split())
        entries.extend(AptSource(uri, suites) for uri in fields.get("uris", "").split())
    return entries


def _one_line_entries(text: str) -> list[AptSource]:
    """Parse `deb [options] URI SUITE COMPONENTS...` lines of a `.list` file."""
    entries: list[AptSource] = []
    for raw in text.splitlines():
        words = raw.split("#", 1)[0].split()
        if not words or words[0] != "deb":
            continue
        words = words[1:]
        if words and words[0].startswith("["):
            while words and not words[0].endswith("]"):
                words = words[1:]
            words = words[1:]
        if len(words) >= 2:
            entries.append(AptSource(words[0], (words[1],)))
    return entries


def configured_sources(apt_dir: Path = APT_DIR) -> list[AptSource]:
    """Every `deb` source apt on this machine knows."""
    entries: list[AptSource] = []
    main_list = apt_dir / "sources.list"
    if main_list.is_file():
        entries += _one_line_entries(main_list.read_text(encoding="utf-8"))
    parts = apt_dir / "sources.list.d"
    if parts.is_dir():
        for path in sorted(parts.iterdir()):
            if path.suffix == ".sources":
                entries += _deb822_entries(path.read_text(encoding="utf-8"))
            elif path.suffix == ".list":
                entries += _one_line_entries(path.read_text(encoding="utf-8"))
    return entries


def mirror_for(suite: str, apt_dir: Path = APT_DIR) -> str:
    """The first configured mirror that serves `suite` itself (not -security/-updates)."""
    for source in configured_sources(apt_dir):
        if suite in source.suites:
            return source.uri
    raise BuildFailed(
        f"no apt source on this machine serves the Debian suite {suite!r}",
        f"add a `deb` entry for {suite} under {apt_dir}/sources.list.d, or build on Debian",
    )


def host_suite(os_release: Path = Path("/etc/os-release")) -> str:
    """The Debian codename of this machine, so the base image matches the host's glibc."""
    for line in os_release.read_text(encoding="utf-8").splitlines():
        if line.startswith("VERSION_CODENAME="):
            return line.split("=", 1)[1].strip().strip('"')
    raise BuildFailed(f"{os_release} names no VERSION_CODENAME", "build on a Debian host")
