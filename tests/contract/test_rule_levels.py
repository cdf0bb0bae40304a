"""The rule table's levels: each kind's level in each mode, overrides, the words of a bad
override, and the fix lines printed under findings."""

from __future__ import annotations

import pytest

from pytest_npzcontract.base.report import Finding
from pytest_npzcontract.contract.rules import (
    LEVELS,
    RULES,
    default_level,
    fix_lines,
    resolve_level,
    validate_overrides,
)


@pytest.mark.parametrize("rule, levels", [
    ("unreadable", ("error", "error", "error")),
    ("legacy-key", ("error", "warning", "off")),
    ("not-normalized", ("warning", "warning", "info")),
])
def test_each_kind_has_its_level_in_each_mode(rule, levels):
    assert tuple(default_level(rule, m) for m in ("strict", "warn", "permissive")) == levels
    assert tuple(resolve_level(rule, m) for m in ("STRICT", "Warn", "permissive")) == levels


def test_overrides_win_only_for_their_rule():
    overrides = {"legacy-key": "info"}
    assert resolve_level("legacy-key", "strict", overrides) == "info"
    assert resolve_level("missing-key", "strict", overrides) == "error"
    assert resolve_level("legacy-key", "strict", {}) == "error"
    assert resolve_level("legacy-key", "warn", None) == "warning"


def test_overrides_are_checked_and_lowered():
    assert validate_overrides({"legacy-key": "OFF", "non-finite": "Warning"}) == \
        {"legacy-key": "off", "non-finite": "warning"}
    assert validate_overrides(None) == {} and validate_overrides({}) == {}
    with pytest.raises(ValueError) as info:
        validate_overrides({"legacy-key": "off", "no-such-rule": "off"})
    assert str(info.value) == f"unknown rule id 'no-such-rule' (known: {', '.join(RULES)})"
    with pytest.raises(ValueError) as info:
        validate_overrides({"legacy-key": "Loud"})
    assert str(info.value) == ("rule 'legacy-key': level must be one of ('error', 'warning', "
                               "'info', 'off'), not 'loud'")
    assert LEVELS == ("error", "warning", "info", "off")


def f(rule, severity="error", hint=""):
    return Finding("x.npz", "k", rule, severity, "m", hint)


def test_fix_lines_give_each_distinct_hint_once():
    assert fix_lines([f("legacy-key", hint="run migrate"), f("legacy-key", hint="run migrate")]) \
        == ["fix legacy-key: run migrate"]
    assert fix_lines([f("legacy-key", hint="a"), f("legacy-key", hint="b")]) == \
        ["fix legacy-key: a", "fix legacy-key: b"]
    assert fix_lines([f("legacy-key", hint="a"), f("legacy-key", hint="")]) == \
        ["fix legacy-key: a", f"fix legacy-key: {RULES['legacy-key'].fix}"]
    assert fix_lines([f("bad-ndim"), f("not-normalized", "warning", "scale it"),
                      f("non-finite", "info", "x")]) == \
        [f"fix bad-ndim: {RULES['bad-ndim'].fix}", "fix not-normalized: scale it"]
    assert fix_lines([f("made-up-rule")]) == []
    assert fix_lines([f("made-up-rule", hint="do this")]) == ["fix made-up-rule: do this"]
    assert fix_lines([f("legacy-key", hint="two\nlines")]) == ["fix legacy-key: two\\nlines"]
    assert fix_lines([]) == []
