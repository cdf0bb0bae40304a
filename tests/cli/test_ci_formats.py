"""``--format sarif`` validates against the published SARIF 2.1.0 schema (vendored in
``tests/cli/data``: CI has no network); ``--format junit`` is well-formed JUnit XML."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import clirun
import jsonschema
import pytest

from pytest_npzcontract.base.report import Finding, Report
from pytest_npzcontract.cli.render import RENDERERS, LintRun, Skipped
from pytest_npzcontract.contract.rules import RULES
from pytest_npzcontract.physics.factory import write_dataset

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text())


def lint(fmt: str, *paths: str):
    return clirun.lint("--format", fmt, *paths, config=False)


#: The fixtures hold no info finding by default: this level makes legacy keys one (a SARIF note).
LEGACY_AS_INFO = ("--rule", "legacy-key=info")


@pytest.fixture
def fixtures_cwd(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


def sarif_errors(document: dict) -> list[str]:
    validator = jsonschema.Draft4Validator(SCHEMA, format_checker=jsonschema.FormatChecker())
    return [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(document)]


def test_the_vendored_schema_is_the_published_one():
    assert SCHEMA["id"].endswith("/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json")
    jsonschema.Draft4Validator.check_schema(SCHEMA)


def test_sarif_of_the_fixtures_validates_and_has_one_result_per_finding(fixtures_cwd):
    text_run = json.loads(lint("json", *LEGACY_AS_INFO, "fixtures").stdout)
    result = lint("sarif", *LEGACY_AS_INFO, "fixtures")
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert sarif_errors(document) == []
    run = document["runs"][0]
    assert run["tool"]["driver"]["name"] == "npzcontract"
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules][: len(RULES)] == list(RULES)
    assert len(run["results"]) == len(text_run["findings"])
    by_file = {(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], r["ruleId"])
               for r in run["results"] if r["level"] == "error"}
    assert ("fixtures/broken/missing_probe.npz", "missing-key") in by_file
    assert ("fixtures/broken/truncated.npz", "unreadable") in by_file
    for r in run["results"]:
        assert rules[r["ruleIndex"]]["id"] == r["ruleId"]
    levels = {r["level"] for r in run["results"]}
    assert levels <= {"error", "warning", "note"} and "note" in levels


def test_sarif_of_hostile_names_skips_and_unknown_rules_validates(tmp_path: Path):
    run = LintRun([Report("a b%/é\x01.npz", [
        Finding("a b%/é\x01.npz", "k", "missing-key", "error", "m", "h"),
        Finding("/elsewhere/x.npz", None, "custom-rule", "warning", "w")])],
        skipped=[Skipped("link.npz", "broken symlink")])
    document = json.loads(RENDERERS["sarif"](run))
    assert sarif_errors(document) == []
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            for r in document["runs"][0]["results"]]
    assert uris == ["a%20b%25/%C3%A9%01.npz", "file:///elsewhere/x.npz"]
    assert document["runs"][0]["tool"]["driver"]["rules"][-1]["id"] == "custom-rule"
    notes = document["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert notes[0]["message"]["text"] == "skipped: broken symlink"


def test_junit_parses_with_one_testcase_per_file(fixtures_cwd, tmp_path: Path):
    link = tmp_path / "tree"
    link.mkdir()
    (link / "gone.npz").symlink_to(tmp_path / "missing.npz")
    write_dataset(link / "small.npz", n_images=4, N=32)  # unsupported-size, here an info
    result = lint("junit", "--rule", "unsupported-size=info", "fixtures/valid", "fixtures/broken",
                  str(link))
    assert result.exit_code == 1
    root = ET.fromstring(result.stdout.encode())
    assert root.tag == "testsuites"
    suite = root.find("testsuite")
    cases = suite.findall("testcase")
    assert len(cases) == int(suite.get("tests")) == 2 + 6 + 1 + 1
    failed = {c.get("name"): c.find("failure") for c in cases if c.find("failure") is not None}
    assert len(failed) == int(suite.get("failures")) == 6
    assert failed["fixtures/broken/missing_probe.npz"].get("type") == "missing-key"
    assert "error missing-key" in failed["fixtures/broken/missing_probe.npz"].text
    passed = [c for c in cases if c.get("name").startswith("fixtures/valid/")]
    assert len(passed) == 2 and all(c.find("failure") is None for c in passed)
    skipped = [c for c in cases if c.find("skipped") is not None]
    assert len(skipped) == int(suite.get("skipped")) == 1
    assert "broken symlink" in skipped[0].find("skipped").get("message")
    info = failed["fixtures/broken/missing_probe.npz"]
    assert info is not None
    outs = [c.find("system-out").text for c in cases if c.find("system-out") is not None]
    assert any("info unsupported-size" in text for text in outs)


def test_junit_escapes_control_characters_and_undecodable_names():
    name = "bad\x00name\udcff.npz"
    run = LintRun([Report(name, [Finding(name, None, "unreadable", "error", "x\x1by")])])
    text = RENDERERS["junit"](run)
    root = ET.fromstring(text.encode("utf-8"))
    case = root.find("testsuite/testcase")
    assert case.get("name") == "bad\\x00name\\udcff.npz"
    assert "x\\x1by" in case.find("failure").text


def test_junit_of_an_empty_run():
    root = ET.fromstring(RENDERERS["junit"](LintRun([])).encode())
    assert root.find("testsuite").get("tests") == "0"
