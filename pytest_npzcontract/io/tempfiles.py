"""Temporary files for atomic writes: their names, and removing stale ones later.

Every write (:mod:`.atomic`, the one write helper) goes to ``.<name>.<16 hex>.tmp`` beside its
target, locked (``flock``) while it is written. Only SIGKILL or a power cut can leave one behind; the next write to the same directory
removes those of our own naming whose modification time is older than the current run and that
no live writer holds locked. Nothing else is ever touched.

>>> tmp = temp_path("/data/train.npz")       # '/data/.train.npz.3f9c....tmp'
>>> removed = remove_stale("/data")          # paths of stale temporaries deleted
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import stat
import time

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

#: When this process started using the writer; temporaries older than this are stale.
RUN_STARTED = time.time()
#: Our name, ``.<name>.<16 hex>.tmp``; the others are those earlier versions used (migrate's
#: ``.migrate.tmp``, the tool-author API's ``.staged``), so what they left is cleaned too.
STALE_NAME = re.compile(r"\..+\.(?:[0-9a-f]{16}\.tmp|[0-9a-f]{12}\.(?:migrate\.tmp|staged))")
_CLEANED: set[str] = set()


def temp_path(target: str) -> str:
    """A fresh temporary path beside ``target`` (chosen before the file exists)."""
    directory, base = os.path.split(target)
    return os.path.join(directory or ".", f".{base}.{secrets.token_hex(8)}.tmp")


def lock(fd: int) -> None:
    """Mark an open temporary as in use, so :func:`remove_stale` elsewhere leaves it alone."""
    if fcntl is not None:
        with contextlib.suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)


def remove_stale(directory: str, *, older_than: float | None = None) -> list[str]:
    """Delete our stale temporaries in ``directory``; returns the paths removed.

    A file is removed only if its name matches :data:`STALE_NAME`, it is a regular file, its
    modification time is before ``older_than`` (default: :data:`RUN_STARTED`) and no process
    holds it locked. Errors (permissions, races) are ignored: cleanup is best effort.
    """
    cutoff = RUN_STARTED if older_than is None else older_than
    removed: list[str] = []
    try:
        names = os.listdir(directory or ".")
    except OSError:
        return removed
    for name in names:
        if not STALE_NAME.fullmatch(name):
            continue
        path = os.path.join(directory or ".", name)
        with contextlib.suppress(OSError):
            st = os.lstat(path)
            if not stat.S_ISREG(st.st_mode) or st.st_mtime >= cutoff or _in_use(path):
                continue
            os.unlink(path)
            removed.append(path)
    return removed


def remove_stale_once(directory: str) -> list[str]:
    """:func:`remove_stale` the first time this process writes to ``directory`` (later calls
    would find only temporaries newer than the run, which are never stale)."""
    key = os.path.abspath(directory or ".")
    if key in _CLEANED:
        return []
    _CLEANED.add(key)
    return remove_stale(key)


def _in_use(path: str) -> bool:
    if fcntl is None:  # pragma: no cover - Windows: age alone decides
        return False
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(fd)
    return False
