"""``npzcontract show``: a dataset's arrays, metadata and lineage."""

from __future__ import annotations

import click


@click.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_context
def show(ctx: click.Context, file: str, as_json: bool) -> None:
    """Show a dataset's arrays (shape, dtype), metadata and lineage.

    Reads headers and metadata only. Exit status 1 when the file cannot be read.
    """
    import json

    from ..tools.describe import describe_file, render_description

    info = describe_file(file)
    click.echo(json.dumps(info, indent=2) if as_json else render_description(info))
    ctx.exit(1 if any(f["severity"] == "error" for f in info["findings"]) else 0)
