"""How the write audit sees the files other processes write while a test body runs.

- **Python children** see ``child/sitecustomize.py``: while the audit is active the test
  process's ``PYTHONPATH`` starts with that directory and ``NPZCONTRACT_AUDIT_LOG`` names a log,
  which every child started with the inherited environment reports to (:class:`ChildLog`).
- **Forked children** (``multiprocessing`` with the ``fork`` start method) inherit the test
  process's own hook, which notices the new process id and reports to the same log.
- **Any other process** (a shell script, a compiled tool, a child given an environment without
  our ``PYTHONPATH``, ``python -I`` or ``-E``): its writes under the test's ``tmp_path`` are found
  by comparing that directory before and after the body (:func:`snapshot_npz`); its reads are
  not seen.
"""

from __future__ import annotations

import atexit
import base64
import contextlib
import itertools
import json
import os
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CHILD_DIR = Path(__file__).resolve().parent / "child"
LOG_VARIABLE = "NPZCONTRACT_AUDIT_LOG"
#: At most this many files are compared per watched directory (deeper trees are cut).
MAX_WATCHED_FILES = 20_000


@dataclass(frozen=True)
class ChildEvent:
    """One line of the log: a read (with the input's metadata then) or a write."""

    time: int
    kind: str
    path: Path
    script: str
    metadata: dict | None = None


class ChildLog:
    """The log children report to, and the environment that tells them where it is."""

    def __init__(self) -> None:
        # No file yet: the first child to report creates it (most tests start no child).
        self.path = os.path.join(_log_dir(), f"{os.getpid()}-{next(_counter)}.log")
        self._offset = 0
        self._saved: dict[str, str | None] = {}

    def activate(self) -> None:
        """Point child processes at this log (until :meth:`deactivate`)."""
        for name in ("PYTHONPATH", LOG_VARIABLE):
            self._saved[name] = os.environ.get(name)
        old = os.environ.get("PYTHONPATH")
        os.environ["PYTHONPATH"] = os.pathsep.join([str(CHILD_DIR), *([old] if old else [])])
        os.environ[LOG_VARIABLE] = self.path

    def deactivate(self) -> None:
        for name, value in self._saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self._saved.clear()

    def append(self, record: dict[str, Any]) -> None:
        """Report an event from a forked child of the test process."""
        line = (json.dumps(record, default=str) + "\n").encode("utf-8")
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line)
        finally:
            os.close(fd)

    def read_new(self) -> list[ChildEvent]:
        """The events logged since the last call (a torn last line waits for the next)."""
        try:
            with open(self.path, "rb") as fh:
                fh.seek(self._offset)
                data = fh.read()
        except OSError:
            return []
        end = data.rfind(b"\n") + 1
        self._offset += end
        events = []
        for line in data[:end].splitlines():
            with contextlib.suppress(ValueError, TypeError, KeyError):
                events.append(_event(json.loads(line)))
        return events

    def close(self) -> None:
        self.deactivate()
        with contextlib.suppress(OSError):
            os.unlink(self.path)


_counter = itertools.count()
_dir: list[str] = []


def _log_dir() -> str:
    """One private directory per test process for the logs, removed when it exits."""
    if not _dir:
        _dir.append(os.path.realpath(tempfile.mkdtemp(prefix="npzcontract-audit-")))
        atexit.register(shutil.rmtree, _dir[0], True)
    return _dir[0]


def _event(record: dict[str, Any]) -> ChildEvent:
    metadata = record.get("metadata")
    if metadata is None and record.get("meta"):
        metadata = _decode(base64.b64decode(record["meta"]))
    return ChildEvent(int(record["t"]), str(record["ev"]), Path(record["path"]),
                      str(record.get("script") or "python"),
                      metadata if isinstance(metadata, dict) else None)


def _decode(raw: bytes) -> dict | None:
    from ..io.codec import MetadataError, decode_member_bytes

    try:
        return decode_member_bytes(raw).metadata
    except MetadataError:
        return None


def snapshot_npz(dirs: Iterable[Path]) -> dict[Path, tuple[int, int, int]]:
    """``{path: (mtime_ns, size, inode)}`` of the ``.npz`` files under ``dirs``."""
    found: dict[Path, tuple[int, int, int]] = {}
    for top in dirs:
        count = 0
        for root, _dirs, files in os.walk(top):
            for name in files:
                count += 1
                if count > MAX_WATCHED_FILES:
                    break
                if name.lower().endswith(".npz"):
                    path = Path(root) / name
                    with contextlib.suppress(OSError):
                        st = path.stat()
                        found[path] = (st.st_mtime_ns, st.st_size, st.st_ino)
            if count > MAX_WATCHED_FILES:
                break
    return found


def changed_files(before: dict[Path, tuple[int, int, int]],
                  after: dict[Path, tuple[int, int, int]]) -> list[Path]:
    """Files new in ``after`` or different from ``before``."""
    return [p for p, stamp in after.items() if before.get(p) != stamp]


def launched_script(args: Any) -> str:
    """What a ``subprocess.Popen`` ran, for the report: the script of a Python child
    (``tool.py``, ``-m package.tool``), else the program."""
    argv = [os.fsdecode(a) for a in args] if isinstance(args, (list, tuple)) else [
        os.fsdecode(args)] if isinstance(args, (str, bytes, os.PathLike)) else []
    if not argv:
        return "subprocess"
    program = os.path.basename(argv[0].split()[0]) if argv[0] else "subprocess"
    if program.startswith("python"):
        for i, arg in enumerate(argv[1:], 1):
            if arg == "-c":
                return "-c"
            if arg == "-m" and i + 1 < len(argv):
                return argv[i + 1]
            if not arg.startswith("-"):
                return arg
    return program
