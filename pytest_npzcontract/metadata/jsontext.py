"""Metadata as plain JSON values: conversion from Python/NumPy values, structure checks and
strict JSON text. No file format here; :mod:`pytest_npzcontract.io.codec` puts the text on disk.

>>> to_json_text({"physics_parameters": {"nphotons": np.float64(1e6)}})
'{"physics_parameters": {"nphotons": 1000000.0}}'
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from typing import Any

import numpy as np

from ..base.limits import DEFAULT_LIMITS, Limits


class MetadataError(ValueError):
    """Metadata that cannot be decoded; ``rule`` is the finding's rule id and ``encoding`` the
    stored form when it was recognised (e.g. ``pickled-json``) before decoding failed."""

    def __init__(self, message: str, rule: str = "metadata-invalid",
                 encoding: str | None = None) -> None:
        super().__init__(message)
        self.rule = rule
        self.encoding = encoding


#: Integers at least this large are beyond float range: treated as out of range, like ``1e999``.
_FLOAT_MAX_INT = 1 << 1024


def nonfinite_paths(value: Any, limit: int = 5) -> tuple[Any, list[str]]:
    """Replace out-of-range integers by infinities and list where non-finite numbers sit.

    The one policy for numbers in metadata, whatever the encoding: NaN, infinities and integers
    beyond float range are not JSON numbers a reader can rely on. Returns the (possibly
    updated) value and up to ``limit`` paths such as ``physics_parameters.nphotons``. One pass,
    no copy: wide lists of millions of numbers stay cheap.
    """
    found: list[str] = []
    if not isinstance(value, (dict, list)):
        fixed = _finite_or_inf(value)
        return (value if fixed is None else fixed[0]), (["<root>"] if fixed else [])
    stack: list[tuple[Any, str]] = [(value, "")]
    while stack:
        container, path = stack.pop()
        if isinstance(container, list) and _plainly_finite(container):
            continue
        pairs = container.items() if isinstance(container, dict) else enumerate(container)
        for key, child in pairs:
            kind = child.__class__
            if kind is dict or kind is list:
                stack.append((child, _where(container, path, key)))
                continue
            if (kind is int and -_FLOAT_MAX_INT < child < _FLOAT_MAX_INT) or kind is str:
                continue
            fixed = _finite_or_inf(child)
            if fixed is not None:
                container[key] = fixed[0]
                if len(found) < limit:
                    found.append(_where(container, path, key))
    return value, found


def _plainly_finite(items: list) -> bool:
    """Fast path (C-level loops) for wide homogeneous lists of numbers or strings."""
    kinds = set(map(type, items))
    if kinds <= {str, bool, type(None)}:
        return True
    if kinds == {int}:
        return -_FLOAT_MAX_INT < min(items) and max(items) < _FLOAT_MAX_INT
    if kinds == {float}:
        return all(map(math.isfinite, items))
    return False


def _where(container: Any, path: str, key: Any) -> str:
    if isinstance(container, dict):
        return f"{path}.{key}" if path else str(key)
    return f"{path}[{key}]"


def _finite_or_inf(item: Any) -> tuple[Any] | None:
    """``(replacement,)`` for a non-finite number or an integer beyond float range, else None."""
    if isinstance(item, bool):
        return None
    if isinstance(item, int) and abs(item) >= _FLOAT_MAX_INT:
        return (float("inf") if item > 0 else float("-inf"),)
    if isinstance(item, float) and not math.isfinite(item):
        return (item,)
    return None


def _utf8(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MetadataError(f"_metadata bytes are not UTF-8 ({exc.reason} at {exc.start})"
                            ) from None


_SCALARS = frozenset({int, float, bool, type(None)})


def check_structure(value: Any, max_depth: int, *, strings: bool = True) -> None:
    """Raise ``MetadataError`` if containers nest deeper than ``max_depth`` (resource-limit) or a
    string cannot be written as UTF-8, e.g. a lone surrogate from ``"\\ud800"`` (invalid).
    ``strings=False`` skips the string check (the caller knows none can hold a surrogate)."""
    stack = [(value, 1)]
    found: list[str] = []
    while stack:
        item, depth = stack.pop()
        if depth > max_depth:
            raise MetadataError(f"_metadata nests deeper than {max_depth} levels",
                                rule="resource-limit")
        if isinstance(item, dict):
            if strings:
                found += [key for key in item if isinstance(key, str)]
            children: Any = item.values()
        else:
            children = item
        for child in children:
            kind = child.__class__
            if kind in _SCALARS:
                continue
            if kind is str:
                if strings:
                    found.append(child)
            elif kind is dict or kind is list or isinstance(child, (dict, list)):
                stack.append((child, depth + 1))
            elif strings and isinstance(child, str):
                found.append(child)
    if found:
        try:
            "".join(found).encode("utf-8")  # one C call for all strings
        except UnicodeEncodeError:
            for text in found:
                _require_utf8(text)


def _require_utf8(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise MetadataError(f"_metadata holds a string that is not valid Unicode "
                            f"({exc.reason} at {exc.start})") from None


def to_jsonable(value: Any, path: str = "", *, max_depth: int = DEFAULT_LIMITS.max_json_depth,
                _depth: int = 1) -> Any:
    """Convert NumPy scalars/arrays, tuples, sets and paths to JSON types; refuse the rest.

    Containers nested deeper than ``max_depth`` (a self-referencing dict is infinitely deep)
    raise ``MetadataError`` with rule ``resource-limit``. Sets become lists sorted by their
    JSON text, the same whichever pickle protocol or encoding carried them.
    """
    if _depth > max_depth:
        raise MetadataError(f"metadata nests deeper than {max_depth} levels (or refers to "
                            "itself)", rule="resource-limit")

    def inner(item: Any, where: str) -> Any:
        return to_jsonable(item, where, max_depth=max_depth, _depth=_depth + 1)

    if isinstance(value, Mapping):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise MetadataError(f"metadata key of type {type(k).__name__} at "
                                    f"{path or '<root>'} is not a string")
            out[k] = inner(v, f"{path}.{k}" if path else k)
        return out
    if isinstance(value, (list, tuple)):
        return [inner(v, f"{path}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, (set, frozenset)):
        items = [inner(v, f"{path}[]") for v in value]
        return sorted(items, key=_sort_key)
    if isinstance(value, (np.generic, np.ndarray)) and value.dtype.kind in "biufUS":
        return to_jsonable(value.tolist(), path, max_depth=max_depth, _depth=_depth)
    if isinstance(value, bytes):
        return _utf8(value)
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    raise MetadataError(
        f"metadata value at {path or '<root>'} is a {type(value).__name__}, not JSON-serializable")


def _sort_key(item: Any) -> str:
    try:
        return json.dumps(item, sort_keys=True)
    except ValueError:  # an integer beyond the digit limit
        return type(item).__name__


def to_json_text(metadata: Mapping, limits: Limits = DEFAULT_LIMITS) -> str:
    """Strict JSON text for ``metadata`` (no NaN/Infinity), size- and depth-checked."""
    if not isinstance(metadata, Mapping):
        raise MetadataError(f"metadata must be a mapping, not {type(metadata).__name__}")
    plain = to_jsonable(metadata, max_depth=limits.max_json_depth)
    plain, bad = nonfinite_paths(plain)
    if bad:
        raise MetadataError(f"metadata is not strict JSON: non-finite number at {bad[0]}")
    check_structure(plain, limits.max_json_depth)
    try:
        text = json.dumps(plain, allow_nan=False, ensure_ascii=False)
    except ValueError as exc:
        raise MetadataError(f"metadata is not strict JSON: {exc}") from None
    if len(text.encode("utf-8")) > limits.max_metadata_bytes:
        raise MetadataError(f"metadata JSON exceeds {limits.max_metadata_bytes} bytes",
                            rule="resource-limit")
    return text
