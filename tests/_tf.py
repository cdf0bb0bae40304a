"""TensorFlow availability for tests: skip locally, fail in CI.

    from _tf import require_tf

    def test_training():
        tf = require_tf()
"""

from __future__ import annotations

import importlib.util
import os
from types import ModuleType

import pytest

REASON = "TensorFlow is not installed (pip install '.[tf]')"


def in_ci() -> bool:
    """True when the ``CI`` environment variable is set to anything but empty, 0 or false."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false")


def require_tf() -> ModuleType:
    """Return the tensorflow module; skip the test without it, or fail when running in CI."""
    if in_ci() and importlib.util.find_spec("tensorflow") is None:
        pytest.fail(f"{REASON}; CI must run the TensorFlow tests", pytrace=False)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return pytest.importorskip("tensorflow", reason=REASON)
