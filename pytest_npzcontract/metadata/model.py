"""The metadata model: create, extend with transformation records, merge, read back.

>>> meta = create_metadata({"nphotons": 1e6, "N": 64, "gridsize": 1}, "simulate.py", seed=42)
>>> meta = add_transformation(meta, "split_tool.py", "train_test_split",
...                           {"fraction": 0.8}, inputs=["sim.npz"])
>>> get_nphotons(meta)
1000000.0
"""

from __future__ import annotations

import copy
import datetime as _dt
import hashlib
import math
import os
import socket
from collections.abc import Mapping, Sequence
from typing import Any

from .._version import version as _package_version
from ..base.errors import ContractViolation
from ..base.report import Finding
from .jsontext import to_jsonable
from .parameters import COMPARED, DEFAULT_RTOL, config_value, section, validate_parameters

SCHEMA_VERSION = "1.0.0"
DATA_CONTRACT_VERSION = "DATA-001/1.0"
PHYSICS_FIELDS = ("nphotons", "N", "gridsize", "probe_trainable", "intensity_scale_trainable",
                  "nll_weight", "model_type")
TRAINING_FIELDS = ("n_images", "batch_size", "nepochs")
MERGE_STRATEGIES = ("preserve_first", "validate_consistent", "preserve_separate")
_ABSENT = object()


def utc_timestamp() -> str:
    """Now, as ISO-8601 UTC with a ``Z`` suffix: ``2026-11-21T10:30:00.123456Z``."""
    return _dt.datetime.now(_dt.timezone.utc).isoformat().replace("+00:00", "Z")


def create_metadata(config: Any, script: str, **extra: Any) -> dict:
    """Metadata for a new dataset from a configuration (mapping, dataclass or object).

    ``extra`` keyword arguments are kept under ``additional_parameters``.
    """
    physics = _collect(config, PHYSICS_FIELDS)
    training = _collect(config, TRAINING_FIELDS)
    metadata = {
        "schema_version": SCHEMA_VERSION,
        "creation_info": {
            "timestamp": utc_timestamp(),
            "script": str(script),
            "hostname": socket.gethostname(),
            "version": _package_version,
        },
        "physics_parameters": physics,
        "training_parameters": training,
        "additional_parameters": to_jsonable(extra),
        "data_transformations": [],
        "compatibility": {"data_contract_version": DATA_CONTRACT_VERSION},
    }
    return metadata


def _collect(config: Any, fields: Sequence[str]) -> dict:
    out = {}
    for name in fields:
        value = config_value(config, name)
        if value is not None:
            out[name] = to_jsonable(value, name)
    return out


def add_transformation(metadata: Mapping | None, tool: str, operation: str,
                       parameters: Mapping | None = None, *,
                       inputs: Sequence[str | os.PathLike] | Mapping[str, str] = ()) -> dict:
    """A new metadata dict with one more ``data_transformations`` record; input untouched.

    ``inputs`` are recorded by name and SHA-256: give file paths (hashed here, streamed) or a
    mapping ``{name: sha256_hex}``.
    """
    result = copy.deepcopy(dict(metadata)) if metadata else {"schema_version": SCHEMA_VERSION}
    record: dict[str, Any] = {
        "tool": str(tool),
        "operation": str(operation),
        "timestamp": utc_timestamp(),
        "parameters": to_jsonable(dict(parameters or {})),
    }
    if inputs:
        record["inputs"] = _input_records(inputs)
    transformations = list(result.get("data_transformations") or [])
    transformations.append(record)
    result["data_transformations"] = transformations
    return result


def _input_records(inputs: Sequence[str | os.PathLike] | Mapping[str, str]) -> list[dict]:
    if isinstance(inputs, Mapping):
        return [{"name": str(name), "sha256": str(digest).lower()}
                for name, digest in inputs.items()]
    if isinstance(inputs, (str, os.PathLike)):
        inputs = [inputs]
    return [{"name": os.path.basename(os.fspath(p)), "path": os.fspath(p),
             "sha256": sha256_file(p)} for p in inputs]


def sha256_file(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    """SHA-256 of a file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def merge_metadata(metadatas: Sequence[Mapping | None], strategy: str = "preserve_separate", *,
                   sources: Sequence[str] | None = None, rtol: float = DEFAULT_RTOL) -> dict:
    """Metadata for a dataset merged from several.

    - ``preserve_first``: the first source's metadata, plus ``merge_info``.
    - ``validate_consistent``: like ``preserve_first``, but raises :class:`ContractViolation`
      (``parameter-mismatch``) if the sources disagree on nphotons, N or gridsize.
    - ``preserve_separate``: new metadata keeping every source under ``source_datasets``; the
      physics parameters all sources agree on are kept at top level.
    """
    if strategy not in MERGE_STRATEGIES:
        raise ValueError(f"unknown merge strategy {strategy!r} (choose from {MERGE_STRATEGIES})")
    items = list(metadatas)
    if not items:
        raise ValueError("merge_metadata needs at least one metadata (or None) entry")
    if sources is not None and len(sources) != len(items):
        raise ValueError("sources must name each metadata entry")
    names = [str(s) for s in sources] if sources is not None else None
    merge_info = {"strategy": strategy, "n_sources": len(items), "timestamp": utc_timestamp()}
    if strategy == "validate_consistent":
        _require_consistent(items, names, rtol)
    if strategy in ("preserve_first", "validate_consistent"):
        first = next((m for m in items if m), None)
        result = copy.deepcopy(dict(first)) if first else {"schema_version": SCHEMA_VERSION}
        result["merge_info"] = merge_info
        return result
    result = {
        "schema_version": SCHEMA_VERSION,
        "creation_info": {"timestamp": utc_timestamp(), "script": "merge_metadata",
                          "hostname": socket.gethostname(), "version": _package_version},
        "physics_parameters": _common_physics(items, rtol),
        "source_datasets": [
            {"index": i, **({"path": names[i]} if names else {}),
             "metadata": copy.deepcopy(dict(m)) if m else None}
            for i, m in enumerate(items)],
        "merge_info": merge_info,
        "data_transformations": [],
    }
    return result


def _require_consistent(items: list[Mapping | None], names: list[str] | None,
                        rtol: float) -> None:
    reference = next((m for m in items if m), None)
    findings = []
    for i, meta in enumerate(items):
        label = names[i] if names else f"source {i}"
        if not meta:
            findings.append(Finding(label, "_metadata", "metadata-missing", "error",
                                    "source has no metadata to compare"))
            continue
        for mismatch in validate_parameters(meta, reference.get("physics_parameters", {}),
                                            rtol=rtol):
            findings.append(Finding(label, mismatch.name, "parameter-mismatch", "error",
                                    f"disagrees with the first source: {mismatch.message}"))
    if findings:
        raise ContractViolation(findings=findings)


def _common_physics(items: list[Mapping | None], rtol: float) -> dict:
    """Physics parameters every source records and agrees on."""
    physics = [section(m, "physics_parameters") for m in items]
    common = {}
    for name, first in physics[0].items():
        if all(_agree(name, first, p.get(name, _ABSENT), rtol) for p in physics[1:]):
            common[name] = copy.deepcopy(first)
    return common


def _agree(name: str, a: Any, b: Any, rtol: float) -> bool:
    if b is _ABSENT:
        return False
    if name in COMPARED:
        return not validate_parameters({"physics_parameters": {name: b}}, {name: a}, rtol=rtol)
    return a == b


def config_from_metadata(metadata: Mapping | None) -> dict:
    """The physics/training configuration a dataset was made with, as a plain dict.

    >>> cfg = config_from_metadata(meta)        # {"nphotons": 1e6, "N": 64, "gridsize": 1}
    >>> TrainingConfig(**cfg)                   # or feed your own config class
    """
    out: dict[str, Any] = {}
    for name in ("training_parameters", "physics_parameters"):
        out.update(copy.deepcopy(dict(section(metadata, name))))
    return out


def get_nphotons(metadata: Mapping | None) -> float | None:
    """The dataset's nphotons, or ``None`` when not recorded."""
    value = section(metadata, "physics_parameters").get("nphotons")
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return None
    try:
        return float(value)
    except OverflowError:  # an integer beyond float range
        return math.inf if value > 0 else -math.inf
