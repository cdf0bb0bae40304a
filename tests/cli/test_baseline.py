"""The baseline and per-file ignores through ``npzcontract lint``: known findings are
reported as baselined and do not fail, new ones fail, stale entries are reported, and every
output format marks them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from clirun import lint, lint_json

from pytest_npzcontract.physics.factory import write_dataset
from pytest_npzcontract.tools.baseline import Baseline, BaselineError

ROOT = Path(__file__).resolve().parents[2]
LEGACY = ROOT / "fixtures" / "legacy"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A data repository: two legacy files, a valid one and a configuration."""
    shutil.copy(LEGACY / "raw_diff3d_uint16.npz", tmp_path / "old.npz")
    shutil.copy(LEGACY / "no_metadata.npz", tmp_path / "nometa.npz")
    write_dataset(tmp_path / "good.npz", n_images=4, N=64, nphotons=1e6, seed=1)
    (tmp_path / "pyproject.toml").write_text('[tool.npzcontract]\nbaseline = "known.json"\n')
    return tmp_path


def test_update_writes_the_known_findings_and_then_the_run_passes(repo: Path):
    first = lint(".", cwd=repo)
    assert first.exit_code == 2 and "known.json: baseline file not found (--update-baseline " \
        "writes it)" in first.stderr
    result = lint("--update-baseline", ".", cwd=repo)
    assert result.exit_code == 0, result.output
    assert "wrote known.json: 3 known finding(s)" in result.stderr
    document = json.loads((repo / "known.json").read_text())
    entries = {(e["file"], e["rule"], e["key"]) for e in document["findings"]}
    assert entries == {("old.npz", "legacy-key", "diff3d"), ("old.npz", "legacy-key", "nphotons"),
                       ("nometa.npz", "metadata-missing", "_metadata")}
    again = lint(".", cwd=repo)
    assert again.exit_code == 0, again.output
    assert "error" not in again.stdout.split("\n")[0]
    assert again.stdout.rstrip().endswith("0 errors, 0 warnings, 0 info; 3 baselined")
    verbose = lint("-v", ".", cwd=repo)
    assert "old.npz: [diff3d] error legacy-key (baselined): legacy key 'diff3d'" in verbose.stdout


def test_a_new_finding_fails_and_a_changed_file_with_the_same_finding_stays_known(repo: Path):
    lint("--update-baseline", ".", cwd=repo)
    # A changed legacy file (other frames) with the same findings stays baselined ...
    from pytest_npzcontract.physics.factory import write_dataset as write
    write(repo / "nometa.npz", n_images=6, N=64, metadata=False, seed=9)
    assert lint(".", cwd=repo).exit_code == 0
    # ... a new defect in it fails, the known one stays baselined.
    arrays = dict(np.load(repo / "nometa.npz"))
    del arrays["probeGuess"]
    np.savez(repo / "nometa.npz", **arrays)
    document = lint_json(".", cwd=repo)
    states = {(f["file"], f["rule"]): f["baseline_state"] for f in document["findings"]}
    assert states[("nometa.npz", "missing-key")] == "new"
    assert states[("nometa.npz", "metadata-missing")] == "unchanged"
    assert document["summary"]["exit_code"] == 1
    assert document["summary"]["baselined"] == 3
    # A new file fails, whatever its name.
    shutil.copy(LEGACY / "raw_diff3d_uint16.npz", repo / "new.npz")
    result = lint(".", cwd=repo)
    assert result.exit_code == 1
    assert "new.npz: [diff3d] error legacy-key" in result.stdout
    assert "old.npz: [diff3d]" not in result.stdout


def test_stale_entries_are_reported_and_update_drops_them(repo: Path):
    lint("--update-baseline", ".", cwd=repo)
    write_dataset(repo / "old.npz", n_images=4, N=64, nphotons=1e6, seed=4)  # fixed
    (repo / "nometa.npz").unlink()                                            # removed
    result = lint(".", cwd=repo)
    assert result.exit_code == 0
    assert ("old.npz: [diff3d] stale baseline entry legacy-key: no such finding any more "
            "(--update-baseline drops it)") in result.stdout
    assert "nometa.npz: [_metadata] stale baseline entry metadata-missing: the file no " \
           "longer exists" in result.stdout
    assert "0 baselined, 3 stale baseline entries" in result.stdout
    stale = lint_json(".", cwd=repo)["stale_baseline"]
    assert {(e["file"], e["rule"]) for e in stale} == {
        ("old.npz", "legacy-key"), ("nometa.npz", "metadata-missing")}
    lint("--update-baseline", ".", cwd=repo)
    assert json.loads((repo / "known.json").read_text())["findings"] == []


def test_entries_of_files_not_checked_are_kept_and_not_stale(repo: Path):
    """pre-commit passes only the staged files: the others' entries stay."""
    lint("--update-baseline", ".", cwd=repo)
    result = lint("good.npz", cwd=repo)
    assert result.exit_code == 0 and "stale" not in result.stdout
    lint("--update-baseline", "good.npz", cwd=repo)
    assert len(Baseline.load(repo / "known.json")) == 3


def test_the_baseline_option_and_bad_baseline_files(repo: Path, tmp_path: Path):
    (repo / "pyproject.toml").write_text("[tool.npzcontract]\n")
    other = repo / "sub" / "base.json"
    assert lint("--update-baseline", "--baseline", other, ".", cwd=repo).exit_code == 0
    assert Baseline.load(other).counts[("../old.npz", "legacy-key", "diff3d")] == 1
    assert lint("--baseline", other, ".", cwd=repo).exit_code == 0
    missing = lint("--baseline", repo / "none.json", ".", cwd=repo)
    assert missing.exit_code == 2
    assert missing.stderr.startswith("npzcontract: error: ") and "baseline file not found" in \
        missing.stderr and len(missing.stderr.splitlines()) == 1
    for text, message in (("{", "invalid JSON"), ("[]", "not an npzcontract baseline"),
                          ('{"tool": "npzcontract", "version": 9, "findings": []}',
                           "version 9 is not supported"),
                          ('{"tool": "npzcontract", "version": 1, "findings": [{"file": 1}]}',
                           "finding 0 needs")):
        bad = repo / "bad.json"
        bad.write_text(text)
        result = lint("--baseline", bad, ".", cwd=repo)
        assert result.exit_code == 2 and message in result.stderr, result.output
        with pytest.raises(BaselineError, match=message):
            Baseline.load(bad)


def test_without_a_configured_baseline_update_writes_the_default_file(repo: Path):
    (repo / "pyproject.toml").write_text("[tool.npzcontract]\n")
    assert lint("--update-baseline", ".", cwd=repo).exit_code == 0
    assert (repo / "npzcontract-baseline.json").is_file()
    assert "baselined" not in lint(".", cwd=repo).stdout  # not configured: not used
    assert lint(".", cwd=repo).exit_code == 1


def test_sarif_marks_baseline_state(repo: Path):
    lint("--update-baseline", ".", cwd=repo)
    shutil.copy(LEGACY / "reference_sim.npz", repo / "new.npz")
    result = lint("--format", "sarif", ".", cwd=repo)
    (run,) = json.loads(result.stdout)["runs"]
    states = {(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], r["ruleId"],
               r["baselineState"]) for r in run["results"]}
    assert ("old.npz", "legacy-key", "unchanged") in states
    assert ("new.npz", "legacy-key", "new") in states
    assert {s for _, _, s in states} == {"new", "unchanged"}
    assert run["properties"]["summary"]["baselined"] == 3


def test_per_file_ignores_drop_findings_and_count_them(repo: Path):
    np.savez(repo / "weights.npz", kernel=np.ones((3, 3)))
    (repo / "pyproject.toml").write_text(
        '[tool.npzcontract.per-file-ignores]\n"weights.npz" = ["not-a-dataset"]\n'
        '"old.npz" = ["legacy-key"]\n')
    result = lint(".", cwd=repo)
    assert "weights.npz" not in result.stdout and "old.npz" not in result.stdout
    assert result.stdout.rstrip().endswith("1 error, 0 warnings, 0 info; 3 ignored")
    assert result.exit_code == 1  # nometa.npz's metadata-missing is not ignored
    document = lint_json(".", cwd=repo)
    assert document["summary"]["ignored"] == 3
    assert {(f["file"], f["rule"]) for f in document["ignored"]} == {
        ("weights.npz", "not-a-dataset"), ("old.npz", "legacy-key")}
    (run,) = json.loads(lint("--format", "sarif", ".", cwd=repo).stdout)["runs"]
    suppressed = [r for r in run["results"] if r.get("suppressions")]
    assert len(suppressed) == 3 and suppressed[0]["suppressions"][0]["kind"] == "external"
    junit = lint("--format", "junit", ".", cwd=repo).stdout
    assert "not-a-dataset" not in junit
