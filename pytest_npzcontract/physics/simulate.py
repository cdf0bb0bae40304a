"""A small, deterministic NumPy ptychography simulator producing DATA-001 arrays (SPEC §6).

No TensorFlow; fast enough for fixtures (8 patterns of 64 x 64 in a few milliseconds)::

    >>> ds = simulate_dataset(n_images=8, N=64, nphotons=1e6, seed=0)
    >>> ds.arrays["diffraction"].shape, ds.arrays["diffraction"].dtype
    ((8, 64, 64), dtype('float32'))
    >>> abs(ds.photons_per_pattern / 1e6 - 1) < 0.05
    True

Physics, per scan position i (O_i the object patch, P the probe, F the unnormalized 2-D DFT)::

    s   = sqrt(nphotons / mean_i sum |O_i P|^2)     # photon scale
    A_i = |F(s O_i P)| / N                          # so sum A_i^2 = sum |s O_i P|^2 (Parseval)
    counts_i ~ Poisson(A_i^2)                       # hence mean_i sum counts_i ~= nphotons
    diffraction_i = sqrt(counts_i) / s              # stored amplitude, DC at the centre
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["SimulatedDataset", "simulate_dataset", "make_object", "make_probe", "scan_positions"]


@dataclass
class SimulatedDataset:
    """Output of :func:`simulate_dataset`.

    ``arrays`` holds exactly the DATA-001 keys to save; ``counts`` (the Poisson photon counts,
    fftshifted like ``diffraction``) is kept apart because it is not part of the contract.
    """

    arrays: dict[str, np.ndarray]
    counts: np.ndarray
    scale: float
    photons_per_pattern: float
    seed: int
    nphotons: float


def _blobs(rng: np.random.Generator, size: int, count: int, signed: bool) -> np.ndarray:
    """A sum of ``count`` random Gaussian blobs on a ``size`` x ``size`` grid, scaled to [0, 1]
    (or [-1, 1] when ``signed``). Separable, so it costs O(count * size^2) multiplies only."""
    axis = np.arange(size, dtype=np.float64)
    field = np.zeros((size, size))
    for _ in range(count):
        cy, cx = rng.uniform(0, size, 2)
        sigma = rng.uniform(0.06, 0.2) * size
        weight = rng.uniform(-1.0, 1.0) if signed else rng.uniform(0.3, 1.0)
        gy = np.exp(-0.5 * ((axis - cy) / sigma) ** 2)
        gx = np.exp(-0.5 * ((axis - cx) / sigma) ** 2)
        field += weight * np.outer(gy, gx)
    if signed:
        return field / max(np.abs(field).max(), 1e-12)
    low, high = field.min(), field.max()
    return (field - low) / max(high - low, 1e-12)


def make_object(size: int, rng: np.random.Generator) -> np.ndarray:
    """Smooth complex object: amplitude in [0.5, 1], phase within +-2 rad (complex64)."""
    amplitude = 0.5 + 0.5 * _blobs(rng, size, 6, signed=False)
    phase = 2.0 * _blobs(rng, size, 6, signed=True)
    return (amplitude * np.exp(1j * phase)).astype(np.complex64)


def make_probe(N: int) -> np.ndarray:
    """Defocused aperture probe: a soft-edged disk of radius 3N/16 with a quadratic phase of
    6 rad at its rim; amplitude at most 1 (complex64).

    The defocus spreads the diffraction over a good part of the detector instead of a single
    DC spike; the probe is negligible (< 1e-7) at the window edge, so nothing wraps around.
    """
    centre = (N - 1) / 2
    y, x = np.mgrid[0:N, 0:N]
    r = np.hypot(x - centre, y - centre)
    radius = 3 * N / 16
    amplitude = 1.0 / (1.0 + np.exp(r - radius))  # logistic edge, about 1 pixel wide
    return (amplitude * np.exp(1j * 6.0 * (r / radius) ** 2)).astype(np.complex64)


def scan_positions(n_images: int, N: int, object_size: int,
                   rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Integer patch centres (x, y) on a jittered square grid, at least N/2 from the edges.

    A patch centred at c covers pixels ``c - N//2 .. c - N//2 + N - 1``, so centres lie in
    ``[N//2, object_size - N + N//2]``.
    """
    low, high = N // 2, object_size - N + N // 2
    side = math.ceil(math.sqrt(n_images))
    grid = np.linspace(low, high, side)
    jitter = 0.25 * (high - low) / max(side - 1, 1)
    gy, gx = np.meshgrid(grid, grid, indexing="ij")
    picked = np.stack([gx.ravel(), gy.ravel()], axis=1)[:n_images]
    picked = picked + rng.uniform(-jitter, jitter, picked.shape)
    picked = np.clip(np.rint(picked), low, high)
    return picked[:, 0].astype(np.float64), picked[:, 1].astype(np.float64)


def simulate_dataset(*, n_images: int = 8, N: int = 64, nphotons: float = 1e9, seed: int = 0,
                     object_size: int | None = None, with_Y: bool = True) -> SimulatedDataset:
    """Simulate ``n_images`` Poisson diffraction patterns of ``nphotons`` mean photons each.

    Deterministic for a given ``seed``; the object and the noise come from independent streams
    spawned from it, so the object does not change with ``n_images``. ``object_size`` defaults
    to ``max(2 N, N + 4 ceil(sqrt(n_images)))``, which keeps a scan step of at least 4 pixels.

    >>> ds = simulate_dataset(n_images=4, N=32, nphotons=1e4, seed=1, with_Y=False)
    >>> sorted(ds.arrays)
    ['diffraction', 'objectGuess', 'probeGuess', 'scan_index', 'xcoords', 'ycoords']
    """
    if n_images < 1 or N < 4:
        raise ValueError(f"need n_images >= 1 and N >= 4 (got n_images={n_images}, N={N})")
    if not nphotons > 0:
        raise ValueError(f"nphotons must be positive (got {nphotons})")
    size = object_size or max(2 * N, N + 4 * math.ceil(math.sqrt(n_images)))
    if size < N:
        raise ValueError(f"object_size {size} is smaller than the patch size N={N}")
    object_rng, scan_rng, noise_rng = (
        np.random.default_rng(child) for child in np.random.SeedSequence(seed).spawn(3))

    obj = make_object(size, object_rng)
    probe = make_probe(N)
    xcoords, ycoords = scan_positions(n_images, N, size, scan_rng)
    starts_x = xcoords.astype(np.int64) - N // 2
    starts_y = ycoords.astype(np.int64) - N // 2
    patches = np.stack([obj[y:y + N, x:x + N] for x, y in zip(starts_x, starts_y, strict=True)])

    exit_waves = patches.astype(np.complex128) * probe
    scale = math.sqrt(nphotons / np.mean(np.sum(np.abs(exit_waves) ** 2, axis=(1, 2))))
    far_field = np.fft.fftshift(np.fft.fft2(scale * exit_waves), axes=(1, 2)) / N
    counts = noise_rng.poisson(np.abs(far_field) ** 2)

    arrays = {
        "diffraction": (np.sqrt(counts) / scale).astype(np.float32),
        "objectGuess": obj,
        "probeGuess": probe,
        "xcoords": xcoords,
        "ycoords": ycoords,
        "scan_index": np.arange(n_images, dtype=np.int64),
    }
    if with_Y:
        arrays["Y"] = patches.astype(np.complex64)
    return SimulatedDataset(
        arrays=arrays,
        counts=counts.astype(np.float32),
        scale=scale,
        photons_per_pattern=float(np.mean(np.sum(counts, axis=(1, 2)))),
        seed=seed,
        nphotons=float(nphotons),
    )
