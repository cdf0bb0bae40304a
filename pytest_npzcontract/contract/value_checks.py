"""Value checks of the contract: one streamed pass per array (bounded chunks) that finds
NaN/inf, negative amplitudes, counts where amplitude belongs, unnormalized amplitudes, and feeds
the dose estimate of the diffraction frames. Called by :mod:`.checker` with its run.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from ..io.archive import CORRUPTION_ERRORS
from ..io.npyheader import HeaderError
from ..physics.estimate import NphotonsEstimate
from ..physics.layout import AxisTotals
from .dose import DoseCheck
from .parallel_scan import scan_members

if TYPE_CHECKING:
    from .run import Run

NORMALIZED_MAX = 10.0
#: Estimator methods that prove the values are counts (rescaled or not), not their roots.
COUNT_METHODS = ("counts", "scaled-counts")


def check_values(run: Run, arrays: Mapping[str, Any], diff: str | None) -> None:
    """Stream every contract key's values once: non-finite values, amplitude advisories and,
    on the frames ``diff``, the dose estimate (rules nphotons-inconsistent, mixed-dose and the
    lattice's verdict for intensity-not-amplitude) and the layout of a cube of frames."""
    dose = None if diff in run.transposed else DoseCheck.start(run, arrays, diff)
    keys = [k for k, a in arrays.items() if k in run.contract.keys and a.dtype.kind in "biufc"]
    layouts = {k: _layout_totals(run, k, arrays[k]) for k in keys}

    def observe_for(key: str) -> Callable[[np.ndarray], None] | None:
        observe = dose.observe if dose is not None and key == diff else None
        layout = layouts[key]
        return observe if layout is None else _both(observe, layout.update)

    outcomes = scan_members(arrays, keys, observe_for, threads=getattr(run, "threads", 1),
                            ranges=lambda k: bool(run.contract.keys[k].values))
    for key in keys:
        array, stats, layout = arrays[key], outcomes[key], layouts[key]
        if isinstance(stats, HeaderError):
            run.add(stats.rule, key, f"while reading values: {stats}")
            run.broken.add(key)  # said once: the unread-member pass skips it
            continue
        if isinstance(stats, CORRUPTION_ERRORS):
            run.add("unreadable", key, f"corrupt data ({corruption(stats)})")
            run.broken.add(key)
            continue
        if stats.nonfinite:
            run.add("non-finite", key, f"{stats.nan:,} NaN and {stats.inf:,} infinite value(s) "
                    f"among {stats.count:,}")
        if layout is not None and not stats.nonfinite:
            _layout_finding(run, key, array, layout)
        estimates: Mapping[Any, NphotonsEstimate] = {}
        if key == diff and dose is not None and not stats.nonfinite:
            estimates = dose.finish(run)
        if run.contract.keys[key].values:
            _amplitude_checks(run, key, array, stats, estimates)


def _layout_totals(run: Run, key: str, array: Any) -> AxisTotals | None:
    """Photon totals per axis for a cube of frames, whose shape cannot tell the layout."""
    if key not in run.cubes or array.dtype.kind not in "biuf":
        return None
    square = run.contract.keys[key].values != "counts"
    return AxisTotals(array.shape, fortran=bool(getattr(array, "fortran", False)),
                      square=square)


def _layout_finding(run: Run, key: str, array: Any, totals: AxisTotals) -> None:
    verdict = totals.verdict()
    if verdict.transposed:
        spec = run.contract.keys[key]
        run.add("transposed-layout", key, f"{key} is {'x'.join(map(str, array.shape))}: the "
                f"{verdict.text()}, so the patterns run along the last axis: frames stored "
                f"(H, W, n); expected {spec.expected_layout()}",
                hint=f"np.transpose({key}, (2, 0, 1)) when writing (npzcontract migrate "
                "transposes it)")


def _both(first: Callable[[np.ndarray], None] | None,
          second: Callable[[np.ndarray], None]) -> Callable[[np.ndarray], None]:
    if first is None:
        return second

    def observe(chunk: np.ndarray) -> None:
        first(chunk)
        second(chunk)
    return observe


def _amplitude_checks(run: Run, key: str, array: Any, stats: Any,
                      estimates: Mapping[Any, NphotonsEstimate]) -> None:
    if stats.negative:
        run.add("negative-amplitude", key, f"{stats.negative:,} negative value(s) (min "
                f"{stats.min:.4g}); amplitudes and intensities are >= 0")
    spec = run.contract.keys[key]
    if spec.values != "amplitude" or stats.count == 0:
        return
    proofs = {label: e for label, e in estimates.items() if e.method in COUNT_METHODS}
    if proofs:
        run.add("intensity-not-amplitude", key, _proof_text(proofs, len(estimates)))
    elif not any(e.method == "lattice" for e in estimates.values()) and (
            array.dtype.kind in "iu" or (stats.integral and stats.max >= 3)):
        # the lattice could not decide: the shape-and-range heuristic, advisory only
        run.add("intensity-not-amplitude", key,
                f"values are whole numbers up to {stats.max:.6g}: this looks like photon counts "
                "(intensity), not amplitude sqrt(intensity)", kind="advisory")
    if spec.normalized and stats.max >= NORMALIZED_MAX:
        run.add("not-normalized", key, f"max amplitude {stats.max:.6g} >= {NORMALIZED_MAX:g}; "
                f"the {run.contract.profile} profile expects normalized amplitudes (DATA-001)")


def _proof_text(proofs: Mapping[Any, NphotonsEstimate], groups: int) -> str:
    """The lattice's evidence: method, spacing, patterns (per source for a merged file)."""
    parts = []
    for label, e in proofs.items():  # the estimator's order: source indices ascending
        what = ("whole-number photon counts" if e.method == "counts" else
                "rescaled photon counts (the values, not their squares, sit on one lattice)")
        where = "" if label is None else f"source {label}: "
        parts.append(f"{where}{what}: method {e.method}, lattice spacing {e.spacing:.6g}, "
                     f"{e.patterns} patterns")
    tail = f" ({len(proofs)} of {groups} sources)" if groups > 1 else ""
    return ("the photon-count lattice shows intensity, not amplitude sqrt(intensity)"
            f"{tail}: " + "; ".join(parts))


def corruption(exc: Exception) -> str:
    """A corrupt-data reason for a finding (a CRC mismatch said in words)."""
    text = str(exc)
    if "CRC" in text:
        return "CRC mismatch: the bytes changed after writing"
    return f"{type(exc).__name__}: {text}"
