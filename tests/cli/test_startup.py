"""Start-up: a cached lint run imports neither NumPy, the checker nor jsonschema and stats
each file once; no run imports numpy.random; the CLI limits BLAS threads before NumPy loads
unless the user set them; the version constant matches the installed metadata."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pytest_npzcontract.physics.factory import write_dataset

PROBE = """
import json, os, sys
counts = {}
real_stat, real_lstat = os.stat, os.lstat
def counting(real):
    def wrapper(path, *args, **kwargs):
        name = os.fspath(path) if isinstance(path, (str, bytes, os.PathLike)) else None
        if isinstance(name, str) and name.endswith(".npz"):
            counts[name] = counts.get(name, 0) + 1
        return real(path, *args, **kwargs)
    return wrapper
os.stat, os.lstat = counting(real_stat), counting(real_lstat)
from pytest_npzcontract.cli import main
code = main(sys.argv[1:])
print(json.dumps({"code": code, "stats": counts,
                  "loaded": sorted(m for m in ("numpy", "numpy.random", "jsonschema",
                                               "pytest_npzcontract.contract.checker")
                                   if m in sys.modules),
                  "blas": {k: os.environ.get(k) for k in ("OPENBLAS_NUM_THREADS",
                                                          "OMP_NUM_THREADS")}}))
"""


def probe(cwd: Path, *args: str, env: dict | None = None) -> dict:
    environ = {k: v for k, v in os.environ.items()
               if k not in ("NPZCONTRACT_NO_CACHE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
                            "MKL_NUM_THREADS", "BLIS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")}
    environ.update(env or {})
    out = subprocess.run([sys.executable, "-c", PROBE, *args], cwd=cwd, env=environ,
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    for i in range(3):
        write_dataset(tmp_path / "data" / f"sub{i}" / f"f{i}.npz", n_images=4, seed=i)
    return tmp_path


def test_a_cached_run_is_numpy_free_and_stats_each_file_once(tree: Path):
    first = probe(tree, "lint", "--cache", "data")
    assert first["code"] == 0
    assert "numpy" in first["loaded"] and "numpy.random" not in first["loaded"]
    cached = probe(tree, "lint", "--cache", "data")
    assert cached["code"] == 0
    assert cached["loaded"] == []
    assert len(cached["stats"]) == 3
    assert all(n == 1 for n in cached["stats"].values()), cached["stats"]


def test_cli_limits_blas_threads_unless_the_user_set_them(tree: Path):
    ran = probe(tree, "lint", "--no-cache", "data")
    assert ran["blas"] == {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    mine = probe(tree, "lint", "--no-cache", "data", env={"OMP_NUM_THREADS": "3"})
    assert mine["blas"] == {"OPENBLAS_NUM_THREADS": None, "OMP_NUM_THREADS": "3"}


def test_the_limit_is_in_place_before_numpy_loads(tree: Path):
    """OpenBLAS reads the variable when NumPy loads it: the running pool has one thread."""
    pytest.importorskip("threadpoolctl")
    code = ("import sys; from pytest_npzcontract.cli import main; main(sys.argv[1:]); "
            "from threadpoolctl import threadpool_info; "
            "print(max(i['num_threads'] for i in threadpool_info()))")
    environ = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")}
    out = subprocess.run([sys.executable, "-c", code, "lint", "--no-cache", "data"], cwd=tree,
                         env=environ, capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "1"


def test_version_constant_matches_the_installed_metadata():
    from importlib.metadata import version

    from pytest_npzcontract._version import version as constant

    assert constant == version("pytest-npzcontract")
    pyproject = (Path(__file__).resolve().parents[2] / "pyproject.toml").read_text()
    assert f'version = "{constant}"' in pyproject
