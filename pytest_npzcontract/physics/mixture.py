"""Frames of several doses in one file without ``source_index``, found from the data: each
examined frame's own photon-count lattice, and the photon totals of every frame.

How a mix shows depends on how the frames were stored (docs/physics.md, "Several doses under a
one-dose reader"). Normalized per dataset (``X = sqrt(k) / s``, the simulator's storage) every
frame holds about the same ``sum X**2`` and the dose lives in the lattice spacing
``delta = 1 / s**2``: frames of two datasets sit on two lattices. Stored unscaled (``sqrt(k)``,
or counts) they share one lattice and the dose lives in the photon totals. So two views:

- *spacing*: a bounded number of whole frames, spread through the file and copied during the
  pass, each get their own spacing (the file's lattice and the whole counts on it, or the
  frame's smallest value: one or two photons); frames group by spacing (equal within a dataset to a fraction of a percent);
  groups covering most frames whose mean doses are more than ``factor`` apart are a mix;
- *totals*: every frame's photon total (in the file's lattice unit) sorted; a mix is two
  clusters, each a real share of the frames, with a gap wider than ``factor`` and wider than
  either cluster's own spread (one dose spreads its totals by the object's transmission, up to
  3.5x on the simulator's objects; two clusters that tight and that far apart are two doses).

The extra cost is a copy of at most :data:`EXAMINED` frames and, at the end, a check of each::

    >>> keeper = FrameKeeper(n_frames=64, frame_size=64 * 64)
    >>> keeper.take(first, block); keeper.totals(s1, s2)      # per block of whole frames
    >>> find_mixture(keeper, estimate, eps, factor=2.0).text()  # None when one dose
    'per group (16 frames examined, each by its own lattice spacing): 8 frames (0-7) estimated
    9998 (spacing 0.01979); 8 frames (8-15) estimated 1e+08 (spacing 1.893e-06)'
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .lattice import MAX_VERIFY_K, MIN_ON_LATTICE, _tolerance

#: Whole frames examined for their own lattice (spread evenly through the file), and the
#: values kept of each (a large frame is subsampled with a stride).
EXAMINED = 32
FRAME_VALUES = 1 << 14
#: A group must hold this share of the frames considered, and at least MIN_FRAMES of them.
MIN_SHARE = 0.1
MIN_FRAMES = 3
#: Spacings within this relative distance are one lattice (a dataset's spacing is one number;
#: its fit on one frame is good to ~1e-3). Spacing groups must cover COVER of the frames.
SPACING_TOLERANCE = 0.05
COVER = 0.9
#: With no lattice for the file, stop when none of the first EARLY examined frames has one.
EARLY = 4
#: Values (with at most MAX_VERIFY_K photons) a frame's spacing is verified on, and the
#: divisors of its smallest value tried as spacing.
MIN_VALUES = 16
MAX_DIVISOR = 4


@dataclass(frozen=True)
class DoseGroup:
    """Frames (indices in the file) estimated at one dose; ``where`` says which, as runs of
    the frames considered; ``spacing`` is the lattice spacing of ``X**2`` they share (the
    spacing view) or ``None`` (the totals view)."""

    frames: tuple[int, ...]
    dose: float
    where: str
    spacing: float | None = None

    def text(self) -> str:
        """``8 frames (0-7) estimated 1.002e+04 (spacing 0.0198)``."""
        said = f"{len(self.frames)} frames ({self.where}) estimated {self.dose:.4g}"
        return said + (f" (spacing {self.spacing:.4g})" if self.spacing else "")


@dataclass(frozen=True)
class Mixture:
    """Two or more groups of frames, by dose (lowest first), and how they were found."""

    groups: tuple[DoseGroup, ...]
    basis: str
    considered: int

    @property
    def ratio(self) -> float:
        return self.groups[-1].dose / self.groups[0].dose

    def text(self) -> str:
        """``per group (...): 8 frames (0-7) estimated ...; 8 frames (8-15) estimated ...``."""
        return f"per group ({self.basis}): " + "; ".join(g.text() for g in self.groups)


class FrameKeeper:
    """What the pass keeps for :func:`find_mixture`: every frame's sums of ``X`` and ``X**2``
    and copies of up to :data:`EXAMINED` frames evenly spread over ``n_frames`` (the first
    ones when the count is unknown)."""

    def __init__(self, n_frames: int | None, frame_size: int) -> None:
        count = EXAMINED if n_frames is None else min(EXAMINED, max(int(n_frames), 0))
        last = EXAMINED - 1 if n_frames is None else max(int(n_frames) - 1, 0)
        self.wanted = np.unique(np.rint(np.linspace(0, last, count)).astype(np.int64))
        self.stride = max(1, math.ceil(frame_size / FRAME_VALUES))
        self.kept: dict[int, np.ndarray] = {}
        self._s1: list[np.ndarray] = []
        self._s2: list[np.ndarray] = []

    def take(self, first: int, block: np.ndarray) -> None:
        """Copy the wanted frames among ``block`` (frames ``first``, ``first + 1``, ...)."""
        lo, hi = np.searchsorted(self.wanted, (first, first + block.shape[0]))
        for index in self.wanted[lo:hi]:
            self.kept[int(index)] = np.array(block[index - first, ::self.stride])

    def totals(self, s1: np.ndarray, s2: np.ndarray) -> None:
        self._s1.append(np.asarray(s1, np.float64))
        self._s2.append(np.asarray(s2, np.float64))

    def sums(self) -> tuple[np.ndarray, np.ndarray]:
        """Per-frame sums of ``X`` and of ``X**2``, in file order."""
        if not self._s1:
            return np.zeros(0), np.zeros(0)
        return np.concatenate(self._s1), np.concatenate(self._s2)


def find_mixture(keeper: FrameKeeper, estimate: Any, eps: float,
                 factor: float) -> Mixture | None:
    """The groups of frames more than ``factor`` apart in dose, or ``None`` (one dose, or
    nothing to tell). ``estimate`` is the file's :class:`NphotonsEstimate`: its ``method`` and
    ``spacing`` say how the values relate to counts."""
    s1, s2 = keeper.sums()
    method = estimate.method if estimate.determined else None
    if method == "counts":  # whole counts: one spacing, 1; the totals are the doses
        return _by_totals(s1, np.arange(s1.size), factor, f"photon totals of all {s1.size} "
                          "frames")
    scaled = method == "scaled-counts"
    unit = None if method is None else estimate.spacing ** (2 if scaled else 1)
    examined = _examine(keeper, s1, s2, unit, eps, scaled)
    mix = _by_spacing(examined, factor)
    if mix is not None or unit is None and not examined:
        return mix
    if unit is not None:  # every frame's total on the file's lattice
        doses = s1 / math.sqrt(unit) if scaled else s2 / unit
        return _by_totals(doses, np.arange(doses.size), factor,
                          f"photon totals of all {doses.size} frames")
    frames = np.array([i for i, _, _ in examined])
    return _by_totals(np.array([d for _, _, d in examined]), frames, factor,
                      f"photon totals of {frames.size} examined frames, each on its own lattice")


def _examine(keeper: FrameKeeper, s1: np.ndarray, s2: np.ndarray, unit: float | None,
             eps: float, scaled: bool) -> list[tuple[int, float, float]]:
    """``(frame, spacing, dose)`` for each kept frame whose own lattice was found."""
    indices = [i for i in sorted(keeper.kept) if i < s2.size]
    known = on_file_lattice([keeper.kept[i] for i in indices], unit, eps)
    found: list[tuple[int, float, float]] = []
    for tried, (index, spacing) in enumerate(zip(indices, known, strict=True)):
        if unit is None and not found and tried >= EARLY:
            break  # no lattice in the first frames: noise-free or interpolated data
        spacing = spacing or frame_spacing(keeper.kept[index], eps)
        if spacing is None:
            continue
        dose = s1[index] / math.sqrt(spacing) if scaled else s2[index] / spacing
        if dose > 0:
            found.append((index, spacing, float(dose)))
    return found


def on_file_lattice(frames: list[np.ndarray], unit: float | None,
                    eps: float) -> list[float | None]:
    """Each frame's spacing when it sits on the file's lattice ``unit`` (``X**2`` spacing):
    ``unit`` times the greatest common divisor of its counts on it (a frame of a lower dose
    sits on a coarser lattice); ``None`` for a frame that does not. One vectorised pass over
    all the frames."""
    if unit is None or not frames or len({f.size for f in frames}) != 1:
        return [None] * len(frames)
    y = np.square(np.stack(frames).astype(np.float64))
    k = y / unit
    use = (y > 0) & (k <= MAX_VERIFY_K + 0.5)
    nearest = np.rint(k)
    on = use & (nearest >= 1) & (np.abs(k - nearest) <= _tolerance(nearest, eps))
    enough = (use.sum(axis=1) >= MIN_VALUES) & (on.sum(axis=1) >= MIN_ON_LATTICE
                                                 * use.sum(axis=1))
    ones = (on & (nearest == 1)).any(axis=1)  # a one-photon pixel: the gcd is 1
    return [None if not ok else unit if one else
            unit * int(np.gcd.reduce(row[hit].astype(np.int64)))
            for ok, one, row, hit in zip(enough, ones, nearest, on, strict=True)]


def frame_spacing(values: np.ndarray, eps: float) -> float | None:
    """The lattice spacing of one frame's squared values on a lattice of its own, or
    ``None``: the frame's smallest value divided by 1..MAX_DIVISOR (a frame of Poisson counts
    nearly always holds a pixel of one or two photons), the first on which the frame's
    values sit."""
    y = np.square(values[values > 0].astype(np.float64))
    if y.size < MIN_VALUES:
        return None
    for m in range(1, MAX_DIVISOR + 1):
        spacing = float(y.min()) / m
        k = y / spacing
        k = k[k <= MAX_VERIFY_K + 0.5]
        nearest = np.rint(k)
        on = (nearest >= 1) & (np.abs(k - nearest) <= _tolerance(nearest, eps))
        if k.size >= MIN_VALUES and np.count_nonzero(on) >= MIN_ON_LATTICE * k.size:
            return spacing
    return None


def _by_spacing(examined: list[tuple[int, float, float]], factor: float) -> Mixture | None:
    """Frames grouped by their own spacing; a mix when the groups that are a real share cover
    most frames and their mean doses are more than ``factor`` apart."""
    ordered = sorted(examined, key=lambda item: item[1])
    runs: list[list[tuple[int, float, float]]] = []
    for item in ordered:
        if runs and item[1] <= runs[-1][-1][1] * (1 + SPACING_TOLERANCE):
            runs[-1].append(item)
        else:
            runs.append([item])
    real = [r for r in runs if _real(len(r), len(ordered))]
    if len(real) < 2 or sum(map(len, real)) < COVER * len(ordered):
        return None
    considered = sorted(i for i, _, _ in ordered)
    groups = [_group([i for i, _, _ in r], considered, float(np.mean([d for _, _, d in r])),
                     float(np.median([s for _, s, _ in r]))) for r in real]
    groups = _merge_close(sorted(groups, key=lambda g: g.dose), considered, factor)
    if len(groups) < 2:
        return None
    return Mixture(tuple(groups), f"{len(ordered)} frames examined, each by its own lattice "
                   "spacing", len(ordered))


def _merge_close(groups: list[DoseGroup], considered: list[int],
                 factor: float) -> list[DoseGroup]:
    """Adjacent groups (by dose) within ``factor`` of each other are one dose."""
    merged: list[DoseGroup] = []
    for group in groups:
        if merged and group.dose <= merged[-1].dose * factor:
            last = merged.pop()
            frames = [*last.frames, *group.frames]
            dose = (last.dose * len(last.frames) + group.dose * len(group.frames)) / len(frames)
            group = _group(frames, considered, dose, None)
        merged.append(group)
    return merged


def _by_totals(doses: np.ndarray, frames: np.ndarray, factor: float,
               basis: str) -> Mixture | None:
    """Clusters of per-frame doses split by gaps wider than ``factor`` and than the spread of
    the clusters on either side; a mix when two or more are a real share of the frames."""
    use = np.isfinite(doses) & (doses > 0)
    if np.count_nonzero(use) < 2 * MIN_FRAMES:
        return None
    order = np.argsort(doses[use], kind="stable")
    logs, where = np.log(doses[use][order]), frames[use][order]
    cuts = [0, *(np.flatnonzero(np.diff(logs) > math.log(factor)) + 1), logs.size]
    runs = list(zip(cuts, cuts[1:], strict=False))
    i = 0
    while i < len(runs) - 1:  # a gap no wider than a neighbour's own spread splits nothing
        (a, b), (c, d) = runs[i], runs[i + 1]
        if logs[c] - logs[b - 1] <= max(logs[b - 1] - logs[a], logs[d - 1] - logs[c]):
            runs[i:i + 2] = [(a, d)]
            i = max(i - 1, 0)
        else:
            i += 1
    real = [(a, b) for a, b in runs if _real(b - a, logs.size)]
    if len(real) < 2:
        return None
    considered = sorted(int(i) for i in where)
    groups = tuple(_group([int(i) for i in where[a:b]], considered,
                          float(np.exp(logs[a:b]).mean()), None) for a, b in real)
    return Mixture(groups, basis, int(logs.size))


def _group(frames: list[int], considered: list[int], dose: float,
           spacing: float | None) -> DoseGroup:
    frames = sorted(frames)
    return DoseGroup(tuple(frames), dose, frame_ranges(frames, considered), spacing)


def _real(size: int, of: int) -> bool:
    """A real share of the frames, not a couple of outliers."""
    return size >= MIN_FRAMES and size >= MIN_SHARE * of


def frame_ranges(frames: list[int], considered: list[int], most: int = 4) -> str:
    """``0-7, 12, 14-15``: runs of ``frames`` that are consecutive among the ``considered``
    frames (sorted), the first ``most`` of them."""
    position = {f: p for p, f in enumerate(considered)}
    runs: list[list[int]] = []
    for f in frames:
        if runs and position[f] == position[runs[-1][1]] + 1:
            runs[-1][1] = f
        else:
            runs.append([f, f])
    said = [f"{a}" if a == b else f"{a}-{b}" for a, b in runs[:most]]
    return ", ".join(said) + (", ..." if len(runs) > most else "")
