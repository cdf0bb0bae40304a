"""``npzcontract init`` on a legacy tree: raw, train, canonical and count folders, a legacy
file, and .npz files that are not datasets."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from clirun import lint, npzcontract

from pytest_npzcontract.contract.config import load_settings
from pytest_npzcontract.physics.factory import write_dataset
from pytest_npzcontract.tools.init_plan import propose

EXPECTED = {"data/canonical/**": "canonical", "data/counts/**": "count-intensity",
            "data/raw/**": "raw", "data/train/**": "train"}


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    for i in range(2):
        write_dataset(tmp_path / f"data/raw/scan{i}.npz", n_images=4, profile="raw", seed=i)
        write_dataset(tmp_path / f"data/train/set{i}.npz", n_images=4, profile="train",
                      seed=10 + i)
        write_dataset(tmp_path / f"data/canonical/c{i}.npz", n_images=4, seed=20 + i)
    write_dataset(tmp_path / "data/counts/k0.npz", n_images=4, profile="count-intensity",
                  seed=30)
    write_dataset(tmp_path / "data/raw/old.npz", n_images=4, nphotons=1e5,
                  legacy=["uint16", "diff3d"], metadata=False, seed=40)
    (tmp_path / "tests/fixtures").mkdir(parents=True)
    (tmp_path / "models").mkdir()
    np.savez(tmp_path / "tests/fixtures/losses.npz", loss=np.zeros(10))
    np.savez(tmp_path / "tests/fixtures/expected.npz", out=np.ones((2, 2)))
    np.savez(tmp_path / "models/weights.npz", **{"dense/kernel": np.ones((3, 3))})
    return tmp_path


def test_proposal_picks_each_folders_profile_and_excludes_non_datasets(tree: Path):
    proposal = propose(tree)
    assert proposal.profiles == EXPECTED
    assert proposal.excluded == ["models/**", "tests/fixtures/**"]
    assert sorted(proposal.non_datasets) == ["models/weights.npz", "tests/fixtures/expected.npz",
                                            "tests/fixtures/losses.npz"]
    raw = next(c for c in proposal.folders if c.folder == "data/raw")
    assert raw.passing["raw"] == 2 and len(raw.files) == 3  # the legacy file fails everywhere


def test_a_mixed_folder_excludes_its_non_datasets_one_by_one(tree: Path):
    np.savez(tree / "data/train/loss_curve.npz", loss=np.zeros(5))
    proposal = propose(tree)
    assert "data/train/loss_curve.npz" in proposal.excluded
    assert proposal.profiles["data/train/**"] == "train"


def test_dry_run_prints_the_table_and_the_hook_and_writes_nothing(tree: Path):
    result = npzcontract("init", "--dry-run", tree, cwd=tree)
    assert result.exit_code == 0, result.output
    assert "data/raw: raw (2 of 3 pass;" in result.stdout
    assert 'exclude = ["models/**", "tests/fixtures/**"]' in result.stdout
    assert '"data/train/**" = "train"' in result.stdout
    assert "id: npz-contract" in result.stdout
    assert "still failing under the proposal: 1 of 8 file(s)" in result.stdout
    assert "data/raw/old.npz: [diff3d] error bad-dtype" in result.stdout
    assert not (tree / "pyproject.toml").exists()
    assert not (tree / ".pre-commit-config.yaml").exists()


def test_init_writes_configuration_hook_and_baseline_and_lint_then_passes(tree: Path):
    (tree / "pyproject.toml").write_text('[project]\nname = "lab-data"\n')
    result = npzcontract("init", "--baseline", "npzcontract-baseline.json", cwd=tree)
    assert result.exit_code == 0, result.output
    assert "wrote [tool.npzcontract] to pyproject.toml" in result.stdout
    assert "wrote npzcontract-baseline.json" in result.stdout
    settings = load_settings(cwd=tree)
    assert dict(settings.profiles) == EXPECTED
    assert settings.exclude == ("models/**", "tests/fixtures/**")
    assert settings.baseline == "npzcontract-baseline.json"
    assert (tree / "pyproject.toml").read_text().startswith('[project]\nname = "lab-data"\n')
    hooks = yaml.safe_load((tree / ".pre-commit-config.yaml").read_text())["repos"]
    assert hooks[0]["repo"] == "local" and hooks[0]["hooks"][0]["id"] == "npz-contract"
    gate = lint(".", cwd=tree)
    assert gate.exit_code == 0, gate.output
    assert "8 files checked: 8 passed" in gate.stdout and "baselined" in gate.stdout
    again = npzcontract("init", cwd=tree)
    assert again.exit_code == 2
    assert again.stderr == ("npzcontract: error: pyproject.toml already has a [tool.npzcontract] "
                            "table; remove it first, or see the proposal with --dry-run\n")


def test_init_adds_the_hook_to_an_existing_pre_commit_configuration(tree: Path):
    config = tree / ".pre-commit-config.yaml"
    config.write_text("repos:\n  - repo: https://github.com/astral-sh/ruff-pre-commit\n"
                      "    rev: v0.6.0\n    hooks:\n      - id: ruff\n")
    result = npzcontract("init", "--hook-repo", "https://example.org/npzcontract",
                         "--hook-rev", "v3.0.0", cwd=tree)
    assert "added the npz-contract hook to .pre-commit-config.yaml" in result.stdout
    repos = yaml.safe_load(config.read_text())["repos"]
    assert [r["repo"] for r in repos] == ["https://github.com/astral-sh/ruff-pre-commit",
                                         "https://example.org/npzcontract"]
    assert repos[1]["rev"] == "v3.0.0"
    (tree / "pyproject.toml").unlink()
    assert "already runs npz-contract" in npzcontract("init", cwd=tree).stdout


@pytest.mark.slow
def test_the_hook_init_writes_runs_in_pre_commit(tree: Path):
    import os

    bin_dir = Path(sys.executable).parent
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "PRE_COMMIT"))}
    env.update(HOME=str(tree), GIT_CONFIG_NOSYSTEM="1", PRE_COMMIT_HOME=str(tree / ".cache"),
               PATH=f"{bin_dir}{os.pathsep}{env['PATH']}")

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(args, cwd=tree, env=env, capture_output=True, text=True,
                              timeout=600)

    run("git", "init", "-q", "-b", "main")
    assert npzcontract("init", "--baseline", "known.json", cwd=tree).exit_code == 0
    run("git", "add", "-A")
    passed = run(str(bin_dir / "pre-commit"), "run", "--all-files")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    np.savez(tree / "data/train/new.npz", diff3d=np.ones((2, 64, 64), np.float32))
    run("git", "add", "-A")
    failed = run(str(bin_dir / "pre-commit"), "run", "--all-files")
    assert failed.returncode == 1
    assert "data/train/new.npz: [probeGuess] error missing-key" in failed.stdout
