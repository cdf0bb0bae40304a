"""npz_write_audit: which writes it sees, how it judges them, and how it fails the test."""

from __future__ import annotations

import numpy  # noqa: F401 - loaded before pytester snapshots sys.modules: it cannot load twice
import pytest

TOOLS = """
    import shutil
    from numpy import savez_compressed  # bound before any audit starts
    import numpy as np
    from pytest_npzcontract import add_transformation, load_npz, save_npz

    def arrays_of(src):
        with np.load(src) as data:
            return {k: data[k] for k in data.files if k != "_metadata"}

    def good(src, dst):
        arrays, meta = load_npz(src)
        save_npz(dst, arrays, add_transformation(meta, "good.py", "copy"))

    def same_metadata(src, dst):
        arrays, meta = load_npz(src)
        save_npz(dst, arrays, meta)

    def lossy_early_bound(src, dst):
        savez_compressed(dst, **arrays_of(src))

    def lossy_file_object(src, dst):
        arrays = arrays_of(src)
        with open(dst, "wb") as fh:
            np.savez(fh, **arrays)
"""


@pytest.fixture
def run(pytester: pytest.Pytester):
    pytester.makepyfile(tools=TOOLS)
    pytester.syspathinsert()

    def run_tests(source: str, *args: str) -> pytest.RunResult:
        pytester.makepyfile(test_audit_downstream="from tools import *\n" + source)
        return pytester.runpytest("-rA", *args)

    return run_tests


def test_well_behaved_tool_passes_and_files_are_listed(run):
    result = run("""
def test_good(npz_factory, npz_write_audit, tmp_path):
    src = npz_factory("in.npz")
    good(src, tmp_path / "out.npz")
    assert npz_write_audit.written == [tmp_path / "out.npz"]
    assert npz_write_audit.read == [src]
    assert npz_write_audit.problems() == []
""")
    result.assert_outcomes(passed=1)


@pytest.mark.parametrize(("tool", "dst", "written"), [
    ("lossy_early_bound", '"out"', "out.npz"),  # NumPy appends .npz; the audit resolves it
    ("lossy_file_object", '"out.npz"', "out.npz"),
])
def test_lossy_tool_fails_the_test_naming_the_file(run, tool, dst, written):
    result = run(f"""
def test_lossy(npz_factory, npz_write_audit, tmp_path):
    {tool}(npz_factory("in.npz"), tmp_path / {dst})
""")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "npz_write_audit: 1 NPZ file(s) written by this test break the data contract:",
        f"  */test_lossy0/{written}: [[]_metadata] metadata-missing: dropped _metadata that "
        "its input(s) had (in.npz) (fix: *)",
        "FAILED test_audit_downstream.py::test_lossy - Failed: npz_write_audit*",
    ])
    report = result.stdout.str().split("short test summary info")[0]  # the summary repeats it
    assert report.count("test_lossy0/out.npz:") == 1  # one finding, not two


def test_copying_metadata_without_a_new_record_fails(run):
    result = run("""
import shutil

def test_same(npz_factory, npz_write_audit, tmp_path):
    src = npz_factory("in.npz")
    same_metadata(src, tmp_path / "a.npz")
    shutil.copy(src, tmp_path / "b.npz")
""")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "npz_write_audit: 2 NPZ file(s) written by this test break the data contract:",
        "  */a.npz: [[]data_transformations] transformation-missing: carries no new "
        "transformation record (inputs read before it: in.npz) (fix: record the step: "
        "add_transformation(metadata, tool, operation, parameters) before saving)",
        "  */b.npz: [[]data_transformations] transformation-missing: carries no new "
        "transformation record (inputs read before it: in.npz) (fix: *)",
    ])


def test_in_place_rewrite_is_judged_against_the_file_before(run):
    result = run("""
def test_in_place_with_record(npz_factory, npz_write_audit):
    path = npz_factory("data.npz")
    good(path, path)

def test_in_place_without_record(npz_factory, npz_write_audit):
    path = npz_factory("data.npz")
    same_metadata(path, path)
""")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines([
        "  */data.npz: [[]data_transformations] transformation-missing: carries no new "
        "transformation record (inputs read before it: data.npz)*",
    ])


def test_files_written_before_any_read_are_prepared_inputs(run):
    result = run("""
from pytest_npzcontract import add_transformation, create_metadata, load_npz, save_npz
from pytest_npzcontract.physics.factory import write_dataset

def test_created_with_metadata(npz_write_audit, tmp_path):
    write_dataset(tmp_path / "new.npz", seed=1)
    assert npz_write_audit.prepared == [tmp_path / "new.npz"]

def test_legacy_input_written_on_purpose(npz_write_audit, tmp_path):
    write_dataset(tmp_path / "legacy.npz", metadata=False, seed=1)
    arrays, _ = load_npz(tmp_path / "legacy.npz")
    meta = create_metadata({"nphotons": 1e9, "N": 64, "gridsize": 1}, "t.py")
    save_npz(tmp_path / "out.npz", arrays, add_transformation(meta, "t.py", "adopt"))
    assert npz_write_audit.prepared == [tmp_path / "legacy.npz"]
    assert npz_write_audit.written == [tmp_path / "legacy.npz", tmp_path / "out.npz"]

def test_written_after_a_read(npz_factory, npz_write_audit, tmp_path):
    load_npz(npz_factory("in.npz"))
    write_dataset(tmp_path / "new.npz", metadata=False, seed=1)

def test_ignored(npz_factory, npz_write_audit, tmp_path):
    load_npz(npz_factory("in.npz"))
    npz_write_audit.ignore(tmp_path / "new.npz")
    write_dataset(tmp_path / "new.npz", metadata=False, seed=1)
""")
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines([
        "  */test_written_after_a_read0/new.npz: [[]_metadata] metadata-missing: dropped "
        "_metadata that its input(s) had (in.npz) (fix: load with load_npz and save with "
        "save_npz(path, arrays, metadata=add_transformation(metadata, tool, operation, "
        "parameters)))",
    ])


def test_pickled_metadata_and_changed_parameters_fail(run):
    result = run("""
import numpy as np
from pytest_npzcontract import add_transformation, load_npz, save_npz

def test_pickled(npz_factory, npz_write_audit, tmp_path):
    arrays, meta = load_npz(npz_factory("in.npz"))
    meta = add_transformation(meta, "t", "copy")
    np.savez(tmp_path / "out.npz", _metadata=np.array(meta, dtype=object), **arrays)

def test_n_changed_silently(npz_factory, npz_write_audit, tmp_path):
    arrays, meta = load_npz(npz_factory("in.npz", nphotons=1e6))
    meta = add_transformation(meta, "t", "rescale", {"factor": 2})
    meta["physics_parameters"]["nphotons"] = 2e6
    save_npz(tmp_path / "out.npz", arrays, meta)

def test_n_changed_and_recorded(npz_factory, npz_write_audit, tmp_path):
    arrays, meta = load_npz(npz_factory("in.npz", nphotons=1e6))
    meta = add_transformation(meta, "t", "relabel", {"new_nphotons": 1.1e6})
    meta["physics_parameters"]["nphotons"] = 1.1e6
    save_npz(tmp_path / "out.npz", arrays, meta)
""")
    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines([
        "  */test_pickled0/out.npz: [[]_metadata] pickled-metadata: _metadata is a pickled "
        "object array: np.load(..., allow_pickle=False), NumPy's safe default, fails on it (fix: *)",
    ])
    result.stdout.fnmatch_lines([
        "  */test_n_changed_silently0/out.npz: [[]physics_parameters.nphotons] "
        "metadata-changed: found nphotons=2e+06, expected 1e+06 as in in.npz (no new record "
        "names nphotons) (fix: keep the input's value, or name the parameter in the new "
        "record: add_transformation(metadata, tool, operation, {'nphotons': new_value}))",
    ])


def test_outputs_are_judged_under_their_profile_in_the_tests_mode(run):
    result = run("""
import numpy as np
import pytest
from pytest_npzcontract import add_transformation, load_npz, save_npz

def nan_copy(src, dst):
    arrays, meta = load_npz(src)
    arrays["xcoords"] = arrays["xcoords"].copy()
    arrays["xcoords"][0] = np.nan
    save_npz(dst, arrays, add_transformation(meta, "t", "copy"))

def test_non_finite(npz_factory, npz_write_audit, tmp_path):
    nan_copy(npz_factory("in.npz"), tmp_path / "out.npz")

@pytest.mark.npz_warn
def test_legacy_key_in_warn_mode(npz_factory, npz_write_audit, tmp_path):
    good(npz_factory("in.npz", legacy=["diff3d"]), tmp_path / "out.npz")

def test_legacy_key_in_strict_mode(npz_factory, npz_write_audit, tmp_path):
    good(npz_factory("in.npz", legacy=["diff3d"]), tmp_path / "out.npz")
""")
    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines(["  */test_non_finite0/out.npz: [[]xcoords] non-finite: *"])
    result.stdout.fnmatch_lines(["  */test_legacy_key_in_strict_mode0/out.npz: [[]diff3d] "
                                 "legacy-key: *"])


def test_outputs_are_recognised_by_content_too(run):
    result = run("""
def test_odd_suffix(npz_factory, npz_write_audit, tmp_path):
    same_metadata(npz_factory("in.npz"), tmp_path / "out.bin")
    assert npz_write_audit.written == [tmp_path / "out.bin"]
""")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["  */out.bin: [[]data_transformations] transformation-missing*"])


def test_reading_the_output_back_does_not_make_it_an_input(run):
    result = run("""
from pytest_npzcontract import load_npz

def test_check_after(npz_factory, npz_write_audit, tmp_path):
    good(npz_factory("in.npz"), tmp_path / "out.npz")
    arrays, metadata = load_npz(tmp_path / "out.npz")
    assert len(metadata["data_transformations"]) == 1
""")
    result.assert_outcomes(passed=1)


def test_fixture_setup_writes_are_not_audited(run):
    result = run("""
import numpy as np
import pytest

@pytest.fixture
def legacy_input(tmp_path):
    np.savez(tmp_path / "legacy.npz", a=np.ones(3))
    return tmp_path / "legacy.npz"

def test_uses_prepared_input(legacy_input, npz_write_audit):
    assert npz_write_audit.written == []
""")
    result.assert_outcomes(passed=1)


def test_a_failing_test_is_reported_as_it_failed(run):
    result = run("""
def test_fails_first(npz_factory, npz_write_audit, tmp_path):
    lossy_early_bound(npz_factory("in.npz"), tmp_path / "out.npz")
    assert 1 == 2
""")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["E       assert 1 == 2"])
    assert "npz_write_audit:" not in result.stdout.str()


def test_without_the_fixture_nothing_is_audited(run):
    result = run("""
def test_lossy_unaudited(npz_factory, tmp_path):
    lossy_early_bound(npz_factory("in.npz"), tmp_path / "out.npz")
""")
    result.assert_outcomes(passed=1)


def test_audit_works_under_xdist(run):
    result = run("""
import pytest

@pytest.mark.parametrize("i", range(4))
def test_lossy(npz_factory, npz_write_audit, tmp_path, i):
    lossy_early_bound(npz_factory("in.npz"), tmp_path / "out.npz")
""", "-p", "xdist", "-n", "2")
    result.assert_outcomes(failed=4)
