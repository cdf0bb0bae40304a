"""``npzcontract init``: propose and write the configuration of an existing data repository.

It judges every ``.npz`` file under every profile, picks each folder's profile, excludes the
files that are not datasets, then writes ``[tool.npzcontract]`` into ``pyproject.toml`` and
the hook into ``.pre-commit-config.yaml`` (``--dry-run`` prints them instead), optionally a
baseline of what still fails, and lists what still fails under the proposal::

    $ npzcontract init --dry-run
    $ npzcontract init --baseline npzcontract-baseline.json
"""

from __future__ import annotations

import os
from pathlib import Path

import click

from ..base.modes import ValidationMode
from .common import PROG, CliError


@click.command()
@click.argument("root", default=".", type=click.Path(exists=True, file_okay=False))
@click.option("--dry-run", is_flag=True, help="Print the configuration and the hook; write "
              "nothing.")
@click.option("--baseline", metavar="FILE", help="Also record what still fails in FILE "
              "(relative to ROOT) and name it in the configuration, so the gate can be "
              "switched on at once.")
@click.option("--mode", type=click.Choice([m.value for m in ValidationMode]), default="strict",
              show_default=True, help="The mode the files are judged in (and configured).")
@click.option("--hook-repo", metavar="URL", help="Use the published hook of this repository "
              "(with --hook-rev) instead of a local hook running the installed npzcontract.")
@click.option("--hook-rev", metavar="REV", help="The tag or commit of --hook-repo.")
@click.option("-q", "--quiet", is_flag=True, help="Do not list what still fails.")
@click.pass_context
def init(ctx: click.Context, root: str, dry_run: bool, baseline: str | None, mode: str,
         hook_repo: str | None, hook_rev: str | None, quiet: bool) -> None:
    """Propose [tool.npzcontract] for the data under ROOT (default: here) and write it."""
    from ..contract.config import ConfigError, Settings
    from ..tools.init_plan import pre_commit_entry, propose

    base = Path(root).resolve()
    pyproject = base / "pyproject.toml"
    if not dry_run and _has_table(pyproject):
        raise CliError(f"{_shown(pyproject)} already has a [tool.npzcontract] table; remove it "
                       "first, or see the proposal with --dry-run")
    try:
        settings = Settings(root=base).override(mode=mode)
    except ConfigError as exc:
        raise CliError(str(exc)) from None
    proposal = propose(base, settings=settings)
    proposal.baseline = baseline
    total = len(proposal.files) + len(proposal.non_datasets)
    click.echo(f"judged {total} file(s) under each profile ({mode} mode):")
    for choice in proposal.folders:
        click.echo(f"  {choice.line()}")
    if proposal.non_datasets:
        click.echo(f"  not datasets, excluded: {', '.join(proposal.non_datasets)}")
    table = proposal.toml().replace("[tool.npzcontract]\n",
                                    "[tool.npzcontract]\n" + (f'mode = "{mode}"\n'
                                                              if mode != "strict" else ""), 1)
    hook = pre_commit_entry(hook_repo, hook_rev)
    if dry_run:
        click.echo(f"\n# {_shown(pyproject)}\n{table}\n# .pre-commit-config.yaml\nrepos:\n{hook}",
                   nl=False)
    else:
        _append(pyproject, table)
        click.echo(f"wrote [tool.npzcontract] to {_shown(pyproject)}")
        click.echo(_write_hook(base / ".pre-commit-config.yaml", hook))
    _still_failing(ctx, proposal, settings, write_baseline=bool(baseline) and not dry_run,
                   quiet=quiet)


def _still_failing(ctx: click.Context, proposal, settings, *, write_baseline: bool,
                   quiet: bool) -> None:
    """Lint the datasets under the proposal (values scanned); write the baseline if asked."""
    from ..tools.baseline import Baseline, ignore
    from ..tools.project import Project

    project = Project(proposal.settings(settings))
    reports = [ignore(project.judge(os.fspath(proposal.root / rel), known=False),
                      project.settings.ignored_rules(proposal.root / rel))
               for rel in proposal.files]
    shown = [r for r in reports if not r.ok]
    if write_baseline:
        path = project.settings.baseline_path()
        known = Baseline.load(path, missing_ok=True).updated(reports)
        known.save()
        click.echo(f"wrote {_shown(path)}: {len(known)} known finding(s) of "
                   f"{len(shown)} file(s); they do not fail until fixed")
    if not shown:
        click.echo(f"\nevery dataset passes under the proposal ({len(reports)} file(s))")
        return
    click.echo(f"\nstill failing under the proposal: {len(shown)} of {len(reports)} file(s)")
    if not quiet:
        cwd = Path.cwd()
        for report in shown:
            for finding in report.errors:
                click.echo(finding.line().replace(report.file or "", _shown(
                    Path(report.file or ""), cwd), 1))
    hint = ("the baseline records them: `npzcontract lint` passes until new findings appear"
            if write_baseline else "fix or migrate them, or record them with "
            "`npzcontract lint --update-baseline` (see docs/adopting.md)")
    click.echo(hint)


def _has_table(path: Path) -> bool:
    from ..contract.config import ConfigError, _read_toml, _table

    if not path.is_file():
        return False
    try:
        return _table(_read_toml(path)) is not None
    except ConfigError as exc:
        raise CliError(str(exc)) from None


def _append(path: Path, text: str) -> None:
    existing = path.read_text(encoding="utf-8") if path.is_file() else ""
    separator = "" if not existing else ("\n" if existing.endswith("\n") else "\n\n")
    path.write_text(existing + separator + text, encoding="utf-8")


def _write_hook(path: Path, hook: str) -> str:
    """Create the pre-commit configuration, or add the hook to an existing one when the
    result is still valid YAML with one more repository; else say what to add by hand."""
    if not path.is_file():
        path.write_text("repos:\n" + hook, encoding="utf-8")
        return f"wrote {_shown(path)} (hook npz-contract)"
    text = path.read_text(encoding="utf-8")
    if "npz-contract" in text:
        return f"{_shown(path)} already runs npz-contract; left as it is"
    combined = text + ("" if text.endswith("\n") else "\n") + hook
    try:
        import yaml  # pre-commit's own dependency; without it, nothing is edited

        before, after = yaml.safe_load(text), yaml.safe_load(combined)
        ok = len(after["repos"]) == len(before["repos"]) + 1
    except Exception:  # no PyYAML, invalid YAML, no repos list: leave the file alone
        ok = False
    if not ok:
        click.echo(f"{PROG}: warning: cannot add the hook to {_shown(path)} safely; add "
                   f"under repos:\n{hook}", err=True)
        return f"{_shown(path)} left as it is"
    path.write_text(combined, encoding="utf-8")
    return f"added the npz-contract hook to {_shown(path)}"


def _shown(path: Path, base: Path | None = None) -> str:
    try:
        return Path(path).resolve().relative_to((base or Path.cwd()).resolve()).as_posix()
    except ValueError:
        return os.fspath(path)
