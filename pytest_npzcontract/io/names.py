"""Which array names (zip member names minus ``.npy``) are safe, for readers and the writer alike.

A key is a non-empty relative path of non-empty components other than ``.`` and ``..``, with no
backslash, NUL or other control character. Names like ``../x`` or ``/etc/x`` would escape a
directory if a tool extracted the archive, so they are refused when reading and writing.

>>> key_problem("diffraction") is None, key_problem("../x") is not None
(True, True)
"""

from __future__ import annotations


def key_problem(key: object) -> str | None:
    """Why ``key`` is not a safe array name, or ``None``."""
    if not isinstance(key, str) or not key:
        return f"array name {key!r} must be a non-empty string"
    if key.startswith("/") or "\\" in key or any(ord(c) < 32 or ord(c) == 127 for c in key):
        return f"array name {short_repr(key)} is not a safe member name"
    if any(part in ("", ".", "..") for part in key.split("/")):
        return f"array name {short_repr(key)} is not a safe member name"
    return None


def short_repr(key: str) -> str:
    """``repr(key)`` cut to 60 characters."""
    shown = repr(key)
    return shown if len(shown) <= 60 else shown[:57] + "..."
