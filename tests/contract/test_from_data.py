"""What the reference's readers would get wrong, decided from the photons: intensity under an
amplitude key, transposed cubes of frames, and no advisory on the reference's own forms.

Data are simulated the way the reference simulates them: Poisson counts of |F(s O P)|^2 / N^2,
their square roots, the photon scale s, at doses from 1e3 to 1e9."""

from __future__ import annotations

import numpy as np
import pytest

from pytest_npzcontract import check_file, save_npz
from pytest_npzcontract.physics.layout import frame_axis_verdict
from pytest_npzcontract.physics.simulate import simulate_dataset

DOSES = [1e3, 1e5, 1e7, 1e9]
ADVISORY = {"not-normalized", "intensity-not-amplitude"}


def _meta(dose, N=64):
    return {"physics_parameters": {"nphotons": dose, "N": N, "gridsize": 1}}


def _save(tmp_path, name, arrays, dose):
    path = tmp_path / name
    save_npz(path, arrays, metadata=_meta(dose))
    return path


@pytest.fixture(scope="module", params=DOSES, ids=lambda d: f"{d:.0e}")
def sim(request):
    return simulate_dataset(n_images=16, N=64, nphotons=request.param, seed=7, with_Y=False)


def _amplitudes(sim):
    return sim.arrays["diffraction"]


@pytest.mark.parametrize("mode, level", [("strict", "error"), ("warn", "warning")])
def test_squared_amplitudes_are_a_policy_finding_with_the_lattice_evidence(tmp_path, sim, mode,
                                                                           level):
    amp = _amplitudes(sim)
    squared = np.square(amp / amp.max())          # a tool that squared normalized frames
    path = _save(tmp_path, "sq.npz", {**sim.arrays, "diffraction": squared}, sim.nphotons)
    report = check_file(path, mode=mode)
    found = [f for f in report.findings if f.rule == "intensity-not-amplitude"]
    assert len(found) == 1 and found[0].severity == level, [f.line() for f in report.findings]
    message = found[0].message
    assert "method scaled-counts" in message and "lattice spacing" in message
    assert "16 patterns" in message


def test_float_counts_under_an_amplitude_key_are_an_error_in_strict(tmp_path, sim):
    path = _save(tmp_path, "counts.npz", {**sim.arrays, "diffraction": sim.counts}, sim.nphotons)
    found = {f.rule: f for f in check_file(path, mode="strict").findings}
    assert found["intensity-not-amplitude"].severity == "error"
    assert "method counts" in found["intensity-not-amplitude"].message


@pytest.mark.parametrize("form", ["sqrt-counts", "rescaled", "normalized", "noise-free"])
def test_amplitudes_are_never_taken_for_intensity(tmp_path, sim, form):
    amp = _amplitudes(sim)
    if form == "sqrt-counts":
        frames = np.sqrt(sim.counts).astype(np.float32) / np.float32(np.sqrt(sim.counts).max())
    elif form == "rescaled":
        frames = amp * np.float32(0.37)
    elif form == "normalized":
        frames = amp / amp.max()
    else:  # noise-free amplitudes |F(O P)| / N: no photon lattice at all
        frames = _noise_free(sim)
    path = _save(tmp_path, "amp.npz", {**sim.arrays, "diffraction": frames}, sim.nphotons)
    rules = {f.rule for f in check_file(path, mode="strict").findings}
    assert "intensity-not-amplitude" not in rules


def _noise_free(sim):
    """The simulation's expected amplitudes, before Poisson sampling."""
    from pytest_npzcontract.physics.simulate import make_probe

    obj, N = sim.arrays["objectGuess"], sim.arrays["probeGuess"].shape[0]
    starts = [(int(x) - N // 2, int(y) - N // 2)
              for x, y in zip(sim.arrays["xcoords"], sim.arrays["ycoords"], strict=True)]
    waves = np.stack([obj[y:y + N, x:x + N] for x, y in starts]) * make_probe(N)
    far = np.fft.fftshift(np.fft.fft2(waves.astype(np.complex128)), axes=(1, 2)) / N
    return np.abs(far).astype(np.float32)


def test_the_heuristic_stays_advisory_when_the_lattice_cannot_decide(tmp_path):
    sim = simulate_dataset(n_images=4, N=64, nphotons=1e6, seed=3, with_Y=False)
    frames = np.full((4, 64, 64), 5.0, np.float32)     # whole numbers, a single level
    path = _save(tmp_path, "flat.npz", {**sim.arrays, "diffraction": frames}, 1e6)
    found = {f.rule: f for f in check_file(path, mode="strict").findings}
    heuristic = found["intensity-not-amplitude"]
    assert (heuristic.severity, heuristic.kind) == ("warning", "advisory")
    assert heuristic.to_dict()["kind"] == "advisory"
    permissive = {f.rule: f.severity for f in check_file(path, mode="permissive").findings}
    assert permissive["intensity-not-amplitude"] == "info"
    proven = check_file(_save(tmp_path, "c.npz", {**sim.arrays, "diffraction": sim.counts},
                              1e6)).findings
    assert [f.kind for f in proven if f.rule == "intensity-not-amplitude"] == [""]


# ---- transposed-layout from the photons --------------------------------------------------

@pytest.fixture(scope="module")
def cube():
    """64 patterns of 64 x 64: the shape alone cannot tell the layout."""
    return simulate_dataset(n_images=64, N=64, nphotons=1e6, seed=11, with_Y=False)


@pytest.mark.parametrize("order", ["C", "F"])
def test_a_transposed_cube_is_caught_and_a_true_cube_is_not(tmp_path, cube, order):
    frames = cube.arrays["diffraction"]
    stored = np.transpose(frames, (1, 2, 0))
    stored = np.asfortranarray(stored) if order == "F" else np.ascontiguousarray(stored)
    bad = _save(tmp_path, "hwn.npz", {**cube.arrays, "diffraction": stored}, 1e6)
    good = _save(tmp_path, "nhw.npz", cube.arrays, 1e6)
    found = [f for f in check_file(bad).findings if f.rule == "transposed-layout"]
    assert len(found) == 1 and "coefficient of variation" in found[0].message
    assert check_file(good).findings == []


@pytest.mark.parametrize("dose", [1e3, 1e9])
def test_the_layout_verdict_reads_the_photons_at_any_dose(dose):
    frames = simulate_dataset(n_images=32, N=32, nphotons=dose, seed=2,
                              with_Y=False).arrays["diffraction"]
    assert frame_axis_verdict(frames).transposed is False
    assert frame_axis_verdict(np.transpose(frames, (1, 2, 0))).transposed is True
    uniform = np.ones((32, 32, 32), np.float32)
    assert frame_axis_verdict(uniform).transposed is None      # the data cannot say


# ---- advisories stay silent on the reference's own forms -----------------------------------

def _reference_forms(sim):
    """The forms the reference writes, simulated as it simulates them."""
    root = np.sqrt(sim.counts).astype(np.float32)
    common = {k: v for k, v in sim.arrays.items() if k != "diffraction"}
    starts = {"xcoords_start": sim.arrays["xcoords"], "ycoords_start": sim.arrays["ycoords"]}
    counts_meta = {"scale_contract_version": "ci_intensity_v2",
                   "measurement_domain": "count_intensity"}
    return {
        # spec-ptycho-core "Raw NPZ": diff3d is sqrt(counts), unnormalized (max ~ 30)
        "raw": ({**common, **starts, "diff3d": root}, {}),
        # data_contracts.md: canonical diffraction is normalized amplitude
        "canonical": ({**common, "diffraction": sim.arrays["diffraction"]}, {}),
        "train": ({**common, **starts, "diffraction": sim.arrays["diffraction"]}, {}),
        "count-intensity": ({**common, "diffraction": sim.counts}, counts_meta),
    }


@pytest.mark.parametrize("profile", ["raw", "canonical", "train", "count-intensity"])
def test_no_advisory_on_each_reference_form(tmp_path, sim, profile):
    arrays, extra = _reference_forms(sim)[profile]
    meta = _meta(sim.nphotons)
    meta["physics_parameters"].update(extra)
    path = tmp_path / f"{profile}.npz"
    save_npz(path, arrays, metadata=meta)
    report = check_file(path, profile=profile, mode="strict")
    assert report.findings == [], [f.line() for f in report.findings]


@pytest.mark.parametrize("profile, fires", [("canonical", True), ("train", True),
                                             ("raw", False)])
def test_unnormalized_amplitudes_warn_only_where_the_profile_expects_normalized(tmp_path,
                                                                               profile, fires):
    sim = simulate_dataset(n_images=8, N=64, nphotons=1e7, seed=5, with_Y=False)
    root = np.sqrt(sim.counts).astype(np.float32)              # max ~ 100: unnormalized
    key = "diff3d" if profile == "raw" else "diffraction"
    arrays = {k: v for k, v in sim.arrays.items() if k != "diffraction"}
    arrays.update({key: root, "xcoords_start": sim.arrays["xcoords"],
                   "ycoords_start": sim.arrays["ycoords"]})
    path = _save(tmp_path, f"{profile}.npz", arrays, sim.nphotons)
    rules = {f.rule for f in check_file(path, profile=profile).findings}
    assert rules == ({"not-normalized"} if fires else set())
