"""``npzcontract lint``: find the files, check them (optionally in parallel), render the run."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import click

from ..base.modes import ValidationMode
from ..contract.config import ConfigError, Settings, load_settings, parse_pairs
from .common import PROG, CliError

if TYPE_CHECKING:
    from ..base.report import Report
    from .render import Skipped

#: Directories never descended into when walking (version control, environments, caches).
PRUNED = frozenset({".git", ".hg", ".svn", ".tox", ".nox", ".venv", "venv", "node_modules",
                    "__pycache__", "site-packages", ".pytest_cache", ".mypy_cache"})


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@click.option("--mode", type=click.Choice([m.value for m in ValidationMode], case_sensitive=False),
              help="How policy rules (metadata, legacy keys, parameters) are enforced "
              "[config; default: strict].")
@click.option("--profile", metavar="NAME",
              help="canonical, raw or count-intensity [config; default: canonical].")
@click.option("--values/--no-values", default=None,
              help="Scan array values (NaN, negative, normalization) [config; default: values].")
@click.option("--expect", multiple=True, metavar="KEY=VALUE",
              help="Parameters the metadata must match, e.g. 'nphotons=1e6 N=64' (repeatable).")
@click.option("--rule", "rules", multiple=True, metavar="RULE=LEVEL",
              help="Override a rule's level: error, warning, info or off (repeatable).")
@click.option("--include", multiple=True, metavar="GLOB",
              help="Files to check inside directories [config; default: *.npz] (repeatable).")
@click.option("--exclude", multiple=True, metavar="GLOB",
              help="Files or directories to skip (repeatable; replaces the configured list).")
@click.option("--format", "output_format", type=click.Choice(["text", "json", "github"]),
              default="text", show_default=True, help="Output for people, programs or GitHub.")
@click.option("-v", "--verbose", is_flag=True,
              help="Also show info findings in text and github output (json has them all).")
@click.option("-j", "--jobs", type=click.IntRange(min=0), default=None,
              help="Check files in N processes; 0: one per CPU [config; default: 1].")
@click.option("--config", "config_file", type=click.Path(dir_okay=False), default=None,
              help="Read [tool.npzcontract] from this file instead of searching upward.")
@click.option("--no-config", is_flag=True, help="Ignore any configuration file.")
@click.pass_context
def lint(ctx: click.Context, paths: tuple[str, ...], mode: str | None, profile: str | None,
         values: bool | None, expect: tuple[str, ...], rules: tuple[str, ...],
         include: tuple[str, ...], exclude: tuple[str, ...], output_format: str,
         verbose: bool, jobs: int | None, config_file: str | None, no_config: bool) -> None:
    """Check .npz files and directories (searched recursively) against the data contract.

    Exit status 0 when nothing is an error, 1 when something is, 2 on a usage or
    configuration error.
    """
    if config_file and no_config:
        raise CliError("--config and --no-config are mutually exclusive")
    try:
        settings = load_settings(config_file, search=not no_config).override(
            mode=mode, profile=profile, values=values,
            expect=parse_pairs(expect, "--expect") or None,
            rules=parse_pairs(rules, "--rule") or None,
            include=include or None, exclude=exclude or None, jobs=jobs)
    except ConfigError as exc:
        raise CliError(str(exc)) from None

    from .render import RENDERERS, LintRun

    files, skipped = collect_files(paths or (".",), settings)
    if not files:
        click.echo(f"{PROG}: warning: no .npz files to check", err=True)
    reports = check_files(files, settings, progress=_progress_wanted(settings, files))
    run = LintRun(reports, skipped, settings.to_dict(), show_info=verbose)
    click.echo(RENDERERS[output_format](run))
    ctx.exit(run.exit_code)


def collect_files(paths: Sequence[str], settings: Settings) -> tuple[list[str], list[Skipped]]:
    """Files to check, in a stable order, and the paths skipped while walking directories.

    Named files are always checked (unless excluded). Directories are walked without following
    symlinks; a symlink whose target lies outside the walked directory, or no longer exists, is
    reported as skipped. Each real file is checked once.
    """
    from .render import Skipped

    files: list[str] = []
    skipped: list[Skipped] = []
    seen: set[str] = set()

    def add(path: str) -> None:
        real = os.path.realpath(path)
        if real not in seen:
            seen.add(real)
            files.append(path)

    for path in map(os.path.normpath, paths):
        if not os.path.isdir(path):
            if not settings.excludes(path):
                add(path)
            continue
        tree = os.path.realpath(path)
        for directory, dirnames, filenames in os.walk(path):
            kept = []
            for name in sorted(dirnames):
                full = os.path.normpath(os.path.join(directory, name))
                if name in PRUNED or settings.excludes(full):
                    continue
                if os.path.islink(full):
                    problem = _link_problem(full, tree, path)
                    if problem:
                        skipped.append(Skipped(full, problem))
                    continue
                kept.append(name)
            dirnames[:] = kept
            for name in sorted(filenames):
                full = os.path.normpath(os.path.join(directory, name))
                if not settings.selects(full):
                    continue
                problem = _link_problem(full, tree, path) if os.path.islink(full) else None
                if problem:
                    skipped.append(Skipped(full, problem))
                else:
                    add(full)
    return files, skipped


def _link_problem(link: str, tree: str, shown_tree: str) -> str | None:
    """Why a symlink found in ``tree`` is not followed (None: its target is inside)."""
    target = os.path.realpath(link)
    if not os.path.exists(target):
        return f"broken symlink (target {os.readlink(link)} does not exist)"
    if os.path.commonpath([tree, target]) != tree:
        return f"symlink to {target}, outside {shown_tree}; not followed"
    return None


_WORKER: dict[str, Any] = {}
#: Worker start method: fork is much cheaper on Linux (no re-import of NumPy per worker); the
#: workers only use module-level functions, so "spawn" (macOS, Windows) works as well.
START_METHOD = "fork" if sys.platform.startswith("linux") else "spawn"


def _init_worker(options: dict[str, Any]) -> None:
    from ..contract.keys import DATA_001

    spec = options.pop("contract")
    _WORKER.update(options, contract=DATA_001.extended(spec) if spec else None)


def _check_in_worker(path: str) -> Report:
    from ..contract.checker import check_file

    return check_file(path, **_WORKER)


def check_files(files: Sequence[str], settings: Settings, *, progress: bool = False
                ) -> list[Report]:
    """One report per file, in input order; ``settings.jobs`` processes when above 1.

    ``progress`` draws a byte-level bar on stderr (bytes scanned serially, whole files as
    workers return them).
    """
    from ..contract.checker import check_file

    options = {**settings.check_options(), "contract": settings.build_contract()}
    if settings.jobs <= 1 or len(files) < 2:
        if not progress:
            return [check_file(path, **options) for path in files]
        with _ProgressBar(files) as bar:
            return [bar.finished(path, check_file(path, on_progress=bar.add, **options))
                    for path in files]
    import concurrent.futures
    import multiprocessing

    pool = concurrent.futures.ProcessPoolExecutor(
        max_workers=min(settings.jobs, len(files)), mp_context=multiprocessing.get_context(
            START_METHOD), initializer=_init_worker, initargs=(settings.check_options(),))
    chunksize = max(1, len(files) // (settings.jobs * 8))
    with pool:
        results = pool.map(_check_in_worker, files, chunksize=chunksize)
        if not progress:
            return list(results)
        with _ProgressBar(files) as bar:
            return [bar.finished(path, report)
                    for path, report in zip(files, results, strict=True)]


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
