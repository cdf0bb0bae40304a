"""A lint run as plain data (:class:`LintRun`: one report per file, the skipped paths, the
settings) and the text pieces every renderer shares: the summary line, the profile lines.

Renderers (:mod:`.render`, :mod:`.sarif`, :mod:`.junit`, :mod:`.markdown`) import this
module, never each other.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ..base.report import SEVERITIES, Finding, Report, one_line
from ..tools.walk import Skipped

__all__ = ["LintRun", "Skipped", "profile_lines", "summary_line"]


@dataclass
class LintRun:
    """Everything one ``lint`` invocation found; ``settings`` is echoed in the JSON output.

    Text and GitHub output list info findings only with ``show_info`` (JSON always has them).
    """

    reports: list[Report]
    skipped: list[Skipped] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)
    show_info: bool = False
    #: How many of ``reports`` came from the lint cache instead of being checked.
    cached: int = 0
    #: Run-level ``(level, message)`` notes, e.g. no file matched; an "error" one fails the run.
    notes: list[tuple[str, str]] = field(default_factory=list)
    #: The baseline in use (its path), if any, and its entries no finding matched.
    baseline: str | None = None
    stale: list[Any] = field(default_factory=list)
    #: Whether ``per-file-ignores`` are configured (the summary then counts ignored findings).
    ignores: bool = False
    #: Text output: findings only (``-q``); ANSI colour for severities and rule ids.
    quiet: bool = False
    color: bool = False

    @property
    def findings(self) -> list[Finding]:
        return [f for report in self.reports for f in report.findings]

    @property
    def baselined(self) -> list[Finding]:
        """Findings the baseline knows: reported, never failing."""
        return [f for report in self.reports for f in report.baselined]

    @property
    def ignored(self) -> list[Finding]:
        """Findings ``per-file-ignores`` dropped: only counted."""
        return [f for report in self.reports for f in report.ignored]

    @property
    def shown(self) -> list[Finding]:
        """The findings text and GitHub output list."""
        return [f for f in self.findings if self.show_info or f.severity != "info"]

    @property
    def exit_code(self) -> int:
        """0 when no finding (and no run-level note) is an error, else 1."""
        failed = any(level == "error" for level, _ in self.notes)
        return 0 if all(report.ok for report in self.reports) and not failed else 1

    def summary(self) -> dict[str, Any]:
        counts = Counter(f.severity for f in self.findings)
        return {
            "files": len(self.reports),
            "passed": sum(report.ok for report in self.reports),
            "failed": sum(not report.ok for report in self.reports),
            "skipped": len(self.skipped),
            "cached": self.cached,
            **self._transfer(),
            **{_plural(s): counts.get(s, 0) for s in SEVERITIES},
            "rules": dict(sorted(Counter(f.rule for f in self.findings).items())),
            **({"baselined": len(self.baselined), "stale_baseline": len(self.stale)}
               if self.baseline is not None else {}),
            **({"ignored": len(self.ignored)} if self.ignores or self.ignored else {}),
            "exit_code": self.exit_code,
        }


    def _transfer(self) -> dict[str, int]:
        remote = [r.transfer for r in self.reports if r.transfer is not None]
        if not remote:
            return {}
        return {"remote_files": len(remote), "bytes_transferred": sum(t["bytes"] for t in remote)}


def profile_lines(run: LintRun, *, cap: int = 5) -> list[str]:
    """Which profile each file was checked against: one line when all agree
    (``checked against profile canonical``), else one line per profile naming its files."""
    by_profile: dict[str, list[str]] = {}
    for report in run.reports:
        by_profile.setdefault(report.profile or "canonical", []).append(report.file or "<data>")
    if len(by_profile) <= 1:
        return [f"checked against profile {name}" for name in by_profile]
    lines = []
    for name, files in by_profile.items():
        shown = ", ".join(one_line(f) for f in files[:cap])
        more = f", ... ({len(files) - cap} more)" if len(files) > cap else ""
        lines.append(f"checked against profile {name}: {_count(len(files), 'file')} "
                     f"({shown}{more})")
    return lines


def summary_line(run: LintRun) -> str:
    """``3 files checked: 2 passed, 1 failed; 2 errors, 1 warning, 0 info``."""
    s = run.summary()
    text = (f"{_count(s['files'], 'file')} checked: {s['passed']} passed, {s['failed']} failed; "
            f"{_count(s['errors'], 'error')}, {_count(s['warnings'], 'warning')}, "
            f"{s['info']} info")
    if s["skipped"]:
        text += f"; {s['skipped']} skipped"
    if s["cached"]:
        text += f" ({s['cached']} from cache)"
    if "baselined" in s:
        text += f"; {s['baselined']} baselined"
        if s["stale_baseline"]:
            n = s["stale_baseline"]
            text += f", {n} stale baseline {'entry' if n == 1 else 'entries'}"
    if "ignored" in s:
        text += f"; {s['ignored']} ignored"
    if "remote_files" in s:
        text += (f"; {_count(s['remote_files'], 'remote file')}: "
                 f"{_human(s['bytes_transferred'])} transferred")
    return text


def _human(n: int) -> str:
    from ..io.archive import human_size

    return human_size(n)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _plural(severity: str) -> str:
    return "info" if severity == "info" else f"{severity}s"
