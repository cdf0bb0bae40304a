"""KeySpec and Contract at their unit (what the layout and dtype findings are built from), and
the streamed value statistics (scan_chunks): counts, NaN/inf, extremes, whole numbers."""

from __future__ import annotations

import math
import pickle

import numpy as np
import pytest

from pytest_npzcontract.contract.keys import DATA_001, Contract, KeySpec
from pytest_npzcontract.contract.values import array_chunks, scan_chunks


@pytest.mark.parametrize("dtypes, dtype, ok", [
    ((), "<f8", True), ((), "O", False), (("float32",), "O", False),
    (("float32",), "<f4", True), (("float32",), ">f4", True), (("float32",), "<f8", False),
    (("integer",), "<u2", True), (("integer",), "<i8", True), (("integer",), "<f4", False),
    (("float",), ">f8", True), (("complex",), "<c8", True), (("complex",), "<f4", False),
    (("bool",), "|b1", True), (("bool",), "|u1", False),
    (("uint8", "float",), "|u1", True), (("uint8", "float"), "<i2", False),
])
def test_dtype_ok(dtypes, dtype, ok):
    assert KeySpec("k", dtypes).dtype_ok(np.dtype(dtype)) is ok


@pytest.mark.parametrize("dtypes, dtype, wider", [
    (("float32",), "<f8", True), (("float32",), ">f8", True), (("float32",), "<f4", False),
    (("float32",), "<f2", False), (("complex64",), "<c16", True), (("complex64",), "<f8", False),
    (("float32",), "<i8", False), (("float",), "<f8", False), (("float", "float32"), "<f8", True),
    (("int16",), "<i8", False),
])
def test_wider_than_allowed(dtypes, dtype, wider):
    assert KeySpec("k", dtypes).wider_than_allowed(np.dtype(dtype)) is wider


@pytest.mark.parametrize("layouts, shape, frame", [
    (("n H W",), (5, 64, 32), (64, 32)),
    (("H W",), (64, 32), (64, 32)),
    (("H W", "P H W"), (3, 64, 64), (64, 64)),
    (("P H W", "H W 1"), (64, 64, 1), (64, 64)),        # the fixed axis wins
    (("H W 1",), (64, 64, 2), None),
    (("H W 1",), (64, 64), None),
    (("n H W",), (5, 64), None),
    ((), (5, 64, 64), None),
])
def test_frame_of(layouts, shape, frame):
    assert KeySpec("k", layouts=layouts).frame_of(shape) == frame


def test_expected_texts():
    assert KeySpec("k", ("float32", "float64")).expected_dtype() == "float32 or float64"
    assert KeySpec("k").expected_dtype() == "any numeric dtype"
    assert KeySpec("k", layout="(n, N, N)", layouts=("H W",)).expected_layout() == "(n, N, N)"
    assert KeySpec("k", layouts=("H W", "P H W")).expected_layout() == "(H, W) or (P, H, W)"
    assert KeySpec("k", ndim=(2, 3)).expected_layout() == "2-D or 3-D"
    assert KeySpec("k").expected_layout() == "any shape"


def test_contracts_are_read_only_and_pickle():
    c = Contract("X", "1", {"a": KeySpec("a", required=True, values="counts"),
                            "b": KeySpec("b")}, profile="p", sizes=(64,), source="s",
                 summary="t")
    with pytest.raises(TypeError):
        c.keys["c"] = KeySpec("c")
    copy = pickle.loads(pickle.dumps(c))  # noqa: S301 - our own bytes
    assert copy == c and (copy.profile, copy.sizes, copy.source, copy.summary) == \
        ("p", (64,), "s", "t")
    assert c.required == ["a"] and c.value_keys() == ["a"]
    assert DATA_001.value_keys()[0] == "diffraction"


def test_scan_counts_extremes_and_whole_numbers():
    chunks = [np.array([1.0, -2.0, 3.0], np.float32), np.array([], np.float32),
              np.array([4.5], np.float32)]
    s = scan_chunks(np.float32, chunks)
    assert (s.count, s.nan, s.inf, s.negative, s.min, s.max) == (4, 0, 0, 1, -2.0, 4.5)
    assert s.integral is False and s.nonfinite == 0
    whole = scan_chunks(np.float64, [np.array([0.0, 2.0]), np.array([7.0])])
    assert whole.integral is True and whole.max == 7.0 and whole.negative == 0


def test_scan_non_finite_values_are_counted_and_left_out_of_the_extremes():
    s = scan_chunks(np.float32, [np.array([np.nan, 1.0, np.inf, -np.inf, -3.0], np.float32)])
    assert (s.nan, s.inf, s.count, s.min, s.max, s.negative) == (1, 2, 5, -3.0, 1.0, 1)
    assert s.nonfinite == 3 and s.integral is True
    only = scan_chunks(np.float32, [np.array([np.nan, np.nan], np.float32)])
    assert (only.nan, only.count, only.min, only.max) == (2, 2, math.inf, -math.inf)
    assert only.integral is True


def test_scan_integers_and_complex():
    s = scan_chunks(np.int16, [np.array([-3, 5, -1], np.int16), np.array([9], np.int16)])
    assert (s.count, s.negative, s.min, s.max, s.integral) == (4, 2, -3, 9, True)
    assert type(s.max) is int
    positive = scan_chunks(np.uint8, [np.array([1, 2], np.uint8)])
    assert positive.negative == 0 and positive.min == 1
    c = scan_chunks(np.complex64, [np.array([1 - 2j, 3.5 + 0j], np.complex64)])
    assert (c.count, c.min, c.max, c.negative, c.integral) == (2, -2.0, 3.5, 1, False)
    b = scan_chunks(np.bool_, [np.array([True, False])])
    assert (b.count, b.min, b.max) == (2, 0, 1)


def test_scan_shows_every_chunk_to_the_observer():
    seen = []
    chunks = [np.arange(3.0), np.array([]), np.arange(2.0)]
    scan_chunks(np.float64, chunks, seen.append)
    assert [c.tolist() for c in seen] == [[0.0, 1.0, 2.0], [0.0, 1.0]]


def test_a_fraction_after_whole_numbers_ends_integral():
    s = scan_chunks(np.float64, [np.array([1.0, 2.0]), np.array([2.5]), np.array([3.0])])
    assert s.integral is False


def test_array_chunks_bound_the_copy():
    a = np.arange(24.0).reshape(6, 4)
    chunks = list(array_chunks(a, 64))                   # 2 rows of 32 bytes
    assert [c.tolist() for c in chunks] == [list(range(0, 8)), list(range(8, 16)),
                                            list(range(16, 24))]
    assert [c.size for c in array_chunks(a, 1)] == [4] * 6   # at least one row
    assert [c.tolist() for c in array_chunks(np.float32(5), 64)] == [[5.0]]
    assert list(array_chunks(np.zeros((0, 4)), 64)) == []
