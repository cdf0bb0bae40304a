"""Rule mixed-dose: frames of several doses under a profile whose reader takes one nphotons
per file (train, raw), found from the records or from the estimates, said with each source's
record and estimate; none under canonical, for one dose, or when the merge chose one. Without
source_index the frames themselves show the mix: by each frame's own lattice spacing when
every dataset was normalized, by the photon totals when the frames are sqrt(counts) or counts."""

from __future__ import annotations

import clirun
import numpy as np
import pytest

from pytest_npzcontract import check_arrays, check_file, create_metadata, save_npz
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


# ---- no source_index: the frames themselves show the mix ------------------------------------

def _sim(dose, seed, n=8, N=64):
    return simulate_dataset(n_images=n, N=N, nphotons=dose, seed=seed, with_Y=False)


def _form(sims, form, key="diffraction"):
    """The frames of ``sims`` concatenated in one storage form, with the other raw-form keys."""
    if form == "normalized":            # each dataset sqrt(k) / s: one lattice per dataset
        frames = np.concatenate([s.arrays["diffraction"] for s in sims])
    elif form == "sqrt-counts":         # the reference's raw diff3d: one lattice for all
        frames = np.sqrt(np.concatenate([s.counts for s in sims])).astype(np.float32)
    else:                               # whole photon counts
        frames = np.concatenate([s.counts for s in sims]).astype(np.int32)
    first = sims[0].arrays
    x = np.concatenate([s.arrays["xcoords"] for s in sims])
    y = np.concatenate([s.arrays["ycoords"] for s in sims])
    return {key: frames, "xcoords": x, "ycoords": y, "xcoords_start": x, "ycoords_start": y,
            "objectGuess": first["objectGuess"], "probeGuess": first["probeGuess"]}


def _written(tmp_path, arrays, meta=None, name="mixed.npz"):
    path = tmp_path / name
    save_npz(path, arrays, metadata=meta)
    return path


def _findings(path, profile, rule=RULE, mode="warn"):
    return [f for f in check_file(path, profile=profile, mode=mode).findings if f.rule == rule]


@pytest.fixture(scope="module")
def doses():
    return _sim(1e4, 3), _sim(1e8, 4)


@pytest.mark.parametrize("form", ["normalized", "sqrt-counts", "counts"])
@pytest.mark.parametrize("profile, key", [("train", "diffraction"), ("raw", "diff3d")])
def test_a_mix_without_source_index_is_an_error_under_a_single_dose_profile(
        tmp_path, doses, form, profile, key):
    path = _written(tmp_path, _form(doses, form, key), {"physics_parameters": {"N": 64}})
    for mode in ("strict", "warn", "permissive"):
        (finding,) = _findings(path, profile, mode=mode)
        assert finding.severity == "error"
    text = finding.message
    assert text.startswith(f"the {profile} profile's reader takes one nphotons per file, but "
                           "the frames hold 2 groups of doses ")
    ratio = float(text.split("groups of doses ")[1].split("x apart")[0])
    assert 5e3 < ratio < 2e4
    assert "x apart (it would use one dose for every frame); per group (" in text
    low, high = text.split("): ", 1)[1].split("; ")
    assert low.startswith("8 frames (0-7) estimated ")
    assert high.startswith("8 frames (8-15) estimated ")
    assert 0.7e4 < float(low.split("estimated ")[1].split()[0]) < 1.4e4
    assert 0.7e8 < float(high.split("estimated ")[1].split()[0]) < 1.4e8
    basis = {"normalized": "16 frames examined, each by its own lattice spacing",
             "sqrt-counts": "photon totals of all 16 frames",
             "counts": "photon totals of all 16 frames"}[form]
    assert f"per group ({basis}): " in text


def test_normalized_frames_show_the_mix_in_their_spacings_not_their_totals(doses):
    arrays = _form(doses, "normalized")
    totals = np.square(arrays["diffraction"].astype(np.float64)).sum(axis=(1, 2))
    assert totals[:8].mean() / totals[8:].mean() < 2      # the same sum X**2 at both doses
    report = check_arrays(arrays, None, mode="warn", profile="train")
    (text,) = [f.message for f in report.findings if f.rule == RULE]
    assert "(spacing " in text


def test_no_mix_under_canonical_nor_when_the_dose_was_chosen(tmp_path, doses):
    arrays = _form(doses, "normalized")
    path = _written(tmp_path, arrays, {"physics_parameters": {"N": 64}})
    assert _findings(path, "canonical") == []
    chosen = {"physics_parameters": {"N": 64, "nphotons": 1e6},
              "merge_info": {"nphotons_chosen": 1e6}}
    assert _findings(_written(tmp_path, arrays, chosen, "chosen.npz"), "train") == []
    other = {"physics_parameters": {"N": 64, "nphotons": 1e6},
             "merge_info": {"nphotons_chosen": 3e6}}       # not the dose recorded
    assert len(_findings(_written(tmp_path, arrays, other, "other.npz"), "train")) == 1


def test_the_inconsistent_dose_message_names_the_groups(tmp_path, doses):
    meta = {"physics_parameters": {"N": 64, "nphotons": 1e4}}
    path = _written(tmp_path, _form(doses, "sqrt-counts", "diff3d"), meta)
    for profile in ("raw", "canonical"):
        (finding,) = _findings(path, profile, rule="nphotons-inconsistent")
        assert "metadata records nphotons=10000 but the frames' photon statistics give " \
            in finding.message
        assert "; per group (photon totals of all 16 frames): 8 frames (0-7) estimated " \
            in finding.message


def test_two_doses_whose_spacings_have_no_common_lattice(doses):
    """Doses 2.5x apart, stored normalized: no lattice for the file, one per dataset."""
    arrays = _form((_sim(1e6, 3), _sim(2.5e6, 4)), "normalized")
    report = check_arrays(arrays, None, mode="warn", profile="train")
    (text,) = [f.message for f in report.findings if f.rule == RULE]
    assert "groups of doses 2.5x apart" in text


def test_a_few_outlier_frames_are_not_a_second_dose():
    base = _sim(1e6, 3, n=30)
    odd = _sim(1e3, 4, n=2)                               # 2 of 32 frames: not a real share
    for form in ("normalized", "sqrt-counts", "counts"):
        report = check_arrays(_form((base, odd), form), None, mode="warn", profile="train")
        assert RULE not in report.rules(), form


def test_three_datasets_of_two_doses_are_two_groups():
    sims = (_sim(1e5, 3), _sim(1.1e5, 5), _sim(1e8, 4))    # two datasets at about 1e5
    report = check_arrays(_form(sims, "normalized"), None, mode="warn", profile="train")
    (text,) = [f.message for f in report.findings if f.rule == RULE]
    assert "the frames hold 2 groups of doses " in text
    assert "16 frames (0-15) estimated " in text and "8 frames (16-23) estimated " in text


# ---- one dose is never a mix ----------------------------------------------------------------

FORMS = ["normalized", "sqrt-counts", "counts", "rescaled", "noise-free"]


def _one_dose(sim, form):
    if form == "rescaled":
        return (sim.arrays["diffraction"] * np.float32(0.37)).astype(np.float32)
    if form == "noise-free":                            # no lattice: the frames cannot tell
        N = sim.arrays["probeGuess"].shape[0]
        waves = sim.arrays["Y"].astype(np.complex128) * sim.arrays["probeGuess"]
        far = np.abs(np.fft.fftshift(np.fft.fft2(waves), axes=(1, 2))) / N
        return far.astype(np.float32)
    return _form((sim,), form)["diffraction"]


@pytest.mark.parametrize("dose", [1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9])
@pytest.mark.parametrize("form", FORMS)
def test_one_dose_is_never_a_mix(dose, form):
    for n, N, seed in [(8, 64, 6), (8, 32, 35), (8, 64, 40), (16, 64, 1), (64, 32, 2)]:
        sim = simulate_dataset(n_images=n, N=N, nphotons=dose, seed=seed, with_Y=True)
        arrays = _form((sim,), "normalized")
        arrays["diffraction"] = _one_dose(sim, form)
        for profile in ("train", "canonical"):
            report = check_arrays(arrays, None, mode="warn", profile=profile)
            assert RULE not in report.rules(), (n, N, seed, profile)


def test_a_raw_file_with_two_doses_fails_lint(tmp_path, doses):
    path = _written(tmp_path, _form(doses, "sqrt-counts", "diff3d"),
                    {"physics_parameters": {"N": 64}}, "raw_two_doses.npz")
    result = clirun.lint(path, "--profile", "raw", config=False)
    assert result.exit_code == 1
    assert f"{path.name}: [diff3d] error mixed-dose: the raw profile's reader takes one " \
        "nphotons per file, but the frames hold 2 groups of doses " in result.output
    assert clirun.lint(path, "--profile", "canonical", "--mode", "warn",
                config=False).exit_code == 0


def test_the_examined_frames_are_spread_through_the_file():
    """48 frames of one dose, then 16 of another: more frames than are examined, the second
    dose only at the end."""
    arrays = _form((_sim(1e6, 3, n=48), _sim(1e8, 4, n=16)), "normalized")
    report = check_arrays(arrays, None, mode="warn", profile="train")
    (text,) = [f.message for f in report.findings if f.rule == RULE]
    assert "per group (32 frames examined, each by its own lattice spacing): " in text
    assert "spacing): 24 frames (0-47) estimated " in text and "; 8 frames (49-63) estimated " in text
