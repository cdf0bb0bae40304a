"""The layout verdict of a cube of frames weighs photons as the key's values say: amplitudes
are squared, counts (the legacy ``diff3d`` key) are summed as they are; the finding quotes
the spreads of exactly those totals."""

from __future__ import annotations

import numpy as np
import pytest

from pytest_npzcontract import check_arrays, create_metadata
from pytest_npzcontract.physics.layout import frame_axis_verdict
from pytest_npzcontract.physics.simulate import simulate_dataset


@pytest.fixture(scope="module")
def cube():
    arrays = dict(simulate_dataset(n_images=64, N=64, nphotons=1e6, seed=4).arrays)
    frames_last = np.ascontiguousarray(np.transpose(arrays.pop("diffraction"), (1, 2, 0)))
    return arrays, frames_last


def layout_message(arrays, key, frames):
    report = check_arrays(dict(arrays, **{key: frames}),
                          create_metadata({"N": 64, "nphotons": 1e6}, "t"), mode="warn",
                          profile="canonical")
    (f,) = [f for f in report.findings if f.rule == "transposed-layout"]
    return f.message


@pytest.mark.parametrize("key, counts, square", [("diffraction", False, True),
                                                 ("diff3d", True, False)])
def test_the_cube_verdict_weighs_photons_as_the_values_say(cube, key, counts, square):
    arrays, frames = cube
    if counts:
        frames = np.square(frames).round().astype(np.uint16)
    said = layout_message(arrays, key, frames)
    assert said.startswith(f"{key} is 64x64x64: the "
                           f"{frame_axis_verdict(frames, square=square).text()}, so ")
    assert frame_axis_verdict(frames, square=not square).text() not in said
