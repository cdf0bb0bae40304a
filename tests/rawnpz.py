"""Write NPZ archives member by member, bypassing save_npz, to build exact test inputs."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from pytest_npzcontract import create_metadata
from pytest_npzcontract.physics.simulate import simulate_dataset


def npy_bytes(array: np.ndarray, version: tuple[int, int] | None = None) -> bytes:
    """The exact bytes ``np.save`` would write (object arrays are pickled, as NumPy does)."""
    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.asanyarray(array), version=version,
                              allow_pickle=np.asanyarray(array).dtype.hasobject)
    return buf.getvalue()


def write_members(path: Path, members: Mapping[str, np.ndarray | bytes], *,
                  compressed: bool = True, version: tuple[int, int] | None = None) -> Path:
    """Write ``{name: array-or-raw-bytes}`` as ``name.npy`` members (raw bytes written as is)."""
    method = zipfile.ZIP_DEFLATED if compressed else zipfile.ZIP_STORED
    with zipfile.ZipFile(path, "w", compression=method) as zf:
        for name, value in members.items():
            data = value if isinstance(value, bytes) else npy_bytes(value, version)
            zf.writestr(f"{name}.npy", data)
    return path


def valid_arrays(n_images: int = 4, N: int = 64, nphotons: float = 1e6, seed: int = 0
                 ) -> dict[str, np.ndarray]:
    return dict(simulate_dataset(n_images=n_images, N=N, nphotons=nphotons, seed=seed).arrays)


def valid_metadata(nphotons: float = 1e6, N: int = 64) -> dict:
    return create_metadata({"nphotons": nphotons, "N": N, "gridsize": 1}, "tests")


def metadata_json(meta: Mapping | None = None) -> str:
    return json.dumps(valid_metadata() if meta is None else meta)
