"""Parse ``.npy`` headers from a stream without trusting them (NumPy format versions 1, 2, 3).

Nothing here allocates from a size the file claims: the header length is bounded, the header
is parsed without evaluating anything and every field is checked before use.

The header NumPy writes (``{'descr': '<f4', 'fortran_order': False, 'shape': (8, 64, 64), }``)
is recognised by one regular expression that accepts only a subset of what
:func:`ast.literal_eval` accepts, with the same result (no escapes, no leading zeros, at most
19 digits per dimension); any other spelling (structured dtypes, other key orders or quotes)
goes to ``ast.literal_eval`` as before, so both paths accept exactly the same headers.
"""

from __future__ import annotations

import ast
import math
import re
import struct
import sys
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np

MAGIC = b"\x93NUMPY"
_LENGTH_FORMAT = {(1, 0): "<H", (2, 0): "<I", (3, 0): "<I"}
_MAX_NDIM = 64
_DIM = r"(?:0|[1-9][0-9]{0,18})"
#: NumPy's own spelling of a header; a string without escapes, quotes or line breaks; a
#: shape that is a tuple (``()``, ``(n,)``, ``(n, m[, ...][,])``), never a bare ``(n)``.
_NUMPY_HEADER = re.compile(
    r"\{'descr': '(?P<descr>[^'\\\n\r\x00]*)', 'fortran_order': (?P<fortran>True|False), "
    rf"'shape': \((?P<shape>|{_DIM},|{_DIM}(?:, {_DIM})+,?)\),? ?\}}")


class HeaderError(ValueError):
    """A ``.npy`` header that cannot be trusted; ``rule`` is the finding's rule id."""

    def __init__(self, message: str, rule: str = "unreadable") -> None:
        super().__init__(message)
        self.rule = rule


@dataclass(frozen=True)
class NpyHeader:
    version: tuple[int, int]
    dtype: np.dtype
    shape: tuple[int, ...]
    fortran_order: bool
    #: Byte offset at which the array data starts.
    data_offset: int

    @property
    def count(self) -> int:
        return math.prod(self.shape)

    @property
    def data_bytes(self) -> int:
        """Bytes of data the header declares (meaningless for object dtypes)."""
        return self.count * self.dtype.itemsize


def read_exact(fp: BinaryIO, n: int, what: str) -> bytes:
    """Read exactly ``n`` bytes or raise ``HeaderError`` saying the member is truncated."""
    data = fp.read(n)
    if len(data) != n:
        raise HeaderError(f"truncated {what}: expected {n} bytes, got {len(data)}")
    return data


def read_npy_header(fp: BinaryIO, *, max_header_bytes: int = 65536) -> NpyHeader:
    """Read and validate the magic, version and header dict at the start of ``fp``."""
    prefix = read_exact(fp, 8, ".npy preamble")
    if prefix[:6] != MAGIC:
        raise HeaderError("not a .npy array (bad magic bytes)")
    version = (prefix[6], prefix[7])
    fmt = _LENGTH_FORMAT.get(version)
    if fmt is None:
        raise HeaderError(f"unsupported .npy format version {version[0]}.{version[1]}")
    size_field = read_exact(fp, struct.calcsize(fmt), ".npy header length")
    (header_len,) = struct.unpack(fmt, size_field)
    if header_len > max_header_bytes:
        raise HeaderError(
            f".npy header of {header_len} bytes exceeds the {max_header_bytes}-byte limit",
            rule="resource-limit",
        )
    raw = read_exact(fp, header_len, ".npy header")
    text = _decode(raw, version)
    fields = _parse_numpy_header(text.strip()) or _parse_dict(text)
    dtype = _dtype(fields["descr"])
    shape = _shape(fields["shape"], dtype.itemsize)
    fortran = fields["fortran_order"]
    if not isinstance(fortran, bool):
        raise HeaderError(f"fortran_order must be True or False, not {fortran!r}")
    offset = 8 + len(size_field) + header_len
    return NpyHeader(version, dtype, shape, fortran, offset)


def _decode(raw: bytes, version: tuple[int, int]) -> str:
    try:
        return raw.decode("utf-8" if version >= (3, 0) else "latin1")
    except UnicodeDecodeError as exc:
        raise HeaderError(f".npy header is not valid text ({exc.reason})") from None


def _parse_numpy_header(text: str) -> dict | None:
    """The fields of a header spelt as NumPy writes it, else None (then the general parser)."""
    match = _NUMPY_HEADER.fullmatch(text)
    if match is None:
        return None
    dims = match["shape"]
    shape = tuple(int(d) for d in dims.split(",") if d) if dims else ()
    return {"descr": match["descr"], "fortran_order": match["fortran"] == "True",
            "shape": shape}


def _parse_dict(text: str) -> dict:
    try:
        fields = ast.literal_eval(text.strip())
    except (SyntaxError, ValueError, TypeError, MemoryError, RecursionError):
        raise HeaderError(".npy header is not a Python literal dict") from None
    if not isinstance(fields, dict) or set(fields) != {"descr", "fortran_order", "shape"}:
        found = sorted(map(str, fields)) if isinstance(fields, dict) else type(fields).__name__
        raise HeaderError(
            f".npy header must have keys descr, fortran_order, shape; found {found}")
    return fields


def _dtype(descr: object) -> np.dtype:
    shown = repr(descr)
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    try:
        # descr_to_dtype of a string is np.dtype of it; only structured descrs need it
        dtype = np.dtype(descr) if type(descr) is str else np.lib.format.descr_to_dtype(descr)
    except Exception as exc:  # NumPy raises several types for malformed descrs
        raise HeaderError(f".npy header has an invalid dtype {shown} ({type(exc).__name__})"
                          ) from None
    if dtype.itemsize == 0:
        raise HeaderError(f".npy header has a zero-size dtype {shown}; no data can be read")
    return dtype


def _shape(shape: object, itemsize: int = 1) -> tuple[int, ...]:
    if not isinstance(shape, tuple) or len(shape) > _MAX_NDIM:
        raise HeaderError(f".npy header shape must be a tuple of at most {_MAX_NDIM} ints")
    for dim in shape:
        if type(dim) is not int:
            raise HeaderError(f".npy header shape {shape!r} has a non-integer dimension")
        if dim < 0:
            raise HeaderError(f".npy header shape {shape!r} has a negative dimension")
    # Even an empty array (a zero dimension) cannot have dimensions NumPy cannot index: NumPy
    # multiplies the non-zero dimensions by the item size and refuses a product over maxsize.
    if math.prod(max(dim, 1) for dim in shape) * itemsize > sys.maxsize:
        shown = repr(shape)
        shown = shown if len(shown) <= 80 else shown[:77] + "..."
        raise HeaderError(f".npy header shape {shown} of {itemsize}-byte items is too large "
                          "for NumPy to index")  # no limit can make it readable
    return shape
