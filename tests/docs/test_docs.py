"""The documentation's rule table must say what the code does."""

from __future__ import annotations

import re
from pathlib import Path

from pytest_npzcontract.contract.rules import RULES, default_level

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_contract_rule_table_matches_the_rule_table_in_code():
    rows = {}
    for line in (DOCS / "contract.md").read_text().splitlines():
        m = re.match(r"\| `([a-z-]+)` \| (\w+) \| (\w+) \| (\w+) \| (\w+) \|", line)
        if m and m.group(1) in RULES:
            rows[m.group(1)] = m.groups()[1:]
    assert set(rows) == set(RULES)
    for rule, (kind, strict, warn, permissive) in rows.items():
        assert kind == RULES[rule].kind, rule
        assert (strict, warn, permissive) == tuple(
            default_level(rule, m) for m in ("strict", "warn", "permissive")), rule


def _readme_commands() -> list[str]:
    text = (DOCS.parent / "README.md").read_text()
    return re.findall(r"```bash\n(.+?)\n```", text)[:2]


def test_readme_opens_with_the_two_commands_and_ci_runs_the_test_one():
    main_job, tests = _readme_commands()
    assert "pip install -e ." in main_job and "npzcontract lint" in main_job
    assert "fixtures/valid" in main_job
    assert tests.endswith("pytest")
    assert tests in (DOCS.parent / ".ci" / "run").read_text()
