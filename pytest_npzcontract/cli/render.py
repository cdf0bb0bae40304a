"""Renderers for ``npzcontract lint`` results: text, JSON, GitHub workflow annotations, SARIF
and JUnit XML (the last two in their own modules).

A lint run is plain data (:class:`LintRun`: one :class:`Report` per file plus the paths that
were skipped); each renderer turns the same run into a string::

    run = LintRun(reports=[check_file("train.npz")])
    print(RENDERERS["github"](run))
    sys.exit(run.exit_code)

The JSON document (``"version": 1``) is described in ``docs/cli.md``.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..base.report import SEVERITIES, Finding, Report, one_line
from ..contract.rules import RULES
from ..tools.walk import Skipped

__all__ = ["RENDERERS", "LintRun", "Skipped", "summary_line"]

JSON_VERSION = 1
_GITHUB_LEVEL = {"error": "error", "warning": "warning", "info": "notice"}


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


def render_text(run: LintRun) -> str:
    """One line per finding and per skipped path, a fix hint per rule seen, the profile(s)
    the files were checked against, then a summary.

    ``data/a.npz: [probeGuess] error missing-key: required key 'probeGuess' is absent``
    """
    from .style import finding_line

    lines = [finding_line(f, color=run.color) for f in run.shown]
    if run.show_info:
        lines += [finding_line(f, color=run.color, baselined=True) for f in run.baselined]
    lines += [f"{one_line(s.path)}: skipped: {one_line(s.reason)}" for s in run.skipped]
    lines += [entry.line() for entry in run.stale]
    if run.quiet:
        return "\n".join(lines)
    hints = _hints(run.shown)
    if hints:
        lines += ["", *hints]
    if lines:
        lines.append("")
    lines += profile_lines(run)
    lines.append(summary_line(run))
    return "\n".join(lines)


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
            text += f", {_count(s['stale_baseline'], 'stale baseline entry')}"
    if "ignored" in s:
        text += f"; {s['ignored']} ignored"
    if "remote_files" in s:
        text += (f"; {_count(s['remote_files'], 'remote file')}: "
                 f"{_human(s['bytes_transferred'])} transferred")
    return text


def render_json(run: LintRun) -> str:
    """The versioned JSON document: ``version``, ``tool``, ``settings``, ``files``,
    ``findings``, ``skipped`` and ``summary``."""
    from .._version import version

    files = []
    for report in run.reports:
        entry = report.to_dict()
        entry.pop("findings")
        files.append(entry)
    document = {
        "version": JSON_VERSION,
        "tool": {"name": "npzcontract", "version": version},
        "settings": run.settings,
        "files": files,
        "findings": _json_findings(run),
        "skipped": [s.to_dict() for s in run.skipped],
        **({"stale_baseline": [e.to_dict() for e in run.stale]}
           if run.baseline is not None else {}),
        **({"ignored": [f.to_dict() for f in run.ignored]} if run.ignores or run.ignored
           else {}),
        "summary": run.summary(),
    }
    return json.dumps(document, indent=2)


def _json_findings(run: LintRun) -> list[dict[str, Any]]:
    """Every finding; with a baseline, each carries ``baseline_state``: ``new`` (fails as
    usual) or ``unchanged`` (recorded in the baseline: does not fail), as SARIF's."""
    if run.baseline is None:
        return [f.to_dict() for f in run.findings]
    return ([{**f.to_dict(), "baseline_state": "new"} for f in run.findings]
            + [{**f.to_dict(), "baseline_state": "unchanged"} for f in run.baselined])


def render_github(run: LintRun) -> str:
    """GitHub Actions workflow commands: ``::error file=a.npz,title=npzcontract missing-key::...``
    (info findings become notices), then the summary line as plain log text."""
    lines = []
    for f in run.shown:
        message = f"[{f.key}] {f.message}" if f.key else f.message
        hint = f.hint or (RULES[f.rule].fix if f.rule in RULES else "")
        if hint:
            message += f"\nfix: {hint}"
        lines.append(_command(_GITHUB_LEVEL[f.severity], message,
                              file=_repo_path(f.file), title=f"npzcontract {f.rule}"))
    lines += [_command("notice", s.reason, file=_repo_path(s.path), title="npzcontract skipped")
              for s in run.skipped]
    lines += profile_lines(run)
    lines += [_command(level, message, title="npzcontract") for level, message in run.notes]
    lines.append(summary_line(run))
    return "\n".join(lines)


def render_sarif(run: LintRun) -> str:
    """SARIF 2.1.0 for GitHub code scanning (see :mod:`.sarif`)."""
    from .sarif import render_sarif as render

    return render(run)


def render_junit(run: LintRun) -> str:
    """JUnit XML, one test case per file (see :mod:`.junit`)."""
    from .junit import render_junit as render

    return render(run)


def render_markdown(run: LintRun) -> str:
    """A Markdown report for step summaries (see :mod:`.markdown`)."""
    from .markdown import render_markdown as render

    return render(run)


RENDERERS: dict[str, Callable[[LintRun], str]] = {
    "text": render_text, "json": render_json, "github": render_github,
    "sarif": render_sarif, "junit": render_junit, "markdown": render_markdown}


def escape_data(text: str) -> str:
    """Escape a workflow-command message (``%``, CR, LF)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a workflow-command property value (``%``, CR, LF, ``:`` and ``,``)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _command(level: str, message: str, **properties: str | None) -> str:
    props = ",".join(f"{name}={escape_property(value)}" for name, value in properties.items()
                     if value)
    return f"::{level} {props}::{escape_data(message)}" if props else \
        f"::{level}::{escape_data(message)}"


def _repo_path(path: str | None) -> str | None:
    """Annotations need paths relative to the workspace: relativize absolute paths under cwd."""
    if not path or not os.path.isabs(path):
        return path
    relative = os.path.relpath(path)
    return path if relative.startswith(os.pardir) else relative


def _hints(findings: list[Finding]) -> list[str]:
    """A fix line for every error and warning, each distinct line once: the finding's own
    hint, else its rule's general fix."""
    lines: dict[str, None] = {}
    for f in findings:
        if f.severity in ("error", "warning"):
            hint = f.hint or (RULES[f.rule].fix if f.rule in RULES else "")
            if hint:
                lines[f"fix {f.rule}: {one_line(hint)}"] = None
    return list(lines)


def _human(n: int) -> str:
    from ..io.archive import human_size

    return human_size(n)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _plural(severity: str) -> str:
    return "info" if severity == "info" else f"{severity}s"
