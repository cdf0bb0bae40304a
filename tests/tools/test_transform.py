"""The tool-author API: records appended, outputs checked and written atomically, nothing
written on failure, several inputs and outputs, and npz_write_audit content with its outputs."""

from __future__ import annotations

import os
import stat

import numpy  # noqa: F401 - loaded before pytester snapshots sys.modules
import numpy as np
import pytest

from pytest_npzcontract import (
    ContractViolation,
    NpzContractWarning,
    load_npz,
    merge_metadata,
    transform,
    transform_file,
)
from pytest_npzcontract.metadata.model import sha256_file
from pytest_npzcontract.physics.factory import write_dataset
from pytest_npzcontract.tools.transform import select_images


def first(arrays: dict, n: int) -> dict:
    return select_images(arrays, slice(0, n))


@pytest.fixture
def sim(tmp_path):
    path = write_dataset(tmp_path / "sim.npz", n_images=8, N=64, nphotons=1e6, seed=1)
    # give the input a history, so "appended, never rewritten" has something to keep
    with transform(path, tool="prep.py", operation="prepare") as t:
        t.write(path, t.arrays)
    return path


def listing(directory) -> list[str]:
    return sorted(os.listdir(directory))


def test_record_appended_with_input_sha_and_arrays_written(sim, tmp_path):
    before_arrays, before_meta = load_npz(sim)
    digest = sha256_file(sim)
    with transform(sim, tool="crop.py", operation="crop", parameters={"n": 4}) as t:
        assert t.metadata == before_meta
        t.write(tmp_path / "crop.npz", first(t.arrays, 4))
    arrays, meta = load_npz(tmp_path / "crop.npz")
    old = before_meta["data_transformations"]
    assert meta["data_transformations"][: len(old)] == old  # earlier records byte-for-byte
    assert len(meta["data_transformations"]) == len(old) + 1
    record = meta["data_transformations"][-1]
    assert (record["tool"], record["operation"], record["parameters"]) == ("crop.py", "crop",
                                                                            {"n": 4})
    assert record["inputs"] == [{"name": "sim.npz", "sha256": digest, "path": str(sim)}]
    assert {k: v for k, v in meta.items() if k != "data_transformations"} == {
        k: v for k, v in before_meta.items() if k != "data_transformations"}
    np.testing.assert_array_equal(arrays["diffraction"], before_arrays["diffraction"][:4])
    assert arrays["diffraction"].dtype == np.float32


def test_exception_in_the_tool_writes_nothing(sim, tmp_path):
    before = listing(tmp_path)
    with pytest.raises(RuntimeError, match="tool crashed"):
        with transform(sim, tool="bad.py", operation="crash") as t:
            t.write(tmp_path / "a.npz", t.arrays)
            t.write(tmp_path / "b.npz", t.arrays)
            raise RuntimeError("tool crashed")
    assert listing(tmp_path) == before


def test_contract_error_in_one_output_writes_no_output(sim, tmp_path):
    before = listing(tmp_path)
    with pytest.raises(ContractViolation) as exc:
        with transform(sim, tool="t.py", operation="split") as t:
            t.write(tmp_path / "good.npz", t.arrays)
            broken = dict(t.arrays, xcoords=t.arrays["xcoords"][:3])
            t.write(tmp_path / "bad.npz", broken)
    assert exc.value.rules == {"n-images-mismatch"}
    assert listing(tmp_path) == before


def test_failed_write_of_second_output_leaves_no_first_output_or_temp_file(sim, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (tmp_path / "a-file").write_text("not a directory")
    with pytest.raises(OSError, match=r"cannot write .*a-file/test\.npz: a file is in the way"):
        with transform(sim, tool="t.py", operation="split") as t:
            t.write(out / "train.npz", t.arrays)
            t.write(tmp_path / "a-file" / "test.npz", t.arrays)
    assert listing(out) == []


def test_missing_output_directories_are_created(sim, tmp_path):
    with transform(sim, tool="t.py", operation="split") as t:
        t.write(tmp_path / "new" / "deeper" / "train.npz", t.arrays)
    assert (tmp_path / "new" / "deeper" / "train.npz").is_file()


def test_existing_output_is_kept_when_the_tool_fails(sim, tmp_path):
    target = tmp_path / "crop.npz"
    transform_file(sim, target, lambda a, m: first(a, 4), tool="crop.py", operation="crop")
    digest = sha256_file(target)
    with pytest.raises(ContractViolation):
        transform_file(sim, target, lambda a, m: {**a, "probeGuess": a["probeGuess"][:4, :4]},
                       tool="crop.py", operation="crop")
    assert sha256_file(target) == digest


def test_mode_is_the_callers(tmp_path):
    legacy = write_dataset(tmp_path / "legacy.npz", n_images=4, N=64, legacy=("diff3d",))
    with pytest.raises(ContractViolation) as exc:
        transform_file(legacy, tmp_path / "strict.npz", lambda a, m: a, tool="t",
                       operation="copy", mode="strict")
    assert "legacy-key" in exc.value.rules
    with pytest.warns(NpzContractWarning, match="legacy-key"):
        transform_file(legacy, tmp_path / "warn.npz", lambda a, m: a, tool="t",
                       operation="copy", mode="warn")
    assert (tmp_path / "warn.npz").is_file()
    canonical = write_dataset(tmp_path / "n64.npz", n_images=4, N=64)
    with pytest.raises(ContractViolation) as exc:
        transform_file(canonical, tmp_path / "cfg.npz", lambda a, m: a, tool="t",
                       operation="copy", mode="strict", config={"N": 128})
    assert exc.value.rules == {"parameter-mismatch"}
    assert not (tmp_path / "cfg.npz").exists()


def test_several_inputs_need_explicit_metadata_and_record_every_input(tmp_path):
    a = write_dataset(tmp_path / "a.npz", n_images=4, N=64, nphotons=1e6, seed=1)
    b = write_dataset(tmp_path / "b.npz", n_images=4, N=64, nphotons=1e6, seed=1)
    with pytest.raises(ValueError, match="several inputs"):
        with transform([a, b], tool="m", operation="merge") as t:
            t.write(tmp_path / "m.npz", t.inputs[0].arrays)
    assert not (tmp_path / "m.npz").exists()
    with transform([a, b], tool="m", operation="merge") as t:
        with pytest.raises(ValueError, match="2 inputs"):
            t.arrays  # noqa: B018
        meta = merge_metadata([i.metadata for i in t.inputs], sources=["a.npz", "b.npz"])
        t.write(tmp_path / "m.npz", t.inputs[0].arrays, meta)
    record = load_npz(tmp_path / "m.npz")[1]["data_transformations"][-1]
    assert [(i["name"], i["sha256"]) for i in record["inputs"]] == [
        ("a.npz", sha256_file(a)), ("b.npz", sha256_file(b))]


def test_unreadable_input_raises_before_the_tool_runs(tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip")
    ran = []
    with pytest.raises(ContractViolation) as exc:
        with transform(bad, tool="t", operation="x") as t:
            ran.append(t)
    assert ran == [] and exc.value.rules == {"unreadable"}


def test_in_place_keeps_history_and_output_permissions(sim):
    os.chmod(sim, 0o640)
    records = load_npz(sim)[1]["data_transformations"]
    transform_file(sim, sim, lambda a, m: a, tool="t", operation="touch")
    after = load_npz(sim)[1]["data_transformations"]
    assert after[:-1] == records and after[-1]["operation"] == "touch"
    assert stat.S_IMODE(os.stat(sim).st_mode) == 0o640
    assert listing(sim.parent) == ["sim.npz"]


def test_no_output_is_a_usage_error(sim):
    with pytest.raises(ValueError, match="wrote no output"):
        with transform(sim, tool="t", operation="x"):
            pass


def test_npz_write_audit_passes_for_tools_built_on_the_api(pytester: pytest.Pytester):
    pytester.makepyfile(test_downstream="""
        from pytest_npzcontract import transform
        from pytest_npzcontract.tools.transform import select_images

        def split(src, train, test):
            with transform(src, tool="split.py", operation="split") as t:
                n = len(t.arrays["xcoords"])
                t.write(train, select_images(t.arrays, slice(0, n // 2)))
                t.write(test, select_images(t.arrays, slice(n // 2, n)))

        def test_split(npz_factory, npz_write_audit, tmp_path):
            split(npz_factory(n_images=8, N=64), tmp_path / "tr.npz", tmp_path / "te.npz")
            assert len(npz_write_audit.written) == 2
            assert npz_write_audit.problems() == []

        def test_lossy_control(npz_factory, npz_write_audit, tmp_path):
            import numpy as np
            with np.load(npz_factory(n_images=8, N=64)) as data:
                np.savez(tmp_path / "lost.npz", xcoords=data["xcoords"])
    """)
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*lost.npz: [[]_metadata] metadata-missing: dropped _metadata*"])
