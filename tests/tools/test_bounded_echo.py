"""Echoed input is bounded (issue 19, class 4): a YAML alias tree of a few hundred bytes (9**9
leaves under ``repr``), huge configuration values and huge metadata values all come back as one
short line, fast, in a memory-capped child."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from hostile import METADATA, npy_bytes, with_member

from pytest_npzcontract.base.echo import shown

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
CLI = [sys.executable, "-c",
       "import sys; from pytest_npzcontract.cli import main; sys.exit(main(sys.argv[1:]))"]
CAP = 1 << 30  # 1 GiB of address space: the naive repr needs more than 1.4 GB


def _cap() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (CAP, CAP))


def _run(*args: str, cwd: Path) -> tuple[subprocess.CompletedProcess, float]:
    start = time.monotonic()
    proc = subprocess.run([*CLI, *args], capture_output=True, text=True, cwd=cwd, env=ENV,
                          timeout=60, preexec_fn=_cap, check=False)
    return proc, time.monotonic() - start


def alias_tree_yaml(levels: int = 9, width: int = 9) -> str:
    """``sqrt:`` a list whose level k holds ``width`` references to level k-1."""
    anchors = ["&l0 [" + ", ".join(["x"] * width) + "]"]
    for k in range(1, levels):
        anchors.append(f"&l{k} [" + ", ".join([f"*l{k - 1}"] * width) + "]")
    return "datasets:\n  - path: data.npz\n    sqrt: [" + ", ".join(anchors) + "]\n"


def test_4_a_yaml_alias_tree_in_a_plan_is_echoed_bounded(tmp_path):
    text = alias_tree_yaml()
    assert len(text) < 600
    (tmp_path / "plan.yaml").write_text(text)
    proc, seconds = _run("migrate", "--plan", "plan.yaml", "--check", cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr[-2000:]
    (line,) = proc.stderr.strip().splitlines()
    assert "'sqrt' must be true or false, not [" in line and len(line) < 300
    assert "Traceback" not in proc.stderr and seconds < 10  # was over 10 s and 1.4 GB


def test_4_plan_keys_of_any_type_and_size_are_echoed_bounded(tmp_path):
    (tmp_path / "plan.yaml").write_text(
        "datasets:\n  - path: data.npz\n    1: one\n    ? " + "k" * 100_000 + "\n    : x\n")
    proc, _ = _run("migrate", "--plan", "plan.yaml", "--check", cwd=tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr[-2000:]
    (line,) = proc.stderr.strip().splitlines()
    assert "unknown key(s) 'kkk" in line and "', 1 (known" in line and len(line) < 400


def test_4_huge_configuration_values_are_echoed_bounded(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        "[tool.npzcontract]\njobs = \"" + "9" * 1_000_000 + "x\"\n")
    proc, _ = _run("lint", ".", cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr[-2000:]
    (line,) = proc.stderr.strip().splitlines()
    assert "jobs" in line and len(line) < 400


def test_4_huge_metadata_values_are_echoed_bounded(tmp_path):
    metadata = json.loads(json.dumps(METADATA))
    metadata["schema_version"] = "9" * 2_000_000
    metadata["physics_parameters"]["nphotons"] = [[1.0] * 1000] * 1000
    path = tmp_path / "wide.npz"
    path.write_bytes(with_member("_metadata.npy", npy_bytes(np.array(
        json.dumps(metadata).encode()))))
    proc, _ = _run("lint", "--no-config", "--expect", "nphotons=1e6", str(path), cwd=tmp_path)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr[-2000:]
    finding_lines = [ln for ln in proc.stdout.splitlines() if ln.startswith(str(path))]
    assert finding_lines and max(map(len, finding_lines)) < 600, finding_lines


def test_shown_is_bounded_for_shared_references_huge_ints_and_long_strings():
    tree: list = [0]
    for _ in range(60):
        tree = [tree, tree]  # 2**60 leaves
    start = time.perf_counter()
    for value in (tree, 10 ** 5000, "x" * 10_000_000, {"a": {"b": {"c": {"d": 1}}}},
                  "line\nbreak"):
        text = shown(value)
        assert len(text) <= 80 and "\n" not in text
    assert time.perf_counter() - start < 0.5
    assert shown("train.npz") == "'train.npz'"
