"""What a migration is, as data: the user's choices, each conversion, each refusal and the plan
that holds them. No logic beyond digests; the planning steps live in :mod:`.migrate_forms`
(arrays) and :mod:`.migrate_metadata` (``_metadata``), the orchestration in :mod:`.migrate`::

    >>> plan = MigrationPlan("x.npz", {"diffraction": np.zeros((1, 2, 2), np.float32)}, None)
    >>> plan.needed, sorted(plan.expected_digests())
    (False, ['diffraction'])
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np

TOOL = "npzcontract migrate"
OPERATION = "migrate_legacy"
#: The seed's operation name for metadata filled in retroactively (add_metadata_to_legacy_file).
ESTIMATION_OPERATION = "metadata_estimation"
ESTIMATE = "estimate"


class MigrationError(RuntimeError):
    """The written output did not verify; nothing was replaced."""


@dataclass(frozen=True)
class MigrateOptions:
    """User choices: ``sqrt`` for integer diffraction (``None``: not chosen), the values of
    metadata fields to add when they are missing, and ``to``: the profile whose form the
    output takes (``None``: the file's own profile, so it keeps its form)."""

    sqrt: bool | None = None
    #: a number, or ``"estimate"``: read it from the frames' photon statistics
    nphotons: float | str | None = None
    N: int | None = None
    gridsize: int | None = None
    #: recorded as ``simulation_parameters.data_source`` when missing (batch plans)
    data_source: str | None = None
    #: where the values come from, for the record (default: the ``--name`` options)
    origin: str | None = None
    #: the target profile's name (``migrate --to``)
    to: str | None = None
    #: the file's own profile, overriding the per-path table (``migrate --profile``)
    profile: str | None = None


@dataclass(frozen=True)
class Conversion:
    """One change the migration makes; ``fields`` go into the transformation record."""

    kind: str
    text: str
    fields: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, **self.fields}


@dataclass(frozen=True)
class Problem:
    """Why a file cannot be migrated; ``usage`` when an option would resolve it."""

    message: str
    usage: bool = False


@dataclass
class MigrationPlan:
    """What migrating ``source`` would write: the arrays, the metadata and the expected digest
    of every output array (``untouched`` ones equal the input's). ``profile`` is the file's own
    profile, ``target`` the one the output is checked against (equal unless ``--to``)."""

    source: str
    arrays: dict[str, np.ndarray]
    metadata: dict | None
    conversions: list[Conversion] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    untouched: list[str] = field(default_factory=list)
    #: where a metadata value comes from when not from its option (e.g. the dose estimate)
    origins: dict[str, str] = field(default_factory=dict)
    #: the dose estimate behind ``--nphotons estimate`` (recorded as "metadata_estimation")
    estimate: Any = None
    notes: list[str] = field(default_factory=list)
    profile: str = "canonical"
    target: str = "canonical"
    #: the metadata the output will hold: ``metadata`` plus the new transformation record(s)
    written: dict | None = None

    @property
    def needed(self) -> bool:
        return bool(self.conversions)

    @property
    def in_form(self) -> str:
        """What to say when nothing changes: ``already canonical`` (``already in the raw
        form`` for another target)."""
        return ("already canonical" if self.target == "canonical"
                else f"already in the {self.target} form")

    def expected_digests(self) -> dict[str, str]:
        return {key: array_digest(value) for key, value in self.arrays.items()}


def array_digest(array: np.ndarray) -> str:
    """SHA-256 over dtype, shape and C-order bytes: equal digests mean bit-identical arrays."""
    digest = hashlib.sha256(f"{array.dtype.str}{array.shape}".encode())
    digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


def same_value(a: Any, b: Any) -> bool:
    """Two recorded numbers agree (relative 1e-9)."""
    return bool(np.isclose(float(a), float(b), rtol=1e-9, atol=0))


def shape_text(shape: tuple[int, ...]) -> str:
    """``(4, 64, 64)``."""
    return "(" + ", ".join(map(str, shape)) + ")"
