"""Every ``_metadata`` finding names the key ``_metadata`` and says what it says, on each path
of ``contract/metadata_checks.check_metadata``: a pickled array that fails to decode (two
findings: why, and that it is pickled), notes of decoded metadata (non-finite numbers), a newer
major or minor schema version, schema problems, and N against non-square frames."""

from __future__ import annotations

import json

import numpy as np
import pytest
from rawnpz import valid_arrays, valid_metadata, write_members

from pytest_npzcontract import check_arrays, check_file

PICKLED_TAIL = "); np.load(..., allow_pickle=False) fails on this file"


@pytest.fixture(scope="module")
def base():
    return valid_arrays()


def findings(report, *rules):
    return [(f.rule, f.key, f.severity, f.message) for f in report.findings if f.rule in rules]


def boxed(value):
    out = np.empty((), dtype=object)
    out[()] = value
    return out


def write(tmp_path, base, meta, name="m.npz"):
    return write_members(tmp_path / name, {**base, "_metadata": meta})


@pytest.mark.parametrize("item, encoding", [("{not json", "pickled-json"),
                                            (b"\xff\xfe not utf-8", "pickled-json")])
def test_a_pickled_array_that_cannot_be_decoded_says_why_and_that_it_is_pickled(
        tmp_path, base, item, encoding):
    report = check_file(write(tmp_path, base, boxed(item)), mode="warn")
    (why,) = findings(report, "metadata-invalid")
    assert why[1:3] == ("_metadata", "error")
    assert findings(report, "pickled-metadata") == [
        ("pickled-metadata", "_metadata", "warning",
         f"_metadata is a pickled object array ({encoding}{PICKLED_TAIL}")]


def test_a_pickled_dict_with_a_bad_number_says_it_and_that_it_is_pickled(tmp_path, base):
    meta = valid_metadata()
    meta["physics_parameters"]["nphotons"] = float("nan")
    report = check_file(write(tmp_path, base, boxed(meta)), mode="warn")
    (note,) = findings(report, "metadata-invalid")
    assert note[:3] == ("metadata-invalid", "_metadata", "error")
    assert note[3].startswith("_metadata holds a non-finite or out-of-range number at ")
    assert "nphotons" in note[3]
    assert findings(report, "pickled-metadata") == [
        ("pickled-metadata", "_metadata", "warning",
         f"_metadata is a pickled object array (pickled-dict{PICKLED_TAIL}")]


def test_a_note_of_json_metadata_is_one_finding_on_the_metadata_key(base):
    text = json.dumps(valid_metadata()).replace('"nphotons": 1000000.0', '"nphotons": NaN')
    assert "NaN" in text
    report = check_arrays({**base, "_metadata": np.array(text)}, mode="warn")
    (note,) = findings(report, "metadata-invalid")
    assert note[1:] == ("_metadata", "error", "_metadata is not strict JSON: it contains NaN")
    assert findings(report, "pickled-metadata") == []


@pytest.mark.parametrize("version, severity, start", [
    ("2.0.0", "error", "schema_version 2.0.0"), ("1.9.0", "warning", "schema_version 1.9.0")])
def test_newer_versions_are_findings_on_the_metadata_key(base, version, severity, start):
    meta = dict(valid_metadata(), schema_version=version)
    (found,) = findings(check_arrays(base, meta, mode="strict"), "metadata-schema")
    assert found[:3] == ("metadata-schema", "_metadata", severity)
    assert found[3].startswith(start)


def test_a_schema_problem_is_a_finding_on_the_metadata_key(base):
    meta = valid_metadata()
    meta["physics_parameters"]["gridsize"] = "one"
    found = findings(check_arrays(base, meta, mode="warn"), "metadata-schema")
    assert found and all(f[1] == "_metadata" and f[3] for f in found)
    assert any("gridsize" in f[3] for f in found)


def test_n_is_compared_with_the_height_of_non_square_frames(base):
    frames = np.ascontiguousarray(base["diffraction"][:, :, :32])
    meta = valid_metadata(N=48)
    report = check_arrays({**base, "diffraction": frames}, meta, mode="warn")
    said = [f[3] for f in findings(report, "parameter-mismatch") if f[1] == "N"]
    assert said == ["metadata says N=48 but the diffraction frames are 64x32"]
