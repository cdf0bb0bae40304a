"""The quicklook's photons panel and scan legend read at a glance: no offset label where the
title is, the recorded dose in the legend, NaN/inf frames marked, distinct positions counted."""

from __future__ import annotations

import numpy as np
import pytest

from pytest_npzcontract import load_npz
from pytest_npzcontract.physics.factory import write_dataset
from pytest_npzcontract.tools import quicklook
from pytest_npzcontract.tools.merge import merge_files

pytest.importorskip("matplotlib")


def _panel(arrays, metadata):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(4, 3), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    quicklook._photons(ax, arrays, metadata)
    fig.canvas.draw()
    return ax


def test_no_offset_label_and_the_recorded_dose_in_the_legend(tmp_path):
    arrays, meta = load_npz(write_dataset(tmp_path / "a.npz", n_images=12, nphotons=1e6))
    ax = _panel(arrays, meta)
    assert ax.get_yscale() == "linear"
    assert ax.yaxis.get_offset_text().get_text() == ""        # "1e6" / "+1e6" would collide
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "all: recorded nphotons 1e+06" in labels
    assert "recorded" not in ax.get_title()


def test_a_nan_or_infinite_frame_is_marked(tmp_path):
    arrays, meta = load_npz(write_dataset(tmp_path / "a.npz", n_images=12, nphotons=1e6))
    frames = arrays["diffraction"].copy()
    frames[3, 5, 5], frames[7, 0, 0] = np.nan, np.inf
    arrays = {**arrays, "diffraction": frames}
    assert quicklook.nonfinite_frames(arrays) == [3, 7]
    ax = _panel(arrays, meta)
    assert "2 NaN/inf frame(s)" in ax.get_title()
    assert "NaN/inf: frames 3, 7" in [t.get_text() for t in ax.get_legend().get_texts()]
    marked = [line.get_xdata()[0] for line in ax.get_lines() if line.get_color() == "red"]
    assert marked == [3, 7]
    np.savez(tmp_path / "nan.npz", **arrays)
    assert quicklook.plot_file(tmp_path / "nan.npz", tmp_path / "nan.png") == (1300, 900)


def test_the_legend_counts_distinct_positions_of_a_merge(tmp_path):
    a = write_dataset(tmp_path / "a.npz", n_images=15, nphotons=1e6, seed=1)
    b = write_dataset(tmp_path / "b.npz", n_images=15, nphotons=2e6, seed=1)   # same scan
    merge_files([a, b], tmp_path / "m.npz")
    arrays, _ = load_npz(tmp_path / "m.npz")
    assert quicklook._positions_label(arrays["xcoords"], arrays["ycoords"]) == (
        "15 scan positions (30 patterns)")
    one, _ = load_npz(a)
    assert quicklook._positions_label(one["xcoords"], one["ycoords"]) == "15 scan positions"
