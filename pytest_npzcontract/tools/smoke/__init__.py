"""The TensorFlow simulate-train smoke test (SPEC §6).

Importing this package never imports TensorFlow; only :func:`run_smoke`'s training step does::

    from pytest_npzcontract.tools.smoke import run_smoke
    result = run_smoke(nphotons=1e6, steps=30)
    assert result.passed, result.to_dict()["checks"]
"""

from __future__ import annotations

import importlib
from typing import Any

#: How to get TensorFlow; the CLI and the training code both point users to it.
INSTALL_HINT = "pip install '.[tf]' in the pytest-npzcontract checkout"

_EXPORTS = {"run_smoke": "run", "SmokeResult": "run", "Check": "run"}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value
