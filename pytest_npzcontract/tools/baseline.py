"""Known findings that do not fail: the baseline file and ``per-file-ignores``.

Both are applied to reports after checking (and after the lint cache), so the cache and the
checker never depend on them. A baseline entry is keyed by file, rule and key, never by the
message or the file's bytes: a legacy file that changes but keeps the same finding stays
baselined, a new finding (or a new file) fails::

    baseline = Baseline.load("npzcontract-baseline.json")
    report = suppress(check_file("data/old.npz"), settings, baseline)
    report.ok, len(report.baselined)          # (True, 2): known findings only
    baseline.updated(reports).save()          # what --update-baseline does

The file is JSON, sorted so that diffs stay small; paths are relative to its directory::

    {"version": 1, "tool": "npzcontract", "findings": [
      {"file": "data/old.npz", "rule": "legacy-key", "key": "diff3d", "count": 1,
       "message": "legacy key 'diff3d' (...)"}]}
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from ..base.report import Report

if TYPE_CHECKING:
    from ..contract.config import Settings

BASELINE_VERSION = 1
#: The file ``--update-baseline`` writes when neither ``--baseline`` nor ``baseline =`` names one.
DEFAULT_BASELINE = "npzcontract-baseline.json"
#: Severities recorded by ``--update-baseline`` (info findings never fail, so need no entry).
RECORDED = ("error", "warning")

EntryKey = tuple[str, str, str]  # (file, rule, key or "")


class BaselineError(ValueError):
    """The baseline file cannot be read or is not a baseline; the message names it."""


@dataclass(frozen=True)
class StaleEntry:
    """A baseline entry no finding matched: the finding was fixed, or the file is gone."""

    file: str
    rule: str
    key: str | None
    count: int
    reason: str

    def line(self) -> str:
        from ..base.report import one_line

        key = f" [{one_line(self.key)}]" if self.key else ""
        times = f" ({self.count}x)" if self.count > 1 else ""
        return (f"{one_line(self.file)}:{key} stale baseline entry {self.rule}{times}: "
                f"{self.reason} (--update-baseline drops it)")

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclass
class Baseline:
    """The findings known when the baseline was written, by (file, rule, key)."""

    path: Path
    counts: Counter = field(default_factory=Counter)
    messages: dict[EntryKey, str] = field(default_factory=dict)
    #: Entries left unmatched, per file checked so far (what :meth:`stale` reports).
    _left: dict[str, Counter] = field(default_factory=dict, repr=False)

    @classmethod
    def load(cls, path: str | os.PathLike, *, missing_ok: bool = False) -> Baseline:
        """Read a baseline; raises :class:`BaselineError` (a missing file only unless
        ``missing_ok``, as for ``--update-baseline``, which creates it)."""
        path = Path(os.path.abspath(path))
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            if missing_ok:
                return cls(path)
            raise BaselineError(f"{path}: baseline file not found (--update-baseline "
                                "writes it)") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise BaselineError(f"{path}: cannot read the baseline ({exc})") from None
        try:
            document = json.loads(text)
        except ValueError as exc:
            raise BaselineError(f"{path}: not a baseline: invalid JSON ({exc})") from None
        return cls(path, *_entries(document, path))

    def name(self, file: str | None) -> str:
        """How an entry names ``file``: POSIX, relative to the baseline's directory, so the
        baseline holds in any checkout (URLs stay as they are)."""
        if not file or "://" in file:
            return file or "<data>"
        return PurePosixPath(Path(os.path.relpath(os.path.abspath(file),
                                                  self.path.parent))).as_posix()

    def apply(self, report: Report) -> Report:
        """``report`` with the findings this baseline records moved to ``baselined``."""
        name = self.name(report.file)
        left = Counter({k: n for k, n in self.counts.items() if k[0] == name})
        kept, known = [], list(report.baselined)
        for finding in report.findings:
            entry = (name, finding.rule, finding.key or "")
            if left[entry] > 0:
                left[entry] -= 1
                known.append(finding)
            else:
                kept.append(finding)
        self._left[name] = +left
        return dataclasses.replace(report, findings=kept, baselined=known)

    def stale(self) -> list[StaleEntry]:
        """Entries of the files checked that matched nothing, and entries of files that no
        longer exist. Entries of files not checked in this run (pre-commit checks only the
        staged ones) are not stale."""
        out = [StaleEntry(file, rule, key or None, n, "no such finding any more")
               for name, left in self._left.items() for (file, rule, key), n in left.items()]
        for (file, rule, key), n in self.counts.items():
            if file not in self._left and "://" not in file and not (
                    self.path.parent / file).exists():
                out.append(StaleEntry(file, rule, key or None, n, "the file no longer exists"))
        return sorted(out, key=lambda e: (e.file, e.rule, e.key or ""))

    def updated(self, reports: Iterable[Report]) -> Baseline:
        """A baseline recording the errors and warnings of ``reports`` (their current
        findings and those already baselined); entries of other files are kept unless the
        file no longer exists."""
        reports = list(reports)
        checked = {self.name(r.file) for r in reports}
        new = Baseline(self.path)
        for (file, rule, key), n in self.counts.items():
            if file not in checked and ("://" in file or (self.path.parent / file).exists()):
                new.counts[(file, rule, key)] = n
                new.messages[(file, rule, key)] = self.messages.get((file, rule, key), "")
        for report in reports:
            name = self.name(report.file)
            for finding in [*report.findings, *report.baselined]:
                if finding.severity in RECORDED:
                    entry = (name, finding.rule, finding.key or "")
                    new.counts[entry] += 1
                    new.messages.setdefault(entry, finding.message)
        return new

    def to_dict(self) -> dict:
        return {"version": BASELINE_VERSION, "tool": "npzcontract",
                "comment": "Known findings that do not fail `npzcontract lint`; regenerate "
                           "with --update-baseline.",
                "findings": [{"file": f, "rule": r, "key": k or None, "count": n,
                              "message": self.messages.get((f, r, k), "")}
                             for (f, r, k), n in sorted(self.counts.items())]}

    def save(self) -> None:
        """Write the file atomically, through the one write helper (:mod:`..io.atomic`)."""
        from ..io.atomic import atomic_write

        text = json.dumps(self.to_dict(), indent=2) + "\n"
        with atomic_write(self.path, display=os.fspath(self.path)) as staged:
            staged.file.write(text.encode("utf-8"))

    def __len__(self) -> int:
        return sum(self.counts.values())


def _entries(document: object, path: Path) -> tuple[Counter, dict[EntryKey, str]]:
    if not isinstance(document, dict) or document.get("tool") != "npzcontract":
        raise BaselineError(f"{path}: not an npzcontract baseline (no \"tool\": "
                            "\"npzcontract\")")
    if document.get("version") != BASELINE_VERSION:
        raise BaselineError(f"{path}: baseline version {document.get('version')!r} is not "
                            f"supported (expected {BASELINE_VERSION})")
    findings = document.get("findings")
    if not isinstance(findings, list):
        raise BaselineError(f"{path}: \"findings\" must be a list")
    counts: Counter = Counter()
    messages: dict[EntryKey, str] = {}
    for index, item in enumerate(findings):
        if not (isinstance(item, dict) and isinstance(item.get("file"), str)
                and isinstance(item.get("rule"), str)
                and isinstance(item.get("key"), (str, type(None)))
                and isinstance(item.get("count", 1), int) and item.get("count", 1) > 0):
            raise BaselineError(f"{path}: finding {index} needs \"file\" and \"rule\" "
                                "strings, \"key\" a string or null, \"count\" >= 1")
        entry = (item["file"], item["rule"], item["key"] or "")
        counts[entry] += item.get("count", 1)
        messages[entry] = str(item.get("message", ""))
    return counts, messages


def ignore(report: Report, rules: set[str]) -> Report:
    """``report`` with the findings of ``rules`` (from ``per-file-ignores``) moved to
    ``ignored``."""
    if not rules:
        return report
    kept = [f for f in report.findings if f.rule not in rules]
    dropped = [f for f in report.findings if f.rule in rules]
    return dataclasses.replace(report, findings=kept, ignored=[*report.ignored, *dropped])


def suppress(report: Report, settings: Settings, baseline: Baseline | None) -> Report:
    """Per-file ignores, then the baseline: the one place both are applied to a report."""
    path = report.file
    if path is not None and "://" not in path:
        report = ignore(report, settings.ignored_rules(path))
    return baseline.apply(report) if baseline is not None else report


def open_baseline(settings: Settings, *, missing_ok: bool = False) -> Baseline | None:
    """The baseline the settings name (``None`` when none is configured)."""
    path = settings.baseline_path()
    return Baseline.load(path, missing_ok=missing_ok) if path is not None else None


@dataclass
class Known:
    """What applying ignores and the baseline to a run gave: the reports, the baseline used
    (``None``: none), its stale entries, and for ``--update-baseline`` the entries written."""

    reports: list[Report]
    baseline: Baseline | None = None
    stale: list[StaleEntry] = field(default_factory=list)
    written: int | None = None


def apply_known(reports: Iterable[Report], settings: Settings, *, update: bool = False
                ) -> Known:
    """Apply ``per-file-ignores`` and the configured baseline to a run's reports; with
    ``update``, first rewrite the baseline (``DEFAULT_BASELINE`` beside the configuration
    when none is named) from the run's findings. Raises :class:`BaselineError`."""
    reports = [suppress(r, settings, None) for r in reports]
    path = settings.baseline_path()
    if update:
        path = path or settings.root / DEFAULT_BASELINE
        fresh = Baseline.load(path, missing_ok=True).updated(reports)
        fresh.save()
        baseline = Baseline.load(path)
        return Known([baseline.apply(r) for r in reports], baseline, [], len(fresh))
    if path is None:
        return Known(reports)
    baseline = Baseline.load(path)
    applied = [baseline.apply(r) for r in reports]
    return Known(applied, baseline, baseline.stale())
