"""The photon-count lattice of squared amplitudes: finding its spacing and verifying it.

``X**2`` of stored amplitudes sits on a lattice ``k * delta`` (``k`` whole photon counts); these
functions find ``delta`` on a sample of values and say how well the values sit on it, or why
there is no lattice (:mod:`.estimate` feeds them the sample its one pass collected)::

    >>> find_spacing(np.array([2.0, 4.0, 6.0, 8.0] * 60), eps=1.2e-7)
    (2.0, 0.0)
"""

from __future__ import annotations

import math

import numpy as np

#: Lowest distinct squared values tried as lattice points, and multiples tried for each.
LOW_DISTINCT = 48
MAX_MULTIPLE = 64
#: Largest photon count k used to verify the lattice (float32 rounding stays below 0.05 there).
MAX_VERIFY_K = 16384
#: Sampled non-zero values with k <= MAX_VERIFY_K needed, and the fraction that must be on it.
MIN_VERIFY = 200
MIN_ON_LATTICE = 0.99


def find_spacing(y: np.ndarray, eps: float) -> tuple[float, float] | str:
    """The lattice spacing ``delta`` of squared values ``y > 0`` and its relative error, or the
    reason there is none. Candidates are the lowest distinct values divided by 1..MAX_MULTIPLE
    (largest spacing first); the first one on which at least MIN_ON_LATTICE of the sampled
    values with ``k <= MAX_VERIFY_K`` sit within float rounding of a whole ``k`` wins."""
    low = _distinct(y)[:LOW_DISTINCT]
    if low.size < 3:
        return (f"only {low.size} distinct non-zero value(s): too few to find a "
                "photon-count lattice")
    bases = [low[0], *np.diff(low[:8])]
    for base in sorted(set(bases), reverse=True):
        for m in range(1, MAX_MULTIPLE + 1):
            delta = float(base) / m
            if low[-1] / delta > MAX_VERIFY_K:
                break
            if _on_lattice(low, delta, eps) < MIN_ON_LATTICE:
                continue
            delta = _refine(y, delta, eps)
            verify = y[y / delta <= MAX_VERIFY_K + 0.5]
            if verify.size < MIN_VERIFY:
                continue
            if _on_lattice(verify, delta, eps) >= MIN_ON_LATTICE:
                return delta, _relative_error(verify, delta)
    return ("no photon-count lattice: the squared values are not whole multiples of one "
            "spacing (noise-free, interpolated, binned or background-subtracted data)")


def _distinct(a: np.ndarray) -> np.ndarray:
    """Sorted distinct values (``np.unique`` without its import of numpy.ma on first use)."""
    a = np.sort(a, axis=None)
    if a.size < 2:
        return a
    return a[np.concatenate(([True], a[1:] != a[:-1]))]


def _tolerance(k: np.ndarray, eps: float) -> np.ndarray:
    # Rounding of sqrt and of one rescale to the stored float type, then squaring: ~4 eps
    # relative; 16 eps leaves room for the spacing's own error.
    return 0.002 + 16 * eps * k


def _on_lattice(y: np.ndarray, delta: float, eps: float) -> float:
    k = y / delta
    nearest = np.rint(k)
    ok = (nearest >= 1) & (np.abs(k - nearest) <= _tolerance(nearest, eps))
    return float(np.count_nonzero(ok)) / max(y.size, 1)


def _refine(y: np.ndarray, delta: float, eps: float) -> float:
    """Least-squares spacing over the sampled values within the verification range."""
    k = y / delta
    nearest = np.rint(k)
    use = (nearest >= 1) & (nearest <= MAX_VERIFY_K) & (np.abs(k - nearest)
                                                         <= _tolerance(nearest, eps))
    if not np.any(use):
        return delta
    # plain reductions, not BLAS dot: threaded BLAS stalls on a loaded machine
    return float((y[use] * nearest[use]).sum() / np.square(nearest[use]).sum())


def _relative_error(y: np.ndarray, delta: float) -> float:
    k = np.rint(y / delta)
    ratios = y[k >= 1] / k[k >= 1] / delta - 1
    if ratios.size < 2:
        return 0.0
    return float(np.std(ratios) / math.sqrt(ratios.size))
