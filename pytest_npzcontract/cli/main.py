"""The ``npzcontract`` command: lint, report, show, migrate, schema, smoke, split, merge and
lineage.

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
import difflib
import importlib
import os
import re
import signal
import sys
import threading
from collections.abc import Iterator, Sequence

import click

from .common import PROG, CliError

#: Commands imported only when run (or listed by --help): command name -> module in ``cli``.
LAZY_COMMANDS = {"lint": "lint", "show": "show", "migrate": "migrate", "smoke": "smoke",
                 "split": "split", "merge": "merge", "lineage": "lineage",
                 "cache": "cache", "init": "init", "report": "report"}
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

    def make_context(self, info_name: str | None, args: list[str],
                     parent: click.Context | None = None, **extra: object) -> click.Context:
        try:
            return super().make_context(info_name, args, parent, **extra)  # type: ignore[arg-type]
        except click.UsageError as exc:
            raise _one_line(exc) from None

    def resolve_command(self, ctx: click.Context, args: list[str]) -> tuple:
        name = args[0] if args else ""
        if name and not name.startswith("-") and self.get_command(ctx, name) is None:
            close = difflib.get_close_matches(name, self.list_commands(ctx), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise CliError(f"no such command {name!r}{hint} (see '{PROG} --help')")
        return super().resolve_command(ctx, args)

    def invoke(self, ctx: click.Context) -> object:
        """Ctrl-C anywhere: one line on stderr and exit status 130 (128 + SIGINT), as shells
        do. Commands clean up (e.g. kill their workers) while the interrupt propagates.
        Usage errors are one ``npzcontract: error: ...`` line, exit status 2."""
        try:
            return super().invoke(ctx)
        except click.UsageError as exc:
            raise _one_line(exc) from None
        except KeyboardInterrupt:
            click.echo(f"{PROG}: interrupted", err=True)
            raise click.exceptions.Exit(130) from None


def _one_line(exc: click.UsageError) -> CliError:
    """click's usage error (usage, "Try ...", blank line, "Error: ...") as our one line."""
    message = re.sub(r"\.\s*\(?Did you mean (.*?)\)?$", r"; did you mean \1",
                     exc.format_message().replace("\n", " "))
    message = message[:-1] if message.endswith(".") else message
    path = " ".join([PROG, *(exc.ctx.command_path.split()[1:] if exc.ctx else [])])
    return CliError(f"{message[:1].lower()}{message[1:]} (see '{path} --help')")


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(None, "-V", "--version", package_name="pytest-npzcontract",
                      prog_name=PROG)
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
