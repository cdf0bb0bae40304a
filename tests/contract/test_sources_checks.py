"""check_sources details mutation testing found unpinned: a source's N is compared with the
frames' height and the message gives height x width (non-square frames), and the per-source
parameter comparison uses the caller's relative tolerance."""

from __future__ import annotations

import numpy as np
import pytest

from pytest_npzcontract import check_arrays, create_metadata
from pytest_npzcontract.physics.simulate import simulate_dataset


@pytest.fixture(scope="module")
def data():
    return dict(simulate_dataset(n_images=6, N=64, nphotons=1e6, seed=5).arrays)


def mismatches(arrays, sources, **kw):
    meta = create_metadata({"N": 64}, "merge")
    meta["source_datasets"] = sources
    report = check_arrays(arrays, meta, mode="warn", **kw)
    return [f.message for f in report.findings if f.rule == "parameter-mismatch"]


def test_a_sources_n_is_compared_with_the_frame_height(data):
    wide = dict(data, diffraction=np.ascontiguousarray(data["diffraction"][:, :, :32]))
    sources = [{"path": "a.npz", "metadata": {"physics_parameters": {"N": 32}}},
               {"path": "b.npz", "metadata": {"physics_parameters": {"N": 64}}}]
    assert mismatches(wide, sources) == [
        "source 0 (a.npz) records N=32 but the diffraction frames are 64x32"]


def test_per_source_doses_are_compared_with_the_callers_tolerance(data):
    sources = [{"path": "a.npz", "nphotons": 1.05e6}]
    assert mismatches(data, sources, config={"nphotons": 1e6}, rtol=0.1) == []
    assert mismatches(data, sources, config={"nphotons": 1e6}, rtol=0.01) == [
        "source 0 (a.npz): nphotons: dataset=1.05e+06, config=1e+06 (relative tolerance 0.01)"]


def test_a_sources_own_metadata_is_judged_against_the_configuration(data):
    """What the top level does not settle (here gridsize) is compared per source, from the
    parameters each source's metadata records."""
    sources = [{"path": "a.npz", "metadata": {"physics_parameters": {"gridsize": 1}}},
               {"path": "b.npz", "metadata": {"physics_parameters": {"gridsize": 2}}}]
    assert mismatches(data, sources, config={"gridsize": 2}) == [
        "source 0 (a.npz): gridsize: dataset=1, config=2 (must match exactly)"]
