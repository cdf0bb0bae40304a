"""The dose estimator on data the tests simulate: within 2% of the true mean photons per
pattern over six decades, exact for counts, abstaining where the lattice is gone."""

from __future__ import annotations

import numpy as np
import pytest

from pytest_npzcontract import estimate_nphotons
from pytest_npzcontract.base.errors import ContractViolation
from pytest_npzcontract.io.writer import save_npz
from pytest_npzcontract.physics.estimate import NphotonsAccumulator
from pytest_npzcontract.physics.factory import write_dataset
from pytest_npzcontract.physics.simulate import simulate_dataset

DOSES = [1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9]


def sim(nphotons: float, N: int = 64, n: int = 16, seed: int = 1):
    return simulate_dataset(n_images=n, N=N, nphotons=nphotons, seed=seed, with_Y=True)


def noise_free(ds) -> np.ndarray:
    """The same patterns without Poisson noise: |F(s O P)| / N / s, as float32."""
    N = ds.arrays["probeGuess"].shape[0]
    waves = ds.arrays["Y"].astype(np.complex128) * ds.arrays["probeGuess"]
    far = np.abs(np.fft.fftshift(np.fft.fft2(ds.scale * waves), axes=(1, 2))) / N
    return (far / ds.scale).astype(np.float32)


def binned(frames: np.ndarray) -> np.ndarray:
    n, h, w = frames.shape
    return frames.reshape(n, h // 2, 2, w // 2, 2).sum(axis=(2, 4), dtype=np.float32)


@pytest.mark.parametrize("N", [64, 128])
@pytest.mark.parametrize("nphotons", DOSES)
def test_sqrt_counts_rescaled_and_counts_give_the_mean_photons_per_pattern(nphotons, N):
    ds = sim(nphotons, N)
    truth = ds.photons_per_pattern
    amplitude = ds.arrays["diffraction"]
    assert amplitude.dtype == np.float32

    est = estimate_nphotons(amplitude)
    assert est.method == "lattice" and est.patterns == 16
    assert est.value == pytest.approx(truth, rel=0.02)
    assert 0 < est.uncertainty < 0.02

    for factor in (3.7e-3, 1 / 7, 123.25):
        rescaled = (amplitude * np.float32(factor)).astype(np.float32)
        again = estimate_nphotons(rescaled)
        assert again.method == "lattice"
        assert again.value == pytest.approx(truth, rel=0.02), factor

    for counts in (ds.counts, ds.counts.astype(np.uint32)):
        exact = estimate_nphotons(counts)
        assert exact.method == "counts"
        assert exact.value == float(ds.counts.astype(np.int64).sum()) / 16


@pytest.mark.parametrize("N", [64, 128])
@pytest.mark.parametrize("nphotons", [1e3, 1e5, 1e7, 1e9])
def test_noise_free_and_binned_amplitudes_are_undetermined(nphotons, N):
    ds = sim(nphotons, N)
    for frames in (noise_free(ds), binned(ds.arrays["diffraction"])):
        est = estimate_nphotons(frames)
        assert not est.determined and est.value is None and est.method is None
        assert "lattice" in est.reason or "non-zero values" in est.reason


def test_rescaled_counts_are_read_as_scaled_counts():
    ds = sim(1e5)
    est = estimate_nphotons((ds.counts * np.float32(0.01)).astype(np.float32))
    assert est.method == "scaled-counts"
    assert est.value == pytest.approx(ds.photons_per_pattern, rel=0.02)


def test_a_file_streams_in_small_chunks_and_gives_the_in_memory_answer(tmp_path):
    path = write_dataset(tmp_path / "d.npz", n_images=12, N=64, nphotons=1e6, seed=4,
                         compressed=True)
    whole = estimate_nphotons(path)
    # 3000 bytes is not a whole number of frames (16 KiB each) nor of values in some pieces
    small = estimate_nphotons(path, chunk_bytes=3000)
    assert whole.key == small.key == "diffraction"
    assert whole.method == small.method == "lattice" and small.patterns == 12
    assert small.value == pytest.approx(whole.value, rel=1e-6)
    ds = simulate_dataset(n_images=12, N=64, nphotons=1e6, seed=4)
    assert whole.value == pytest.approx(ds.photons_per_pattern, rel=0.02)


def test_the_frames_key_may_be_the_legacy_diff3d_with_integer_counts(tmp_path):
    path = write_dataset(tmp_path / "raw.npz", nphotons=1e4, legacy=("diff3d", "uint16"))
    est = estimate_nphotons(path)
    ds = simulate_dataset(n_images=8, N=64, nphotons=1e4, seed=0)
    assert est.key == "diff3d" and est.method == "counts"
    assert est.value == float(np.rint(ds.counts).sum()) / 8
    assert estimate_nphotons(path, key="diff3d") == est


def test_fortran_order_frames_give_the_same_total(tmp_path):
    ds = sim(1e6, n=8)
    frames = np.asfortranarray(ds.arrays["diffraction"])
    save_npz(tmp_path / "f.npz", {"diffraction": frames})
    est = estimate_nphotons(tmp_path / "f.npz")
    assert est.method == "lattice" and est.patterns == 8 and est.spread is None
    assert est.value == pytest.approx(ds.photons_per_pattern, rel=0.02)


def test_groups_get_their_own_lattice_and_dose():
    low, high = sim(1e4, n=10, seed=2), sim(1e8, n=6, seed=3)
    frames = np.concatenate([low.arrays["diffraction"], high.arrays["diffraction"]])
    labels = np.array([0] * 10 + [1] * 6)
    acc = NphotonsAccumulator(frames.dtype, 64 * 64, labels=labels)
    flat = frames.ravel()
    for start in range(0, flat.size, 10_000):   # chunks straddle frames and groups
        acc.update(flat[start:start + 10_000])
    results = acc.results()
    assert results[0].patterns == 10 and results[1].patterns == 6
    assert results[0].value == pytest.approx(low.photons_per_pattern, rel=0.02)
    assert results[1].value == pytest.approx(high.photons_per_pattern, rel=0.02)
    assert not acc.result().determined        # pooled doses have no single lattice


@pytest.mark.parametrize("damage, reason", [
    (lambda x: np.where(x > x.max() / 2, np.nan, x), "non-finite"),
    (lambda x: x - np.float32(x.mean()), "negative"),
    (lambda x: np.zeros_like(x), "zero"),
    (lambda x: x.astype(np.complex64), "complex"),
])
def test_damaged_frames_are_undetermined_with_the_reason(damage, reason):
    est = estimate_nphotons(damage(sim(1e6, n=4).arrays["diffraction"]))
    assert not est.determined and reason in est.reason
    assert "undetermined" in est.text()


def test_unreadable_or_frameless_files_raise_contract_violation(tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip")
    with pytest.raises(ContractViolation, match="unreadable"):
        estimate_nphotons(bad)
    save_npz(tmp_path / "none.npz", {"xcoords": np.zeros(3)})
    with pytest.raises(ContractViolation, match="no frames"):
        estimate_nphotons(tmp_path / "none.npz")


def test_bounded_sample_whatever_the_number_of_chunks():
    ds = sim(1e6, n=64)
    acc = NphotonsAccumulator(np.float32, 64 * 64)
    flat = ds.arrays["diffraction"].ravel()
    for start in range(0, flat.size, 4096):     # one frame per chunk: 64 chunks
        acc.update(flat[start:start + 4096])
    held = sum(sum(part.size for part in g.sample) for g in acc._groups)
    assert held <= 1 << 16
    assert acc.result().value == pytest.approx(ds.photons_per_pattern, rel=0.02)


def test_detect_dataset_parameters_reports_what_the_data_determine(tmp_path):
    from pytest_npzcontract import detect_dataset_parameters, estimate_N

    path = write_dataset(tmp_path / "legacy.npz", n_images=10, N=64, nphotons=1e5,
                         metadata=False, seed=5)
    params = detect_dataset_parameters(path)
    ds = simulate_dataset(n_images=10, N=64, nphotons=1e5, seed=5)
    assert params["N"] == estimate_N(path) == 64 and params["n_images"] == 10
    assert params["nphotons"] == pytest.approx(ds.photons_per_pattern, rel=0.02)
    assert params["data_domain"] == "amplitude" and params["frames_key"] == "diffraction"
    assert params["nphotons_estimate"]["method"] == "lattice"
    assert set(params["undetermined"]) == {"gridsize"}

    counts = write_dataset(tmp_path / "raw.npz", nphotons=1e4, legacy=("diff3d", "uint16"))
    assert detect_dataset_parameters(counts)["data_domain"] == "counts"
    flat = write_dataset(tmp_path / "nf.npz", overrides={
        "diffraction": noise_free(sim(1e6, n=8, seed=0))})
    undetermined = detect_dataset_parameters(flat)
    assert "nphotons" not in undetermined and "lattice" in undetermined["undetermined"]["nphotons"]


def test_float_whole_numbers_with_too_few_levels_are_not_taken_for_counts():
    est = estimate_nphotons(np.ones((4, 64, 64)))
    assert not est.determined and "distinct" in est.reason
    assert estimate_nphotons(np.ones((4, 64, 64), np.uint16)).value == 4096
