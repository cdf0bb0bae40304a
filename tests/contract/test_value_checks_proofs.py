"""The lattice's proof in words for a merged file of two sources: the tail says how many of
the sources are proven, from two sources on (a single file says no count)."""

from __future__ import annotations

import numpy as np
import pytest

from pytest_npzcontract import check_arrays, create_metadata, load_npz
from pytest_npzcontract.physics.factory import write_dataset

LEAD = "the photon-count lattice shows intensity, not amplitude sqrt(intensity)"


@pytest.fixture(scope="module")
def counts(tmp_path_factory):
    path = write_dataset(tmp_path_factory.mktemp("ci") / "ci.npz", n_images=24, nphotons=1e5,
                         profile="count-intensity", seed=3)
    arrays, _ = load_npz(path)
    return arrays


def proof(arrays, sources):
    meta = create_metadata({"N": 64}, "t")
    if sources:
        meta["source_datasets"] = [{"path": f"s{i}.npz", "nphotons": 1e5}
                                   for i in range(sources)]
        arrays = dict(arrays, source_index=np.repeat(np.arange(sources), 24 // sources))
    report = check_arrays(arrays, meta, mode="warn", profile="canonical")
    (found,) = [f.message for f in report.findings if f.rule == "intensity-not-amplitude"]
    return found


def test_two_sources_say_how_many_are_proven(counts):
    assert proof(counts, 2).startswith(f"{LEAD} (2 of 2 sources): source 0: ")
    roots = counts["diffraction"].copy()
    roots[12:] = np.sqrt(roots[12:])                 # source 1 holds amplitudes
    text = proof(dict(counts, diffraction=roots), 2)
    assert text.startswith(f"{LEAD} (1 of 2 sources): source 0: ") and "source 1" not in text


def test_one_source_says_no_count(counts):
    assert proof(counts, 1) == (f"{LEAD}: source 0: whole-number photon counts: method counts, "
                                "lattice spacing 1, 24 patterns")
    assert proof(counts, 0) == (f"{LEAD}: whole-number photon counts: method counts, lattice "
                                "spacing 1, 24 patterns")
