"""``npzcontract show``: a dataset's arrays, metadata and lineage; ``--plot`` draws a quicklook."""

from __future__ import annotations

import click

from .common import PROG, CliError


@click.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--plot", "plot", type=click.Path(dir_okay=False), default=None, metavar="PNG",
              help="Also draw a quicklook picture (1300x900 px): object, probe, mean pattern, "
              "photons per pattern, lineage. Needs the 'plot' extra (matplotlib).")
@click.option("--estimate/--no-estimate", default=True,
              help="Estimate nphotons from the frames (one streamed pass; per source for a "
              "merged file) next to the recorded value [default: estimate].")
@click.option("--values/--no-values", default=None,
              help="Scan array values for the findings, as lint does [config; default: values].")
@click.option("--mode", type=click.Choice(["strict", "warn", "permissive"],
                                          case_sensitive=False), default=None,
              help="Mode of the findings [config; default: strict].")
@click.option("--profile", metavar="NAME", default=None,
              help="Profile of the findings [config: per-path profiles; default: the file's "
              "scaling pair, else canonical].")
@click.option("--config", "config_file", type=click.Path(dir_okay=False), default=None,
              help="Read [tool.npzcontract] from this file instead of searching upward.")
@click.option("--no-config", is_flag=True, help="Ignore any configuration file.")
@click.pass_context
def show(ctx: click.Context, file: str, as_json: bool, plot: str | None, estimate: bool,
         values: bool | None, mode: str | None, profile: str | None, config_file: str | None,
         no_config: bool) -> None:
    """Show a dataset's arrays (shape, dtype), the recorded and estimated nphotons, metadata,
    lineage, and the findings `npzcontract lint` reports for it (same configuration, same
    per-path profile), each labelled structural, policy or advisory.

    Exit status 1 when a finding is an error (as lint), 2 on a usage or configuration error.
    """
    import json

    from ..tools.describe import describe_file, render_description
    from .common import load_project

    project = load_project(config_file, no_config, mode=mode, profile=profile)
    if plot is not None:
        _plot(ctx, file, plot)
    info = describe_file(file, estimate=estimate, project=project, values=values)
    click.echo(json.dumps(info, indent=2) if as_json else render_description(info))
    if plot is not None and not as_json:
        from ..tools.quicklook import HEIGHT, WIDTH

        click.echo(f"\nplot: {plot} ({WIDTH}x{HEIGHT} px)")
    ctx.exit(1 if any(f["severity"] == "error" for f in info["findings"]) else 0)


def _plot(ctx: click.Context, file: str, output: str) -> None:
    """Draw first: a file that cannot be read gets one line and exit 1, nothing else."""
    from ..base.errors import ContractViolation
    from ..tools.quicklook import PlotUnavailable, plot_file

    try:
        plot_file(file, output)
    except PlotUnavailable as exc:
        raise CliError(str(exc)) from None
    except ContractViolation as exc:
        first = exc.findings[0] if exc.findings else None
        reason = f"{first.rule}: {first.message}" if first else str(exc)
        click.echo(f"{PROG} show: cannot plot {file}: {' '.join(reason.split())}", err=True)
        ctx.exit(1)
    except (OSError, ValueError) as exc:
        click.echo(f"{PROG} show: cannot plot {file}: {' '.join(str(exc).split())}", err=True)
        ctx.exit(1)
