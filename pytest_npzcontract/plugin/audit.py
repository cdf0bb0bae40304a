"""Record the NPZ files a test reads and writes; report outputs that break metadata propagation.

Used through the ``npz_write_audit`` fixture::

    def test_canonicalize_keeps_metadata(npz_factory, npz_write_audit, tmp_path):
        canonicalize(npz_factory(legacy=["diff3d"]), tmp_path / "out.npz")
        # the test fails after its body if out.npz lost _metadata or records nothing new

How files are seen: a CPython audit hook (``sys.addaudithook``) watches every ``open`` and
rename in the process while an audit is active. It therefore sees ``np.savez``,
``np.savez_compressed``, ``save_npz``, ``shutil.copy`` and ``np.load``/``load_npz`` alike,
however the tool imported them, with NumPy's ``.npz`` suffix already applied and through open
file objects. The hook cannot be removed once added; between audits it returns at once.

The rule, for every file written during the test (outputs: files ending in ``.npz``, or any
written file that turns out to be a zip of ``.npy`` members):

1. it must carry ``_metadata``;
2. when NPZ files were read before it was written (its inputs), it must carry at least one
   ``data_transformations`` record that none of those inputs carries.

An input's metadata is taken when it is opened, so tools that rewrite a file in place are
judged against what the file held before. Inputs are recognised by the ``.npz`` suffix.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import threading
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | getattr(os, "O_CREAT", 0)
_local = threading.local()
_lock = threading.Lock()
_active: WriteAudit | None = None
_hook_installed = False


@dataclass
class _Snapshot:
    """What an input held when it was opened."""

    path: Path
    order: int
    has_metadata: bool
    records: frozenset[str] = frozenset()


class WriteAudit:
    """The NPZ reads and writes of one test (the ``npz_write_audit`` fixture's value).

    ``written``/``read`` list the files seen so far; ``problems()`` applies the rule now;
    ``ignore(path)`` exempts an output written on purpose without metadata.
    """

    def __init__(self) -> None:
        self._order = 0  # one counter for reads and writes: "read before written" is order
        self._writes: dict[Path, int] = {}
        self._reads: list[_Snapshot] = []
        self._ignored: set[Path] = set()

    @property
    def written(self) -> list[Path]:
        """NPZ files written so far (that still exist), in the order last written."""
        with suspended():
            return [p for p in self._writes if _is_npz_output(p)]

    @property
    def read(self) -> list[Path]:
        """NPZ files opened for reading so far, each once, in order."""
        return list(dict.fromkeys(s.path for s in self._reads))

    def ignore(self, path: str | os.PathLike) -> None:
        """Do not check ``path`` (e.g. a legacy file a test writes on purpose)."""
        self._ignored.add(_resolve(path))

    def problems(self) -> list[str]:
        """One ``path: reason`` line per output that breaks the rule (see module docs)."""
        out = []
        for path in self.written:
            if path in self._ignored:
                continue
            with suspended():
                problem = self._problem(path)
            if problem:
                out.append(f"{path}: {problem}")
        return out

    def _problem(self, path: Path) -> str | None:
        try:
            metadata = _read_metadata(path)
        except Exception as exc:  # an unreadable output is a problem to report, not to raise
            return f"cannot be read back ({exc})"
        written_at = self._writes[path]
        inputs = [s for s in self._reads if s.order < written_at]
        with_metadata = [s for s in inputs if s.has_metadata]
        if metadata is None:
            if with_metadata:
                names = ", ".join(dict.fromkeys(s.path.name for s in with_metadata))
                return (f"dropped _metadata that its input(s) had ({names}) (fix: load with "
                        "load_npz and write with save_npz(path, arrays, "
                        "metadata=add_transformation(metadata, tool, operation, ...)))")
            return ("was written without _metadata (fix: write with save_npz(path, arrays, "
                    "metadata=...), or npz_write_audit.ignore(path) if that is intended)")
        if not inputs:
            return None
        seen = frozenset().union(*(s.records for s in inputs))
        if any(_record_key(r) not in seen for r in _records(metadata)):
            return None
        names = ", ".join(dict.fromkeys(s.path.name for s in inputs))
        return (f"carries no new transformation record (inputs read before it: {names}) "
                "(fix: metadata = add_transformation(metadata, tool, operation, parameters) "
                "before saving)")

    def _on_event(self, event: str, args: tuple[Any, ...]) -> None:
        if event == "os.rename":
            self._wrote(args[1])
            return
        path, mode, flags = args
        if isinstance(path, int):
            return
        if (isinstance(flags, int) and flags & _WRITE_FLAGS) or (
                isinstance(mode, str) and any(c in mode for c in "wax+")):
            self._wrote(path)
        elif os.fsdecode(path).lower().endswith(".npz"):
            self._order += 1
            self._reads.append(_snapshot(_resolve(path), self._order))

    def _wrote(self, path: Any) -> None:
        if isinstance(path, int):
            return
        self._order += 1
        resolved = _resolve(path)
        self._writes.pop(resolved, None)
        self._writes[resolved] = self._order

    # The fixture's lifecycle.
    def start(self) -> None:
        global _active, _hook_installed
        with _lock:
            if not _hook_installed:
                sys.addaudithook(_hook)
                _hook_installed = True
            _active = self

    def stop(self) -> None:
        global _active
        with _lock:
            if _active is self:
                _active = None


@contextlib.contextmanager
def suspended() -> Iterator[None]:
    """Do not record file events of this thread inside the block (used by ``npz_factory``)."""
    previous = getattr(_local, "busy", False)
    _local.busy = True
    try:
        yield
    finally:
        _local.busy = previous


def _hook(event: str, args: tuple[Any, ...]) -> None:
    audit = _active
    if audit is None or (event != "open" and event != "os.rename"):
        return
    if getattr(_local, "busy", False):
        return
    _local.busy = True  # our own reads below raise events too
    try:
        audit._on_event(event, args)
    except Exception:  # an audit hook must never break the tool under test
        pass
    finally:
        _local.busy = False


def _resolve(path: Any) -> Path:
    return Path(os.path.realpath(os.fsdecode(path)))


def _snapshot(path: Path, order: int) -> _Snapshot:
    try:
        metadata = _read_metadata(path)
    except Exception:  # unreadable input: it contributes nothing
        metadata = None
    if metadata is None:
        return _Snapshot(path, order, False)
    return _Snapshot(path, order, True, frozenset(map(_record_key, _records(metadata))))


def _read_metadata(path: Path) -> dict | None:
    from ..io.archive import scan_archive
    from ..io.reader import read_metadata

    with scan_archive(path) as scan:
        errors = [f for f in scan.findings if f.severity == "error"]
        if scan.zf is None or errors:
            raise ValueError("; ".join(f.message for f in errors) or "not an NPZ archive")
        decoded = read_metadata(scan)
    return decoded.metadata if decoded and decoded.encoding != "legacy-nphotons" else None


def _records(metadata: dict) -> list[Any]:
    records = metadata.get("data_transformations")
    return records if isinstance(records, list) else []


def _record_key(record: Any) -> str:
    return json.dumps(record, sort_keys=True, default=str)


def _is_npz_output(path: Path) -> bool:
    if not path.is_file():
        return False
    if path.suffix.lower() == ".npz":
        return True
    try:
        with open(path, "rb") as fh:
            if fh.read(4) != b"PK\x03\x04":
                return False
        with zipfile.ZipFile(path) as zf:
            return any(name.endswith(".npy") for name in zf.namelist())
    except (OSError, zipfile.BadZipFile, ValueError):
        return False
