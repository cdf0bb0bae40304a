"""``npzcontract lint --format markdown``: a short Markdown report, e.g. for a GitHub Actions
step summary (``>> "$GITHUB_STEP_SUMMARY"``): the summary line, a table of the files with
errors or warnings, and the fix per rule."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..base.report import one_line

if TYPE_CHECKING:
    from .lintrun import LintRun

#: Most findings listed; the summary line always counts them all.
MAX_ROWS = 200


def render_markdown(run: LintRun) -> str:
    """``### npzcontract: ✅/❌ <summary line>`` then a findings table and fix hints."""
    from ..contract.rules import fix_lines as _hints
    from .lintrun import summary_line

    mark = "✅" if run.exit_code == 0 else "❌"
    lines = [f"### npzcontract lint {mark}", "", summary_line(run)]
    shown = run.shown
    if shown:
        lines += ["", "| file | key | level | rule | message |", "|---|---|---|---|---|"]
        lines += [f"| {_cell(f.file or '<data>')} | {_cell(f.key or '')} | {f.severity} | "
                  f"`{f.rule}` | {_cell(f.message)} |" for f in shown[:MAX_ROWS]]
        if len(shown) > MAX_ROWS:
            lines.append(f"\n... and {len(shown) - MAX_ROWS} more findings")
    if run.skipped:
        lines += ["", "Skipped:", *(f"- `{_cell(s.path)}`: {_cell(s.reason)}"
                                    for s in run.skipped)]
    hints = _hints(shown)
    if hints:
        lines += ["", *(f"- {_cell(h)}" for h in hints)]
    return "\n".join(lines)


def _cell(text: str) -> str:
    """Text safe inside a table cell: one line, pipes and backticks escaped."""
    return one_line(text).replace("|", "\\|").replace("`", "\\`")
