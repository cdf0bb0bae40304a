"""pytest-npzcontract: enforce the NPZ data contract (DATA-001) of ptychography ML pipelines.

Everything public is importable from here; modules load lazily so that importing the
pytest plugin or the CLI stays cheap (no NumPy, no jsonschema, never TensorFlow)::

    from pytest_npzcontract import check_file, load_npz, save_npz, ValidationMode
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "ValidationMode": "modes",
    "NpzContractWarning": "errors",
    "ContractViolation": "errors",
    "Finding": "report",
    "Report": "report",
    "Limits": "limits",
    "RULES": "rules",
    "load_npz": "reader",
    "inspect_npz": "reader",
    "MemberInfo": "archive",
    "save_npz": "writer",
    "create_metadata": "metadata",
    "add_transformation": "metadata",
    "merge_metadata": "metadata",
    "config_from_metadata": "metadata",
    "get_nphotons": "metadata",
    "METADATA_SCHEMA": "schema",
    "validate_metadata_schema": "schema",
    "validate_parameters": "parameters",
    "check_parameters": "parameters",
    "ParameterMismatch": "parameters",
    "DATA_001": "contract",
    "Contract": "contract",
    "KeySpec": "contract",
    "check_file": "checker",
    "check_arrays": "checker",
    "assert_data_contract": "assertions",
    "assert_metadata_preserved": "assertions",
    "assert_transformation_recorded": "assertions",
    "assert_parameters_match": "assertions",
}

__all__ = sorted([*_EXPORTS, "__version__"])


def __getattr__(name: str) -> Any:
    if name == "__version__":
        from ._version import version

        return version
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'pytest_npzcontract' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
