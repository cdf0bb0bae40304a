"""Metadata as plain JSON values: conversion from Python/NumPy values, structure checks and
strict JSON text. No file format here; :mod:`pytest_npzcontract.io.codec` puts the text on disk.

>>> to_json_text({"physics_parameters": {"nphotons": np.float64(1e6)}})
'{"physics_parameters": {"nphotons": 1000000.0}}'
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

import numpy as np

from ..base.limits import DEFAULT_LIMITS, Limits


class MetadataError(ValueError):
    """Metadata that cannot be decoded; ``rule`` is the finding's rule id."""

    def __init__(self, message: str, rule: str = "metadata-invalid") -> None:
        super().__init__(message)
        self.rule = rule


def _utf8(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MetadataError(f"_metadata bytes are not UTF-8 ({exc.reason} at {exc.start})"
                            ) from None


def check_structure(value: Any, max_depth: int) -> None:
    """Raise ``MetadataError`` if containers nest deeper than ``max_depth`` (resource-limit) or a
    string cannot be written as UTF-8, e.g. a lone surrogate from ``"\\ud800"`` (invalid)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > max_depth:
            raise MetadataError(f"_metadata nests deeper than {max_depth} levels",
                                rule="resource-limit")
        children = item.items() if isinstance(item, dict) else item
        for child in children:
            for part in (child if isinstance(item, dict) else (child,)):
                if isinstance(part, (dict, list)):
                    stack.append((part, depth + 1))
                elif isinstance(part, str):
                    _require_utf8(part)


def _require_utf8(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise MetadataError(f"_metadata holds a string that is not valid Unicode "
                            f"({exc.reason} at {exc.start})") from None


def to_jsonable(value: Any, path: str = "") -> Any:
    """Convert NumPy scalars/arrays, tuples, sets and paths to JSON types; refuse the rest."""
    if isinstance(value, Mapping):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise MetadataError(f"metadata key {k!r} at {path or '<root>'} is not a string")
            out[k] = to_jsonable(v, f"{path}.{k}" if path else k)
        return out
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v, f"{path}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, (set, frozenset)):
        return [to_jsonable(v, f"{path}[]") for v in sorted(value, key=repr)]
    if isinstance(value, (np.generic, np.ndarray)) and value.dtype.kind in "biufUS":
        return to_jsonable(value.tolist(), path)
    if isinstance(value, bytes):
        return _utf8(value)
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    raise MetadataError(
        f"metadata value at {path or '<root>'} is a {type(value).__name__}, not JSON-serializable")


def to_json_text(metadata: Mapping, limits: Limits = DEFAULT_LIMITS) -> str:
    """Strict JSON text for ``metadata`` (no NaN/Infinity), size- and depth-checked."""
    if not isinstance(metadata, Mapping):
        raise MetadataError(f"metadata must be a mapping, not {type(metadata).__name__}")
    plain = to_jsonable(metadata)
    check_structure(plain, limits.max_json_depth)
    try:
        text = json.dumps(plain, allow_nan=False, ensure_ascii=False)
    except ValueError as exc:
        raise MetadataError(f"metadata is not strict JSON: {exc}") from None
    if len(text.encode("utf-8")) > limits.max_metadata_bytes:
        raise MetadataError(f"metadata JSON exceeds {limits.max_metadata_bytes} bytes",
                            rule="resource-limit")
    return text
