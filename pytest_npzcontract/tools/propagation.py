"""What a tool's output must keep of its inputs: the rules of the write audit, shared with
``assert_metadata_preserved``.

An output

- carries ``_metadata`` that loads without pickle (``pickled-metadata``, ``metadata-missing``);
- when it has inputs, carries a ``data_transformations`` record none of them carries
  (``transformation-missing``);
- keeps the inputs' ``nphotons``, ``N`` and ``gridsize`` (``physics_parameters``) unless one of
  its new records names the parameter among its ``parameters`` (``parameter-missing`` when it
  dropped one, ``metadata-changed`` when it changed one).

>>> findings = propagation_findings("out.npz", out_meta, "json-unicode",
...                                 [Source("in.npz", in_meta)])
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..base.report import Finding
from ..metadata.parameters import COMPARED, DEFAULT_RTOL, section

#: The physics parameters an output must keep unless its new record says it changed them.
TRACKED = tuple(COMPARED)

HINTS = {
    "pickled-metadata": "write _metadata as JSON text: save_npz(path, arrays, metadata), or "
                        "np.savez(path, _metadata=np.array(json.dumps(metadata)), ...)",
    "metadata-missing": "load with load_npz and save with save_npz(path, arrays, "
                        "metadata=add_transformation(metadata, tool, operation, parameters))",
    "transformation-missing": "record the step: add_transformation(metadata, tool, operation, "
                              "parameters) before saving",
    "parameter-missing": "copy the input's physics_parameters into the output's metadata",
    "parameter-changed": "keep the input's value, or name the parameter in the new record: "
                         "add_transformation(metadata, tool, operation, {NAME: new_value})",
}


@dataclass(frozen=True)
class Source:
    """An input as it was when the tool read it (``metadata`` None: it had none)."""

    name: str
    metadata: dict | None


def is_pickled(encoding: str | None) -> bool:
    """Whether a decoded ``_metadata`` encoding is a pickled one."""
    if encoding is None:
        return False
    from ..io.codec import PICKLED_ENCODINGS  # NumPy: imported once an output is judged

    return encoding in PICKLED_ENCODINGS or encoding == "pickled"


def records(metadata: Mapping | None) -> list[Any]:
    """The ``data_transformations`` list of ``metadata`` (``[]`` when absent or malformed)."""
    found = metadata.get("data_transformations") if isinstance(metadata, Mapping) else None
    return found if isinstance(found, list) else []


def record_key(record: Any) -> str:
    """A record as text, to compare records across files."""
    return json.dumps(record, sort_keys=True, default=str)


def new_records(metadata: Mapping | None, inputs: Iterable[Source]) -> list[Any]:
    """The records of ``metadata`` that no input carries."""
    seen = {record_key(r) for s in inputs for r in records(s.metadata)}
    return [r for r in records(metadata) if record_key(r) not in seen]


def declared_changes(new: Iterable[Any]) -> set[str]:
    """The tracked parameters the records name: a key of ``parameters`` (at any depth) that is
    the name or has it as a ``_``-separated word (``N``, ``new_N``, ``target_nphotons``)."""
    named: set[str] = set()
    for record in new:
        if isinstance(record, Mapping):
            for key in _keys(record.get("parameters")):
                words = set(str(key).split("_"))
                named.update(name for name in TRACKED if name == key or name in words)
    return named


def expected_parameters(inputs: Iterable[Source]) -> dict[str, tuple[Any, str]]:
    """``{name: (value, input name)}`` for each tracked parameter the inputs record and agree
    on (inputs that disagree, as a merge's do, set no expectation)."""
    values: dict[str, list[tuple[Any, str]]] = {}
    for source in inputs:
        physics = section(source.metadata, "physics_parameters")
        for name in TRACKED:
            if physics.get(name) is not None:
                values.setdefault(name, []).append((physics[name], source.name))
    return {name: found[0] for name, found in values.items()
            if all(same_parameter(name, v, found[0][0]) for v, _ in found)}


def same_parameter(name: str, found: Any, expected: Any) -> bool:
    """Equal as the contract compares it: nphotons within 1e-6 relative, N and gridsize
    exactly."""
    try:
        a, b = float(found), float(expected)
    except (TypeError, ValueError, OverflowError):
        return found == expected
    if COMPARED.get(name) == "relative":
        return math.isclose(a, b, rel_tol=DEFAULT_RTOL, abs_tol=0.0)
    return a == b


def parameter_findings(name: str, metadata: Mapping, inputs: Sequence[Source],
                       new: Sequence[Any]) -> list[Finding]:
    """Tracked parameters the output dropped or changed without its new records naming them."""
    declared = declared_changes(new)
    physics = section(metadata, "physics_parameters")
    findings = []
    for param, (value, origin) in expected_parameters(inputs).items():
        if param in declared:
            continue
        key = f"physics_parameters.{param}"
        found = physics.get(param)
        if found is None:
            findings.append(_finding(name, key, "parameter-missing",
                                     f"dropped {param}={_show(value)} that {_short(origin)} "
                                     "records"))
        elif not same_parameter(param, found, value):
            findings.append(Finding(
                name, key, "metadata-changed", "error",
                f"found {param}={_show(found)}, expected {_show(value)} as in "
                f"{_short(origin)} (no new record names {param})",
                HINTS["parameter-changed"].replace("NAME", repr(param))))
    return findings


def propagation_findings(name: str, metadata: Mapping | None, encoding: str | None,
                         inputs: Sequence[Source]) -> list[Finding]:
    """Every way the output ``name`` (its decoded ``metadata`` and their ``encoding``) breaks
    the propagation rules against the ``inputs`` read before it was written."""
    findings = []
    if is_pickled(encoding):
        findings.append(_finding(name, "_metadata", "pickled-metadata",
                                 "_metadata is a pickled object array: np.load(..., "
                                 "allow_pickle=False), NumPy's safe default, fails on it"))
    if metadata is None:
        had = [s.name for s in inputs if s.metadata is not None]
        message = (f"dropped _metadata that its input(s) had ({_names(had)})" if had
                   else "was written without _metadata")
        return [*findings, _finding(name, "_metadata", "metadata-missing", message)]
    if not inputs:
        return findings
    new = new_records(metadata, inputs)
    if not new:
        findings.append(_finding(name, "data_transformations", "transformation-missing",
                                 "carries no new transformation record (inputs read before "
                                 f"it: {_names(s.name for s in inputs)})"))
    return findings + parameter_findings(name, metadata, inputs, new)


def _finding(file: str, key: str, rule: str, message: str) -> Finding:
    return Finding(file, key, rule, "error", message, HINTS[rule])


def _keys(value: Any) -> Iterable[Any]:
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield key
            yield from _keys(item)
    elif isinstance(value, list):
        for item in value:
            yield from _keys(item)


def _short(name: str) -> str:
    return name.replace("\\", "/").rsplit("/", 1)[-1] or name


def _names(names: Iterable[str]) -> str:
    return ", ".join(dict.fromkeys(_short(n) for n in names))


def _show(value: Any) -> str:
    if isinstance(value, float) and (abs(value) >= 1e5 or 0 < abs(value) < 1e-3):
        return f"{value:g}"
    return repr(value)
