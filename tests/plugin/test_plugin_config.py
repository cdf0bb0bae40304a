"""The plugin reads the project's [tool.npzcontract]; failures show advisories; assertions take
rule levels; tool names match by stem."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from pytest_npzcontract import (
    NpzContractWarning,
    assert_data_contract,
    assert_parameters_match,
    assert_transformation_recorded,
    load_npz,
    save_npz,
)
from pytest_npzcontract.metadata.model import add_transformation
from pytest_npzcontract.physics.factory import write_dataset

PYPROJECT = '''
[tool.npzcontract.rules]
intensity-not-amplitude = "error"

[tool.npzcontract.profiles]
"data/raw/**" = "raw"
"data/det/**" = "det"

[tool.npzcontract.custom-profiles.det]
extends = "count-intensity"
require = ["scan_index"]
'''

TESTS = '''
import numpy as np
import pytest
from pytest_npzcontract import ContractViolation, assert_data_contract, load_npz
from pytest_npzcontract.physics.factory import write_dataset


def counts_where_amplitude_belongs(path):
    arrays, meta = load_npz(write_dataset(path, nphotons=1e6))
    counts = write_dataset(path.with_name("c.npz"), nphotons=1e6, profile="count-intensity")
    arrays["diffraction"] = load_npz(counts)[0]["diffraction"]
    return write_dataset(path, nphotons=1e6, overrides={"diffraction": arrays["diffraction"]})


def test_configured_level_makes_the_advisory_an_error(tmp_path, npz_check):
    path = counts_where_amplitude_belongs(tmp_path / "x.npz")
    with pytest.raises(ContractViolation) as info:
        npz_check(path)
    assert info.value.rules == {"intensity-not-amplitude"}
    assert "not-normalized" in str(info.value)          # the warning is listed too
    assert info.value.report.rules("warning") == {"not-normalized"}
    assert "profile canonical" in str(info.value)


def test_the_callers_level_wins_over_the_configuration(tmp_path, npz_check):
    path = counts_where_amplitude_belongs(tmp_path / "x.npz")
    with pytest.warns(UserWarning):
        npz_check(path, rule_levels={"intensity-not-amplitude": "warning"})


def test_per_path_profiles_apply_in_tests():
    raw = write_dataset("data/raw/scan.npz", profile="raw")
    assert assert_data_contract(raw).profile == "raw"
    det = write_dataset("data/det/frames.npz", profile="count-intensity")
    with pytest.raises(AssertionError, match="profile det"):
        assert_data_contract(write_dataset("data/det/bad.npz", profile="count-intensity",
                                           drop=["scan_index"]))
    assert assert_data_contract(det).profile == "det"
    assert assert_data_contract(write_dataset("elsewhere.npz")).profile == "canonical"
'''


def test_plugin_reads_the_same_configuration_as_lint(pytester: pytest.Pytester):
    pytester.makepyprojecttoml(PYPROJECT)
    pytester.makepyfile(test_config=TESTS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q")
    result.assert_outcomes(passed=3)
    # ... and lint agrees on the same files
    import json
    import os

    from click.testing import CliRunner

    from pytest_npzcontract.cli import cli

    old = os.getcwd()
    os.chdir(pytester.path)
    try:
        out = CliRunner().invoke(cli, ["lint", "--format", "json", "data"])
    finally:
        os.chdir(old)
    profiles = {Path(f["file"]).name: f["profile"] for f in json.loads(out.stdout)["files"]}
    assert profiles == {"scan.npz": "raw", "frames.npz": "det", "bad.npz": "det"}


def test_a_bad_configuration_is_a_usage_error_naming_it(pytester: pytest.Pytester):
    pytester.makepyprojecttoml('[tool.npzcontract.profiles]\n"a/**" = "fancy"\n')
    pytester.makepyfile(test_x="def test_x(npz_check, npz_factory):\n"
                               "    npz_check(npz_factory())\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q")
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*npzcontract configuration: *unknown profile 'fancy'*"])


# ---- advisories visible in failing assertions -----------------------------------------------

def test_failing_assertion_lists_warnings_after_errors_and_carries_the_report(tmp_path):
    arrays, _ = load_npz(write_dataset(tmp_path / "a.npz"))
    path = write_dataset(tmp_path / "x.npz", drop=["probeGuess"], overrides={
        "diffraction": arrays["diffraction"] * 1000})
    with pytest.raises(AssertionError) as info:
        assert_data_contract(path, cap=1)
    text = str(info.value)
    assert text.index("missing-key") < text.index("also 1 warning/info finding(s):")
    assert "[diffraction] warning not-normalized" in text
    assert info.value.report.rules() == {"missing-key", "not-normalized"}
    assert "(mode strict, profile canonical)" in text


# ---- assert_parameters_match: parameter-missing, rule_levels ---------------------------------

def _without_nphotons(path: Path) -> Path:
    arrays, meta = load_npz(write_dataset(path))
    del meta["physics_parameters"]["nphotons"]
    save_npz(path, arrays, meta)
    return path


def test_parameters_match_fails_when_nphotons_is_not_recorded(tmp_path):
    path = _without_nphotons(tmp_path / "x.npz")
    with pytest.raises(AssertionError, match=r"\[physics_parameters.nphotons\] parameter-missing"):
        assert_parameters_match(path, {"nphotons": 1e9})
    with pytest.raises(AssertionError, match="parameter-missing"):
        assert_parameters_match(path, {"N": 64})
    with pytest.warns(NpzContractWarning, match="parameter-missing"):
        assert_parameters_match(path, {"nphotons": 1e9},
                                rule_levels={"parameter-missing": "warning"})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert_parameters_match(path, {"nphotons": 1e9}, rule_levels={"parameter-missing": "off"})


def test_assertions_accept_rule_levels(tmp_path):
    arrays, _ = load_npz(write_dataset(tmp_path / "a.npz"))
    path = write_dataset(tmp_path / "x.npz", overrides={"diffraction": arrays["diffraction"] * 1000})
    assert_data_contract(path, rule_levels={"not-normalized": "off"})
    with pytest.raises(AssertionError, match="not-normalized"):
        assert_data_contract(path, rule_levels={"not-normalized": "error"})
    wrong = write_dataset(tmp_path / "w.npz", nphotons=1e6)
    with pytest.warns(NpzContractWarning, match="parameter-mismatch"):
        assert_parameters_match(wrong, {"nphotons": 1e9},
                                rule_levels={"parameter-mismatch": "warning"})


# ---- tool names match by stem ---------------------------------------------------------------

@pytest.mark.parametrize(("recorded", "wanted"), [
    ("transpose_rename_convert", "transpose_rename_convert_tool.py"),
    ("scripts/tools/transpose_rename_convert_tool.py", "transpose_rename_convert"),
    ("C:\\tools\\split_dataset_tool.py", "split_dataset.py"),
    ("split.py", "split"),
])
def test_tool_names_match_by_stem(tmp_path, recorded, wanted):
    arrays, meta = load_npz(write_dataset(tmp_path / "a.npz"))
    save_npz(tmp_path / "b.npz", arrays, add_transformation(meta, recorded, "convert", {}))
    assert_transformation_recorded(tmp_path / "b.npz", tool=wanted, operation="convert")


def test_different_stems_do_not_match(tmp_path):
    arrays, meta = load_npz(write_dataset(tmp_path / "a.npz"))
    save_npz(tmp_path / "b.npz", arrays, add_transformation(meta, "split_tool.py", "split", {}))
    with pytest.raises(AssertionError, match="transformation-missing"):
        assert_transformation_recorded(tmp_path / "b.npz", tool="splitter.py")


def test_show_prints_the_findings_after_the_lineage(tmp_path):
    from click.testing import CliRunner

    from pytest_npzcontract.cli import cli

    arrays, _ = load_npz(write_dataset(tmp_path / "a.npz"))
    path = write_dataset(tmp_path / "x.npz", overrides={
        "objectGuess": arrays["objectGuess"].astype(np.complex128)})
    out = CliRunner().invoke(cli, ["show", str(path)]).stdout
    assert out.index("lineage:") < out.index("findings (profile canonical")
    assert "error dtype-precision (policy): [objectGuess]" in out
    clean = CliRunner().invoke(cli, ["show", str(tmp_path / "a.npz")]).stdout
    assert clean.rstrip().endswith("findings (profile canonical, mode strict, values scanned): none")


def test_npz_check_honours_per_file_ignores_and_the_baseline(pytester: pytest.Pytester):
    """One verdict: the fixture judges a file as lint does, ignores and baseline included."""
    from pytest_npzcontract.cli import main

    root = pytester.path
    write_dataset(root / "data/legacy/old.npz", n_images=4, legacy=["diff3d"], seed=1)
    write_dataset(root / "data/nometa.npz", n_images=4, metadata=False, seed=2)
    (root / "pyproject.toml").write_text(
        '[tool.npzcontract]\nbaseline = "known.json"\n'
        '[tool.npzcontract.per-file-ignores]\n"data/nometa.npz" = ["metadata-missing"]\n')
    assert main(["lint", "--update-baseline", "data"]) == 0
    pytester.makepyfile(test_data='''
def test_legacy_is_known(npz_check):
    report = npz_check("data/legacy/old.npz")
    assert report.ok and {f.rule for f in report.baselined} == {"legacy-key"}

def test_ignored(npz_check):
    report = npz_check("data/nometa.npz")
    assert report.ok and [f.rule for f in report.ignored] == ["metadata-missing"]
''')
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=2)
