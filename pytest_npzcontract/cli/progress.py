"""The lint progress bar on stderr: files done of total, the bytes scanned, the current file.

It appears only once a run has lasted :data:`DELAY` seconds (a quick run never flashes a
bar), redraws at most ten times a second, and erases itself when the run ends, so the
terminal keeps only the results::

    [#########...........]  3/10 files  data/raw/scan_003.npz
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from typing import IO, TYPE_CHECKING, TypeVar

from ..base.report import one_line

if TYPE_CHECKING:
    from ..base.report import Report

T = TypeVar("T")
#: Seconds before the bar is first drawn.
DELAY = 1.0
_WIDTH = 20
_INTERVAL = 0.1


class ProgressBar:
    """Progress over ``files``; ``sizes`` (bytes of array data per file) weight the bar."""

    def __init__(self, files: Sequence[str], *, sizes: dict[str, int] | None = None,
                 stream: IO[str] | None = None, delay: float = DELAY,
                 clock: Callable[[], float] = time.monotonic, columns: int | None = None
                 ) -> None:
        self.total_files = len(files)
        self.sizes = sizes if sizes is not None else _array_bytes(files)
        self.total_bytes = max(sum(self.sizes.values()), 1)
        self.stream = sys.stderr if stream is None else stream
        self.delay, self.clock = delay, clock
        self.columns = columns
        self.done = 0
        self.scanned = 0
        self.pending = 0
        self.current = ""
        self.start = clock()
        self.drawn_at: float | None = None
        self.width = 0

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.drawn_at is not None:  # erase the bar: the results follow on a clean line
            self.stream.write("\r" + " " * self.width + "\r")
            self.stream.flush()

    def run(self, path: str, check: Callable[[], T]) -> T:
        """Run ``check`` for ``path`` (shown as the current file), then count it done."""
        self.current = path
        self._draw()
        return self.finished(path, check())

    def add(self, nbytes: int) -> None:
        """Count bytes of the file being scanned."""
        self.pending += nbytes
        self.scanned += nbytes
        self._draw()

    def finished(self, path: str, report: Report | T) -> Report | T:
        """Count ``path`` done (bytes not scanned, e.g. of an unreadable file, count too)."""
        self.scanned += max(self.sizes.get(path, 0) - self.pending, 0)
        self.pending = 0
        self.done += 1
        self.current = self.current or path
        self._draw(force=True)
        return report

    def line(self) -> str:
        """The bar as text (without the carriage return)."""
        filled = min(_WIDTH, int(_WIDTH * self.scanned / self.total_bytes))
        head = (f"[{'#' * filled}{'.' * (_WIDTH - filled)}] "
                f"{self.done:>{len(str(self.total_files))}}/{self.total_files} files  ")
        current = one_line(self.current)
        room = (self.columns or _columns()) - 1 - len(head)
        if len(current) > room:  # keep the end of the path: the file's name
            current = "..." + current[len(current) - max(room - 3, 0):] if room > 3 else ""
        return head + current

    def _draw(self, *, force: bool = False) -> None:
        """Redraw (a finished file always redraws: its count must show), at most every
        :data:`_INTERVAL` seconds otherwise, and never before :attr:`delay`."""
        now = self.clock()
        if now - self.start < self.delay:
            return
        if not force and self.drawn_at is not None and now - self.drawn_at < _INTERVAL:
            return
        text = self.line()
        self.stream.write("\r" + text + " " * max(self.width - len(text), 0))
        self.stream.flush()
        self.width = max(self.width, len(text))
        self.drawn_at = now


def _columns() -> int:
    import shutil

    return shutil.get_terminal_size((80, 24)).columns


def _array_bytes(files: Sequence[str]) -> dict[str, int]:
    from ..io.reader import inspect_npz

    sizes = {}
    for path in files:
        try:
            sizes[path] = sum(m.data_bytes for m in inspect_npz(path).values())
        except Exception:  # an unreadable file's findings come from the check itself
            sizes[path] = 0
    return sizes
