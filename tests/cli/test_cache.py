"""The lint cache: hits on a second run, a miss whenever an input that decides a verdict
changes (content, settings, contract, version), corrupt entries, concurrency, opting out."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import clirun
import numpy as np
import pytest
from click.testing import CliRunner

from pytest_npzcontract import _version
from pytest_npzcontract.cli import cli
from pytest_npzcontract.contract.checker import check_file
from pytest_npzcontract.contract.config import Settings
from pytest_npzcontract.physics.factory import write_dataset
from pytest_npzcontract.tools.cache import FORMAT, LintCache

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("NPZCONTRACT_NO_CACHE", raising=False)
    monkeypatch.chdir(tmp_path)
    write_dataset(tmp_path / "data" / "a.npz", n_images=4, N=64, nphotons=1e6, seed=1)
    write_dataset(tmp_path / "data" / "b.npz", n_images=4, N=64, nphotons=1e6, seed=2)
    write_dataset(tmp_path / "data" / "old.npz", n_images=4, N=64, legacy=["diff3d"], seed=3)
    return tmp_path


def run(*args: str) -> dict:
    return clirun.lint_json(*args)


def cached(document: dict) -> int:
    return document["summary"]["cached"]


def verdicts(document: dict) -> list:
    return [(f["file"], f["key"], f["rule"], f["severity"], f["message"])
            for f in document["findings"]]


def test_second_run_comes_from_the_cache_with_the_same_findings(tree: Path):
    first = run("--no-config", "data")
    second = run("--no-config", "data")
    assert cached(first) == 0 and cached(second) == 3
    assert verdicts(first) == verdicts(second) and verdicts(first)
    assert first["files"] == second["files"]
    text = CliRunner().invoke(cli, ["lint", "--no-config", "data"]).stdout
    assert text.splitlines()[-1].endswith("(3 from cache)")
    ignore = tree / ".npzcontract_cache" / ".gitignore"
    assert ignore.read_text().splitlines()[-1] == "*"
    listed = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"],
                            cwd=tree, capture_output=True, text=True)
    if listed.returncode == 0:  # inside a git work tree only
        assert ".npzcontract_cache" not in listed.stdout


def test_changed_content_is_checked_again(tree: Path):
    run("--no-config", "data")
    bad = np.full((4, 64, 64), np.nan, np.float32)
    write_dataset(tree / "data" / "a.npz", n_images=4, N=64, nphotons=1e6, seed=1,
                  overrides={"diffraction": bad})
    document = run("--no-config", "data")
    assert cached(document) == 2
    assert ("data/a.npz", "diffraction", "non-finite") in {
        (f["file"], f["key"], f["rule"]) for f in document["findings"]}


def test_touched_file_misses_by_metadata_but_hits_by_content(tree: Path):
    run("--no-config", "data")
    run("--no-config", "--cache-strategy", "content", "data")
    st = os.stat(tree / "data" / "b.npz")
    os.utime(tree / "data" / "b.npz", ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    assert cached(run("--no-config", "data")) == 2
    assert cached(run("--no-config", "--cache-strategy", "content", "data")) == 3


def test_content_strategy_misses_on_same_size_same_mtime_edit(tree: Path):
    target = tree / "data" / "b.npz"
    run("--no-config", "--cache-strategy", "content", "data")
    st = os.stat(target)
    raw = bytearray(target.read_bytes())
    raw[-30] ^= 0xFF  # inside the zip directory: same size, different bytes
    target.write_bytes(bytes(raw))
    os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert cached(run("--no-config", "--cache-strategy", "content", "data")) == 2


@pytest.mark.parametrize("options", [
    ("--mode", "warn"), ("--profile", "raw"), ("--no-values",), ("--expect", "nphotons=1e9"),
    ("--rule", "legacy-key=warning"),
])
def test_each_setting_that_changes_a_verdict_misses(tree: Path, options):
    run("--no-config", "data")
    assert cached(run("--no-config", *options, "data")) == 0
    assert cached(run("--no-config", *options, "data")) == 3


def test_settings_that_do_not_change_a_verdict_hit(tree: Path):
    run("--no-config", "data")
    assert cached(run("--no-config", "--jobs", "2", "--exclude", "nothing", "data")) == 3


def test_a_changed_contract_table_misses(tree: Path):
    config = tree / "pyproject.toml"
    config.write_text("[tool.npzcontract]\n")
    run("data")
    assert cached(run("data")) == 3
    config.write_text("[tool.npzcontract.contract]\nrequired = ['diffraction', 'mask']\n"
                      "keys.mask = { dtypes = ['bool'], ndim = [3] }\n")
    document = run("data")
    assert cached(document) == 0
    assert "missing-key" in document["summary"]["rules"]


def test_a_new_package_version_misses(tree: Path, monkeypatch: pytest.MonkeyPatch):
    run("--no-config", "data")
    monkeypatch.setattr(_version, "version", _version.version + ".post1")
    assert cached(run("--no-config", "data")) == 0
    assert cached(run("--no-config", "data")) == 3


def test_corrupt_entries_are_misses_and_are_rewritten(tree: Path):
    first = run("--no-config", "data")
    entries = sorted((tree / ".npzcontract_cache").rglob("*.json"))
    assert len(entries) == 3
    garbage = [b"", b"{not json", json.dumps({"key": "x", "report": {}}).encode(),
               b"\xff\xfe\x00"]
    for entry, junk in zip(entries, garbage, strict=False):
        entry.write_bytes(junk)
    again = run("--no-config", "data")
    assert cached(again) == 0 and verdicts(again) == verdicts(first)
    assert cached(run("--no-config", "data")) == 3


def test_right_key_but_mangled_report_is_a_miss(tree: Path):
    run("--no-config", "data")
    for entry in (tree / ".npzcontract_cache").rglob("*.json"):
        head, rest = entry.read_text().split("\n", 1)
        key, profile, encoding, _ = json.loads(head)  # line 1: key, profile, encoding, findings
        entry.write_text(json.dumps([key, profile, encoding, [{"unexpected": 1}]]) + "\n" + rest)
    assert cached(run("--no-config", "data")) == 0
    for entry in (tree / ".npzcontract_cache").rglob("*.json"):
        entry.write_text(entry.read_text().split("\n", 1)[0])  # line 2 lost: a miss too
    assert cached(run("--no-config", "data")) == 0
    assert cached(run("--no-config", "data")) == 3


def test_no_cache_option_and_environment(tree: Path, monkeypatch: pytest.MonkeyPatch):
    run("--no-config", "--no-cache", "data")
    assert not (tree / ".npzcontract_cache").exists()
    monkeypatch.setenv("NPZCONTRACT_NO_CACHE", "1")
    run("--no-config", "data")
    assert not (tree / ".npzcontract_cache").exists()
    run("--no-config", "--cache", "data")
    assert (tree / ".npzcontract_cache").is_dir()


def test_cache_dir_option_and_config_root(tree: Path):
    run("--no-config", "--cache-dir", "elsewhere", "data")
    assert (tree / "elsewhere" / ".gitignore").is_file()
    project = tree / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text('[tool.npzcontract]\ncache_dir = ".lintcache"\n')
    os.chdir(project / ".." / "data")
    run("--config", str(project / "pyproject.toml"), ".")
    assert (project / ".lintcache" / f"v{FORMAT}").is_dir()


def test_unwritable_cache_warns_and_still_lints(tree: Path):
    (tree / "blocker").write_text("a file where the cache directory should be")
    result = CliRunner().invoke(cli, ["lint", "--no-config", "--cache-dir", "blocker/c", "data"])
    assert result.exit_code == 1
    assert f"warning: cannot write the cache in {tree / 'blocker' / 'c'}" in result.stderr
    assert "3 files checked" in result.stdout


def test_a_file_rewritten_during_its_check_is_not_stored(tree: Path):
    settings = Settings(root=tree)
    cache = LintCache.open(settings)
    path = "data/a.npz"
    assert cache.lookup(path) is None
    report = check_file(path, **settings.check_options())
    write_dataset(tree / path, n_images=5, N=64, seed=9)  # changes while "being checked"
    cache.store(path, report)
    assert not list((tree / ".npzcontract_cache").rglob("*.json"))


def test_concurrent_runs_share_one_cache(tree: Path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("NPZCONTRACT_NO_CACHE", None)
    command = [sys.executable, "-c", "import sys; from pytest_npzcontract.cli import main; "
               "sys.exit(main(sys.argv[1:]))", "lint", "--no-config", "--format", "json", "data"]
    procs = [subprocess.Popen(command, cwd=tree, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(4)]
    outputs = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode == 1 for p in procs), outputs
    documents = [json.loads(out) for out, _ in outputs]
    assert all(verdicts(d) == verdicts(documents[0]) for d in documents)
    assert not [e for _, e in outputs if e.strip()]
    assert not list((tree / ".npzcontract_cache").rglob(".tmp-*"))
    assert cached(run("--no-config", "data")) == 3


def test_json_settings_say_whether_the_cache_was_used(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NPZCONTRACT_NO_CACHE", raising=False)
    write_dataset(tmp_path / "data" / "a.npz")
    assert run("--no-cache", "data")["settings"]["cache"] is False
    assert run("data")["settings"]["cache"] is True
    monkeypatch.setenv("NPZCONTRACT_NO_CACHE", "1")
    assert run("data")["settings"]["cache"] is False
