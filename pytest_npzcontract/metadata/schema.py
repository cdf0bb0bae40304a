"""The metadata JSON Schema, shipped with the package, and validation against it.

>>> from pytest_npzcontract.metadata.schema import validate_metadata_schema
>>> validate_metadata_schema({"physics_parameters": {"nphotons": -1}})
['physics_parameters.nphotons: -1 is less than or equal to the minimum of 0']
"""

from __future__ import annotations

import functools
import itertools
import json
from importlib import resources
from typing import Any


def schema_text() -> str:
    """The schema document exactly as shipped."""
    return resources.files(__package__).joinpath("metadata.schema.json").read_text("utf-8")


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


#: Most schema problems reported for one metadata object (hostile metadata can hold millions).
MAX_ERRORS = 20


def validate_metadata_schema(metadata: Any) -> list[str]:
    """Schema violations as ``"dotted.path: message"``, at most :data:`MAX_ERRORS`; empty when
    valid. When there are more, a last entry says so."""
    errors = list(itertools.islice(_validator().iter_errors(metadata), MAX_ERRORS + 1))
    more = len(errors) > MAX_ERRORS
    errors = sorted(errors[:MAX_ERRORS], key=lambda e: list(map(str, e.path)))
    problems = [f"{_dotted(e.absolute_path) or '<root>'}: {_short(e.message)}" for e in errors]
    if more:
        problems.append(f"<root>: more than {MAX_ERRORS} schema problems; only the first "
                        f"{MAX_ERRORS} are listed")
    return problems


def _dotted(path: Any) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _short(message: str, limit: int = 160) -> str:
    return message if len(message) <= limit else message[: limit - 3] + "..."
