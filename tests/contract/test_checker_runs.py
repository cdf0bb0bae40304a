"""check_file and check_arrays end to end: the report's keys, profile and transfer, progress
callbacks, members no check reads, object arrays, values=False, and arguments refused."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest
from rawnpz import valid_arrays, valid_metadata, write_members

from pytest_npzcontract import check_arrays, check_file


@pytest.fixture(scope="module")
def base():
    return valid_arrays()


def meta_json(meta=None):
    return np.array(json.dumps(valid_metadata() if meta is None else meta))


def test_a_valid_file_reports_its_keys_and_profile(tmp_path, base):
    path = write_members(tmp_path / "v.npz", dict(base, _metadata=meta_json()))
    report = check_file(path, mode="strict")
    assert report.ok and report.findings == [] and report.profile == "canonical"
    assert set(report.keys) == set(base) | {"_metadata"}
    assert report.keys["diffraction"]["shape"] == [4, 64, 64]
    assert report.file == str(path)
    memory = check_arrays(base, valid_metadata(), name="mem")
    assert memory.file == "mem" and memory.findings == []
    assert memory.keys["diffraction"] == {"shape": [4, 64, 64], "dtype": "<f4"}
    assert "_metadata" not in memory.keys


def test_progress_counts_every_decompressed_byte(tmp_path, base):
    path = write_members(tmp_path / "v.npz", dict(base, _metadata=meta_json()))
    seen = []
    check_file(path, on_progress=seen.append)
    data_bytes = sum(a.nbytes for k, a in base.items() if k in
                     ("diffraction", "objectGuess", "probeGuess", "xcoords", "ycoords",
                      "scan_index", "Y"))
    assert seen and all(n > 0 for n in seen)
    assert data_bytes <= sum(seen) <= data_bytes + 128 * len(base)   # + the .npy headers
    assert check_file(path, values=False, on_progress=seen.append).ok


def test_a_corrupt_member_no_check_reads_is_still_found(tmp_path, base):
    members = dict(base, _metadata=meta_json(), extra=np.arange(5000.0))
    path = write_members(tmp_path / "c.npz", members, compressed=False)
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("extra.npy")
    raw = bytearray(path.read_bytes())
    raw[info.header_offset + 30 + len("extra.npy") + 500] ^= 0xFF
    path.write_bytes(bytes(raw))
    report = check_file(path, mode="warn")
    found = [(f.rule, f.key, f.message) for f in report.findings if f.key == "extra"]
    assert found == [("unreadable", "extra", "while reading data: member 'extra.npy': CRC "
                      "mismatch: the bytes changed after writing")]
    assert check_file(path, values=False).ok          # structural checks read no data


def test_object_arrays_are_refused_by_name(tmp_path, base):
    boxed = np.empty(2, dtype=object)
    boxed[:] = [1, "a"]
    path = write_members(tmp_path / "o.npz", dict(base, _metadata=meta_json(), labels=boxed))
    report = check_file(path, mode="warn")
    assert [(f.rule, f.key, f.message) for f in report.findings
            if f.rule == "unsafe-object-array"] == [
        ("unsafe-object-array", "labels", "object array (dtype object) can only be loaded "
         "with pickle enabled, which runs code from the file")]


def test_values_false_skips_the_value_rules(base):
    bad = dict(base, diffraction=np.full((4, 64, 64), np.nan, np.float32))
    assert "non-finite" in check_arrays(bad, valid_metadata()).rules()
    assert "non-finite" not in check_arrays(bad, valid_metadata(), values=False).rules()


def test_the_scaling_pair_chooses_the_profile_and_a_bad_pair_is_said(base):
    meta = valid_metadata()
    meta["physics_parameters"].update(scale_contract_version="ci_intensity_v2",
                                      measurement_domain="count_intensity")
    assert check_arrays(base, meta, mode="warn").profile == "count-intensity"
    assert check_arrays(base, meta, mode="warn", profile="train").profile == "train"
    meta["physics_parameters"]["measurement_domain"] = "volts"
    report = check_arrays(base, meta, mode="warn")
    assert report.profile == "canonical"
    (f,) = [f for f in report.findings if f.rule == "scale-contract"]
    assert f.key == "_metadata" and f.message.startswith("unknown scaling pair: "
                                                         "'ci_intensity_v2' / 'volts'")


def test_a_missing_file_is_a_finding(tmp_path):
    report = check_file(tmp_path / "nope.npz")
    assert not report.ok and report.profile == "canonical"
    assert [f.rule for f in report.findings] == ["unreadable"]


@pytest.mark.parametrize("kwargs, said", [
    ({"mode": "loud"}, "loud"), ({"profile": "nope"}, "unknown profile 'nope'"),
    ({"rule_levels": {"x": "off"}}, "unknown rule id 'x'"),
    ({"nphotons_factor": 1}, "nphotons_factor must be a finite number > 1, not 1"),
])
def test_bad_arguments_raise(tmp_path, base, kwargs, said):
    with pytest.raises(ValueError, match=said):
        check_arrays(base, valid_metadata(), **kwargs)
    with pytest.raises(ValueError, match=said):
        check_file(tmp_path / "x.npz", **kwargs)
