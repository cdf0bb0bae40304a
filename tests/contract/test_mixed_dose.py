"""Rule mixed-dose: frames of several doses under a profile whose reader takes one nphotons
per file (train, raw), found from the records or from the estimates, said with each source's
record and estimate; none under canonical, for one dose, or when the merge chose one."""

from __future__ import annotations

import numpy as np
import pytest

from pytest_npzcontract import check_arrays, create_metadata
from pytest_npzcontract.physics.simulate import simulate_dataset

RULE = "mixed-dose"


@pytest.fixture(scope="module")
def parts():
    low = simulate_dataset(n_images=8, N=64, nphotons=1e4, seed=3).arrays
    high = simulate_dataset(n_images=8, N=64, nphotons=1e8, seed=4).arrays
    same = simulate_dataset(n_images=8, N=64, nphotons=1e4, seed=5).arrays
    return low, high, same


def merged(first, second, doses, paths=("low.npz", "high.npz"), **top):
    arrays = {k: np.concatenate([first[k], second[k]]) for k in ("diffraction", "xcoords",
                                                                "ycoords")}
    arrays.update(objectGuess=first["objectGuess"], probeGuess=first["probeGuess"],
                  source_index=np.repeat(np.arange(2), 8))
    meta = create_metadata({"N": 64, **top}, "merge")
    meta["source_datasets"] = [
        {"path": p, **({} if d is None else {"nphotons": d})} for p, d in zip(paths, doses, strict=True)]
    return arrays, meta


def said(arrays, meta, profile="train"):
    report = check_arrays(arrays, meta, mode="warn", profile=profile)
    return [f.message for f in report.findings if f.rule == RULE]


def test_two_doses_under_a_single_dose_profile(parts):
    low, high, _ = parts
    (text,) = said(*merged(low, high, (1e4, 1e8)))
    assert text.startswith("the train profile's reader takes one nphotons per file, but these "
                           "frames hold 2 sources of doses ")
    assert "x apart (it would use one dose for every frame); per source: source 0 (low.npz) " \
        "records 10000, estimated " in text
    assert "; source 1 (high.npz) records 1e+08, estimated " in text
    assert said(*merged(low, high, (1e4, 1e8)), profile="canonical") == []


def test_one_dose_is_not_a_mix(parts):
    low, _, same = parts
    assert said(*merged(low, same, (1e4, 1e4))) == []


def test_records_alone_can_show_the_mix(parts):
    low, _, same = parts
    (text,) = said(*merged(low, same, (1e4, 1.5e4)))
    assert "records 15000, estimated" in text


def test_estimates_alone_can_show_the_mix(parts):
    low, high, _ = parts
    (text,) = said(*merged(low, high, (None, None)))
    assert "per source: source 0 (low.npz) estimated " in text
    assert "; source 1 (high.npz) estimated " in text
    assert "records" not in text


def test_a_dose_chosen_by_the_merge_is_not_a_mix(parts):
    low, high, _ = parts
    arrays, meta = merged(low, high, (1e4, 1e8), nphotons=1e6)
    meta["merge_info"] = {"nphotons_chosen": 1e6}
    assert said(arrays, meta) == []
    meta["merge_info"] = {"nphotons_chosen": 2e6}          # not the recorded one
    assert said(arrays, meta) != []


def test_a_mix_is_found_without_metadata_or_with_a_strange_merge_record(parts):
    low, high, _ = parts
    arrays, meta = merged(low, high, (1e4, 1e8))
    report = check_arrays(arrays, None, mode="warn", profile="train")
    assert RULE in report.rules()
    meta["merge_info"] = "by hand"
    assert said(arrays, meta) != []
