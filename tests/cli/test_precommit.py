"""The pre-commit hook and the plain git hook, run for real in temporary git repositories.

The slow tests install the hook with pre-commit from a snapshot of this checkout (tracked and
untracked files, as they are on disk), so they test the working tree, not the last commit.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from pytest_npzcontract.cli import cli

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"
BIN = Path(sys.executable).parent
PRE_COMMIT = BIN / "pre-commit"
VALID = FIXTURES / "valid" / "sim_train.npz"
BROKEN = FIXTURES / "broken" / "missing_probe.npz"


def git_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "PRE_COMMIT"))}
    env.update(HOME=str(home), GIT_CONFIG_NOSYSTEM="1", GIT_AUTHOR_NAME="t",
               GIT_AUTHOR_EMAIL="t@example.com", GIT_COMMITTER_NAME="t",
               GIT_COMMITTER_EMAIL="t@example.com", PATH=f"{BIN}{os.pathsep}{env['PATH']}")
    return env


def sh(*args: str | Path, cwd: Path, env: dict[str, str], check: bool = True,
       timeout: float = 120) -> subprocess.CompletedProcess:
    result = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True,
                            text=True, timeout=timeout)
    if check and result.returncode:
        raise AssertionError(f"{args} failed:\n{result.stdout}\n{result.stderr}")
    return result


def new_repo(path: Path, env: dict[str, str]) -> Path:
    path.mkdir(parents=True)
    sh("git", "init", "-q", "-b", "main", cwd=path, env=env)
    return path


def commit(repo: Path, env: dict[str, str], *files: str) -> subprocess.CompletedProcess:
    sh("git", "add", "--", *files, cwd=repo, env=env)
    return sh("git", "commit", "-q", "-m", "add data", cwd=repo, env=env, check=False,
              timeout=900)


def test_manifest_publishes_the_npz_contract_hook():
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "npz-contract"
    assert (hook["entry"], hook["language"], hook["types"]) == (
        "npzcontract lint", "python", ["file"])
    assert hook["require_serial"] is False
    pattern = re.compile(hook["files"])
    assert pattern.search("data/train.npz") and pattern.search("x.npz")
    assert not pattern.search("train.npz.bak") and not pattern.search("train.npy")
    args = hook["entry"].split()[1:]
    assert CliRunner().invoke(cli, [*args, "--no-config", str(VALID)]).exit_code == 0


def test_project_config_runs_ruff_and_lints_only_the_passing_fixtures():
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    hooks = {h["id"]: h for repo in config["repos"] for h in repo["hooks"]}
    assert set(hooks) == {"ruff", "npz-contract", "npz-contract-legacy"}
    every = [p.relative_to(ROOT).as_posix() for p in FIXTURES.glob("*/*.npz")]
    for hook_id, folder in (("npz-contract", "valid"), ("npz-contract-legacy", "legacy")):
        chosen = [p for p in every if re.search(hooks[hook_id]["files"], p)]
        assert chosen and all(p.startswith(f"fixtures/{folder}/") for p in chosen)
        args = hooks[hook_id]["entry"].split()[1:]
        result = CliRunner().invoke(cli, [*args, "--no-config", *(str(ROOT / p)
                                                                  for p in chosen)])
        assert result.exit_code == 0, result.output


def test_lint_gives_the_same_findings_when_the_file_list_is_split():
    files = sorted(str(p) for p in FIXTURES.glob("*/*.npz"))
    whole = CliRunner().invoke(cli, ["lint", "--no-config", *files])
    halves = [CliRunner().invoke(cli, ["lint", "--no-config", *part])
              for part in (files[::2], files[1::2])]

    def findings(text: str) -> set[str]:
        return {line for line in text.splitlines() if line.startswith("/")}

    assert findings(whole.stdout) == findings(halves[0].stdout) | findings(halves[1].stdout)
    assert whole.exit_code == max(h.exit_code for h in halves) == 1


def test_plain_git_hook_blocks_staged_broken_data(tmp_path: Path):
    env = git_env(tmp_path)
    repo = new_repo(tmp_path / "repo", env)
    shutil.copy(ROOT / "hooks" / "pre-commit", repo / ".git" / "hooks" / "pre-commit")
    shutil.copy(VALID, repo / "good.npz")
    shutil.copy(BROKEN, repo / "data.npz")
    blocked = commit(repo, env, "data.npz")
    assert blocked.returncode == 1
    assert "data.npz: [probeGuess] error missing-key" in blocked.stderr
    assert "commit blocked" in blocked.stderr
    # The staged version is checked, not the working tree: fixing only the file on disk
    # does not unblock the commit.
    shutil.copy(VALID, repo / "data.npz")
    still = sh("git", "commit", "-q", "-m", "x", cwd=repo, env=env, check=False)
    assert still.returncode == 1 and "missing-key" in still.stderr
    assert commit(repo, env, "data.npz", "good.npz").returncode == 0
    log = sh("git", "log", "--name-only", "--format=", cwd=repo, env=env).stdout.split()
    assert sorted(log) == ["data.npz", "good.npz"]


def test_plain_git_hook_reads_the_staged_configuration(tmp_path: Path):
    env = git_env(tmp_path)
    repo = new_repo(tmp_path / "repo", env)
    shutil.copy(ROOT / "hooks" / "pre-commit", repo / ".git" / "hooks" / "pre-commit")
    shutil.copy(FIXTURES / "legacy" / "reference_sim.npz", repo / "old.npz")
    (repo / "pyproject.toml").write_text('[tool.npzcontract]\nmode = "warn"\n')
    sh("git", "add", "pyproject.toml", cwd=repo, env=env)
    result = commit(repo, env, "old.npz")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "old.npz: [Y] warning legacy-key" in result.stderr


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory) -> tuple[Path, str, dict[str, str]]:
    """This checkout as it is on disk, committed in a scratch repository: (path, sha, env)."""
    return make_snapshot(tmp_path_factory.mktemp("precommit"))


def make_snapshot(base: Path) -> tuple[Path, str, dict[str, str]]:
    """Commit this checkout, as it is on disk, in a scratch repository under ``base``."""
    env = git_env(base)
    env["PRE_COMMIT_HOME"] = str(base / "cache")
    listed = sh("git", "ls-files", "-z", "--cached", "--others", "--exclude-standard",
                cwd=ROOT, env=env).stdout.split("\0")
    repo = new_repo(base / "snapshot", env)
    for rel in filter(None, listed):
        source = ROOT / rel
        if source.is_file():
            (repo / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, repo / rel)
    sh("git", "add", "-A", cwd=repo, env=env)
    sh("git", "commit", "-q", "-m", "snapshot", cwd=repo, env=env)
    sha = sh("git", "rev-parse", "HEAD", cwd=repo, env=env).stdout.strip()
    return repo, sha, env


def data_repo(path: Path, env: dict[str, str]) -> Path:
    repo = new_repo(path, env)
    shutil.copy(VALID, repo / "train.npz")
    shutil.copy(BROKEN, repo / "broken.npz")
    return repo


@pytest.mark.slow
def test_try_repo_passes_valid_and_blocks_broken_data(snapshot, tmp_path: Path):
    source, _, env = snapshot
    repo = data_repo(tmp_path / "data", env)
    sh("git", "add", "-A", cwd=repo, env=env)
    ok = sh(PRE_COMMIT, "try-repo", source, "npz-contract", "--files", "train.npz",
            cwd=repo, env=env, check=False, timeout=900)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert re.search(r"NPZ data contract \(DATA-001\)\.+Passed", ok.stdout)
    bad = sh(PRE_COMMIT, "try-repo", source, "npz-contract", "--files", "broken.npz",
             "train.npz", cwd=repo, env=env, check=False, timeout=900)
    assert bad.returncode == 1
    assert re.search(r"NPZ data contract \(DATA-001\)\.+Failed", bad.stdout)
    assert "broken.npz: [probeGuess] error missing-key" in bad.stdout


@pytest.mark.slow
def test_installed_hook_blocks_a_commit_of_broken_data(snapshot, tmp_path: Path):
    source, sha, env = snapshot
    repo = data_repo(tmp_path / "data", env)
    (repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {source}\n    rev: {sha}\n    hooks:\n      - id: npz-contract\n")
    sh(PRE_COMMIT, "install", cwd=repo, env=env)
    sh("git", "add", ".pre-commit-config.yaml", cwd=repo, env=env)
    blocked = commit(repo, env, "broken.npz")
    assert blocked.returncode == 1
    assert "broken.npz: [probeGuess] error missing-key" in blocked.stdout + blocked.stderr
    sh("git", "rm", "-q", "--cached", "broken.npz", cwd=repo, env=env)
    passed = commit(repo, env, "train.npz")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert re.search(r"NPZ data contract \(DATA-001\)\.+Passed", passed.stdout + passed.stderr)


@pytest.mark.slow
def test_warn_mode_warnings_reach_the_committer_without_verbose(snapshot, tmp_path: Path):
    """In WARN mode a legacy file passes, and its warnings are printed to the committer:
    the published hook is ``verbose: true``, so no ``--verbose`` is needed."""
    source, sha, env = snapshot
    repo = new_repo(tmp_path / "data", env)
    shutil.copy(FIXTURES / "legacy" / "reference_sim.npz", repo / "sim.npz")
    (repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {source}\n    rev: {sha}\n    hooks:\n      - id: npz-contract\n"
        "        args: [--mode, warn]\n")
    sh(PRE_COMMIT, "install", cwd=repo, env=env)
    sh("git", "add", ".pre-commit-config.yaml", cwd=repo, env=env)
    result = commit(repo, env, "sim.npz")
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert re.search(r"NPZ data contract \(DATA-001\)\.+Passed", out)
    assert "sim.npz: [_metadata] warning pickled-metadata" in out
    assert "1 file checked: 1 passed, 0 failed; 0 errors, 2 warnings" in out


@pytest.mark.slow
def test_the_projects_own_config_lints_its_fixtures(snapshot):
    source, _, env = snapshot
    for hook_id in ("npz-contract", "npz-contract-legacy"):
        result = sh(PRE_COMMIT, "run", hook_id, "--all-files", cwd=source, env=env,
                    check=False, timeout=300)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "Passed" in result.stdout


@pytest.mark.slow
def test_installed_hook_with_a_baseline_passes_known_legacy_data_and_blocks_new_defects(
        snapshot, tmp_path: Path):
    source, sha, env = snapshot
    repo = new_repo(tmp_path / "data", env)
    shutil.copy(FIXTURES / "legacy" / "raw_diff3d_uint16.npz", repo / "old.npz")
    (repo / "pyproject.toml").write_text(
        '[tool.npzcontract]\nbaseline = "npzcontract-baseline.json"\n')
    (repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {source}\n    rev: {sha}\n    hooks:\n      - id: npz-contract\n")
    sh(BIN / "npzcontract", "lint", "--update-baseline", ".", cwd=repo, env=env)
    sh(PRE_COMMIT, "install", cwd=repo, env=env)
    legacy = commit(repo, env, ".pre-commit-config.yaml", "pyproject.toml",
                    "npzcontract-baseline.json", "old.npz")
    assert legacy.returncode == 0, legacy.stdout + legacy.stderr
    assert re.search(r"NPZ data contract \(DATA-001\)\.+Passed", legacy.stdout + legacy.stderr)
    # The legacy file changed (recompressed: other bytes) with the same findings still passes.
    import numpy as np

    with np.load(repo / "old.npz") as loaded:
        arrays = dict(loaded)
    before = (repo / "old.npz").read_bytes()
    np.savez_compressed(repo / "old.npz", **arrays)
    assert (repo / "old.npz").read_bytes() != before
    shutil.copy(VALID, repo / "train.npz")
    touched = commit(repo, env, "old.npz", "train.npz")
    assert touched.returncode == 0, touched.stdout + touched.stderr
    # A new broken file fails; the known findings of the legacy file do not appear.
    shutil.copy(FIXTURES / "legacy" / "raw_diff3d_uint16.npz", repo / "new.npz")
    shutil.copy(BROKEN, repo / "broken.npz")
    blocked = commit(repo, env, "new.npz", "broken.npz")
    out = blocked.stdout + blocked.stderr
    assert blocked.returncode == 1
    assert "new.npz: [diff3d] error legacy-key" in out
    assert "broken.npz: [probeGuess] error missing-key" in out
    assert "old.npz" not in out
