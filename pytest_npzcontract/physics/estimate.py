"""The dose from the data: mean photons per pattern read from the Poisson lattice of the frames.

Stored diffraction is ``X = c sqrt(k) / s`` with ``k`` whole photon counts (SPEC §6; ``c`` any
later rescaling), so ``X**2`` sits on a lattice of spacing ``delta = c**2 / s**2`` and the mean
photon count per pattern is ``mean_i sum X_i**2 / delta`` whatever ``c`` and ``s`` are. Integer
counts are summed directly. Without a lattice (noise-free simulation, interpolation, binned
amplitudes, background subtraction) the dose cannot be read, and the result says why::

    >>> est = estimate_nphotons("train.npz")
    >>> est.value, est.method, est.uncertainty, est.patterns
    (1000412.5, 'lattice', 0.00011, 8)
    >>> estimate_nphotons(noise_free_frames).reason
    'no photon-count lattice: ...'

One pass, bounded memory (:class:`NphotonsAccumulator`): per chunk, per-frame sums of ``X`` and
``X**2`` (vectorised) and a bounded, evenly spread sample of values (a Weyl sequence of
positions: deterministic, no ``numpy.random``); the spacing is found and verified on the sample
at the end. The sample's size scales with the data (``total``: 1/16 of the values, between
:data:`MIN_SAMPLE` and :data:`SAMPLE_CAPACITY`), so a small file costs little. See docs/physics.md for the derivation and when it abstains.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from .accumulator import (  # noqa: F401 (public here, where they always were)
    FRAME_KEYS,
    METHODS,
    SAMPLE_CAPACITY,
    NphotonsAccumulator,
    NphotonsEstimate,
)
from .lattice import find_spacing  # noqa: F401

# -- files and arrays -----------------------------------------------------------------------

def frames_key(keys: Iterable[str]) -> str | None:
    """The key holding the frames: ``diffraction``, else the legacy/raw ``diff3d``."""
    names = set(keys)
    return next((k for k in FRAME_KEYS if k in names), None)


def estimate_nphotons(path_or_array: str | os.PathLike | np.ndarray | Mapping[str, Any], *,
                      key: str | None = None, labels: Any = None,
                      chunk_bytes: int = 1 << 20, by_label: bool = False
                      ) -> NphotonsEstimate | dict[Any, NphotonsEstimate]:
    """Mean photons per pattern of a file's (or an array's) frames, streamed in chunks.

    ``key`` names the frames (default ``diffraction``, else ``diff3d``); ``labels`` (one per
    frame) is accepted for symmetry with :class:`NphotonsAccumulator` and then the result is
    for a single label only, unless ``by_label``: then a dict of one estimate per label (each
    source of a merged file alone). A file that cannot be read raises ``ContractViolation``.

    >>> estimate_nphotons("sim.npz").text()
    '1e+06 +- 0.01% (lattice, 64 patterns)'
    """
    if isinstance(path_or_array, (str, os.PathLike)):
        acc = _estimate_file(path_or_array, key, labels, chunk_bytes)
        return acc.results() if by_label else _single(acc)
    if isinstance(path_or_array, Mapping):
        key = key or frames_key(path_or_array)
        if key is None or key not in path_or_array:
            raise KeyError(f"no frames: give key= (keys: {', '.join(map(str, path_or_array))})")
        array = np.asarray(path_or_array[key])
    else:
        array = np.asarray(path_or_array)
    if array.ndim < 2:
        raise ValueError(f"frames must be (n, H, W) or (H, W), not shape {array.shape}")
    acc = NphotonsAccumulator(array.dtype, array.shape[-1] * array.shape[-2], labels=labels,
                              key=key, total=array.size)
    flat = np.ravel(array)
    step = max(chunk_bytes // max(array.itemsize, 1), acc.frame_size)
    for start in range(0, flat.size, step):
        acc.update(flat[start:start + step])
    return acc.results() if by_label else _single(acc)


def _single(acc: NphotonsAccumulator) -> NphotonsEstimate:
    results = acc.results()
    return next(iter(results.values())) if len(results) == 1 else acc.result()


def _estimate_file(path: str | os.PathLike, key: str | None, labels: Any,
                   chunk_bytes: int) -> NphotonsAccumulator:
    from ..base.errors import ContractViolation
    from ..base.report import Finding
    from ..io.archive import CORRUPTION_ERRORS, iter_member_arrays, scan_archive
    from ..io.npyheader import HeaderError

    fspath = os.fspath(path)
    with scan_archive(fspath) as scan:
        errors = [f for f in scan.findings if f.severity == "error"
                  and (f.key is None or f.key == key)]
        if scan.zf is None or (errors and key is None and not scan.members):
            raise ContractViolation(findings=errors or scan.findings)
        key = key or frames_key(scan.members)
        if key is None or key not in scan.members:
            raise ContractViolation(findings=errors or [Finding(
                fspath, key, "missing-key", "error",
                f"no frames to estimate from (keys: {', '.join(scan.members) or 'none'})")])
        member = scan.members[key]
        if member.ndim < 2:
            raise ContractViolation(findings=[Finding(
                fspath, key, "bad-ndim", "error",
                f"{key} is {member.ndim}-D {member.shape}; frames are (n, H, W)")])
        acc = NphotonsAccumulator(member.dtype, member.shape[-1] * member.shape[-2],
                                  labels=labels, fortran=member.fortran_order, key=key,
                                  total=math.prod(member.shape))
        try:
            for chunk in iter_member_arrays(scan.zf, scan.infos[key], member, chunk_bytes):
                acc.update(chunk)
        except HeaderError as exc:
            raise ContractViolation(findings=[Finding(fspath, key, exc.rule, "error",
                                                      str(exc))]) from None
        except CORRUPTION_ERRORS as exc:
            raise ContractViolation(findings=[Finding(
                fspath, key, "unreadable", "error", f"corrupt data ({exc})")]) from None
    return acc
