"""The documentation's rule table must say what the code does."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
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


def test_readme_first_command_lints_the_bundled_fixtures_cleanly(tmp_path):
    """The lint half of the README's first command, in a copy of the checkout's layout."""
    main_job, _ = _readme_commands()
    lint = main_job.split("&&")[-1].strip()
    assert lint.startswith("npzcontract lint ")
    root = DOCS.parent
    shutil.copytree(root / "fixtures", tmp_path / "fixtures")
    shutil.copy(root / "pyproject.toml", tmp_path / "pyproject.toml")
    env = {**os.environ, "PYTHONPATH": str(root),
           "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]])}
    result = subprocess.run(lint, shell=True, cwd=tmp_path, env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "6 files checked: 6 passed, 0 failed; 0 errors" in result.stdout


def test_contract_profile_table_matches_the_profiles_in_code():
    from pytest_npzcontract.contract.profiles import PROFILES

    rows = {}
    for line in (DOCS / "contract.md").read_text().splitlines():
        m = re.match(r"\| `([a-z-]+)` \| PtychoPINN [^|]+ \| ([^|]+) \|", line)
        if m:
            rows[m.group(1)] = set(re.findall(r"`(\w+)`", m.group(2)))
    assert list(rows) == list(PROFILES)
    for name, required in rows.items():
        assert required == set(PROFILES[name].required), name
