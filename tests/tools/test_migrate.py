"""``npzcontract migrate``: legacy forms to files that lint clean, arrays preserved bit for bit,
refusals before anything is written, and an in-place run that survives SIGKILL."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from pytest_npzcontract.cli import cli
from pytest_npzcontract.contract.checker import check_file
from pytest_npzcontract.io.reader import load_npz
from pytest_npzcontract.metadata.model import sha256_file
from pytest_npzcontract.physics.factory import write_dataset
from pytest_npzcontract.tools.migrate import MigrateOptions, array_digest, plan_arrays

ROOT = Path(__file__).resolve().parents[2]
LEGACY = ROOT / "fixtures" / "legacy"
SCRIPT = Path(sys.executable).with_name("npzcontract")


def migrate(*args: str):
    return CliRunner().invoke(cli, ["migrate", *map(str, args)])


def digests(path: Path) -> dict[str, str]:
    return {key: array_digest(value) for key, value in load_npz(path)[0].items()}


@pytest.fixture
def migrated(tmp_path: Path) -> Path:
    out = tmp_path / "out"
    out.mkdir()
    result = migrate(*sorted(LEGACY.glob("*.npz")), "-o", out, "--sqrt", "--nphotons", "1e4")
    assert result.exit_code == 0, result.output
    return out


def test_every_legacy_fixture_migrates_to_a_file_that_lints_clean(migrated: Path):
    files = sorted(migrated.glob("*.npz"))
    assert [f.name for f in files] == sorted(f.name for f in LEGACY.glob("*.npz"))
    for path in files:
        report = check_file(path, mode="strict")
        assert report.ok and not report.warnings, (path, report.findings)
        assert report.metadata_encoding == "json-unicode"
    lint = CliRunner().invoke(cli, ["lint", "--no-config", str(migrated)])
    assert lint.exit_code == 0, lint.output


def test_arrays_are_unchanged_except_the_documented_conversions(migrated: Path):
    for source in sorted(LEGACY.glob("*.npz")):
        before, _ = load_npz(source)
        after, metadata = load_npz(migrated / source.name)
        conversions = metadata["data_transformations"][-1]["parameters"]["conversions"]
        kinds = {c["kind"] for c in conversions}
        if "diff3d" in before:
            assert "rename" in kinds
            before["diffraction"] = before.pop("diff3d")
        if "nphotons" in before:
            assert {"kind": "drop", "key": "nphotons",
                    "moved_to": "physics_parameters.nphotons"} in conversions
            assert metadata["physics_parameters"]["nphotons"] == float(before.pop("nphotons"))
        assert set(after) == set(before), source.name
        converted = {c["key"] for c in conversions if c["kind"] in ("cast", "squeeze")}
        for key in set(before) - converted:
            assert array_digest(after[key]) == array_digest(before[key]), (source.name, key)
        if "Y" in converted:
            assert after["Y"].tobytes() == before["Y"].tobytes()
            assert after["Y"].shape == before["Y"].shape[:-1]
        if "diffraction" in converted:
            assert before["diffraction"].dtype == np.uint16
            expected = np.sqrt(before["diffraction"].astype(np.float64)).astype(np.float32)
            assert after["diffraction"].dtype == np.float32
            assert np.array_equal(after["diffraction"], expected)


def test_the_transformation_record_lists_every_conversion_and_the_source(migrated: Path):
    source = LEGACY / "raw_diff3d_uint16.npz"
    _, metadata = load_npz(migrated / source.name)
    record = metadata["data_transformations"][-1]
    assert (record["tool"], record["operation"]) == ("npzcontract migrate", "migrate_legacy")
    assert record["inputs"] == [{"name": source.name, "path": str(source),
                                 "sha256": sha256_file(source)}]
    assert [c["kind"] for c in record["parameters"]["conversions"]] == [
        "rename", "cast", "drop", "metadata-created", "metadata-field", "metadata-field"]
    assert metadata["physics_parameters"] == {"nphotons": 1e4, "N": 64}
    assert metadata["creation_info"]["timestamp"] == "unknown"
    _, kept = load_npz(migrated / "reference_sim.npz")
    _, original = load_npz(LEGACY / "reference_sim.npz")
    assert kept["creation_info"] == original["creation_info"]
    assert kept["physics_parameters"] == original["physics_parameters"]


def test_integer_diffraction_needs_an_explicit_sqrt_choice(tmp_path: Path):
    raw = tmp_path / "raw.npz"
    shutil.copy(LEGACY / "raw_diff3d_uint16.npz", raw)
    before = raw.read_bytes()
    refused = migrate(raw, "--in-place")
    assert refused.exit_code == 2
    assert "diffraction is uint16 (integer counts): choose --sqrt" in refused.stderr
    assert raw.read_bytes() == before
    # declared amplitudes, but the photon lattice proves counts: an error in STRICT
    strict = migrate(raw, "--in-place", "--no-sqrt")
    assert strict.exit_code == 1 and "intensity-not-amplitude" in strict.output
    assert "method counts" in strict.output and raw.read_bytes() == before
    assert migrate(raw, "--in-place", "--no-sqrt", "--mode", "warn").exit_code == 0
    counts, _ = load_npz(LEGACY / "raw_diff3d_uint16.npz")
    cast, _ = load_npz(raw)
    assert np.array_equal(cast["diffraction"], counts["diff3d"].astype(np.float32))


def test_in_place_keeps_permissions_and_a_second_run_has_nothing_to_do(tmp_path: Path):
    path = tmp_path / "sim.npz"
    shutil.copy(LEGACY / "reference_sim.npz", path)
    os.chmod(path, 0o640)
    first = migrate(path, "--in-place")
    assert first.exit_code == 0
    assert "re-encode _metadata pickled-json -> json-unicode" in first.stdout
    assert "verified: 6 array(s) bit-identical, 1 converted" in first.stdout
    assert first.stdout.startswith(f"{path} (in place)\n")
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    second = migrate(path, "--in-place")
    assert second.exit_code == 0
    assert "already canonical" in second.stdout and "nothing written" in second.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sim.npz"]


def test_dry_run_writes_nothing(tmp_path: Path):
    path = tmp_path / "sim.npz"
    shutil.copy(LEGACY / "reference_sim.npz", path)
    before = path.read_bytes()
    result = migrate(path, "--dry-run", "-o", tmp_path / "new.npz")
    assert result.exit_code == 0
    assert "squeeze Y (4, 64, 64, 1) -> (4, 64, 64)" in result.stdout
    assert "nothing written (dry run)" in result.stdout
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sim.npz"]


def test_missing_metadata_needs_nphotons_and_n_defaults_to_the_probe(tmp_path: Path):
    path = tmp_path / "old.npz"
    shutil.copy(LEGACY / "no_metadata.npz", path)
    refused = migrate(path, "--in-place")
    assert refused.exit_code == 2
    assert "the file has no metadata: give --nphotons" in refused.stderr
    before = path.read_bytes()
    wrong = migrate(path, "--in-place", "--nphotons", "2e5", "--gridsize", "2")
    assert wrong.exit_code == 1     # the frames say ~1e4: the output would fail lint
    assert "the output would not pass profile canonical: [diffraction] nphotons-inconsistent" \
        in wrong.stdout
    assert path.read_bytes() == before
    assert migrate(path, "--in-place", "--nphotons", "1e4", "--gridsize", "2").exit_code == 0
    _, metadata = load_npz(path)
    assert metadata["physics_parameters"] == {"nphotons": 1e4, "N": 64, "gridsize": 2}


def test_conflicting_values_are_refused_and_the_file_is_untouched(tmp_path: Path):
    raw = tmp_path / "raw.npz"
    shutil.copy(LEGACY / "raw_diff3d_uint16.npz", raw)
    ref = tmp_path / "ref.npz"
    shutil.copy(LEGACY / "reference_sim.npz", ref)
    before = {p: p.read_bytes() for p in (raw, ref)}
    result = migrate(raw, ref, "--in-place", "--sqrt", "--nphotons", "1e6", "--N", "64")
    assert result.exit_code == 1
    assert "--nphotons 1e+06 disagrees with the file's legacy nphotons array (10000)" in (
        result.stdout)
    assert "metadata records nphotons=10000.0 but --nphotons gives 1e+06" in result.stdout
    assert {p: p.read_bytes() for p in before} == before


def test_unreadable_and_hostile_inputs_fail_without_side_effects(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    broken = ROOT / "fixtures" / "broken"
    result = migrate(broken / "hostile_pickle.npz", broken / "truncated.npz", "--dry-run")
    assert result.exit_code == 1
    assert "hostile_pickle.npz: cannot read: unsafe-object-array" in result.stderr
    assert "truncated.npz: cannot read: unreadable" in result.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("args, message", [
    (["-o", "x.npz", "--in-place"], "--output and --in-place are mutually exclusive"),
    ([], "give --output OUT or --in-place (or --dry-run)"),
])
def test_output_option_errors(args: list[str], message: str):
    result = migrate(LEGACY / "reference_sim.npz", *args)
    assert result.exit_code == 2
    assert result.stderr == f"npzcontract: error: {message}\n"


def test_output_targets(tmp_path: Path):
    two = [LEGACY / "reference_sim.npz", LEGACY / "pickled_dict.npz"]
    file_out = tmp_path / "one.npz"
    assert "must be an existing directory" in migrate(*two, "-o", file_out).stderr
    file_out.write_bytes(b"precious")
    exists = migrate(two[0], "-o", file_out)
    assert exists.exit_code == 2 and "exists; use --force" in exists.stderr
    assert file_out.read_bytes() == b"precious"
    assert migrate(two[0], "-o", file_out, "--force").exit_code == 0
    assert check_file(file_out).ok
    assert migrate(*two, "-o", tmp_path).exit_code == 0
    assert {p.name for p in tmp_path.glob("*.npz")} == {"one.npz", "reference_sim.npz",
                                                       "pickled_dict.npz"}


def test_plans_refuse_what_cannot_be_converted_safely():
    counts = np.array([[[4, 9], [0, 1]]], np.int32)
    both = plan_arrays({"diff3d": counts, "diffraction": counts}, None, None)
    assert "both 'diff3d' and 'diffraction' are present" in both.problems[0].message
    negative = plan_arrays({"diffraction": -counts}, {"physics_parameters": {}}, "json-unicode",
                           MigrateOptions(sqrt=True))
    assert negative.problems[0].message == "diffraction has negative counts; cannot take sqrt"
    complex_ = plan_arrays({"diffraction": counts.astype(np.complex64)}, {}, "json-unicode")
    assert "only integer or real float data can be converted" in complex_.problems[0].message
    wide = plan_arrays({"diffraction": counts.astype(np.float64)},
                       {"physics_parameters": {"nphotons": 1e6}}, "json-unicode")
    assert wide.arrays["diffraction"].dtype == np.float32 and not wide.problems
    assert [c.fields["sqrt"] for c in wide.conversions if c.kind == "cast"] == [False]
    # metadata without schema_version is read as the oldest version and upgraded
    assert [c.kind for c in wide.conversions] == ["cast", "schema-version"]


def test_in_place_migration_killed_at_any_moment_leaves_a_valid_file(tmp_path: Path):
    """SIGKILL at random points: the file is always the original bytes or a verified
    migration, never a mixture; temporary files are never named *.npz."""
    seed_file = write_dataset(tmp_path / "seed.npz", n_images=256, N=64, nphotons=1e4,
                              legacy=("diff3d", "uint16", "pickled-metadata", "4d-Y"))
    original = seed_file.read_bytes()
    original_digest = hashlib.sha256(original).hexdigest()
    outcomes = set()
    for delay in (0.0, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.6, 0.8, 1.2):
        work = tmp_path / f"run{delay}"
        work.mkdir()
        target = work / "data.npz"
        target.write_bytes(original)
        proc = subprocess.Popen([str(SCRIPT), "migrate", str(target), "--in-place", "--sqrt"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        if hashlib.sha256(target.read_bytes()).hexdigest() == original_digest:
            outcomes.add("original")
        else:
            report = check_file(target)
            assert report.ok, report.findings
            outcomes.add("migrated")
        assert [p.name for p in work.glob("*.npz")] == ["data.npz"]
    assert "original" in outcomes
