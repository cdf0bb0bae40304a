"""What the photon-count lattice proves, in words: counts (or rescaled counts) stored where
amplitudes belong, per source for a merged file in source order; and a cube of frames whose
photon totals show the patterns run along the last axis."""

from __future__ import annotations

import re

import numpy as np
import pytest

from pytest_npzcontract import check_arrays, create_metadata, load_npz
from pytest_npzcontract.physics.factory import write_dataset
from pytest_npzcontract.physics.simulate import simulate_dataset

RULE = "intensity-not-amplitude"
LEAD = "the photon-count lattice shows intensity, not amplitude sqrt(intensity)"
COUNTS = "whole-number photon counts: method counts, lattice spacing 1"
SCALED = "rescaled photon counts (the values, not their squares, sit on one lattice): " \
         "method scaled-counts, lattice spacing"


@pytest.fixture(scope="module")
def counts(tmp_path_factory):
    path = write_dataset(tmp_path_factory.mktemp("ci") / "ci.npz", n_images=24, nphotons=1e5,
                         profile="count-intensity", seed=3)
    arrays, _ = load_npz(path)
    return arrays


def said(arrays, meta, mode="warn"):
    report = check_arrays(arrays, meta, mode=mode, profile="canonical")
    return [(f.key, f.severity, f.message) for f in report.findings if f.rule == RULE]


def test_counts_where_amplitudes_belong_are_proven_by_the_lattice(counts):
    meta = create_metadata({"N": 64, "nphotons": 1e5}, "t")
    assert said(counts, meta) == [("diffraction", "warning", f"{LEAD}: {COUNTS}, 24 patterns")]
    assert [s for _, s, _ in said(counts, meta, "strict")] == ["error"]      # policy
    scaled = dict(counts, diffraction=(counts["diffraction"] * np.float32(0.37)))
    assert said(scaled, meta) == [("diffraction", "warning",
                                   f"{LEAD}: {SCALED} 0.37, 24 patterns")]


def test_a_merged_file_names_each_proven_source_in_order(counts):
    n = 12
    meta = create_metadata({"N": 64}, "t")
    meta["source_datasets"] = [{"path": f"s{i}.npz", "nphotons": 1e5} for i in range(n)]
    index = np.repeat(np.arange(n), 2)
    (found,) = said(dict(counts, source_index=index), meta)
    text = found[2]
    assert text.startswith(f"{LEAD} ({n} of {n} sources): source 0: {COUNTS}, 2 patterns; "
                           f"source 1: ")
    order = [int(i) for i in re.findall(r"source (\d+): ", text)]
    assert order == list(range(n))                  # 2 before 10, not string order


def test_a_cube_stored_frames_last_is_said_with_the_evidence():
    cube = dict(simulate_dataset(n_images=64, N=64, nphotons=1e6, seed=4).arrays)
    frames = np.ascontiguousarray(np.transpose(cube["diffraction"], (1, 2, 0)))
    report = check_arrays(dict(cube, diffraction=frames),
                          create_metadata({"N": 64, "nphotons": 1e6}, "t"), mode="warn")
    (f,) = [f for f in report.findings if f.rule == "transposed-layout"]
    assert (f.key, f.severity) == ("diffraction", "warning")
    assert f.message.startswith("diffraction is 64x64x64: the photon totals per index vary by "
                                "a coefficient of variation of ")
    assert f.message.endswith("so the patterns run along the last axis: frames stored "
                              "(H, W, n); expected (n, N, N)")
    assert f.hint == ("np.transpose(diffraction, (2, 0, 1)) when writing (npzcontract migrate "
                      "transposes it)")
    clean = check_arrays(cube, create_metadata({"N": 64, "nphotons": 1e6}, "t"), mode="warn")
    assert "transposed-layout" not in clean.rules()


def test_a_cube_of_frames_is_still_judged_for_its_dose():
    """A cube's layout totals and the dose estimate both see every chunk."""
    cube = dict(simulate_dataset(n_images=64, N=64, nphotons=1e6, seed=4).arrays)
    report = check_arrays(cube, create_metadata({"N": 64, "nphotons": 1e9}, "t"), mode="warn")
    assert "nphotons-inconsistent" in report.rules()
    assert "transposed-layout" not in report.rules()
