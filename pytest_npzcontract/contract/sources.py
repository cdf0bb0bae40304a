"""Checks for merged files: each source's frames judged against that source's own metadata.

A merge of several doses (``npzcontract merge``, strategy ``preserve_separate``) keeps every
source's metadata under ``source_datasets`` and says, per image, which source it came from
(``source_index``). The top-level ``physics_parameters`` then holds only what all sources
agree on, so these checks look into the sources:

- ``source_index`` refers to an existing ``source_datasets`` entry, and no source has more
  images than its entry records (a later split or crop keeps a subset; ``n-images-mismatch``;
  needs the values scan);
- a source's recorded ``N`` equals the frame size (``parameter-mismatch``);
- with a configuration, every parameter the top level does not settle (nphotons of a
  multi-dose merge) is compared with each source's own value (``parameter-mismatch``, naming
  the source): one configured nphotons cannot be right for frames of several doses.

>>> groups = source_groups(metadata, source_index)   # {0: (nphotons, image indices), ...}
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from ..metadata.parameters import section, validate_parameters

Add = Callable[..., None]


def source_entries(metadata: Any) -> list[Mapping]:
    """The ``source_datasets`` entries, in order. An entry that is not an object (a
    ``metadata-schema`` finding) stands as an empty one that records nothing, so positions
    keep matching the values of ``source_index``."""
    entries = metadata.get("source_datasets") if isinstance(metadata, Mapping) else None
    if not isinstance(entries, list):
        return []
    return [e if isinstance(e, Mapping) else {} for e in entries]


def source_nphotons(entry: Mapping) -> float | None:
    """nphotons recorded for one source: the entry's own, else its metadata's."""
    for value in (entry.get("nphotons"),
                  section(entry.get("metadata"), "physics_parameters").get("nphotons")):
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
            return float(value)
    return None


def source_groups(metadata: Any, source_index: np.ndarray | None
                  ) -> dict[int, tuple[float | None, np.ndarray]]:
    """Per source: its recorded nphotons and the indices of its images (valid indices only).

    What a per-dose check (e.g. the dose estimate) needs to judge each source's frames
    against their own dose.
    """
    entries = source_entries(metadata)
    if source_index is None or not entries:
        return {}
    index = np.asarray(source_index).astype(np.int64, copy=False)
    return {i: (source_nphotons(e), np.flatnonzero(index == i)) for i, e in enumerate(entries)}


def check_sources(add: Add, metadata: Any, frame: tuple[int, int] | None,
                  source_index: np.ndarray | None, has_index: bool, config: Any,
                  rtol: float) -> None:
    """Report problems through ``add(rule, key, message)`` (the checker's collector)."""
    entries = source_entries(metadata)
    if not entries:
        if has_index:
            add("parameter-mismatch", "source_index", "source_index is present but the metadata "
                "lists no source_datasets: the source (and dose) of each image is unknown")
        return
    names = [_label(i, e) for i, e in enumerate(entries)]
    for name, entry in zip(names, entries, strict=True):
        stored_n = section(entry.get("metadata"), "physics_parameters").get("N")
        if frame is not None and isinstance(stored_n, int) and stored_n != frame[0]:
            add("parameter-mismatch", "N", f"{name} records N={stored_n} but the diffraction "
                f"frames are {frame[0]}x{frame[1]}")
    if source_index is not None:
        _check_index(add, entries, names, source_index)
    if config is not None:
        top = section(metadata, "physics_parameters")
        for name, entry in zip(names, entries, strict=True):
            meta = entry.get("metadata")
            physics = dict(section(meta, "physics_parameters"))
            if source_nphotons(entry) is not None:
                physics["nphotons"] = source_nphotons(entry)
            for mismatch in validate_parameters({"physics_parameters": physics}, config,
                                                rtol=rtol):
                if mismatch.name not in top:
                    add("parameter-mismatch", mismatch.name, f"{name}: {mismatch.message}")


def _check_index(add: Add, entries: list[Mapping], names: list[str],
                 source_index: np.ndarray) -> None:
    index = np.asarray(source_index)
    bad = index[(index < 0) | (index >= len(entries))]
    if bad.size:
        add("n-images-mismatch", "source_index", f"source_index holds {int(bad[0])} but the "
            f"metadata lists {len(entries)} source_datasets ({bad.size} image(s) affected)")
        return
    counts = np.bincount(index.astype(np.int64, copy=False), minlength=len(entries))
    for name, entry, count in zip(names, entries, counts, strict=True):
        recorded = entry.get("n_images")
        if isinstance(recorded, int) and int(count) > recorded:
            add("n-images-mismatch", "source_index", f"{name} had {recorded} images but "
                f"source_index gives it {int(count)}")


def _label(position: int, entry: Mapping) -> str:
    path = entry.get("path")
    return f"source {position}" + (f" ({path})" if isinstance(path, str) and path else "")
