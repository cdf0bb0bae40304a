"""The ``_metadata`` part of a migration: pickled or bytes metadata re-encoded as JSON text, a
legacy top-level ``nphotons`` array moved into ``physics_parameters``, missing metadata created
from the options, older schema versions upgraded, a batch plan's ``data_source`` recorded.
Recorded values are never overwritten: a disagreement is a :class:`Problem`::

    >>> fix_metadata(plan, "pickled-dict", MigrateOptions(nphotons=1e6))
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..base.echo import shown
from ..io.codec import CANONICAL_ENCODING, METADATA_KEY
from ..metadata.model import create_metadata
from .migrate_model import TOOL, Conversion, MigrateOptions, MigrationPlan, Problem, same_value


def fix_metadata(plan: MigrationPlan, encoding: str | None, options: MigrateOptions) -> None:
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
        if name in wanted and not same_value(wanted[name][0], value):
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
        elif not same_value(stored, value):
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


def upgrade_schema(plan: MigrationPlan) -> None:
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


def set_data_source(plan: MigrationPlan, value: str) -> None:
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
