"""Keeping the lint cache small: prune it by size and age, clear it, say what it holds.

Entries (one JSON file each, under ``v<FORMAT>/xx/``) are never updated in place, so an
entry's modification time is when it was written. :func:`prune` removes, in this order:
entries of other cache formats, temporaries left by an interrupted write (older than a
minute), entries older than ``max_age`` days, then the oldest entries until the rest fit in
``max_size`` bytes. ``lint`` prunes with the configured limits (``cache_max_size``, default
256 MiB; ``cache_max_age``, default 30 days) after a run that stored entries, at most once per
:data:`PRUNE_INTERVAL` seconds (the time is kept in the ``.pruned`` file), so a cached run
costs nothing extra. A removed entry is only a cache miss: the file is checked again.

:func:`clear` removes the whole directory, and only when it is a cache this package made
(it holds our ``CACHEDIR.TAG``): pointing ``--cache-dir`` at another directory never deletes
it.

>>> prune(Path(".npzcontract_cache"), max_size=64 << 20, max_age=7)
PruneResult(removed=120, freed=1843200, kept=300, size=4608000)
>>> clear(Path(".npzcontract_cache"))
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

#: Seconds between automatic prunes (the ``.pruned`` file's modification time).
PRUNE_INTERVAL = 3600
MARKER = ".pruned"
TAG = "CACHEDIR.TAG"
TAG_SIGNATURE = "Signature: 8a477f597d28d172789f06886806bc55"
_STALE_TEMPORARY = 60
_DAY = 86400


class CacheDirError(ValueError):
    """The directory is not a lint cache (it would not be safe to delete)."""


@dataclass(frozen=True)
class PruneResult:
    removed: int
    freed: int
    kept: int
    size: int


@dataclass(frozen=True)
class CacheInfo:
    directory: str
    exists: bool
    entries: int
    size: int
    oldest: float | None  # modification time of the oldest entry (seconds since the epoch)


def is_cache_dir(directory: Path) -> bool:
    """True when ``directory`` holds the cache directory tag this package writes."""
    try:
        with open(directory / TAG, encoding="utf-8") as fh:
            return fh.read(len(TAG_SIGNATURE)) == TAG_SIGNATURE
    except OSError:
        return False


def _entries(directory: Path) -> list[tuple[float, int, str]]:
    """(mtime, size, path) of every file under the ``v*`` folders."""
    found = []
    for top in _format_dirs(directory):
        for folder, _dirs, files in os.walk(top):
            for name in files:
                path = os.path.join(folder, name)
                try:
                    st = os.stat(path)
                except OSError:
                    continue
                found.append((st.st_mtime, st.st_size, path))
    return found


def _format_dirs(directory: Path) -> list[str]:
    try:
        names = os.listdir(directory)
    except OSError:
        return []
    return [os.path.join(directory, n) for n in names
            if n.startswith("v") and n[1:].isdigit() and os.path.isdir(directory / n)]


def info(directory: Path) -> CacheInfo:
    """How many entries the cache holds and their total size."""
    entries = _entries(directory)
    return CacheInfo(os.fspath(directory), directory.is_dir(), len(entries),
                     sum(size for _, size, _ in entries),
                     min((mtime for mtime, _, _ in entries), default=None))


def prune(directory: Path, *, max_size: int, max_age: float, current_format: int = 1,
          now: float | None = None) -> PruneResult:
    """Remove what the module docstring lists; ``max_age`` 0 keeps entries of any age."""
    now = time.time() if now is None else now
    current = os.path.join(directory, f"v{current_format}")
    removed = freed = 0
    keep: list[tuple[float, int, str]] = []
    for mtime, size, path in _entries(directory):
        stale_format = not path.startswith(current + os.sep)
        temporary = os.path.basename(path).startswith(".tmp-")
        too_old = max_age > 0 and now - mtime > max_age * _DAY
        if stale_format or too_old or (temporary and now - mtime > _STALE_TEMPORARY):
            if _remove(path):
                removed, freed = removed + 1, freed + size
        elif not temporary:
            keep.append((mtime, size, path))
    total = sum(size for _, size, _ in keep)
    keep.sort()  # oldest first
    index = 0
    while total > max_size and index < len(keep):
        _, size, path = keep[index]
        index += 1
        if _remove(path):
            removed, freed, total = removed + 1, freed + size, total - size
    for top in _format_dirs(directory):  # empty folders of removed entries
        _remove_empty_dirs(top, keep_top=top == current)
    _touch(directory / MARKER)
    return PruneResult(removed, freed, len(keep) - index, total)


def prune_due(directory: Path, now: float | None = None) -> bool:
    """Whether the last prune (the ``.pruned`` file) is older than :data:`PRUNE_INTERVAL`."""
    now = time.time() if now is None else now
    try:
        return now - os.stat(directory / MARKER).st_mtime > PRUNE_INTERVAL
    except OSError:
        return True


def clear(directory: Path) -> int:
    """Delete the cache directory; the number of entries removed. Raises
    :class:`CacheDirError` when ``directory`` exists but is not a lint cache."""
    if not directory.exists():
        return 0
    if not is_cache_dir(directory):
        raise CacheDirError(f"{directory} is not an npzcontract cache (no {TAG} written by "
                            "npzcontract); not deleting it")
    count = len(_entries(directory))
    shutil.rmtree(directory)
    return count


def _remove(path: str) -> bool:
    try:
        os.unlink(path)
        return True
    except FileNotFoundError:
        return False  # another run removed it first
    except OSError:
        return False


def _remove_empty_dirs(top: str, keep_top: bool) -> None:
    for folder, _dirs, _files in os.walk(top, topdown=False):
        if folder == top and keep_top:
            continue
        try:
            os.rmdir(folder)
        except OSError:
            pass  # not empty


def _touch(path: Path) -> None:
    try:
        if path.parent.is_dir():
            path.touch()
    except OSError:
        pass
