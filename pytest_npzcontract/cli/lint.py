"""``npzcontract lint``: find the files, check them (optionally in parallel), render the run."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import click

from ..base.modes import ValidationMode
from ..contract.config import ConfigError, Settings, parse_pairs
from ..tools.project import Project, cache_context
from ..tools.walk import PRUNED, Shard, collect_files, shard_files
from .common import PROG, CliError
from .progress import ProgressBar
from .style import use_color

if TYPE_CHECKING:
    from ..base.report import Report

__all__ = ["PRUNED", "check_files", "collect_files", "lint", "lint_paths"]

class _PathOrUrl(click.Path):
    """An existing file or directory, or a URL (``https://``, ``s3://``, ...) left as given."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None
                ) -> Any:
        from ..io.remote import is_url

        return value if is_url(value) else super().convert(value, param, ctx)


@click.command()
@click.argument("paths", nargs=-1, type=_PathOrUrl(exists=True, readable=False))
@click.option("--mode", type=click.Choice([m.value for m in ValidationMode], case_sensitive=False),
              help="How policy rules (metadata, legacy keys, parameters) are enforced "
              "[config; default: strict].")
@click.option("--profile", metavar="NAME",
              help="canonical, train, raw, count-intensity or a custom profile, for every "
              "file [config: profile, per-path profiles; default: the file's scaling pair, "
              "else canonical].")
@click.option("--values/--no-values", default=None,
              help="Scan array values (NaN, negative, normalization) [config; default: values].")
@click.option("--expect", multiple=True, metavar="KEY=VALUE",
              help="Parameters the metadata must match, e.g. 'nphotons=1e6 N=64' (repeatable).")
@click.option("--rule", "rules", multiple=True, metavar="RULE=LEVEL",
              help="Override a rule's level: error, warning, info or off (repeatable).")
@click.option("--nphotons-factor", type=float, default=None, metavar="X",
              help="nphotons-inconsistent fires when the recorded nphotons and the frames' "
              "dose estimate are more than X times apart [config; default: 2].")
@click.option("--include", multiple=True, metavar="GLOB",
              help="Files to check inside directories [config; default: *.npz] (repeatable).")
@click.option("--exclude", multiple=True, metavar="GLOB",
              help="Files or directories to skip (repeatable; replaces the configured list).")
@click.option("--format", "--output-format", "output_format",
              type=click.Choice(["text", "json", "github", "sarif", "junit", "markdown"]),
              default="text", show_default=True, help="Output for people, programs, GitHub "
              "annotations, code scanning (SARIF 2.1.0), test reports (JUnit XML) or a step "
              "summary (Markdown).")
@click.option("-v", "--verbose", is_flag=True,
              help="Also show info findings in text and github output, and baselined ones "
              "in text (json has them all).")
@click.option("-q", "--quiet", is_flag=True,
              help="Text output: only the findings (no fix lines, no summary, no progress).")
@click.option("--color", type=click.Choice(["auto", "always", "never"]), default="auto",
              show_default=True, help="Colour severities and rule ids; auto: on a terminal, "
              "unless NO_COLOR is set (FORCE_COLOR forces it).")
@click.option("--baseline", "baseline", metavar="FILE",
              help="Findings recorded in FILE are reported as baselined and do not fail "
              "[config: baseline].")
@click.option("--update-baseline", is_flag=True,
              help="Record the current findings in the baseline (--baseline, baseline =, "
              "else npzcontract-baseline.json beside the configuration), then report.")
@click.option("-j", "--jobs", type=click.IntRange(min=0), default=None,
              help="Check files in N processes; 0: one per CPU [config; default: 1].")
@click.option("--executor", type=click.Choice(["local", "dask"]), default=None,
              help="Check files in local processes or on a Dask cluster (a LocalCluster of "
              "--jobs workers unless --scheduler is given) [config; default: local].")
@click.option("--scheduler", metavar="ADDRESS", envvar="DASK_SCHEDULER_ADDRESS",
              help="With --executor dask: the running cluster's scheduler, e.g. "
              "tcp://10.0.0.5:8786 [config; env: DASK_SCHEDULER_ADDRESS].")
@click.option("--config", "config_file", type=click.Path(dir_okay=False), default=None,
              help="Read [tool.npzcontract] from this file instead of searching upward.")
@click.option("--no-config", is_flag=True, help="Ignore any configuration file.")
@click.option("--shard", "shard_text", metavar="K/N",
              help="Check only shard K of N (files split by a hash of their path).")
@click.option("--cache/--no-cache", "use_cache", default=None,
              help="Reuse the reports of unchanged files [config; default: cache, unless "
              "NPZCONTRACT_NO_CACHE is set].")
@click.option("--cache-dir", metavar="DIR",
              help="Cache directory [config; default: .npzcontract_cache beside the config].")
@click.option("--cache-strategy", type=click.Choice(["metadata", "content"]),
              help="Unchanged means same size, mtime and inode (metadata) or same bytes "
              "(content) [config; default: metadata].")
@click.option("--respect-gitignore/--no-respect-gitignore", default=None,
              help="Skip what .gitignore files ignore when walking [config; default: respect].")
@click.option("--require-files/--allow-no-files", "require_files", default=None,
              help="Fail (exit 1) when no file matched, e.g. after an include typo "
              "[config: require_files; default: allow, with a warning].")
@click.pass_context
def lint(ctx: click.Context, paths: tuple[str, ...], mode: str | None, profile: str | None,
         values: bool | None, expect: tuple[str, ...], rules: tuple[str, ...],
         nphotons_factor: float | None,
         include: tuple[str, ...], exclude: tuple[str, ...], output_format: str,
         verbose: bool, quiet: bool, color: str, baseline: str | None,
         update_baseline: bool, jobs: int | None, executor: str | None, scheduler: str | None,
         config_file: str | None, no_config: bool,
         shard_text: str | None, use_cache: bool | None, cache_dir: str | None,
         cache_strategy: str | None, respect_gitignore: bool | None,
         require_files: bool | None) -> None:
    """Check .npz files and directories (searched recursively) against the data contract.

    Exit status 0 when nothing is an error, 1 when something is (or, with --require-files,
    when no file matched), 2 on a usage or configuration error, 130 when interrupted.
    """
    if config_file and no_config:
        raise CliError("--config and --no-config are mutually exclusive")
    try:
        project = Project.load(
            config_file, search=not no_config, use_cache=use_cache,
            mode=mode, profile=profile, values=values,
            expect=parse_pairs(expect, "--expect") or None,
            rules=parse_pairs(rules, "--rule") or None,
            include=include or None, exclude=exclude or None, jobs=jobs,
            nphotons_factor=nphotons_factor, cache_dir=cache_dir, cache_strategy=cache_strategy,
            respect_gitignore=respect_gitignore, require_files=require_files,
            baseline=os.path.abspath(baseline) if baseline else None,
            executor=executor, scheduler=scheduler)
        _check_executor(ctx, project.settings)
        shard = Shard.parse(shard_text) if shard_text else None
    except (ConfigError, ValueError) as exc:
        raise CliError(str(exc)) from None

    from .render import RENDERERS, LintRun

    settings = project.settings
    files, skipped = collect_files(paths or (".",), settings)
    files = shard_files(files, shard, settings)
    notes = _no_files_notes(settings) if not files else []
    for level, message in notes:
        if not quiet or level == "error":
            click.echo(f"{PROG}: {level}: {message}", err=True)
    reports = lint_paths(files, project, progress=sys.stderr.isatty() and not quiet)
    cache = project.cache
    if cache is not None and cache.problem:
        click.echo(f"{PROG}: warning: {cache.problem}; results not cached", err=True)
    known = _known(reports, settings, update_baseline, quiet)
    painted = output_format == "text" and use_color(color)
    run = LintRun(known.reports, skipped, settings.to_dict(), show_info=verbose,
                  cached=cache.hits if cache else 0, notes=notes,
                  baseline=os.fspath(known.baseline.path) if known.baseline else None,
                  stale=known.stale, ignores=bool(settings.per_file_ignores),
                  quiet=quiet, color=painted)
    text = RENDERERS[output_format](run)
    if text or not quiet:
        click.echo(text, color=painted)
    ctx.exit(run.exit_code)


def _known(reports: list[Report], settings: Settings, update: bool, quiet: bool) -> Any:
    """Per-file ignores and the baseline applied (after --update-baseline rewrote it)."""
    from ..tools.baseline import BaselineError, apply_known

    try:
        known = apply_known(reports, settings, update=update)
    except (BaselineError, OSError) as exc:
        raise CliError(str(exc)) from None
    if known.written is not None and not quiet:
        click.echo(f"{PROG}: wrote {os.path.relpath(known.baseline.path)}: "
                   f"{known.written} known finding(s)", err=True)
    return known


def _check_executor(ctx: click.Context, settings: Settings) -> None:
    """--scheduler typed on the command line means nothing without the Dask executor."""
    given = ctx.get_parameter_source("scheduler") == click.core.ParameterSource.COMMANDLINE
    if given and settings.executor != "dask":
        raise CliError("--scheduler needs --executor dask (or executor = \"dask\" in the "
                       "configuration)")


def _no_files_notes(settings: Settings) -> list[tuple[str, str]]:
    """The run-level note when nothing matched: a warning, or an error with require-files
    (also shown as a GitHub annotation, so a CI gate cannot pass silently on a typo)."""
    level = "error" if settings.require_files else "warning"
    message = (f"no .npz files to check: none matched include {', '.join(settings.include)}"
               + (f" (exclude {', '.join(settings.exclude)})" if settings.exclude else "")
               + ("" if settings.require_files else
                  "; passing anyway (--require-files makes this an error)"))
    return [(level, message)]


def lint_paths(files: list[str], project: Project | Settings, *, progress: bool = False
               ) -> list[Report]:
    """One report per file, in order, each as ``project.judge`` gives it: from the cache when
    unchanged, else checked (in ``jobs`` processes when above 1) and then stored."""
    if isinstance(project, Settings):
        project = Project(project)
    cache = project.cache
    if cache is None:
        return check_files(files, project, progress=progress)
    by_profile: dict[str | None, str] = {}  # the context depends on the path only so
    context = {}
    for path in files:
        profile = project.profile_for(path)
        if profile not in by_profile:
            by_profile[profile] = cache_context(project.options(path))
        context[path] = by_profile[profile]
    found = {path: cache.lookup(path, context[path]) for path in files}
    todo = [path for path, report in found.items() if report is None]
    fresh = check_files(todo, project, progress=progress)
    for path, report in zip(todo, fresh, strict=True):
        cache.store(path, report, context[path])
        found[path] = report
    return [found[path] for path in files]  # type: ignore[misc]


_WORKER: dict[str, Any] = {}


def _init_worker(settings: Settings) -> None:
    _WORKER["project"] = Project(settings)


def _check_in_worker(path: str) -> Report:
    return _WORKER["project"].judge(path, cache=False, known=False)


def check_files(files: Sequence[str], project: Project | Settings, *, progress: bool = False
                ) -> list[Report]:
    """One report per file, in input order, as ``project.judge`` (without the cache) gives
    it; ``settings.jobs`` processes when above 1.

    ``progress`` draws a bar on stderr once the run lasts a second (files done of total, the
    current file, bytes scanned serially, whole files as workers return them) when stderr
    is a terminal and values are scanned.
    """
    if not files:
        return []
    if isinstance(project, Settings):
        project = Project(project)
    settings = project.settings
    progress = progress and _progress_wanted(settings, files)
    if settings.executor != "dask" and (settings.jobs <= 1 or len(files) < 2):
        # One file and several jobs: its large members are scanned in threads instead.
        threads = max(settings.jobs, 1)
        if not progress:
            return [project.judge(path, cache=False, known=False, threads=threads)
                    for path in files]
        with ProgressBar(files) as bar:
            return [bar.run(path, lambda path=path: project.judge(
                path, cache=False, known=False, on_progress=bar.add, threads=threads))
                for path in files]
    reports: list[Report | None] = [None] * len(files)
    if settings.executor == "dask":
        from .dask_lint import dask_results

        results = dask_results(files, project)
    else:
        from .workers import run_parallel

        batch = max(1, min(16, len(files) // (settings.jobs * 8)))
        results = run_parallel(_check_in_worker, list(files), processes=settings.jobs,
                               batch=batch, initializer=_init_worker, initargs=(settings,))
    # closing(): an interrupt while a result is handled here still kills the workers at once
    with contextlib.closing(results), \
            (ProgressBar(files) if progress else contextlib.nullcontext()) as bar:
        for index, result in results:
            report = _as_report(files[index], result)
            reports[index] = bar.finished(files[index], report) if bar else report
    return [r for r in reports if r is not None]


def _as_report(path: str, result: Any) -> Report:
    """A worker's answer as a report: a crash of the worker itself becomes a finding."""
    from ..base.report import Finding, Report

    if isinstance(result, Report):
        return result
    return Report(path, [Finding(path, None, "resource-limit", "error",
                                 f"checking process failed ({result}); out of memory?")])


def _progress_wanted(settings: Settings, files: Sequence[str]) -> bool:
    return bool(files) and settings.values and sys.stderr.isatty()
