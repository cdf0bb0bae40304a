"""The sample datasets in ``fixtures/``: reproducible, small, and each folder what it claims."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from pytest_npzcontract.cli import cli
from pytest_npzcontract.contract.checker import check_file

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"
PWNED = "npzcontract-fixture-PWNED.txt"


def test_the_script_regenerates_every_fixture_byte_for_byte(tmp_path: Path):
    result = subprocess.run([sys.executable, str(FIXTURES / "make_fixtures.py"), str(tmp_path)],
                            capture_output=True, text=True, check=True, timeout=300)
    assert result.stdout.startswith("wrote 12 files (")
    committed = sorted(p.relative_to(FIXTURES) for p in FIXTURES.glob("*/*.npz"))
    regenerated = sorted(p.relative_to(tmp_path) for p in tmp_path.glob("*/*.npz"))
    assert regenerated == committed
    for rel in committed:
        assert (tmp_path / rel).read_bytes() == (FIXTURES / rel).read_bytes(), rel


def test_fixtures_stay_small():
    sizes = {p.parent.name: 0 for p in FIXTURES.glob("*/*.npz")}
    for path in FIXTURES.glob("*/*.npz"):
        sizes[path.parent.name] += path.stat().st_size
    assert sizes["valid"] < 1 << 20
    assert sum(sizes.values()) < 3 << 20  # N=64 frames: the smallest size the model accepts


def test_valid_fixtures_are_clean_in_strict_mode():
    for path in sorted((FIXTURES / "valid").glob("*.npz")):
        report = check_file(path, mode="strict", config={"nphotons": 1e6, "N": 64})
        assert report.findings == [], path


def test_legacy_fixtures_fail_strict_with_policy_rules_and_pass_warn():
    for path in sorted((FIXTURES / "legacy").glob("*.npz")):
        strict = check_file(path, mode="strict")
        assert strict.rules("error") and strict.rules("error") <= {
            "legacy-key", "pickled-metadata", "metadata-missing"}, path
        assert check_file(path, mode="warn").ok, path


def test_the_hostile_pickle_is_never_executed(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    hostile = str(FIXTURES / "broken" / "hostile_pickle.npz")
    runner = CliRunner()
    for args in (["lint", "--no-config", hostile], ["show", hostile],
                 ["migrate", "--dry-run", hostile]):
        result = runner.invoke(cli, args)
        assert result.exit_code == 1, args
        assert "refused global" in result.output, args
    assert not (tmp_path / PWNED).exists()
    assert not (ROOT / PWNED).exists()
