"""Decode ``_metadata`` from every encoding found in the wild; encode it one safe way.

On disk the canonical form is a 0-d NumPy unicode array holding JSON text (``json-unicode``):
it loads with ``allow_pickle=False`` and the reference reader's ``str(arr.item())`` still works.
Read forms (SPEC §3): ``pickled-json`` / ``pickled-dict`` (0-d object array, decoded by the
restricted unpickler), ``json-bytes`` (0-d bytes), ``json-uint8`` (1-D UTF-8 bytes) and
``legacy-nphotons`` (a top-level scalar ``nphotons`` array and no ``_metadata``).
"""

from __future__ import annotations

import io
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..base.limits import DEFAULT_LIMITS, Limits
from ..metadata.jsontext import (  # noqa: F401 (re-exported)
    MetadataError,
    _utf8,
    check_structure,
    nonfinite_paths,
    to_json_text,
    to_jsonable,
)
from .npyheader import HeaderError, read_npy_header
from .unpickle import UnsafePickleError, restricted_loads

METADATA_KEY = "_metadata"
CANONICAL_ENCODING = "json-unicode"
PICKLED_ENCODINGS = frozenset({"pickled-json", "pickled-dict"})


@dataclass
class DecodedMetadata:
    metadata: dict | None
    encoding: str | None
    #: (rule, message) pairs about metadata that was decoded but is not clean.
    notes: list[tuple[str, str]] = field(default_factory=list)


def decode_member_bytes(raw: bytes, limits: Limits = DEFAULT_LIMITS) -> DecodedMetadata:
    """Decode a whole ``_metadata.npy`` member (header included).

    Every failure is a :class:`MetadataError`: decoder errors of any class (NumPy, JSON,
    pickle, integer conversion, recursion, memory) are mapped to a rule here, in one place.
    """
    try:
        return _decode_member_bytes(raw, limits)
    except MetadataError:
        raise
    except (RecursionError, MemoryError) as exc:
        raise MetadataError(f"_metadata cannot be decoded within limits "
                            f"({type(exc).__name__})", rule="resource-limit") from None
    except Exception as exc:  # any other decoder error is a finding, never a traceback
        raise MetadataError(f"_metadata cannot be decoded ({type(exc).__name__}: "
                            f"{_first_line(exc)[:200]})") from None


def _decode_member_bytes(raw: bytes, limits: Limits) -> DecodedMetadata:
    try:
        header = read_npy_header(io.BytesIO(raw), max_header_bytes=limits.max_header_bytes)
    except HeaderError as exc:
        raise MetadataError(str(exc), rule=exc.rule) from None
    payload = raw[header.data_offset:]
    if header.dtype.hasobject:
        try:
            value = restricted_loads(payload)
        except UnsafePickleError as exc:
            raise MetadataError(f"pickled _metadata refused: {exc}",
                                rule="unsafe-object-array", encoding="pickled") from None
        if not isinstance(value, np.ndarray) or value.size != 1:
            raise MetadataError("pickled _metadata is not a single-item array",
                                encoding="pickled")
        return decode_python(value.reshape(()).item(), limits)
    if len(payload) != header.data_bytes:
        raise MetadataError("_metadata data length does not match its header", "unreadable")
    array = np.frombuffer(payload, dtype=header.dtype).reshape(header.shape)
    return decode_array(array, limits)


def decode_array(array: np.ndarray, limits: Limits = DEFAULT_LIMITS) -> DecodedMetadata:
    """Decode an in-memory ``_metadata`` array (never pickled: object arrays are refused)."""
    kind = array.dtype.kind
    if kind == "O":
        raise MetadataError("_metadata is an object array; store JSON text instead",
                            rule="pickled-metadata")
    if kind == "U" and array.size == 1:
        _require_code_points(array)
        return _json(str(array.reshape(()).item()), "json-unicode", limits)
    if kind == "S" and array.size == 1:
        return _json(_utf8(array.reshape(()).item()), "json-bytes", limits)
    if array.dtype == np.uint8 and array.ndim == 1:
        return _json(_utf8(array.tobytes()), "json-uint8", limits)
    raise MetadataError(
        f"_metadata has unsupported form dtype {array.dtype} shape {array.shape}; "
        "expected a 0-d JSON string")


def legacy_nphotons(array: np.ndarray) -> DecodedMetadata | None:
    """Metadata implied by a legacy top-level scalar ``nphotons`` array, if it is one."""
    if array.size != 1 or array.dtype.kind not in "iuf":
        return None
    value = float(array.reshape(()).item())
    if not math.isfinite(value) or value <= 0:
        return None
    return DecodedMetadata({"physics_parameters": {"nphotons": value}}, "legacy-nphotons")


def decode_python(value: Any, limits: Limits = DEFAULT_LIMITS) -> DecodedMetadata:
    """Decode the item of an object array (JSON text, UTF-8 bytes or a dict).

    Errors carry ``encoding`` (``pickled-json`` / ``pickled-dict``), so a checker can report
    that the metadata is pickled as well as why it cannot be decoded.
    """
    encoding = "pickled-dict" if isinstance(value, dict) else "pickled-json"
    try:
        if isinstance(value, (bytes, bytearray)):
            value = _utf8(bytes(value))
        if isinstance(value, str):
            return _json(value, "pickled-json", limits)
        if isinstance(value, dict):
            metadata = to_jsonable(value, max_depth=limits.max_json_depth)
            check_structure(metadata, limits.max_json_depth)
            return DecodedMetadata(metadata, "pickled-dict", _number_notes(metadata))
    except MetadataError as exc:
        exc.encoding = exc.encoding or encoding
        raise
    raise MetadataError(f"pickled _metadata holds a {type(value).__name__}, not JSON or a dict",
                        encoding="pickled")


def _require_code_points(array: np.ndarray) -> None:
    """NumPy stores ``<U`` text as UTF-32 code units and does not check them; a unit above
    U+10FFFF would build a corrupt Python string."""
    units = np.frombuffer(array.tobytes(), dtype=array.dtype.byteorder.replace("|", "=") + "u4")
    if units.size and int(units.max()) > 0x10FFFF:
        raise MetadataError(f"_metadata text holds code unit {int(units.max()):#x}, beyond "
                            "Unicode's U+10FFFF")


def _number_notes(metadata: dict) -> list[tuple[str, str]]:
    _, paths = nonfinite_paths(metadata)
    return [("metadata-invalid", f"_metadata holds a non-finite or out-of-range number at "
             f"{path} (NaN, Infinity, or beyond float range); JSON numbers must be finite")
            for path in paths]


def _pairs(pairs: list[tuple[str, Any]]) -> dict:
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        dupe = next(k for k, _ in pairs if k in seen or seen.add(k))
        raise _Duplicate(dupe)
    return out


class _Duplicate(Exception):
    pass


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _may_hold_surrogates(text: str) -> bool:
    """Whether the value decoded from JSON ``text`` can hold a lone surrogate: only if the text
    holds one itself or writes one as a ``\\uD800``-``\\uDFFF`` escape."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return _SURROGATE_ESCAPE.search(text) is not None


def _json(text: str, encoding: str, limits: Limits) -> DecodedMetadata:
    notes: list[tuple[str, str]] = []

    def constant(name: str) -> float:
        notes.append(("metadata-invalid", f"_metadata is not strict JSON: it contains {name}"))
        return float(name.replace("Infinity", "inf"))

    try:
        value = json.loads(text, parse_constant=constant, object_pairs_hook=_pairs)
    except RecursionError:
        raise MetadataError(f"_metadata JSON nests deeper than {limits.max_json_depth} levels",
                            rule="resource-limit") from None
    except _Duplicate as exc:
        raise MetadataError(f"_metadata JSON has a duplicate key {str(exc.args[0])[:60]!r} in "
                            "one object; readers disagree on which value wins") from None
    except json.JSONDecodeError as exc:
        raise MetadataError(f"_metadata is not valid JSON ({exc.msg} at line {exc.lineno} "
                            f"column {exc.colno})") from None
    except ValueError as exc:  # an integer longer than Python's 4,300-digit limit
        raise MetadataError(f"_metadata JSON cannot be read: a number is out of range "
                            f"({_first_line(exc)[:120]})") from None
    if not isinstance(value, dict):
        raise MetadataError(f"_metadata JSON is a {type(value).__name__}, not an object",
                            rule="metadata-schema")
    check_structure(value, limits.max_json_depth, strings=_may_hold_surrogates(text))
    if not notes:  # NaN/Infinity constants are already noted once
        notes += _number_notes(value)
    return DecodedMetadata(value, encoding, notes)


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def encode_metadata(metadata: Mapping, limits: Limits = DEFAULT_LIMITS) -> np.ndarray:
    """The canonical on-disk form: ``np.array(json_text)``, a 0-d ``<U`` array."""
    return np.array(to_json_text(metadata, limits))
