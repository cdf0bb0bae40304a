"""``npzcontract migrate``: legacy files to the form of their profile (or ``--to`` another),
checked against that profile, verified and atomic."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import click

from ..base.echo import shown
from .common import PROG, CliError, refuse_symlink

if TYPE_CHECKING:
    from ..tools.project import Project


class _Nphotons(click.ParamType):
    """A positive number, or ``estimate`` (read it from the frames' photon statistics)."""

    name = "NUMBER|estimate"

    def convert(self, value, param, ctx):  # type: ignore[no-untyped-def]
        if isinstance(value, float) or value == "estimate":
            return value
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = float("nan")
        if not (number > 0 and number != float("inf")):
            self.fail(f"{shown(value)} is not a positive number or 'estimate'", param, ctx)
        return number


@click.command()
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False))
@click.option("-o", "--output", type=click.Path(), default=None,
              help="Write here (a file for one input, an existing directory for several; "
              "a symbolic link is refused).")
@click.option("--in-place", is_flag=True, help="Replace each input atomically.")
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@click.option("--force", is_flag=True,
              help="Overwrite an existing --output file; with --in-place, also replace "
              "read-only files.")
@click.option("--sqrt/--no-sqrt", "sqrt", default=None,
              help="Integer (count) diffraction: store sqrt (intensity -> amplitude), or cast "
              "as is. Required when the diffraction is integer.")
@click.option("--nphotons", type=_Nphotons(), default=None,
              help="nphotons to record when the metadata lacks it; 'estimate' reads it from "
              "the frames' photon statistics (recorded as a metadata_estimation record).")
@click.option("--N", "n_pixels", type=click.IntRange(min=1), default=None,
              help="N to record when missing (default for new metadata: the probe size).")
@click.option("--gridsize", type=click.IntRange(min=1), default=None,
              help="gridsize to record when missing.")
@click.option("--plan", "plan_file_path", type=click.Path(exists=True, dir_okay=False),
              default=None, help="Migrate the datasets a YAML or TOML parameter file lists "
              "(paths relative to it; each file in place or to its 'output').")
@click.option("--check", is_flag=True, help="With --plan: print each file's plan and the "
              "summary; write nothing.")
@click.option("--to", "to", metavar="PROFILE", default=None,
              help="Convert to this profile's form (e.g. raw -> canonical renames diff3d); "
              "default: each file keeps the form of its own profile.")
@click.option("--profile", metavar="NAME", default=None,
              help="The files' own profile, for every file (default: the per-path "
              "[tool.npzcontract.profiles] table, else the scaling pair, else canonical).")
@click.option("--mode", type=click.Choice(["strict", "warn", "permissive"], case_sensitive=False),
              default=None, help="Mode the output is checked in (default: the configuration's).")
@click.option("--config", "config_file", type=click.Path(dir_okay=False), default=None,
              help="Read [tool.npzcontract] from this file instead of searching upward.")
@click.option("--no-config", is_flag=True, help="Ignore any configuration file.")
@click.option("--allow-outside", is_flag=True, help="With --plan: allow 'path' and 'output' "
              "outside the plan's folder (absolute, or climbing out with ..).")
@click.pass_context
def migrate(ctx: click.Context, files: tuple[str, ...], output: str | None, in_place: bool,
            dry_run: bool, force: bool, sqrt: bool | None, nphotons: float | str | None,
            n_pixels: int | None, gridsize: int | None, plan_file_path: str | None,
            check: bool, to: str | None, profile: str | None, mode: str | None,
            config_file: str | None, no_config: bool, allow_outside: bool) -> None:
    """Convert legacy datasets to the form of their profile, recording a transformation.

    Each file keeps the form of its profile (a raw file keeps diff3d); --to PROFILE converts
    to another form (diff3d -> diffraction for canonical). Integer diffraction -> float32
    amplitude, 4-D Y squeezed, wide dtypes cast down, pickled metadata -> JSON text, missing
    metadata added from the options. The output is checked against the target profile, and
    every array not converted is verified bit-identical in the written file, before it replaces
    anything; an output that would not pass is not written (exit 1). With --output, files
    already in form are copied unchanged, so the output holds every input. Read-only files are
    not replaced in place without --force.
    """
    from ..base.errors import ContractViolation
    from ..tools.migrate import MigrateOptions, MigrationError, apply_plan, plan_file

    project = _project(config_file, no_config, mode, profile, to)
    if plan_file_path is not None and profile is not None:
        raise CliError("--plan takes profiles from its entries ('profile', 'to'): do not "
                       "combine it with --profile")
    if plan_file_path is not None:
        _run_plan(ctx, plan_file_path, files, output, in_place, dry_run or check, force,
                  (sqrt, nphotons, n_pixels, gridsize, to), project, allow_outside)
        return
    if allow_outside:
        raise CliError("--allow-outside goes with --plan FILE")
    if check:
        raise CliError("--check goes with --plan FILE (for files, use --dry-run)")
    if not files:
        raise CliError("give FILE... to migrate, or --plan FILE")
    targets = _migration_targets(files, output, in_place, dry_run, force)
    if in_place:
        from ..io.atomic import directory_writable

        # --force can only help with a read-only file; a read-only directory it cannot fix
        stuck = [f for f in files if not directory_writable(os.path.realpath(f))]
        locked = [f for f in files if f not in stuck and not force and _read_only(f)]
        for source in stuck:
            click.echo(f"{PROG}: error: cannot write {source}: permission denied (the "
                       "directory is read-only)", err=True)
        for source in locked:
            click.echo(f"{PROG}: error: {source} is read-only; refusing to replace it in place "
                       "(use --force, or make it writable)", err=True)
        if stuck or locked:
            ctx.exit(1)
    options = MigrateOptions(sqrt=sqrt, nphotons=nphotons, N=n_pixels, gridsize=gridsize,
                             to=to, profile=profile)
    plans, status = [], 0
    for source, target in zip(files, targets, strict=True):
        try:
            plans.append((plan_file(source, options, project, output=target), target))
        except ContractViolation as exc:
            status = 1
            for finding in exc.findings:
                click.echo(f"{source}: cannot read: {finding.rule}: {finding.message}", err=True)
    usage = [(p.source, problem) for p, _ in plans for problem in p.problems if problem.usage]
    if usage:
        for source, problem in usage:
            click.echo(f"{PROG}: error: {source}: {problem.message}", err=True)
        ctx.exit(2)
    for plan, target in plans:
        header = {None: plan.source, plan.source: f"{plan.source} (in place)"}.get(
            target, f"{plan.source} -> {target}")
        click.echo(header)
        for note in plan.notes:
            click.echo(f"  note: {note}")
        if plan.problems:
            status = 1
            click.echo("\n".join(f"  error: {p.message}" for p in plan.problems))
            continue
        click.echo("\n".join(f"  {c.text}" for c in plan.conversions) or f"  {plan.in_form}")
        if not plan.needed and target not in (None, plan.source) and not _same(plan.source,
                                                                               target):
            if dry_run:
                click.echo(f"  would copy it unchanged to {target} (dry run)")
                continue
            try:
                copy_verbatim(plan.source, target)
            except OSError as exc:
                status = 1
                click.echo(f"  error: {' '.join(str(exc).split())}; {target} not written")
                continue
            click.echo(f"  copied unchanged (byte-identical) to {target}")
            continue
        if not plan.needed or dry_run:
            click.echo("  nothing written" + (" (dry run)" if dry_run and plan.needed else ""))
            continue
        try:
            apply_plan(plan, target)
        except (MigrationError, ContractViolation, OSError) as exc:
            status = 1
            click.echo(f"  error: {' '.join(str(exc).split())}; {target} not replaced")
            continue
        kept = len(plan.untouched)
        click.echo(f"  verified: {kept} array(s) bit-identical, "
                   f"{len(plan.arrays) - kept} converted; wrote {target}")
    ctx.exit(status)


def _project(config_file: str | None, no_config: bool, mode: str | None, profile: str | None,
             to: str | None) -> Project:
    """The project with the command line's mode (``--profile`` and ``--to`` go into the
    migration's options); both must name a known profile."""
    from ..contract.config import ConfigError
    from ..tools.project import Project

    try:
        project = Project.load(config_file, search=not no_config, mode=mode)
    except ConfigError as exc:
        raise CliError(str(exc)) from None
    known = project.settings.registry()
    for option, name in (("--profile", profile), ("--to", to)):
        if name is not None and name not in known:
            raise CliError(f"{option}: unknown profile {name!r} (choose from "
                           f"{', '.join(known)})")
    return project


def _read_only(path: str) -> bool:
    """No owner write bit, or not writable by us (root can write anything: the bit decides)."""
    try:
        return not (os.stat(path).st_mode & 0o200) or not os.access(path, os.W_OK)
    except OSError:
        return False


def _same(source: str, target: str) -> bool:
    return os.path.exists(target) and os.path.samefile(source, target)


def copy_verbatim(source: str, target: str) -> None:
    """Copy ``source`` to ``target`` atomically, with ``source``'s permissions (io/atomic.py)."""
    import shutil
    import stat

    from ..io.atomic import atomic_write

    mode = stat.S_IMODE(os.stat(source).st_mode)
    with atomic_write(os.path.realpath(target), display=target, mode=mode) as staged, \
            open(source, "rb") as src:
        shutil.copyfileobj(src, staged.file, 1 << 20)


def _migration_targets(files: tuple[str, ...], output: str | None, in_place: bool,
                       dry_run: bool, force: bool) -> list[str | None]:
    if output and in_place:
        raise CliError("--output and --in-place are mutually exclusive")
    if not (output or in_place):
        if dry_run:
            return [None] * len(files)
        raise CliError("give --output OUT or --in-place (or --dry-run)")
    if in_place:
        return list(files)
    if len(files) > 1 and not os.path.isdir(output):
        raise CliError(f"--output {output} must be an existing directory for several files")
    targets = [os.path.join(output, os.path.basename(f)) if os.path.isdir(output) else output
               for f in files]
    for target in targets:
        refuse_symlink(target)
    real = [os.path.realpath(t) for t in targets]
    if len(set(real)) != len(real):
        raise CliError("several inputs would be written to the same output file")
    for source, target in zip(files, targets, strict=True):
        same = os.path.exists(target) and os.path.samefile(source, target)
        if os.path.exists(target) and not (same or force or dry_run):
            raise CliError(f"{target} exists; use --force to overwrite it")
    return targets


def _run_plan(ctx: click.Context, plan_path: str, files: tuple[str, ...], output: str | None,
              in_place: bool, check: bool, force: bool, per_file: tuple, project: Project,
              allow_outside: bool = False) -> None:
    from pathlib import Path

    from ..tools.migrate_plan import PlanError, read_plan, run_plan, summary_table

    if files or output or in_place or force or any(v is not None for v in per_file):
        raise CliError("--plan takes its files and values from the plan: do not combine it "
                       "with FILE arguments, --output, --in-place, --force, --sqrt, "
                       "--nphotons, --N, --gridsize or --to")
    try:
        entries = read_plan(plan_path, allow_outside=allow_outside)
    except PlanError as exc:
        raise CliError(str(exc)) from None
    known = project.settings.registry()
    for entry in entries:
        for field in ("to", "profile"):
            name = getattr(entry.options, field)
            if name is not None and name not in known:
                raise CliError(f"{plan_path}: datasets entry {entry.index}: {field!r}: unknown "
                               f"profile {name!r} (choose from {', '.join(known)})")
    outcomes = run_plan(entries, check=check, echo=click.echo, project=project)
    click.echo("")
    if check:
        click.echo("check only: nothing written")
    click.echo(summary_table(outcomes, Path(plan_path).resolve().parent))
    ctx.exit(1 if any(o.failed for o in outcomes) else 0)
