"""A cube of frames (n == H == W) cannot be told (n, N, N) from (H, W, n) by its shape: the
checker leaves it to the value scan, whose photon totals per axis find frames stored
(H, W, n); stored (n, N, N) the same cube is clean."""

from __future__ import annotations

import numpy as np
from rawnpz import valid_arrays, valid_metadata

from pytest_npzcontract import check_arrays

CUBE = valid_arrays(n_images=64)                    # 64 frames of 64 x 64


def test_a_cube_stored_frames_last_is_found_by_its_photon_totals():
    stored = np.ascontiguousarray(np.transpose(CUBE["diffraction"], (1, 2, 0)))
    report = check_arrays(dict(CUBE, diffraction=stored), valid_metadata(), mode="warn")
    (f,) = report.findings
    assert (f.key, f.rule) == ("diffraction", "transposed-layout")
    assert f.message.startswith("diffraction is 64x64x64: the photon totals per index vary ")
    assert f.message.endswith("so the patterns run along the last axis: frames stored "
                              "(H, W, n); expected (n, N, N)")
    assert check_arrays(CUBE, valid_metadata(), mode="warn").findings == []
