"""Lineage from the records the reference's tools write: parents named only by
``parameters.parent_file``, ``parameters.input_file`` or a record-level ``input_file``,
resolved relative to the file that holds the record."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np

from pytest_npzcontract.physics.simulate import simulate_dataset


def _write(path, record=None, created="simulate_and_save.py"):
    """A file as the reference writes it: np.savez with JSON text metadata."""
    sim = simulate_dataset(n_images=4, N=64, nphotons=1e6, seed=1, with_Y=False)
    meta = {"creation_info": {"script": created, "timestamp": "2025-01-01T00:00:00Z"},
            "physics_parameters": {"nphotons": 1e6, "N": 64, "gridsize": 1},
            "data_transformations": [record] if record else []}
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:
        np.savez(fh, **sim.arrays, _metadata=np.array(json.dumps(meta)))
    return path


def _lineage(*args, cwd):
    return subprocess.run([sys.executable, "-m", "pytest_npzcontract.cli.main", "lineage",
                           *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def _reference_chain(root):
    """transpose_rename_convert_tool -> generate_patches_tool -> split_dataset_tool, each
    naming its parent by a path relative to itself only."""
    _write(root / "raw" / "scan.npz")
    _write(root / "converted" / "scan_conv.npz", {
        "tool": "transpose_rename_convert_tool.py", "operation": "transpose_rename_convert",
        "timestamp": "2025-01-02T00:00:00Z", "parameters": {"input_file": "../raw/scan.npz"}})
    _write(root / "converted" / "scan_patches.npz", {
        "tool": "generate_patches_tool.py", "operation": "generate_patches",
        "timestamp": "2025-01-03T00:00:00Z", "parameters": {"K": 7},
        "input_file": "scan_conv.npz"})
    _write(root / "split" / "scan_train.npz", {
        "tool": "split_dataset_tool.py", "operation": "train_test_split",
        "timestamp": "2025-01-04T00:00:00Z",
        "parameters": {"split_fraction": 0.8, "split_axis": "y",
                       "parent_file": "../converted/scan_patches.npz"}})


def test_json_draws_the_edges_the_reference_records_name(tmp_path):
    _reference_chain(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = _lineage(str(tmp_path), "--format", "json", cwd=elsewhere)
    assert result.returncode == 0, result.stderr
    graph = json.loads(result.stdout)
    names = {n["id"]: n["name"] for n in graph["nodes"]}
    assert all(n["present"] for n in graph["nodes"]) and len(names) == 4
    edges = {(names[e["parent"]], names[e["child"]], e["operation"], e["match"], e["link"])
             for e in graph["edges"]}
    assert edges == {
        ("scan.npz", "scan_conv.npz", "transpose_rename_convert", "path",
         "parameters.input_file"),
        ("scan_conv.npz", "scan_patches.npz", "generate_patches", "path", "input_file"),
        ("scan_patches.npz", "scan_train.npz", "train_test_split", "path",
         "parameters.parent_file"),
    }


def test_a_parent_file_only_chain_has_its_edges(tmp_path):
    _write(tmp_path / "a.npz")
    for parent, child in (("a.npz", "b.npz"), ("b.npz", "c.npz")):
        _write(tmp_path / child, {"tool": "split_dataset_tool.py",
                                  "operation": "train_test_split",
                                  "parameters": {"parent_file": parent}})
    graph = json.loads(_lineage(".", "--format", "json", cwd=tmp_path).stdout)
    names = {n["id"]: n["name"] for n in graph["nodes"]}
    assert {(names[e["parent"]], names[e["child"]]) for e in graph["edges"]} == {
        ("a.npz", "b.npz"), ("b.npz", "c.npz")}


def test_the_text_view_shows_each_files_last_tool_and_operation(tmp_path):
    _reference_chain(tmp_path)
    _write(tmp_path / "orphan.npz", {"tool": "crop.py", "operation": "crop",
                                     "parameters": {"parent_file": "gone.npz"}})
    text = _lineage(".", cwd=tmp_path).stdout.splitlines()
    assert "raw/scan.npz  (created by simulate_and_save.py)" in text
    assert any("converted/scan_conv.npz  <- transpose_rename_convert by "
               "transpose_rename_convert_tool.py (via parameters.input_file)" in line
               for line in text)
    assert any("split/scan_train.npz  <- train_test_split by split_dataset_tool.py" in line
               for line in text)
    assert "gone.npz (missing: no file here has its SHA-256 or name)" in text
    assert any("orphan.npz  <- crop by crop.py" in line for line in text)
