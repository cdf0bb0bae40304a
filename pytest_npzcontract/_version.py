"""The package's version, as a constant (``importlib.metadata`` costs more to import than a
cached lint run takes); ``tests/test_layers.py`` checks it against the installed metadata
and ``pyproject.toml``."""

from __future__ import annotations

version = "0.1.0"
