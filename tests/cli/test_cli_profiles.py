"""``npzcontract lint`` with profiles (option, per-path globs, custom ones) and parameter-missing."""

from __future__ import annotations

import json
from pathlib import Path

import clirun
import pytest

from pytest_npzcontract import load_npz, save_npz
from pytest_npzcontract.physics.factory import write_dataset


def lint(*args: str, cwd: Path) -> object:
    return clirun.lint(*args, cwd=cwd)


def _no_nphotons(path: Path) -> Path:
    arrays, meta = load_npz(write_dataset(path))
    del meta["physics_parameters"]["nphotons"]
    save_npz(path, arrays, meta)
    return path


@pytest.mark.parametrize(("args", "code", "severity"), [
    ((), 1, "error"),
    (("--expect", "nphotons=1e6"), 1, "error"),
    (("--mode", "warn"), 0, "warning"),
    (("--mode", "warn", "--expect", "nphotons=1e6"), 0, "warning"),
    (("--mode", "permissive"), 0, None),
    (("--mode", "permissive", "--expect", "nphotons=1e6"), 0, None),
])
def test_a_dataset_without_nphotons_fails_strict_lint(tmp_path, args, code, severity):
    path = _no_nphotons(tmp_path / "nophot.npz")
    result = lint("--no-config", "--format", "json", *args, path, cwd=tmp_path)
    assert result.exit_code == code, result.output
    found = [(f["rule"], f["severity"]) for f in json.loads(result.stdout)["findings"]]
    assert found == ([("parameter-missing", severity)] if severity else [])


def _project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text('''
[tool.npzcontract.profiles]
"data/**" = "canonical"
"data/raw/**" = "raw"
"data/train/*.npz" = "fly"

[tool.npzcontract.custom-profiles.fly]
extends = "train"
require = ["scan_index"]
''')
    write_dataset(tmp_path / "data" / "raw" / "scan1.npz", profile="raw")
    write_dataset(tmp_path / "data" / "train" / "fly64.npz", profile="train")
    write_dataset(tmp_path / "data" / "sim.npz")
    write_dataset(tmp_path / "data" / "counts.npz", profile="count-intensity", nphotons=1e6)
    return tmp_path


def test_per_path_profiles_from_pyproject(tmp_path):
    root = _project(tmp_path)
    result = lint("--format", "json", "data", cwd=root)
    # counts.npz is canonical here: the lattice proves counts under an amplitude key
    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)
    assert {(f["rule"], f["severity"]) for f in data["findings"]} == {
        ("intensity-not-amplitude", "error"), ("not-normalized", "warning")}
    profiles = {Path(f["file"]).name: f["profile"] for f in data["files"]}
    assert profiles == {"scan1.npz": "raw", "fly64.npz": "fly", "sim.npz": "canonical",
                        "counts.npz": "canonical"}
    assert {Path(f["file"]).name for f in data["findings"]} == {"counts.npz"}
    assert data["settings"]["profiles"]["data/raw/**"] == "raw"
    text = lint("data", cwd=root).stdout
    assert "checked against profile raw: 1 file (data/raw/scan1.npz)" in text


def test_the_profile_option_applies_to_every_file(tmp_path):
    root = _project(tmp_path)
    result = lint("--format", "json", "--profile", "raw", "data", cwd=root)
    profiles = {f["profile"] for f in json.loads(result.stdout)["files"]}
    assert profiles == {"raw"}
    one = lint("--profile", "fly", "data/train", cwd=root)
    assert one.exit_code == 0 and "checked against profile fly" in one.stdout


def test_without_a_named_profile_the_scaling_pair_decides(tmp_path):
    write_dataset(tmp_path / "counts.npz", profile="count-intensity", nphotons=1e6)
    result = lint("--no-config", "counts.npz", cwd=tmp_path)
    assert result.exit_code == 0 and "checked against profile count-intensity" in result.stdout


def test_parallel_workers_use_the_per_file_profiles(tmp_path):
    root = _project(tmp_path)
    serial = json.loads(lint("--format", "json", "data", cwd=root).stdout)
    parallel = json.loads(lint("--format", "json", "-j", "2", "data", cwd=root).stdout)
    assert serial["files"] == parallel["files"]


@pytest.mark.parametrize(("text", "message"), [
    ('[tool.npzcontract.profiles]\n"a/**" = "fancy"\n', "unknown profile 'fancy'"),
    ('[tool.npzcontract]\nprofile = "fancy"\n', "profile: unknown profile 'fancy'"),
    ('[tool.npzcontract.custom-profiles.raw]\nextends = "canonical"\n', "'raw' is a built-in"),
    ('[tool.npzcontract.custom-profiles.x]\nextends = "canonical"\ndrop = ["nope"]\n',
     "cannot drop 'nope'"),
])
def test_bad_profile_configuration_is_a_one_line_error(tmp_path, text, message):
    (tmp_path / "pyproject.toml").write_text(text)
    write_dataset(tmp_path / "x.npz")
    result = lint("x.npz", cwd=tmp_path)
    assert result.exit_code == 2 and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
