"""A ``[tool.npzcontract.contract]`` extension applies to whichever profile is in force: the
canonical default, or the profile the metadata's scaling pair selects, both taken from the
registry the configuration builds (``check_options()["profiles"]``), not from the built-ins.
A profile that declares ``nphotons`` as a key takes a top-level ``nphotons`` as its data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from rawnpz import valid_arrays, valid_metadata

from pytest_npzcontract import check_arrays
from pytest_npzcontract.contract.config import load_settings
from pytest_npzcontract.contract.profiles import PROFILES, derive_profile


@pytest.fixture
def registry(tmp_path: Path) -> dict:
    config = tmp_path / "pyproject.toml"
    config.write_text('[tool.npzcontract.contract]\nrequired = ["mask"]\n')
    return load_settings(config).check_options()["profiles"]


MASK_MISSING = ("mask", "missing-key", "required key 'mask' is missing",
                "write 'mask' with layout any shape")


def missing(report) -> list[tuple]:
    return [(f.key, f.rule, f.message, f.hint) for f in report.findings
            if f.rule == "missing-key"]


def test_the_default_profile_is_the_extended_canonical(registry):
    report = check_arrays(valid_arrays(), valid_metadata(), profiles=registry)
    assert report.profile == "canonical"
    assert missing(report) == [MASK_MISSING]        # a key with no description: no "(...)"


def test_a_profile_the_scaling_pair_selects_is_the_extended_one(registry):
    meta = valid_metadata()
    meta["physics_parameters"].update(scale_contract_version="ci_intensity_v2",
                                      measurement_domain="count_intensity")
    report = check_arrays(valid_arrays(), meta, mode="warn", profiles=registry)
    assert report.profile == "count-intensity"
    assert missing(report) == [MASK_MISSING]


def test_a_profile_declaring_nphotons_takes_the_array_as_its_own_key():
    arrays = dict(valid_arrays(), nphotons=np.array([1e6]))
    assert "legacy-key" in check_arrays(arrays, valid_metadata(), mode="warn").rules()
    mine = derive_profile("mine", {"extends": "canonical", "keys": {"nphotons": {"ndim": 1}}})
    report = check_arrays(arrays, valid_metadata(), mode="warn", profile="mine",
                          profiles={**PROFILES, "mine": mine})
    assert report.findings == []
