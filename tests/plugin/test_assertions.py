"""The assertion helpers on real files: what passes, and the exact lines of what fails."""

from __future__ import annotations

import numpy as np
import pytest

from pytest_npzcontract import (
    NpzContractWarning,
    add_transformation,
    assert_data_contract,
    assert_metadata_preserved,
    assert_parameters_match,
    assert_transformation_recorded,
    load_npz,
    merge_metadata,
    save_npz,
)
from pytest_npzcontract.physics.factory import write_dataset
from pytest_npzcontract.plugin.assertions import mode_in_force, using_mode


@pytest.fixture
def src(tmp_path):
    return write_dataset(tmp_path / "src.npz", nphotons=1e6, metadata={
        "data_transformations": [{"tool": "simulate.py", "operation": "simulate"}]})


def _derive(src, dst, change=lambda meta: meta):
    arrays, meta = load_npz(src)
    save_npz(dst, arrays, change(meta))
    return dst


def _lines(excinfo) -> list[str]:
    return str(excinfo.value).splitlines()


def test_assert_data_contract_passes_on_a_good_file_and_returns_the_report(src):
    report = assert_data_contract(src, config={"nphotons": 1e6})
    assert report.ok and report.findings == []


def test_assert_data_contract_on_in_memory_arrays(src):
    arrays, meta = load_npz(src)
    assert assert_data_contract({**arrays, "_metadata": meta}).ok
    assert assert_data_contract(arrays, metadata=meta).ok
    with pytest.raises(AssertionError, match=r"\[_metadata\] metadata-missing: no _metadata"):
        assert_data_contract(arrays)
    with pytest.raises(ValueError, match="metadata= applies to in-memory arrays"):
        assert_data_contract(src, metadata=meta)


def test_assert_data_contract_caps_the_list_and_keeps_every_violation(tmp_path):
    path = write_dataset(tmp_path / "bad.npz", drop=["probeGuess", "objectGuess", "xcoords",
                                                     "ycoords", "_metadata"])
    with pytest.raises(AssertionError) as excinfo:
        assert_data_contract(path, cap=2)
    lines = _lines(excinfo)
    assert lines[0] == (f"assert_data_contract: {path} breaks the data contract "
                        "(mode strict, profile canonical): 5 violation(s)")
    assert lines[1].startswith("  [objectGuess] missing-key: required key 'objectGuess' is missing")
    assert lines[1].endswith(")") and "(fix: " in lines[1]
    assert lines[3:] == ["  ... and 3 more"]
    assert {f.rule for f in excinfo.value.findings} == {"missing-key", "metadata-missing"}
    assert len(excinfo.value.findings) == 5


@pytest.mark.npz_warn
def test_assert_data_contract_follows_the_test_marker(tmp_path):
    assert mode_in_force() == "warn"
    path = write_dataset(tmp_path / "old.npz", legacy=["diff3d"])
    with pytest.warns(NpzContractWarning, match=r"\[diff3d\] warning legacy-key"):
        assert assert_data_contract(path).ok
    with pytest.raises(AssertionError, match=r"\(mode strict, profile canonical\)"):
        assert_data_contract(path, mode="strict")


def test_mode_in_force_outside_markers_and_inside_using_mode():
    assert mode_in_force() == "strict"
    with using_mode("permissive"):
        assert mode_in_force() == "permissive"
    assert mode_in_force() == "strict"


def test_metadata_preserved_by_a_tool_that_appends_a_record(src, tmp_path):
    dst = _derive(src, tmp_path / "dst.npz",
                  lambda meta: add_transformation(meta, "canon.py", "canonicalize"))
    assert_metadata_preserved(src, dst)
    _, meta = load_npz(dst)
    assert_metadata_preserved(load_npz(src)[1], meta)  # metadata dicts work too


def test_metadata_changes_and_rewritten_lineage_are_each_a_line(src, tmp_path):
    def change(meta):
        meta["physics_parameters"]["nphotons"] = 1e9
        del meta["simulation_parameters"]["seed"]
        meta["data_transformations"] = [{"tool": "other.py", "operation": "resample"}]
        return meta

    dst = _derive(src, tmp_path / "dst.npz", change)
    with pytest.raises(AssertionError) as excinfo:
        assert_metadata_preserved(src, dst)
    lines = _lines(excinfo)
    assert lines[:-1] == [
        f"assert_metadata_preserved: {dst} does not preserve the metadata of {src}: "
        "4 violation(s)",
        "  [physics_parameters.nphotons] metadata-changed: found 1e+09, expected 1e+06 (as in "
        "src.npz) (fix: copy the input's metadata and only append a transformation record)",
        "  [simulation_parameters.seed] metadata-changed: found nothing, expected 0 (as in "
        "src.npz) (fix: copy the input's metadata and only append a transformation record)",
        "  [data_transformations[0]] lineage-rewritten: found other.py/resample, expected "
        "simulate.py/simulate (as in src.npz) (fix: extend data_transformations with "
        "add_transformation; never replace it)",
    ]
    # the output is judged under its profile too: the frames contradict the changed dose
    assert lines[-1].startswith("  [diffraction] nphotons-inconsistent: metadata records "
                                "nphotons=1e+09 but the frames' photon statistics give ")
    with pytest.raises(AssertionError) as excinfo:  # what ignore cannot hide: the profile
        assert_metadata_preserved(src, dst, ignore=["physics_parameters.nphotons",
                                                   "simulation_parameters",
                                                   "data_transformations"])
    assert [f.rule for f in excinfo.value.findings] == ["nphotons-inconsistent"]


def test_ignore_skips_dotted_paths(src, tmp_path):
    def split(meta):
        meta["simulation_parameters"]["n_images"] = 4
        return add_transformation(meta, "split.py", "train_test_split")

    dst = _derive(src, tmp_path / "dst.npz", split)
    with pytest.raises(AssertionError, match="simulation_parameters.n_images"):
        assert_metadata_preserved(src, dst)
    assert_metadata_preserved(src, dst, ignore=["simulation_parameters.n_images"])


def test_a_merge_keeping_the_source_whole_preserves_it(src, tmp_path):
    other = write_dataset(tmp_path / "other.npz", nphotons=1e6, seed=1)
    arrays, meta = load_npz(src)
    merged = merge_metadata([meta, load_npz(other)[1]], "preserve_separate")
    save_npz(tmp_path / "merged.npz", arrays, add_transformation(merged, "merge.py", "merge"))
    assert_metadata_preserved(src, tmp_path / "merged.npz")


def test_source_without_metadata_and_unreadable_files(tmp_path, src):
    bare = write_dataset(tmp_path / "bare.npz", metadata=False)
    with pytest.raises(AssertionError) as excinfo:
        assert_metadata_preserved(bare, src)
    assert _lines(excinfo)[1] == (
        "  [_metadata] metadata-missing: found no _metadata in the source: nothing to preserve "
        "(fix: load with load_npz and save with save_npz(path, arrays, "
        "metadata=add_transformation(metadata, tool, operation, parameters)))")
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"not a zip")
    with pytest.raises(AssertionError) as excinfo:
        assert_metadata_preserved(src, junk)
    assert "unreadable" in _lines(excinfo)[1]


def test_transformation_recorded_matches_tool_by_file_name_and_parameter_subset(src, tmp_path):
    dst = _derive(src, tmp_path / "dst.npz", lambda meta: add_transformation(
        meta, "scripts/tools/split.py", "train_test_split", {"fraction": 0.8, "axis": "x"}))
    assert_transformation_recorded(dst, tool="split.py", operation="train_test_split",
                                   parameters={"fraction": 0.8})
    assert_transformation_recorded(dst, tool="scripts/tools/split.py")
    assert_transformation_recorded(dst)


def test_transformation_with_other_parameters_names_each_difference(src, tmp_path):
    dst = _derive(src, tmp_path / "dst.npz", lambda meta: add_transformation(
        meta, "split.py", "train_test_split", {"fraction": 0.5}))
    with pytest.raises(AssertionError) as excinfo:
        assert_transformation_recorded(dst, tool="split.py", operation="train_test_split",
                                       parameters={"fraction": 0.8, "axis": "y"})
    hint = ("(fix: record the step: add_transformation(metadata, tool, operation, parameters) "
            "before save_npz)")
    assert _lines(excinfo) == [
        f"assert_transformation_recorded: {dst} has no record with tool='split.py', "
        "operation='train_test_split', parameters={'fraction': 0.8, 'axis': 'y'}: "
        "2 violation(s)",
        f"  [data_transformations[1].parameters.fraction] transformation-missing: found 0.5, "
        f"expected 0.8 {hint}",
        f"  [data_transformations[1].parameters.axis] transformation-missing: found nothing, "
        f"expected 'y' {hint}",
    ]


def test_transformation_missing_lists_what_is_there(src):
    with pytest.raises(AssertionError) as excinfo:
        assert_transformation_recorded(src, operation="train_test_split")
    assert _lines(excinfo)[1].startswith(
        "  [data_transformations] transformation-missing: found simulate.py/simulate, "
        "expected */train_test_split (fix: ")


def test_parameters_match_including_legacy_top_level_nphotons(src, tmp_path):
    assert_parameters_match(src, {"nphotons": 1e6 * (1 + 1e-9), "N": 64, "gridsize": 1})
    legacy = write_dataset(tmp_path / "legacy.npz", metadata=False,
                           overrides={"nphotons": np.array(1e6)})
    assert_parameters_match(legacy, {"nphotons": 1e6})
    with pytest.raises(AssertionError) as excinfo:
        assert_parameters_match(legacy, {"nphotons": 2e6})
    assert _lines(excinfo)[1] == (
        "  [physics_parameters.nphotons] parameter-mismatch: found 1e+06 in the dataset, "
        "expected 2e+06 from the config (within relative tolerance 1e-06) (fix: take "
        "parameters from the dataset (config_from_metadata) or regenerate the dataset)")


def test_parameters_without_metadata_cannot_match(tmp_path):
    bare = write_dataset(tmp_path / "bare.npz", metadata=False)
    with pytest.raises(AssertionError, match=r"\[_metadata\] metadata-missing: found no "
                                             r"_metadata, expected the parameters to compare"):
        assert_parameters_match(bare, {"nphotons": 1e9})


def test_metadata_preserved_checks_what_the_write_audit_checks(src, tmp_path):
    arrays, meta = load_npz(src)
    pickled = tmp_path / "pickled.npz"
    np.savez(pickled, _metadata=np.array(add_transformation(meta, "t", "copy"), dtype=object),
             **arrays)
    copied = _derive(src, tmp_path / "copied.npz")  # same metadata, no new record
    dropped = _derive(src, tmp_path / "dropped.npz", lambda m: add_transformation(
        {**m, "physics_parameters": {k: v for k, v in m["physics_parameters"].items()
                                     if k != "nphotons"}}, "t", "copy"))
    relabelled = _derive(src, tmp_path / "relabelled.npz", lambda m: add_transformation(
        {**m, "physics_parameters": {**m["physics_parameters"], "nphotons": 1.05e6}},
        "t", "relabel", {"nphotons": 1.05e6}))
    expected = {pickled: ["pickled-metadata"], copied: ["transformation-missing"],
                dropped: ["parameter-missing"]}
    for dst, rules in expected.items():
        with pytest.raises(AssertionError) as excinfo:
            assert_metadata_preserved(src, dst)
        assert [f.rule for f in excinfo.value.findings] == rules, dst.name
    assert_metadata_preserved(src, relabelled)  # the new record names the changed nphotons
    assert_metadata_preserved(src, copied, ignore=["data_transformations"])
