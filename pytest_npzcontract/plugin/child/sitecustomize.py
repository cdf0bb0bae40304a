"""Report this process's NPZ reads and writes to the pytest-npzcontract write audit.

A write audit (``pytest --npz-audit`` or the ``npz_write_audit`` fixture) puts this file's
directory first on ``PYTHONPATH`` and names a log in ``NPZCONTRACT_AUDIT_LOG`` while a test body
runs, so every Python child process the test starts (``subprocess.run([sys.executable,
"tool.py", ...])``, their own children, multiprocessing's spawned workers) imports it at
start-up. It adds a CPython audit hook that appends one JSON line per event to the log: files
opened for writing, renames, and ``.npz`` files opened for reading together with the bytes of
their ``_metadata`` member (so an input rewritten in place is judged against what it held).
Then it imports the ``sitecustomize`` this one shadows, if there is one. Only the standard
library is used, and a failure here never stops the child.
"""

import os
import sys

_MAX_METADATA_BYTES = 16 << 20
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | getattr(os, "O_CREAT", 0)


def _install(log):
    import json
    import threading
    import time

    local = threading.local()
    logged = {}  # path -> number of reads when its write was last logged
    state = {"reads": 0}

    def script():
        argv = list(getattr(sys, "orig_argv", None) or [])[1:] or list(sys.argv)
        for i, arg in enumerate(argv):
            if arg in ("-m", "-c") and i + 1 < len(argv):
                return argv[i + 1] if arg == "-m" else "-c"
            if not arg.startswith("-"):
                return arg
        return sys.executable or "python"

    def emit(record):
        record.update(t=time.monotonic_ns(), pid=os.getpid(), script=script())
        line = (json.dumps(record) + "\n").encode("utf-8")
        fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line)
        finally:
            os.close(fd)

    def metadata_bytes(path):
        import base64
        import zipfile

        try:
            with zipfile.ZipFile(path) as zf:
                info = zf.getinfo("_metadata.npy")
                if info.file_size > _MAX_METADATA_BYTES:
                    return None, True
                with zf.open(info) as fh:
                    raw = fh.read(_MAX_METADATA_BYTES + 1)
        except KeyError:
            return None, False
        except Exception:  # unreadable: the audit learns nothing about its metadata
            return None, True
        if len(raw) > _MAX_METADATA_BYTES:
            return None, True
        return base64.b64encode(raw).decode("ascii"), True

    def on_event(event, args):
        if event == "os.rename":
            path = args[1]
            kind = "write"
        else:
            path, mode, flags = args
            if isinstance(path, int) or path is None:
                return
            writing = (isinstance(flags, int) and flags & _WRITE_FLAGS) or (
                isinstance(mode, str) and any(c in mode for c in "wax+"))
            kind = "write" if writing else "read"
        if isinstance(path, int):
            return
        path = os.path.realpath(os.fsdecode(path))
        if path == log:
            return
        if kind == "read":
            if not path.lower().endswith(".npz"):
                return
            state["reads"] += 1
            meta, has = metadata_bytes(path)
            emit({"ev": "read", "path": path, "meta": meta, "has_metadata": has})
            return
        if path.endswith((".py", ".pyc")) or logged.get(path) == state["reads"]:
            return
        logged[path] = state["reads"]
        emit({"ev": "write", "path": path})

    def hook(event, args):
        if event != "open" and event != "os.rename":
            return
        if getattr(local, "busy", False):
            return
        local.busy = True
        try:
            on_event(event, args)
        except Exception:  # never break the tool under test
            pass
        finally:
            local.busy = False

    sys.addaudithook(hook)


def _chain():
    """Import the ``sitecustomize`` this one shadows (a distribution's, coverage's, ...)."""
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != here]
    mine = sys.modules.pop("sitecustomize", None)
    try:
        import importlib

        importlib.import_module("sitecustomize")
    except ImportError as exc:
        if exc.name != "sitecustomize":
            raise
        if mine is not None:
            sys.modules["sitecustomize"] = mine


if os.environ.get("NPZCONTRACT_AUDIT_LOG") and hasattr(sys, "addaudithook"):
    try:
        _install(os.path.realpath(os.environ["NPZCONTRACT_AUDIT_LOG"]))
    except Exception:
        pass
_chain()
