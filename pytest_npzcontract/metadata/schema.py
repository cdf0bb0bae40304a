"""The metadata JSON Schema, shipped with the package, and validation against it.

>>> from pytest_npzcontract.metadata.schema import validate_metadata_schema
>>> validate_metadata_schema({"physics_parameters": {"nphotons": -1}})
['physics_parameters.nphotons: -1 is less than or equal to the minimum of 0']

Valid metadata (the common case) is accepted by a validator generated from the schema
(``_fast_validator.py``, plain Python, imported in about a millisecond); only metadata it
rejects is validated again by ``jsonschema``, which explains every problem. The generated module
is rebuilt with ``python -m pytest_npzcontract.metadata.schema --write-fast-validator``
(needs ``fastjsonschema``); a test fails when it is stale.
"""

from __future__ import annotations

import functools
import itertools
import json
from typing import Any


def schema_text() -> str:
    """The schema document exactly as shipped."""
    from importlib import resources

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
    if is_valid_fast(metadata):
        return []
    errors = list(itertools.islice(_validator().iter_errors(metadata), MAX_ERRORS + 1))
    more = len(errors) > MAX_ERRORS
    errors = sorted(errors[:MAX_ERRORS], key=lambda e: list(map(str, e.path)))
    problems = [f"{_dotted(e.absolute_path) or '<root>'}: {_short(e.message)}" for e in errors]
    if more:
        problems.append(f"<root>: more than {MAX_ERRORS} schema problems; only the first "
                        f"{MAX_ERRORS} are listed")
    return problems


def is_valid_fast(metadata: Any) -> bool:
    """Whether the generated validator accepts ``metadata`` (it never accepts what
    ``jsonschema`` rejects; it may reject a few valid documents, e.g. ``N = 64.0``)."""
    from . import _fast_validator

    try:
        _fast_validator.validate(metadata)
    except _fast_validator.JsonSchemaValueException:
        return False
    except RecursionError:  # deeply nested metadata: let jsonschema decide
        return False
    return True


def fast_validator_source() -> str:
    """Source of ``_fast_validator.py``, generated from the schema by ``fastjsonschema``
    (as draft-07, whose meaning of every keyword the schema uses is the same)."""
    import fastjsonschema

    schema = json.loads(schema_text())
    schema["$schema"] = "http://json-schema.org/draft-07/schema#"
    code = fastjsonschema.compile_to_code(schema, detailed_exceptions=False)
    entry = next(line.split("(")[0][4:] for line in code.splitlines()
                 if line.startswith("def validate"))
    imports = "from fastjsonschema import JsonSchemaValueException, JsonSchemaValuesException\n"
    local = ("\n\nclass JsonSchemaValueException(ValueError):  # noqa: N818\n"
             "    def __init__(self, message, value=None, name=None, definition=None, rule=None):\n"
             "        super().__init__(message)\n"
             "        self.message, self.value, self.name = message, value, name\n"
             "        self.definition, self.rule = definition, rule\n\n\n"
             "JsonSchemaValuesException = JsonSchemaValueException\n")
    head = ('"""Generated from metadata.schema.json by fastjsonschema: do not edit; rebuild with\n'
            "``python -m pytest_npzcontract.metadata.schema --write-fast-validator``.\"\"\"\n"
            "# ruff: noqa\n")
    code = code.replace("from decimal import Decimal\n",
                        "Decimal = float  # metadata is JSON: no Decimal (one is re-checked)\n")
    return head + code.replace(imports, local) + f"\n\nvalidate = {entry}\n"


def _dotted(path: Any) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _short(message: str, limit: int = 160) -> str:
    return message if len(message) <= limit else message[: limit - 3] + "..."


if __name__ == "__main__":  # pragma: no cover - maintenance command
    import sys
    from pathlib import Path

    if sys.argv[1:] != ["--write-fast-validator"]:
        sys.exit("usage: python -m pytest_npzcontract.metadata.schema --write-fast-validator")
    Path(__file__).with_name("_fast_validator.py").write_text(fast_validator_source())
