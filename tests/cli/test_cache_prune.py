"""Pruning and clearing the lint cache: by age, by size (oldest first), stale formats and
temporaries, automatically at most hourly after a run that stores, and never deleting a
directory the cache did not create."""

from __future__ import annotations

import os
import time
from pathlib import Path

import clirun
import pytest

from pytest_npzcontract.physics.factory import write_dataset
from pytest_npzcontract.tools import cache_prune
from pytest_npzcontract.tools.cache import FORMAT


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("NPZCONTRACT_NO_CACHE", raising=False)
    for i in range(4):
        write_dataset(tmp_path / "data" / f"f{i}.npz", n_images=4, seed=i)
    return tmp_path


def entries(cache: Path) -> list[Path]:
    return sorted(p for p in (cache / f"v{FORMAT}").rglob("*.json"))


def age(path: Path, days: float) -> None:
    when = time.time() - days * 86400
    os.utime(path, (when, when))


def test_lint_fills_the_cache_and_prune_removes_old_entries(tree: Path):
    assert clirun.lint("--cache", "data", cwd=tree).exit_code == 0
    cache = tree / ".npzcontract_cache"
    found = entries(cache)
    assert len(found) == 4
    age(found[0], 40)
    age(found[1], 10)
    result = clirun.npzcontract("cache", "prune", cwd=tree)
    assert result.exit_code == 0, result.output
    assert "removed 1 entries" in result.output
    assert entries(cache) == found[1:]
    result = clirun.npzcontract("cache", "prune", "--max-age", "5", cwd=tree)
    assert "removed 1 entries" in result.output and entries(cache) == found[2:]
    # the next lint checks the two pruned files again and serves the other two
    payload = clirun.lint_json("--cache", "data", cwd=tree)
    assert payload["summary"]["cached"] == 2


def test_prune_by_size_removes_the_oldest_first(tree: Path):
    clirun.lint("--cache", "data", cwd=tree)
    cache = tree / ".npzcontract_cache"
    found = entries(cache)
    for days, path in zip((4, 3, 2, 1), found, strict=True):
        age(path, days)
    keep = sum(p.stat().st_size for p in found[2:])
    result = clirun.npzcontract("cache", "prune", "--max-size", str(keep), cwd=tree)
    assert result.exit_code == 0
    assert entries(cache) == found[2:]
    assert clirun.npzcontract("cache", "prune", "--max-size", "lots", cwd=tree).exit_code == 2


def test_stale_formats_and_temporaries_go(tree: Path):
    clirun.lint("--cache", "data", cwd=tree)
    cache = tree / ".npzcontract_cache"
    old = cache / "v0" / "ab" / "x.json"
    old.parent.mkdir(parents=True)
    old.write_text("{}")
    temporary = cache / f"v{FORMAT}" / ".tmp-123.json"
    temporary.write_text("{")
    age(temporary, 1)
    fresh = cache / f"v{FORMAT}" / ".tmp-456.json"
    fresh.write_text("{")  # a write in progress: kept
    result = cache_prune.prune(cache, max_size=1 << 30, max_age=30, current_format=FORMAT)
    assert result.removed == 2 and result.kept == 4
    assert not old.exists() and not (cache / "v0").exists()
    assert not temporary.exists() and fresh.exists()


def test_automatic_prune_is_at_most_hourly_and_uses_the_configured_limits(tree: Path):
    (tree / "pyproject.toml").write_text(
        "[tool.npzcontract]\ncache_max_size = \"1KiB\"\ncache_max_age = 7\n")
    clirun.lint("--cache", "data", cwd=tree)  # a new cache counts as just pruned
    cache = tree / ".npzcontract_cache"
    marker = cache / cache_prune.MARKER
    assert marker.exists()
    assert len(entries(cache)) == 4
    write_dataset(tree / "data" / "f4.npz", n_images=4, seed=9)
    clirun.lint("--cache", "data", cwd=tree)
    assert len(entries(cache)) == 5  # the marker is recent: no prune
    age(marker, 2 / 24)
    write_dataset(tree / "data" / "f5.npz", n_images=4, seed=10)
    clirun.lint("--cache", "data", cwd=tree)
    # pruned to 1 KiB (every older entry) before the new file's entry was written
    assert len(entries(cache)) == 1
    info = clirun.npzcontract("cache", "info", cwd=tree)
    assert "limits: 1.0 KiB, 7 days" in info.output


def test_clear_removes_only_a_real_cache(tree: Path):
    clirun.lint("--cache", "data", cwd=tree)
    result = clirun.npzcontract("cache", "clear", cwd=tree)
    assert result.exit_code == 0 and "4 entries removed" in result.output
    assert not (tree / ".npzcontract_cache").exists()
    precious = tree / "precious"
    precious.mkdir()
    (precious / "keep.txt").write_text("mine")
    result = clirun.npzcontract("cache", "clear", "--cache-dir", "precious", cwd=tree)
    assert result.exit_code == 2
    assert "is not an npzcontract cache" in result.stderr
    assert (precious / "keep.txt").read_text() == "mine"


def test_bad_limits_in_the_configuration_are_named(tree: Path):
    (tree / "pyproject.toml").write_text("[tool.npzcontract]\ncache_max_age = -1\n")
    result = clirun.lint("data", cwd=tree)
    assert result.exit_code == 2
    assert "cache_max_age" in result.stderr
