"""Check a file or in-memory arrays against a contract, collecting every finding.

Structural checks use only the zip directory, the ``.npy`` headers and ``_metadata``; value
checks stream each member in bounded chunks. ``check_file`` never raises for a bad file.

>>> report = check_file("train.npz", mode="warn", config={"nphotons": 1e6})
>>> report.ok, sorted(report.rules())
(True, ['legacy-key'])
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np

from ..base.limits import DEFAULT_LIMITS, Limits
from ..base.modes import ValidationMode
from ..base.report import Report
from ..io.archive import (
    CORRUPTION_ERRORS,
    ArchiveScan,
    iter_member_arrays,
    scan_archive,
    verify_member,
)
from ..io.codec import (
    METADATA_KEY,
    DecodedMetadata,
    MetadataError,
    decode_array,
    decode_python,
)
from ..io.npyheader import HeaderError
from ..io.reader import read_metadata
from ..metadata.parameters import (
    DEFAULT_RTOL,
    scale_pair,
)
from .dose import DEFAULT_FACTOR, validate_factor
from .keys import Contract
from .metadata_checks import check_merged_sources, check_metadata
from .profiles import profile_from_scale, resolve_profile
from .run import Array, Run
from .value_checks import check_values, corruption
from .values import array_chunks

#: Frame sizes the reference TensorFlow model accepts (the profiles' ``sizes``).
MODEL_SIZES = (64, 128, 256)
Progress = Callable[[int], None]
#: Prefix of the finding for an error no check anticipated (a bug: please report it).
UNEXPECTED = "unexpected error while checking (please report it)"


def check_file(path: str | os.PathLike, *, mode: ValidationMode | str = ValidationMode.STRICT,
               values: bool = True, config: Any = None, profile: str | Contract | None = None,
               contract: Contract | None = None, rule_levels: Mapping[str, str] | None = None,
               limits: Limits = DEFAULT_LIMITS, rtol: float = DEFAULT_RTOL,
               on_progress: Progress | None = None,
               nphotons_factor: float = DEFAULT_FACTOR,
               profiles: Mapping[str, Contract] | None = None, threads: int = 1) -> Report:
    """Check one ``.npz`` file; every problem, including an unreadable file, is a finding.

    ``profile``: a profile name (``canonical``, ``train``, ``raw``, ``count-intensity``, or one
    of ``profiles``) or a :class:`Contract`; ``None`` lets the metadata's scaling pair choose,
    else canonical. ``contract`` (a full contract) wins over ``profile``. The report's
    ``profile`` says which one the file was checked against.
    ``on_progress(nbytes)`` is called as value checks decompress data (for progress bars).
    ``nphotons_factor``: how far the recorded nphotons may be from the dose the frames' photon
    statistics give before ``nphotons-inconsistent`` (checked in the value scan).
    ``threads``: how many large members may be scanned at once, in threads (the findings do
    not depend on it; see ``contract/parallel_scan.py``).
    Raises ``ValueError`` only for bad arguments (unknown mode, profile or rule level).
    """
    run = Run(os.fspath(path), mode, rule_levels, profile, contract, profiles)
    run.nphotons_factor = validate_factor(nphotons_factor)
    run.threads = max(int(threads), 1)
    try:
        with scan_archive(path, limits) as scan:
            for f in scan.findings:
                run.add(f.rule, f.key, f.message, hint=f.hint or None)
                run.broken.add(f.key or "")
            run.report.transfer = scan.transfer()
            if scan.zf is None:
                _select_profile(run, None)
                return run.report
            run.report.keys = {k: m.to_dict() for k, m in scan.members.items()}
            read: set[str] = set()
            arrays = {k: _file_array(scan, k, limits, on_progress, read)
                      for k in scan.members if k != METADATA_KEY}
            # Hostile bytes may decode to NaN/inf anywhere: findings say so, NumPy need not.
            with np.errstate(all="ignore"):
                _check(run, arrays, _file_metadata(scan, limits), config, values, rtol)
            if values:
                _verify_unread(run, scan, read | {METADATA_KEY}, limits)
            run.report.transfer = scan.transfer()
    except MemoryError:
        run.add("resource-limit", None, "ran out of memory while checking this file")
    except RecursionError:
        run.add("resource-limit", None, "nesting too deep to check this file")
    except Exception as exc:  # last resort: a finding, never a traceback (the fuzz test
        # asserts this line is never reached)
        run.add("unreadable", None, f"{UNEXPECTED}: {type(exc).__name__}: {str(exc)[:200]}")
    _select_profile(run, None)
    return run.report


def check_arrays(arrays: Mapping[str, Any], metadata: Mapping | None = None, *,
                 mode: ValidationMode | str = ValidationMode.STRICT, values: bool = True,
                 config: Any = None, profile: str | Contract | None = None,
                 contract: Contract | None = None,
                 rule_levels: Mapping[str, str] | None = None, name: str | None = None,
                 limits: Limits = DEFAULT_LIMITS, rtol: float = DEFAULT_RTOL,
                 nphotons_factor: float = DEFAULT_FACTOR,
                 profiles: Mapping[str, Contract] | None = None) -> Report:
    """Check in-memory arrays (and metadata) exactly as :func:`check_file` checks a file.

    Metadata comes from ``metadata`` or, failing that, an ``arrays["_metadata"]`` entry.
    """
    run = Run(name, mode, rule_levels, profile, contract, profiles)
    run.nphotons_factor = validate_factor(nphotons_factor)
    items: dict[str, Array] = {}
    for key, value in arrays.items():
        if key == METADATA_KEY:
            continue
        array = np.asarray(value)
        run.report.keys[key] = {"shape": list(array.shape), "dtype": array.dtype.str}
        items[key] = Array(key, array.shape, array.dtype, array.nbytes,
                            lambda a=array: array_chunks(a, limits.chunk_bytes))
    if metadata is not None:
        state: DecodedMetadata | MetadataError | None = DecodedMetadata(dict(metadata),
                                                                          "in-memory")
    elif METADATA_KEY in arrays:
        state = _memory_metadata(np.asarray(arrays[METADATA_KEY]), limits)
    else:
        state = None
    _check(run, items, state, config, values, rtol)
    return run.report


def _file_array(scan: ArchiveScan, key: str, limits: Limits, on_progress: Progress | None,
                read: set[str]) -> Array:
    member, info = scan.members[key], scan.infos[key]

    def chunks(fp: Any = None) -> Iterator[np.ndarray]:
        # Each chunk may be a view of a reused buffer: valid until the next one is read.
        pieces = _marking(iter_member_arrays(scan.zf, info, member, limits.chunk_bytes, limits,
                                             fp=fp), read, key)
        if on_progress is not None:
            pieces = _reporting(pieces, on_progress)
        return pieces

    return Array(key, member.shape, member.dtype, member.data_bytes, chunks,
                 member.fortran_order, source=scan.path if scan.remote is None else None)


def _marking(pieces: Iterator[np.ndarray], read: set[str], key: str) -> Iterator[np.ndarray]:
    """Record ``key`` as read (CRC included) once its pieces are exhausted."""
    yield from pieces
    read.add(key)


def _verify_unread(run: Run, scan: ArchiveScan, read: set[str], limits: Limits) -> None:
    """Read every member the value checks did not (any name, any dtype) to its end, so a
    corrupt member fails here exactly as it fails ``load_npz``."""
    for key, info in scan.infos.items():
        if key in read or key in run.broken:
            continue
        try:
            verify_member(scan.zf, info, limits)
        except HeaderError as exc:
            run.add(exc.rule, key, f"while reading data: {exc}")
        except CORRUPTION_ERRORS as exc:
            run.add("unreadable", key, f"corrupt data ({corruption(exc)})")


def _reporting(pieces: Iterator[np.ndarray], on_progress: Progress) -> Iterator[np.ndarray]:
    for piece in pieces:
        on_progress(piece.nbytes)
        yield piece


def _file_metadata(scan: ArchiveScan, limits: Limits) -> DecodedMetadata | MetadataError | None:
    try:
        return read_metadata(scan, limits)
    except MetadataError as exc:
        return exc


def _memory_metadata(array: np.ndarray, limits: Limits) -> DecodedMetadata | MetadataError:
    try:
        if array.dtype.kind == "O" and array.size == 1:
            return decode_python(array.reshape(()).item(), limits)
        return decode_array(array, limits)
    except MetadataError as exc:
        return exc


def _check(run: Run, arrays: dict[str, Array], metadata: Any, config: Any, values: bool,
           rtol: float) -> None:
    _select_profile(run, metadata)
    if metadata is None and _not_a_dataset(run, arrays):
        return
    usable = _refuse_objects(run, arrays)
    _check_keys(run, arrays)
    shapes = _check_layout(run, usable)
    frame = _check_relations(run, shapes)
    check_metadata(run, metadata, config, frame, rtol)
    check_merged_sources(run, usable, metadata, config, frame, values, rtol)
    if values:
        check_values(run, usable, _diffraction_key(run, usable))


def _select_profile(run: Run, metadata: Any) -> None:
    """Check the metadata's scaling pair; it picks the profile when none was named."""
    if isinstance(metadata, DecodedMetadata):
        selected, problem = profile_from_scale(scale_pair(metadata.metadata))
        if problem:
            run.add("scale-contract", METADATA_KEY, problem)
        if run.contract is None and selected is not None:
            run.contract = resolve_profile(selected, run.profiles)
    if run.contract is None:
        run.contract = resolve_profile("canonical", run.profiles)
    run.report.profile = run.contract.profile


def _not_a_dataset(run: Run, arrays: dict[str, Array]) -> bool:
    """One ``not-a-dataset`` finding (instead of a ``missing-key`` per required key) when no
    array is named like a key of any profile and there is no ``_metadata``: weights, loss
    tables, test fixtures."""
    known = {"nphotons", *run.contract.keys}
    for contract in run.profiles.values():
        known.update(contract.keys)
    if any(key in known for key in arrays):
        return False
    found = ", ".join(sorted(arrays)[:5]) + (", ..." if len(arrays) > 5 else "")
    run.add("not-a-dataset", None, "no key of any profile"
            + (f" (its arrays: {found})" if arrays else " (it holds no arrays)")
            + ": this is not a dataset")
    return True


def _refuse_objects(run: Run, arrays: dict[str, Array]) -> dict[str, Array]:
    usable = {}
    for key, array in arrays.items():
        if array.dtype.hasobject:
            run.add("unsafe-object-array", key,
                    f"object array (dtype {array.dtype}) can only be loaded with "
                    "pickle enabled, which runs code from the file")
            run.broken.add(key)
        else:
            usable[key] = array
    return usable


def _check_keys(run: Run, arrays: dict[str, Array]) -> None:
    present = set(arrays) | run.broken
    for key, spec in run.contract.keys.items():
        if spec.legacy and key in arrays:
            run.add("legacy-key", key,
                    f"legacy key '{key}' ({spec.description}); the canonical key is "
                    f"'{spec.replaces}'", hint="run `npzcontract migrate --in-place FILE` "
                    f"(renames it to '{spec.replaces}')")
    stand_ins = {s.replaces for k, s in run.contract.keys.items() if s.replaces and k in arrays}
    for key in run.contract.required:
        if key not in present and key not in stand_ins:
            spec = run.contract.keys[key]
            detail = f" ({spec.description})" if spec.description else ""
            run.add("missing-key", key, f"required key '{key}' is missing{detail}",
                    hint=f"write '{key}' with layout {spec.expected_layout()}")
    if "nphotons" in arrays and "nphotons" not in run.contract.keys:
        run.add("legacy-key", "nphotons",
                "top-level 'nphotons' array is the legacy way to record the dose",
                hint="run `npzcontract migrate --in-place FILE` (moves it to "
                "_metadata.physics_parameters.nphotons)")


def _check_layout(run: Run, arrays: dict[str, Array]) -> dict[str, tuple[int, ...]]:
    """dtype and ndim per key; returns the shapes fit for cross-key checks (legacy axes
    squeezed, transposed frames put back in order, a probe reduced to its frame)."""
    shapes: dict[str, tuple[int, ...]] = {}
    n_hint = _image_count_hint(run, arrays)
    for key, array in arrays.items():
        spec = run.contract.keys.get(key)
        if spec is None:
            continue
        if not spec.dtype_ok(array.dtype):
            if not array.dtype.hasobject and spec.wider_than_allowed(array.dtype):
                run.add("dtype-precision", key, f"dtype {array.dtype} where the contract "
                        f"expects {spec.expected_dtype()}: the same kind at a wider precision",
                        hint=f"cast when writing: arr.astype('{spec.dtypes[0]}'), or run "
                        "`npzcontract migrate --in-place FILE`")
            else:
                hint = ("run `npzcontract migrate --in-place --sqrt FILE` (stores "
                        "sqrt(counts)), or use profile count-intensity"
                        if spec.values == "amplitude" and array.dtype.kind in "iu" else
                        f"cast when writing: arr.astype('{spec.dtypes[0]}')" if spec.dtypes
                        else None)
                run.add("bad-dtype", key, f"dtype {array.dtype} where the contract expects "
                        f"{spec.expected_dtype()}", hint=hint)
        shape = array.shape
        if spec.layouts:
            frame = spec.frame_of(shape)
            if frame is None:
                run.add("bad-ndim", key, f"{key} is {array.ndim}-D {shape}; expected "
                        f"{spec.expected_layout()}")
                continue
            shapes[key] = frame
            continue
        if spec.ndim and array.ndim not in spec.ndim:
            if array.ndim in spec.legacy_ndim and shape[-1] == 1:
                run.add("legacy-key", key, f"{key} is {array.ndim}-D {shape} with a trailing "
                        f"axis of 1 (legacy layout); expected {spec.expected_layout()}",
                        hint="run `npzcontract migrate --in-place FILE` (squeezes the last "
                        "axis)")
                shape = shape[:-1]
            else:
                run.add("bad-ndim", key, f"{key} is {array.ndim}-D {shape}; expected "
                        f"{spec.expected_layout()}")
                continue
        if _transposed(spec, shape, n_hint):
            run.add("transposed-layout", key, f"{key} is {_dims(shape)}: frames stored "
                    f"(H, W, n) with n={shape[2]} last; expected {spec.expected_layout()}",
                    hint=f"np.transpose({key}, (2, 0, 1)) when writing, or run "
                    "`npzcontract migrate --in-place FILE`")
            shape = (shape[2], shape[0], shape[1])
            run.transposed.add(key)
        elif spec.per_image and spec.frame and len(shape) == 3 and len(set(shape)) == 1:
            run.cubes.add(key)  # n == N: only the photons can tell (n, N, N) from (H, W, n)
        shapes[key] = shape
    return shapes


def _image_count_hint(run: Run, arrays: dict[str, Array]) -> int | None:
    """n from the first 1-D per-image key (the scan coordinates), if any."""
    for key, array in arrays.items():
        spec = run.contract.keys.get(key)
        if spec is not None and spec.per_image and not spec.frame and array.ndim == 1:
            return array.shape[0]
    return None


def _transposed(spec: Any, shape: tuple[int, ...], n: int | None) -> bool:
    """A 3-D per-image frame array stored (H, W, n): square leading axes, n last."""
    return (spec.per_image and spec.frame and len(shape) == 3 and n is not None
            and shape[2] == n and shape[0] == shape[1] and shape[0] != n)


def _diffraction_key(run: Run, keys: Any) -> str | None:
    """The key holding the diffraction data: the first present key with ``values`` set."""
    return next((k for k in run.contract.value_keys() if k in keys), None)


def _check_relations(run: Run, shapes: dict[str, tuple[int, ...]]) -> tuple[int, int] | None:
    """Image counts and frame sizes across keys; returns the diffraction frame (H, W)."""
    specs = run.contract.keys
    per_image = [k for k in shapes if specs[k].per_image and len(shapes[k]) >= 1]
    ref = _diffraction_key(run, shapes) or next(iter(per_image), None)
    if ref is not None and ref in per_image:
        n = shapes[ref][0]
        for key in per_image:
            if shapes[key][0] != n:
                run.add("n-images-mismatch", key, f"{key} has {shapes[key][0]} entries but "
                        f"{ref} has {n} images")
    diff = _diffraction_key(run, shapes)
    if diff is None or len(shapes[diff]) < 3:
        return None
    frame = shapes[diff][1:3]
    h, w = frame
    if h != w:
        run.add("shape-mismatch", diff, f"{diff} frames are {h}x{w}; frames must be square N x N")
    probe = shapes.get("probeGuess")
    if probe is not None and probe != frame:
        run.add("shape-mismatch", "probeGuess", f"probeGuess is {_dims(probe)} but {diff} frames "
                f"are {h}x{w}; they must be equal (the model's N)")
    for key in shapes:
        if key != diff and specs[key].frame and len(shapes[key]) >= 3 and shapes[key][1:3] != frame:
            run.add("shape-mismatch", key, f"{key} frames are {_dims(shapes[key][1:3])} but "
                    f"{diff} frames are {h}x{w}")
    obj = shapes.get("objectGuess")
    if obj is not None and (obj[0] < h or obj[1] < w):
        run.add("shape-mismatch", "objectGuess", f"objectGuess is {_dims(obj)}, smaller than one "
                f"{h}x{w} frame; patches cannot be cut from it")
    sizes = run.contract.sizes
    if h == w and sizes and h not in sizes:
        run.add("unsupported-size", diff, f"N={h} is not one of {tuple(sizes)}, the sizes the "
                f"{run.contract.profile} profile's model accepts",
                hint="resample or crop to a supported N, or use a profile with other sizes")
    return frame


def _dims(shape: tuple[int, ...]) -> str:
    return "x".join(map(str, shape))
