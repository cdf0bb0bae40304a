"""scan_chunks at the edges mutation testing found unpinned: a zero is not negative (for
integers and floats), a chunk holding nothing finite does not end the scan, an infinity
without a NaN is kept out of the extremes, and hostile values (sums that overflow, inf - inf)
raise no NumPy warning."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from pytest_npzcontract.contract.values import scan_chunks


@pytest.mark.parametrize("dtype", [np.int16, np.float32])
def test_zeros_are_not_negative(dtype):
    stats = scan_chunks(dtype, [np.array([0, -3, 0, 5], dtype), np.array([0, -1, 0], dtype)])
    assert (stats.negative, stats.min, stats.max, stats.count) == (2, -3, 5, 7)


def test_a_chunk_with_nothing_finite_does_not_end_the_scan():
    stats = scan_chunks(np.float64, [np.array([np.nan, np.inf]), np.array([1.0, -2.0])])
    assert (stats.count, stats.nan, stats.inf) == (4, 1, 1)
    assert (stats.min, stats.max, stats.negative) == (-2.0, 1.0, 1)


def test_an_infinity_without_a_nan_stays_out_of_the_extremes():
    stats = scan_chunks(np.float32, [np.array([1.0, np.inf, 0.5], np.float32)])
    assert (stats.inf, stats.nan, stats.max, stats.min) == (1, 0, 1.0, 0.5)
    low = scan_chunks(np.float32, [np.array([-np.inf, 2.0], np.float32)])
    assert (low.inf, low.min, low.negative) == (1, 2.0, 0)


@pytest.mark.parametrize("ranges", [True, False])
def test_hostile_values_raise_no_numpy_warning(ranges):
    big = np.finfo(np.float32).max
    chunks = [np.array([big, big, 1.0], np.float32), np.array([np.inf, -np.inf], np.float32),
              np.array([np.nan, 2.0], np.float32)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        stats = scan_chunks(np.float32, chunks, ranges=ranges)
    assert (stats.nan, stats.inf, stats.count) == (1, 2, 7)
