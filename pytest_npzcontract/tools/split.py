"""Split one dataset into train and test parts, built on :func:`transform`.

Like the reference project's split tool, the default cuts the scan along one coordinate: the
split point is ``min + fraction * (max - min)`` of ``ycoords`` (or ``xcoords``), images below it
go to train and the rest to test, so the two parts do not overlap in space. ``axis="index"``
takes the first ``round(fraction * n)`` images in file order instead, and ``train_indices``
names the train images explicitly. Per-image arrays are sliced, the object and the probe
are copied; unlike the reference tool, the metadata is kept and each part records the split::

    >>> train, test = split_file("sim.npz", fraction=0.8, axis="y")
    >>> train.path, train.n_images
    ('sim_train.npz', 6)
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..base.echo import shown
from ..base.modes import ValidationMode
from .transform import image_count, select_images, transform

TOOL = "npzcontract split"
OPERATION = "train_test_split"
AXES = ("y", "x", "index")


class SplitError(ValueError):
    """The split cannot be made (empty part, missing coordinates, bad indices)."""


@dataclass(frozen=True)
class SplitPart:
    """One written part: ``name`` ("train"/"test"), its path and image count."""

    name: str
    path: str
    n_images: int


def parse_indices(spec: str) -> list[int]:
    """``"0:4,7,10:12"`` -> ``[0, 1, 2, 3, 7, 10, 11]`` (Python ranges, end excluded)."""
    out: list[int] = []
    for part in filter(None, (p.strip() for p in spec.split(","))):
        try:
            if ":" in part:
                start, stop = part.split(":", 1)
                out += range(int(start), int(stop))
            else:
                out.append(int(part))
        except ValueError:
            raise SplitError(f"bad index range {shown(part)} (use e.g. 0:40,50,60:64)") from None
    return out


def split_mask(arrays: dict[str, Any], *, fraction: float = 0.8, axis: str = "y",
               train_indices: Sequence[int] | None = None) -> tuple[np.ndarray, dict[str, Any]]:
    """The train mask over the images and the parameters that describe how it was made."""
    n = image_count(arrays)
    if n is None:
        raise SplitError("no diffraction, diff3d or xcoords: cannot count the images")
    if n < 2:
        raise SplitError(f"{n} image(s): nothing to split")
    mask = np.zeros(n, dtype=bool)
    if train_indices is not None:
        bad = [i for i in train_indices if not 0 <= i < n]
        if bad:
            raise SplitError(f"train index {bad[0]} is outside 0..{n - 1}")
        mask[list(train_indices)] = True
        return mask, {"method": "indices", "train_indices": sorted(set(train_indices))}
    if not 0 < fraction < 1:
        raise SplitError(f"fraction must be between 0 and 1 (exclusive), not {fraction}")
    if axis == "index":
        mask[: round(fraction * n)] = True
        return mask, {"method": "index", "fraction": fraction}
    if axis not in AXES:
        raise SplitError(f"axis must be one of {', '.join(AXES)}, not {shown(axis)}")
    key = f"{axis}coords"
    if key not in arrays:
        raise SplitError(f"no {key}: cannot split along {axis}")
    coords = np.asarray(arrays[key], dtype=np.float64)
    low, high = float(coords.min()), float(coords.max())
    point = low + (high - low) * fraction
    mask = coords < point
    return mask, {"method": "coordinate", "axis": axis, "fraction": fraction,
                  "split_point": point}


def split_file(path: str | os.PathLike, *, fraction: float = 0.8, axis: str = "y",
               train_indices: Sequence[int] | None = None, output_dir: str | None = None,
               mode: ValidationMode | str = ValidationMode.STRICT, config: Any = None,
               profile: str | None = None, compressed: bool = True,
               project: Any = None) -> list[SplitPart]:
    """Write ``<stem>_train.npz`` and ``<stem>_test.npz`` (in ``output_dir``, default: beside
    the input); both or neither are written. Raises :class:`SplitError` when a part would be
    empty and ``ContractViolation`` when the input cannot be read or a part breaks the
    contract in ``mode``. Parts are judged as :func:`~.transform.transform` judges outputs:
    by ``project`` at their own path (its per-path profile unless ``profile`` is given)."""
    source = os.fspath(path)
    stem = os.path.splitext(os.path.basename(source))[0]
    directory = output_dir if output_dir is not None else os.path.dirname(source)
    with transform(source, tool=TOOL, operation=OPERATION, mode=mode, config=config,
                   profile=profile, compressed=compressed, project=project) as t:
        mask, how = split_mask(t.arrays, fraction=fraction, axis=axis,
                               train_indices=train_indices)
        parts = []
        for name, selected in (("train", mask), ("test", ~mask)):
            count = int(selected.sum())
            if count == 0:
                raise SplitError(f"the {name} part would be empty ({_describe(how, len(mask))})")
            target = os.path.join(directory, f"{stem}_{name}.npz")
            t.write(target, select_images(t.arrays, selected),
                    parameters={**how, "part": name, "n_images": count,
                                "n_source_images": len(mask)})
            parts.append(SplitPart(name, target, count))
    return parts


def _describe(how: dict[str, Any], n: int) -> str:
    if how["method"] == "coordinate":
        return (f"{n} images, split along {how['axis']} at {how['split_point']:.4g}; "
                "choose another fraction or axis")
    if how["method"] == "index":
        return f"{n} images, fraction {how['fraction']}"
    return f"{n} images, {len(how['train_indices'])} train indices"
