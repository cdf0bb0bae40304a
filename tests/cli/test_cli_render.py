"""The three renderers over the same plain-data lint run."""

from __future__ import annotations

import json

from pytest_npzcontract.base.report import Finding, Report
from pytest_npzcontract.cli.render import (
    LintRun,
    Skipped,
    escape_data,
    escape_property,
    render_github,
    render_json,
    render_text,
)

RUN = LintRun(
    reports=[
        Report("a.npz", [Finding("a.npz", "Y", "legacy-key", "warning", "Y is 4-D")],
               profile="raw"),
        Report("b,c:d.npz", [
            Finding("b,c:d.npz", None, "unreadable", "error", "100% broken\nline two\r",
                    hint="re-create it"),
            Finding("b,c:d.npz", "diffraction", "shape-mismatch", "info", "N=32 is unusual"),
        ]),
        Report("ok.npz", profile="canonical"),
    ],
    skipped=[Skipped("link.npz", "symlink to /x.npz, outside data; not followed")],
    settings={"mode": "warn"},
)


def test_escaping_follows_the_workflow_command_rules():
    assert escape_data("50% a\r\nb") == "50%25 a%0D%0Ab"
    assert escape_property("x,y:z%\n") == "x%2Cy%3Az%25%0A"


def test_github_lines():
    lines = render_github(RUN).splitlines()
    assert lines == [
        "::warning file=a.npz,title=npzcontract legacy-key::[Y] Y is 4-D%0Afix: run "
        "`npzcontract migrate --in-place FILE` to convert it to its profile's form",
        "::error file=b%2Cc%3Ad.npz,title=npzcontract unreadable::100%25 broken%0Aline two%0D"
        "%0Afix: re-create it",
        "::notice file=link.npz,title=npzcontract skipped::symlink to /x.npz, outside data; "
        "not followed",
        "checked against profile raw: 1 file (a.npz)",
        "checked against profile canonical: 2 files (b,c:d.npz, ok.npz)",
        "3 files checked: 2 passed, 1 failed; 1 error, 1 warning, 1 info; 1 skipped",
    ]
    verbose = LintRun(RUN.reports, show_info=True)
    assert "::notice file=b%2Cc%3Ad.npz,title=npzcontract shape-mismatch::[diffraction]" in (
        render_github(verbose))


def test_text_lines():
    assert render_text(RUN).splitlines() == [
        "a.npz: [Y] warning legacy-key: Y is 4-D",
        "b,c:d.npz: error unreadable: 100% broken\\nline two\\r",
        "link.npz: skipped: symlink to /x.npz, outside data; not followed",
        "",
        "fix legacy-key: run `npzcontract migrate --in-place FILE` to convert it to its profile's form",
        "fix unreadable: re-create it",
        "",
        "checked against profile raw: 1 file (a.npz)",
        "checked against profile canonical: 2 files (b,c:d.npz, ok.npz)",
        "3 files checked: 2 passed, 1 failed; 1 error, 1 warning, 1 info; 1 skipped",
    ]
    assert render_text(LintRun([Report("ok.npz", profile="train")])) == (
        "checked against profile train\n1 file checked: 1 passed, 0 failed; 0 errors, 0 warnings, 0 info")


def test_json_document():
    data = json.loads(render_json(RUN))
    assert data["version"] == 1 and data["settings"] == {"mode": "warn"}
    assert [f["file"] for f in data["files"]] == ["a.npz", "b,c:d.npz", "ok.npz"]
    assert data["files"][0]["profile"] == "raw"
    assert data["files"][1] == {"file": "b,c:d.npz", "ok": False, "metadata_encoding": None,
                                "profile": None,
                                "counts": {"error": 1, "warning": 0, "info": 1}}
    assert len(data["findings"]) == 3
    assert data["skipped"] == [{"path": "link.npz",
                                "reason": "symlink to /x.npz, outside data; not followed"}]
    assert data["summary"] == {"files": 3, "passed": 2, "failed": 1, "skipped": 1, "cached": 0,
                               "errors": 1,
                               "warnings": 1, "info": 1, "exit_code": 1,
                               "rules": {"legacy-key": 1, "shape-mismatch": 1,
                                         "unreadable": 1}}
