"""Write physically plausible DATA-001 datasets, canonical or with chosen defects.

A pure function, usable without pytest (the ``npz_factory`` fixture wraps it, the CLI uses it
to generate ``fixtures/``)::

    >>> path = write_dataset("train.npz", n_images=8, N=64, nphotons=1e6, seed=3)
    >>> write_dataset("old.npz", nphotons=1e4, legacy=("diff3d", "uint16", "pickled-metadata"))
    >>> write_dataset("bad.npz", overrides={"probeGuess": np.ones((32, 32), np.complex64)})

The diffraction is simulated from a real object and probe (:mod:`pytest_npzcontract.physics.simulate`)
at the requested ``nphotons``; scan coordinates lie inside the object. Canonical files are
written by :func:`~pytest_npzcontract.io.writer.save_npz`. Defects ``save_npz`` refuses to write
(pickled metadata, object arrays, a raw ``_metadata`` override, metadata that fails the schema)
are written with NumPy's own ``np.savez_compressed``, exactly as the tools that produced such
files in the wild did: the point of those files is to be wrong.
"""

from __future__ import annotations

import copy
import json
import math
import numbers
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ..base.errors import ContractViolation
from ..io.codec import METADATA_KEY, MetadataError, to_json_text, to_jsonable
from ..io.writer import save_npz
from ..metadata.model import create_metadata
from .simulate import simulate_dataset

LEGACY_FORMS = ("diff3d", "uint16", "pickled-metadata", "4d-Y")
#: Forms ``profile=`` writes (the built-in profiles of :mod:`pytest_npzcontract.contract`).
PROFILE_FORMS = ("canonical", "train", "raw", "count-intensity")
#: The scaling pair count-intensity files record (it selects that profile when none is named).
COUNT_SCALE = {"scale_contract_version": "ci_intensity_v2",
               "measurement_domain": "count_intensity"}
SCRIPT = "pytest_npzcontract.physics.factory"
_UINT16_MAX = np.iinfo(np.uint16).max
# Refusals of user-supplied metadata that the raw writer may still put on disk.
_METADATA_REFUSALS = {"metadata-schema", "metadata-invalid"}


def write_dataset(path: str | os.PathLike, *, n_images: int = 8, N: int = 64,
                  nphotons: float = 1e9, gridsize: int = 1, with_Y: bool = True,
                  metadata: bool | Mapping[str, Any] = True, legacy: str | Iterable[str] = (),
                  overrides: Mapping[str, Any] | None = None, drop: str | Iterable[str] = (),
                  seed: int = 0, compressed: bool = False, profile: str = "canonical") -> Path:
    """Simulate a dataset and write it at exactly ``path`` (parents created); return the path.

    - ``profile``: the form to write, clean under that profile: ``"canonical"``; ``"train"``
      (plus ``xcoords_start``/``ycoords_start``); ``"raw"`` (float32 amplitude under ``diff3d``,
      with ``scan_index`` and the start coordinates, so both of the reference's raw loaders read
      it); ``"count-intensity"`` (float32 photon counts under ``diffraction``, and the scaling
      pair ``ci_intensity_v2``/``count_intensity`` in the metadata).
    - ``metadata``: ``True`` generates it, ``False`` omits it, a mapping is deep-merged over the
      generated metadata (nested mappings merge, anything else replaces).
    - ``legacy``: any of ``"diff3d"`` (key ``diff3d`` instead of ``diffraction``), ``"uint16"``
      (photon counts ``round((X s)^2)`` as uint16 instead of float32 amplitude),
      ``"pickled-metadata"`` (``_metadata`` as a pickled object array), ``"4d-Y"`` (``Y`` with a
      trailing axis of 1).
    - ``overrides``: arrays to replace or add (``"_metadata"`` may be given as a raw array);
      ``drop``: keys to leave out. Both apply last, so any single violation can be produced.

    Deterministic for a given ``seed`` (arrays and parameters; timestamps are real).
    Canonical files are stored uncompressed unless ``compressed``: deflate would take most of
    the time of a call, and the contract does not depend on it.
    Raises ``ValueError`` for unknown legacy forms and bad or contradictory arguments.
    """
    forms = _legacy_forms(legacy)
    _check_arguments(n_images, N, nphotons, gridsize, metadata, seed)
    if profile not in PROFILE_FORMS:
        raise ValueError(f"unknown profile {profile!r} (choose from {', '.join(PROFILE_FORMS)})")
    if forms and profile != "canonical":
        raise ValueError("legacy forms apply to the canonical profile only, not "
                         f"profile={profile!r}")
    overrides = dict(overrides or {})
    dropped = _names(drop, "drop")
    if overlap := sorted(dropped & overrides.keys()):
        raise ValueError(f"keys both overridden and dropped: {', '.join(overlap)}")
    if "4d-Y" in forms and not with_Y:
        raise ValueError("legacy '4d-Y' needs Y: do not combine it with with_Y=False")
    if "pickled-metadata" in forms and metadata is False:
        raise ValueError("legacy 'pickled-metadata' needs metadata: drop metadata=False")

    sim = simulate_dataset(n_images=n_images, N=N, nphotons=nphotons, seed=seed, with_Y=with_Y)
    arrays = dict(sim.arrays)
    meta = _metadata(metadata, sim, n_images=n_images, N=N, nphotons=nphotons,
                     gridsize=gridsize, seed=seed)
    _apply_legacy(arrays, forms, sim.counts, nphotons)
    _apply_profile(arrays, meta, profile, sim.counts)

    raw_metadata = overrides.pop(METADATA_KEY, None)
    for key, value in overrides.items():
        if not isinstance(key, str) or not key:
            raise ValueError(f"override names must be non-empty strings, not {key!r}")
        arrays[key] = np.asarray(value)
    for key in dropped:
        if key == METADATA_KEY and meta is not None:
            meta = None
        elif key in arrays:
            del arrays[key]
        else:
            raise ValueError(f"drop: the dataset has no key {key!r} "
                             f"(keys: {', '.join([*arrays, *([METADATA_KEY] if meta else [])])})")

    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    if raw_metadata is not None:
        _write_raw(target, arrays, np.asarray(raw_metadata))
    elif "pickled-metadata" in forms and meta is not None:
        _write_raw(target, arrays, np.array(_json_text(meta), dtype=object))
    elif any(a.dtype.hasobject for a in arrays.values()):
        _write_raw(target, arrays, None if meta is None else np.array(_json_text(meta)))
    else:
        try:
            save_npz(target, arrays, meta, compressed=compressed)
        except ContractViolation as exc:
            if not isinstance(metadata, Mapping) or not exc.rules <= _METADATA_REFUSALS:
                raise
            _write_raw(target, arrays, np.array(_json_text(meta)))
    return target


def _legacy_forms(legacy: str | Iterable[str]) -> frozenset[str]:
    forms = _names(legacy, "legacy")
    unknown = sorted(forms - set(LEGACY_FORMS))
    if unknown:
        raise ValueError(f"unknown legacy form(s) {', '.join(map(repr, unknown))} "
                         f"(choose from {', '.join(LEGACY_FORMS)})")
    return forms


def _names(value: str | Iterable[str], what: str) -> frozenset[str]:
    items = [value] if isinstance(value, str) else list(value or ())
    if not all(isinstance(item, str) for item in items):
        raise ValueError(f"{what} must be a string or an iterable of strings, not {value!r}")
    return frozenset(items)


def _check_arguments(n_images: Any, N: Any, nphotons: Any, gridsize: Any, metadata: Any,
                     seed: Any) -> None:
    for name, value, low in (("n_images", n_images, 1), ("N", N, 4), ("gridsize", gridsize, 1),
                             ("seed", seed, 0)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
            raise ValueError(f"{name} must be an integer >= {low}, not {value!r}")
    if (isinstance(nphotons, bool) or not isinstance(nphotons, numbers.Real)
            or not math.isfinite(nphotons) or nphotons <= 0):
        raise ValueError(f"nphotons must be a finite number > 0, not {nphotons!r}")
    if not isinstance(metadata, (bool, Mapping)):
        raise ValueError(f"metadata must be True, False or a mapping, not {metadata!r}")


def _metadata(metadata: bool | Mapping[str, Any], sim: Any, *, n_images: int, N: int,
              nphotons: float, gridsize: int, seed: int) -> dict | None:
    if metadata is False:
        return None
    meta = create_metadata({"nphotons": nphotons, "N": N, "gridsize": gridsize}, SCRIPT)
    meta["simulation_parameters"] = {
        "data_source": "synthetic",
        "simulator": "pytest_npzcontract.physics.simulate",
        "seed": int(seed),
        "n_images": int(n_images),
        "object_size": int(sim.arrays["objectGuess"].shape[0]),
        "photons_per_pattern": sim.photons_per_pattern,
    }
    if isinstance(metadata, Mapping):
        _deep_merge(meta, metadata)
    return meta


def _deep_merge(base: dict, extra: Mapping[str, Any]) -> None:
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(base.get(key), dict):
            _deep_merge(base[key], value)
        else:
            base[key] = copy.deepcopy(value)


def _apply_legacy(arrays: dict[str, np.ndarray], forms: frozenset[str], counts: np.ndarray,
                  nphotons: float) -> None:
    if "uint16" in forms:
        peak = float(counts.max())
        if peak > _UINT16_MAX:
            # A real uint16 detector would saturate; data clipped silently would no longer
            # match the recorded nphotons, so refuse and say what would fit.
            fits = nphotons * _UINT16_MAX / peak
            raise ValueError(
                f"legacy 'uint16' stores photon counts: at nphotons={nphotons:g} the brightest "
                f"pixel holds {peak:.0f} counts, more than uint16 can (65535); "
                f"use nphotons <= {float(f'{fits:.1g}'):g}")
        arrays["diffraction"] = np.rint(counts).astype(np.uint16)
    if "diff3d" in forms:
        renamed = {("diff3d" if k == "diffraction" else k): v for k, v in arrays.items()}
        arrays.clear()
        arrays.update(renamed)
    if "4d-Y" in forms:
        arrays["Y"] = arrays["Y"][..., np.newaxis]


def _apply_profile(arrays: dict[str, np.ndarray], meta: dict | None, profile: str,
                   counts: np.ndarray) -> None:
    if profile in ("train", "raw"):
        arrays["xcoords_start"] = arrays["xcoords"].copy()
        arrays["ycoords_start"] = arrays["ycoords"].copy()
    if profile == "raw":
        arrays["diff3d"] = arrays.pop("diffraction")
    if profile == "count-intensity":
        arrays["diffraction"] = np.rint(counts).astype(np.float32)
        if meta is not None:
            meta.setdefault("physics_parameters", {}).update(COUNT_SCALE)


def _json_text(meta: Mapping[str, Any]) -> str:
    """Strict JSON when possible; otherwise (NaN, Infinity on purpose) Python's lenient JSON."""
    try:
        return to_json_text(meta)
    except MetadataError:
        try:
            return json.dumps(to_jsonable(meta), allow_nan=True)
        except (MetadataError, TypeError) as exc:
            raise ValueError(f"metadata cannot be written as JSON: {exc}") from None


def _write_raw(path: Path, arrays: Mapping[str, np.ndarray], metadata: np.ndarray | None) -> None:
    members = dict(arrays)
    if metadata is not None:
        members[METADATA_KEY] = metadata
    # Through an open file so NumPy writes exactly ``path`` (it appends .npz to bare names).
    with open(path, "wb") as fh:
        np.savez_compressed(fh, **members)
