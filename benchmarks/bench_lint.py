"""Lint throughput on a folder of many small datasets: serial vs ``--jobs 2``.

    python benchmarks/bench_lint.py [--files 200] [--rounds 5] [--n-images 8] [--N 64]

Each round runs the installed ``npzcontract lint`` console script on the whole folder (so
interpreter start-up and, for ``--jobs``, worker start-up are included, as a user sees them)
and reports the median wall time as files per second, with and without value scans.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pytest_npzcontract.physics.factory import write_dataset

SCRIPT = Path(sys.executable).with_name("npzcontract")


def make_folder(root: Path, files: int, n_images: int, N: int) -> int:
    """Write ``files`` datasets (a few seeds, copied) and return the folder's size in bytes."""
    seeds = [write_dataset(root / f"seed{i}.npz", n_images=n_images, N=N, nphotons=1e6, seed=i)
             for i in range(min(files, 4))]
    for i in range(len(seeds), files):
        (root / f"d{i:04d}.npz").write_bytes(seeds[i % len(seeds)].read_bytes())
    return sum(p.stat().st_size for p in root.glob("*.npz"))


def time_lint(root: Path, rounds: int, *options: str) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        result = subprocess.run([str(SCRIPT), "lint", "--no-config", *options, str(root)],
                                capture_output=True, text=True)
        times.append(time.perf_counter() - start)
        if result.returncode != 0:
            raise SystemExit(f"lint failed:\n{result.stdout}\n{result.stderr}")
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--n-images", type=int, default=8)
    parser.add_argument("--N", type=int, default=64)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        size = make_folder(root, args.files, args.n_images, args.N)
        print(f"{args.files} datasets of {args.n_images} x {args.N}x{args.N} "
              f"({size / args.files / 1024:.0f} KiB each), median of {args.rounds} rounds")
        for label, scan in (("values", ()), ("headers only", ("--no-values",))):
            serial = time_lint(root, args.rounds, *scan)
            parallel = time_lint(root, args.rounds, "--jobs", "2", *scan)
            print(f"  {label:<12}  serial {args.files / serial:7.0f} files/s ({serial:.2f} s)"
                  f"   --jobs 2 {args.files / parallel:7.0f} files/s ({parallel:.2f} s)"
                  f"   ratio {serial / parallel:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
