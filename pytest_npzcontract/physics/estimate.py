"""The dose from the data: mean photons per pattern read from the Poisson lattice of the frames.

Stored diffraction is ``X = c sqrt(k) / s`` with ``k`` whole photon counts (SPEC §6; ``c`` any
later rescaling), so ``X**2`` sits on a lattice of spacing ``delta = c**2 / s**2`` and the mean
photon count per pattern is ``mean_i sum X_i**2 / delta`` whatever ``c`` and ``s`` are. Integer
counts are summed directly. Without a lattice (noise-free simulation, interpolation, binned
amplitudes, background subtraction) the dose cannot be read, and the result says why::

    >>> est = estimate_nphotons("train.npz")
    >>> est.value, est.method, est.uncertainty, est.patterns
    (1000412.5, 'lattice', 0.00011, 8)
    >>> estimate_nphotons(noise_free_frames).reason
    'no photon-count lattice: ...'

One pass, bounded memory (:class:`NphotonsAccumulator`): per chunk, per-frame sums of ``X`` and
``X**2`` (vectorised) and a bounded, evenly spread sample of values (a Weyl sequence of
positions: deterministic, no ``numpy.random``); the spacing is found and verified on the sample
at the end. The sample's size scales with the data (``total``: 1/16 of the values, between
:data:`MIN_SAMPLE` and :data:`SAMPLE_CAPACITY`), so a small file costs little. See docs/physics.md for the derivation and when it abstains.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

#: Values kept in the sample the lattice is found and verified on: at most SAMPLE_CAPACITY,
#: and for a known total 1/SAMPLE_SHARE of the values but at least MIN_SAMPLE.
SAMPLE_CAPACITY = 1 << 16
MIN_SAMPLE = 1 << 13
SAMPLE_SHARE = 16
#: Fractional part of the golden ratio: positions i * _WEYL mod 1 spread evenly for any n.
_WEYL = 0.6180339887498949
#: Lowest distinct squared values tried as lattice points, and multiples tried for each.
LOW_DISTINCT = 48
MAX_MULTIPLE = 64
#: Largest photon count k used to verify the lattice (float32 rounding stays below 0.05 there).
MAX_VERIFY_K = 16384
#: Sampled non-zero values with k <= MAX_VERIFY_K needed, and the fraction that must be on it.
MIN_VERIFY = 200
MIN_ON_LATTICE = 0.99
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

    >>> acc = NphotonsAccumulator(np.float32, 64 * 64)
    >>> for chunk in chunks: acc.update(chunk)
    >>> acc.result().value
    """

    def __init__(self, dtype: Any, frame_size: int, *, labels: Any = None,
                 fortran: bool = False, key: str | None = None, seed: int = 0,
                 total: int | None = None) -> None:
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
            self.integral = bool(np.array_equal(np.trunc(block), block))

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


# -- files and arrays -----------------------------------------------------------------------

def frames_key(keys: Iterable[str]) -> str | None:
    """The key holding the frames: ``diffraction``, else the legacy/raw ``diff3d``."""
    names = set(keys)
    return next((k for k in FRAME_KEYS if k in names), None)


def estimate_nphotons(path_or_array: str | os.PathLike | np.ndarray | Mapping[str, Any], *,
                      key: str | None = None, labels: Any = None,
                      chunk_bytes: int = 4 << 20, by_label: bool = False
                      ) -> NphotonsEstimate | dict[Any, NphotonsEstimate]:
    """Mean photons per pattern of a file's (or an array's) frames, streamed in chunks.

    ``key`` names the frames (default ``diffraction``, else ``diff3d``); ``labels`` (one per
    frame) is accepted for symmetry with :class:`NphotonsAccumulator` and then the result is
    for a single label only, unless ``by_label``: then a dict of one estimate per label (each
    source of a merged file alone). A file that cannot be read raises ``ContractViolation``.

    >>> estimate_nphotons("sim.npz").text()
    '1e+06 +- 0.01% (lattice, 64 patterns)'
    """
    if isinstance(path_or_array, (str, os.PathLike)):
        acc = _estimate_file(path_or_array, key, labels, chunk_bytes)
        return acc.results() if by_label else _single(acc)
    if isinstance(path_or_array, Mapping):
        key = key or frames_key(path_or_array)
        if key is None or key not in path_or_array:
            raise KeyError(f"no frames: give key= (keys: {', '.join(map(str, path_or_array))})")
        array = np.asarray(path_or_array[key])
    else:
        array = np.asarray(path_or_array)
    if array.ndim < 2:
        raise ValueError(f"frames must be (n, H, W) or (H, W), not shape {array.shape}")
    acc = NphotonsAccumulator(array.dtype, array.shape[-1] * array.shape[-2], labels=labels,
                              key=key, total=array.size)
    flat = np.ravel(array)
    step = max(chunk_bytes // max(array.itemsize, 1), acc.frame_size)
    for start in range(0, flat.size, step):
        acc.update(flat[start:start + step])
    return acc.results() if by_label else _single(acc)


def _single(acc: NphotonsAccumulator) -> NphotonsEstimate:
    results = acc.results()
    return next(iter(results.values())) if len(results) == 1 else acc.result()


def _estimate_file(path: str | os.PathLike, key: str | None, labels: Any,
                   chunk_bytes: int) -> NphotonsAccumulator:
    from ..base.errors import ContractViolation
    from ..base.report import Finding
    from ..io.archive import CORRUPTION_ERRORS, iter_member_arrays, scan_archive
    from ..io.npyheader import HeaderError

    fspath = os.fspath(path)
    with scan_archive(fspath) as scan:
        errors = [f for f in scan.findings if f.severity == "error"
                  and (f.key is None or f.key == key)]
        if scan.zf is None or (errors and key is None and not scan.members):
            raise ContractViolation(findings=errors or scan.findings)
        key = key or frames_key(scan.members)
        if key is None or key not in scan.members:
            raise ContractViolation(findings=errors or [Finding(
                fspath, key, "missing-key", "error",
                f"no frames to estimate from (keys: {', '.join(scan.members) or 'none'})")])
        member = scan.members[key]
        if member.ndim < 2:
            raise ContractViolation(findings=[Finding(
                fspath, key, "bad-ndim", "error",
                f"{key} is {member.ndim}-D {member.shape}; frames are (n, H, W)")])
        acc = NphotonsAccumulator(member.dtype, member.shape[-1] * member.shape[-2],
                                  labels=labels, fortran=member.fortran_order, key=key,
                                  total=math.prod(member.shape))
        try:
            for chunk in iter_member_arrays(scan.zf, scan.infos[key], member, chunk_bytes):
                acc.update(chunk)
        except HeaderError as exc:
            raise ContractViolation(findings=[Finding(fspath, key, exc.rule, "error",
                                                      str(exc))]) from None
        except CORRUPTION_ERRORS as exc:
            raise ContractViolation(findings=[Finding(
                fspath, key, "unreadable", "error", f"corrupt data ({exc})")]) from None
    return acc
