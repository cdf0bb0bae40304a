"""How to install an optional extra, said the way this copy of the package was installed.

A user who ran ``pip install pytest-npzcontract`` has no checkout to run ``pip install
'.[plot]'`` in; one with an editable checkout should extend that checkout. The answer comes
from the installed distribution's ``direct_url.json`` (PEP 610) and ``INSTALLER``::

    >>> install_hint("plot").startswith(("pip install", "uv pip install", "pipx inject"))
    True
"""

from __future__ import annotations

import json
import sys
from typing import Any
from urllib.parse import unquote, urlparse

DISTRIBUTION = "pytest-npzcontract"


def install_hint(extra: str) -> str:
    """The command that adds ``extra`` (``plot``, ``tf``, ``yaml``, ``remote``, ``fast``)."""
    return hint_for(*_installation(), extra)


def hint_for(direct_url: dict[str, Any] | None, installer: str, in_pipx: bool,
             extra: str) -> str:
    """The hint for an installation described by its ``direct_url.json`` content (``None``:
    from an index; ``{}``: not installed, a source tree on the path), installer and venv."""
    if direct_url == {}:
        return f"pip install -e '.[{extra}]' in the {DISTRIBUTION} checkout"
    if in_pipx:
        return f"pipx install --force '{DISTRIBUTION}[{extra}]'"
    pip = "uv pip install" if installer == "uv" else "pip install"
    if not direct_url:
        return f"{pip} '{DISTRIBUTION}[{extra}]'"
    url = str(direct_url.get("url", ""))
    if "vcs_info" in direct_url:
        vcs = direct_url["vcs_info"].get("vcs", "git")
        return f"{pip} '{DISTRIBUTION}[{extra}] @ {vcs}+{url}'"
    if url.startswith("file://"):
        path = unquote(urlparse(url).path)
        editable = bool(direct_url.get("dir_info", {}).get("editable"))
        return f"{pip} {'-e ' if editable else ''}'{path}[{extra}]'"
    return f"{pip} '{DISTRIBUTION}[{extra}] @ {url}'"


def _installation() -> tuple[dict[str, Any] | None, str, bool]:
    from importlib import metadata

    try:
        dist = metadata.distribution(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return {}, "", False
    try:
        direct = json.loads(dist.read_text("direct_url.json") or "null")
    except ValueError:
        direct = None
    installer = (dist.read_text("INSTALLER") or "").strip()
    in_pipx = "pipx" in sys.prefix.replace("\\", "/").split("/")
    return direct, installer, in_pipx
