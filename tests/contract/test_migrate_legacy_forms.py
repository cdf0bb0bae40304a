"""``npzcontract migrate`` on each built-in profile's legacy forms: the output passes its
profile and the reference loader of that profile (the table in ``test_reference_loaders.py``)
reads it; a file keeps its form unless ``--to`` converts it; nothing is written when the output
would not pass."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from test_reference_loaders import LOADERS, loads

from pytest_npzcontract.cli import cli
from pytest_npzcontract.io.reader import load_npz
from pytest_npzcontract.physics.factory import write_dataset
from pytest_npzcontract.tools.migrate import array_digest

NAMES = ("canonical", "train", "raw", "count-intensity")
LOADER_OF = {loader.profile: name for name, loader in LOADERS.items()}
FRAMES = {"canonical": "diffraction", "train": "diffraction", "raw": "diff3d",
          "count-intensity": "diffraction"}
CONFIG = "[tool.npzcontract]\n[tool.npzcontract.profiles]\n" + "".join(
    f'"{name}/**" = "{name}"\n' for name in NAMES)
#: RawData.from_file in the reference version read for this test indexes all eight keys.
RAW_KEYS = ("xcoords", "ycoords", "xcoords_start", "ycoords_start", "diff3d", "probeGuess",
            "objectGuess", "scan_index")


def invoke(*args: object):
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture
def project(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text(CONFIG)
    return tmp_path


def pickled(metadata: dict) -> np.ndarray:
    holder = np.empty((), dtype=object)
    holder[()] = metadata
    return holder


def legacy(profile: str, name: str = "x.npz") -> tuple[Path, dict]:
    """A file clean under ``profile`` put in every legacy form that profile can carry:
    pickled unversioned metadata, a top-level nphotons, 4-D Y, a complex128 probe, float64
    frames stored (H, W, n)."""
    path = write_dataset(Path(profile) / name, profile=profile, nphotons=1e4, seed=3)
    arrays, metadata = load_npz(path)
    clean = dict(arrays)
    key = FRAMES[profile]
    arrays[key] = np.ascontiguousarray(np.transpose(arrays[key], (1, 2, 0)).astype(np.float64))
    arrays["Y"] = arrays["Y"][..., None]
    arrays["probeGuess"] = arrays["probeGuess"].astype(np.complex128)
    arrays["nphotons"] = np.array(metadata["physics_parameters"]["nphotons"])
    metadata.pop("schema_version", None)
    with open(path, "wb") as fh:
        np.savez(fh, **arrays, _metadata=pickled(metadata))
    return path, clean


def lint(path: Path, *extra: str):
    return invoke("lint", "--no-cache", path, *extra)


@pytest.mark.parametrize("profile", NAMES)
def test_each_profile_s_legacy_forms_migrate_to_a_file_its_loader_reads(project, profile):
    path, clean = legacy(profile)
    assert lint(path).exit_code == 1
    result = invoke("migrate", "--in-place", path)
    assert result.exit_code == 0, result.output
    after = lint(path)
    assert after.exit_code == 0 and "0 errors, 0 warnings" in after.output, after.output
    assert f"checked against profile {profile}" in after.output
    assert loads(path, LOADERS[LOADER_OF[profile]]) == []
    arrays, metadata = load_npz(path)
    assert sorted(arrays) == sorted(clean)              # the form is kept: no key renamed
    key = FRAMES[profile]
    assert np.array_equal(arrays[key], clean[key].astype(np.float64).astype(np.float32))
    for name in set(clean) - {key}:
        assert array_digest(arrays[name]) == array_digest(clean[name]), name
    kinds = [c["kind"] for c in metadata["data_transformations"][-1]["parameters"]
             ["conversions"]]
    assert kinds == ["transpose", "cast", "squeeze", "cast", "metadata-encoding", "drop",
                     "schema-version"]


def test_a_raw_file_keeps_diff3d_and_the_reference_raw_reader_s_keys(project):
    path = write_dataset(Path("raw") / "scan.npz", profile="raw", nphotons=1e4, seed=4)
    arrays, metadata = load_npz(path)
    with open(path, "wb") as fh:
        np.savez(fh, **arrays, _metadata=np.array(json.dumps(metadata), dtype=object))
    before = lint(path)
    assert "pickled-metadata" in before.output and "checked against profile raw" in before.output
    result = invoke("migrate", "--in-place", path)
    assert result.exit_code == 0, result.output
    assert "rename" not in result.output
    with np.load(path, allow_pickle=False) as data:
        assert set(RAW_KEYS) <= set(data.files) and "diffraction" not in data.files
        for key in RAW_KEYS:
            assert array_digest(data[key]) == array_digest(arrays[key]), key
    assert lint(path).exit_code == 0


def test_to_converts_between_forms_and_back_bit_for_bit(project):
    path = write_dataset(Path("raw") / "scan.npz", profile="raw", nphotons=1e4, seed=4)
    original, _ = load_npz(path)
    Path("out").mkdir()
    canonical = Path("out") / "canonical.npz"
    to = invoke("migrate", "--to", "canonical", path, "-o", canonical)
    assert to.exit_code == 0 and "rename diff3d -> diffraction" in to.output, to.output
    assert lint(canonical).exit_code == 0
    assert loads(canonical, LOADERS["canonical contract"]) == []
    back = Path("out") / "raw.npz"
    again = invoke("migrate", "--to", "raw", "--profile", "canonical", canonical, "-o", back)
    assert again.exit_code == 0 and "rename diffraction -> diff3d" in again.output
    assert "note: lint checks out/raw.npz against profile canonical, not raw" in again.output
    assert lint(back, "--profile", "raw").exit_code == 0
    restored, _ = load_npz(back)
    assert {k: array_digest(v) for k, v in restored.items()} == {
        k: array_digest(v) for k, v in original.items()}


def test_to_train_fills_the_start_coordinates_from_the_scan_positions(project):
    path = write_dataset(Path("canonical") / "c.npz", nphotons=1e4, seed=5)
    out = Path("train") / "t.npz"
    out.parent.mkdir()
    result = invoke("migrate", "--to", "train", path, "-o", out)
    assert result.exit_code == 0, result.output
    assert "copy xcoords -> xcoords_start" in result.output
    assert lint(out).exit_code == 0 and loads(out, LOADERS["load_data"]) == []
    arrays, _ = load_npz(out)
    assert np.array_equal(arrays["xcoords_start"], arrays["xcoords"])


@pytest.mark.parametrize(("source", "target"), [("raw", "count-intensity"),
                                                ("count-intensity", "canonical")])
def test_conversions_between_amplitudes_and_counts_are_refused(project, source, target):
    path = write_dataset(Path(source) / "x.npz", profile=source, nphotons=1e4, seed=6)
    before = path.read_bytes()
    result = invoke("migrate", "--to", target, "--in-place", path)
    assert result.exit_code == 1
    assert f"error: cannot convert {source} to {target}" in result.output
    assert path.read_bytes() == before


def test_an_unknown_target_is_a_usage_error(project):
    path = write_dataset(Path("raw") / "x.npz", profile="raw")
    result = invoke("migrate", "--to", "rwa", "--in-place", path)
    assert result.exit_code == 2
    assert "--to: unknown profile 'rwa' (choose from canonical, train, raw, count-intensity" \
        in result.output


def test_integer_counts_stay_counts_under_count_intensity(project):
    path = write_dataset(Path("count-intensity") / "x.npz", profile="count-intensity",
                         nphotons=1e4, seed=7)
    arrays, metadata = load_npz(path)
    counts = arrays["diffraction"].astype(np.uint16)
    with open(path, "wb") as fh:
        np.savez(fh, **{**arrays, "diffraction": counts},
                 _metadata=pickled(metadata))
    result = invoke("migrate", "--in-place", "--sqrt", path)
    assert result.exit_code == 0, result.output
    assert "note: --sqrt not applied: profile count-intensity stores photon counts" in (
        result.output)
    after, _ = load_npz(path)
    assert after["diffraction"].dtype == np.uint16
    assert np.array_equal(after["diffraction"], counts)
    assert lint(path).exit_code == 0


def _nan_coords(profile: str) -> Path:
    path = write_dataset(Path(profile) / "nan.npz", profile=profile, nphotons=1e4, seed=8)
    arrays, metadata = load_npz(path)
    arrays["xcoords"] = arrays["xcoords"].copy()
    arrays["xcoords"][0] = np.nan
    with open(path, "wb") as fh:
        np.savez(fh, **arrays, _metadata=pickled(metadata))
    return path


@pytest.mark.parametrize("how", [["--in-place"], ["--dry-run"], ["-o", "out.npz"]])
def test_an_output_that_would_not_pass_is_not_written(project, how):
    path = _nan_coords("raw")
    before = path.read_bytes()
    result = invoke("migrate", path, *how)
    assert result.exit_code == 1
    assert "error: the output would not pass profile raw: [xcoords] non-finite" in result.output
    assert path.read_bytes() == before
    assert not Path("out.npz").exists()


@pytest.mark.parametrize("check", [True, False])
def test_a_plan_entry_whose_output_would_not_pass_is_not_written(project, check):
    path = _nan_coords("raw")
    good, _ = legacy("canonical", "good.npz")
    before = {p: p.read_bytes() for p in (path, good)}
    Path("plan.toml").write_text('[[datasets]]\npath = "raw/nan.npz"\n'
                                 '[[datasets]]\npath = "canonical/good.npz"\n')
    result = invoke("migrate", "--plan", "plan.toml", *(["--check"] if check else []))
    assert result.exit_code == 1, result.output
    assert "error: the output would not pass profile raw: [xcoords] non-finite" in result.output
    assert path.read_bytes() == before[path]
    assert (good.read_bytes() == before[good]) is check
    assert ("would migrate" if check else "migrated") in result.output


def test_plan_entries_name_the_target_and_the_file_s_profile(project):
    raw = write_dataset(Path("raw") / "scan.npz", profile="raw", nphotons=1e4, seed=9)
    other = write_dataset(Path("elsewhere") / "scan.npz", profile="raw", nphotons=1e4, seed=9)
    Path("out").mkdir()
    Path("plan.toml").write_text(
        '[[datasets]]\npath = "raw/scan.npz"\nto = "canonical"\noutput = "out/c.npz"\n'
        '[[datasets]]\npath = "elsewhere/scan.npz"\nprofile = "raw"\n')
    before = other.read_bytes()
    result = invoke("migrate", "--plan", "plan.toml")
    assert result.exit_code == 0, result.output
    assert "rename diff3d -> diffraction" in result.output
    assert "already in the raw form" in result.output and other.read_bytes() == before
    assert sorted(load_npz("out/c.npz")[0]) == sorted(
        k.replace("diff3d", "diffraction") for k in load_npz(raw)[0])


@pytest.mark.parametrize(("args", "message"), [
    (["--plan", "plan.toml", "--profile", "raw"], "do not combine it with --profile"),
    (["--plan", "plan.toml", "--to", "raw"], "--nphotons, --N, --gridsize or --to"),
    (["--plan", "bad.toml"], "datasets entry 1: 'to': unknown profile 'rwa'"),
    (["raw/x.npz", "--dry-run", "--profile", "rwa"], "--profile: unknown profile 'rwa'"),
])
def test_profile_options_are_checked_before_anything_is_read(project, args, message):
    write_dataset(Path("raw") / "x.npz", profile="raw")
    Path("plan.toml").write_text('[[datasets]]\npath = "raw/x.npz"\n')
    Path("bad.toml").write_text('[[datasets]]\npath = "raw/x.npz"\nto = "rwa"\n')
    result = invoke("migrate", *args)
    assert result.exit_code == 2 and message in result.output, result.output
