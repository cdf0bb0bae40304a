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


def refuse_symlink(path: str) -> None:
    """The symlink policy for outputs named on the command line (``-o``, plan ``output``):
    a symbolic link is refused, never written through (that would replace the file it points
    to, possibly outside the output folder). ``--in-place`` is not an output: it replaces the
    file an input's link points to, and the link stays."""
    import os

    if os.path.islink(path):
        raise CliError(f"{path} is a symbolic link (to {os.readlink(path)}); refusing to write "
                       "through it: remove the link or choose another output")


def load_project(config_file: str | None, no_config: bool, *, use_cache: bool | None = None,
                 **options: Any) -> Any:
    """The :class:`~pytest_npzcontract.tools.project.Project` every command judges files
    under: ``--config FILE`` or the nearest ``[tool.npzcontract]`` (none with
    ``--no-config``), with the command's options applied; a bad configuration is a usage
    error (exit 2)."""
    from ..contract.config import ConfigError
    from ..tools.project import Project

    if config_file and no_config:
        raise CliError("--config and --no-config are mutually exclusive")
    try:
        return Project.load(config_file, search=not no_config, use_cache=use_cache, **options)
    except (ConfigError, ValueError) as exc:
        raise CliError(str(exc)) from None
