"""Rule ``nphotons-inconsistent``: the recorded dose against the one the frames' photon
statistics give, computed inside the checker's value scan (the same chunks, one pass).

A merged file (per-image ``source_index``, per-source nphotons under ``source_datasets``) is
judged source by source, each against its own dose; under a profile whose reader takes one
nphotons per file (``Contract.single_dose``: raw, train) sources of different doses are rule
``mixed-dose``. Without ``source_index`` the frames themselves may show several doses
(:mod:`..physics.mixture`): under such a profile that is ``mixed-dose`` too. Every message
about a mix names each source's or group's estimate. Nothing is reported when the estimate
is undetermined (no lattice, too few photons) or the rule is off::

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
#: Rules that read the estimate: with all of them off the scan skips the estimator.
USERS = (RULE, "intensity-not-amplitude", "mixed-dose")
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
        """A check for ``arrays[key]``, or ``None`` when the frames are not (n, H, W) numbers.

        The estimate runs whether or not a dose is recorded: rule intensity-not-amplitude
        reads its method, and rule mixed-dose compares the sources' estimates; only with all
        three rules off is it skipped."""
        if key is None or all(resolve_level(rule, run.mode, run.levels) == "off"
                              for rule in USERS):
            return None
        frames = arrays.get(key)
        if frames is None or len(frames.shape) != 3 or frames.dtype.kind not in "biuf":
            return None
        metadata = run.report.metadata
        factor = float(getattr(run, "nphotons_factor", DEFAULT_FACTOR))
        fortran = bool(getattr(frames, "fortran", False))
        labels, doses, sources = None, {}, _source_names(metadata)
        if "source_index" in arrays and not fortran:
            labels = _read_labels(arrays["source_index"], frames.shape[0])
        file_recorded = file_dose(metadata)
        if labels is not None:
            per_source = {i: dose for i, e in enumerate(source_entries(metadata))
                          if (dose := source_nphotons(e)) is not None}
            for i in (int(v) for v in np.unique(labels)):
                dose = per_source.get(i, file_recorded)
                if dose is not None:
                    doses[i] = dose
        elif file_recorded is not None:
            doses = {None: file_recorded}
        acc = NphotonsAccumulator(frames.dtype, frames.shape[1] * frames.shape[2],
                                  labels=labels, fortran=fortran, key=key,
                                  total=frames.nbytes // max(frames.dtype.itemsize, 1),
                                  # the groups are only asked for (finish) under a
                                  # single-dose profile or against a recorded dose
                                  keep_frames=labels is None and bool(
                                      run.contract.single_dose or doses))
        return cls(key, acc, doses, sources, factor)

    def observe(self, chunk: np.ndarray) -> None:
        self.accumulator.update(chunk)

    def finish(self, run: Any) -> dict[Any, NphotonsEstimate]:
        """Add a finding per group whose recorded dose and estimate are too far apart, and
        ``mixed-dose`` when a single-dose profile holds frames of several doses: sources of a
        merged file, or groups the data show (:mod:`..physics.mixture`) when there are none."""
        results = self.accumulator.results()
        mix = self.mix_text(results) if len(results) > 1 else ""
        apart = self._apart(results)
        single = run.contract.single_dose
        # without source_index: the groups the frames show, for mixed-dose or to name them
        mixture = self.accumulator.mixture(self.factor, results.get(None)) \
            if apart or single else None
        mix = mix if mixture is None else mixture.text()
        for label, recorded, estimate, ratio in apart:
            who = "metadata records" if label is None else f"{self.name(label)} records"
            run.add(RULE, self.key,
                    f"{who} nphotons={recorded:g} but the frames' photon statistics give "
                    f"{estimate.text()}: {ratio:.3g}x apart (limit {self.factor:g}x)"
                    + (f"; {mix}" if mix else ""))
        if single and len(results) > 1:
            self._mixed(run, results, mix)
        elif single and mixture is not None and not _dose_chosen(run.report.metadata):
            run.add("mixed-dose", self.key,
                    f"the {run.contract.profile} profile's reader takes one nphotons per file, "
                    f"but the frames hold {len(mixture.groups)} groups of doses "
                    f"{mixture.ratio:.3g}x apart (it would use one dose for every frame); {mix}")
        return results

    def _apart(self, results: Mapping[Any, NphotonsEstimate]
               ) -> list[tuple[Any, float, NphotonsEstimate, float]]:
        """``(label, recorded, estimate, ratio)`` of each group whose estimate is more than
        the factor away from its recorded dose (with the rule off, ``run.add`` drops them)."""
        apart = []
        for label, recorded in self.doses.items():
            estimate = results[label]  # one estimate per label, and a determined one is > 0
            if not estimate.determined:
                continue
            ratio = max(estimate.value / recorded, recorded / estimate.value)
            if ratio > self.factor:
                apart.append((label, recorded, estimate, ratio))
        return apart

    def name(self, label: Any) -> str:
        path = self.sources.get(label)
        return f"source {label}" + (f" ({path})" if path else "")

    def mix_text(self, results: Mapping[Any, NphotonsEstimate]) -> str:
        """Each source's recorded dose and estimate, for every message about a mix."""
        parts = []
        for label, estimate in sorted(results.items(), key=lambda item: item[0]):
            recorded = self.doses.get(label)
            said = f"records {recorded:g}, " if recorded is not None else ""
            parts.append(f"{self.name(label)} {said}estimated {estimate.text()}")
        return "per source: " + "; ".join(parts)

    def _mixed(self, run: Any, results: Mapping[Any, NphotonsEstimate], mix: str) -> None:
        """Several doses where the profile's reader takes one nphotons per file."""
        values = [e.value for e in results.values() if e.determined and e.value]
        recorded = list(self.doses.values())
        apart = [max(v) / min(v) for v in (values, recorded) if len(v) > 1 and min(v) > 0]
        by_estimate = len(values) > 1 and max(values) / min(values) > self.factor
        by_record = len(recorded) > 1 and max(recorded) / min(recorded) > 1 + 1e-6
        if not (by_estimate or by_record) or _dose_chosen(run.report.metadata):
            return
        run.add("mixed-dose", self.key,
                f"the {run.contract.profile} profile's reader takes one nphotons per file, but "
                f"these frames hold {len(results)} sources of doses {max(apart):.3g}x apart "
                f"(it would use one dose for every frame); {mix}")

def _dose_chosen(metadata: Any) -> bool:
    """The merge recorded one dose chosen explicitly for every frame (``merge --nphotons``)."""
    info = metadata.get("merge_info") if isinstance(metadata, Mapping) else None
    chosen = info.get("nphotons_chosen") if isinstance(info, Mapping) else None
    return chosen is not None and chosen == file_dose(metadata)


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
