"""What every ``npzcontract`` command shares: the program name and the usage-error exception."""

from __future__ import annotations

from typing import IO, Any

import click

PROG = "npzcontract"


class CliError(click.ClickException):
    """A usage or configuration problem: one ``npzcontract: error: ...`` line, exit 2."""

    exit_code = 2

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"{PROG}: error: {self.format_message()}", err=True)
