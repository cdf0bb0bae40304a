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
    """``--mode``, ``--profile``, ``--uncompressed`` for commands that write datasets."""
    function = click.option("--uncompressed", is_flag=True,
                            help="Store the archive without deflate.")(function)
    function = click.option("--profile", default="canonical", show_default=True,
                            metavar="NAME", help="Contract profile the output must meet.")(function)
    return click.option("--mode", type=click.Choice(MODES, case_sensitive=False),
                        default="strict", show_default=True,
                        help="Mode the output is checked in before anything is written.")(
        function)


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


def kwargs(mode: str, profile: str, uncompressed: bool) -> dict[str, Any]:
    return {"mode": mode, "profile": profile, "compressed": not uncompressed}
