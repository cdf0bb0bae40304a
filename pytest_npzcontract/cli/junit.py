"""``npzcontract lint --format junit``: JUnit XML, as CI systems display test reports.

One ``<testsuite name="npzcontract">``; one ``<testcase>`` per checked file (``name`` is the
path); a file with error findings has one ``<failure>`` holding every error line, warnings and
info go to ``<system-out>``; each skipped path is a test case with ``<skipped>``::

    $ npzcontract lint --format junit data/ > npzcontract.xml
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING

from ..base.report import one_line

if TYPE_CHECKING:
    from .lintrun import LintRun

CLASSNAME = "npzcontract.lint"


def render_junit(run: LintRun) -> str:
    """The JUnit XML document (``<testsuites>`` root) as text."""
    summary = run.summary()
    counts = {"tests": str(summary["files"] + summary["skipped"]),
              "failures": str(summary["failed"]), "errors": "0",
              "skipped": str(summary["skipped"]), "time": "0"}
    root = ET.Element("testsuites", {"name": "npzcontract", **counts})
    suite = ET.SubElement(root, "testsuite", {"name": "npzcontract", **counts})
    properties = ET.SubElement(suite, "properties")
    for name in ("mode", "profile", "values", "config"):
        if name in run.settings:
            value = run.settings[name]
            if name == "profile" and value is None:
                value = "auto"  # per file: the per-path table, the scaling pair, else canonical
            ET.SubElement(properties, "property", {"name": name, "value": _text(str(value))})
    ET.SubElement(properties, "property", {"name": "cached", "value": str(run.cached)})
    for report in run.reports:
        path = _text(report.file or "<data>")
        case = ET.SubElement(suite, "testcase", {"classname": CLASSNAME, "name": path,
                                                 "file": path, "time": "0"})
        errors = report.errors
        if errors:
            rules = sorted({f.rule for f in errors})
            failure = ET.SubElement(case, "failure", {
                "type": ",".join(rules),
                "message": _text(f"{len(errors)} error(s): {', '.join(rules)}")})
            failure.text = "\n".join(_text(f.line(with_hint=True)) for f in errors)
        others = [f for f in report.findings if f.severity != "error"]
        if others:
            out = ET.SubElement(case, "system-out")
            out.text = "\n".join(_text(f.line(with_hint=True)) for f in others)
    for skipped in run.skipped:
        case = ET.SubElement(suite, "testcase", {"classname": CLASSNAME,
                                                 "name": _text(skipped.path), "time": "0"})
        ET.SubElement(case, "skipped", {"message": _text(skipped.reason)})
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode")


def _text(text: str) -> str:
    """Text XML 1.0 can hold: control characters escaped, undecodable bytes shown as escapes."""
    return one_line(text).encode("utf-8", "backslashreplace").decode("utf-8")
