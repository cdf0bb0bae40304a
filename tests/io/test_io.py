"""save_npz / load_npz / inspect_npz: round trips, NumPy and reference compatibility, refusals."""

from __future__ import annotations

import json
import os
import stat
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from rawnpz import metadata_json, valid_arrays, valid_metadata, write_members

from pytest_npzcontract import ContractViolation, inspect_npz, load_npz, save_npz

DTYPES = ["?", "i1", "<i2", ">i4", "<i8", "u1", "<u2", ">u4", "<u8", "<f2", "<f4", ">f4", "<f8",
          "<c8", ">c16", "<U5", "S7"]

json_scalars = (st.none() | st.booleans() | st.integers(-(2**53), 2**53)
                | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20))
json_values = st.recursive(
    json_scalars,
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=8), kids, max_size=4),
    max_leaves=20)
metadata_strategy = st.none() | st.fixed_dictionaries(
    {"additional_parameters": st.dictionaries(st.text(max_size=10), json_values, max_size=5)},
    optional={"physics_parameters": st.fixed_dictionaries(
        {"nphotons": st.floats(1.0, 1e12), "N": st.integers(1, 512)})})
arrays_strategy = st.dictionaries(
    st.from_regex(r"[A-Za-z][A-Za-z0-9_]{0,12}", fullmatch=True),
    st.sampled_from(DTYPES).flatmap(lambda dt: hnp.arrays(
        np.dtype(dt), hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=5))),
    min_size=1, max_size=5)


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(arrays=arrays_strategy, metadata=metadata_strategy, compressed=st.booleans(),
       fortran=st.booleans())
def test_round_trip_is_bit_identical(tmp_path, arrays, metadata, compressed, fortran):
    if fortran:
        arrays = {k: np.asfortranarray(v) for k, v in arrays.items()}
    path = tmp_path / "rt.npz"
    save_npz(path, arrays, metadata, compressed=compressed)
    loaded, meta = load_npz(path)
    assert meta == metadata
    assert set(loaded) == set(arrays)
    for key, value in arrays.items():
        assert _same(value, loaded[key]), key
    with np.load(path, allow_pickle=False) as npz:  # NumPy's safe default reads it too
        for key, value in arrays.items():
            assert _same(value, npz[key])
        if metadata is not None:
            assert json.loads(str(npz["_metadata"].item())) == metadata  # the reference reader
            assert npz["_metadata"].dtype.kind == "U" and npz["_metadata"].ndim == 0
    with zipfile.ZipFile(path) as zf:
        methods = {i.compress_type for i in zf.infolist()}
    assert methods == {zipfile.ZIP_DEFLATED if compressed else zipfile.ZIP_STORED}


def test_inspect_reads_headers_only(tmp_path):
    arrays = valid_arrays()
    path = tmp_path / "d.npz"
    save_npz(path, arrays, valid_metadata())
    info = inspect_npz(path)
    assert set(info) == set(arrays) | {"_metadata"}
    d = info["diffraction"]
    assert (d.shape, d.dtype, d.fortran_order) == ((4, 64, 64), np.dtype("float32"), False)
    assert d.data_bytes == arrays["diffraction"].nbytes
    assert d.compressed and d.compress_size < d.file_size


def test_reference_writer_pickled_json_is_read_without_pickle(tmp_path):
    arrays, meta = valid_arrays(), valid_metadata()
    path = tmp_path / "ref.npz"
    # Exactly what the reference MetadataManager wrote: a 0-d object array holding JSON text.
    np.savez_compressed(path, **arrays, _metadata=np.array(json.dumps(meta), dtype=object))
    with pytest.raises(ValueError, match="allow_pickle"):
        np.load(path)["_metadata"]
    loaded, decoded = load_npz(path)
    assert decoded == meta
    assert all(_same(arrays[k], loaded[k]) for k in arrays)


def test_pickled_dict_with_numpy_scalars_is_read(tmp_path):
    meta = {"physics_parameters": {"nphotons": np.float64(1e6), "N": np.int64(64)},
            "tags": ("a", "b"), "ids": {3, 1}}
    path = write_members(tmp_path / "d.npz", {"x": np.zeros(2), "_metadata": np.array(meta)})
    _, decoded = load_npz(path)
    assert decoded == {"physics_parameters": {"nphotons": 1e6, "N": 64}, "tags": ["a", "b"],
                       "ids": [1, 3]}


@pytest.mark.parametrize("form", ["unicode", "bytes", "uint8"])
def test_string_encodings_are_read(tmp_path, form):
    text = metadata_json()
    member = {"unicode": np.array(text), "bytes": np.array(text.encode()),
              "uint8": np.frombuffer(text.encode(), np.uint8)}[form]
    path = write_members(tmp_path / "d.npz", {"x": np.arange(3), "_metadata": member})
    assert load_npz(path)[1] == json.loads(text)


def test_legacy_scalar_nphotons_becomes_metadata(tmp_path):
    path = write_members(tmp_path / "d.npz", {"x": np.arange(3), "nphotons": np.array(5e5)})
    arrays, meta = load_npz(path)
    assert meta == {"physics_parameters": {"nphotons": 5e5}}
    assert "nphotons" in arrays  # nothing is dropped


def test_no_metadata_gives_none(tmp_path):
    path = tmp_path / "plain.npz"
    np.savez(path, a=np.arange(4))
    arrays, meta = load_npz(path)
    assert meta is None and _same(arrays["a"], np.arange(4))


def test_save_refuses_object_arrays_and_reserved_names(tmp_path):
    path = tmp_path / "x.npz"
    with pytest.raises(ContractViolation) as info:
        save_npz(path, {"a": np.array([{"x": 1}], dtype=object), "b": [1, None]})
    assert info.value.rules == {"unsafe-object-array"}
    assert len(info.value.findings) == 2
    with pytest.raises(ContractViolation, match="reserved"):
        save_npz(path, {"_metadata": np.array("{}")})
    assert not path.exists()


@pytest.mark.parametrize("bad", [{"v": float("nan")}, {"v": float("inf")}, {"v": object()},
                                 {1: "non-string key"}])
def test_save_refuses_non_json_metadata(tmp_path, bad):
    path = tmp_path / "x.npz"
    with pytest.raises(ContractViolation) as info:
        save_npz(path, {"a": np.arange(2)}, bad)
    assert info.value.rules == {"metadata-invalid"}
    assert "\n" not in str(info.value)
    assert not path.exists()


def test_save_validates_schema(tmp_path):
    with pytest.raises(ContractViolation, match=r"physics_parameters\.N: 0 is less than"):
        save_npz(tmp_path / "x.npz", {"a": np.arange(2)}, {"physics_parameters": {"N": 0}})


def test_save_converts_numpy_values_in_metadata(tmp_path):
    path = tmp_path / "x.npz"
    save_npz(path, {"a": np.arange(2)}, {"physics_parameters": {"nphotons": np.float32(1e6),
                                                                 "N": np.int64(64)}})
    assert load_npz(path)[1] == {"physics_parameters": {"nphotons": 1e6, "N": 64}}


def test_save_writes_exact_path_and_keeps_permissions(tmp_path):
    path = tmp_path / "data.bin"
    save_npz(path, {"a": np.arange(2)})
    assert path.exists() and not (tmp_path / "data.bin.npz").exists()
    os.chmod(path, 0o640)
    save_npz(path, {"a": np.arange(3)})
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.bin"]


def test_save_through_symlink_replaces_target(tmp_path):
    target = tmp_path / "real.npz"
    save_npz(target, {"a": np.arange(2)})
    link = tmp_path / "link.npz"
    link.symlink_to(target)
    save_npz(link, {"a": np.arange(5)})
    assert link.is_symlink()
    assert _same(load_npz(target)[0]["a"], np.arange(5))


def test_metadata_limits_are_configurable(tmp_path):
    from pytest_npzcontract import Limits

    path = tmp_path / "m.npz"
    save_npz(path, {"a": np.arange(2)}, {"additional_parameters": {"blob": "x" * 5000}})
    with pytest.raises(ContractViolation, match="over the 1,000-byte limit"):
        load_npz(path, limits=Limits(max_metadata_bytes=1000))
    nested = {"additional_parameters": {"a": [[[[[1]]]]]}}
    save_npz(path, {"a": np.arange(2)}, nested)
    with pytest.raises(ContractViolation, match="deeper than 4 levels"):
        load_npz(path, limits=Limits(max_json_depth=4))
    assert load_npz(path)[1] == nested
