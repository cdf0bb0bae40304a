"""Colour on a terminal: severities and rule ids in text output, as ruff colours its codes.

``--color auto`` (the default) colours when stdout is a terminal, unless ``NO_COLOR`` is set
(no-color.org) or ``FORCE_COLOR`` asks for colour anyway; ``always`` and ``never`` win over
both::

    >>> use_color("never")
    False
"""

from __future__ import annotations

import os
import sys
from typing import IO

import click

from ..base.report import Finding, one_line

CHOICES = ("auto", "always", "never")
SEVERITY_COLORS = {"error": "red", "warning": "yellow", "info": "blue"}


def use_color(choice: str, stream: IO[str] | None = None) -> bool:
    """Whether to colour output written to ``stream`` (stdout by default)."""
    if choice in ("always", "never"):
        return choice == "always"
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    stream = sys.stdout if stream is None else stream
    return bool(getattr(stream, "isatty", lambda: False)())


def finding_line(finding: Finding, *, color: bool = False, baselined: bool = False) -> str:
    """:meth:`Finding.line`, with the severity and the rule id coloured when ``color``;
    ``baselined`` findings say so after the rule id."""
    if not color and not baselined:
        return finding.line()
    where = one_line(finding.file or "<data>")
    key = f" [{one_line(finding.key)}]" if finding.key else ""
    severity = finding.severity
    rule = finding.rule + (" (baselined)" if baselined else "")
    if color:
        severity = click.style(severity, fg=SEVERITY_COLORS[severity], bold=True)
        rule = click.style(rule, fg="cyan" if not baselined else "bright_black")
    return f"{where}:{key} {severity} {rule}: {one_line(finding.message)}"
