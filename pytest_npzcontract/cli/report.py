"""``npzcontract report PART.json...``: one report, in any output format and with one exit
status, from the JSON reports of shards (``lint --shard K/N --format json``) or of any runs over
disjoint files."""

from __future__ import annotations

import click

from .common import PROG, CliError


@click.command()
@click.argument("parts", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--format", "output_format",
              type=click.Choice(["text", "json", "github", "sarif", "junit", "markdown"]),
              default="text", show_default=True, help="Output, as lint --format.")
@click.option("-v", "--verbose", is_flag=True,
              help="Also show info findings in text and github output (json has them all).")
@click.pass_context
def report(ctx: click.Context, parts: tuple[str, ...], output_format: str,
           verbose: bool) -> None:
    """Combine the JSON reports of lint runs over disjoint files (e.g. the shards of a CI
    matrix or a Slurm job array) into one report.

    The parts must come from the same npzcontract version and settings (jobs and the cache
    may differ) and must not share a file. Exit status as lint: 0 when nothing is an error,
    1 when something is, 2 when a part cannot be read or the parts cannot be combined.
    """
    from .parts import PartError, combine, read_part
    from .render import RENDERERS

    try:
        run = combine([read_part(path) for path in parts])
    except PartError as exc:
        raise CliError(str(exc)) from None
    run.show_info = verbose
    for level, message in run.notes:
        click.echo(f"{PROG}: {level}: {message}", err=True)
    click.echo(RENDERERS[output_format](run))
    ctx.exit(run.exit_code)
