"""Compare dataset metadata with the caller's configuration (SPEC §3) under a mode (SPEC §4).

A configuration may be a mapping, a dataclass (with a nested ``model``), or any object with
attributes: ``nphotons``, ``N`` or ``model.N``, ``gridsize`` or ``model.gridsize``.

>>> validate_parameters(metadata, {"nphotons": 1e9, "N": 64})
[ParameterMismatch(name='nphotons', dataset=1000000.0, config=1000000000.0, ...)]
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..base.errors import ContractViolation, NpzContractWarning
from ..base.modes import ValidationMode
from ..base.report import Finding

#: Parameters compared, and how: by relative tolerance or exactly.
COMPARED = {"nphotons": "relative", "N": "exact", "gridsize": "exact"}
DEFAULT_RTOL = 1e-6
_MISSING = object()


@dataclass(frozen=True)
class ParameterMismatch:
    name: str
    dataset: Any
    config: Any
    message: str

    def __str__(self) -> str:
        return self.message


def config_value(config: Any, name: str) -> Any:
    """``name`` from ``config`` or its nested ``model``; ``None`` when neither has it."""
    for holder in (config, _get(config, "model")):
        if holder is None or holder is _MISSING:
            continue
        value = _get(holder, name)
        if value is not _MISSING and value is not None:
            return value
    return None


def _get(holder: Any, name: str) -> Any:
    if isinstance(holder, Mapping):
        return holder.get(name, _MISSING)
    return getattr(holder, name, _MISSING)


def section(metadata: Any, name: str) -> Mapping:
    """``metadata[name]`` when both are mappings, else ``{}`` (never trusts the structure).

    >>> section({"physics_parameters": {"N": 64}}, "physics_parameters")
    {'N': 64}
    """
    value = metadata.get(name) if isinstance(metadata, Mapping) else None
    return value if isinstance(value, Mapping) else {}


def validate_parameters(metadata: Mapping | None, config: Any, *,
                        rtol: float = DEFAULT_RTOL) -> list[ParameterMismatch]:
    """Mismatches between ``metadata["physics_parameters"]`` and ``config``.

    nphotons is compared with relative tolerance ``rtol``; N and gridsize exactly. A parameter
    absent from either side is not compared.
    """
    physics = section(metadata, "physics_parameters")
    mismatches = []
    for name, how in COMPARED.items():
        stored, wanted = physics.get(name), config_value(config, name)
        if stored is None or wanted is None:
            continue
        if not _equal(stored, wanted, how, rtol):
            detail = f"relative tolerance {rtol:g}" if how == "relative" else "must match exactly"
            mismatches.append(ParameterMismatch(
                name, stored, wanted,
                f"{name}: dataset={_fmt(stored)}, config={_fmt(wanted)} ({detail})"))
    return mismatches


def _equal(stored: Any, wanted: Any, how: str, rtol: float) -> bool:
    try:
        a, b = float(stored), float(wanted)
    except (TypeError, ValueError):
        return stored == wanted
    if how == "relative":
        return math.isclose(a, b, rel_tol=rtol, abs_tol=0.0)
    return a == b


def _fmt(value: Any) -> str:
    if isinstance(value, float) and (abs(value) >= 1e5 or 0 < abs(value) < 1e-3):
        return f"{value:g}"
    return str(value)


def check_parameters(metadata: Mapping | None, config: Any,
                     mode: ValidationMode | str = ValidationMode.STRICT, *,
                     file: str | None = None, rtol: float = DEFAULT_RTOL,
                     stacklevel: int = 2) -> list[ParameterMismatch]:
    """Apply a mode to :func:`validate_parameters`.

    STRICT: missing metadata or any mismatch raises :class:`ContractViolation`.
    WARN: each becomes a :class:`NpzContractWarning`; the mismatches are returned.
    PERMISSIVE: nothing is checked; returns ``[]``.
    """
    mode = ValidationMode.coerce(mode)
    if mode is ValidationMode.PERMISSIVE:
        return []
    if metadata is None:
        problems = [Finding(file, "_metadata", "metadata-missing", _severity(mode),
                            "dataset has no metadata to check the configuration against",
                            hint="write datasets with save_npz(..., metadata=...)")]
        mismatches: list[ParameterMismatch] = []
    else:
        mismatches = validate_parameters(metadata, config, rtol=rtol)
        problems = [Finding(file, m.name, "parameter-mismatch", _severity(mode), m.message,
                            hint="take parameters from the dataset (config_from_metadata)")
                    for m in mismatches]
    if problems and mode is ValidationMode.STRICT:
        raise ContractViolation(findings=problems)
    for finding in problems:
        warnings.warn(finding.line(), NpzContractWarning, stacklevel=stacklevel)
    return mismatches


def _severity(mode: ValidationMode) -> str:
    return "error" if mode is ValidationMode.STRICT else "warning"
