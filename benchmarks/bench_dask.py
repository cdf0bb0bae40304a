"""``lint --executor dask`` with 2 local workers against ``--jobs 2`` on ~200 files, and what
Dask's scheduling costs per file.

    python benchmarks/bench_dask.py [--files 200] [--rounds 5] [--n-images 8] [--N 64]

Rows, each the median of ``--rounds`` rounds run in turn inside every round (the console script,
interpreter start-up included, value scans on, no cache):

- ``--jobs 2``: two local worker processes (the baseline);
- ``dask, running cluster``: ``--executor dask --scheduler ADDRESS`` against a two-worker
  LocalCluster (one thread each) started once by this script, as a lab's cluster would be;
- ``dask, cluster per run``: ``--executor dask --jobs 2``, which starts and closes a
  LocalCluster of two workers inside every run.

Targets: the running cluster at most 1.2x the ``--jobs 2`` time. The scheduling overhead per
file is measured two ways: (dask run - ``--jobs 2`` run) / files, and the round trip of items
that do nothing (``run_on_dask`` over the same number of items, in lint's batches and one item
a task).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_lint import make_folder

SCRIPT = Path(sys.executable).with_name("npzcontract")
TARGET = 1.2


def lint_time(root: Path, *options: str) -> float:
    start = time.perf_counter()
    result = subprocess.run([str(SCRIPT), "lint", "--no-config", "--no-cache", *options,
                             str(root)], capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"lint {' '.join(options)} failed:\n{result.stdout}\n{result.stderr}")
    return elapsed


def import_time() -> float:
    """What the client pays before any scheduling: importing Dask's distributed."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import distributed"], check=True)
    return time.perf_counter() - start


def nothing(item: int, shared: object) -> tuple[str, int]:
    from pytest_npzcontract._version import version

    return version, item


def dispatch_time(address: str, count: int, batch: int | None = None) -> float:
    from pytest_npzcontract.tools.dask_executor import run_on_dask

    start = time.perf_counter()
    done = sum(1 for _ in run_on_dask(nothing, list(range(count)), shared={},
                                      scheduler=address, batch=batch))
    assert done == count
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--n-images", type=int, default=8)
    parser.add_argument("--N", type=int, default=64)
    args = parser.parse_args(argv)
    from distributed import LocalCluster

    with tempfile.TemporaryDirectory() as tmp, LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
            scheduler_kwargs={"dashboard_address": "127.0.0.1:0"}) as cluster:
        root = Path(tmp)
        size = make_folder(root, args.files, args.n_images, args.N)
        address = cluster.scheduler_address
        print(f"{args.files} datasets of {args.n_images} x {args.N}x{args.N} "
              f"({size / args.files / 1024:.0f} KiB each), median of {args.rounds} rounds, "
              f"value scans on, no cache")
        lint_time(root, "--executor", "dask", "--scheduler", address)  # warm the workers
        rows: dict[str, list[float]] = {"--jobs 2": [], "dask, running cluster": [],
                                        "dask, cluster per run": [], "dispatch only": [],
                                        "dispatch, one file a task": [],
                                        "import distributed": []}
        for _ in range(args.rounds):
            rows["--jobs 2"].append(lint_time(root, "--jobs", "2"))
            rows["dask, running cluster"].append(
                lint_time(root, "--executor", "dask", "--scheduler", address))
            rows["dask, cluster per run"].append(
                lint_time(root, "--executor", "dask", "--jobs", "2"))
            rows["dispatch only"].append(dispatch_time(address, args.files))
            rows["dispatch, one file a task"].append(dispatch_time(address, args.files, 1))
            rows["import distributed"].append(import_time())
        median = {name: statistics.median(times) for name, times in rows.items()}
        base = median["--jobs 2"]
        print(f"{'run':<24} {'median s':>9} {'files/s':>8} {'vs --jobs 2':>12}")
        for name in ("--jobs 2", "dask, running cluster", "dask, cluster per run"):
            print(f"{name:<24} {median[name]:>9.2f} {args.files / median[name]:>8.0f} "
                  f"{median[name] / base:>11.2f}x")
        ratio = median["dask, running cluster"] / base
        verdict = "PASS" if ratio <= TARGET else "MISS"
        print(f"running cluster vs --jobs 2: {ratio:.2f}x (target <= {TARGET}x) {verdict}")
        for name in ("dask, running cluster", "dask, cluster per run"):
            extra = (median[name] - base) / args.files * 1000
            print(f"overhead per file, {name}: {extra:+.1f} ms")
        imports = median["import distributed"]
        net = (median["dask, running cluster"] - base - imports) / args.files * 1000
        print(f"the client's import of distributed: {imports:.2f} s; overhead per file "
              f"without it, running cluster: {net:+.1f} ms")
        for name, how in (("dispatch only", "in lint's batches"),
                          ("dispatch, one file a task", "one item a task")):
            print(f"round trip of {args.files} empty items on the running cluster, {how}: "
                  f"{median[name] / args.files * 1000:.2f} ms per item, "
                  f"{median[name]:.2f} s in all")
    return 0


if __name__ == "__main__":
    sys.exit(main())
