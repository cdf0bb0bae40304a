"""The installed distribution's version (falls back to the source tree's when not installed)."""

from __future__ import annotations

from importlib import metadata as _md

try:
    version = _md.version("pytest-npzcontract")
except _md.PackageNotFoundError:  # running from a source checkout without install
    version = "0.1.0+source"
