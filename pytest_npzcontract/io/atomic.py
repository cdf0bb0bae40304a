"""Atomic writes: the one helper every writer uses (``save_npz``, migrate, split/merge and the
tool-author API, the lint cache).

A write goes to a temporary file beside its target, named as :mod:`.tempfiles` says
(``.<name>.<16 hex>.tmp``, so the stale-temporary cleanup knows it) and locked while open; on
commit it is flushed, fsynced, given the target's permissions and renamed over the target, and
the directory is fsynced. Any failure removes the temporary and leaves the target untouched.
Missing parent directories are created. The fsync policy is one: data files are durable (file
and directory fsynced); only the lint cache, which can always be rebuilt, passes
``durable=False`` (rename-atomic, not fsynced).

Failures raise :class:`WriteError`, one line naming the user's path and the reason, never a
temporary name: ``cannot write ro/new.npz: permission denied (the directory is read-only)``.

>>> with atomic_write("out/train.npz") as staged:      # out/ is created if needed
...     staged.file.write(data)                         # committed when the block ends
>>> parts = [stage(p) for p in outputs]                 # several files, all or none
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections.abc import Iterator
from typing import BinaryIO

from .tempfiles import lock, remove_stale_once, temp_path


class WriteError(OSError):
    """A write that failed; ``str()`` is one line naming the user's path and the reason."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(code, message)
        self.message = message

    def __str__(self) -> str:
        return self.message


def stage(target: str | os.PathLike, *, display: str | None = None, mode: int | None = None,
          durable: bool = True) -> Staged:
    """A :class:`Staged` temporary for ``target`` (open, locked), to commit or discard."""
    staged = Staged(os.fspath(target), display=display, mode=mode, durable=durable)
    try:
        staged.open()
    except BaseException:
        staged.discard()
        raise
    return staged


@contextlib.contextmanager
def atomic_write(target: str | os.PathLike, *, display: str | None = None,
                 mode: int | None = None, durable: bool = True) -> Iterator[Staged]:
    """Stage ``target``, yield it, commit when the block ends, discard on any exception."""
    staged = Staged(os.fspath(target), display=display, mode=mode, durable=durable)
    try:
        staged.open()
        yield staged
    except BaseException:
        staged.discard()
        raise
    staged.commit()


class Staged:
    """A temporary file beside ``target`` (``file``, once :meth:`open`; its name is ``path``).
    The name is chosen before the file exists, so :meth:`discard` and the stale-temporary
    cleanup know it even if an interrupt lands the instant after creation."""

    def __init__(self, target: str, *, display: str | None, mode: int | None,
                 durable: bool) -> None:
        self.target = target
        self.display = display or target
        self.durable = durable
        self.directory = os.path.dirname(os.path.abspath(target))
        self.path = temp_path(os.path.join(self.directory, os.path.basename(target)))
        self.file: BinaryIO | None = None
        self._mode = mode
        self._done = False

    def open(self) -> None:
        """Create the directories, clean stale temporaries once, create and lock the file."""
        try:
            if os.path.isdir(self.target):
                raise IsADirectoryError(errno.EISDIR, "is a directory", self.target)
            os.makedirs(self.directory, exist_ok=True)
            if self._mode is None:
                self._mode = file_mode(self.target)
            remove_stale_once(self.directory)
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL
                         | getattr(os, "O_BINARY", 0), 0o600)
        except OSError as exc:
            raise write_error(exc, self.display, self.directory) from None
        try:
            self.file = os.fdopen(fd, "wb")
        except BaseException:
            os.close(fd)
            raise
        lock(fd)

    def commit(self) -> None:
        """Flush, fsync, set the permissions and rename over the target; then fsync the
        directory. On failure the temporary is removed and :class:`WriteError` raised."""
        try:
            assert self.file is not None, "commit() before open()"
            self.file.flush()
            if self.durable:
                os.fsync(self.file.fileno())
            self.file.close()
            os.chmod(self.path, self._mode if self._mode is not None else 0o644)
            os.replace(self.path, self.target)
        except BaseException as exc:
            self.discard()
            if isinstance(exc, OSError):
                raise write_error(exc, self.display, self.directory) from None
            raise
        self._done = True
        if self.durable:
            fsync_directory(self.directory)

    def discard(self) -> None:
        """Close and remove the temporary (the target is untouched); safe to call twice."""
        if self._done:
            return
        self._done = True
        if self.file is not None:
            with contextlib.suppress(Exception):
                self.file.close()
        with contextlib.suppress(OSError):  # the random name is ours whenever it exists
            os.unlink(self.path)


def file_mode(target: str) -> int:
    """Keep an existing file's permissions; new files get the usual 0o666 minus umask."""
    try:
        return stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def fsync_directory(directory: str) -> None:
    """Make a rename in ``directory`` durable (a no-op where the platform cannot do it)."""
    with contextlib.suppress(OSError, AttributeError):
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


_REASONS = {
    errno.ENOSPC: "no space left on the device",
    errno.EROFS: "the file system is read-only",
    errno.ENAMETOOLONG: "the file name is too long",
    errno.EISDIR: "it is a directory",
    errno.ENOTDIR: "a part of the path is not a directory",
    errno.EDQUOT: "the disk quota is exceeded",
    errno.EEXIST: "a file is in the way",
}


def write_error(exc: OSError, display: str, directory: str) -> WriteError:
    """``exc`` as one line naming ``display`` (the user's path), never a temporary name."""
    if isinstance(exc, WriteError):
        return exc
    if exc.errno in (errno.EACCES, errno.EPERM):
        where = "the directory is read-only" if not os.access(directory, os.W_OK) \
            else "not allowed for the current user"
        reason = f"permission denied ({where})"
    else:
        reason = _REASONS.get(exc.errno or 0) or (exc.strerror or type(exc).__name__).lower()
    return WriteError(exc.errno or 0, f"cannot write {display}: {reason}")


def directory_writable(path: str) -> bool:
    """Whether new files can be made beside ``path`` (its directory is writable)."""
    return os.access(os.path.dirname(os.path.abspath(path)) or ".", os.W_OK)
