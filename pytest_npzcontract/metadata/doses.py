"""The dose a file's metadata records for the whole file (merged sources: contract/sources.py).

>>> file_dose({"physics_parameters": {"nphotons": 1e6}})
1000000.0
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .parameters import section


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    value = float(value)
    return value if value > 0 and value == value and value != float("inf") else None


def file_dose(metadata: Mapping | None) -> float | None:
    """``physics_parameters.nphotons`` as a positive float, else ``None``."""
    return _number(section(metadata, "physics_parameters").get("nphotons"))
