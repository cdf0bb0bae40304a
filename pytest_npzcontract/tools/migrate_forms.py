"""The array conversions of a migration, decided by the target profile's contract.

A file keeps the form of its profile: a raw file keeps ``diff3d``, a count-intensity file
keeps integer counts, and only what that profile calls legacy or too wide is converted (start
coordinates the profile requires are filled from the scan positions). When the target differs
from the file's own profile (``migrate --to``), the frames move to the key the target reads. Converting between amplitude and photon-count profiles is refused::

    >>> convert_arrays(plan, source=PROFILES["raw"], target=PROFILES["canonical"],
    ...                sqrt=None)      # diff3d -> diffraction
"""

from __future__ import annotations

import numpy as np

from ..contract.keys import DTYPE_GROUPS, Contract, KeySpec
from .migrate_model import Conversion, MigrationPlan, Problem, shape_text

#: The keys diffraction frames are stored under, in the order they are looked for.
FRAME_KEYS = ("diffraction", "diff3d")
#: Start coordinates and the scan positions they default to (the reference treats them as
#: equal when the scan had no position correction).
STARTS = {"xcoords_start": "xcoords", "ycoords_start": "ycoords"}
_WORDS = {"amplitude": "amplitudes sqrt(intensity)", "counts": "photon counts"}


def domain(contract: Contract) -> str:
    """What a profile's frames hold: ``amplitude`` or ``counts`` (its first required frames
    key decides; ``""`` when it names none)."""
    keys = contract.value_keys()
    required = [k for k in keys if contract.keys[k].required] or keys
    return contract.keys[required[0]].values if required else ""


def convert_arrays(plan: MigrationPlan, *, source: Contract, target: Contract,
                   sqrt: bool | None) -> None:
    """Add the array conversions that put ``plan.arrays`` in ``target``'s form."""
    converting = source.profile != target.profile
    if converting and domain(source) != domain(target):
        plan.problems.append(Problem(
            f"cannot convert {source.profile} to {target.profile}: profile {source.profile} "
            f"stores {_WORDS.get(domain(source), 'no frames')} and {target.profile} "
            f"{_WORDS.get(domain(target), 'no frames')}; migrate does not convert between "
            "them (that needs the scale the data were recorded with). If the file already "
            f"holds what {target.profile} expects, name its profile: --profile "
            f"{target.profile}"))
        return
    key = _move_frames(plan, target, converting)
    _fill_starts(plan, target)
    _transpose_frames(plan, target)
    if key is not None:
        _fix_frames(plan, key, target.keys[key], sqrt)
    _squeeze(plan, target)
    _narrow(plan, target, skip=key)


def _preferred(target: Contract) -> str | None:
    """The frames key the target reads: its first required frames key, else its first
    non-legacy one."""
    keys = [k for k in FRAME_KEYS if k in target.keys and not target.keys[k].legacy]
    required = [k for k in keys if target.keys[k].required]
    return (required or keys or [None])[0]


def _move_frames(plan: MigrationPlan, target: Contract, converting: bool) -> str | None:
    """Rename the frames to the key the target reads; return the key they end up under."""
    present = [k for k in FRAME_KEYS if k in plan.arrays]
    if len(present) == 2:
        plan.problems.append(Problem("both 'diff3d' and 'diffraction' are present; "
                                     "remove one before migrating"))
        return None
    if not present:
        return None
    key = present[0]
    spec = target.keys.get(key)
    accepted = spec is not None and not spec.legacy
    if accepted and not converting:
        return key
    wanted = (spec.replaces if spec is not None and spec.legacy and spec.replaces in target.keys
              else _preferred(target))
    if wanted is None:
        plan.problems.append(Problem(f"profile {target.profile} names no key for the "
                                     f"diffraction frames; cannot place '{key}'"))
        return None
    if wanted == key:
        return key
    plan.arrays = {(wanted if k == key else k): v for k, v in plan.arrays.items()}
    plan.conversions.append(Conversion("rename", f"rename {key} -> {wanted}",
                                       {"key": key, "to": wanted}))
    return wanted


def _fill_starts(plan: MigrationPlan, target: Contract) -> None:
    for start, coords in STARTS.items():
        spec = target.keys.get(start)
        if spec is None or not spec.required or start in plan.arrays or coords not in plan.arrays:
            continue
        plan.arrays[start] = plan.arrays[coords]
        plan.conversions.append(Conversion(
            "copy", f"copy {coords} -> {start} (profile {target.profile} requires it; start "
            "positions equal the scan positions when no position correction was made)",
            {"key": coords, "to": start}))


def _transpose_frames(plan: MigrationPlan, target: Contract) -> None:
    coords = plan.arrays.get("xcoords")
    if coords is None or coords.ndim != 1:
        return
    for key, spec in target.keys.items():
        data = plan.arrays.get(key)
        if data is None or not (spec.per_image and spec.frame) or data.ndim != 3:
            continue
        h, w, n = data.shape
        if n == coords.shape[0] and h == w and (h != n or _cube_transposed(data, spec)):
            plan.arrays[key] = np.ascontiguousarray(np.transpose(data, (2, 0, 1)))
            plan.conversions.append(Conversion(
                "transpose", f"transpose {key} {shape_text(data.shape)} -> "
                f"{shape_text((n, h, w))} (frames were stored last-axis-first)",
                {"key": key, "from": list(data.shape), "to": [n, h, w], "axes": [2, 0, 1]}))


def _cube_transposed(data: np.ndarray, spec: KeySpec) -> bool:
    """n == N: the shape cannot say; the photon totals per axis can (physics/layout.py)."""
    from ..physics.layout import frame_axis_verdict

    return data.dtype.kind in "biuf" and bool(
        frame_axis_verdict(data, square=spec.values != "counts").transposed)


def _fix_frames(plan: MigrationPlan, key: str, spec: KeySpec, sqrt: bool | None) -> None:
    data = plan.arrays[key]
    kind = data.dtype.kind
    if kind not in "biuf":
        plan.problems.append(Problem(f"{key} has dtype {data.dtype}; only integer or "
                                     "real float data can be converted"))
        return
    if spec.dtype_ok(data.dtype):
        if kind in "biu" and sqrt and spec.values == "counts":
            plan.notes.append(f"--sqrt not applied: profile {plan.target} stores photon "
                              f"counts in {key}")
        return
    counts = kind in "biu"
    amplitude = spec.values != "counts"
    if counts and amplitude and sqrt is None:
        plan.problems.append(Problem(
            f"{key} is {data.dtype} (integer counts): choose --sqrt (store "
            "sqrt(counts), intensity -> amplitude) or --no-sqrt (values are amplitudes)",
            usage=True))
        return
    root = counts and amplitude and bool(sqrt)
    if root and data.size and data.min() < 0:
        plan.problems.append(Problem(f"{key} has negative counts; cannot take sqrt"))
        return
    want = _concrete(spec, "f") or "float32"
    converted = np.sqrt(data.astype(np.float64)) if root else data
    plan.arrays[key] = converted.astype(want)
    how = " (sqrt: intensity -> amplitude)" if root else ""
    plan.conversions.append(Conversion(
        "cast", f"cast {key} {data.dtype} -> {want}{how}",
        {"key": key, "from": str(data.dtype), "to": want, "sqrt": root}))


def _squeeze(plan: MigrationPlan, target: Contract) -> None:
    for key, spec in target.keys.items():
        data = plan.arrays.get(key)
        if (data is None or data.ndim in spec.ndim or data.ndim not in spec.legacy_ndim
                or data.shape[-1] != 1):
            continue
        plan.arrays[key] = data.reshape(data.shape[:-1])
        plan.conversions.append(Conversion(
            "squeeze", f"squeeze {key} {shape_text(data.shape)} -> "
            f"{shape_text(data.shape[:-1])}",
            {"key": key, "from": list(data.shape), "to": list(data.shape[:-1])}))


def _narrow(plan: MigrationPlan, target: Contract, skip: str | None) -> None:
    """Arrays of the right kind at a wider precision (``dtype-precision``) cast down."""
    for key, spec in target.keys.items():
        data = plan.arrays.get(key)
        if key == skip or data is None or data.dtype.hasobject or spec.dtype_ok(data.dtype) \
                or not spec.wider_than_allowed(data.dtype):
            continue
        want = _concrete(spec, data.dtype.kind)
        plan.arrays[key] = data.astype(want)
        plan.conversions.append(Conversion(
            "cast", f"cast {key} {data.dtype} -> {want}",
            {"key": key, "from": str(data.dtype), "to": want}))


def _concrete(spec: KeySpec, kind: str) -> str | None:
    """The key's first allowed concrete dtype of ``kind`` (``f``, ``c``)."""
    return next((d for d in spec.dtypes if d not in DTYPE_GROUPS and np.dtype(d).kind == kind),
                None)
