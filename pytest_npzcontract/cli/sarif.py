"""``npzcontract lint --format sarif``: SARIF 2.1.0, the format GitHub code scanning uploads.

One run; the driver lists every rule of the rule table (id, summary, fix, default level); each
error, warning or info finding is a result located in its file (files are binary, so the region
is the whole file: line 1). Skipped paths are tool notifications, not results::

    $ npzcontract lint --format sarif data/ > npzcontract.sarif
    - uses: github/codeql-action/upload-sarif@v3
      with: {sarif_file: npzcontract.sarif}
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import PurePath
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from ..contract.rules import RULES

if TYPE_CHECKING:
    from ..base.report import Finding
    from .lintrun import LintRun

SARIF_SCHEMA = ("https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/"
                "sarif-schema-2.1.0.json")
INFORMATION_URI = "https://github.com/hoidn/PtychoPINN"
_LEVEL = {"error": "error", "warning": "warning", "info": "note"}
_DEFAULT_LEVEL = {"structural": "error", "policy": "error", "advisory": "warning"}


def render_sarif(run: LintRun) -> str:
    """The whole SARIF log as indented JSON text."""
    from .._version import version

    rule_ids = list(RULES)
    for finding in [*run.findings, *run.baselined, *run.ignored]:
        if finding.rule not in RULES and finding.rule not in rule_ids:
            rule_ids.append(finding.rule)
    index = {rule: i for i, rule in enumerate(rule_ids)}
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "npzcontract",
                "semanticVersion": _semantic(version),
                "version": version,
                "informationUri": INFORMATION_URI,
                "rules": [_rule(rule) for rule in rule_ids],
            }},
            "invocations": [{
                "executionSuccessful": True,
                "toolExecutionNotifications": [
                    {"level": "note", "message": {"text": f"skipped: {s.reason}"},
                     "locations": [_location(s.path)]} for s in run.skipped],
            }],
            "results": _results(run, index),
            "properties": {"summary": run.summary(),
                           **({"staleBaseline": [e.to_dict() for e in run.stale]}
                              if run.baseline is not None else {})},
        }],
    }
    return json.dumps(log, indent=2)


def _results(run: LintRun, index: dict[str, int]) -> list[dict[str, Any]]:
    """The findings; with a baseline each has ``baselineState`` (``new`` or, when the
    baseline records it, ``unchanged``); ``per-file-ignores`` drops are suppressed results."""
    if run.baseline is None:
        results = [_result(f, index[f.rule]) for f in run.findings]
    else:
        results = ([{**_result(f, index[f.rule]), "baselineState": "new"}
                    for f in run.findings]
                   + [{**_result(f, index[f.rule]), "baselineState": "unchanged"}
                      for f in run.baselined])
    return results + [{**_result(f, index[f.rule]), "suppressions": [
        {"kind": "external", "justification": "per-file-ignores in [tool.npzcontract]"}]}
        for f in run.ignored]


def _rule(rule_id: str) -> dict[str, Any]:
    rule = RULES.get(rule_id)
    if rule is None:
        return {"id": rule_id, "shortDescription": {"text": rule_id}}
    return {"id": rule.id, "name": _camel(rule.id),
            "shortDescription": {"text": rule.summary},
            "help": {"text": f"fix: {rule.fix}"},
            "defaultConfiguration": {"level": _DEFAULT_LEVEL.get(rule.kind, "warning")},
            "properties": {"kind": rule.kind}}


def _result(finding: Finding, rule_index: int) -> dict[str, Any]:
    text = f"[{finding.key}] {finding.message}" if finding.key else finding.message
    if finding.hint:
        text += f" (fix: {finding.hint})"
    path = finding.file or "<data>"
    fingerprint = hashlib.sha256(
        f"{_uri(path)}\0{finding.key}\0{finding.rule}".encode("utf-8", "surrogateescape"))
    return {"ruleId": finding.rule, "ruleIndex": rule_index, "level": _LEVEL[finding.severity],
            "message": {"text": text}, "locations": [_location(path)],
            "partialFingerprints": {"npzcontract/v1": fingerprint.hexdigest()[:32]}}


def _location(path: str) -> dict[str, Any]:
    return {"physicalLocation": {"artifactLocation": {"uri": _uri(path)},
                                 "region": {"startLine": 1}}}


def _uri(path: str) -> str:
    """A relative URI for paths under the working directory, else a ``file://`` URI."""
    if "://" in path:
        return path
    absolute = os.path.abspath(path)
    relative = os.path.relpath(absolute)
    if not relative.startswith(os.pardir):
        return quote(PurePath(relative).as_posix(), safe="/", errors="surrogateescape")
    return "file://" + quote(PurePath(absolute).as_posix(), safe="/", errors="surrogateescape")


def _semantic(version: str) -> str:
    core = version.split("+")[0]
    return core if core.count(".") == 2 else core + ".0" * (2 - core.count("."))


def _camel(rule_id: str) -> str:
    return "".join(part.capitalize() for part in rule_id.split("-"))
