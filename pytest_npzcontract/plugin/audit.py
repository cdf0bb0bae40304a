"""Record the NPZ files a test reads and writes; judge the outputs the tools under test wrote.

Used through the ``npz_write_audit`` fixture, or for every test with ``pytest --npz-audit``
(:mod:`.suite_audit`)::

    def test_canonicalize_keeps_metadata(npz_factory, npz_write_audit, tmp_path):
        canonicalize(npz_factory(legacy=["diff3d"]), tmp_path / "out.npz")
        # the test fails after its body if out.npz breaks the rules below

How files are seen: a CPython audit hook (``sys.addaudithook``) watches every ``open`` and
rename in the test process while an audit is active, so it sees ``np.savez``, ``save_npz``,
``shutil.copy``, ``np.load`` and ``load_npz`` however the tool imported them, with NumPy's
``.npz`` suffix already applied. Child processes are seen as :mod:`.audit_children` says. The
hook cannot be removed once added; between audits it returns at once.

Which files are judged. Outputs are written files ending in ``.npz``, or any written file that
turns out to be a zip of ``.npy`` members. A file written before the test (or a process it
started) read any NPZ is an input the test prepared, not an output, and is never judged; so are
files written in fixtures and by ``npz_factory``. Inputs are the ``.npz`` files read before an
output was written, each as it was when it was opened. Each output must follow the rules of
:mod:`pytest_npzcontract.tools.propagation` (metadata kept without pickle, a new record,
nphotons/N/gridsize kept unless the record names them) and be clean under its profile (the
project's per-path profile) in the test's mode.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..base.modes import ValidationMode
from ..base.report import Finding
from ..tools.propagation import Source, new_records, propagation_findings
from .audit_children import ChildLog, changed_files, launched_script, snapshot_npz

_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | getattr(os, "O_CREAT", 0)
_EVENTS = frozenset({"open", "os.rename", "subprocess.Popen"})
_local = threading.local()
_lock = threading.Lock()
_active: WriteAudit | None = None
_hook_installed = False
TEST_PROCESS = "test process"
UNSEEN = "a process the audit did not see"


@dataclass(frozen=True)
class _Event:
    time: int
    kind: str  # "read" or "write"
    path: Path
    writer: str = TEST_PROCESS  # for writes: the test process or a child's script
    source: Source | None = None  # for reads: the input as it was when opened
    hooked: bool = True  # False: found by comparing directories, the writer was not seen


@dataclass
class Verdict:
    """One output the audit judged: who wrote it, the tool its new record names, findings."""

    path: Path
    writer: str
    tool: str
    findings: list[Finding] = field(default_factory=list)

    def lines(self) -> list[str]:
        return [f"{self.path}: [{f.key or '-'}] {f.rule}: {f.message}"
                + (f" (fix: {f.hint})" if f.hint else "") for f in self.findings]


class WriteAudit:
    """The NPZ reads and writes of one test (the ``npz_write_audit`` fixture's value).

    ``written``/``read`` list the files seen so far; ``prepared`` the files the test wrote
    before reading any NPZ; ``problems()`` judges the outputs now; ``ignore(path)`` exempts a
    file written on purpose without metadata.
    """

    def __init__(self, mode: ValidationMode | str = ValidationMode.STRICT) -> None:
        self.mode = ValidationMode.coerce(mode)
        self._events: list[_Event] = []
        self._ignored: set[Path] = set()
        self._watched: dict[Path, tuple[int, int, int]] | None = None
        self._watch_dirs: list[Path] = []
        self._children: list[str] = []
        self._log: ChildLog | None = None
        self._shared_log = False
        self._started = 0
        self._pid = os.getpid()
        self._verdicts: list[Verdict] | None = None
        self._known: set[Path] = set()  # written by npz_factory: neither input nor output

    @property
    def written(self) -> list[Path]:
        """NPZ files written so far (that still exist), in the order last written."""
        with suspended():
            return [p for p in self._last_writes() if _is_npz_output(p)]

    @property
    def read(self) -> list[Path]:
        """NPZ files opened for reading so far, each once, in order."""
        self._merge_children()
        return list(dict.fromkeys(e.path for e in self._sorted() if e.kind == "read"))

    @property
    def prepared(self) -> list[Path]:
        """Files written before any NPZ was read: inputs the test prepared, never judged."""
        last, first = self._last_writes(), self._first_read()
        return [p for p in self.written if last[p].hooked and last[p].time < first]

    @property
    def children(self) -> list[str]:
        """The programs the test started (``tool.py``, ``-m package``, ``sh``), in order."""
        return list(self._children)

    def ignore(self, path: str | os.PathLike) -> None:
        """Do not judge ``path`` (e.g. a legacy file a test writes on purpose)."""
        self._ignored.add(_resolve(path))

    def watch(self, *dirs: str | os.PathLike) -> None:
        """Compare the ``.npz`` files under ``dirs`` before and after the body, to find files
        written by processes the hooks do not see. Call before :meth:`start`."""
        self._watch_dirs = [_resolve(d) for d in dirs if os.path.isdir(d)]
        self._watched = snapshot_npz(self._watch_dirs) if self._watch_dirs else None

    def problems(self) -> list[str]:
        """One ``path: [key] rule: message (fix: ...)`` line per violation (see module docs)."""
        return [line for v in self.verdicts() for line in v.lines()]

    def verdicts(self) -> list[Verdict]:
        """Every output judged, with its findings (kept once the audit has stopped)."""
        if self._verdicts is not None:
            return self._verdicts
        with suspended():
            verdicts = [self._judge(p, e) for p, e in self._last_writes().items()
                        if self._is_output(p, e)]
        if _active is not self:
            self._verdicts = verdicts
        return verdicts

    def _is_output(self, path: Path, write: _Event) -> bool:
        if path in self._ignored or not _is_npz_output(path):
            return False
        return not write.hooked or write.time > self._first_read()

    def _judge(self, path: Path, write: _Event) -> Verdict:
        from .assertions import check_target

        inputs = [e.source for e in self._sorted()
                  if e.kind == "read" and e.time < write.time and e.source is not None]
        writer = write.writer
        report = check_target(path, mode=self.mode)
        findings = propagation_findings(str(path), report.metadata, report.metadata_encoding,
                                        inputs)
        seen = {(f.rule, f.key) for f in findings}
        seen |= {(f.rule, "_metadata") for f in findings if f.key == "_metadata"}
        findings += [f for f in report.errors if (f.rule, f.key) not in seen]
        tools = [r.get("tool") for r in new_records(report.metadata, inputs)
                 if isinstance(r, dict) and isinstance(r.get("tool"), str)]
        tool = tools[-1] if tools else (writer if writer != TEST_PROCESS else "(no record)")
        return Verdict(path, writer, tool, findings)

    # Events, from the hook in this process and from the children's log.
    def _on_event(self, event: str, args: tuple[Any, ...]) -> None:
        if event == "subprocess.Popen":
            self._children.append(launched_script(args[1]))
            return
        if event == "os.rename":
            self._record("write", args[1])
            return
        path, mode, flags = args
        if isinstance(path, int) or path is None:
            return
        if (isinstance(flags, int) and flags & _WRITE_FLAGS) or (
                isinstance(mode, str) and any(c in mode for c in "wax+")):
            self._record("write", path)
        elif os.fsdecode(path).lower().endswith(".npz"):
            self._record("read", path)

    def _record(self, kind: str, path: Any) -> None:
        resolved = _resolve(path)
        source = _snapshot(resolved) if kind == "read" else None
        if os.getpid() != self._pid:  # a forked child: report through the log
            if self._log is not None:
                self._log.append({"t": time.monotonic_ns(), "ev": kind, "path": str(resolved),
                                  "script": _forked_name(),
                                  "metadata": source.metadata if source else None})
            return
        self._events.append(_Event(time.monotonic_ns(), kind, resolved, source=source))

    def _merge_children(self) -> None:
        if self._log is None:
            return
        for e in self._log.read_new():
            if e.time < self._started:  # a shared log: lines from before this body
                continue
            name = os.path.basename(e.script) if e.script.endswith(".py") else e.script
            source = Source(str(e.path), e.metadata) if e.kind == "read" else None
            self._events.append(_Event(e.time, e.kind, e.path, name, source))

    def _sorted(self) -> list[_Event]:
        return sorted(self._events, key=lambda e: e.time)

    def _first_read(self) -> float:
        return min((e.time for e in self._events if e.kind == "read"), default=float("inf"))

    def _last_writes(self) -> dict[Path, _Event]:
        self._merge_children()
        last: dict[Path, _Event] = {}
        for e in self._sorted():
            if e.kind == "write":
                last.pop(e.path, None)
                last[e.path] = e
        return last

    # The lifecycle: start before the test body, stop after it.
    def start(self, log: ChildLog | None = None) -> None:
        """Begin recording. ``log``: a log the children already report to (``--npz-audit``
        keeps one for the session); else this audit points them at its own until :meth:`stop`.
        """
        global _active, _hook_installed
        self._verdicts = None
        self._shared_log = log is not None
        self._log = log or ChildLog()
        if log is None:
            self._log.activate()
        else:
            self._log.read_new()  # skip what was logged before this body
        self._started = time.monotonic_ns()
        with _lock:
            if not _hook_installed:
                sys.addaudithook(_hook)
                _hook_installed = True
            _active = self

    def stop(self) -> None:
        global _active
        with _lock:
            if _active is not self:
                return
            _active = None
        if self._log is not None:
            if not self._shared_log:
                self._log.deactivate()
            self._merge_children()
            if not self._shared_log:
                self._log.close()
            self._log = None
        if self._watched is not None:
            self._unseen_writes()

    def _unseen_writes(self) -> None:
        seen = {e.path for e in self._events if e.kind == "write"} | self._known
        now = time.monotonic_ns()
        writer = " | ".join(dict.fromkeys(self._children)) or UNSEEN
        for path in changed_files(self._watched or {}, snapshot_npz(self._watch_dirs)):
            resolved = _resolve(path)
            if resolved not in seen:
                self._events.append(_Event(now, "write", resolved, writer, hooked=False))
        self._watched = None


def written_by_fixture(path: str | os.PathLike) -> None:
    """Tell the active audit that a fixture (``npz_factory``) wrote ``path`` in the body."""
    audit = _active
    if audit is not None:
        audit._known.add(_resolve(path))


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
    if audit is None or event not in _EVENTS:
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


def _forked_name() -> str:
    return f"forked process {os.getpid()}"


def _snapshot(path: Path) -> Source:
    try:
        metadata = _read_metadata(path)
    except Exception:  # unreadable input: it contributes nothing
        metadata = None
    return Source(str(path), metadata)


def _read_metadata(path: Path) -> dict | None:
    from ..io.archive import scan_archive
    from ..io.reader import read_metadata

    with scan_archive(path) as scan:
        errors = [f for f in scan.findings if f.severity == "error"]
        if scan.zf is None or errors:
            raise ValueError("; ".join(f.message for f in errors) or "not an NPZ archive")
        decoded = read_metadata(scan)
    return decoded.metadata if decoded and decoded.encoding != "legacy-nphotons" else None


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
