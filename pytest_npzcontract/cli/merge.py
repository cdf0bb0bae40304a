"""``npzcontract merge``: one dataset from several, every source's metadata kept."""

from __future__ import annotations

import click

from .toolrun import check_options, kwargs, refuse_existing, reported


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="The merged file.")
@click.option("--strategy", type=click.Choice(["preserve_separate", "validate_consistent",
                                               "preserve_first"]),
              default="preserve_separate", show_default=True,
              help="How metadata is merged (see docs/provenance.md).")
@click.option("--force", is_flag=True, help="Overwrite an existing output.")
@click.option("--nphotons", type=float, default=None, metavar="VALUE",
              help="The one dose to record when the profile's reader takes one nphotons per "
                   "file (raw, train) and the sources' doses differ (recorded in metadata).")
@check_options
@click.pass_context
def merge(ctx: click.Context, files: tuple[str, ...], output: str, strategy: str, force: bool,
          nphotons: float | None, mode: str | None, profile: str | None, uncompressed: bool,
          config_file: str | None, no_config: bool) -> None:
    """Merge FILES (two or more) into --output.

    Per-image arrays are concatenated in the order given; object, probe and frame size must
    agree. With preserve_separate (the default) sources of different nphotons can be merged:
    each keeps its metadata under source_datasets and the per-image source_index tells which
    source every frame came from. Under a profile whose reader takes one nphotons per file
    (raw, train) sources of different doses are refused unless --nphotons chooses one.
    Exit status 1 when the files cannot be merged.
    """
    from ..tools.merge import merge_files

    refuse_existing([output], force)
    options = kwargs(mode, profile, uncompressed, config_file, no_config)
    with reported(ctx, "merge"):
        result = merge_files(list(files), output, strategy=strategy, nphotons=nphotons,
                             **options)
        click.echo(f"merged {len(files)} files -> {result.path} ({result.n_images} images, "
                   f"{strategy})")
        for index, (file, count, dose) in enumerate(zip(files, result.counts, result.nphotons,
                                                        strict=True)):
            shown = f"nphotons {dose:g}" if dose is not None else "nphotons not recorded"
            click.echo(f"  [{index}] {file}: {count} images, {shown}")
