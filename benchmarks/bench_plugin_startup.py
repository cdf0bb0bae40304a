"""What the plugin adds to pytest start-up: ``pytest --collect-only`` with and without it.

Runs ``python -m pytest --collect-only -q`` on a tiny test directory, alternating runs with the
plugin (loaded through its entry point) and with ``-p no:npzcontract``, and prints the medians
of wall-clock and CPU time and the medians of the paired differences; then
``python -X importtime`` for the plugin module. Exit status 1 if the CPU overhead is over budget.

    python benchmarks/bench_plugin_startup.py [--runs 20]
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

BUDGET_MS = 50.0


def _run(args: list[str], cwd: Path) -> tuple[float, float]:
    """Wall-clock and CPU (user + system) milliseconds of one pytest process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p",
                    "no:cacheprovider", *args], cwd=cwd, check=True, capture_output=True)
    wall = (time.perf_counter() - start) * 1000
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1000
    return wall, cpu


def _import_times(top: int) -> list[str]:
    """The slowest modules imported by the plugin module itself (cumulative microseconds)."""
    result = subprocess.run([sys.executable, "-X", "importtime", "-c",
                             "import pytest; import pytest_npzcontract.plugin"],
                            capture_output=True, text=True, check=True)
    rows = []
    seen_pytest = False
    for line in result.stderr.splitlines():
        parts = line.split("|")
        if len(parts) != 3 or not parts[1].strip().isdigit():
            continue
        name = parts[2].strip()
        seen_pytest = seen_pytest or name == "pytest"
        if seen_pytest and name != "pytest":
            rows.append((int(parts[1]), parts[2].rstrip()))
    rows.sort(reverse=True)
    return [f"{cumulative / 1000:8.2f} ms  {name}" for cumulative, name in rows[:top]]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="pairs of runs (default 20)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "test_tiny.py").write_text("def test_one():\n    assert True\n")
        _run([], root)  # warm the file-system cache
        pairs = [(_run([], root), _run(["-p", "no:npzcontract"], root))
                 for _ in range(args.runs)]
    print(f"pytest --collect-only, {args.runs} alternating pairs "
          f"(python {sys.version.split()[0]}, {os.cpu_count()} CPUs)")
    print(f"  {'':32s} {'wall ms':>9s} {'CPU ms':>9s}")
    overhead = {}
    for label, pick in (("with the plugin", lambda p: p[0]),
                        ("with -p no:npzcontract", lambda p: p[1])):
        wall, cpu = (statistics.median(pick(p)[i] for p in pairs) for i in (0, 1))
        print(f"  {label + ' (median)':32s} {wall:9.1f} {cpu:9.1f}")
    for i, kind in enumerate(("wall", "cpu")):
        overhead[kind] = statistics.median(a[i] - b[i] for a, b in pairs)
    verdict = "PASS" if overhead["cpu"] < BUDGET_MS else "MISS"
    print(f"  {'overhead (paired median)':32s} {overhead['wall']:9.1f} {overhead['cpu']:9.1f}"
          f"   target: CPU < {BUDGET_MS:.0f} ms  {verdict}")
    print("python -X importtime, modules imported by pytest_npzcontract.plugin (cumulative):")
    for row in _import_times(top=8):
        print(f"  {row}")
    # CPU time is the verdict: wall time also measures whatever else the machine is doing.
    return 0 if overhead["cpu"] < BUDGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
