"""Findings about ``_metadata`` (contract/metadata_checks.py) through the public checks: how it
is stored, its schema version, missing and mismatched parameters, each said exactly once."""

from __future__ import annotations

import json

import numpy as np
import pytest
from rawnpz import valid_arrays, valid_metadata, write_members

from pytest_npzcontract import check_arrays, check_file


@pytest.fixture(scope="module")
def base():
    return valid_arrays()


def said(report, rule=None):
    return [(f.rule, f.key, f.severity, f.message) for f in report.findings
            if rule is None or f.rule == rule]


def with_meta(tmp_path, base, meta, name="m.npz"):
    members = dict(base)
    if meta is not None:
        members["_metadata"] = meta
    return write_members(tmp_path / name, members)


def test_no_metadata_is_said_once(tmp_path, base):
    report = check_file(with_meta(tmp_path, base, None), mode="warn")
    assert said(report, "metadata-missing") == [
        ("metadata-missing", "_metadata", "warning",
         "no _metadata: nphotons and the dataset's provenance are unknown")]


def test_pickled_metadata_is_said_with_its_encoding(tmp_path, base):
    boxed = np.empty((), dtype=object)
    boxed[()] = json.dumps(valid_metadata())
    report = check_file(with_meta(tmp_path, base, boxed), mode="warn")
    (pickled,) = said(report, "pickled-metadata")
    assert pickled[1:3] == ("_metadata", "warning")
    assert pickled[3].startswith("_metadata is a pickled object array (pickled-")
    assert pickled[3].endswith("); np.load(..., allow_pickle=False) fails on this file")
    assert report.metadata_encoding in ("pickled-json", "pickled-dict")
    assert report.metadata["physics_parameters"]["nphotons"] == 1e6


def test_unreadable_metadata_is_one_finding_with_its_rule(tmp_path, base):
    report = check_file(with_meta(tmp_path, base, np.array("{not json")), mode="warn")
    found = said(report, "metadata-invalid")
    assert len(found) == 1 and found[0][1] == "_metadata" and found[0][2] == "error"
    assert "metadata-schema" not in report.rules() and "parameter-missing" not in report.rules()


@pytest.mark.parametrize("version, severity", [("1.9.0", "warning"), ("1.1", "warning")])
def test_a_newer_minor_version_is_a_warning_even_in_strict(tmp_path, base, version, severity):
    meta = dict(valid_metadata(), schema_version=version)
    report = check_file(with_meta(tmp_path, base, np.array(json.dumps(meta))), mode="strict")
    (f,) = said(report, "metadata-schema")
    assert f[2] == severity and f[3].startswith(f"schema_version {version} is newer than")
    assert report.ok
    off = check_file(with_meta(tmp_path, base, np.array(json.dumps(meta)), "o.npz"),
                     mode="strict", rule_levels={"metadata-schema": "info"})
    assert [f[2] for f in said(off, "metadata-schema")] == ["info"]


def test_a_newer_major_version_stops_the_metadata_checks(tmp_path, base):
    meta = {"schema_version": "2.0.0", "physics_parameters": {"N": 32}}
    report = check_file(with_meta(tmp_path, base, np.array(json.dumps(meta))), mode="warn")
    (f,) = said(report, "metadata-schema")
    assert f[2] == "error" and "newer major version" in f[3]
    assert "parameter-missing" not in report.rules()
    assert "parameter-mismatch" not in report.rules()


def test_missing_and_mismatched_parameters(base):
    meta = valid_metadata()
    del meta["physics_parameters"]["nphotons"]
    meta["physics_parameters"]["N"] = 32
    report = check_arrays(base, meta, mode="warn", config={"N": 32, "gridsize": 2})
    assert said(report, "parameter-missing") == [
        ("parameter-missing", "physics_parameters.nphotons", "warning",
         "metadata records no physics_parameters.nphotons (readers that default it, e.g. to "
         "1e9, would silently use the wrong dose)")]
    assert report.findings[[f.rule for f in report.findings].index("parameter-missing")].hint \
        == ("record it when writing: create_metadata({'nphotons': ...}), or run "
            "`npzcontract migrate --in-place --nphotons VALUE FILE`")
    mismatches = said(report, "parameter-mismatch")
    assert ("parameter-mismatch", "N", "warning",
            "metadata says N=32 but the diffraction frames are 64x64") in mismatches
    assert ("parameter-mismatch", "gridsize", "warning",
            "gridsize: dataset=1, config=2 (must match exactly)") in mismatches
    hint = [f.hint for f in report.findings if f.message.startswith("metadata says N=")]
    assert hint == ["fix physics_parameters.N"]


def test_the_tolerance_reaches_the_metadata_comparison(base):
    meta = valid_metadata(nphotons=1e6)
    assert said(check_arrays(base, meta, config={"nphotons": 1.01e6}, rtol=0.05),
                "parameter-mismatch") == []
    assert said(check_arrays(base, meta, config={"nphotons": 1.01e6}), "parameter-mismatch")


def test_a_non_integer_n_is_left_to_the_schema(base):
    meta = valid_metadata()
    meta["physics_parameters"]["N"] = "64x"
    report = check_arrays(base, meta, mode="warn")
    assert not any(f[3].startswith("metadata says N=") for f in said(report))
    assert "metadata-schema" in report.rules()
