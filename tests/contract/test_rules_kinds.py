"""A finding may carry another kind than its rule's: the shape-and-range heuristic of the
policy rule ``intensity-not-amplitude`` is advisory, so it warns in STRICT and is info (not
off) in PERMISSIVE; an override still wins over either kind."""

from __future__ import annotations

import pytest

from pytest_npzcontract.contract.rules import RULES, resolve_level

RULE = "intensity-not-amplitude"


@pytest.mark.parametrize("mode, as_policy, as_advisory", [
    ("strict", "error", "warning"), ("warn", "warning", "warning"),
    ("permissive", "off", "info")])
def test_a_findings_own_kind_sets_its_level(mode, as_policy, as_advisory):
    assert RULES[RULE].kind == "policy"
    assert resolve_level(RULE, mode) == as_policy
    assert resolve_level(RULE, mode, None, "advisory") == as_advisory
    assert resolve_level(RULE, mode, {RULE: "error"}, "advisory") == "error"
