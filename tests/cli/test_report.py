"""``npzcontract report PART.json...``: the shards of a run combine into that run's report in
every output format, with its exit code; parts that overlap or disagree are refused, naming why."""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path

import pytest
from clirun import lint, npzcontract

from pytest_npzcontract.physics.factory import write_dataset

ROOT = Path(__file__).resolve().parents[2]
FORMATS = ["text", "json", "sarif", "junit", "markdown", "github"]


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """fixtures/ plus nested folders, a clean subfolder and a skipped symlink."""
    root = tmp_path_factory.mktemp("report")
    shutil.copytree(ROOT / "fixtures", root / "data")
    for i in range(6):
        write_dataset(root / "data" / "deep" / f"n{i}" / f"x{i}.npz", n_images=2, N=64,
                      nphotons=1e6, seed=i)
    write_dataset(root / "data" / "zz.npz", n_images=2, N=64, legacy=["diff3d"])
    (root / "outside.npz").write_bytes((ROOT / "fixtures/valid/sim_test.npz").read_bytes())
    (root / "data" / "link.npz").symlink_to(root / "outside.npz")
    return root


def shards(tree: Path, count: int, *extra: str) -> list[Path]:
    paths = []
    for k in range(1, count + 1):
        result = lint("data", "--shard", f"{k}/{count}", "--format", "json", *extra, cwd=tree,
                      config=False)
        assert result.exit_code in (0, 1), result.output
        path = tree / f"part{k}of{count}-{uuid.uuid4().hex[:8]}.json"
        path.write_text(result.stdout)
        paths.append(path)
    return paths


@pytest.mark.parametrize("output_format", FORMATS)
def test_shards_combine_into_the_unsharded_report(tree: Path, output_format: str):
    whole = lint("data", "--format", output_format, cwd=tree, config=False)
    parts = shards(tree, 3)
    combined = npzcontract("report", *reversed(parts), "--format", output_format, cwd=tree)
    assert combined.exit_code == whole.exit_code == 1
    assert combined.stdout == whole.stdout
    if output_format == "json":
        document = json.loads(combined.stdout)
        assert document["summary"]["files"] == 19 and document["summary"]["skipped"] == 1
        sizes = [len(json.loads(p.read_text())["files"]) for p in parts]
        assert sum(sizes) == 19 and all(sizes)  # each shard had some of them


def test_clean_shards_pass(tree: Path):
    parts = shards(tree, 2, "--include", "x*.npz")
    combined = npzcontract("report", *parts, cwd=tree)
    assert combined.exit_code == 0
    assert combined.stdout.endswith("6 files checked: 6 passed, 0 failed; 0 errors, 0 warnings, "
                                    "0 info\n")


def test_a_shard_without_files_still_combines(tree: Path):
    documents = [lint("data/zz.npz", "--shard", f"{k}/3", "--format", "json", cwd=tree,
                      config=False).stdout for k in (1, 2, 3)]
    for k, text in enumerate(documents):
        (tree / f"one{k}.json").write_text(text)
    assert sorted(len(json.loads(d)["files"]) for d in documents) == [0, 0, 1]
    combined = npzcontract("report", *(tree / f"one{k}.json" for k in range(3)), "--format",
                           "json", cwd=tree)
    assert json.loads(combined.stdout)["summary"]["files"] == 1
    assert combined.exit_code == 1
    nothing = npzcontract("report", *(tree / f"one{k}.json" for k in range(3)
                                      if not json.loads(documents[k])["files"]), cwd=tree)
    assert nothing.exit_code == 0
    assert nothing.stderr == "npzcontract: warning: no .npz file was checked in any part\n"


def test_overlapping_parts_are_refused(tree: Path):
    first, second = shards(tree, 2)
    result = npzcontract("report", first, second, first, cwd=tree)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"npzcontract: error: {first} and {first} both checked data/")
    assert "parts must cover disjoint files" in result.stderr


def test_parts_with_other_settings_or_versions_are_refused(tree: Path):
    strict, _ = shards(tree, 2)
    _, warn = shards(tree, 2, "--mode", "warn")
    result = npzcontract("report", strict, warn, cwd=tree)
    assert (result.exit_code, result.stderr) == (2, (
        f"npzcontract: error: {strict} and {warn} were linted with different settings "
        f"(mode: 'strict' vs 'warn'): rerun them with the same configuration\n"))
    # execution settings may differ: jobs and the cache
    _, parallel = shards(tree, 2, "--jobs", "2")
    assert npzcontract("report", strict, parallel, cwd=tree).exit_code == 1
    document = json.loads(warn.read_text())
    document["tool"]["version"] = "0.0.1"
    old = tree / "old.json"
    old.write_text(json.dumps(document))
    result = npzcontract("report", old, cwd=tree)
    assert result.exit_code == 2
    assert f"{old} was written by npzcontract 0.0.1, this is " in result.stderr


@pytest.mark.parametrize("content, reason", [
    ("{", "not JSON"),
    ("[]", "not an npzcontract lint JSON report"),
    ('{"tool": {"name": "npzcontract"}, "version": 7}', "report format version 7, expected 1"),
    ('{"tool": {"name": "npzcontract"}, "version": 1}', "not an npzcontract lint JSON report"),
])
def test_unreadable_parts_are_one_line(tmp_path: Path, content: str, reason: str):
    part = tmp_path / "part.json"
    part.write_text(content)
    result = npzcontract("report", part)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"npzcontract: error: {part}: {reason}")
    assert result.stderr.count("\n") == 1


def test_edited_counts_are_refused(tree: Path):
    part = shards(tree, 1)[0]
    document = json.loads(part.read_text())
    document["findings"].pop()
    part.write_text(json.dumps(document))
    result = npzcontract("report", part, cwd=tree)
    assert result.exit_code == 2
    assert "findings do not match the counts of" in result.stderr
    assert npzcontract("report", tree / "missing.json").stderr == (
        f"npzcontract: error: {tree / 'missing.json'}: cannot read (No such file or "
        f"directory)\n")
