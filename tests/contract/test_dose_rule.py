"""Rule nphotons-inconsistent: the seed's headline bug (recorded 1e9, simulated 1e6) fails
STRICT lint; the true record passes; undetermined estimates never fire."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

from pytest_npzcontract.cli import cli
from pytest_npzcontract.contract.checker import check_arrays, check_file
from pytest_npzcontract.io.reader import load_npz
from pytest_npzcontract.io.writer import save_npz
from pytest_npzcontract.metadata.model import create_metadata
from pytest_npzcontract.physics.factory import write_dataset
from pytest_npzcontract.physics.simulate import simulate_dataset

RULE = "nphotons-inconsistent"


def lie(tmp_path, recorded: float, simulated: float = 1e6, name: str = "d.npz", **kw):
    return write_dataset(tmp_path / name, nphotons=simulated, n_images=16, seed=2,
                         metadata={"physics_parameters": {"nphotons": recorded}}, **kw)


def test_recorded_1e9_over_data_simulated_at_1e6_fails_strict_lint(tmp_path):
    path = lie(tmp_path, 1e9)
    report = check_file(path, mode="strict")
    assert not report.ok
    (finding,) = [f for f in report.findings if f.rule == RULE]
    assert finding.severity == "error" and finding.key == "diffraction"
    assert "nphotons=1e+09" in finding.message and "lattice" in finding.message
    result = CliRunner().invoke(cli, ["lint", "--no-config", "--mode", "strict", str(path)])
    assert result.exit_code == 1 and RULE in result.output


def test_the_true_record_passes(tmp_path):
    path = lie(tmp_path, 1e6)
    report = check_file(path, mode="strict")
    assert report.ok and RULE not in report.rules(), report.findings
    result = CliRunner().invoke(cli, ["lint", "--no-config", "--mode", "strict", str(path)])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("mode, level", [("strict", "error"), ("warn", "warning"),
                                         ("permissive", None)])
def test_policy_levels_follow_the_mode(tmp_path, mode, level):
    report = check_file(lie(tmp_path, 1e9), mode=mode)
    found = [f.severity for f in report.findings if f.rule == RULE]
    assert found == ([level] if level else [])


def test_the_factor_is_configurable_and_defaults_to_two(tmp_path, monkeypatch):
    path = lie(tmp_path, 2.6e6)          # 2.6x the true dose
    assert RULE in check_file(path).rules()
    assert RULE not in check_file(path, nphotons_factor=3).rules()
    assert RULE not in check_file(lie(tmp_path, 1.8e6, name="e.npz")).rules()
    with pytest.raises(ValueError, match="nphotons_factor"):
        check_file(path, nphotons_factor=1)
    (tmp_path / "pyproject.toml").write_text("[tool.npzcontract]\nnphotons_factor = 3\n")
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    configured = runner.invoke(cli, ["lint", str(path)])
    assert configured.exit_code == 0, configured.output
    optioned = runner.invoke(cli, ["lint", "--nphotons-factor", "2", str(path)])
    assert optioned.exit_code == 1 and RULE in optioned.output
    bad = runner.invoke(cli, ["lint", "--nphotons-factor", "0.5", str(path)])
    assert bad.exit_code == 2 and "--nphotons-factor" in bad.output


def test_never_fires_when_the_estimate_is_undetermined(tmp_path):
    ds = simulate_dataset(n_images=8, N=64, nphotons=1e6, seed=0)
    arrays = dict(ds.arrays)
    n, h, w = arrays["diffraction"].shape
    # 2x2-binned amplitudes, upsampled back to N: no lattice left
    binned = arrays["diffraction"].reshape(n, h // 2, 2, w // 2, 2).sum(axis=(2, 4))
    arrays["diffraction"] = np.repeat(np.repeat(binned, 2, axis=1), 2, axis=2) / 4
    meta = create_metadata({"nphotons": 1e9, "N": 64}, "test")
    report = check_arrays(arrays, meta, mode="strict")
    assert RULE not in report.rules()
    assert RULE not in check_file(lie(tmp_path, 1e9), values=False).rules()


def test_counts_profile_and_in_memory_arrays_are_judged_too(tmp_path):
    path = write_dataset(tmp_path / "raw.npz", nphotons=1e4, legacy=("diff3d", "uint16"),
                         metadata={"physics_parameters": {"nphotons": 1e7}})
    report = check_file(path, mode="warn", profile="raw")
    assert [f.key for f in report.findings if f.rule == RULE] == ["diff3d"]
    arrays, meta = load_npz(lie(tmp_path, 1e9, name="m.npz"))
    assert RULE in check_arrays(arrays, meta).rules()


def test_merged_files_are_judged_per_source(tmp_path):
    low = simulate_dataset(n_images=8, N=64, nphotons=1e4, seed=3)
    high = simulate_dataset(n_images=8, N=64, nphotons=1e8, seed=4)
    arrays = {k: np.concatenate([low.arrays[k], high.arrays[k]])
              for k in ("diffraction", "xcoords", "ycoords")}
    arrays.update(objectGuess=low.arrays["objectGuess"], probeGuess=low.arrays["probeGuess"],
                  source_index=np.repeat(np.arange(2), 8))

    def merged(second: float) -> dict:
        meta = create_metadata({"N": 64}, "merge")
        meta["source_datasets"] = [
            {"index": 0, "path": "low.npz", "nphotons": 1e4},
            {"index": 1, "path": "high.npz",
             "metadata": {"physics_parameters": {"nphotons": second}}}]
        return meta

    save_npz(tmp_path / "good.npz", arrays, merged(1e8))
    assert RULE not in check_file(tmp_path / "good.npz").rules()
    save_npz(tmp_path / "bad.npz", arrays, merged(1e6))
    (finding,) = [f for f in check_file(tmp_path / "bad.npz").findings if f.rule == RULE]
    assert finding.message.startswith("source 1 (high.npz) records nphotons=1e+06")
