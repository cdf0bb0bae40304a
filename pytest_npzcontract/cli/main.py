"""The ``npzcontract`` command: lint, show, migrate, schema and smoke.

Exit status: 0 nothing is an error, 1 something is (a finding, an unreadable file, a failed
migration), 2 usage or configuration error. Importing this module imports neither NumPy nor
TensorFlow; each command imports what it needs when it runs::

    $ npzcontract lint data/ --mode warn --expect nphotons=1e6 --format github
    >>> from pytest_npzcontract.cli import main
    >>> main(["lint", "fixtures/valid"])
    0
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import click

from .common import PROG
from .lint import lint
from .migrate import migrate
from .show import show
from .smoke import smoke


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="pytest-npzcontract", prog_name=PROG)
def cli() -> None:
    """Check, inspect and migrate DATA-001 NPZ datasets (ptychography ML pipelines)."""


@cli.command()
def schema() -> None:
    """Print the metadata JSON Schema (draft 2020-12)."""
    from ..metadata.schema import schema_text

    click.echo(schema_text(), nl=False)


for _command in (lint, show, migrate, smoke):
    cli.add_command(_command)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit status (never raises ``SystemExit``)."""
    try:
        cli.main(args=list(argv) if argv is not None else None, prog_name=PROG)
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            return exc.code or 0
        click.echo(exc.code, err=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
