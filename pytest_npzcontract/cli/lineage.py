"""``npzcontract lineage``: the derivation graph across files (text, mermaid, dot, json)."""

from __future__ import annotations

import click


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--format", "output_format", type=click.Choice(["text", "mermaid", "dot", "json"]),
              default="text", show_default=True,
              help="A tree, a mermaid flowchart (GitHub Markdown), Graphviz dot, or JSON.")
@click.pass_context
def lineage(ctx: click.Context, paths: tuple[str, ...], output_format: str) -> None:
    """Show which file was made from which, across PATHS (files or directories).

    Each file's newest transformation record names its inputs by SHA-256 (and name); they are
    matched to the files given. Parents that match no file are shown as missing. Exit status
    1 when a file cannot be read.
    """
    import json

    from ..tools.lineage_graph import build_graph, render_dot, render_mermaid, render_text

    graph = build_graph(paths)
    if output_format == "json":
        click.echo(json.dumps(graph.to_dict(), indent=2))
    else:
        render = {"text": render_text, "mermaid": render_mermaid, "dot": render_dot}
        click.echo("\n".join(render[output_format](graph)))
    ctx.exit(1 if any(n.error for n in graph.nodes) else 0)
