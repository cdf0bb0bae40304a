"""``npzcontract split``: train/test parts of a dataset, metadata kept and the split recorded."""

from __future__ import annotations

import os

import click

from .common import CliError
from .toolrun import check_options, kwargs, refuse_existing, reported


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--fraction", type=float, default=0.8, show_default=True,
              help="Share of the train part (of the coordinate range, or of the images for "
              "--axis index).")
@click.option("--axis", type=click.Choice(["y", "x", "index"]), default="y", show_default=True,
              help="Cut the scan along y or x (parts do not overlap in space), or take the "
              "first images in file order.")
@click.option("--train-indices", metavar="SPEC", default=None,
              help="Train images by index, e.g. 0:40,50,60:64 (the rest is test).")
@click.option("-o", "--output-dir", type=click.Path(file_okay=False), default=None,
              help="Directory for <stem>_train.npz and <stem>_test.npz, created when needed "
              "[default: beside input].")
@click.option("--force", is_flag=True, help="Overwrite existing parts.")
@check_options
@click.pass_context
def split(ctx: click.Context, files: tuple[str, ...], fraction: float, axis: str,
          train_indices: str | None, output_dir: str | None, force: bool, mode: str,
          profile: str | None, uncompressed: bool, config_file: str | None,
          no_config: bool) -> None:
    """Split each FILE into <stem>_train.npz and <stem>_test.npz.

    Both parts keep the input's metadata and record the split (tool, parameters, the input's
    SHA-256); each is checked against the contract in --mode before anything is written.
    Exit status 1 when a file cannot be split, 2 on a usage error.
    """
    from ..tools.split import SplitError, parse_indices, split_file

    if output_dir is not None and os.path.exists(output_dir) and not os.path.isdir(output_dir):
        raise CliError(f"--output-dir {output_dir} exists and is not a directory")
    try:
        indices = parse_indices(train_indices) if train_indices is not None else None
    except SplitError as exc:
        raise CliError(str(exc)) from None
    for file in files:
        stem = os.path.splitext(os.path.basename(file))[0]
        directory = output_dir if output_dir is not None else os.path.dirname(file)
        refuse_existing([os.path.join(directory, f"{stem}_{p}.npz") for p in ("train", "test")],
                        force)
    options = kwargs(mode, profile, uncompressed, config_file, no_config)
    for file in files:
        with reported(ctx, "split"):
            parts = split_file(file, fraction=fraction, axis=axis, train_indices=indices,
                               output_dir=output_dir, **options)
            click.echo(f"{file} -> " + ", ".join(f"{p.path} ({p.n_images} images)"
                                                 for p in parts))
