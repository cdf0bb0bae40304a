"""An unknown rule id is refused with the closest known id, or, when none is close, the whole
list of known ids in table order; ids that are no string are refused too."""

from __future__ import annotations

import pytest

from pytest_npzcontract.contract.rules import RULES, check_rule_id

KNOWN = ", ".join(RULES)


@pytest.mark.parametrize("rule, message", [
    ("legacy-keys", "unknown rule id 'legacy-keys' (did you mean 'legacy-key'?)"),
    ("non-finit", "unknown rule id 'non-finit' (did you mean 'non-finite'?)"),
    ("zzzz", f"unknown rule id 'zzzz' (known: {KNOWN})"),
    (3, f"unknown rule id 3 (known: {KNOWN})"),
])
def test_unknown_ids_are_refused_with_a_suggestion_or_the_list(rule, message):
    with pytest.raises(ValueError) as info:
        check_rule_id(rule)
    assert str(info.value) == message


def test_the_known_list_is_the_table_in_order():
    assert KNOWN.startswith("unreadable, unsafe-object-array, resource-limit, missing-key, ")
    assert KNOWN.endswith(", mixed-dose, scale-contract")
    assert all(check_rule_id(rule) == rule for rule in RULES)
