"""The NumPy simulator: DATA-001 shapes and dtypes, and the physics of SPEC §6."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_npzcontract.physics.simulate import simulate_dataset


def far_field(ds) -> tuple[np.ndarray, np.ndarray]:
    """Noise-free exit waves psi = s Y P and amplitudes A = |FFT2(psi)| / N, DC centred."""
    N = ds.arrays["probeGuess"].shape[0]
    psi = ds.scale * ds.arrays["Y"].astype(np.complex128) * ds.arrays["probeGuess"]
    amplitude = np.abs(np.fft.fftshift(np.fft.fft2(psi), axes=(1, 2))) / N
    return psi, amplitude


def test_keys_shapes_and_dtypes():
    ds = simulate_dataset(n_images=8, N=64, nphotons=1e9, seed=0)
    a = ds.arrays
    assert sorted(a) == ["Y", "diffraction", "objectGuess", "probeGuess", "scan_index",
                         "xcoords", "ycoords"]
    assert a["diffraction"].shape == (8, 64, 64) and a["diffraction"].dtype == np.float32
    assert a["Y"].shape == (8, 64, 64) and a["Y"].dtype == np.complex64
    assert a["probeGuess"].shape == (64, 64) and a["probeGuess"].dtype == np.complex64
    assert a["objectGuess"].ndim == 2 and a["objectGuess"].dtype == np.complex64
    for key in ("xcoords", "ycoords"):
        assert a[key].shape == (8,) and a[key].dtype == np.float64
    assert a["scan_index"].dtype == np.int64 and list(a["scan_index"]) == list(range(8))
    assert ds.counts.shape == (8, 64, 64) and ds.counts.dtype == np.float32
    assert "counts" not in a
    assert (ds.seed, ds.nphotons) == (0, 1e9)


def test_without_Y():
    ds = simulate_dataset(n_images=3, N=32, with_Y=False)
    assert "Y" not in ds.arrays and ds.arrays["diffraction"].shape == (3, 32, 32)


def test_amplitudes_are_finite_non_negative_and_normalized():
    x = simulate_dataset(n_images=8, N=64, nphotons=1e9).arrays["diffraction"]
    assert np.isfinite(x).all() and (x >= 0).all()
    assert x.max() < 10  # the contract's advisory normalization bound


def test_parseval_identity_with_numpy_fft():
    ds = simulate_dataset(n_images=6, N=32, nphotons=1e6, seed=3)
    psi, amplitude = far_field(ds)
    energy_real = np.sum(np.abs(psi) ** 2, axis=(1, 2))
    energy_fourier = np.sum(amplitude**2, axis=(1, 2))
    np.testing.assert_allclose(energy_fourier, energy_real, rtol=1e-10)
    # s is defined so that the expected photons per pattern are exactly nphotons.
    assert np.mean(energy_real) == pytest.approx(1e6, rel=1e-9)


def test_diffraction_is_sqrt_counts_over_scale():
    ds = simulate_dataset(n_images=4, N=32, nphotons=1e6, seed=1)
    recovered = (ds.arrays["diffraction"].astype(np.float64) * ds.scale) ** 2
    np.testing.assert_allclose(recovered, ds.counts, rtol=1e-5, atol=1e-4)
    assert np.array_equal(ds.counts, np.rint(ds.counts))


def test_counts_are_poisson_around_the_far_field():
    ds = simulate_dataset(n_images=16, N=32, nphotons=1e6, seed=2)
    _, amplitude = far_field(ds)
    lam = amplitude**2
    bright = lam > 20
    z = (ds.counts[bright] - lam[bright]) / np.sqrt(lam[bright])
    assert bright.sum() > 1000
    assert abs(z.mean()) < 0.1 and z.std() == pytest.approx(1.0, abs=0.1)


def test_dc_is_centred():
    ds = simulate_dataset(n_images=8, N=32, nphotons=1e9, seed=0)
    y, x = np.mgrid[0:32, 0:32]
    radius = np.hypot(x - 16, y - 16)  # DC sits at index N // 2 after fftshift
    total = ds.counts.sum()
    assert ds.counts[:, radius < 12].sum() > 0.9 * total
    assert ds.counts[:, radius > 16].sum() < 0.02 * total


@pytest.mark.parametrize("nphotons", [1e4, 1e6, 1e9])
def test_mean_photons_per_pattern_match_nphotons(nphotons):
    ds = simulate_dataset(n_images=8, N=64, nphotons=nphotons, seed=0)
    measured = ds.counts.astype(np.float64).sum(axis=(1, 2)).mean()
    assert measured == pytest.approx(ds.photons_per_pattern)
    assert abs(ds.photons_per_pattern / nphotons - 1) < 0.05


def test_object_and_probe_are_physically_plausible():
    ds = simulate_dataset(n_images=8, N=64, seed=5)
    obj = ds.arrays["objectGuess"]
    amplitude = np.abs(obj)
    assert amplitude.min() >= 0.5 - 1e-6 and amplitude.max() <= 1 + 1e-6
    phase = np.angle(obj)
    assert np.ptp(phase) > 1.0 and np.abs(phase).max() <= 2.0 + 1e-6
    # smooth: neighbouring pixels differ by far less than the full range
    assert np.abs(np.diff(obj, axis=0)).max() < 0.25
    probe = np.abs(ds.arrays["probeGuess"])
    assert probe.max() <= 1 and probe[0].max() < 1e-3 and probe[:, 0].max() < 1e-3


def test_deterministic_per_seed():
    a = simulate_dataset(n_images=5, N=32, nphotons=1e6, seed=11)
    b = simulate_dataset(n_images=5, N=32, nphotons=1e6, seed=11)
    c = simulate_dataset(n_images=5, N=32, nphotons=1e6, seed=12)
    for key in a.arrays:
        assert np.array_equal(a.arrays[key], b.arrays[key]), key
    assert np.array_equal(a.counts, b.counts)
    assert not np.array_equal(a.arrays["objectGuess"], c.arrays["objectGuess"])
    assert not np.array_equal(a.counts, c.counts)


def test_object_does_not_depend_on_image_count():
    few = simulate_dataset(n_images=4, N=32, seed=7, object_size=80)
    many = simulate_dataset(n_images=9, N=32, seed=7, object_size=80)
    assert np.array_equal(few.arrays["objectGuess"], many.arrays["objectGuess"])


@settings(max_examples=30, deadline=None)
@given(n_images=st.integers(1, 40), N=st.sampled_from([8, 15, 32, 64]),
       extra=st.one_of(st.none(), st.integers(0, 40)), seed=st.integers(0, 2**32 - 1))
def test_patches_lie_inside_the_object_and_match_Y(n_images, N, extra, seed):
    size = None if extra is None else N + extra
    ds = simulate_dataset(n_images=n_images, N=N, nphotons=1e4, seed=seed, object_size=size)
    obj = ds.arrays["objectGuess"]
    x, y = ds.arrays["xcoords"], ds.arrays["ycoords"]
    assert len(x) == len(y) == n_images
    assert (x >= N // 2).all() and (y >= N // 2).all()
    assert (x - N // 2 + N <= obj.shape[1]).all() and (y - N // 2 + N <= obj.shape[0]).all()
    for i in range(n_images):
        top, left = int(y[i]) - N // 2, int(x[i]) - N // 2
        assert np.array_equal(ds.arrays["Y"][i], obj[top:top + N, left:left + N])


@pytest.mark.parametrize("kwargs", [{"n_images": 0}, {"N": 2}, {"nphotons": 0.0},
                                    {"nphotons": -1.0}, {"N": 32, "object_size": 16}])
def test_rejects_impossible_parameters(kwargs):
    with pytest.raises(ValueError):
        simulate_dataset(**kwargs)
