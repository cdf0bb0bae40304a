"""The ``npzcontract`` command line (click): one module per command, renderers apart.

``main(argv) -> int`` runs it without raising ``SystemExit``; ``cli`` is the click group.
Importing this package imports neither NumPy nor TensorFlow.
"""

from __future__ import annotations

from .main import cli, main

__all__ = ["cli", "main"]
