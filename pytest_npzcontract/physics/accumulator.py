"""The dose estimator's one pass: :class:`NphotonsAccumulator` takes the frames chunk by chunk
(per-frame sums of ``X`` and ``X**2`` and a bounded, evenly spread sample of values) and turns
them into an :class:`NphotonsEstimate` per group (e.g. per source of a merged file). The maths
is in :mod:`.estimate`'s docstring and docs/physics.md; the lattice search in :mod:`.lattice`::

    >>> acc = NphotonsAccumulator(np.float32, 64 * 64)
    >>> for chunk in chunks: acc.update(chunk)
    >>> acc.result().value
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .lattice import MIN_VERIFY, _distinct, find_spacing
from .mixture import FrameKeeper, Mixture, find_mixture

#: Values kept in the sample the lattice is found and verified on: at most SAMPLE_CAPACITY,
#: and for a known total 1/SAMPLE_SHARE of the values but at least MIN_SAMPLE.
SAMPLE_CAPACITY = 1 << 16
MIN_SAMPLE = 1 << 13
SAMPLE_SHARE = 16
#: Fractional part of the golden ratio: positions i * _WEYL mod 1 spread evenly for any n.
_WEYL = 0.6180339887498949
FRAME_KEYS = ("diffraction", "diff3d")

METHODS = {
    "counts": "whole-number photon counts, summed",
    "lattice": "squared amplitudes on a lattice of spacing delta; sum X**2 / delta",
    "scaled-counts": "values on a lattice of spacing c (rescaled counts); sum X / c",
}


@dataclass(frozen=True)
class NphotonsEstimate:
    """Mean photons per pattern estimated from the frames, or why it cannot be.

    ``value`` is ``None`` when undetermined (then ``reason`` says why); ``uncertainty`` is the
    relative standard error; ``spacing`` the lattice spacing found (``delta`` for ``lattice``,
    ``c`` for ``scaled-counts``, 1 for ``counts``); ``spread`` the relative standard deviation
    of the per-pattern photon totals.
    """

    value: float | None
    method: str | None
    uncertainty: float | None
    patterns: int
    reason: str | None = None
    spacing: float | None = None
    spread: float | None = None
    key: str | None = None

    @property
    def determined(self) -> bool:
        return self.value is not None

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value, "method": self.method, "uncertainty": self.uncertainty,
                "patterns": self.patterns, "reason": self.reason, "spacing": self.spacing,
                "spread": self.spread, "key": self.key}

    def text(self) -> str:
        """One line for people: ``1.00e+06 +- 0.01% (lattice, 8 patterns)``."""
        if self.value is None:
            return f"undetermined ({self.reason})"
        return (f"{self.value:.4g} +- {100 * (self.uncertainty or 0):.2g}% "
                f"({self.method}, {self.patterns} patterns)")


class _Group:
    """Running sums and the random sample of one group of frames (one source's dose)."""

    def __init__(self) -> None:
        self.frames = 0
        self.sum1 = 0.0       # sum of X over all frames (exact for integers below 2**53)
        self.sum2 = 0.0       # sum of X**2
        self.sq_totals = 0.0  # sum over frames of (frame's sum of X**2)**2, for the spread
        self.sq_counts = 0.0  # same for sum of X
        self.sample: list[np.ndarray] = []
        self.sampled = 0


class NphotonsAccumulator:
    """Feed flat chunks of a frames array in storage order; read :meth:`result` at the end.

    ``frame_size`` is H*W; ``labels`` (one per frame) splits the estimate by group, e.g. a merged
    file's ``source_index``; ``fortran`` says the chunks come in Fortran order (then only the
    whole-array estimate is available and labels are refused). ``total``: the number of values
    that will be fed, when known; it sizes the sample (see the module docstring).
    ``keep_frames`` (no labels, C order) keeps what :meth:`mixture` needs: every frame's sums
    and a few whole frames.

    >>> acc = NphotonsAccumulator(np.float32, 64 * 64)
    >>> for chunk in chunks: acc.update(chunk)
    >>> acc.result().value
    """

    def __init__(self, dtype: Any, frame_size: int, *, labels: Any = None,
                 fortran: bool = False, key: str | None = None, seed: int = 0,
                 total: int | None = None, keep_frames: bool = False) -> None:
        self.dtype = np.dtype(dtype)
        self.frame_size = max(int(frame_size), 1)
        self.fortran = fortran
        self.key = key
        self.integer = self.dtype.kind in "biu"
        self.integral = self.dtype.kind in "biuf"
        self.problem: str | None = None
        if self.dtype.kind not in "biuf":
            self.problem = f"{self.dtype} data cannot hold photon counts"
        self._drawn = int(seed) * 7919  # position in the Weyl sequence
        self._capacity = SAMPLE_CAPACITY if total is None else \
            min(SAMPLE_CAPACITY, max(MIN_SAMPLE, int(total) // SAMPLE_SHARE))
        self._take = self._capacity
        self._early: tuple[np.ndarray, tuple[float, float] | str] | None = None
        self._carry: np.ndarray | None = None
        self._frame = 0
        self._values = 0
        self._need_sum_x = True
        self._decided = False
        if labels is not None:
            if fortran:
                raise ValueError("labels need frames in C order")
            names, index = np.unique(np.asarray(labels).ravel(), return_inverse=True)
            self._names: list[Any] = [n.item() for n in names]
            self._index: np.ndarray | None = index.astype(np.intp)
        else:
            self._names, self._index = [None], None
        self._groups = [_Group() for _ in self._names]
        self.keeper = None
        if keep_frames and self._index is None and not fortran:
            count = None if total is None else int(total) // self.frame_size
            self.keeper = FrameKeeper(count, self.frame_size)

    # -- streaming -------------------------------------------------------------------------
    def update(self, chunk: np.ndarray) -> None:
        """Add the next values (a flat array of any length, in storage order)."""
        if self.problem is not None or chunk.size == 0:
            return
        x = chunk.ravel()
        if self.fortran:
            self._whole(x)
            return
        F = self.frame_size
        start = 0
        if self._carry is not None:
            need = F - self._carry.size
            head = x[:need]
            self._carry = np.concatenate([self._carry, head])
            start = head.size
            if self._carry.size < F:
                return
            self._frames(self._carry.reshape(1, F))
            self._carry = None
        full = (x.size - start) // F
        if full:
            self._frames(x[start:start + full * F].reshape(full, F))
        rest = x[start + full * F:]
        if rest.size:
            self._carry = rest.copy()

    def _frames(self, block: np.ndarray) -> None:
        nf = block.shape[0]
        first = self._frame
        self._frame += nf
        self._check_integral(block)
        s1, s2 = self._sums(block)
        if self._index is None:
            self._add(self._groups[0], s1, s2)
            if self.keeper is not None:
                self.keeper.take(first, block)
                self.keeper.totals(s1, s2)
            self._sample(block.ravel(), None, first)
            if not self._decided:
                self._decide_sum_x()
            return
        if first + nf > self._index.size:
            self.problem = (f"{self._index.size} group labels for more frames "
                            f"({first + nf}+)")
            return
        groups = self._index[first:first + nf]
        for g in _distinct(groups):
            mask = groups == g
            self._add(self._groups[g], s1[mask], s2[mask])
        self._sample(block.ravel(), groups, first)

    def _whole(self, x: np.ndarray) -> None:
        """Fortran order: frames are interleaved, so only totals (and the sample) are kept."""
        self._check_integral(x)
        group = self._groups[0]
        if self.integer:
            group.sum1 += float(x.sum(dtype=np.int64))
        else:
            group.sum1 += float(x.sum(dtype=np.float64))
            group.sum2 += float(np.square(x, dtype=np.float64).sum())
        self._values += x.size
        self._sample(x, None, 0)

    def _check_integral(self, block: np.ndarray) -> None:
        if self.integral and not self.integer:
            # a short head first: amplitudes show a fraction within a few values, so the
            # whole block is only compared (one more pass) while it still looks integral
            flat = block.ravel()
            head = flat[:256]
            self.integral = bool(np.array_equal(np.trunc(head), head)) and \
                bool(np.array_equal(np.trunc(flat), flat))

    def _sums(self, block: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if self.integer:
            s1 = block.sum(axis=1, dtype=np.int64).astype(np.float64)
            return s1, np.zeros_like(s1)
        if self.integral:
            s1 = block.sum(axis=1, dtype=np.float64)
        elif self._need_sum_x:
            s1 = block.sum(axis=1).astype(np.float64)
        else:
            s1 = np.zeros(block.shape[0])
        # batched dot products (one small matmul per frame): a fraction of a pass
        s2 = (block[:, None, :] @ block[:, :, None]).ravel().astype(np.float64)
        return s1, s2

    def _decide_sum_x(self) -> None:
        """After the first frames: sum X per frame only if the data may be rescaled counts
        (``scaled-counts`` needs it); square roots of counts show non-square k on their
        lattice already, and then the per-chunk cost is one batched dot product only."""
        self._decided = True
        if self.integral or self._index is not None:
            return
        sample = np.concatenate(self._groups[0].sample) if self._groups[0].sample else None
        if sample is None:
            return
        y = np.square(sample[np.isfinite(sample) & (sample > 0)].astype(np.float64))
        if y.size < MIN_VERIFY:
            return
        found = find_spacing(y, float(np.finfo(self.dtype).eps))
        self._early = (y, found)  # reused at the end when no other frames came
        if isinstance(found, str):
            return
        k = np.rint(y / found[0])
        if np.any(np.isin(k[k <= 8], (2, 3, 5, 6, 7, 8))):
            self._need_sum_x = False

    @staticmethod
    def _add(group: _Group, s1: np.ndarray, s2: np.ndarray) -> None:
        group.frames += s1.size
        group.sum1 += float(s1.sum())
        group.sum2 += float(s2.sum())
        group.sq_totals += float(np.square(s2).sum())
        group.sq_counts += float(np.square(s1).sum())

    def _sample(self, flat: np.ndarray, groups: np.ndarray | None, first_frame: int) -> None:
        """Draw ``self._take`` random values (a fixed share of each chunk, so the sample stays
        uniform); halve every group's sample and the share when the total passes capacity."""
        n = min(self._take, flat.size)
        steps = np.arange(self._drawn, self._drawn + n, dtype=np.float64)
        self._drawn += n
        positions = (np.modf(steps * _WEYL)[0] * flat.size).astype(np.intp)
        values = flat[positions]
        if groups is None:
            self._groups[0].sample.append(values)
            self._groups[0].sampled += n
        else:
            owner = groups[positions // self.frame_size]
            for g in _distinct(owner):
                picked = values[owner == g]
                self._groups[g].sample.append(picked)
                self._groups[g].sampled += picked.size
        if sum(g.sampled for g in self._groups) > self._capacity:
            for group in self._groups:
                kept = np.concatenate(group.sample)[::2] if group.sample else flat[:0]
                group.sample, group.sampled = [kept], kept.size
            self._take = max(self._take // 2, 16)

    # -- results ---------------------------------------------------------------------------
    def result(self) -> NphotonsEstimate:
        """The estimate over all frames (groups pooled only when there is a single group)."""
        if len(self._groups) == 1:
            return self._finish(self._groups[0])
        return NphotonsEstimate(None, None, None, self._frame, key=self.key,
                                reason="frames carry several group labels; see results()")

    def results(self) -> dict[Any, NphotonsEstimate]:
        """One estimate per group label (``{None: ...}`` when no labels were given)."""
        return {name: self._finish(group) for name, group in zip(self._names, self._groups,
                                                                  strict=True)}

    def mixture(self, factor: float, estimate: NphotonsEstimate | None) -> Mixture | None:
        """Groups of frames more than ``factor`` apart in dose (:mod:`.mixture`), or ``None``:
        one dose, frames not kept, or values that are no photon counts at all. ``estimate``
        is :meth:`result` (``None``: nothing to judge)."""
        group = self._groups[0]
        if estimate is None or self.keeper is None or self.problem or not (math.isfinite(group.sum1)
                                                        and math.isfinite(group.sum2)):
            return None
        if group.sum1 == group.sum2 == 0 or any(part.size and part.min() < 0 for part in group.sample):
            return None
        eps = float(np.finfo(self.dtype).eps) if self.dtype.kind == "f" else 0.0
        return find_mixture(self.keeper, estimate, eps, factor)

    def _finish(self, group: _Group) -> NphotonsEstimate:
        patterns = group.frames
        if self.fortran:
            patterns = self._values // self.frame_size
        elif self._carry is not None and self._index is None:
            self.problem = self.problem or "the data end inside a frame"

        def none(reason: str) -> NphotonsEstimate:
            return NphotonsEstimate(None, None, None, patterns, reason=reason, key=self.key)

        if self.problem:
            return none(self.problem)
        if patterns == 0:
            return none("no frames")
        if not (math.isfinite(group.sum1) and math.isfinite(group.sum2)):
            return none("non-finite values (NaN or infinity) in the frames")
        sample = np.concatenate(group.sample) if group.sample else np.zeros(0, self.dtype)
        if sample.size and sample.min() < 0:
            return none("negative values: not photon counts or their square roots "
                        "(background-subtracted?)")
        if group.sum1 == 0:
            return none("every value is zero")
        if self.integral:
            distinct = _distinct(sample[sample > 0]).size
            if not self.integer and distinct < 3:
                return none(f"whole numbers with only {distinct} distinct non-zero value(s): "
                            "counts cannot be told from amplitudes")
            return self._estimate(patterns, "counts", 1.0, group.sum1, group.sq_counts)
        return self._lattice(group, patterns, sample)

    def _estimate(self, patterns: int, method: str, spacing: float, total: float,
                  sq_totals: float, spacing_error: float = 0.0) -> NphotonsEstimate:
        """``total`` photons over ``patterns`` frames; ``sq_totals`` the sum of each frame's
        photon total squared (for the spread)."""
        mean = total / patterns
        spread = None
        if not self.fortran and mean > 0:
            spread = math.sqrt(max(sq_totals / patterns - mean ** 2, 0.0)) / mean
        # Poisson sampling of the total count, plus the spacing's relative error.
        uncertainty = math.sqrt(1.0 / max(total, 1.0) + spacing_error ** 2)
        return NphotonsEstimate(mean, method, uncertainty, patterns, spacing=spacing,
                                spread=spread, key=self.key)

    def _lattice(self, group: _Group, patterns: int, sample: np.ndarray) -> NphotonsEstimate:
        def none(reason: str) -> NphotonsEstimate:
            return NphotonsEstimate(None, None, None, patterns, reason=reason, key=self.key)

        eps = float(np.finfo(self.dtype).eps)
        y = np.square(sample[sample > 0].astype(np.float64))
        if y.size < MIN_VERIFY:
            return none(f"only {y.size} non-zero values sampled; need {MIN_VERIFY} to find "
                        "a photon-count lattice")
        early = self._early
        if early is not None and early[0].shape == y.shape and np.array_equal(early[0], y):
            found = early[1]  # the same sample the first frames were judged on
        else:
            found = find_spacing(y, eps)
        if isinstance(found, str):
            return none(found)
        delta, rel_error = found
        k = y / delta
        small = np.rint(k[k <= 40.5]).astype(np.int64)
        present = _distinct(small)
        if present.size >= 3 and np.all(np.isin(present, np.arange(1, 8) ** 2)):
            if not self._need_sum_x:
                return none("the first frames looked like square roots of counts, the rest "
                            "like rescaled counts: mixed data")
            # Only perfect squares: the values themselves are rescaled counts c*k.
            c = math.sqrt(delta)
            return self._estimate(patterns, "scaled-counts", c, group.sum1 / c,
                                  group.sq_counts / c ** 2, rel_error / 2)
        return self._estimate(patterns, "lattice", delta, group.sum2 / delta,
                              group.sq_totals / delta ** 2, rel_error)
