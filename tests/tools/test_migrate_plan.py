"""``migrate --nphotons estimate`` and batch ``migrate --plan`` on a folder of mixed legacy files:
estimates recorded with method and uncertainty, a failing entry left untouched, the rest done."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from pytest_npzcontract.cli import cli
from pytest_npzcontract.contract.checker import check_file
from pytest_npzcontract.io.reader import load_npz
from pytest_npzcontract.metadata.model import sha256_file
from pytest_npzcontract.physics.factory import write_dataset
from pytest_npzcontract.physics.simulate import simulate_dataset
from pytest_npzcontract.tools.migrate_plan import PlanError, read_plan


def migrate(*args: str):
    return CliRunner().invoke(cli, ["migrate", *map(str, args)])


def truth(nphotons: float, n: int, seed: int) -> float:
    return simulate_dataset(n_images=n, N=64, nphotons=nphotons, seed=seed).photons_per_pattern


def noise_free(n: int = 8) -> np.ndarray:
    ds = simulate_dataset(n_images=n, N=64, nphotons=1e6, seed=0)
    waves = ds.arrays["Y"].astype(np.complex128) * ds.arrays["probeGuess"]
    far = np.abs(np.fft.fftshift(np.fft.fft2(ds.scale * waves), axes=(1, 2))) / 64
    return (far / ds.scale).astype(np.float32)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """Mixed legacy files: no metadata (sqrt counts), raw uint16 counts under diff3d, pickled
    metadata that records its dose, and a noise-free file whose dose cannot be read."""
    legacy = tmp_path / "legacy"
    write_dataset(legacy / "bare.npz", metadata=False, nphotons=1e6, n_images=8, seed=1)
    write_dataset(legacy / "raw.npz", metadata=False, nphotons=1e4, n_images=8, seed=2,
                  legacy=("diff3d", "uint16"), overrides={"nphotons": np.array(1e4)})
    write_dataset(legacy / "pickled.npz", nphotons=1e5, n_images=8, seed=3,
                  legacy=("pickled-metadata", "4d-Y"))
    write_dataset(legacy / "flat.npz", metadata=False, n_images=8,
                  overrides={"diffraction": noise_free()})
    return legacy


def test_nphotons_estimate_fills_the_dose_and_records_how(folder: Path, tmp_path: Path):
    out = tmp_path / "out"
    out.mkdir()
    before = sha256_file(folder / "flat.npz")
    files = sorted(folder.glob("*.npz"))
    result = migrate(*files, "-o", out, "--sqrt", "--nphotons", "estimate")
    assert result.exit_code == 1, result.output      # flat.npz is refused
    assert "cannot estimate nphotons from diffraction: no photon-count lattice" in result.output
    assert not (out / "flat.npz").exists() and sha256_file(folder / "flat.npz") == before
    assert "note: nphotons already recorded (100000); not estimated" in result.output

    arrays, meta = load_npz(out / "bare.npz")
    assert meta["physics_parameters"]["nphotons"] == pytest.approx(truth(1e6, 8, 1), rel=0.02)
    record = meta["data_transformations"][-1]
    assert record["operation"] == "metadata_estimation" and record["tool"] == "npzcontract migrate"
    params = record["parameters"]
    assert params["method"] == "lattice" and 0 < params["relative_uncertainty"] < 0.01
    assert params["patterns"] == 8 and params["value"] == meta["physics_parameters"]["nphotons"]
    assert meta["data_transformations"][0]["operation"] == "migrate_legacy"

    _, raw = load_npz(out / "raw.npz")   # a legacy nphotons array is kept, never estimated over
    assert [r["operation"] for r in raw["data_transformations"]] == ["migrate_legacy"]
    _, pickled = load_npz(out / "pickled.npz")
    assert pickled["physics_parameters"]["nphotons"] == 1e5
    for name in ("bare.npz", "raw.npz", "pickled.npz"):
        report = check_file(out / name, mode="strict")
        assert "nphotons-inconsistent" not in report.rules(), report.findings


def test_counts_are_estimated_exactly(tmp_path: Path):
    path = write_dataset(tmp_path / "c.npz", metadata=False, nphotons=1e4, n_images=8, seed=7,
                         legacy=("diff3d", "uint16"))
    arrays, _ = load_npz(path)
    result = migrate(path, "--in-place", "--sqrt", "--nphotons", "estimate")
    assert result.exit_code == 0, result.output
    _, meta = load_npz(path)
    exact = float(arrays["diff3d"].astype(np.int64).sum()) / 8
    assert meta["physics_parameters"]["nphotons"] == exact
    assert meta["data_transformations"][-1]["parameters"]["method"] == "counts"


def test_nphotons_refuses_other_words(tmp_path: Path):
    result = migrate(tmp_path, "--nphotons", "guess", "--dry-run")
    assert result.exit_code == 2


PLAN_YAML = """\
defaults:
  sqrt: true
datasets:
  - path: legacy/bare.npz
    nphotons: estimate
    gridsize: 1
    data_source: "synthetic"
  - path: legacy/raw.npz
    output: migrated/raw.npz
    gridsize: 2
    data_source: "experimental"
  - path: legacy/pickled.npz
  - path: legacy/flat.npz
    nphotons: estimate
  - path: legacy/missing.npz
    nphotons: 1e6
"""


def test_plan_migrates_every_entry_it_can_and_leaves_failures_untouched(folder: Path,
                                                                       tmp_path: Path,
                                                                       monkeypatch):
    plan = tmp_path / "migration_config.yaml"
    plan.write_text(PLAN_YAML)
    flat_before = sha256_file(folder / "flat.npz")
    raw_before = sha256_file(folder / "raw.npz")
    monkeypatch.chdir(folder)           # paths are relative to the plan, not the cwd

    check = migrate("--plan", plan, "--check")
    assert check.exit_code == 1
    assert "check only: nothing written" in check.output
    assert sha256_file(folder / "raw.npz") == raw_before
    assert not (tmp_path / "migrated").exists()

    result = migrate("--plan", plan)
    assert result.exit_code == 1, result.output
    table = result.output[result.output.index("#  file"):].splitlines()
    assert [line.split()[0] for line in table[1:6]] == ["1", "2", "3", "4", "5"]
    assert "migrated" in table[1] and "migrated" in table[2] and "migrated" in table[3]
    assert "failed" in table[4] and "failed" in table[5]
    assert table[-1] == "5 file(s): 3 migrated, 2 failed"
    assert sha256_file(folder / "flat.npz") == flat_before
    assert sha256_file(folder / "raw.npz") == raw_before          # went to its output

    _, bare = load_npz(folder / "bare.npz")
    assert bare["physics_parameters"]["gridsize"] == 1
    assert bare["simulation_parameters"]["data_source"] == "synthetic"
    assert bare["data_transformations"][-1]["operation"] == "metadata_estimation"
    _, raw = load_npz(tmp_path / "migrated" / "raw.npz")
    assert raw["physics_parameters"] == {"nphotons": 1e4, "gridsize": 2, "N": 64}
    assert raw["simulation_parameters"]["data_source"] == "experimental"
    for path in (folder / "bare.npz", tmp_path / "migrated" / "raw.npz",
                 folder / "pickled.npz"):
        assert check_file(path, mode="strict").ok, check_file(path).findings

    again = migrate("--plan", plan)        # idempotent: the done files are canonical now
    assert "1  legacy/bare.npz" in again.output and "canonical" in again.output


def test_toml_plans_and_plan_errors_change_nothing(folder: Path, tmp_path: Path):
    plan = tmp_path / "plan.toml"
    plan.write_text('[[datasets]]\npath = "legacy/bare.npz"\nnphotons = 1e6\n\n'
                    '[[datasets]]\npath = "legacy/raw.npz"\nsqrt = true\nnphotons = "1e4"\n')
    entries = read_plan(plan)
    assert [e.options.nphotons for e in entries] == [1e6, 1e4]
    assert entries[0].path == folder / "bare.npz" and entries[1].options.sqrt is True
    result = migrate("--plan", plan)
    assert result.exit_code == 0, result.output
    assert load_npz(folder / "bare.npz")[1]["physics_parameters"]["nphotons"] == 1e6

    before = {p.name: sha256_file(p) for p in folder.glob("*.npz")}
    for text, message in [
        ("datasets:\n  - path: legacy/flat.npz\n    nphoton: 3\n", "unknown key(s) nphoton"),
        ("datasets:\n  - path: legacy/flat.npz\n    nphotons: -3\n", "'nphotons' must be"),
        ("datasets:\n  - output: x.npz\n", "'path'"),
        ("datasets:\n  - {path: legacy/a.npz, output: o.npz}\n  - {path: legacy/b.npz, "
         "output: o.npz}\n", "both write"),
        ("datasets: []\n", "non-empty"),
        ("datasets: [\n", "invalid YAML"),
    ]:
        bad = tmp_path / "bad.yaml"
        bad.write_text(text)
        result = migrate("--plan", bad)
        assert result.exit_code == 2 and message in result.output, (text, result.output)
        assert len(result.output.strip().splitlines()) == 1
    assert {p.name: sha256_file(p) for p in folder.glob("*.npz")} == before
    assert migrate("--plan", plan, "--sqrt").exit_code == 2
    assert migrate("--check", folder / "bare.npz").exit_code == 2


def test_yaml_plans_need_pyyaml_and_say_so(tmp_path: Path, monkeypatch):
    plan = tmp_path / "p.yaml"
    plan.write_text("datasets:\n  - path: a.npz\n")
    monkeypatch.setitem(sys.modules, "yaml", None)
    with pytest.raises(PlanError, match=r"pip install '\.\[yaml\]' in the pytest-npzcontract checkout"):
        read_plan(plan)
