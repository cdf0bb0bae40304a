"""Value checks of the contract: one streamed pass per array (bounded chunks) that finds
NaN/inf, negative amplitudes, counts where amplitude belongs, unnormalized amplitudes, and feeds
the dose estimate of the diffraction frames. Called by :mod:`.checker` with its run.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..io.archive import CORRUPTION_ERRORS
from ..io.npyheader import HeaderError
from .dose import DoseCheck
from .values import scan_chunks

if TYPE_CHECKING:
    from .run import Run

NORMALIZED_MAX = 10.0


def check_values(run: Run, arrays: Mapping[str, Any], diff: str | None) -> None:
    """Stream every contract key's values once: non-finite values, amplitude advisories and,
    on the frames ``diff``, the dose estimate (rule nphotons-inconsistent)."""
    dose = None if diff in run.transposed else DoseCheck.start(run, arrays, diff)
    for key, array in arrays.items():
        if key not in run.contract.keys or array.dtype.kind not in "biufc":
            continue
        observe = dose.observe if dose is not None and key == diff else None
        try:
            stats = scan_chunks(array.dtype, array.chunks(), observe)
        except HeaderError as exc:
            run.add(exc.rule, key, f"while reading values: {exc}")
            continue
        except CORRUPTION_ERRORS as exc:
            run.add("unreadable", key, f"corrupt data ({corruption(exc)})")
            continue
        if stats.nonfinite:
            run.add("non-finite", key, f"{stats.nan:,} NaN and {stats.inf:,} infinite value(s) "
                    f"among {stats.count:,}")
        if run.contract.keys[key].values:
            _amplitude_checks(run, key, array, stats)
        if key == diff and dose is not None and not stats.nonfinite:
            dose.finish(run)


def _amplitude_checks(run: Run, key: str, array: Any, stats: Any) -> None:
    if stats.negative:
        run.add("negative-amplitude", key, f"{stats.negative:,} negative value(s) (min "
                f"{stats.min:.4g}); amplitudes and intensities are >= 0")
    if run.contract.keys[key].values != "amplitude" or stats.count == 0:
        return
    looks_like_counts = array.dtype.kind in "iu" or (stats.integral and stats.max >= 3)
    if looks_like_counts:
        run.add("intensity-not-amplitude", key,
                f"values are whole numbers up to {stats.max:.6g}: this looks like photon counts "
                "(intensity), not amplitude sqrt(intensity)")
    if stats.max >= NORMALIZED_MAX:
        run.add("not-normalized", key, f"max amplitude {stats.max:.6g} >= {NORMALIZED_MAX:g}; "
                "DATA-001 expects normalized amplitudes")


def corruption(exc: Exception) -> str:
    """A corrupt-data reason for a finding (a CRC mismatch said in words)."""
    text = str(exc)
    if "CRC" in text:
        return "CRC mismatch: the bytes changed after writing"
    return f"{type(exc).__name__}: {text}"
