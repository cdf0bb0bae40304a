"""Which axis of a 3-D stack of diffraction frames counts the patterns, read from the data.

A shape cannot tell (n, N, N) from (H, W, n) when n == N == H == W, but the photons can: every
pattern of a scan holds about the same number of photons (the probe's), so the totals along
the true image axis are nearly uniform, while a "frame" cut along a detector axis is one row
or column of every pattern, and those totals follow the pattern's bright centre (a coefficient
of variation above 1 for the reference's probes). One pass, in the stream's own order::

    >>> totals = AxisTotals((64, 64, 64), square=True)
    >>> for chunk in chunks: totals.update(chunk)
    >>> totals.verdict().transposed
    True

Memory: one float per index of the first and last axes, whatever the stream's chunking.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

#: The image axis must be this many times more uniform than the other candidate to decide.
UNIFORMITY_RATIO = 3.0
#: ... and the rejected axis's totals must vary at least this much (a pattern's profile).
MIN_PROFILE_SPREAD = 0.5


@dataclass(frozen=True)
class LayoutVerdict:
    """``spread_first`` / ``spread_last``: coefficient of variation of the photon totals per
    index of axis 0 and of axis 2; ``transposed`` when axis 2 is clearly the image axis,
    ``None`` when the data cannot say."""

    spread_first: float
    spread_last: float
    transposed: bool | None

    def text(self) -> str:
        return (f"photon totals per index vary by a coefficient of variation of "
                f"{self.spread_last:.3g} along the last axis and {self.spread_first:.3g} along "
                "the first")


class AxisTotals:
    """Photon totals per index of axis 0 and of axis 2 of an (a, b, c) stack fed as flat
    chunks in storage order (``fortran`` for Fortran order); ``square`` sums x**2
    (amplitudes) rather than x (counts)."""

    def __init__(self, shape: tuple[int, int, int], *, fortran: bool = False,
                 square: bool = True) -> None:
        a, b, c = (int(d) for d in shape)
        self.square = square
        self.fortran = fortran
        # In C order axis 2 is the fastest (a residue of the position), axis 0 the slowest
        # (a quotient); Fortran order is the other way round.
        self.period = a if fortran else c
        self.block = a * b if fortran else b * c
        self.residue = np.zeros(max(self.period, 1))
        self.quotient = np.zeros(max(c if fortran else a, 1))
        self.pos = 0

    def update(self, chunk: np.ndarray) -> None:
        x = np.ravel(chunk)
        if self.square:  # in the stored precision; the sums below accumulate in float64
            x = np.square(x, dtype=np.float32 if x.dtype.itemsize <= 4 else np.float64)
        if x.size == 0 or self.period == 0 or self.block == 0:
            return
        self._fold_residue(x)
        self._fold_quotient(x)
        self.pos += x.size

    def _fold_residue(self, x: np.ndarray) -> None:
        p, off = self.period, self.pos % self.period
        head = min((p - off) % p, x.size)
        self.residue[off:off + head] += x[:head].astype(np.float64)
        rest = x[head:]
        full = rest.size // p * p
        if full:
            self.residue += rest[:full].reshape(-1, p).sum(axis=0, dtype=np.float64)
        tail = rest[full:]
        self.residue[:tail.size] += tail.astype(np.float64)

    def _fold_quotient(self, x: np.ndarray) -> None:
        size, q, off = self.block, self.pos // self.block, self.pos % self.block
        limit = self.quotient.size
        start = 0
        if off:
            start = min(size - off, x.size)
            if q < limit:
                self.quotient[q] += x[:start].sum(dtype=np.float64)
            q += 1
        rest = x[start:]
        full = rest.size // size
        if full:
            sums = rest[:full * size].reshape(full, size).sum(axis=1, dtype=np.float64)
            self.quotient[q:q + full] += sums[:max(limit - q, 0)]
            q += full
        tail = rest[full * size:]
        if tail.size and q < limit:
            self.quotient[q] += tail.sum(dtype=np.float64)

    def verdict(self) -> LayoutVerdict:
        first, last = ((self.residue, self.quotient) if self.fortran
                       else (self.quotient, self.residue))
        cv_first, cv_last = _spread(first), _spread(last)
        transposed: bool | None = None
        if math.isfinite(cv_first) and math.isfinite(cv_last):
            if cv_first >= MIN_PROFILE_SPREAD and cv_last * UNIFORMITY_RATIO <= cv_first:
                transposed = True
            elif cv_last >= MIN_PROFILE_SPREAD and cv_first * UNIFORMITY_RATIO <= cv_last:
                transposed = False
        return LayoutVerdict(cv_first, cv_last, transposed)


def _spread(totals: np.ndarray) -> float:
    mean = float(totals.mean()) if totals.size else 0.0
    if not mean > 0 or not math.isfinite(mean):
        return math.nan
    return float(totals.std()) / mean


def frame_axis_verdict(frames: np.ndarray, *, square: bool = True) -> LayoutVerdict:
    """The verdict for an in-memory (a, b, c) array (what ``migrate`` asks of a cube)."""
    fortran = bool(np.isfortran(frames))
    totals = AxisTotals(frames.shape, fortran=fortran, square=square)
    flat = np.ravel(frames, order="F" if fortran else "C")
    step = 1 << 20
    for start in range(0, flat.size, step):
        totals.update(flat[start:start + step])
    return totals.verdict()
