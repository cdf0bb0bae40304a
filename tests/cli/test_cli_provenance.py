"""split, merge and lineage from the command line, and the four-step pipeline they make:
simulate two doses -> split each -> merge the train parts -> migrate."""

from __future__ import annotations

import json
import os

import clirun
import pytest

from pytest_npzcontract import assert_metadata_preserved, load_npz
from pytest_npzcontract.physics.factory import write_dataset


def run(*args):
    result = clirun.npzcontract(*args)
    return result.exit_code, result.output


@pytest.fixture
def pipeline(tmp_path, monkeypatch):
    """The four steps, run with the CLI in tmp_path (relative names, as a user types them)."""
    monkeypatch.chdir(tmp_path)
    # 1. simulate two doses in the reference's raw form (diff3d amplitude)
    write_dataset("lo.npz", n_images=20, N=64, nphotons=1e4, seed=3, legacy=("diff3d",))
    write_dataset("hi.npz", n_images=20, N=64, nphotons=1e6, seed=3, legacy=("diff3d",))
    steps = [
        ("split", "lo.npz", "hi.npz", "--profile", "raw"),                          # 2.
        # 3. per source (canonical keeps source_index); diff3d is a legacy key there: WARN
        ("merge", "lo_train.npz", "hi_train.npz", "-o", "merged.npz", "--mode", "warn"),
        ("migrate", "merged.npz", "-o", "canonical.npz"),                          # 4.
    ]
    for step in steps:
        code, output = run(*step)
        assert code == 0, output
    return tmp_path


def test_pipeline_refuses_a_raw_merge_of_two_doses(pipeline):
    code, output = run("merge", "lo_train.npz", "hi_train.npz", "-o", "raw.npz", "--profile",
                       "raw")
    assert code == 1 and "the raw profile's reader takes one nphotons per file" in output
    assert "lo_train.npz records 10000, estimated" in output
    assert "hi_train.npz records 1e+06, estimated" in output
    assert not os.path.exists("raw.npz")


def test_pipeline_lineage_has_exactly_the_expected_edges(pipeline):
    code, output = run("lineage", ".", "--format", "json")
    assert code == 0, output
    graph = json.loads(output)
    names = {n["id"]: n["name"] for n in graph["nodes"]}
    assert all(n["present"] for n in graph["nodes"]) and len(names) == 8
    edges = {(names[e["parent"]], names[e["child"]], e["operation"], e["match"])
             for e in graph["edges"]}
    assert len(graph["edges"]) == len(edges) == 7
    assert edges == {
        ("lo.npz", "lo_train.npz", "train_test_split", "sha256"),
        ("lo.npz", "lo_test.npz", "train_test_split", "sha256"),
        ("hi.npz", "hi_train.npz", "train_test_split", "sha256"),
        ("hi.npz", "hi_test.npz", "train_test_split", "sha256"),
        ("lo_train.npz", "merged.npz", "merge_datasets", "sha256"),
        ("hi_train.npz", "merged.npz", "merge_datasets", "sha256"),
        ("merged.npz", "canonical.npz", "migrate_legacy", "sha256"),
    }


def test_pipeline_merged_file_passes_strict_and_preserves_each_source(pipeline):
    code, output = run("lint", "merged.npz", "--mode", "strict", "--profile", "raw")
    assert code == 1 and "error mixed-dose" in output    # RawData would read one dose
    code, output = run("lint", "merged.npz", "--mode", "warn")
    assert code == 0, output
    code, output = run("lint", "canonical.npz", "--mode", "strict")
    assert code == 0, output
    for source in ("lo_train.npz", "hi_train.npz"):
        # the metadata only: the merged file's verdict under raw is the lint run's above
        assert_metadata_preserved(source, load_npz("merged.npz")[1])
        assert_metadata_preserved(source, "canonical.npz")
    meta = load_npz("canonical.npz")[1]
    assert [s["nphotons"] for s in meta["source_datasets"]] == [1e4, 1e6]
    code, output = run("lint", "canonical.npz", "--expect", "nphotons=1e4")
    assert code == 1 and "source 1 (hi_train.npz): nphotons: dataset=1e+06" in output


def test_lineage_text_mermaid_and_dot(pipeline):
    code, text = run("lineage", ".")
    assert code == 0
    assert text.splitlines() == [
        "hi.npz  (created by pytest_npzcontract.physics.factory)",
        "|-- hi_test.npz  <- train_test_split by npzcontract split",
        "`-- hi_train.npz  <- train_test_split by npzcontract split",
        "    `-- merged.npz  <- merge_datasets by npzcontract merge",
        "        `-- canonical.npz  <- migrate_legacy by npzcontract migrate",
        "lo.npz  (created by pytest_npzcontract.physics.factory)",
        "|-- lo_test.npz  <- train_test_split by npzcontract split",
        "`-- lo_train.npz  <- train_test_split by npzcontract split",
        "    `-- merged.npz  <- merge_datasets by npzcontract merge (see above)",
    ]
    code, mermaid = run("lineage", ".", "--format", "mermaid")
    assert mermaid.startswith("graph TD\n") and mermaid.count("-->|") == 7
    code, dot = run("lineage", ".", "--format", "dot")
    assert dot.startswith("digraph lineage {") and dot.count(" -> ") == 7


def test_missing_and_changed_parents(pipeline):
    os.remove("lo.npz")
    code, output = run("migrate", "hi.npz", "--in-place")
    assert code == 0, output
    code, output = run("lineage", "lo_train.npz", "hi_train.npz", "hi.npz", "--format", "json")
    graph = json.loads(output)
    nodes = {n["id"]: n for n in graph["nodes"]}
    edges = {(nodes[e["parent"]]["name"], nodes[e["parent"]]["present"], e["match"],
              nodes[e["child"]]["name"]) for e in graph["edges"]}
    # hi.npz was rewritten: its children find it by path; its own parent (the old bytes) is gone
    assert edges == {("lo.npz", False, "missing", "lo_train.npz"),
                     ("hi.npz", True, "path", "hi_train.npz"),
                     ("hi.npz", False, "missing", "hi.npz")}
    code, text = run("lineage", "lo_train.npz")
    assert "lo.npz (missing: no file here has its SHA-256 or name)" in text.splitlines()[0]
    code, mermaid = run("lineage", "lo_train.npz", "--format", "mermaid")
    assert "m0 -.->|train_test_split| n0" in mermaid and ":::missing" in mermaid


def test_lineage_of_an_unreadable_file_is_one_line_and_exit_1(tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"garbage")
    code, output = run("lineage", bad)
    assert code == 1 and output.splitlines() == [
        f"{bad} (unreadable: not an .npz archive: no zip structure found (plain data, or "
        "truncated))"]


def test_split_cli_options_and_refusals(tmp_path):
    sim = write_dataset(tmp_path / "sim.npz", n_images=10, N=64)
    out = tmp_path / "parts"
    out.mkdir()
    code, output = run("split", sim, "--axis", "index", "--fraction", "0.6", "-o", out)
    assert code == 0 and output == (f"{sim} -> {out}/sim_train.npz (6 images), "
                                    f"{out}/sim_test.npz (4 images)\n")
    code, output = run("split", sim, "-o", out)
    assert code == 2 and "exists; use --force" in output
    code, output = run("split", sim, "--train-indices", "0:x")
    assert code == 2 and "bad index range '0:x'" in output
    code, output = run("split", sim, "--train-indices", "0:10", "-o", out, "--force")
    assert code == 1 and output.splitlines() == [
        "npzcontract split: the test part would be empty (10 images, 10 train indices); "
        "nothing written"]
    code, output = run("split", sim, "--profile", "nonsense", "-o", out, "--force")
    assert code == 2 and "unknown profile" in output


def test_merge_cli_reports_sources_and_refusals(tmp_path):
    a = write_dataset(tmp_path / "a.npz", n_images=6, N=64, nphotons=1e4, seed=1)
    b = write_dataset(tmp_path / "b.npz", n_images=4, N=64, nphotons=1e6, seed=1)
    c = write_dataset(tmp_path / "c.npz", n_images=4, N=128, seed=1)
    out = tmp_path / "m.npz"
    code, output = run("merge", a, b, "-o", out)
    assert code == 0, output
    assert output.splitlines() == [f"merged 2 files -> {out} (10 images, preserve_separate)",
                                   f"  [0] {a}: 6 images, nphotons 10000",
                                   f"  [1] {b}: 4 images, nphotons 1e+06"]
    code, output = run("merge", a, c, "-o", tmp_path / "bad.npz")
    assert code == 1 and len(output.splitlines()) == 1
    assert output.startswith("npzcontract merge: incompatible N: diffraction frames differ")
    code, output = run("merge", a, "-o", tmp_path / "one.npz")
    assert code == 1 and "at least two files" in output
    code, output = run("merge", a, b, "-o", out)
    assert code == 2 and "exists; use --force" in output
    assert not (tmp_path / "bad.npz").exists() and not (tmp_path / "one.npz").exists()


def test_merge_cli_contract_failure_lists_findings(tmp_path):
    a = write_dataset(tmp_path / "a.npz", n_images=4, N=64, legacy=("diff3d",))
    b = write_dataset(tmp_path / "b.npz", n_images=4, N=64, legacy=("diff3d",))
    code, output = run("merge", a, b, "-o", tmp_path / "m.npz")
    assert code == 1 and "error legacy-key" in output and "nothing written" in output
    code, output = run("merge", a, b, "-o", tmp_path / "m.npz", "--mode", "warn")
    assert code == 0 and "warning: " in output and "legacy-key" in output
    assert "Traceback" not in output
