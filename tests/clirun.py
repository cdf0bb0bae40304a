"""The one way the tests run the ``npzcontract`` CLI in-process (click's ``CliRunner``).

``npzcontract("lint", "data")`` runs a command and returns click's ``Result`` (``exit_code``,
``stdout``, ``stderr``, ``output``); ``cwd`` runs it from another directory (configuration is
searched from there), ``config=False`` adds ``--no-config``. :func:`lint` and :func:`lint_json`
are the common cases.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from pytest_npzcontract.cli import cli


def npzcontract(*args: Any, cwd: str | os.PathLike | None = None, config: bool = True,
                **kwargs: Any) -> Result:
    """Run ``npzcontract ARGS`` (each arg ``str()``-ed); ``config=False`` inserts
    ``--no-config`` after the command name."""
    argv = [str(a) for a in args]
    if not config and argv:
        argv.insert(1, "--no-config")
    with _chdir(cwd):
        return CliRunner().invoke(cli, argv, **kwargs)


def lint(*args: Any, cwd: str | os.PathLike | None = None, config: bool = True) -> Result:
    """``npzcontract lint ARGS``."""
    return npzcontract("lint", *args, cwd=cwd, config=config)


def lint_json(*args: Any, cwd: str | os.PathLike | None = None, config: bool = True
              ) -> dict[str, Any]:
    """``npzcontract lint --format json ARGS``, parsed; a usage error (exit 2) fails."""
    result = lint("--format", "json", *args, cwd=cwd, config=config)
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)


@contextlib.contextmanager
def _chdir(cwd: str | os.PathLike | None):
    if cwd is None:
        yield
        return
    old = os.getcwd()
    os.chdir(Path(cwd))
    try:
        yield
    finally:
        os.chdir(old)
