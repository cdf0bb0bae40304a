"""The metadata JSON Schema, shipped with the package, and validation against it.

>>> from pytest_npzcontract.schema import validate_metadata_schema
>>> validate_metadata_schema({"physics_parameters": {"nphotons": -1}})
['physics_parameters.nphotons: -1 is less than or equal to the minimum of 0']
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any


def schema_text() -> str:
    """The schema document exactly as shipped."""
    return resources.files(__name__).joinpath("metadata.schema.json").read_text("utf-8")


@functools.lru_cache(maxsize=1)
def _validator() -> Any:
    import jsonschema

    schema = json.loads(schema_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def __getattr__(name: str) -> Any:
    if name == "METADATA_SCHEMA":
        return json.loads(schema_text())
    raise AttributeError(name)


def validate_metadata_schema(metadata: Any) -> list[str]:
    """Every schema violation as ``"dotted.path: message"``; empty when valid."""
    errors = sorted(_validator().iter_errors(metadata), key=lambda e: list(map(str, e.path)))
    return [f"{_dotted(e.absolute_path) or '<root>'}: {_short(e.message)}" for e in errors]


def _dotted(path: Any) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _short(message: str, limit: int = 160) -> str:
    return message if len(message) <= limit else message[: limit - 3] + "..."
