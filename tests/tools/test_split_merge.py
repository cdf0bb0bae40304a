"""split and merge on the tool-author API: parts and merges keep metadata and record what was
done; incompatible sources are refused with the reason; merged files are judged per source."""

from __future__ import annotations

import numpy as np
import pytest

from pytest_npzcontract import (
    ContractViolation,
    assert_metadata_preserved,
    assert_transformation_recorded,
    check_arrays,
    check_file,
    load_npz,
)
from pytest_npzcontract.contract.sources import source_groups
from pytest_npzcontract.metadata.model import sha256_file
from pytest_npzcontract.physics.factory import write_dataset
from pytest_npzcontract.tools.merge import MergeError, merge_files
from pytest_npzcontract.tools.split import SplitError, parse_indices, split_file


def dataset(tmp_path, name, **kw):
    kw = {"n_images": 12, "N": 64, "nphotons": 1e6, "seed": 1, **kw}
    return write_dataset(tmp_path / name, **kw)


def test_split_along_y_like_the_reference_tool(tmp_path):
    sim = dataset(tmp_path, "sim.npz")
    arrays, _ = load_npz(sim)
    y = arrays["ycoords"]
    point = y.min() + 0.5 * (y.max() - y.min())
    train, test = split_file(sim, fraction=0.5, axis="y")
    assert (train.path, test.path) == (str(tmp_path / "sim_train.npz"),
                                       str(tmp_path / "sim_test.npz"))
    tr, te = load_npz(train.path)[0], load_npz(test.path)[0]
    np.testing.assert_array_equal(tr["ycoords"], y[y < point])
    np.testing.assert_array_equal(te["ycoords"], y[y >= point])
    np.testing.assert_array_equal(tr["diffraction"], arrays["diffraction"][y < point])
    np.testing.assert_array_equal(tr["objectGuess"], arrays["objectGuess"])
    assert train.n_images + test.n_images == 12 and tr["Y"].shape[0] == train.n_images
    for part in (train, test):
        assert check_file(part.path, mode="strict").ok
        assert_metadata_preserved(sim, part.path)
        assert_transformation_recorded(part.path, tool="npzcontract split",
                                       operation="train_test_split",
                                       parameters={"axis": "y", "part": part.name})


def test_split_by_index_and_by_explicit_indices(tmp_path):
    sim = dataset(tmp_path, "sim.npz")
    x = load_npz(sim)[0]["xcoords"]
    train, test = split_file(sim, fraction=0.75, axis="index", output_dir=str(tmp_path))
    assert (train.n_images, test.n_images) == (9, 3)
    np.testing.assert_array_equal(load_npz(test.path)[0]["xcoords"], x[9:])
    train, test = split_file(sim, train_indices=parse_indices("0:2,5"))
    np.testing.assert_array_equal(load_npz(train.path)[0]["xcoords"], x[[0, 1, 5]])
    assert test.n_images == 9


@pytest.mark.parametrize("kwargs, reason", [
    ({"fraction": 1.5}, "between 0 and 1"),
    ({"train_indices": [0, 99]}, "outside 0..11"),
    ({"train_indices": list(range(12))}, "test part would be empty"),
])
def test_split_refusals_write_nothing(tmp_path, kwargs, reason):
    sim = dataset(tmp_path, "sim.npz")
    with pytest.raises(SplitError, match=reason):
        split_file(sim, **kwargs)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sim.npz"]


def test_parse_indices_rejects_garbage():
    with pytest.raises(SplitError, match="bad index range 'a:3'"):
        parse_indices("0:2,a:3")


@pytest.fixture
def doses(tmp_path):
    lo = dataset(tmp_path, "lo.npz", nphotons=1e4)
    hi = dataset(tmp_path, "hi.npz", nphotons=1e6, n_images=8)
    return lo, hi


def test_multi_dose_merge_keeps_each_source_and_passes_strict(tmp_path, doses):
    lo, hi = doses
    out = tmp_path / "merged.npz"
    result = merge_files([lo, hi], out)
    assert (result.n_images, result.counts, result.nphotons) == (20, [12, 8], [1e4, 1e6])
    arrays, meta = load_npz(out)
    np.testing.assert_array_equal(arrays["source_index"], [0] * 12 + [1] * 8)
    np.testing.assert_array_equal(arrays["diffraction"][12:], load_npz(hi)[0]["diffraction"])
    assert "nphotons" not in meta["physics_parameters"]
    assert meta["physics_parameters"] == {"N": 64, "gridsize": 1}
    sources = meta["source_datasets"]
    assert [(s["nphotons"], s["n_images"], s["sha256"]) for s in sources] == [
        (1e4, 12, sha256_file(lo)), (1e6, 8, sha256_file(hi))]
    assert sources[1]["metadata"] == load_npz(hi)[1]
    report = check_file(out, mode="strict")
    assert report.ok, report.findings
    for source in doses:
        assert_metadata_preserved(source, out)
    groups = source_groups(meta, arrays["source_index"])
    assert groups[1][0] == 1e6 and list(groups[1][1]) == list(range(12, 20))


def test_config_nphotons_is_judged_against_each_source(tmp_path, doses):
    out = tmp_path / "merged.npz"
    merge_files(list(doses), out)
    report = check_file(out, mode="strict", config={"nphotons": 1e4, "N": 64})
    assert [(f.rule, f.key) for f in report.errors] == [("parameter-mismatch", "nphotons")]
    assert "source 1" in report.errors[0].message and "hi.npz" in report.errors[0].message


def test_broken_source_index_is_reported(tmp_path, doses):
    out = tmp_path / "merged.npz"
    merge_files(list(doses), out)
    arrays, meta = load_npz(out)
    bad = dict(arrays, source_index=np.full(20, 2, np.int32))
    assert "n-images-mismatch" in check_arrays(bad, meta).rules("error")
    shifted = dict(arrays, source_index=np.r_[[0] * 6, [1] * 14].astype(np.int32))
    messages = [f.message for f in check_arrays(shifted, meta).errors
                if f.rule == "n-images-mismatch"]
    assert messages == ["source 1 (" + str(doses[1]) + ") had 8 images but source_index "
                        "gives it 14"]
    subset = {k: (v[:5] if k in ("diffraction", "Y", "xcoords", "ycoords", "scan_index",
                                 "source_index") else v) for k, v in arrays.items()}
    assert check_arrays(subset, meta).ok  # a crop of a merge keeps a subset of each source
    orphan = {k: v for k, v in meta.items() if k != "source_datasets"}
    assert "parameter-mismatch" in check_arrays(arrays, orphan).rules("error")


def test_same_dose_merge_with_every_strategy(tmp_path):
    a = dataset(tmp_path, "a.npz")
    b = dataset(tmp_path, "b.npz", n_images=4)
    for strategy in ("preserve_first", "validate_consistent"):
        out = tmp_path / f"{strategy}.npz"
        merge_files([a, b], out, strategy=strategy)
        arrays, meta = load_npz(out)
        assert "source_index" not in arrays and arrays["diffraction"].shape[0] == 16
        assert meta["physics_parameters"]["nphotons"] == 1e6
        assert meta["merge_info"]["strategy"] == strategy
        assert check_file(out, mode="strict").ok


@pytest.mark.parametrize("strategy, reason", [
    ("preserve_first", "preserve_first would record the first source's dose"),
    ("validate_consistent", "disagree .validate_consistent.*nphotons"),
])
def test_strategies_refuse_different_doses(tmp_path, doses, strategy, reason):
    with pytest.raises(MergeError, match=reason):
        merge_files(list(doses), tmp_path / "m.npz", strategy=strategy)
    assert not (tmp_path / "m.npz").exists()


def test_incompatible_sources_are_refused_with_the_reason(tmp_path):
    a = dataset(tmp_path, "a.npz")
    cases = {
        "incompatible N": dataset(tmp_path, "n32.npz", N=128),
        "probeGuess differs": dataset(
            tmp_path, "probe.npz",
            overrides={"probeGuess": np.ones((32, 32), np.complex64)}),
        "objectGuess differs": dataset(tmp_path, "object.npz", seed=2),
        "different keys": dataset(tmp_path, "noY.npz", with_Y=False),
    }
    for reason, other in cases.items():
        with pytest.raises(MergeError, match=reason):
            merge_files([a, other], tmp_path / "m.npz")
    assert not (tmp_path / "m.npz").exists()


def test_a_merge_of_merges_is_refused(tmp_path, doses):
    merged = tmp_path / "m1.npz"
    merge_files(list(doses), merged)
    with pytest.raises(MergeError, match="itself a merge"):
        merge_files([merged, doses[0]], tmp_path / "m2.npz")


def test_merge_output_breaking_the_contract_is_not_written(tmp_path):
    a = dataset(tmp_path, "a.npz", legacy=("diff3d",))
    b = dataset(tmp_path, "b.npz", legacy=("diff3d",))
    with pytest.raises(ContractViolation) as exc:
        merge_files([a, b], tmp_path / "m.npz", mode="strict")
    assert "legacy-key" in exc.value.rules and not (tmp_path / "m.npz").exists()
    merge_files([a, b], tmp_path / "m.npz", mode="strict", profile="raw")
    assert check_file(tmp_path / "m.npz", mode="strict", profile="raw").ok
