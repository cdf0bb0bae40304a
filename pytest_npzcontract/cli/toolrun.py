"""What ``split`` and ``merge`` share: mode/profile options and one-line failure reporting."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click

from .common import PROG, CliError, refuse_symlink

MODES = ("strict", "warn", "permissive")


def check_options(function: Callable) -> Callable:
    """``--mode``, ``--profile``, ``--config``/``--no-config``, ``--uncompressed`` for commands
    that write datasets: outputs are judged by the project (:func:`.common.load_project`) at
    the path they will have, exactly as ``npzcontract lint`` will judge them."""
    function = click.option("--uncompressed", is_flag=True,
                            help="Store the archive without deflate.")(function)
    function = click.option("--no-config", is_flag=True,
                            help="Ignore any configuration file.")(function)
    function = click.option("--config", "config_file", type=click.Path(dir_okay=False),
                            default=None, help="Read [tool.npzcontract] from this file "
                            "instead of searching upward.")(function)
    function = click.option("--profile", default=None, metavar="NAME",
                            help="Contract profile the output must meet [config: per-path "
                            "profiles; default: the output's scaling pair, else "
                            "canonical].")(function)
    return click.option("--mode", type=click.Choice(MODES, case_sensitive=False),
                        default=None, help="Mode the output is checked in before anything "
                        "is written [config; default: strict].")(function)


@contextmanager
def reported(ctx: click.Context, what: str) -> Iterator[None]:
    """Turn the tools' refusals into ``npzcontract <what>: ...`` lines and exit status 1;
    contract warnings are printed, one line each."""
    from ..base.errors import ContractViolation, NpzContractWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", NpzContractWarning)
        try:
            yield
        except ContractViolation as exc:
            for finding in exc.findings:
                click.echo(f"{PROG} {what}: {finding.line()}", err=True)
            click.echo(f"{PROG} {what}: nothing written", err=True)
            ctx.exit(1)
        except (ValueError, OSError) as exc:
            message = " ".join(str(exc).split())
            if isinstance(exc, ValueError) and "unknown profile" in message:
                raise CliError(message) from None
            click.echo(f"{PROG} {what}: {message}; nothing written", err=True)
            ctx.exit(1)
        finally:
            for warning in caught:
                if issubclass(warning.category, NpzContractWarning):
                    click.echo(f"{PROG} {what}: warning: {warning.message}", err=True)


def refuse_existing(paths: list[str], force: bool) -> None:
    """Outputs that exist need --force; symbolic links are refused (:func:`refuse_symlink`)."""
    import os

    for path in paths:
        refuse_symlink(path)
        if os.path.exists(path) and not force:
            raise CliError(f"{path} exists; use --force to overwrite it")


def kwargs(mode: str | None, profile: str | None, uncompressed: bool,
           config_file: str | None = None, no_config: bool = False) -> dict[str, Any]:
    """The keyword arguments of ``split_file``/``merge_files``: the project (configuration
    with ``--mode``/``--profile`` applied), its mode, and the compression."""
    from .common import load_project

    project = load_project(config_file, no_config, mode=mode, profile=profile)
    return {"mode": project.settings.mode, "project": project, "compressed": not uncompressed}
