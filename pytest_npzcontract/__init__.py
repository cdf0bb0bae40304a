"""pytest-npzcontract: enforce the NPZ data contract (DATA-001) of ptychography ML pipelines.

Everything public is importable from here; modules load lazily so that importing the
pytest plugin or the CLI stays cheap (no NumPy, no jsonschema, never TensorFlow)::

    from pytest_npzcontract import check_file, load_npz, save_npz, ValidationMode
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "ValidationMode": "base.modes",
    "NpzContractWarning": "base.errors",
    "ContractViolation": "base.errors",
    "Finding": "base.report",
    "Report": "base.report",
    "Limits": "base.limits",
    "RULES": "contract.rules",
    "load_npz": "io.reader",
    "inspect_npz": "io.reader",
    "MemberInfo": "io.archive",
    "save_npz": "io.writer",
    "create_metadata": "metadata.model",
    "add_transformation": "metadata.model",
    "merge_metadata": "metadata.model",
    "config_from_metadata": "metadata.model",
    "get_nphotons": "metadata.model",
    "METADATA_SCHEMA": "metadata.schema",
    "validate_metadata_schema": "metadata.schema",
    "validate_parameters": "metadata.parameters",
    "check_parameters": "metadata.parameters",
    "ParameterMismatch": "metadata.parameters",
    "DATA_001": "contract.keys",
    "Contract": "contract.keys",
    "KeySpec": "contract.keys",
    "estimate_nphotons": "physics.estimate",
    "NphotonsEstimate": "physics.estimate",
    "detect_dataset_parameters": "physics.detect",
    "estimate_N": "physics.detect",
    "check_file": "contract.checker",
    "check_arrays": "contract.checker",
    "transform": "tools.transform",
    "transform_file": "tools.transform",
    "Transformation": "tools.transform",
    "assert_data_contract": "plugin.assertions",
    "assert_metadata_preserved": "plugin.preserved",
    "assert_transformation_recorded": "plugin.assertions",
    "assert_parameters_match": "plugin.assertions",
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
