"""``npzcontract lint``: find the files, check them (optionally in parallel), render the run."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import click

from ..base.modes import ValidationMode
from ..contract.config import ConfigError, Settings, parse_pairs
from ..tools.project import Project, cache_context
from ..tools.walk import PRUNED, Shard, collect_files, shard_files
from .common import PROG, CliError

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
@click.option("--format", "output_format",
              type=click.Choice(["text", "json", "github", "sarif", "junit", "markdown"]),
              default="text", show_default=True, help="Output for people, programs, GitHub "
              "annotations, code scanning (SARIF 2.1.0), test reports (JUnit XML) or a step "
              "summary (Markdown).")
@click.option("-v", "--verbose", is_flag=True,
              help="Also show info findings in text and github output (json has them all).")
@click.option("-j", "--jobs", type=click.IntRange(min=0), default=None,
              help="Check files in N processes; 0: one per CPU [config; default: 1].")
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
         verbose: bool, jobs: int | None, config_file: str | None, no_config: bool,
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
            respect_gitignore=respect_gitignore, require_files=require_files)
        shard = Shard.parse(shard_text) if shard_text else None
    except (ConfigError, ValueError) as exc:
        raise CliError(str(exc)) from None

    from .render import RENDERERS, LintRun

    settings = project.settings
    files, skipped = collect_files(paths or (".",), settings)
    files = shard_files(files, shard, settings)
    notes = _no_files_notes(settings) if not files else []
    for level, message in notes:
        click.echo(f"{PROG}: {level}: {message}", err=True)
    reports = lint_paths(files, project, progress=sys.stderr.isatty())
    cache = project.cache
    if cache is not None and cache.problem:
        click.echo(f"{PROG}: warning: {cache.problem}; results not cached", err=True)
    run = LintRun(reports, skipped, settings.to_dict(), show_info=verbose,
                  cached=cache.hits if cache else 0, notes=notes)
    click.echo(RENDERERS[output_format](run))
    ctx.exit(run.exit_code)


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
    return _WORKER["project"].judge(path, cache=False)


def check_files(files: Sequence[str], project: Project | Settings, *, progress: bool = False
                ) -> list[Report]:
    """One report per file, in input order, as ``project.judge`` (without the cache) gives
    it; ``settings.jobs`` processes when above 1.

    ``progress`` draws a byte-level bar on stderr (bytes scanned serially, whole files as
    workers return them) when stderr is a terminal and values are scanned.
    """
    if not files:
        return []
    if isinstance(project, Settings):
        project = Project(project)
    settings = project.settings
    progress = progress and _progress_wanted(settings, files)
    if settings.jobs <= 1 or len(files) < 2:
        # One file and several jobs: its large members are scanned in threads instead.
        threads = max(settings.jobs, 1)
        if not progress:
            return [project.judge(path, cache=False, threads=threads) for path in files]
        with _ProgressBar(files) as bar:
            return [bar.finished(path, project.judge(path, cache=False, on_progress=bar.add,
                                                     threads=threads))
                    for path in files]
    from .workers import run_parallel

    reports: list[Report | None] = [None] * len(files)
    batch = max(1, min(16, len(files) // (settings.jobs * 8)))
    results = run_parallel(_check_in_worker, list(files), processes=settings.jobs, batch=batch,
                           initializer=_init_worker, initargs=(settings,))
    # closing(): an interrupt while a result is handled here still kills the workers at once
    with contextlib.closing(results), \
            (_ProgressBar(files) if progress else contextlib.nullcontext()) as bar:
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


class _ProgressBar:
    """A progress bar on stderr over the bytes of array data in ``files`` (from headers)."""

    def __init__(self, files: Sequence[str]) -> None:
        from ..io.reader import inspect_npz

        self.sizes: dict[str, int] = {}
        for path in files:
            try:
                self.sizes[path] = sum(m.data_bytes for m in inspect_npz(path).values())
            except Exception:  # an unreadable file's findings come from the check itself
                self.sizes[path] = 0
        self.bar = click.progressbar(length=max(sum(self.sizes.values()), 1),
                                     label="scanning values", file=sys.stderr,
                                     show_percent=True, show_eta=True)
        self.pending = 0

    def __enter__(self) -> _ProgressBar:
        self.bar.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.__exit__(*exc)

    def add(self, nbytes: int) -> None:
        """Count bytes of the file being scanned."""
        self.pending += nbytes
        self.bar.update(nbytes)

    def finished(self, path: str, report: Report) -> Report:
        """Complete ``path`` (bytes not scanned, e.g. of an unreadable file, count as done)."""
        self.bar.update(max(self.sizes[path] - self.pending, 0))
        self.pending = 0
        return report


def _progress_wanted(settings: Settings, files: Sequence[str]) -> bool:
    return bool(files) and settings.values and sys.stderr.isatty()
