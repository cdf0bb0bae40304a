"""Rule ``nphotons-inconsistent``: the recorded dose against the one the frames' photon
statistics give, computed inside the checker's value scan (the same chunks, one pass).

A merged file (per-image ``source_index``, per-source nphotons under ``source_datasets``) is
judged source by source, each against its own dose. Nothing is reported when the estimate is
undetermined (no lattice, too few photons) or the rule is off::

    >>> dose = DoseCheck.start(run, arrays, "diffraction")   # None when it cannot fire
    >>> stats = scan_chunks(dtype, chunks, dose.observe)
    >>> dose.finish(run)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ..base.echo import shown
from ..metadata.doses import file_dose
from ..physics.estimate import NphotonsAccumulator, NphotonsEstimate
from .rules import resolve_level
from .sources import source_entries, source_nphotons

RULE = "nphotons-inconsistent"
DEFAULT_FACTOR = 2.0


def validate_factor(factor: Any) -> float:
    """A usable factor (a number > 1); raises ``ValueError`` naming the bad value."""
    if isinstance(factor, bool) or not isinstance(factor, (int, float)) or not factor > 1 \
            or factor == float("inf"):
        raise ValueError(f"nphotons_factor must be a finite number > 1, not {shown(factor)}")
    return float(factor)


class DoseCheck:
    """Feeds the estimator during the scan, then compares each group with its recorded dose."""

    def __init__(self, key: str, accumulator: NphotonsAccumulator,
                 doses: dict[Any, float], sources: Mapping[int, str], factor: float) -> None:
        self.key = key
        self.accumulator = accumulator
        self.doses = doses
        self.sources = sources
        self.factor = factor

    @classmethod
    def start(cls, run: Any, arrays: Mapping[str, Any], key: str | None) -> DoseCheck | None:
        """A check for ``arrays[key]``, or ``None`` when the rule is off, nothing is recorded,
        or the frames are not (n, H, W)."""
        if key is None or resolve_level(RULE, run.mode, run.levels) == "off":
            return None
        frames = arrays.get(key)
        if frames is None or len(frames.shape) != 3 or frames.dtype.kind not in "biuf":
            return None
        metadata = run.report.metadata
        factor = float(getattr(run, "nphotons_factor", DEFAULT_FACTOR))
        labels, doses, sources = None, {}, {}
        per_source = {i: dose for i, e in enumerate(source_entries(metadata))
                      if (dose := source_nphotons(e)) is not None}
        if per_source and "source_index" in arrays:
            labels = _read_labels(arrays["source_index"], frames.shape[0])
            if labels is not None:
                present = {int(v) for v in np.unique(labels)}
                doses = {i: d for i, d in per_source.items() if i in present}
                sources = _source_names(metadata)
        if not doses:
            labels = None
            dose = file_dose(metadata)
            if dose is None:
                return None
            doses = {None: dose}
        fortran = bool(getattr(frames, "fortran", False))
        if fortran and labels is not None:
            return None
        acc = NphotonsAccumulator(frames.dtype, frames.shape[1] * frames.shape[2],
                                  labels=labels, fortran=fortran, key=key)
        return cls(key, acc, doses, sources, factor)

    def observe(self, chunk: np.ndarray) -> None:
        self.accumulator.update(chunk)

    def finish(self, run: Any) -> dict[Any, NphotonsEstimate]:
        """Add a finding per group whose recorded dose and estimate are too far apart."""
        results = self.accumulator.results()
        for label, recorded in self.doses.items():
            estimate = results.get(label)
            if estimate is None or not estimate.determined or not estimate.value:
                continue
            ratio = max(estimate.value / recorded, recorded / estimate.value)
            if ratio <= self.factor:
                continue
            who = "metadata records"
            if label is not None:
                name = self.sources.get(label)
                who = f"source {label}{f' ({name})' if name else ''} records"
            run.add(RULE, self.key,
                    f"{who} nphotons={recorded:g} but the frames' photon statistics give "
                    f"{estimate.text()}: {ratio:.3g}x apart (limit {self.factor:g}x)")
        return results


def _read_labels(array: Any, n_frames: int) -> np.ndarray | None:
    """The per-image source indices (a small integer array), or ``None`` if unusable."""
    if array.dtype.kind not in "iu" or len(array.shape) != 1 or array.shape[0] != n_frames:
        return None
    try:
        # copies: a chunk may be a view of a buffer the next chunk overwrites
        labels = np.concatenate([np.array(c) for c in array.chunks()] or [np.zeros(0)])
    except Exception:  # a corrupt member is reported by its own scan
        return None
    return labels.astype(np.int64) if labels.size == n_frames else None


def _source_names(metadata: Any) -> dict[int, str]:
    return {i: e["path"] for i, e in enumerate(source_entries(metadata))
            if isinstance(e.get("path"), str)}
