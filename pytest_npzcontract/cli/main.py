"""The ``npzcontract`` command: lint, show, migrate, schema, smoke, split, merge and lineage.

Exit status: 0 nothing is an error, 1 something is (a finding, an unreadable file, a failed
migration), 2 usage or configuration error. Importing this module imports neither NumPy nor
TensorFlow; each command imports what it needs when it runs::

    $ npzcontract lint data/ --mode warn --expect nphotons=1e6 --format github
    >>> from pytest_npzcontract.cli import main
    >>> main(["lint", "fixtures/valid"])
    0
"""

from __future__ import annotations

import contextlib
import importlib
import os
import signal
import sys
import threading
from collections.abc import Iterator, Sequence

import click

from .common import PROG

#: Commands imported only when run (or listed by --help): command name -> module in ``cli``.
LAZY_COMMANDS = {"lint": "lint", "show": "show", "migrate": "migrate", "smoke": "smoke",
                 "split": "split", "merge": "merge", "lineage": "lineage",
                 "cache": "cache"}
#: Thread-count variables of the BLAS libraries NumPy may load. Starting BLAS threads costs
#: more than the checks' few small matrix products gain, so commands other than ``smoke``
#: (TensorFlow trains there) set them to 1 before NumPy loads, unless the user set any.
BLAS_THREADS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
                "BLIS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")


def limit_blas_threads(environ: os._Environ | dict = os.environ) -> bool:
    """Set every :data:`BLAS_THREADS` variable to 1 unless NumPy is loaded already or the
    user set one of them; True when they were set."""
    if "numpy" in sys.modules or any(name in environ for name in BLAS_THREADS):
        return False
    for name in BLAS_THREADS:
        environ[name] = "1"
    return True


class _LazyGroup(click.Group):
    """A group that imports a command's module when that command is first needed, so one
    command's start-up never pays for the others."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in LAZY_COMMANDS and cmd_name not in self.commands:
            if cmd_name != "smoke":
                limit_blas_threads()
            module = importlib.import_module(f".{LAZY_COMMANDS[cmd_name]}", __package__)
            self.add_command(getattr(module, cmd_name.replace("-", "_")), cmd_name)
        return super().get_command(ctx, cmd_name)

    def invoke(self, ctx: click.Context) -> object:
        """Ctrl-C anywhere: one line on stderr and exit status 130 (128 + SIGINT), as shells
        do. Commands clean up (e.g. kill their workers) while the interrupt propagates."""
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            click.echo(f"{PROG}: interrupted", err=True)
            raise click.exceptions.Exit(130) from None


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="pytest-npzcontract", prog_name=PROG)
def cli() -> None:
    """Check, inspect and migrate DATA-001 NPZ datasets (ptychography ML pipelines)."""


@cli.command()
def schema() -> None:
    """Print the metadata JSON Schema (draft 2020-12)."""
    from ..metadata.schema import schema_text

    click.echo(schema_text(), nl=False)


class Interrupted(BaseException):
    """Ctrl-C, raised by :func:`main`'s SIGINT handler. Not a ``KeyboardInterrupt``, which
    click turns into "Aborted!" and exit status 1 while it parses the command line."""


@contextlib.contextmanager
def _sigint_raises_interrupted() -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupted(signum: int, frame: object) -> None:
        raise Interrupted

    previous = signal.signal(signal.SIGINT, interrupted)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit status (never raises ``SystemExit``); Ctrl-C
    at any moment prints one line and returns 130."""
    try:
        with _sigint_raises_interrupted():
            cli.main(args=list(argv) if argv is not None else None, prog_name=PROG)
    except Interrupted:
        with contextlib.suppress(Exception):
            click.echo(f"{PROG}: interrupted", err=True)
        return 130
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            return exc.code or 0
        click.echo(exc.code, err=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
