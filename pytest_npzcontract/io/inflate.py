"""The fastest raw-deflate (and CRC-32) implementation installed: ISA-L, then zlib-ng, then
the standard library's zlib.

``zlib_ng`` (python-zlib-ng) and ``isal`` (python-isal) are optional: both offer zlib's
interface (``decompressobj(wbits)``, ``crc32``) and inflate NPZ members faster than zlib; without
them everything works the same through ``zlib``. ``NPZCONTRACT_INFLATE=zlib|isal|zlib-ng``
forces one (for comparisons; an unavailable choice falls back to zlib).

>>> name, module = fastest()
>>> inflater = module.decompressobj(-15)     # raw deflate, as in a zip member
>>> crc = module.crc32(b"data")
"""

from __future__ import annotations

import functools
import importlib
import os
import zlib
from types import ModuleType

#: (name, module) in order of preference.
CANDIDATES = (("isal", "isal.isal_zlib"), ("zlib-ng", "zlib_ng.zlib_ng"), ("zlib", "zlib"))
ENV = "NPZCONTRACT_INFLATE"


def available() -> dict[str, ModuleType]:
    """Every importable backend by name (``zlib`` always)."""
    found: dict[str, ModuleType] = {}
    for name, module in CANDIDATES:
        try:
            found[name] = importlib.import_module(module)
        except ImportError:
            continue
    return found


@functools.cache
def _choose(forced: str) -> tuple[str, ModuleType]:
    if forced:
        module = dict(CANDIDATES).get(forced)
        try:
            return forced, importlib.import_module(module) if module else zlib
        except ImportError:
            return "zlib", zlib
    for name, module in CANDIDATES:
        try:
            return name, importlib.import_module(module)
        except ImportError:
            continue
    return "zlib", zlib  # pragma: no cover - zlib is the last candidate


def fastest() -> tuple[str, ModuleType]:
    """``(name, module)`` of the backend to use (see the module docstring)."""
    return _choose(os.environ.get(ENV, "").strip().lower())
