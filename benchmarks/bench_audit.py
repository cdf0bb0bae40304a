"""What the plugin and ``--npz-audit`` cost a test suite.

Two generated suites, each run by ``python -m pytest -q`` in three configurations taken in
turn inside every round: without the plugin (``-p no:npzcontract``), with the plugin installed
but unused, and with ``--npz-audit``.

- ``trivial``: 2000 tests that assert ``True`` (what the plugin costs a suite that has nothing
  to do with NPZ files);
- ``npz``: 200 tests that each read a small dataset and write a derived one with ``save_npz``
  and a new record (each output is judged: propagation rules plus the profile check with value
  scan).

Prints the median wall-clock and CPU time (user + system of the pytest process and its
children) of each configuration and the ratios to the run without the plugin, computed from the
medians of the same run (the machine is shared; ratios within one run are what to compare).

    python benchmarks/bench_audit.py [--rounds 3] [--trivial 2000] [--npz 200]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CONFIGS = {"no plugin": ["-p", "no:npzcontract"], "plugin, unused": [],
           "--npz-audit": ["--npz-audit"]}

NPZ_CONFTEST = '''
import pytest
from pytest_npzcontract.physics.factory import write_dataset


@pytest.fixture(scope="session")
def source(tmp_path_factory):
    return write_dataset(tmp_path_factory.mktemp("src") / "in.npz", n_images=4, N=64, seed=1)
'''

NPZ_TESTS = '''
import pytest
from pytest_npzcontract import add_transformation, load_npz, save_npz


@pytest.mark.parametrize("i", range({n}))
def test_derive(source, tmp_path, i):
    arrays, meta = load_npz(source)
    save_npz(tmp_path / "out.npz", arrays, add_transformation(meta, "derive.py", "copy"))
'''


def _run(args: list[str], cwd: Path) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                             *args], cwd=cwd, capture_output=True,
                            text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        raise SystemExit(f"pytest {' '.join(args)} failed in {cwd}:\n{result.stdout[-2000:]}")
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return wall, cpu


def _suites(root: Path, trivial: int, npz: int) -> dict[str, Path]:
    t = root / "trivial"
    t.mkdir()
    (t / "test_trivial.py").write_text(
        f"import pytest\n\n\n@pytest.mark.parametrize('i', range({trivial}))\n"
        "def test_trivial(i):\n    assert True\n")
    n = root / "npz"
    n.mkdir()
    (n / "conftest.py").write_text(NPZ_CONFTEST)
    (n / "test_npz.py").write_text(NPZ_TESTS.replace("{n}", str(npz)))
    return {f"{trivial} trivial tests": t, f"{npz} tests writing an NPZ": n}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--trivial", type=int, default=2000)
    parser.add_argument("--npz", type=int, default=200)
    args = parser.parse_args(argv)
    print(f"pytest -q, {args.rounds} rounds, configurations alternated in each round "
          f"(python {sys.version.split()[0]}, {os.cpu_count()} CPUs)")
    with tempfile.TemporaryDirectory() as tmp:
        for label, cwd in _suites(Path(tmp), args.trivial, args.npz).items():
            _run([], cwd)  # warm caches and bytecode
            times: dict[str, list[tuple[float, float]]] = {c: [] for c in CONFIGS}
            for _ in range(args.rounds):
                for config, extra in CONFIGS.items():
                    times[config].append(_run(extra, cwd))
            base = [statistics.median(t[i] for t in times["no plugin"]) for i in (0, 1)]
            print(f"{label}")
            print(f"  {'':18s} {'wall s':>8s} {'CPU s':>8s} {'wall x':>8s} {'CPU x':>8s}")
            for config in CONFIGS:
                wall, cpu = (statistics.median(t[i] for t in times[config]) for i in (0, 1))
                print(f"  {config:18s} {wall:8.2f} {cpu:8.2f} {wall / base[0]:8.2f} "
                      f"{cpu / base[1]:8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
