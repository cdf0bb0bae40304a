"""JSON lint reports read back as one run: what ``npzcontract report PART.json...`` renders.

Each part is the ``--format json`` document of one ``lint`` run (a ``--shard K/N`` of a CI matrix
or a Slurm job array, or any run over other files). The parts must agree on everything that
decides a verdict (the tool version and the settings; only how a run executed may differ: jobs
and the cache) and must not share a file; the combined run lists the files in the order one
``lint`` of their common tree walks them (a directory's files, then its subdirectories, names
sorted; URLs last, in the order given), so the shards of a run combine into that run's report::

    run = combine([read_part("shard1.json"), read_part("shard2.json")])
    print(RENDERERS["sarif"](run)); sys.exit(run.exit_code)
"""

from __future__ import annotations

import heapq
import json
import os
from dataclasses import dataclass
from typing import Any

from ..base.report import SEVERITIES, Finding, Report
from .lintrun import LintRun, Skipped

__all__ = ["EXECUTION_SETTINGS", "Part", "PartError", "combine", "read_part"]

#: Settings that say how a run executed, never what it found: parts may differ in these.
EXECUTION_SETTINGS = frozenset({"jobs", "cache", "cache_dir", "cache_strategy"})
_MAX_PART = 1 << 30


class PartError(ValueError):
    """A part that cannot be read, or parts that cannot be combined; the message says why."""


@dataclass
class Part:
    """One JSON report: its name (for messages), the tool version and settings, the reports
    (findings regrouped by file), skipped paths, cache hits and exit status."""

    name: str
    version: str
    settings: dict[str, Any]
    reports: list[Report]
    skipped: list[Skipped]
    cached: int
    exit_code: int


def read_part(path: str) -> Part:
    """Parse one ``lint --format json`` document; :class:`PartError` names what is wrong."""
    try:
        if os.path.getsize(path) > _MAX_PART:
            raise PartError(f"{path}: larger than 1 GiB; not a lint report")
        with open(path, encoding="utf-8") as fh:
            document = json.load(fh)
    except OSError as exc:
        raise PartError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except (ValueError, RecursionError) as exc:
        raise PartError(f"{path}: not JSON ({str(exc)[:120]})") from None
    try:
        return _part(path, document)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        if isinstance(exc, PartError):
            raise
        raise PartError(f"{path}: not an npzcontract lint JSON report "
                        f"({type(exc).__name__}: {str(exc)[:120]})") from None


def _part(name: str, document: Any) -> Part:
    from .render import JSON_VERSION

    if not isinstance(document, dict) or document.get("tool", {}).get("name") != "npzcontract":
        raise PartError(f"{name}: not an npzcontract lint JSON report (lint --format json)")
    if document.get("version") != JSON_VERSION:
        raise PartError(f"{name}: report format version {document.get('version')!r}, "
                        f"expected {JSON_VERSION}")
    findings = [Finding(**item) for item in document["findings"]]
    reports, at = [], 0
    for entry in document["files"]:
        counts = entry["counts"]
        mine = findings[at: at + sum(int(counts[s]) for s in SEVERITIES)]
        at += len(mine)
        report = Report(entry["file"], mine, metadata_encoding=entry["metadata_encoding"],
                        profile=entry["profile"], transfer=entry.get("transfer"))
        if report.counts() != {s: counts[s] for s in SEVERITIES} or report.ok != entry["ok"]:
            raise PartError(f"{name}: findings do not match the counts of {entry['file']!r} "
                            f"(edited or truncated?)")
        reports.append(report)
    if at != len(findings):
        raise PartError(f"{name}: {len(findings) - at} finding(s) belong to no file "
                        f"(edited or truncated?)")
    skipped = [Skipped(item["path"], item["reason"]) for item in document["skipped"]]
    summary = document["summary"]
    return Part(name, str(document["tool"]["version"]), dict(document["settings"]), reports,
                skipped, int(summary["cached"]), int(summary["exit_code"]))


def combine(parts: list[Part]) -> LintRun:
    """One run from ``parts``; :class:`PartError` when they overlap or disagree."""
    from .._version import version

    first = parts[0]
    for part in parts:
        if part.version != version:
            raise PartError(f"{part.name} was written by npzcontract {part.version}, this is "
                            f"{version}: combine parts with the version that wrote them")
        difference = _difference(first.settings, part.settings)
        if difference:
            raise PartError(f"{first.name} and {part.name} were linted with different "
                            f"settings ({difference}): rerun them with the same configuration")
    owner: dict[str, str] = {}
    for part in parts:
        for report in part.reports:
            key = report.file or ""
            if key in owner:
                raise PartError(f"{owner[key]} and {part.name} both checked {key}: parts must "
                                f"cover disjoint files (one shard each)")
            owner[key] = part.name
    # each part keeps its own order (a shard's is a subsequence of the whole run's)
    reports = list(heapq.merge(*(p.reports for p in parts),
                               key=lambda r: walk_order(r.file or "")))
    skipped: list[Skipped] = []
    for part in parts:
        skipped += [s for s in part.skipped if s not in skipped]
    notes: list[tuple[str, str]] = []
    if not reports:
        failed = any(part.exit_code for part in parts)
        notes.append(("error" if failed else "warning", "no .npz file was checked in any part"))
    return LintRun(reports, skipped, first.settings, cached=sum(p.cached for p in parts),
                   notes=notes)


def walk_order(path: str) -> tuple:
    """The position ``lint`` gives ``path`` when walking a tree: a directory's files before
    its subdirectories, names sorted; URLs after every local path."""
    from ..io.remote import is_url

    if is_url(path):
        return (1,)
    parts = path.split(os.sep) if os.sep in path else path.split("/")
    return (0, [(1, name) for name in parts[:-1]] + [(0, parts[-1])])


def _difference(ours: dict[str, Any], theirs: dict[str, Any]) -> str:
    """The first setting (other than execution ones) that differs, as ``name: a vs b``."""
    for name in sorted(set(ours) | set(theirs)):
        if name in EXECUTION_SETTINGS:
            continue
        if ours.get(name) != theirs.get(name):
            return f"{name}: {ours.get(name)!r} vs {theirs.get(name)!r}"
    return ""
