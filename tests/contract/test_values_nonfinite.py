"""scan_chunks(ranges=False), used for keys without a value rule: the same NaN/inf counts as
the full scan with one reduction per chunk, including finite values whose sum overflows."""

from __future__ import annotations

import numpy as np
import pytest

from pytest_npzcontract.contract.values import scan_chunks


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex64])
def test_nonfinite_counts_match_the_full_scan(dtype):
    rng = np.random.default_rng(5)
    for trial in range(40):
        data = rng.normal(size=4000).astype(dtype)
        flat = data.view(np.float32 if dtype == np.complex64 else dtype)
        for _ in range(trial % 4):
            flat[rng.integers(flat.size)] = rng.choice([np.nan, np.inf, -np.inf])
        if trial % 5 == 0:
            flat[:3] = np.finfo(flat.dtype).max  # finite, but the sum overflows
        chunks = [data[i:i + 700] for i in range(0, data.size, 700)]
        full, fast = scan_chunks(dtype, chunks), scan_chunks(dtype, chunks, ranges=False)
        assert (fast.nan, fast.inf, fast.count) == (full.nan, full.inf, full.count)


def test_integers_have_no_nonfinite_values():
    stats = scan_chunks(np.int16, [np.arange(-5, 5, dtype=np.int16)], ranges=False)
    assert stats.nonfinite == 0 and stats.count == 10
