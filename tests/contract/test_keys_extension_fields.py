"""Contract extensions at their edges: a key added by ``keys`` or ``required`` carries its own
name, requiring a key the contract defines keeps the rest of its spec, ``ndim`` runs from 0 to
32, and the ``normalized`` field turns on the ``not-normalized`` check for that key."""

from __future__ import annotations

import numpy as np
import pytest

from pytest_npzcontract import check_arrays
from pytest_npzcontract.contract.keys import DATA_001
from pytest_npzcontract.contract.profiles import derive_profile
from pytest_npzcontract.physics.factory import write_dataset


def test_added_keys_carry_their_own_names():
    extended = DATA_001.extended({"required": ["mask"], "keys": {"weights": {"ndim": 1}}})
    assert extended.keys["mask"].name == "mask" and extended.keys["mask"].required
    assert extended.keys["weights"].name == "weights"


def test_requiring_a_defined_key_keeps_its_spec():
    spec = DATA_001.extended({"required": ["scan_index"]}).keys["scan_index"]
    assert spec.required and spec.name == "scan_index"
    assert (spec.dtypes, spec.ndim, spec.per_image) == (("integer",), (1,), True)


@pytest.mark.parametrize("ndim", [0, 1, 32, [0, 32]])
def test_ndim_runs_from_0_to_32(ndim):
    spec = DATA_001.extended({"keys": {"k": {"ndim": ndim}}}).keys["k"]
    assert spec.ndim == tuple(ndim if isinstance(ndim, list) else [ndim])


def test_the_normalized_field_turns_on_the_normalization_check(tmp_path):
    path = write_dataset(tmp_path / "raw.npz", profile="raw", seed=1)
    with np.load(path) as archive:
        arrays = {k: archive[k] for k in archive.files}
    arrays["diff3d"] = (arrays["diff3d"] / arrays["diff3d"].max() * 50).astype(np.float32)
    strict = derive_profile("raw-normalized", {
        "extends": "raw", "keys": {"diff3d": {"normalized": True}}})
    assert strict.keys["diff3d"].normalized is True
    assert "not-normalized" not in {f.rule for f in check_arrays(arrays, profile="raw").findings}
    found = [f for f in check_arrays(arrays, profile=strict).findings
             if f.rule == "not-normalized"]
    assert [f.key for f in found] == ["diff3d"]
    assert "the raw-normalized profile expects normalized amplitudes" in found[0].message
