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

from ..base.echo import shown
from ..base.errors import ContractViolation, NpzContractWarning
from ..base.modes import ValidationMode
from ..base.report import Finding

#: Parameters compared, and how: by relative tolerance or exactly.
COMPARED = {"nphotons": "relative", "N": "exact", "gridsize": "exact"}
DEFAULT_RTOL = 1e-6
MISSING_HINT = ("record it when writing: create_metadata({'nphotons': ...}), or run "
                "`npzcontract migrate --in-place --nphotons VALUE FILE`")


def missing_hint(name: str) -> str:
    """How to record a missing parameter: :data:`MISSING_HINT` for ``nphotons``."""
    return MISSING_HINT.replace("nphotons", name)
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


def _recorded(value: Any) -> Any:
    """A recorded value: numbers as float, anything else (invalid: the schema says so) as is."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return value


def recorded_nphotons(metadata: Any) -> float | list[float] | None:
    """The nphotons a dataset records: one number, one per merged source, or ``None``.

    The top-level ``physics_parameters.nphotons`` wins. A merged file that lacks it records the
    dose when *every* source records one (``source_datasets[i].nphotons``, else
    ``source_datasets[i].metadata.physics_parameters.nphotons``); the list holds them in source
    order. Absent or null values count as missing; an invalid value counts as recorded (the
    metadata schema reports it).

    >>> recorded_nphotons({"physics_parameters": {"nphotons": 1e6}})
    1000000.0
    >>> recorded_nphotons({"source_datasets": [
    ...     {"metadata": {"physics_parameters": {"nphotons": 1e6}}},
    ...     {"metadata": {"physics_parameters": {"nphotons": 1e9}}}]})
    [1000000.0, 1000000000.0]
    >>> recorded_nphotons({"physics_parameters": {"nphotons": None}}) is None
    True
    """
    top = section(metadata, "physics_parameters").get("nphotons")
    if top is not None:
        return _recorded(top)
    sources = metadata.get("source_datasets") if isinstance(metadata, Mapping) else None
    if not isinstance(sources, list) or not sources:
        return None
    values = []
    for source in sources:
        if not isinstance(source, Mapping):
            return None
        value = source.get("nphotons")  # an entry may record its own (npzcontract merge)
        if value is None:
            value = section(source.get("metadata"), "physics_parameters").get("nphotons")
        if value is None:
            return None
        values.append(_recorded(value))
    return values


def scale_pair(metadata: Any) -> tuple[Any, Any] | None:
    """``(scale_contract_version, measurement_domain)`` from ``physics_parameters``; ``None``
    when neither is recorded (a null counts as not recorded).

    >>> scale_pair({"physics_parameters": {"scale_contract_version": "legacy_v1"}})
    ('legacy_v1', None)
    """
    physics = section(metadata, "physics_parameters")
    pair = (physics.get("scale_contract_version"), physics.get("measurement_domain"))
    return None if pair == (None, None) else pair


def missing_parameters(metadata: Any, config: Any = None) -> list[str]:
    """Parameters the metadata should record but does not: always ``nphotons`` (see
    :func:`recorded_nphotons`), and every other compared parameter ``config`` names.

    >>> missing_parameters({"physics_parameters": {"N": 64}}, {"N": 64, "gridsize": 1})
    ['nphotons', 'gridsize']
    """
    if isinstance(metadata, Mapping) and "physics_parameters" in metadata \
            and not isinstance(metadata["physics_parameters"], Mapping):
        return []  # not an object: a metadata-schema problem, not a missing parameter
    physics = section(metadata, "physics_parameters")
    missing = [] if recorded_nphotons(metadata) is not None else ["nphotons"]
    for name in COMPARED:
        if name != "nphotons" and config_value(config, name) is not None \
                and physics.get(name) is None:
            missing.append(name)
    return missing


def missing_message(name: str, config: Any = None) -> str:
    """The ``parameter-missing`` message for ``name`` (says what the configuration expects)."""
    wanted = config_value(config, name) if config is not None else None
    expected = f"; the configuration expects {_fmt(wanted)}" if wanted is not None else ""
    default = " (readers that default it, e.g. to 1e9, would silently use the wrong dose)" \
        if name == "nphotons" else ""
    return f"metadata records no physics_parameters.{name}{expected}{default}"


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
    except (TypeError, ValueError, OverflowError):
        return stored == wanted
    if how == "relative":
        return math.isclose(a, b, rel_tol=rtol, abs_tol=0.0)
    return a == b


def _fmt(value: Any) -> str:
    if isinstance(value, float) and (abs(value) >= 1e5 or 0 < abs(value) < 1e-3):
        return f"{value:g}"
    if isinstance(value, int) and abs(value) >= 10 ** 30:  # str() of huge ints may raise
        return f"an integer of {value.bit_length()} bits"
    return value[:80] if isinstance(value, str) else shown(value)


def check_parameters(metadata: Mapping | None, config: Any,
                     mode: ValidationMode | str = ValidationMode.STRICT, *,
                     file: str | None = None, rtol: float = DEFAULT_RTOL,
                     stacklevel: int = 2) -> list[ParameterMismatch]:
    """Apply a mode to :func:`validate_parameters`.

    A parameter the metadata does not record (:func:`missing_parameters`) is a
    ``parameter-missing`` finding. STRICT: missing metadata, a missing parameter or any
    mismatch raises :class:`ContractViolation`.
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
        problems = [Finding(file, f"physics_parameters.{name}", "parameter-missing",
                            _severity(mode), missing_message(name, config),
                            hint=missing_hint(name))
                    for name in missing_parameters(metadata, config)]
        problems += [Finding(file, m.name, "parameter-mismatch", _severity(mode), m.message,
                             hint="take parameters from the dataset (config_from_metadata)")
                     for m in mismatches]
    if problems and mode is ValidationMode.STRICT:
        raise ContractViolation(findings=problems)
    for finding in problems:
        warnings.warn(finding.line(), NpzContractWarning, stacklevel=stacklevel)
    return mismatches


def _severity(mode: ValidationMode) -> str:
    return "error" if mode is ValidationMode.STRICT else "warning"
