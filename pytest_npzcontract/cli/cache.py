"""``npzcontract cache``: where the lint cache is and what it holds (``info``), pruning it by
size and age (``prune``), deleting it (``clear``). The directory is the one ``lint`` uses:
``cache_dir`` of the configuration (searched upward), or ``--cache-dir``.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import click

from .common import PROG, CliError, load_project

_DIR_OPTIONS = [
    click.option("--cache-dir", metavar="DIR",
                 help="Cache directory [config; default: .npzcontract_cache beside the "
                 "config]."),
    click.option("--config", "config_file", type=click.Path(dir_okay=False), default=None,
                 help="Read [tool.npzcontract] from this file instead of searching upward."),
    click.option("--no-config", is_flag=True, help="Ignore any configuration file."),
]


def _dir_options(function):  # type: ignore[no-untyped-def]
    for option in reversed(_DIR_OPTIONS):
        function = option(function)
    return function


def _settings(config_file: str | None, no_config: bool, **options: Any) -> Any:
    return load_project(config_file, no_config, **options).settings


def _shown(directory: Path) -> str:
    try:
        return str(directory.resolve().relative_to(Path.cwd().resolve())) or "."
    except ValueError:
        return str(directory)


def _size(n: int) -> str:
    from ..io.archive import human_size

    return human_size(n)


@click.group()
def cache() -> None:
    """Inspect, prune or clear the lint cache."""


@cache.command("info")
@_dir_options
def info_command(cache_dir: str | None, config_file: str | None, no_config: bool) -> None:
    """Where the cache is, how many entries it holds, their size, and the limits."""
    from ..tools.cache_prune import info

    settings = _settings(config_file, no_config, cache_dir=cache_dir)
    found = info(settings.cache_path())
    age = (f", oldest {(time.time() - found.oldest) / 86400:.1f} days old"
           if found.oldest is not None else "")
    click.echo(f"{_shown(settings.cache_path())}: {found.entries} entries, "
               f"{_size(found.size)}{age}")
    click.echo(f"limits: {_size(settings.cache_max_size)}, {settings.cache_max_age:g} days "
               "(cache_max_size, cache_max_age)")


@cache.command("prune")
@click.option("--max-size", metavar="SIZE",
              help="Keep at most this much, oldest entries removed first, e.g. 64MiB "
              "[config: cache_max_size; default: 256MiB].")
@click.option("--max-age", type=float, metavar="DAYS",
              help="Remove entries older than this many days; 0 keeps any age "
              "[config: cache_max_age; default: 30].")
@_dir_options
def prune_command(max_size: str | None, max_age: float | None, cache_dir: str | None,
                  config_file: str | None, no_config: bool) -> None:
    """Remove old entries, then the oldest until the cache fits its size limit (lint also
    does this, at most hourly, after runs that store entries)."""
    from ..tools.cache import FORMAT
    from ..tools.cache_prune import prune

    size = int(max_size) if max_size is not None and max_size.isdigit() else max_size
    settings = _settings(config_file, no_config, cache_dir=cache_dir, cache_max_size=size,
                         cache_max_age=max_age)
    directory = settings.cache_path()
    if not directory.is_dir():
        click.echo(f"{_shown(directory)}: no cache here; nothing to prune")
        return
    result = prune(directory, max_size=settings.cache_max_size,
                   max_age=settings.cache_max_age, current_format=FORMAT)
    click.echo(f"{_shown(directory)}: removed {result.removed} entries "
               f"({_size(result.freed)}); kept {result.kept} ({_size(result.size)})")


@cache.command("clear")
@_dir_options
def clear_command(cache_dir: str | None, config_file: str | None, no_config: bool) -> None:
    """Delete the cache directory (only one npzcontract created: it holds its CACHEDIR.TAG)."""
    from ..tools.cache_prune import CacheDirError, clear

    settings = _settings(config_file, no_config, cache_dir=cache_dir)
    directory = settings.cache_path()
    try:
        removed = clear(directory)
    except CacheDirError as exc:
        raise CliError(str(exc)) from None
    except OSError as exc:
        raise CliError(f"cannot delete {_shown(directory)}: {exc.strerror or exc}") from None
    click.echo(f"{_shown(directory)}: cleared ({removed} entries removed)")


__all__ = ["PROG", "cache"]
