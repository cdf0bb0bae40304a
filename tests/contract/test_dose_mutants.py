"""What the messages of the dose rules say exactly, pinned where a wrong number, key or limit
would pass the behavioural tests: the ratio a mix is said to span, whose doses it counts,
where the limits sit (a factor reached exactly is not a mix), and which key carries it."""

from __future__ import annotations

import numpy as np
import pytest

from pytest_npzcontract import check_arrays, create_metadata
from pytest_npzcontract.physics.simulate import simulate_dataset

RULE = "mixed-dose"


@pytest.fixture(scope="module")
def sims():
    return (simulate_dataset(n_images=8, N=64, nphotons=1e4, seed=3),
            simulate_dataset(n_images=8, N=64, nphotons=1e8, seed=4))


def merged(first, second, doses, frames=None):
    """Two sources in one file (``source_index``), recording ``doses`` (``None``: nothing)."""
    arrays = {"diffraction": frames if frames is not None else np.concatenate(
        [first.arrays["diffraction"], second.arrays["diffraction"]])}
    for key in ("xcoords", "ycoords"):
        arrays[key] = np.concatenate([first.arrays[key], second.arrays[key]])
    arrays.update(objectGuess=first.arrays["objectGuess"],
                  probeGuess=first.arrays["probeGuess"], source_index=np.repeat([0, 1], 8))
    meta = create_metadata({"N": 64}, "merge")
    meta["source_datasets"] = [{"path": p, **({} if d is None else {"nphotons": d})}
                               for p, d in zip(("a.npz", "b.npz"), doses, strict=True)]
    return arrays, meta


def mixes(arrays, meta, **options):
    report = check_arrays(arrays, meta, mode="warn", profile="train", **options)
    return [f for f in report.findings if f.rule == RULE]


def _apart(finding):
    return float(finding.message.split("doses ")[1].split("x apart")[0])


def test_the_mix_spans_the_ratio_of_its_extremes_on_the_diffraction_key(sims):
    (finding,) = mixes(*merged(*sims, (1e4, 1e8)))
    assert finding.key == "diffraction"
    assert 0.5e4 < _apart(finding) < 2e4               # not a product of the doses


def test_records_below_one_photon_still_count(sims):
    (finding,) = mixes(*merged(*sims, (0.5, 1e8)))      # records 2e8x apart
    assert 1e8 < _apart(finding) < 3e8


def test_records_exactly_one_part_per_million_apart_are_one_dose(sims):
    low, _ = sims
    same = simulate_dataset(n_images=8, N=64, nphotons=1e4, seed=5)
    assert mixes(*merged(low, same, (1.0, 1.0 + 1e-6))) == []
    assert len(mixes(*merged(low, same, (1.0, 1.0 + 3e-6)))) == 1


def test_estimates_exactly_the_factor_apart_are_not_a_mix(sims):
    low, high = sims
    counts = np.concatenate([low.counts, high.counts]).astype(np.int32)
    means = counts[:8].sum() / 8, counts[8:].sum() / 8    # the counts method's exact estimates
    factor = float(max(means) / min(means))
    arrays, meta = merged(low, high, (None, None), frames=counts)
    assert mixes(arrays, meta, nphotons_factor=factor) == []
    assert len(mixes(arrays, meta, nphotons_factor=factor * (1 - 1e-9))) == 1
