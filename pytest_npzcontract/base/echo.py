"""Echo user input in messages, bounded in time and size whatever the input.

A value from a plan, a configuration file or a file's metadata can be huge or a tree of shared
references (a YAML alias tree of a few hundred bytes expands to gigabytes under ``repr``).
:func:`shown` walks at most a few levels and items and cuts the text, so every message that
quotes user input stays one short line.

>>> shown("train.npz")
"'train.npz'"
>>> shown([[1, 2, 3, 4, 5, 6, 7]] * 3)
'[[1, 2, 3, 4, ...], [1, 2, 3, 4, ...], [1, 2, 3, 4, ...]]'
"""

from __future__ import annotations

import reprlib
from typing import Any

#: Longest echo of one value, in characters.
LIMIT = 80


class _Bounded(reprlib.Repr):
    def __init__(self) -> None:
        super().__init__()
        self.maxlevel, self.maxdict, self.maxlist, self.maxtuple = 3, 4, 4, 4
        self.maxset = self.maxfrozenset = self.maxdeque = self.maxarray = 4
        self.maxstring, self.maxlong, self.maxother = 60, 40, 60

    def repr_int(self, x: int, level: int) -> str:
        if x.bit_length() > 128:  # repr of a 5,000-digit int raises; of a long one is slow
            return f"<an integer of {x.bit_length():,} bits>"
        return super().repr_int(x, level)

    def repr_str(self, x: str, level: int) -> str:
        return super().repr_str(x[: 2 * self.maxstring], level)  # repr of the head only

    def repr_instance(self, x: Any, level: int) -> str:
        name = type(x).__name__
        try:
            text = object.__repr__(x) if hasattr(x, "__dict__") else repr(x)
        except Exception:  # noqa: BLE001 - an echo must never fail
            return f"<{name}>"
        return text if len(text) <= self.maxother else text[: self.maxother - 3] + "..."


_REPR = _Bounded()


def shown(value: Any, limit: int = LIMIT) -> str:
    """A ``repr``-like echo of ``value`` of at most ``limit`` characters, in bounded time."""
    try:
        text = _REPR.repr(value)
    except Exception:  # noqa: BLE001
        text = f"<{type(value).__name__}>"
    text = " ".join(text.split()) if "\n" in text else text
    return text if len(text) <= limit else text[: limit - 3] + "..."
