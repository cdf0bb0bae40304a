"""The TensorFlow simulate-train smoke test (SPEC §6).

Importing this package never imports TensorFlow; only :func:`run_smoke`'s training step does::

    from pytest_npzcontract.tools.smoke import run_smoke
    result = run_smoke(nphotons=1e6, steps=30)
    assert result.passed, result.to_dict()["checks"]
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {"run_smoke": "run", "SmokeResult": "run", "Check": "run"}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name == "INSTALL_HINT":  # how to get TensorFlow, as this copy was installed
        from ...base.install import install_hint

        return install_hint("tf")
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value
