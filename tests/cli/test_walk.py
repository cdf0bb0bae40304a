"""Directory walks honour .gitignore (pathspec), and ``--shard K/N`` partitions the files."""

from __future__ import annotations

import json
from pathlib import Path

import clirun
import pytest
from click.testing import CliRunner

from pytest_npzcontract.cli import cli
from pytest_npzcontract.contract.config import Settings
from pytest_npzcontract.tools.walk import Shard, collect_files

MINIMAL = b"PK\x05\x06" + b"\x00" * 18  # an empty zip: a cheap file to walk over


def make(root: Path, *names: str) -> None:
    for name in names:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(MINIMAL)


def linted(*args: str) -> list[str]:
    return sorted(f["file"] for f in clirun.lint_json(*args, config=False)["files"])


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".git").mkdir()
    (tmp_path / ".gitignore").write_text("scratch/\n*.tmp.npz\n!keep.tmp.npz\n/top_only.npz\n")
    (tmp_path / "data" / "sub").mkdir(parents=True)
    (tmp_path / "data" / "sub" / ".gitignore").write_text("local.npz\n")
    make(tmp_path, "a.npz", "top_only.npz", "data/top_only.npz", "scratch/x.npz",
         "data/scratch/y.npz", "data/x.tmp.npz", "data/keep.tmp.npz", "data/sub/local.npz",
         "data/local.npz", "data/sub/b.npz")
    return tmp_path


def test_gitignored_files_and_directories_are_not_checked(repo: Path):
    assert linted(".") == ["a.npz", "data/keep.tmp.npz", "data/local.npz",
                           "data/sub/b.npz", "data/top_only.npz"]


def test_gitignore_files_above_the_walked_directory_apply(repo: Path):
    assert linted("data") == ["data/keep.tmp.npz", "data/local.npz", "data/sub/b.npz",
                              "data/top_only.npz"]
    assert linted("data/sub") == ["data/sub/b.npz"]


def test_no_respect_gitignore_walks_everything(repo: Path):
    assert len(linted("--no-respect-gitignore", ".")) == 10


def test_respect_gitignore_can_be_configured(repo: Path):
    (repo / "pyproject.toml").write_text("[tool.npzcontract]\nrespect_gitignore = false\n")
    result = CliRunner().invoke(cli, ["lint", "--format", "json", "."])
    assert len(json.loads(result.stdout)["files"]) == 10


def test_a_named_file_is_checked_even_if_ignored(repo: Path):
    assert linted("data/x.tmp.npz") == ["data/x.tmp.npz"]


def test_outside_a_repository_only_the_trees_own_gitignore_counts(tmp_path: Path,
                                                                  monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".gitignore").write_text("*.npz\n")
    make(tmp_path, "tree/a.npz", "tree/b.npz")
    (tmp_path / "tree" / ".gitignore").write_text("b.npz\n")
    files, _ = collect_files(["tree"], Settings(root=tmp_path))
    assert files == ["tree/a.npz"]


def test_exclude_globs_use_gitignore_semantics_with_negation(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    make(tmp_path, "runs/a.npz", "runs/b.npz", "runs/deep/c.npz")
    files, _ = collect_files(["."], Settings(root=tmp_path, exclude=("runs/**", "!runs/b.npz")))
    assert files == ["runs/b.npz"]


def test_shards_partition_the_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    make(tmp_path, *(f"d{i % 4}/f{i}.npz" for i in range(40)))
    everything = linted(".")
    shards = [linted("--shard", f"{k}/3", ".") for k in (1, 2, 3)]
    assert sorted(sum(shards, [])) == everything
    assert len(set(sum(shards, []))) == 40
    assert all(shards), "each of 3 shards of 40 files gets some"
    assert linted("--shard", "1/1", ".") == everything


def test_shards_are_stable_as_files_are_added(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    make(tmp_path, *(f"f{i}.npz" for i in range(20)))
    before = {k: set(linted("--shard", f"{k}/4", ".")) for k in range(1, 5)}
    make(tmp_path, *(f"new/g{i}.npz" for i in range(20)))
    after = {k: set(linted("--shard", f"{k}/4", ".")) for k in range(1, 5)}
    for k in range(1, 5):
        assert before[k] <= after[k]


def test_shard_depends_on_the_path_from_the_root_not_the_argument(tmp_path: Path):
    settings = Settings(root=tmp_path)
    shard = Shard.parse("2/5")
    for name in ("a.npz", "x/y/z.npz"):
        assert shard.owns(settings.relative(tmp_path / name)) == shard.owns(name)


@pytest.mark.parametrize("text", ["0/3", "4/3", "x", "1/0", "1-3", "/"])
def test_bad_shard_is_a_usage_error(tmp_path: Path, monkeypatch, text: str):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["lint", "--no-config", "--shard", text, "."])
    assert result.exit_code == 2
    assert result.stderr.startswith("npzcontract: error: --shard:")
    assert len(result.stderr.splitlines()) == 1
