"""Atomic, pickle-free writing: ``save_npz(path, arrays, metadata=None, *, compressed=True)``.

The archive is written to a temporary file in the destination's directory, flushed and
fsynced, then moved over the destination with ``os.replace``. An exception at any point leaves
the old file byte-identical and removes the temporary file; only SIGKILL (which cannot be
handled) can leave a ``.<name>.*.tmp`` file behind, and even then the old file is intact; the
next write to that directory removes it (:mod:`.tempfiles`).
"""

from __future__ import annotations

import contextlib
import os
import stat
import zipfile
from collections.abc import Mapping

import numpy as np

from ..base.errors import ContractViolation
from ..base.limits import DEFAULT_LIMITS, Limits
from ..base.report import Finding
from .codec import METADATA_KEY, MetadataError, encode_metadata, to_jsonable
from .names import key_problem
from .tempfiles import lock, remove_stale, temp_path


def save_npz(path: str | os.PathLike, arrays: Mapping[str, object],
             metadata: Mapping | None = None, *, compressed: bool = True,
             limits: Limits = DEFAULT_LIMITS) -> None:
    """Write ``arrays`` (and ``metadata`` as JSON text under ``_metadata``) atomically.

    Object arrays are refused; metadata must be strict JSON (no NaN/Infinity) and match the
    metadata schema. The file is written exactly at ``path`` (no ``.npz`` suffix is added).

    >>> save_npz("train.npz", {"diffraction": X, "xcoords": x, ...},
    ...          metadata=create_metadata(config, "simulate.py"))
    """
    target = os.path.realpath(os.fspath(path))
    members = _prepare(target, arrays, metadata, limits)
    _atomic_write(target, members, compressed)


def _prepare(target: str, arrays: Mapping[str, object], metadata: Mapping | None,
             limits: Limits) -> list[tuple[str, np.ndarray]]:
    if not isinstance(arrays, Mapping):
        raise TypeError(f"arrays must be a mapping of name -> array, not {type(arrays).__name__}")
    findings: list[Finding] = []
    members: list[tuple[str, np.ndarray]] = []
    for name, value in arrays.items():
        problem = _name_problem(name, metadata is not None)
        if problem:
            findings.append(Finding(target, str(name), "unreadable", "error", problem))
            continue
        array = np.asarray(value)
        if array.dtype.itemsize == 0:
            findings.append(Finding(target, name, "bad-dtype", "error",
                                    f"dtype {array.dtype} has zero item size; it cannot be "
                                    "read back"))
            continue
        if array.dtype.hasobject:
            findings.append(Finding(
                target, name, "unsafe-object-array", "error",
                f"refusing to write an object array (dtype {array.dtype}): it could only be read "
                "by enabling pickle", hint="convert to a numeric or string dtype"))
            continue
        members.append((name, array))
    if metadata is not None:
        try:
            encoded = encode_metadata(metadata, limits)
        except MetadataError as exc:
            findings.append(Finding(target, METADATA_KEY, exc.rule, "error", str(exc)))
        else:
            from ..metadata.schema import validate_metadata_schema

            findings += [Finding(target, METADATA_KEY, "metadata-schema", "error", problem)
                         for problem in validate_metadata_schema(to_jsonable(metadata))]
            members.append((METADATA_KEY, encoded))
    if findings:
        raise ContractViolation(findings=findings)
    return members


def _name_problem(name: object, has_metadata: bool) -> str | None:
    problem = key_problem(name)
    if problem:
        return problem
    if name == METADATA_KEY:
        return ("'_metadata' is reserved: pass metadata=... instead" if not has_metadata
                else "'_metadata' given both as an array and as metadata=")
    return None


def _atomic_write(target: str, members: list[tuple[str, np.ndarray]], compressed: bool) -> None:
    directory = os.path.dirname(target)
    mode = _file_mode(target)
    remove_stale(directory or ".")
    # The name is chosen before the file exists, so cleanup knows it even if an interrupt
    # lands the instant after creation (tempfile.mkstemp has a window there).
    tmp = temp_path(target)
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                     0o600)
        lock(fd)
        with os.fdopen(fd, "wb") as fh:
            method = zipfile.ZIP_DEFLATED if compressed else zipfile.ZIP_STORED
            with zipfile.ZipFile(fh, "w", compression=method, allowZip64=True) as zf:
                for name, array in members:
                    with zf.open(f"{name}.npy", "w", force_zip64=True) as out:
                        np.lib.format.write_array(out, array, allow_pickle=False)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException as exc:
        if not (isinstance(exc, FileExistsError) and exc.filename == tmp):  # not ours to delete
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        raise
    fsync_directory(directory or ".")


def _file_mode(target: str) -> int:
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
