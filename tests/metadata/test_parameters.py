"""validate_parameters / check_parameters across configuration shapes and modes."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from types import SimpleNamespace

import pytest

from pytest_npzcontract import (
    ContractViolation,
    NpzContractWarning,
    ValidationMode,
    check_parameters,
    validate_parameters,
)

META = {"physics_parameters": {"nphotons": 1e6, "N": 64, "gridsize": 1}}


@dataclass
class Model:
    N: int = 64
    gridsize: int = 1


@dataclass
class Config:
    nphotons: float = 1e6
    model: Model = field(default_factory=Model)


@pytest.mark.parametrize("config", [
    {"nphotons": 1e6, "N": 64, "gridsize": 1},
    {"nphotons": 1e6, "model": {"N": 64, "gridsize": 1}},
    Config(),
    SimpleNamespace(nphotons=1e6, N=64),
    {"nphotons": 1e6 * (1 + 1e-9)},
    {},
])
def test_matching_configs(config):
    assert validate_parameters(META, config) == []


def test_mismatches_are_structured_and_name_both_values():
    found = validate_parameters(META, Config(nphotons=1e9, model=Model(N=128, gridsize=2)))
    assert [(m.name, m.dataset, m.config) for m in found] == [
        ("nphotons", 1e6, 1e9), ("N", 64, 128), ("gridsize", 1, 2)]
    assert str(found[0]) == "nphotons: dataset=1e+06, config=1e+09 (relative tolerance 1e-06)"
    assert str(found[1]) == "N: dataset=64, config=128 (must match exactly)"


def test_relative_tolerance_is_configurable():
    assert validate_parameters(META, {"nphotons": 1.01e6}, rtol=0.05) == []
    assert validate_parameters(META, {"nphotons": 1.01e6})


def test_strict_raises():
    with pytest.raises(ContractViolation) as info:
        check_parameters(META, {"nphotons": 1e9}, ValidationMode.STRICT, file="train.npz")
    assert info.value.rules == {"parameter-mismatch"}
    assert "train.npz: [nphotons] error parameter-mismatch" in str(info.value)
    with pytest.raises(ContractViolation, match="metadata-missing"):
        check_parameters(None, {"nphotons": 1e9}, "strict")


def test_warn_warns_and_continues():
    with pytest.warns(NpzContractWarning, match="nphotons: dataset=1e\\+06, config=1e\\+09") as rec:
        found = check_parameters(META, {"nphotons": 1e9}, "warn")
    assert [m.name for m in found] == ["nphotons"]
    assert rec[0].filename == __file__  # the warning points at the caller
    with pytest.warns(NpzContractWarning, match="no metadata"):
        assert check_parameters(None, {"nphotons": 1e9}, "WARN") == []


def test_permissive_is_silent():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert check_parameters(META, {"nphotons": 1e9}, "permissive") == []
        assert check_parameters(None, {"nphotons": 1e9}, "permissive") == []


def test_unknown_mode_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown validation mode 'lenient'"):
        check_parameters(META, {}, "lenient")
