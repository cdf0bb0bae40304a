"""Mixed doses: a profile whose reader takes one nphotons per file (raw, train) refuses a merge
of several doses unless one is chosen, and a file whose frames hold several doses is an error
there; canonical keeps each source's dose (source_index). Every message names each source's
estimate."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from pytest_npzcontract import check_file, load_npz
from pytest_npzcontract.contract.profiles import PROFILES
from pytest_npzcontract.physics.factory import write_dataset
from pytest_npzcontract.tools.merge import MergeError, merge_files


def _cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "pytest_npzcontract.cli.main", *args],
                          cwd=cwd, capture_output=True, text=True, timeout=120)


@pytest.fixture
def raw_pair(tmp_path):
    a = write_dataset(tmp_path / "a_1e6.npz", n_images=24, nphotons=1e6, seed=1, profile="raw")
    b = write_dataset(tmp_path / "b_1e9.npz", n_images=24, nphotons=1e9, seed=1, profile="raw")
    return a, b


def test_profiles_declare_whether_their_reader_takes_one_dose():
    assert {n: p.single_dose for n, p in PROFILES.items()} == {
        "canonical": False, "train": True, "raw": True, "count-intensity": False}


def test_a_raw_merge_of_two_doses_is_refused_naming_each_estimate(tmp_path, raw_pair):
    with pytest.raises(MergeError) as info:
        merge_files(raw_pair, tmp_path / "m.npz", profile="raw")
    message = str(info.value)
    assert "one nphotons per file" in message
    assert "a_1e6.npz records 1e+06, estimated 9.9" in message
    assert "b_1e9.npz records 1e+09, estimated 1e+09" in message
    assert not (tmp_path / "m.npz").exists()


def test_the_cli_refuses_it_too_and_an_explicit_dose_is_recorded(tmp_path, raw_pair):
    refused = _cli("merge", *map(str, raw_pair), "-o", "m.npz", "--profile", "raw",
                   cwd=tmp_path)
    assert refused.returncode == 1 and "one nphotons per file" in refused.stderr
    assert "nothing written" in refused.stderr and not (tmp_path / "m.npz").exists()
    chosen = _cli("merge", *map(str, raw_pair), "-o", "m.npz", "--profile", "raw",
                  "--nphotons", "1e6", cwd=tmp_path)
    assert chosen.returncode == 0, chosen.stderr
    _, meta = load_npz(tmp_path / "m.npz")
    assert meta["physics_parameters"]["nphotons"] == 1e6
    assert meta["merge_info"]["nphotons_chosen"] == 1e6
    assert meta["data_transformations"][-1]["parameters"]["nphotons"] == 1e6
    assert check_file(tmp_path / "m.npz", profile="raw").ok


def test_a_per_source_merge_judged_by_a_single_dose_reader_is_an_error(tmp_path):
    lo = write_dataset(tmp_path / "lo.npz", n_images=24, nphotons=1e6, seed=2, profile="train")
    hi = write_dataset(tmp_path / "hi.npz", n_images=24, nphotons=1e9, seed=2, profile="train")
    merged = tmp_path / "m.npz"
    merge_files([lo, hi], merged, profile="canonical")
    assert check_file(merged, profile="canonical").ok           # each source keeps its dose
    for mode in ("strict", "warn", "permissive"):
        found = [f for f in check_file(merged, profile="train", mode=mode).findings
                 if f.rule == "mixed-dose"]
        assert len(found) == 1 and found[0].severity == "error"
    message = found[0].message
    assert "train profile's reader takes one nphotons per file" in message
    assert "source 0" in message and "lo.npz" in message and "records 1e+06" in message
    assert "source 1" in message and "hi.npz" in message and "estimated 1e+09" in message


def test_a_dose_lie_in_a_merge_names_every_source(tmp_path):
    lo = write_dataset(tmp_path / "lo.npz", n_images=24, nphotons=1e6, seed=2)
    hi = write_dataset(tmp_path / "hi.npz", n_images=24, nphotons=1e9, seed=2)
    merged = tmp_path / "m.npz"
    merge_files([lo, hi], merged)
    arrays, meta = load_npz(merged)
    meta["source_datasets"][0]["nphotons"] = 1e9                # lie about source 0
    meta["source_datasets"][0]["metadata"]["physics_parameters"]["nphotons"] = 1e9
    members = {**arrays, "_metadata": np.array(json.dumps(meta))}
    with open(tmp_path / "lie.npz", "wb") as fh:
        np.savez(fh, **members)
    found = [f for f in check_file(tmp_path / "lie.npz").findings
             if f.rule == "nphotons-inconsistent"]
    assert len(found) == 1
    assert "per source: source 0" in found[0].message and "source 1" in found[0].message
    assert found[0].message.count("estimated") == 2
