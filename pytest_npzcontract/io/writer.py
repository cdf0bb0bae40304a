"""Atomic, pickle-free writing: ``save_npz(path, arrays, metadata=None, *, compressed=True)``.

The archive is written through the one write helper (:mod:`.atomic`): a temporary file in the
destination's directory, flushed and fsynced, then moved over the destination with
``os.replace``. An exception at any point leaves the old file byte-identical and removes the
temporary file; only SIGKILL (which cannot be handled) can leave a ``.<name>.*.tmp`` file
behind, and even then the old file is intact; the next write to that directory removes it
(:mod:`.tempfiles`). A write that fails raises :class:`.atomic.WriteError` (an ``OSError``)
whose text names the path and the reason. The path's symbolic links are followed (the file a
link points to is replaced; the link stays).

``write_npz(fh, ...)`` writes the same archive to an open file (the staged file of a caller
that verifies before committing, as migrate does).
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Mapping
from typing import BinaryIO

import numpy as np

from ..base.errors import ContractViolation
from ..base.limits import DEFAULT_LIMITS, Limits
from ..base.report import Finding
from .atomic import atomic_write, file_mode, fsync_directory  # noqa: F401 (re-exported)
from .codec import METADATA_KEY, MetadataError, encode_metadata, to_jsonable
from .names import key_problem


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
    with atomic_write(target, display=os.fspath(path)) as staged:
        _write_members(staged.file, members, compressed)


def write_npz(fh: BinaryIO, arrays: Mapping[str, object], metadata: Mapping | None = None, *,
              compressed: bool = True, limits: Limits = DEFAULT_LIMITS,
              name: str | None = None) -> None:
    """Write the archive :func:`save_npz` would write to the open binary file ``fh`` (checks
    included; ``name`` is the file named in findings)."""
    members = _prepare(name or getattr(fh, "name", "<file>"), arrays, metadata, limits)
    _write_members(fh, members, compressed)


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


def _write_members(fh: BinaryIO, members: list[tuple[str, np.ndarray]],
                   compressed: bool) -> None:
    method = zipfile.ZIP_DEFLATED if compressed else zipfile.ZIP_STORED
    with zipfile.ZipFile(fh, "w", compression=method, allowZip64=True) as zf:
        for name, array in members:
            with zf.open(f"{name}.npy", "w", force_zip64=True) as out:
                np.lib.format.write_array(out, array, allow_pickle=False)
