"""A restricted unpickler for the pickled ``_metadata`` arrays written by the reference tools.

``np.save`` of an object array pickles the whole ``ndarray``. Decoding one needs exactly four
NumPy names (``_reconstruct``, ``ndarray``, ``dtype``, ``scalar``) and the pickle opcodes for plain
containers. Every allowed name is replaced by a stand-in that checks its arguments and builds
nothing from a size the payload claims; any other global is refused before it is looked up, so
nothing from a hostile payload is imported or executed.
"""

from __future__ import annotations

import _compat_pickle
import io
import math
import pickle
import pickletools
from typing import Any

import numpy as np

from ..base.echo import shown

_NUMERIC_KINDS = frozenset("biufc")
_MAX_ITEMS = 100_000
_MAX_DEPTH = 200
_MAX_NODES = 200_000


class UnsafePickleError(pickle.UnpicklingError):
    """The payload needs something outside the allow-list (or is malformed)."""


class _NdarrayType:
    """Stand-in for ``numpy.ndarray`` when passed to ``_reconstruct``; not callable."""

    __slots__ = ()


_NDARRAY = _NdarrayType()


class _DtypeStub:
    def __init__(self, descr: str) -> None:
        self.descr = descr
        self.byteorder = "|"

    def __setstate__(self, state: Any) -> None:
        if isinstance(state, tuple) and len(state) > 1 and state[1] in ("<", ">", "|", "="):
            self.byteorder = state[1]

    def to_numpy(self) -> np.dtype:
        if self.descr in ("O", "O4", "O8"):
            return np.dtype(object)
        try:
            dtype = np.dtype(self.descr)
        except Exception as exc:  # NumPy raises TypeError, SyntaxError, ... for bad strings
            raise UnsafePickleError(f"dtype {shown(self.descr)} cannot be parsed "
                                    f"({type(exc).__name__})") from None
        if dtype.kind not in _NUMERIC_KINDS and dtype.kind not in "USO":
            raise UnsafePickleError(f"dtype {shown(self.descr)} is not allowed in metadata")
        if self.byteorder in "<>":
            dtype = dtype.newbyteorder(self.byteorder)
        return dtype


class _ArrayStub:
    """Collects ``ndarray.__setstate__`` arguments; :meth:`to_numpy` validates and builds."""

    state: Any = None

    def __setstate__(self, state: Any) -> None:
        self.state = state

    def to_numpy(self, plain: _Plain, depth: int) -> np.ndarray:
        state = self.state
        if not isinstance(state, tuple) or len(state) not in (4, 5):
            raise UnsafePickleError("malformed ndarray state")
        shape, dtype_stub, fortran, data = state[-4:]
        if not (isinstance(shape, tuple) and all(type(d) is int and d >= 0 for d in shape)):
            raise UnsafePickleError(f"malformed ndarray shape {shown(shape)}")
        count = math.prod(shape)
        if count > _MAX_ITEMS:
            raise UnsafePickleError(f"pickled array claims {count} items (limit {_MAX_ITEMS})")
        if not isinstance(dtype_stub, _DtypeStub):
            raise UnsafePickleError("ndarray state has no dtype")
        dtype = dtype_stub.to_numpy()
        order = "F" if fortran else "C"
        if dtype.hasobject:
            if not isinstance(data, list) or len(data) != count:
                raise UnsafePickleError("object array state does not hold one item per element")
            out = np.empty(count, dtype=object)
            for i, item in enumerate(data):
                out[i] = plain(item, depth + 1)
            return out.reshape(shape, order=order)
        if not isinstance(data, (bytes, bytearray)) or len(data) != count * dtype.itemsize:
            raise UnsafePickleError("array data length does not match its shape and dtype")
        return np.frombuffer(bytes(data), dtype=dtype).reshape(shape, order=order)


def _reconstruct(subtype: Any, shape: Any, code: Any) -> _ArrayStub:
    if subtype is not _NDARRAY or shape != (0,):
        raise UnsafePickleError("_reconstruct called with unexpected arguments")
    return _ArrayStub()


def _dtype(descr: Any, align: Any = False, copy: Any = False) -> _DtypeStub:
    if not isinstance(descr, str) or len(descr) > 16:
        raise UnsafePickleError("numpy.dtype called with unexpected arguments")
    return _DtypeStub(descr)


def _scalar(dtype_stub: Any, data: Any = b"") -> Any:
    if not isinstance(dtype_stub, _DtypeStub) or not isinstance(data, bytes):
        raise UnsafePickleError("numpy scalar with unexpected arguments")
    dtype = dtype_stub.to_numpy()
    if dtype.kind not in _NUMERIC_KINDS or len(data) != dtype.itemsize:
        raise UnsafePickleError(f"numpy scalar of dtype {dtype} is not allowed")
    return np.frombuffer(data, dtype=dtype)[0].item()


def _codecs_encode(text: Any, encoding: Any = "utf-8") -> bytes:
    # Python 2 era pickles encode bytes as _codecs.encode(text, "latin1").
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
        raise UnsafePickleError("_codecs.encode with unexpected arguments")
    return text.encode("latin1")


class _Plain:
    """Replaces array stand-ins with validated arrays, however deep they sit.

    Walks the result as a tree with a node budget: shared references (a list holding the same
    list twice, nested 40 deep) would otherwise expand exponentially here and in every later walk.
    """

    def __init__(self) -> None:
        self.nodes = 0

    def __call__(self, value: Any, depth: int = 0) -> Any:
        self.nodes += 1
        if self.nodes > _MAX_NODES:
            raise UnsafePickleError(f"pickled data expands to more than {_MAX_NODES:,} items")
        if depth > _MAX_DEPTH:
            raise UnsafePickleError(f"pickled data nested deeper than {_MAX_DEPTH} levels")
        if isinstance(value, _ArrayStub):
            return value.to_numpy(self, depth)
        if isinstance(value, dict):
            return {self(k, depth + 1): self(v, depth + 1) for k, v in value.items()}
        if isinstance(value, (list, tuple, set, frozenset)):
            return type(value)(self(v, depth + 1) for v in value)
        if isinstance(value, (_DtypeStub, _NdarrayType, _Allowed)):
            raise UnsafePickleError("a bare numpy type or function is not data")
        return value


class _Allowed:
    """An allowed callable; slotted, so a pickle's BUILD opcode cannot set attributes on it."""

    __slots__ = ("_fn",)

    def __init__(self, fn: Any) -> None:
        self._fn = fn

    def __call__(self, *args: Any) -> Any:
        return self._fn(*args)


_ALLOWED: dict[tuple[str, str], Any] = {
    ("numpy", "ndarray"): _NDARRAY,
    ("numpy", "dtype"): _Allowed(_dtype),
    ("_codecs", "encode"): _Allowed(_codecs_encode),
    ("builtins", "set"): set,
    ("builtins", "frozenset"): frozenset,
    ("builtins", "complex"): complex,
    ("collections", "OrderedDict"): dict,
}
for _module in ("numpy.core.multiarray", "numpy._core.multiarray"):
    _ALLOWED[(_module, "_reconstruct")] = _Allowed(_reconstruct)
    _ALLOWED[(_module, "scalar")] = _Allowed(_scalar)

#: Opcodes never needed for array or plain-container payloads.
_REFUSED_OPCODES = frozenset({"PERSID", "BINPERSID", "EXT1", "EXT2", "EXT4", "INST", "OBJ",
                              "NEWOBJ", "NEWOBJ_EX"})
_MEMO_PUTS = frozenset({"PUT", "BINPUT", "LONG_BINPUT"})


def _prescan(data: bytes) -> bytes:
    """Refuse opcodes we never need and memo indices the C unpickler would allocate for, and
    return the exact opcode stream that was checked, with FRAME opcodes removed.

    A FRAME only announces how many bytes follow (the C unpickler may allocate that much up
    front, whatever the payload really holds); the opcodes inside a frame are the same without
    it. Feeding the unpickler the de-framed stream means it sees precisely the opcodes
    checked here and nothing after STOP.
    """
    kept: list[bytes] = []
    start = 0
    try:
        for count, (opcode, arg, pos) in enumerate(pickletools.genops(data)):
            if opcode.name in _REFUSED_OPCODES:
                raise UnsafePickleError(f"pickle opcode {opcode.name} is not allowed")
            # A memo index can never legitimately exceed the number of opcodes before it.
            if opcode.name in _MEMO_PUTS and arg > count:
                raise UnsafePickleError(f"pickle memo index {arg} is out of range")
            if opcode.name == "FRAME":
                kept.append(data[start:pos])
                start = pos + 9  # the opcode byte and its 8-byte length
            elif opcode.name == "STOP":
                kept.append(data[start:pos + 1])
                return b"".join(kept)
    except UnsafePickleError:
        raise
    except Exception as exc:  # genops raises ValueError and others on malformed input
        raise UnsafePickleError(f"malformed pickle ({exc})") from None
    raise UnsafePickleError("malformed pickle (no STOP opcode)")


class _RestrictedUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        # Protocols 0-2 name Python 2 modules (__builtin__.set); map them as pickle does.
        if (module, name) in _compat_pickle.NAME_MAPPING:
            module, name = _compat_pickle.NAME_MAPPING[(module, name)]
        module = _compat_pickle.IMPORT_MAPPING.get(module, module)
        try:
            return _ALLOWED[(module, name)]
        except KeyError:
            raise UnsafePickleError(f"refused global {module}.{name}") from None

    def persistent_load(self, pid: Any) -> Any:
        raise UnsafePickleError("persistent ids are not allowed")


def restricted_loads(data: bytes) -> Any:
    """Unpickle ``data`` allowing only plain containers and NumPy array reconstruction.

    Arrays come back as real ``np.ndarray`` objects built after validation. Raises
    :class:`UnsafePickleError` for anything else, including malformed payloads.
    """
    checked = _prescan(data)
    try:
        result = _RestrictedUnpickler(io.BytesIO(checked), encoding="latin1").load()
        return _Plain()(result)
    except UnsafePickleError:
        raise
    except Exception as exc:  # any decoder error of a hostile payload is "malformed"
        raise UnsafePickleError(f"malformed pickle ({type(exc).__name__}: "
                                f"{str(exc)[:200]})") from None
