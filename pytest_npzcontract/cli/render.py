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
from collections.abc import Callable
from typing import Any

from ..base.report import one_line
from ..contract.rules import RULES, fix_lines
from .lintrun import LintRun, Skipped, profile_lines, summary_line

__all__ = ["RENDERERS", "LintRun", "Skipped", "profile_lines", "summary_line"]

JSON_VERSION = 1
_GITHUB_LEVEL = {"error": "error", "warning": "warning", "info": "notice"}


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
    hints = fix_lines(run.shown)
    if hints:
        lines += ["", *hints]
    if lines:
        lines.append("")
    lines += profile_lines(run)
    lines.append(summary_line(run))
    return "\n".join(lines)


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
    from .sarif import render_sarif as render

    return render(run)


def render_junit(run: LintRun) -> str:  # imported when used: xml.etree is slow to import
    from .junit import render_junit as render

    return render(run)


def render_markdown(run: LintRun) -> str:
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


