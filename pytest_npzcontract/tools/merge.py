"""Merge datasets into one, keeping every source's metadata, built on :func:`transform`.

The seed plan's ``merge_datasets_with_metadata``: per-image arrays are concatenated in the
order given; the object, the probe and any other global array must be identical in every
source (one merged file has one probe), and frame size, keys and dtypes must agree — otherwise
the merge is refused with the reason. Metadata follows :func:`merge_metadata`'s strategies:

- ``preserve_separate`` (default): every source's metadata is kept whole under
  ``source_datasets`` (with its path, SHA-256, image count and nphotons), the physics
  parameters all sources agree on stay at top level, and a per-image ``source_index`` says
  which source each frame came from — so sources of different doses can be merged and each
  frame's dose stays known;
- ``validate_consistent``: the first source's metadata; refused unless the sources agree on
  nphotons, N and gridsize;
- ``preserve_first``: the first source's metadata; refused when the sources' nphotons differ,
  since it would give every frame the first source's dose.

    >>> merge_files(["lo_train.npz", "hi_train.npz"], "merged.npz")
    MergeResult(path='merged.npz', n_images=70, counts=[35, 35], nphotons=[10000.0, 1000000.0])
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..base.echo import shown
from ..base.errors import ContractViolation
from ..base.modes import ValidationMode
from ..contract.keys import DATA_001, Contract
from ..contract.profiles import resolve_profile
from ..metadata.model import MERGE_STRATEGIES, get_nphotons, merge_metadata
from ..metadata.parameters import DEFAULT_RTOL, section
from ..physics.estimate import NphotonsEstimate, estimate_nphotons, frames_key
from .transform import Input, image_count, transform

TOOL = "npzcontract merge"
OPERATION = "merge_datasets"


class MergeError(ValueError):
    """The sources cannot be merged; the message says why."""


@dataclass(frozen=True)
class MergeResult:
    path: str
    n_images: int
    counts: list[int]
    nphotons: list[float | None]


def merge_files(paths: Sequence[str | os.PathLike], output: str | os.PathLike, *,
                strategy: str = "preserve_separate",
                mode: ValidationMode | str = ValidationMode.STRICT, config: Any = None,
                profile: str | None = None, compressed: bool = True, project: Any = None,
                rtol: float = DEFAULT_RTOL, nphotons: float | None = None) -> MergeResult:
    """Merge ``paths`` into ``output`` (see the module documentation).

    ``nphotons``: the one dose to record when ``profile``'s reader takes one nphotons per file
    (raw, train) and the sources' doses differ; without it such a merge is refused. The choice
    is recorded (``physics_parameters.nphotons``, ``merge_info.nphotons_chosen`` and the
    transformation record's parameters).
    Raises :class:`MergeError` for incompatible sources, ``ContractViolation`` when a source
    cannot be read or the merged file breaks the contract in ``mode``.
    """
    if len(paths) < 2:
        raise MergeError("give at least two files to merge")
    if strategy not in MERGE_STRATEGIES:
        raise MergeError(f"unknown strategy {shown(strategy)} (choose from "
                         f"{', '.join(MERGE_STRATEGIES)})")
    chosen = _chosen_dose(nphotons)
    if project is None:
        from .project import Project

        project = Project.load()
    parameters: dict[str, Any] = {"strategy": strategy, "n_sources": len(paths)}
    if chosen is not None:
        parameters["nphotons"] = chosen
    with transform(list(paths), tool=TOOL, operation=OPERATION, parameters=parameters,
                   mode=mode, config=config, profile=profile, compressed=compressed,
                   project=project) as t:
        sources = t.inputs
        counts = [_count(s) for s in sources]
        doses = [get_nphotons(s.metadata) for s in sources]
        target = (resolve_profile(profile, project.settings.registry()) if profile else
                  project.contract_for(output, sources[0].metadata))
        refuse_mixed_doses(sources, doses, target, chosen, rtol)
        arrays = merged_arrays(sources)
        metadata = _metadata(sources, strategy, doses, counts, rtol)
        if chosen is not None:
            metadata.setdefault("physics_parameters", {})["nphotons"] = chosen
            metadata.setdefault("merge_info", {})["nphotons_chosen"] = chosen
        if strategy == "preserve_separate":
            arrays["source_index"] = np.repeat(np.arange(len(sources), dtype=np.int32), counts)
        t.write(output, arrays, metadata)
    return MergeResult(os.fspath(output), sum(counts), counts, doses)


def _chosen_dose(nphotons: Any) -> float | None:
    if nphotons is None:
        return None
    if isinstance(nphotons, bool) or not isinstance(nphotons, (int, float)) or \
            not 0 < nphotons < math.inf:
        raise MergeError(f"nphotons must be a positive number, not {nphotons!r}")
    return float(nphotons)


def refuse_mixed_doses(sources: list[Input], doses: list[float | None], contract: Contract,
                       chosen: float | None, rtol: float = DEFAULT_RTOL) -> None:
    """MergeError when ``contract``'s reader takes one nphotons per file and the sources'
    doses (recorded, else estimated from the frames) differ, unless a dose was ``chosen``."""
    if not contract.single_dose or chosen is not None:
        return
    said = []
    values = []
    for source, dose in zip(sources, doses, strict=True):
        estimate = _estimate(source)
        value = dose if dose is not None else (estimate.value if estimate.determined else None)
        if value is not None:
            values.append(value)
        recorded = f"records {dose:g}" if dose is not None else "records no nphotons"
        said.append(f"{source.name} {recorded}, estimated {estimate.text()}")
    if len(values) < 2 or all(math.isclose(v, values[0], rel_tol=rtol) for v in values):
        return
    raise MergeError(
        f"the {contract.profile} profile's reader takes one nphotons per file, but the sources' "
        f"doses differ ({'; '.join(said)}): every frame would be read at one dose. Merge "
        "under a per-source profile (canonical keeps source_index), or choose the dose "
        "explicitly (nphotons=..., merge --nphotons VALUE), which the metadata records")


def _estimate(source: Input) -> NphotonsEstimate:
    key = frames_key(source.arrays)
    if key is None or np.ndim(source.arrays[key]) != 3:
        return NphotonsEstimate(None, None, None, 0, reason="no (n, N, N) frames")
    return estimate_nphotons(source.arrays[key], key=key)


def merged_arrays(sources: list[Input]) -> dict[str, np.ndarray]:
    """Per-image arrays concatenated, global arrays checked identical; MergeError otherwise."""
    first = sources[0]
    if "source_index" in first.arrays or any("source_index" in s.arrays for s in sources):
        merged = next(s for s in sources if "source_index" in s.arrays)
        raise MergeError(f"{merged.name} is itself a merge (it has source_index): merge its "
                         "sources together instead, so every frame keeps its own source")
    n = [_count(s) for s in sources]
    out: dict[str, np.ndarray] = {}
    for source in sources[1:]:
        if set(source.arrays) != set(first.arrays):
            only = sorted(set(first.arrays) ^ set(source.arrays))
            raise MergeError(f"{first.name} and {source.name} have different keys "
                             f"({', '.join(only)} in only one of them)")
    for key, value in first.arrays.items():
        values = [s.arrays[key] for s in sources]
        for source, other in zip(sources[1:], values[1:], strict=True):
            if other.dtype != value.dtype:
                raise MergeError(f"{key} is {value.dtype} in {first.name} but {other.dtype} "
                                 f"in {source.name}")
        if _per_image(key, value, n[0]):
            frames = {v.shape[1:] for v in values}
            if len(frames) > 1:
                shapes = " vs ".join(f"{s.name} {tuple(v.shape)}" for s, v in
                                     zip(sources, values, strict=True))
                raise MergeError(f"incompatible N: {key} frames differ ({shapes})")
            out[key] = np.concatenate(values)
        else:
            for source, other in zip(sources[1:], values[1:], strict=True):
                if other.shape != value.shape or not np.array_equal(other, value,
                                                                    equal_nan=True):
                    raise MergeError(f"{key} differs between {first.name} and {source.name}"
                                     f"{_difference(value, other)}; a merged file has one {key}")
            out[key] = value
    return out


def _per_image(key: str, value: np.ndarray, n: int) -> bool:
    spec = DATA_001.keys.get(key)
    if spec is not None:
        return spec.per_image
    return value.ndim >= 1 and value.shape[0] == n


def _difference(a: np.ndarray, b: np.ndarray) -> str:
    if a.shape != b.shape:
        return f" (shape {tuple(a.shape)} vs {tuple(b.shape)})"
    if a.dtype.kind in "biufc":
        diff = np.abs(a.astype(np.complex128) - b.astype(np.complex128))
        return f" (max |difference| {float(np.nanmax(diff)):.3g})"
    return ""


def _count(source: Input) -> int:
    n = image_count(source.arrays)
    if n is None:
        raise MergeError(f"{source.name}: no diffraction, diff3d or xcoords to count images")
    return n


def _metadata(sources: list[Input], strategy: str, doses: list[float | None],
              counts: list[int], rtol: float) -> dict:
    metas = [s.metadata for s in sources]
    for key in ("N", "gridsize"):
        recorded = {section(m, "physics_parameters").get(key) for m in metas} - {None}
        if len(recorded) > 1:
            raise MergeError(f"incompatible {key}: the sources record {key} = "
                             f"{', '.join(map(str, sorted(recorded, key=str)))}")
    known = [d for d in doses if d is not None]
    differ = any(not math.isclose(d, known[0], rel_tol=rtol) for d in known)
    if strategy == "preserve_first" and differ:
        raise MergeError("the sources have different nphotons; preserve_first would record the "
                         "first source's dose for every frame (use preserve_separate)")
    try:
        merged = merge_metadata(metas, strategy, sources=[s.name for s in sources], rtol=rtol)
    except ContractViolation as exc:
        raise MergeError("the sources disagree (validate_consistent): " + "; ".join(
            f"{f.file}: {f.message}" for f in exc.findings)) from None
    if strategy == "preserve_separate":
        merged["creation_info"]["script"] = TOOL
    for entry, source, dose, count in zip(merged.get("source_datasets", []), sources, doses,
                                          counts, strict=False):
        entry.update({"path": source.path, "sha256": source.sha256, "n_images": count})
        if dose is not None:
            entry["nphotons"] = dose
    return merged
