"""``show``, ``schema`` and ``smoke`` through CliRunner; every command through the installed
console script in a subprocess (exit codes, no tracebacks, a progress bar only on a terminal)."""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import clirun
import numpy as np
import pytest

from pytest_npzcontract.io.reader import load_npz
from pytest_npzcontract.io.writer import save_npz
from pytest_npzcontract.metadata.model import add_transformation, merge_metadata
from pytest_npzcontract.metadata.schema import schema_text
from pytest_npzcontract.physics.factory import write_dataset

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"
SCRIPT = Path(sys.executable).with_name("npzcontract")


def invoke(*args: str):
    return clirun.npzcontract(*args)


def run(*args: str, cwd: Path = ROOT, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([str(SCRIPT), *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120, **kwargs)


def test_show_prints_arrays_metadata_and_lineage():
    result = invoke("show", str(FIXTURES / "valid" / "sim_train.npz"))
    assert result.exit_code == 0
    out = result.stdout
    assert "diffraction  (4, 64, 64)  float32" in out
    assert "probeGuess   (64, 64)     complex64" in out
    assert "metadata (json-unicode):" in out and "    nphotons: 1000000.0" in out
    lineage = out.split("lineage:\n", 1)[1].splitlines()
    assert lineage == [
        "|-- created 2025-01-01T00:00:00Z by fixtures/make_fixtures.py on fixtures "
        "(version fixtures)",
        "`-- 1. train_test_split by split_dataset_tool.py at 2025-01-01T01:00:00Z",
        "    |-- split_fraction: 0.5",
        '    `-- split_axis: "y"',
        "",
        "findings (profile canonical, mode strict, values scanned): none",
    ]


def test_show_json_and_merged_lineage(tmp_path: Path):
    arrays, meta = load_npz(FIXTURES / "valid" / "sim_train.npz")
    _, other = load_npz(FIXTURES / "valid" / "sim_test.npz")
    merged = merge_metadata([meta, other], sources=["sim_train.npz", "sim_test.npz"])
    merged = add_transformation(merged, "merge_tool.py", "merge", {"n_sources": 2},
                                inputs={"sim_train.npz": "ab" * 32})
    save_npz(tmp_path / "merged.npz", arrays, merged)
    info = json.loads(invoke("show", "--json", str(tmp_path / "merged.npz")).stdout)
    assert info["version"] == 2
    assert info["arrays"]["diffraction"]["shape"] == [4, 64, 64]
    assert info["metadata_encoding"] == "json-unicode"
    assert [s["path"] for s in info["lineage"]["sources"]] == ["sim_train.npz", "sim_test.npz"]
    assert info["lineage"]["sources"][0]["lineage"]["transformations"][0]["operation"] == (
        "train_test_split")
    text = invoke("show", str(tmp_path / "merged.npz")).stdout
    assert "|-- 1. merge by merge_tool.py at " in text
    assert "|   `-- input sim_train.npz sha256 abababababab" in text
    assert "`-- merged 2 source(s) (preserve_separate, " in text
    assert "    |-- [0] sim_train.npz" in text
    assert "    |   `-- 1. train_test_split by split_dataset_tool.py" in text


def test_show_legacy_and_unreadable_files():
    strict = invoke("show", str(FIXTURES / "legacy" / "reference_sim.npz"))
    assert strict.exit_code == 1  # as lint: pickled metadata is an error in STRICT
    assert "error pickled-metadata (policy): [_metadata]" in strict.stdout
    legacy = invoke("show", "--mode", "warn", str(FIXTURES / "legacy" / "reference_sim.npz"))
    assert legacy.exit_code == 0
    assert "warning pickled-metadata (policy): [_metadata]" in legacy.stdout
    assert "Y            (4, 64, 64, 1)" in legacy.stdout
    assert "metadata (pickled-json):" in legacy.stdout
    bare = invoke("show", str(FIXTURES / "legacy" / "no_metadata.npz")).stdout
    assert "metadata: none" in bare
    for name, message in (("truncated.npz", "truncated or corrupt zip archive"),
                          ("hostile_pickle.npz", "pickled _metadata refused")):
        result = invoke("show", str(FIXTURES / "broken" / name))
        assert result.exit_code == 1
        assert message in result.stdout
    assert invoke("show", "missing.npz").exit_code == 2
    assert invoke("show", str(FIXTURES)).exit_code == 2


def test_schema_prints_the_shipped_json_schema():
    result = invoke("schema")
    assert result.exit_code == 0
    assert result.stdout == schema_text()
    assert json.loads(result.stdout)["$schema"].endswith("2020-12/schema")


def test_smoke_is_registered_and_explains_a_missing_tensorflow(monkeypatch):
    assert "--nphotons" in invoke("smoke", "--help").stdout
    monkeypatch.setitem(sys.modules, "tensorflow", None)
    result = invoke("smoke")
    assert result.exit_code == 2
    assert "TensorFlow is not installed" in result.stderr


def test_help_lists_every_command():
    out = invoke("--help").stdout
    for command in ("lint", "show", "migrate", "schema", "smoke"):
        assert f"  {command}" in out


def test_importing_the_cli_imports_neither_numpy_nor_tensorflow():
    code = ("import sys, pytest_npzcontract.cli; "
            "print(sorted(m for m in ('numpy', 'tensorflow', 'jsonschema') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize("args, code, needle", [
    (["lint", "--no-config", "fixtures/valid"], 0, "2 files checked: 2 passed"),
    (["lint", "--no-config", "fixtures/broken"], 1, "missing-key"),
    (["lint", "--no-config", "--format", "json", "fixtures/broken"], 1, '"version": 1'),
    (["lint", "--no-config", "--format", "github", "fixtures/broken"], 1,
     "::error file=fixtures/broken/not_a_zip.npz,title=npzcontract unreadable::"),
    (["lint", "--no-config", "--jobs", "2", "fixtures"], 1, "12 files checked"),
    (["lint", "--bogus"], 2, "no such option"),
    (["lint", "--no-config", "--expect", "oops", "fixtures/valid"], 2,
     "npzcontract: error: --expect: expected NAME=VALUE"),
    (["show", "fixtures/valid/sim_test.npz"], 0, "lineage:"),
    (["show", "--json", "fixtures/broken/not_a_zip.npz"], 1, '"rule": "unreadable"'),
    (["migrate", "--dry-run", "fixtures/legacy/reference_sim.npz"], 0, "squeeze Y"),
    (["migrate", "fixtures/legacy/raw_diff3d_uint16.npz", "--dry-run"], 2, "choose --sqrt"),
    (["migrate", "fixtures/broken/truncated.npz", "--dry-run"], 1, "cannot read: unreadable"),
    (["schema"], 0, '"$schema"'),
    (["--version"], 0, "npzcontract, version"),
    (["nonsense"], 2, "no such command"),
])
def test_console_script_exit_codes(args: list[str], code: int, needle: str):
    result = run(*args)
    assert result.returncode == code, result.stderr
    assert needle in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


def _on_a_terminal(*args: str) -> tuple[subprocess.CompletedProcess, bytes, float]:
    """Run the console script with stderr on a pseudo-terminal: (result, what the terminal
    got, seconds taken)."""
    import time

    leader, follower = pty.openpty()
    began = time.monotonic()
    proc = subprocess.Popen([str(SCRIPT), *args], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=follower, text=True)
    os.close(follower)
    seen = b""
    try:
        while chunk := os.read(leader, 4096):
            seen += chunk
    except OSError:  # EIO: every writer of the terminal has exited
        pass
    finally:
        os.close(leader)
    stdout, _ = proc.communicate(timeout=300)
    return (subprocess.CompletedProcess(proc.args, proc.returncode, stdout, ""), seen,
            time.monotonic() - began)


def test_progress_bar_only_on_a_terminal_and_only_for_runs_over_a_second(tmp_path: Path):
    small = write_dataset(tmp_path / "small.npz", n_images=8, N=64)
    piped = run("lint", "--no-config", str(small))
    assert "files" not in piped.stderr
    quick, seen, _ = _on_a_terminal("lint", "--no-config", str(small))
    assert quick.returncode == 0 and seen == b""  # a quick run never flashes a bar
    rng = np.random.default_rng(0)
    frames = rng.random((500, 64, 64), dtype=np.float32)
    big = []
    for i in range(60):  # about two seconds of checking, 8 MB each
        path = tmp_path / f"big{i}.npz"
        np.savez(path, diffraction=frames)
        big.append(str(path))
    slow, seen, took = _on_a_terminal("lint", "--no-config", "--no-cache", *big)
    assert "60 files checked" in slow.stdout
    if took > 2.0:  # long enough that the one-second delay has surely passed
        text = seen.decode()
        assert re.search(r"60/60 files  \.\.\.\S*/big59\.npz", text), text[-300:]
        assert text.endswith("\r") and text.split("\r")[-2].strip() == ""  # erased at the end
    quiet, seen, _ = _on_a_terminal("lint", "-q", "--no-config", "--no-cache", *big)
    assert seen == b"" and quiet.stdout.count("missing-key") > 0
