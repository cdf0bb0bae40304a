"""Checks of merged files (contract/sources.py) through check_arrays: source_index against the
listed sources, each source's N and image count, each source's parameters against the
configuration; and source_groups, the per-source view other tools use."""

from __future__ import annotations

import numpy as np
import pytest

from pytest_npzcontract import check_arrays, create_metadata
from pytest_npzcontract.contract.sources import source_entries, source_groups, source_nphotons
from pytest_npzcontract.physics.simulate import simulate_dataset


@pytest.fixture(scope="module")
def data():
    return dict(simulate_dataset(n_images=6, N=64, nphotons=1e6, seed=5).arrays)


def merged(sources, **top):
    meta = create_metadata({"N": 64, **top}, "merge")
    meta["source_datasets"] = sources
    return meta


def found(data, index, sources, rule=None, config=None, **top):
    arrays = dict(data) if index is None else dict(data, source_index=np.asarray(index))
    report = check_arrays(arrays, merged(sources, **top), mode="warn", config=config)
    return [(f.rule, f.key, f.message) for f in report.findings
            if rule is None or f.rule == rule]


def entry(path="a.npz", n=None, N=None, nphotons=None):
    out = {"path": path}
    if n is not None:
        out["n_images"] = n
    physics = {}
    if N is not None:
        physics["N"] = N
    if nphotons is not None:
        physics["nphotons"] = nphotons
    if physics:
        out["metadata"] = {"physics_parameters": physics}
    return out


def test_source_index_must_name_listed_sources(data):
    two = [entry("a.npz"), entry("b.npz")]
    assert found(data, [0, 0, 1, 1, 1, 0], two, "n-images-mismatch") == []
    assert found(data, [0, 2, 1, 2, 1, 0], two, "n-images-mismatch") == [
        ("n-images-mismatch", "source_index",
         "source_index holds 2 but the metadata lists 2 source_datasets (2 image(s) affected)")]
    assert found(data, [0, -1, 1, 1, 1, 0], two, "n-images-mismatch")[0][2].startswith(
        "source_index holds -1 but")


def test_no_source_has_more_images_than_it_recorded(data):
    two = [entry("a.npz", n=2), entry("", n=4)]
    assert found(data, [0, 0, 1, 1, 1, 1], two, "n-images-mismatch") == []
    assert found(data, [0, 0, 0, 1, 1, 1], two, "n-images-mismatch") == [
        ("n-images-mismatch", "source_index",
         "source 0 (a.npz) had 2 images but source_index gives it 3")]
    assert found(data, [1] * 6, two, "n-images-mismatch") == [
        ("n-images-mismatch", "source_index", "source 1 had 4 images but source_index gives "
         "it 6")]
    # fewer is fine (a later split keeps a subset); a count that is not an integer is ignored
    assert found(data, [0] * 6, [entry(n="6"), entry(n=None)], "n-images-mismatch") == []


def test_a_source_index_without_sources_is_said(data):
    assert found(data, [0] * 6, [], "parameter-mismatch") == [
        ("parameter-mismatch", "source_index", "source_index is present but the metadata lists "
         "no source_datasets: the source (and dose) of each image is unknown")]
    assert found(data, None, [], "parameter-mismatch") == []


def test_each_source_records_the_frame_size(data):
    sources = [entry("a.npz", N=64), entry("b.npz", N=32), entry("c.npz", N="32")]
    assert found(data, None, sources, "parameter-mismatch") == [
        ("parameter-mismatch", "N", "source 1 (b.npz) records N=32 but the diffraction frames "
         "are 64x64")]


def test_each_sources_parameters_meet_the_configuration(data):
    sources = [entry("a.npz", nphotons=1e6), {"path": "b.npz", "nphotons": 1e9}]
    assert found(data, None, sources, "parameter-mismatch", config={"nphotons": 1e6}) == [
        ("parameter-mismatch", "nphotons", "source 1 (b.npz): nphotons: dataset=1e+09, "
         "config=1e+06 (relative tolerance 1e-06)")]
    assert found(data, None, sources, "parameter-mismatch") == []   # no configuration
    # a parameter the top level settles is judged there, not per source
    said = found(data, None, [entry("a.npz", N=64)], "parameter-mismatch", config={"N": 32})
    assert said and not any("source" in f[2] for f in said)


def test_source_nphotons_takes_the_entrys_own_first():
    assert source_nphotons({"nphotons": 5, "metadata": {"physics_parameters":
                                                        {"nphotons": 7}}}) == 5.0
    assert source_nphotons({"nphotons": 0, "metadata": {"physics_parameters":
                                                        {"nphotons": 7}}}) == 7.0
    assert source_nphotons({"nphotons": True}) is None
    assert source_nphotons({"nphotons": "5"}) is None
    assert source_nphotons({"metadata": {"physics_parameters": {"nphotons": -2}}}) is None
    assert source_nphotons({}) is None
    assert type(source_nphotons({"nphotons": 5})) is float


def test_source_entries_keep_positions():
    assert source_entries({"source_datasets": [{"a": 1}, 3, None]}) == [{"a": 1}, {}, {}]
    assert source_entries({"source_datasets": {"a": 1}}) == []
    assert source_entries([{"a": 1}]) == []
    assert source_entries(None) == []


def test_source_groups_give_each_sources_dose_and_images():
    meta = {"source_datasets": [{"nphotons": 1e4}, {"path": "b"}, "junk"]}
    groups = source_groups(meta, np.array([0, 1, 0, 2, 1]))
    assert list(groups) == [0, 1, 2]
    assert groups[0][0] == 1e4 and groups[0][1].tolist() == [0, 2]
    assert groups[1][0] is None and groups[1][1].tolist() == [1, 4]
    assert groups[2][1].tolist() == [3]
    assert groups[0][1].dtype.kind == "i"
    assert source_groups(meta, None) == {}
    assert source_groups({}, np.array([0])) == {}
    floats = source_groups(meta, np.array([0.0, 1.0]))
    assert floats[1][1].tolist() == [1]


def test_metadata_can_come_with_the_arrays(data):
    import json

    text = json.dumps(merged([]))
    for meta in (np.array(text), np.array(text.encode())):
        report = check_arrays(dict(data, _metadata=meta), mode="warn")
        assert "metadata-missing" not in report.rules() and "metadata-invalid" not in \
            report.rules(), report.findings
    boxed = np.empty((), dtype=object)
    boxed[()] = {"physics_parameters": {"N": 64, "nphotons": 1e6}}
    report = check_arrays(dict(data, _metadata=boxed), mode="warn")
    assert "metadata-invalid" not in report.rules() and "metadata-missing" not in report.rules()
    bad = check_arrays(dict(data, _metadata=np.array("{not json")), mode="warn")
    assert "metadata-invalid" in bad.rules()
    assert "metadata-missing" in check_arrays(data, mode="warn").rules()
