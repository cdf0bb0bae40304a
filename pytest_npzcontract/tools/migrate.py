"""Legacy files to the form of their profile, as a plan (pure) and its verified, atomic
application.

A file keeps the form of its profile (the per-path ``[tool.npzcontract.profiles]`` table,
``--profile``, else the scaling pair its metadata records, else canonical): a raw file keeps
``diff3d`` and only its metadata is re-encoded; ``diff3d`` becomes ``diffraction`` only when the
target is canonical. ``MigrateOptions(to=...)`` converts to another profile's form
(:mod:`.migrate_forms` says which conversions are possible). Conversions, each recorded in the
new transformation record:

- frames renamed to the key the target reads (``diff3d`` -> ``diffraction`` for canonical,
  the reverse for raw); integer diffraction where the target stores float amplitudes needs an
  explicit choice: ``sqrt=True`` stores ``sqrt(counts)``, ``sqrt=False`` declares the values
  amplitudes already (without a choice the file is refused; float data are never rooted);
- a trailing axis of 1 squeezed (4-D ``Y``); frames stored (H, W, n) transposed to (n, H, W)
  (when n == N the photon totals per axis decide, :mod:`..physics.layout`);
  arrays of the right kind at a wider precision (complex128, float64) cast down;
- pickled / bytes ``_metadata`` re-encoded as JSON text, a legacy top-level ``nphotons`` moved
  into ``physics_parameters``, missing metadata created from ``nphotons`` (required), ``N`` and
  ``gridsize`` (:mod:`.migrate_metadata`).

The planned output (arrays and metadata, records included) is checked against the target
profile under the project's settings before anything is written: if it would not pass, the
plan has problems and nothing is written. The written file is re-read and compared (SHA-256 of
dtype, shape and bytes of every array) before it replaces anything::

    plan = plan_file("legacy.npz", MigrateOptions(sqrt=True, nphotons=1e6))
    if not plan.problems:
        apply_plan(plan, "legacy.npz")        # in place, atomically
"""

from __future__ import annotations

import copy
import os
from typing import Any

from ..contract.keys import Contract
from ..io.archive import scan_archive
from ..io.atomic import atomic_write
from ..io.reader import load_npz, read_metadata
from ..io.writer import write_npz
from ..metadata.model import add_transformation
from .migrate_forms import convert_arrays
from .migrate_metadata import fix_metadata, set_data_source, upgrade_schema
from .migrate_model import (  # noqa: F401 (the migration's public names live here too)
    ESTIMATE,
    ESTIMATION_OPERATION,
    OPERATION,
    TOOL,
    Conversion,
    MigrateOptions,
    MigrationError,
    MigrationPlan,
    Problem,
    array_digest,
)
from .project import Project

NO_OPTIONS = MigrateOptions()


def plan_file(path: str | os.PathLike, options: MigrateOptions = NO_OPTIONS,
              project: Project | None = None, *, output: str | os.PathLike | None = None
              ) -> MigrationPlan:
    """Plan the migration of a file in ``project`` (default: no configuration) and check the
    output against the target profile as ``project`` judges files. ``output``: where it will
    be written (default: in place). Raises ``ContractViolation`` if the file cannot be read
    safely; ``ValueError`` for an unknown profile name."""
    project = Project() if project is None else project
    source = os.fspath(path)
    arrays, metadata = load_npz(source)
    with scan_archive(source) as scan:
        decoded = read_metadata(scan)
    own, target = profiles_for(source, metadata, options, project)
    plan = plan_arrays(arrays, metadata, decoded.encoding if decoded else None, options,
                       source=source, profile=own, target=target)
    if not plan.problems:
        plan.written = written_metadata(plan)
        check_output(plan, target, project)
    if not plan.problems and plan.needed:
        shown = project.contract_for(source if output is None else output,
                                     plan.written).profile
        if shown != target.profile:
            plan.notes.append(f"lint checks {os.fspath(output or source)} against profile "
                              f"{shown}, not {target.profile}: name the profile for that "
                              "path in [tool.npzcontract.profiles] (or lint --profile "
                              f"{target.profile})")
    return plan


def profiles_for(path: str, metadata: dict | None, options: MigrateOptions,
                 project: Project) -> tuple[Contract, Contract]:
    """The file's own profile (``options.profile``, else the one the project gives ``path``)
    and the target (``options.to``, else the file's own)."""
    registry = project.settings.registry()
    for name in (options.profile, options.to):
        if name is not None and name not in registry:
            raise ValueError(f"unknown profile {name!r} (choose from {', '.join(registry)})")
    own = registry[options.profile] if options.profile else project.contract_for(path,
                                                                                 metadata)
    return own, registry[options.to] if options.to else own


def plan_arrays(arrays: dict[str, Any], metadata: dict | None, encoding: str | None,
                options: MigrateOptions = NO_OPTIONS, *, source: str = "<data>",
                profile: Contract | None = None, target: Contract | None = None
                ) -> MigrationPlan:
    """Plan from loaded data; ``encoding`` is how ``_metadata`` was stored (None: absent).
    ``profile`` is the file's own profile (default canonical), ``target`` the form to write
    (default: ``profile``). Pure: the output is not checked (:func:`check_output` does that)."""
    from ..contract.profiles import PROFILES

    own = profile or PROFILES["canonical"]
    target = target or own
    plan = MigrationPlan(source, dict(arrays), copy.deepcopy(metadata), profile=own.profile,
                         target=target.profile)
    if options.nphotons == ESTIMATE:
        from .migrate_estimate import estimated_options

        options = estimated_options(plan, arrays, metadata, options)
    convert_arrays(plan, source=own, target=target, sqrt=options.sqrt)
    fix_metadata(plan, encoding, options)
    if plan.metadata is not None:
        upgrade_schema(plan)
    if plan.metadata is not None and options.data_source is not None:
        set_data_source(plan, options.data_source)
    if plan.metadata is not None:
        from ..metadata.schema import validate_metadata_schema

        plan.problems += [Problem(f"metadata would not match the schema: {problem}")
                          for problem in validate_metadata_schema(plan.metadata)]
    plan.untouched = [key for key, value in plan.arrays.items() if arrays.get(key) is value]
    return plan


def written_metadata(plan: MigrationPlan) -> dict | None:
    """The metadata the output holds: the plan's, plus the migration's transformation record
    (and the estimate's) when anything changes."""
    if not plan.needed:
        return plan.metadata
    metadata = add_transformation(
        plan.metadata, TOOL, OPERATION,
        {"conversions": [c.to_dict() for c in plan.conversions]}, inputs=[plan.source])
    if plan.estimate is not None:
        from .migrate_estimate import estimation_record

        metadata = add_transformation(metadata, TOOL, ESTIMATION_OPERATION,
                                      estimation_record(plan.estimate), inputs=[plan.source])
    return metadata


def check_output(plan: MigrationPlan, target: Contract, project: Project) -> None:
    """Judge what the plan would write against ``target`` as the project judges files (its
    mode, rule levels, expected values and limits); each error becomes a problem."""
    report = project.judge_arrays(plan.arrays, plan.written, name=plan.source, profile=target)
    plan.problems += [Problem(f"the output would not pass profile {target.profile}: "
                              f"{'[' + f.key + '] ' if f.key else ''}{f.rule}: {f.message}")
                      for f in report.errors]


def apply_plan(plan: MigrationPlan, output: str | os.PathLike) -> dict:
    """Write the migrated file to ``output`` (may be the source) and return its metadata.

    The data goes to a temporary file beside ``output``; it is re-read and every array's digest
    and the metadata are compared with the plan before ``os.replace`` puts it in place. On any
    failure the temporary file is removed and ``output`` is untouched.
    """
    if plan.problems:
        raise ValueError(f"plan for {plan.source} has problems: {plan.problems[0].message}")
    metadata = plan.written if plan.written is not None else written_metadata(plan)
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
