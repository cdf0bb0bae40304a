"""Metadata schema versions: what this reader accepts, and the upgrade path (docs/metadata.md).

Policy: the same major version is accepted; a newer minor is read with a warning (fields added
since are kept but not checked); a newer major is refused; metadata without ``schema_version``
(the reference writer's older files) is read as the oldest version, ``1.0.0``. ``migrate``
upgrades older metadata to :data:`CURRENT` through :data:`UPGRADES`, one step at a time::

    >>> version_status({"schema_version": "1.4.0"}).status
    'newer-minor'
    >>> version_status({}).version
    '1.0.0'
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..base.echo import shown

CURRENT = "1.0.0"
#: What a file without ``schema_version`` is read as.
OLDEST = "1.0.0"
#: ``{from_version: (to_version, step)}``; each step returns upgraded metadata. Empty while
#: 1.0.0 is both the oldest and the current version; a 1.1 adds ``"1.0.0": ("1.1.0", ...)``.
UPGRADES: dict[str, tuple[str, Callable[[dict], dict]]] = {}
_PATTERN = re.compile(r"^(\d+)\.(\d+)(?:\.(\d+))?$")


@dataclass(frozen=True)
class VersionStatus:
    """``status``: current, older, unversioned, newer-minor, newer-major or invalid."""

    version: str
    status: str
    message: str | None = None

    @property
    def readable(self) -> bool:
        return self.status not in ("newer-major", "invalid")


def parse_version(text: Any) -> tuple[int, int, int] | None:
    """``"1.2"`` -> ``(1, 2, 0)``; ``None`` when not ``MAJOR.MINOR[.PATCH]``."""
    match = _PATTERN.match(text) if isinstance(text, str) else None
    if match is None:
        return None
    return int(match[1]), int(match[2]), int(match[3] or 0)


def version_status(metadata: Mapping | None, current: str = CURRENT) -> VersionStatus:
    """How this reader treats ``metadata``'s ``schema_version``."""
    raw = metadata.get("schema_version") if isinstance(metadata, Mapping) else None
    if raw is None:
        return VersionStatus(OLDEST, "unversioned")
    parsed, mine = parse_version(raw), parse_version(current)
    if parsed is None:
        return VersionStatus(str(raw), "invalid",
                             f"schema_version {shown(raw)} is not MAJOR.MINOR[.PATCH]")
    if parsed[0] > mine[0]:
        return VersionStatus(raw, "newer-major", (
            f"schema_version {raw} is a newer major version than this reader supports "
            f"({mine[0]}.x, current {current}): its layout may differ; upgrade "
            "pytest-npzcontract to read it"))
    if parsed[0] == mine[0] and parsed[1] > mine[1]:
        return VersionStatus(raw, "newer-minor", (
            f"schema_version {raw} is newer than this reader's {current}: read as "
            f"{mine[0]}.{mine[1]}; fields added since are kept but not checked"))
    if parsed < mine:
        return VersionStatus(raw, "older")
    return VersionStatus(raw, "current")


def upgrade_metadata(metadata: Mapping, current: str = CURRENT) -> tuple[dict, list[str]]:
    """Metadata upgraded to ``current`` and the steps taken (``["none -> 1.0.0"]``); the
    input is not changed. Raises ``ValueError`` for a newer major or an invalid version."""
    status = version_status(metadata, current)
    if not status.readable:
        raise ValueError(status.message)
    result = copy.deepcopy(dict(metadata))
    if status.status in ("current", "newer-minor"):
        return result, []
    steps, version = [], status.version
    if status.status == "unversioned":
        steps.append(f"none -> {version}")
    while version in UPGRADES and parse_version(version) < parse_version(current):
        target, step = UPGRADES[version]
        result = step(result)
        steps.append(f"{version} -> {target}")
        version = target
    if parse_version(version) < parse_version(current):
        # patch-level or unlisted older versions carry no layout change: relabel them
        steps.append(f"{version} -> {current}")
        version = current
    result["schema_version"] = version
    return result, steps
