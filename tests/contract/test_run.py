"""contract/run.py's Run: the profile it starts with, rule levels, and each finding's
severity and hint."""

from __future__ import annotations

import pytest

from pytest_npzcontract.contract.dose import DEFAULT_FACTOR
from pytest_npzcontract.contract.profiles import PROFILES, derive_profile
from pytest_npzcontract.contract.rules import RULES
from pytest_npzcontract.contract.run import Array, Run


def test_the_profile_comes_from_contract_then_profile_name():
    assert Run("f", "strict", None, None, None, None).contract is None
    assert Run("f", "strict", None, "raw", None, None).contract is PROFILES["raw"]
    mine = derive_profile("mine", {"extends": "train"})
    assert Run("f", "strict", None, "raw", mine, None).contract is mine
    assert Run("f", "strict", None, "mine", None, {"mine": mine}).contract is mine
    run = Run("f", "strict", None, None, None, None)
    assert run.profiles is PROFILES and run.nphotons_factor == DEFAULT_FACTOR
    assert run.broken == set() and run.transposed == set()
    with pytest.raises(ValueError, match="unknown profile 'mine'"):
        Run("f", "strict", None, "mine", None, None)


def test_findings_carry_the_level_and_the_rules_fix_unless_given():
    run = Run("f.npz", "warn", {"non-finite": "off", "legacy-key": "info"}, None, None, None)
    run.add("non-finite", "k", "nan")                       # switched off
    run.add("legacy-key", "k", "old")                        # overridden
    run.add("bad-dtype", "k", "wide")                        # structural: error in every mode
    run.add("not-normalized", "k", "big", hint="")           # an empty hint stays empty
    run.add("missing-key", None, "gone", hint="write it", severity="warning")
    assert [(f.file, f.key, f.rule, f.severity, f.message, f.hint) for f in
            run.report.findings] == [
        ("f.npz", "k", "legacy-key", "info", "old", RULES["legacy-key"].fix),
        ("f.npz", "k", "bad-dtype", "error", "wide", RULES["bad-dtype"].fix),
        ("f.npz", "k", "not-normalized", "warning", "big", ""),
        ("f.npz", None, "missing-key", "warning", "gone", "write it")]
    assert run.report.file == "f.npz"


def test_arrays_know_their_ndim():
    assert Array("k", (2, 3, 4), None, 0, lambda: iter(())).ndim == 3
    assert Array("k", (), None, 0, lambda: iter(())).fortran is False
