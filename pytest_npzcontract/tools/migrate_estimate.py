"""``migrate --nphotons estimate``: the dose read from the frames' photon statistics.

Only fills a missing value: a file that records nphotons (in its metadata or as a legacy
top-level array) keeps it. When the estimate is undetermined the file is refused with the
reason, and nothing is written::

    >>> options = estimated_options(plan, arrays, metadata, MigrateOptions(nphotons="estimate"))
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from ..metadata.doses import file_dose
from ..physics.estimate import NphotonsEstimate, estimate_nphotons, frames_key
from .migrate_model import MigrateOptions, MigrationPlan, Problem


def estimated_options(plan: MigrationPlan, arrays: dict[str, np.ndarray],
                      metadata: dict | None, options: MigrateOptions) -> MigrateOptions:
    """``options`` with nphotons replaced by the estimate (or ``None`` when nothing is to be
    filled); problems and the estimate itself are recorded on ``plan``."""
    recorded = file_dose(metadata)
    legacy = arrays.get("nphotons")
    if recorded is None and legacy is not None and legacy.size == 1 and legacy.dtype.kind in "iuf":
        recorded = float(legacy.reshape(()).item())
    if recorded is not None:
        plan.notes.append(f"nphotons already recorded ({recorded:g}); not estimated")
        return dataclasses.replace(options, nphotons=None)
    key = frames_key(arrays)
    if key is None:
        plan.problems.append(Problem("cannot estimate nphotons: no diffraction (or diff3d) "
                                     "frames; give --nphotons VALUE"))
        return dataclasses.replace(options, nphotons=None)
    try:
        estimate = estimate_nphotons(arrays[key], key=key)
    except ValueError as exc:
        estimate = NphotonsEstimate(None, None, None, 0, reason=str(exc), key=key)
    if not estimate.determined:
        plan.problems.append(Problem(f"cannot estimate nphotons from {key}: {estimate.reason}; "
                                     "give --nphotons VALUE"))
        return dataclasses.replace(options, nphotons=None)
    plan.estimate = estimate
    plan.origins["nphotons"] = (f"the {key} photon statistics ({estimate.method}, "
                                f"+-{100 * (estimate.uncertainty or 0):.2g}%, "
                                f"{estimate.patterns} patterns)")
    return dataclasses.replace(options, nphotons=float(estimate.value))


def estimation_record(estimate: NphotonsEstimate) -> dict[str, Any]:
    """Parameters of the ``metadata_estimation`` transformation record."""
    return {
        "field": "physics_parameters.nphotons",
        "value": estimate.value,
        "method": estimate.method,
        "relative_uncertainty": estimate.uncertainty,
        "patterns": estimate.patterns,
        "spacing": estimate.spacing,
        "frames_key": estimate.key,
        "note": "nphotons estimated retroactively from the frames' photon statistics "
                "(mean photons per pattern; see docs/physics.md)",
    }
