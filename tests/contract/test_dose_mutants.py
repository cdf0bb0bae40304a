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


def _findings(arrays, meta, rule, profile="canonical", **options):
    report = check_arrays(arrays, meta, mode="warn", profile=profile, **options)
    return [f for f in report.findings if f.rule == rule]


def _one_file(sim, frames=None, nphotons=None):
    arrays = {k: v for k, v in sim.arrays.items() if k != "Y"}
    arrays.update(xcoords_start=arrays["xcoords"], ycoords_start=arrays["ycoords"])
    if frames is not None:
        arrays["diffraction"] = frames
    return arrays, {"physics_parameters": {"N": 64, "nphotons": nphotons}}


def test_one_dose_recorded_wrong_says_no_groups(sims):
    low, _ = sims
    for profile in ("canonical", "train"):
        (finding,) = _findings(*_one_file(low, nphotons=1e6), "nphotons-inconsistent", profile)
        assert finding.message.startswith("metadata records nphotons=1e+06 but the frames' "
                                          "photon statistics give ")
        assert finding.message.endswith("x apart (limit 2x)")     # nothing after: one dose


def test_an_estimate_exactly_the_factor_from_its_record_is_consistent(sims):
    low, _ = sims
    counts = low.counts.astype(np.int32)
    estimate = counts.sum() / counts.shape[0]                    # the counts method, exact
    arrays, meta = _one_file(low, counts, nphotons=1e6)
    factor = float(1e6 / estimate)
    assert _findings(arrays, meta, "nphotons-inconsistent", nphotons_factor=factor) == []
    assert len(_findings(arrays, meta, "nphotons-inconsistent",
                         nphotons_factor=factor * (1 - 1e-9))) == 1


def test_a_source_without_an_estimate_does_not_stop_the_others(sims):
    low, high = sims
    flat = np.concatenate([np.full((8, 64, 64), 0.5, np.float32),   # no lattice: undetermined
                           high.arrays["diffraction"]])
    arrays, meta = merged(low, high, (1e4, 1e6), frames=flat)
    (finding,) = _findings(arrays, meta, "nphotons-inconsistent")
    assert finding.message.startswith("source 1 (b.npz) records nphotons=1e+06 but ")


def test_mixed_dose_turned_off_is_silent(sims):
    low, high = sims
    frames = np.concatenate([low.arrays["diffraction"], high.arrays["diffraction"]])
    arrays, meta = merged(low, high, (None, None), frames=frames)
    del arrays["source_index"]
    levels = {RULE: "off"}
    assert _findings(arrays, None, RULE, "train", rule_levels=levels) == []
    assert len(_findings(arrays, None, RULE, "train")) == 1


def test_fortran_ordered_frames_are_judged_whole_not_per_source(tmp_path, sims):
    """In Fortran order the values of one frame are not contiguous: the source labels cannot
    be applied chunk by chunk, so no per-source finding is made from interleaved frames."""
    from pytest_npzcontract import check_file, save_npz

    arrays, meta = merged(*sims, (1e4, 1e8))
    arrays["diffraction"] = np.asfortranarray(arrays["diffraction"])
    path = tmp_path / "fortran.npz"
    save_npz(path, arrays, metadata=meta)
    report = check_file(path, mode="warn", profile="train")
    assert report.findings and not {"nphotons-inconsistent", RULE} & report.rules()
    c_order = tmp_path / "c.npz"
    save_npz(c_order, {**arrays, "diffraction": np.ascontiguousarray(arrays["diffraction"])},
             metadata=meta)
    assert RULE in check_file(c_order, mode="warn", profile="train").rules()
