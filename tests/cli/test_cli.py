"""``npzcontract lint`` through click's CliRunner: formats, exit codes, options, discovery."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import clirun
import numpy as np
import pytest

from pytest_npzcontract.cli import main
from pytest_npzcontract.physics.factory import write_dataset

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"
BROKEN_RULES = {
    "missing_probe.npz": "missing-key",
    "nan_diffraction.npz": "non-finite",
    "count_mismatch.npz": "n-images-mismatch",
    "truncated.npz": "unreadable",
    "not_a_zip.npz": "unreadable",
    "hostile_pickle.npz": "unsafe-object-array",
}
LINE = re.compile(r"^(?P<file>\S+): (\[(?P<key>[^\]]+)\] )?(?P<sev>error|warning|info) "
                  r"(?P<rule>[a-z-]+): .+$")


def lint(*args: str, search_config: bool = False):
    """Run ``npzcontract lint``; configuration files are ignored unless ``search_config``
    (which also allows ``--config``)."""
    return clirun.lint(*args, config=search_config)


def as_json(result) -> dict:
    return json.loads(result.stdout)


@pytest.fixture
def npz_dir(tmp_path: Path) -> Path:
    write_dataset(tmp_path / "good.npz", n_images=4, N=64, nphotons=1e6)
    write_dataset(tmp_path / "sub" / "nometa.npz", n_images=4, N=64, metadata=False)
    return tmp_path


def test_valid_fixtures_pass_with_exit_0():
    result = lint(str(FIXTURES / "valid"))
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().splitlines()[-1] == (
        "2 files checked: 2 passed, 0 failed; 0 errors, 0 warnings, 0 info")


def test_broken_fixtures_fail_with_exit_1_naming_each_rule():
    result = lint("--format", "json", str(FIXTURES / "broken"))
    assert result.exit_code == 1
    found = {Path(f["file"]).name: f["rule"] for f in as_json(result)["findings"]
             if f["severity"] == "error"}
    assert found == BROKEN_RULES


def test_text_output_is_one_line_per_finding_then_hints_and_a_summary():
    result = lint(str(FIXTURES / "broken"), str(FIXTURES / "legacy"))
    lines = result.stdout.splitlines()
    findings = [m for m in map(LINE.match, lines) if m]
    data = as_json(lint("--format", "json", str(FIXTURES / "broken"), str(FIXTURES / "legacy")))
    assert len(findings) == sum(f["severity"] != "info" for f in data["findings"])
    assert {m["rule"] for m in findings} >= set(BROKEN_RULES.values()) | {"legacy-key"}
    assert any(line.startswith("fix missing-key: ") for line in lines)
    assert lines[-1] == "10 files checked: 0 passed, 10 failed; 12 errors, 0 warnings, 0 info"
    assert lines[-2] == "checked against profile canonical"
    assert "Traceback" not in result.output


def test_verbose_text_shows_info_findings():
    quiet = lint("--rule", "legacy-key=info", str(FIXTURES / "legacy"))
    verbose = lint("-v", "--rule", "legacy-key=info", str(FIXTURES / "legacy"))
    assert " info " not in quiet.stdout
    assert re.search(r"info legacy-key: legacy key 'diff3d'", verbose.stdout)


def test_json_document_is_versioned_and_self_consistent():
    data = as_json(lint("--format", "json", "--mode", "warn", str(FIXTURES)))
    assert data["version"] == 1
    assert data["tool"]["name"] == "npzcontract"
    assert set(data) == {"version", "tool", "settings", "files", "findings", "skipped",
                         "summary"}
    assert data["settings"]["mode"] == "warn"
    assert len(data["files"]) == data["summary"]["files"] == 12
    per_file = {f["file"]: f["counts"] for f in data["files"]}
    for finding in data["findings"]:
        assert per_file[finding["file"]][finding["severity"]] > 0
        assert set(finding) == {"file", "key", "rule", "severity", "message", "hint"}
    summary = data["summary"]
    assert summary["errors"] == sum(f["severity"] == "error" for f in data["findings"])
    assert summary["exit_code"] == 1
    assert summary["rules"]["legacy-key"] == 3


def test_github_format_emits_escaped_workflow_annotations(tmp_path: Path):
    odd = tmp_path / "run 1, take:2.npz"
    write_dataset(odd, n_images=4, N=64, drop=("probeGuess",))
    result = lint("--format", "github", str(odd))
    assert result.exit_code == 1
    first = result.stdout.splitlines()[0]
    escaped = str(odd).replace(",", "%2C").replace(":", "%3A")
    assert first.startswith(f"::error file={escaped},title=npzcontract missing-key::"
                            "[probeGuess] required key")
    assert "%0Afix: " in first and "\n" not in first
    assert result.stdout.splitlines()[-1].startswith("1 file checked: 0 passed, 1 failed")


def test_github_format_maps_warnings_and_skips(tmp_path: Path, tmp_path_factory):
    write_dataset(tmp_path / "old.npz", n_images=4, N=64, legacy=("4d-Y",))
    elsewhere = tmp_path_factory.mktemp("elsewhere") / "x.npz"
    elsewhere.write_bytes(b"")
    os.symlink(elsewhere, tmp_path / "outside.npz")
    out = lint("--format", "github", "--mode", "warn", str(tmp_path)).stdout
    assert "::warning file=" in out and "title=npzcontract legacy-key::" in out
    assert "::notice file=" in out and "title=npzcontract skipped::symlink to" in out


@pytest.mark.parametrize("args, message", [
    (["--mode", "bogus"], "invalid value for '--mode'"),
    (["--format", "xml"], "invalid value for '--format'"),
    (["--jobs", "-1"], "invalid value for '-j' / '--jobs'"),
    (["--no-such-option"], "no such option"),
    (["does-not-exist.npz"], "does not exist"),
])
def test_usage_errors_exit_2(args: list[str], message: str):
    result = lint(*args, str(FIXTURES / "valid"))
    assert result.exit_code == 2
    assert message in result.stderr
    (line,) = result.stderr.splitlines()  # one line, in the style of every other error
    assert line.startswith("npzcontract: error: ") and "Usage:" not in result.output
    assert line.endswith("(see 'npzcontract lint --help')") or "does not exist" in line


@pytest.mark.parametrize("args, message", [
    (["--expect", "nphotons"], "--expect: expected NAME=VALUE, not 'nphotons'"),
    (["--expect", "nphoton=1e6"], "unknown key 'nphoton' in --expect (did you mean 'nphotons'?)"),
    (["--expect", "N=64.5"], "--expect: N must be a positive integer, not '64.5'"),
    (["--rule", "no-such-rule=off"], "--rule: unknown rule id 'no-such-rule'"),
    (["--rule", "non-finite=loud"], "--rule: rule 'non-finite': level must be one of"),
    (["--profile", "fancy"], "--profile: unknown profile 'fancy' (choose from canonical, train, raw"),
])
def test_bad_option_values_are_one_line_errors_with_exit_2(args: list[str], message: str):
    result = lint(*args, str(FIXTURES / "valid"))
    assert result.exit_code == 2
    assert result.stderr.startswith("npzcontract: error: ")
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stdout == ""


def test_expect_checks_configuration_against_metadata():
    valid = str(FIXTURES / "valid")
    assert lint("--expect", "nphotons=1e6 N=64", "--expect", "gridsize=1", valid).exit_code == 0
    result = lint("--expect", "nphotons=1e9", valid)
    assert result.exit_code == 1
    assert "error parameter-mismatch: nphotons: dataset=1e+06, config=1e+09" in result.stdout


def test_modes_and_rule_overrides_change_exit_codes():
    legacy = str(FIXTURES / "legacy")
    assert lint(legacy).exit_code == 1
    warn = lint("--mode", "WARN", legacy)
    assert warn.exit_code == 0 and "warning legacy-key" in warn.stdout
    assert lint("--mode", "permissive", legacy).stdout.splitlines()[-1].startswith(
        "4 files checked: 4 passed")
    silenced = ["--rule", "legacy-key=off", "--rule", "pickled-metadata=warning metadata-missing=info"]
    assert lint(*silenced, legacy).exit_code == 0
    assert lint("--rule", "shape-mismatch=error", legacy).exit_code == 1


def test_no_values_skips_value_scans():
    nan_file = str(FIXTURES / "broken" / "nan_diffraction.npz")
    assert lint(nan_file).exit_code == 1
    assert lint("--no-values", nan_file).exit_code == 0


def test_directories_are_walked_recursively_and_globs_filter(npz_dir: Path):
    (npz_dir / "notes.txt").write_text("not a dataset")
    (npz_dir / ".git").mkdir()
    (npz_dir / ".git" / "x.npz").write_text("ignored: version control")
    data = as_json(lint("--format", "json", str(npz_dir)))
    assert [Path(f["file"]).relative_to(npz_dir).as_posix() for f in data["files"]] == [
        "good.npz", "sub/nometa.npz"]
    only_good = as_json(lint("--format", "json", "--exclude", "sub", str(npz_dir)))
    assert [Path(f["file"]).name for f in only_good["files"]] == ["good.npz"]
    included = as_json(lint("--format", "json", "--include", "no*.npz", str(npz_dir)))
    assert [Path(f["file"]).name for f in included["files"]] == ["nometa.npz"]


def test_a_file_named_twice_or_through_an_inner_symlink_is_checked_once(npz_dir: Path):
    os.symlink("good.npz", npz_dir / "alias.npz")
    data = as_json(lint("--format", "json", str(npz_dir), str(npz_dir / "good.npz")))
    assert len(data["files"]) == 2
    assert data["skipped"] == []


def test_symlinks_out_of_the_tree_are_reported_not_followed(npz_dir: Path, tmp_path_factory):
    outside = tmp_path_factory.mktemp("outside")
    write_dataset(outside / "far.npz", n_images=4, N=64, metadata=False)
    os.symlink(outside / "far.npz", npz_dir / "far.npz")
    os.symlink(outside, npz_dir / "far_dir")
    os.symlink(npz_dir / "gone.npz", npz_dir / "dangling.npz")
    result = lint("--format", "json", str(npz_dir))
    data = as_json(result)
    assert {Path(f["file"]).name for f in data["files"]} == {"good.npz", "nometa.npz"}
    reasons = {Path(s["path"]).name: s["reason"] for s in data["skipped"]}
    assert reasons["far.npz"].startswith(f"symlink to {outside / 'far.npz'}, outside")
    assert reasons["far_dir"].startswith(f"symlink to {outside}, outside")
    assert reasons["dangling.npz"].startswith("broken symlink")
    text = lint(str(npz_dir)).stdout
    assert f"{npz_dir / 'far.npz'}: skipped: symlink to" in text
    assert text.splitlines()[-1].endswith("; 3 skipped")


def test_unreadable_files_are_findings_not_crashes(tmp_path: Path):
    (tmp_path / "empty.npz").write_bytes(b"")
    (tmp_path / "text.npz").write_text("hello")
    good = write_dataset(tmp_path / "cut.npz", n_images=4, N=64)
    good.write_bytes(good.read_bytes()[:-200])
    result = lint(str(tmp_path))
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    rules = {m["file"]: m["rule"] for m in map(LINE.match, result.stdout.splitlines()) if m}
    assert rules == {str(tmp_path / n): "unreadable" for n in ("cut.npz", "empty.npz",
                                                               "text.npz")}


@pytest.mark.parametrize("start_method", ["fork", "spawn"])
def test_parallel_jobs_give_the_same_reports_in_input_order(start_method: str, monkeypatch):
    monkeypatch.setattr("pytest_npzcontract.cli.workers.START_METHOD", start_method)
    paths = [str(FIXTURES / d) for d in ("broken", "legacy", "valid")]
    serial = as_json(lint("--format", "json", *paths))
    parallel = as_json(lint("--format", "json", "--jobs", "2", *paths))
    assert parallel["files"] == serial["files"]
    assert parallel["findings"] == serial["findings"]
    assert parallel["settings"]["jobs"] == 2


def test_no_files_is_a_warning_with_exit_0(tmp_path: Path):
    result = lint(str(tmp_path))
    assert result.exit_code == 0
    assert "npzcontract: warning: no .npz files to check" in result.stderr
    assert result.stdout.strip() == "0 files checked: 0 passed, 0 failed; 0 errors, 0 warnings, 0 info"


def test_configuration_is_found_upward_and_options_override_it(npz_dir: Path, monkeypatch):
    (npz_dir / "pyproject.toml").write_text(
        '[tool.npzcontract]\nmode = "warn"\nexclude = ["good.npz"]\n')
    monkeypatch.chdir(npz_dir / "sub")
    result = lint("--format", "json", ".", search_config=True)
    data = as_json(result)
    assert result.exit_code == 0
    assert data["settings"]["config"] == str(npz_dir / "pyproject.toml")
    assert data["settings"]["mode"] == "warn"
    assert lint("--mode", "strict", ".", search_config=True).exit_code == 1
    listed = as_json(lint("--format", "json", "..", search_config=True))
    assert [Path(f["file"]).name for f in listed["files"]] == ["nometa.npz"]
    assert lint(".").exit_code == 1


def test_configuration_errors_exit_2_naming_the_key(tmp_path: Path):
    config = tmp_path / "pyproject.toml"
    config.write_text('[tool.npzcontract]\nmdoe = "warn"\n')
    result = lint("--config", str(config), str(FIXTURES / "valid"), search_config=True)
    assert result.exit_code == 2
    assert result.stderr == (f"npzcontract: error: {config}: unknown key 'mdoe' in "
                             "[tool.npzcontract] (did you mean 'mode'?)\n")
    config.write_text("[tool.npzcontract\n")
    assert "invalid TOML" in lint("--config", str(config), ".", search_config=True).stderr
    assert "mutually exclusive" in lint("--config", str(config), ".").stderr


def test_contract_extension_from_configuration(tmp_path: Path):
    config = tmp_path / "pyproject.toml"
    config.write_text('[tool.npzcontract.contract]\nrequired = ["mask"]\n'
                      '[tool.npzcontract.contract.keys.mask]\ndtypes = ["bool"]\nndim = 2\n')
    result = lint("--config", str(config), str(FIXTURES / "valid"), search_config=True)
    assert result.exit_code == 1
    assert "[mask] error missing-key: required key 'mask'" in result.stdout
    write_dataset(tmp_path / "masked.npz", n_images=4, N=64,
                  overrides={"mask": np.ones((64, 64), bool)})
    masked = str(tmp_path / "masked.npz")
    assert lint("--config", str(config), masked, search_config=True).exit_code == 0


def test_main_returns_exit_codes_instead_of_raising(capsys):
    assert main(["lint", "--no-config", str(FIXTURES / "valid")]) == 0
    assert main(["lint", "--no-config", str(FIXTURES / "broken")]) == 1
    assert main(["lint", "--mode", "bogus"]) == 2
    assert main(["--version"]) == 0
    assert "npzcontract, version" in capsys.readouterr().out
