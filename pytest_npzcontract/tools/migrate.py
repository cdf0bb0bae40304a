"""Legacy -> canonical migration, as a plan (pure) and its verified, atomic application.

Conversions (each recorded in the new transformation record):

- ``diff3d`` renamed ``diffraction``; a diffraction that is not float32 is cast to float32.
  Integer diffraction (uint16 counts, typically) needs an explicit choice: ``sqrt=True`` stores
  ``sqrt(counts)`` (intensity -> amplitude), ``sqrt=False`` declares the values amplitudes
  already. Without a choice the file is refused, because guessing wrong silently squares or
  roots every pattern. Float diffraction is never rooted (only cast), so one ``sqrt`` choice
  can be applied to a whole folder safely.
- 4-D ``Y`` with a trailing axis of 1 squeezed to (n, H, W); the bytes are unchanged.
- frames stored (H, W, n) (``transposed-layout``: n equal to the number of scan positions)
  transposed to (n, H, W); the written file's digests are those of the transposed arrays.
- complex128 ``objectGuess``/``probeGuess``/``Y`` cast to complex64 (``dtype-precision``).
- pickled / bytes ``_metadata`` re-encoded as JSON text; a legacy top-level scalar ``nphotons``
  moved into ``physics_parameters``.
- missing metadata created from ``nphotons`` (required), ``N`` (default: the probe's size) and
  ``gridsize``; creation time and host are recorded as ``unknown``. Metadata that records no
  nphotons (absent or null, as the reference writer may leave it) needs ``nphotons``.

Every other array is copied, and the written file is re-read and compared (SHA-256 of dtype,
shape and bytes of every array) before it replaces anything::

    plan = plan_file("legacy.npz", MigrateOptions(sqrt=True, nphotons=1e6))
    if not plan.problems:
        apply_plan(plan, "legacy.npz")        # in place, atomically
"""

from __future__ import annotations

import copy
import hashlib
import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..base.echo import shown
from ..io.archive import scan_archive
from ..io.atomic import atomic_write
from ..io.codec import CANONICAL_ENCODING, METADATA_KEY
from ..io.reader import load_npz, read_metadata
from ..io.writer import write_npz
from ..metadata.model import add_transformation, create_metadata

TOOL = "npzcontract migrate"
OPERATION = "migrate_legacy"
#: The seed's operation name for metadata filled in retroactively (add_metadata_to_legacy_file).
ESTIMATION_OPERATION = "metadata_estimation"
ESTIMATE = "estimate"


class MigrationError(RuntimeError):
    """The written output did not verify; nothing was replaced."""


@dataclass(frozen=True)
class MigrateOptions:
    """User choices: ``sqrt`` for integer diffraction (``None``: not chosen) and the values of
    metadata fields to add when they are missing."""

    sqrt: bool | None = None
    #: a number, or ``"estimate"``: read it from the frames' photon statistics
    nphotons: float | str | None = None
    N: int | None = None
    gridsize: int | None = None
    #: recorded as ``simulation_parameters.data_source`` when missing (batch plans)
    data_source: str | None = None
    #: where the values come from, for the record (default: the ``--name`` options)
    origin: str | None = None


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
    of every output array (``untouched`` ones equal the input's)."""

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

    @property
    def needed(self) -> bool:
        return bool(self.conversions)

    def expected_digests(self) -> dict[str, str]:
        return {key: array_digest(value) for key, value in self.arrays.items()}


def array_digest(array: np.ndarray) -> str:
    """SHA-256 over dtype, shape and C-order bytes: equal digests mean bit-identical arrays."""
    digest = hashlib.sha256(f"{array.dtype.str}{array.shape}".encode())
    digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


def plan_file(path: str | os.PathLike, options: MigrateOptions = MigrateOptions()
              ) -> MigrationPlan:
    """Plan the migration of a file. Raises ``ContractViolation`` if it cannot be read safely."""
    source = os.fspath(path)
    arrays, metadata = load_npz(source)
    with scan_archive(source) as scan:
        decoded = read_metadata(scan)
    return plan_arrays(arrays, metadata, decoded.encoding if decoded else None, options,
                       source=source)


def plan_arrays(arrays: dict[str, np.ndarray], metadata: dict | None, encoding: str | None,
                options: MigrateOptions = MigrateOptions(), *, source: str = "<data>"
                ) -> MigrationPlan:
    """Plan from loaded data; ``encoding`` is how ``_metadata`` was stored (None: absent)."""
    plan = MigrationPlan(source, dict(arrays), copy.deepcopy(metadata))
    if options.nphotons == ESTIMATE:
        from .migrate_estimate import estimated_options

        options = estimated_options(plan, arrays, metadata, options)
    _rename_diff3d(plan)
    _transpose_frames(plan)
    _fix_diffraction(plan, options.sqrt)
    _squeeze_y(plan)
    _narrow_complex(plan)
    _fix_metadata(plan, encoding, options)
    if plan.metadata is not None:
        _upgrade_schema(plan)
    if plan.metadata is not None and options.data_source is not None:
        _set_data_source(plan, options.data_source)
    if plan.metadata is not None:
        from ..metadata.schema import validate_metadata_schema

        plan.problems += [Problem(f"metadata would not match the schema: {problem}")
                          for problem in validate_metadata_schema(plan.metadata)]
    plan.untouched = [key for key, value in plan.arrays.items() if arrays.get(key) is value]
    return plan


def _rename_diff3d(plan: MigrationPlan) -> None:
    if "diff3d" not in plan.arrays:
        return
    if "diffraction" in plan.arrays:
        plan.problems.append(Problem("both 'diff3d' and 'diffraction' are present; "
                                     "remove one before migrating"))
        return
    plan.arrays = {("diffraction" if k == "diff3d" else k): v for k, v in plan.arrays.items()}
    plan.conversions.append(Conversion("rename", "rename diff3d -> diffraction",
                                       {"key": "diff3d", "to": "diffraction"}))


def _transpose_frames(plan: MigrationPlan) -> None:
    data, coords = plan.arrays.get("diffraction"), plan.arrays.get("xcoords")
    if data is None or coords is None or data.ndim != 3 or coords.ndim != 1:
        return
    h, w, n = data.shape
    if n == coords.shape[0] and h == w and h != n:
        plan.arrays["diffraction"] = np.ascontiguousarray(np.transpose(data, (2, 0, 1)))
        plan.conversions.append(Conversion(
            "transpose", f"transpose diffraction {_shape(data.shape)} -> "
            f"{_shape((n, h, w))} (frames were stored last-axis-first)",
            {"key": "diffraction", "from": list(data.shape), "to": [n, h, w], "axes": [2, 0, 1]}))


def _narrow_complex(plan: MigrationPlan) -> None:
    for key in ("objectGuess", "probeGuess", "Y"):
        data = plan.arrays.get(key)
        if data is None or data.dtype.kind != "c" or data.dtype.itemsize <= 8:
            continue
        plan.arrays[key] = data.astype(np.complex64)
        plan.conversions.append(Conversion(
            "cast", f"cast {key} {data.dtype} -> complex64",
            {"key": key, "from": str(data.dtype), "to": "complex64"}))


def _fix_diffraction(plan: MigrationPlan, sqrt: bool | None) -> None:
    data = plan.arrays.get("diffraction")
    if data is None:
        return
    kind = data.dtype.kind
    if kind not in "biuf":
        plan.problems.append(Problem(f"diffraction has dtype {data.dtype}; only integer or "
                                     "real float data can be converted"))
        return
    counts = kind in "biu"
    if counts and sqrt is None:
        plan.problems.append(Problem(
            f"diffraction is {data.dtype} (integer counts): choose --sqrt (store "
            "sqrt(counts), intensity -> amplitude) or --no-sqrt (values are amplitudes)",
            usage=True))
        return
    if data.dtype == np.float32:
        return
    root = counts and sqrt
    if root and data.size and data.min() < 0:
        plan.problems.append(Problem("diffraction has negative counts; cannot take sqrt"))
        return
    converted = np.sqrt(data.astype(np.float64)) if root else data
    plan.arrays["diffraction"] = converted.astype(np.float32)
    how = " (sqrt: intensity -> amplitude)" if root else ""
    plan.conversions.append(Conversion(
        "cast", f"cast diffraction {data.dtype} -> float32{how}",
        {"key": "diffraction", "from": str(data.dtype), "to": "float32", "sqrt": bool(root)}))


def _squeeze_y(plan: MigrationPlan) -> None:
    y = plan.arrays.get("Y")
    if y is None or y.ndim != 4 or y.shape[-1] != 1:
        return
    plan.arrays["Y"] = y.reshape(y.shape[:-1])
    plan.conversions.append(Conversion(
        "squeeze", f"squeeze Y {_shape(y.shape)} -> {_shape(y.shape[:-1])}",
        {"key": "Y", "from": list(y.shape), "to": list(y.shape[:-1])}))


def _fix_metadata(plan: MigrationPlan, encoding: str | None, options: MigrateOptions) -> None:
    legacy = plan.arrays.get("nphotons")
    has_metadata = encoding is not None and encoding != "legacy-nphotons"
    if has_metadata and encoding != CANONICAL_ENCODING:
        plan.conversions.append(Conversion(
            "metadata-encoding", f"re-encode _metadata {encoding} -> {CANONICAL_ENCODING}",
            {"key": METADATA_KEY, "from": encoding, "to": CANONICAL_ENCODING}))
    wanted: dict[str, tuple[Any, str]] = {}
    if legacy is not None and legacy.size == 1 and legacy.dtype.kind in "iuf":
        value = float(legacy.reshape(()).item())
        if not np.isfinite(value) or value <= 0:
            plan.problems.append(Problem(f"top-level nphotons array holds {value:g}, not a "
                                         "positive number; fix or remove it first"))
            return
        del plan.arrays["nphotons"]
        plan.conversions.append(Conversion(
            "drop", "move top-level nphotons array into physics_parameters.nphotons",
            {"key": "nphotons", "moved_to": "physics_parameters.nphotons"}))
        wanted["nphotons"] = (value, "legacy nphotons array")
    for name in ("nphotons", "N", "gridsize"):
        value = getattr(options, name)
        if value is None:
            continue
        if name in wanted and not _same(wanted[name][0], value):
            plan.problems.append(Problem(
                f"--{name} {value:g} disagrees with the file's {wanted[name][1]} "
                f"({wanted[name][0]:g})"))
            return
        wanted.setdefault(name, (value, plan.origins.get(name, options.origin or f"--{name}")))
    if not has_metadata:
        _create_metadata(plan, wanted)
        return
    physics = plan.metadata.setdefault("physics_parameters", {})
    if not isinstance(physics, dict):
        return  # not an object: the schema check names it
    if physics.get("nphotons") is None and "nphotons" not in wanted:
        from ..metadata.parameters import recorded_nphotons

        if recorded_nphotons(plan.metadata) is None:
            plan.problems.append(Problem(
                "the metadata records no nphotons (absent or null): give --nphotons so the "
                "migrated file records the dose", usage=True))
            return
    for name, (value, origin) in wanted.items():
        stored = physics.get(name)
        if stored is None:
            physics[name] = value
            plan.conversions.append(_field(name, value, origin))
        elif not _same(stored, value):
            plan.problems.append(Problem(
                f"metadata records {name}={shown(stored)} but {origin} gives {value:g}; "
                "refusing to overwrite recorded provenance"))


def _create_metadata(plan: MigrationPlan, wanted: dict[str, tuple[Any, str]]) -> None:
    if "nphotons" not in wanted:
        if plan.problems:   # e.g. --nphotons estimate was undetermined: already said why
            return
        plan.problems.append(Problem("the file has no metadata: give --nphotons (and --N, "
                                     "--gridsize if known) to create it", usage=True))
        return
    if "N" not in wanted:
        probe = plan.arrays.get("probeGuess", plan.arrays.get("diffraction"))
        if probe is not None and probe.ndim >= 2 and probe.shape[-1] == probe.shape[-2]:
            wanted["N"] = (int(probe.shape[-1]), "probeGuess shape" if "probeGuess"
                           in plan.arrays else "diffraction shape")
    config = {name: value for name, (value, _) in wanted.items()}
    metadata = create_metadata(config, "legacy_data", retrofitted_by=TOOL)
    metadata["creation_info"].update(timestamp="unknown", hostname="unknown",
                                     version="unknown")
    plan.metadata = metadata
    plan.conversions.append(Conversion("metadata-created", "create _metadata (it was missing)",
                                       {"key": METADATA_KEY}))
    plan.conversions += [_field(name, value, origin) for name, (value, origin) in wanted.items()]


def _upgrade_schema(plan: MigrationPlan) -> None:
    """Older (or unversioned: the reference writer's) metadata to the current schema version;
    a newer major version is refused, a newer minor kept as is."""
    from ..metadata.versions import upgrade_metadata, version_status

    status = version_status(plan.metadata)
    if status.status == "newer-minor":
        plan.notes.append(status.message)
        return
    try:
        upgraded, steps = upgrade_metadata(plan.metadata)
    except ValueError as exc:
        plan.problems.append(Problem(f"cannot migrate: {exc}"))
        return
    if steps:
        plan.metadata = upgraded
        plan.conversions.append(Conversion(
            "schema-version", "schema_version " + ", ".join(steps),
            {"key": "schema_version", "steps": steps, "to": upgraded["schema_version"]}))


def _set_data_source(plan: MigrationPlan, value: str) -> None:
    simulation = plan.metadata.setdefault("simulation_parameters", {})
    stored = simulation.get("data_source") if isinstance(simulation, dict) else None
    if not isinstance(simulation, dict) or stored == value:
        return
    if stored is not None:
        plan.problems.append(Problem(f"metadata records data_source={shown(stored)} but the plan "
                                     f"gives {shown(value)}; refusing to overwrite provenance"))
        return
    simulation["data_source"] = value
    plan.conversions.append(Conversion(
        "metadata-field", f"set simulation_parameters.data_source = {value}",
        {"field": "simulation_parameters.data_source", "value": value, "source": "plan"}))


def _field(name: str, value: Any, origin: str) -> Conversion:
    return Conversion("metadata-field", f"set physics_parameters.{name} = {value:g} from {origin}",
                      {"field": f"physics_parameters.{name}", "value": value, "source": origin})


def _same(a: Any, b: Any) -> bool:
    return bool(np.isclose(float(a), float(b), rtol=1e-9, atol=0))


def _shape(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(map(str, shape)) + ")"


def apply_plan(plan: MigrationPlan, output: str | os.PathLike) -> dict:
    """Write the migrated file to ``output`` (may be the source) and return its metadata.

    The data goes to a temporary file beside ``output``; it is re-read and every array's digest
    and the metadata are compared with the plan before ``os.replace`` puts it in place. On any
    failure the temporary file is removed and ``output`` is untouched.
    """
    if plan.problems:
        raise ValueError(f"plan for {plan.source} has problems: {plan.problems[0].message}")
    metadata = add_transformation(
        plan.metadata, TOOL, OPERATION,
        {"conversions": [c.to_dict() for c in plan.conversions]}, inputs=[plan.source])
    if plan.estimate is not None:
        from .migrate_estimate import estimation_record

        metadata = add_transformation(metadata, TOOL, ESTIMATION_OPERATION,
                                      estimation_record(plan.estimate), inputs=[plan.source])
    target = os.path.realpath(os.fspath(output))
    # The staged file stays open (and locked) while it is verified, then is renamed over the
    # target; a failed verification or write removes it (io/atomic.py).
    with atomic_write(target, display=os.fspath(output)) as staged:
        write_npz(staged.file, plan.arrays, metadata, name=os.fspath(output))
        staged.file.flush()
        _verify(staged.path, plan, metadata)
    return metadata


def _verify(path: str, plan: MigrationPlan, metadata: dict) -> None:
    arrays, stored = load_npz(path)
    expected = plan.expected_digests()
    if set(arrays) != set(expected):
        raise MigrationError(f"written keys {sorted(arrays)} differ from planned "
                             f"{sorted(expected)}")
    changed = [key for key, digest in expected.items() if array_digest(arrays[key]) != digest]
    if changed:
        raise MigrationError(f"array(s) {', '.join(changed)} changed while writing")
    if stored != metadata:
        raise MigrationError("metadata read back differs from what was written")
