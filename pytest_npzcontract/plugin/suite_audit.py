"""``pytest --npz-audit``: the write audit on every test, and the session's table of tools.

Registered only when something asks for an audit: ``--npz-audit`` (or ini ``npz_audit``),
``--npz-audit-report``, or a test requesting the ``npz_write_audit`` fixture. Each audited test
body runs under a :class:`~.audit.WriteAudit`; afterwards every output it judged is summarised
on the test's report (``report.npz_audit``, so pytest-xdist brings it to the controller), a
violation fails the test (or, with ``--npz-audit=warn``, is an ``NpzContractWarning``), and the
session ends with one table of the tools seen: outputs written, violations by rule.

Not audited: tests marked ``npz_audit_skip`` (with file-name globs, only those files), tests
that failed, skipped or xfailed in their body, what fixtures write, and items that are not
test functions (``--npz-lint`` datasets, doctests).
"""

from __future__ import annotations

import fnmatch
import json
import warnings
from collections import Counter
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

from ..base.errors import NpzContractWarning
from .audit import TEST_PROCESS, Verdict, WriteAudit
from .audit_children import ChildLog

SKIP_MARKER = "npz_audit_skip"
_RESULT = pytest.StashKey[dict]()
REPORT_VERSION = 1


class AuditPlugin:
    """The hooks of the audit; ``mode`` is ``"fail"``, ``"warn"`` or ``None`` (only the tests
    that request ``npz_write_audit`` are audited)."""

    def __init__(self, config: pytest.Config, mode: str | None, fixture_key: Any) -> None:
        self.config = config
        self.mode = mode
        self.fixture_key = fixture_key
        self.results: list[dict] = []
        self._log: ChildLog | None = None  # --npz-audit: one log (and environment) per session

    def shared_log(self) -> ChildLog:
        if self._log is None:
            self._log = ChildLog()
            self._log.activate()
        return self._log

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Generator[None, object, object]:
        from . import item_mode

        audit = item.stash.get(self.fixture_key, None)
        fixture = audit is not None
        marker = item.get_closest_marker(SKIP_MARKER)
        if audit is None:
            if self.mode is None or (marker is not None and not marker.args) or \
                    not isinstance(item, pytest.Function):  # --npz-lint items, doctests
                return (yield)
            audit = WriteAudit(item_mode(item))
        tmp_path = getattr(item, "funcargs", {}).get("tmp_path")
        if tmp_path is not None:
            audit.watch(tmp_path)
        audit.start(self.shared_log() if self.mode is not None else None)
        try:
            result = yield
        finally:
            audit.stop()
        verdicts = [v for v in audit.verdicts() if not _exempt(v.path, marker)]
        item.stash[_RESULT] = _summary(item, audit, verdicts, fixture)
        bad = [v for v in verdicts if v.findings]
        if bad and (fixture or self.mode == "fail"):
            name = "npz_write_audit" if fixture else "npz-audit"
            pytest.fail(f"{name}: {len(bad)} NPZ file(s) written by this test break the data "
                        "contract:\n" + "\n".join(f"  {line}" for v in bad for line in v.lines()),
                        pytrace=False)
        lineno = (item.location[1] or 0) + 1  # shown at the test's own line
        for verdict in bad:
            for line in verdict.lines():
                warnings.warn_explicit(f"npz-audit: {line}", NpzContractWarning,
                                       str(item.path), lineno)
        return result

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo
                                  ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        if call.when == "call" and _RESULT in item.stash:
            report.npz_audit = item.stash[_RESULT]
        return report

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        summary = getattr(report, "npz_audit", None)
        if isinstance(summary, dict) and not hasattr(self.config, "workerinput"):
            self.results.append(summary)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if hasattr(self.config, "workerinput") or self.mode is None:
            return
        terminalreporter.write_sep("=", "npz-audit")
        for line in table_lines(self.results):
            terminalreporter.write_line(line)

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        target = self.config.getoption("npz_audit_report", default=None)
        if not target or hasattr(self.config, "workerinput"):
            return
        from ..io.atomic import atomic_write

        path = Path(target)
        path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(report_json(self.results, self.mode), indent=2) + "\n"
        with atomic_write(path, display=str(target)) as staged:
            staged.file.write(text.encode("utf-8"))


def _exempt(path: Path, marker: pytest.Mark | None) -> bool:
    if marker is None or not marker.args:
        return False
    return any(fnmatch.fnmatch(path.name, str(p)) or fnmatch.fnmatch(str(path), str(p))
               for p in marker.args)


def _summary(item: pytest.Item, audit: WriteAudit, verdicts: list[Verdict], fixture: bool
             ) -> dict:
    return {
        "test": item.nodeid,
        "fixture": fixture,
        "mode": str(audit.mode),
        "children": audit.children,
        "prepared": [str(p) for p in audit.prepared],
        "outputs": [{"file": str(v.path), "writer": v.writer, "tool": v.tool,
                     "violations": [{"rule": f.rule, "key": f.key, "message": f.message,
                                     "fix": f.hint} for f in v.findings]}
                    for v in verdicts],
    }


def _tools(results: list[dict]) -> dict[str, dict[str, Any]]:
    tools: dict[str, dict[str, Any]] = {}
    for result in results:
        for output in result["outputs"]:
            name = output["tool"] if output["tool"] != "(no record)" else \
                f"(no record, {output['writer'] or TEST_PROCESS})"
            entry = tools.setdefault(name, {"outputs": 0, "bad": 0, "rules": Counter(),
                                            "tests": set()})
            entry["outputs"] += 1
            entry["bad"] += bool(output["violations"])
            entry["rules"].update(v["rule"] for v in output["violations"])
            entry["tests"].add(result["test"])
    return tools


def table_lines(results: list[dict]) -> list[str]:
    """The end-of-session table: one line per tool, then totals."""
    outputs = sum(len(r["outputs"]) for r in results)
    bad_tests = sum(any(o["violations"] for o in r["outputs"]) for r in results)
    prepared = sum(len(r["prepared"]) for r in results)
    lines = [f"{len(results)} test(s) audited, {outputs} NPZ output(s) judged, "
             f"{bad_tests} test(s) with violations; {prepared} file(s) written before any "
             "NPZ was read, taken as prepared inputs"]
    tools = _tools(results)
    if not tools:
        return lines
    width = max(24, *(len(n) for n in tools))
    lines.append(f"{'tool':<{width}}  outputs  violating  violations by rule")
    for name in sorted(tools):
        entry = tools[name]
        rules = ", ".join(f"{rule} {n}" for rule, n in sorted(entry["rules"].items())) or "-"
        lines.append(f"{name:<{width}}  {entry['outputs']:>7}  {entry['bad']:>9}  {rules}")
    return lines


def report_json(results: list[dict], mode: str | None) -> dict:
    """``--npz-audit-report``: the table as data, then every audited test."""
    tools = _tools(results)
    return {
        "version": REPORT_VERSION,
        "mode": mode or "fixture",
        "tests_audited": len(results),
        "outputs": sum(len(r["outputs"]) for r in results),
        "tools": [{"tool": name, "outputs": e["outputs"], "violating": e["bad"],
                   "violations": dict(sorted(e["rules"].items())),
                   "tests": sorted(e["tests"])} for name, e in sorted(tools.items())],
        "tests": results,
    }
