"""First vs cached ``npzcontract lint`` of a tree of 200 datasets totalling about 500 MB.

Each round empties the cache, runs the console script once (every file checked, values
scanned; the cache filled) and again (every report from the cache), start-up included both
times; prints medians and the median of the per-round ratios (target: cached >= 10x faster).
The content strategy (a SHA-256 of every byte, for CI checkouts) is timed too. The tree is
built once in ``benchmarks/_data/tree200`` (one simulated dataset copied 200 times).

    python benchmarks/bench_cache.py [--rounds 3] [--files 200] [--megabytes 500]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "_data"
TARGET = 10.0


def build_tree(files: int, megabytes: float) -> Path:
    """``files`` datasets in nested folders, ``megabytes`` in all (made once, then reused)."""
    sys.path.insert(0, str(ROOT))
    from pytest_npzcontract.physics.factory import write_dataset

    tree = DATA / f"tree{files}_{int(megabytes)}mb"
    if tree.is_dir() and len(list(tree.rglob("*.npz"))) == files:
        return tree
    shutil.rmtree(tree, ignore_errors=True)
    per_file = megabytes * 1e6 / files
    n_images = max(1, round(per_file / (64 * 64 * (4 + 8))))  # float32 diffraction + c64 Y
    seed = tree / "seed.npz"
    write_dataset(seed, n_images=n_images, N=64, nphotons=1e6, seed=0)
    for i in range(files):
        target = tree / f"run{i % 10:02d}" / f"scan_{i:04d}.npz"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(seed, target)
    seed.unlink()
    return tree


def timed(args: list[str], cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode not in (0, 1):
        raise SystemExit(f"lint failed: {result.stderr}")
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--megabytes", type=float, default=500)
    args = parser.parse_args(argv)
    tree = build_tree(args.files, args.megabytes)
    size = sum(p.stat().st_size for p in tree.rglob("*.npz"))
    script = Path(sys.executable).with_name("npzcontract")
    lint = [str(script)] if script.exists() else [
        sys.executable, "-c", "import sys; from pytest_npzcontract.cli import main; "
        "sys.exit(main(sys.argv[1:]))"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("NPZCONTRACT_NO_CACHE", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # run from bytecode, as an installed package does
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "pytest_npzcontract")],
                   check=True, env=env)
    cache = tree / ".npzcontract_cache"
    rows: dict[str, list[float]] = {"first": [], "cached": [], "first (content)": [],
                                    "cached (content)": []}
    for _ in range(args.rounds):
        for strategy, suffix in (("metadata", ""), ("content", " (content)")):
            shutil.rmtree(cache, ignore_errors=True)
            command = [*lint, "lint", "--no-config", "--no-respect-gitignore", "--cache-strategy",
                       strategy, "."]  # benchmarks/_data is gitignored
            rows["first" + suffix].append(timed(command, tree, env))
            rows["cached" + suffix].append(timed(command, tree, env))
    shutil.rmtree(cache, ignore_errors=True)
    print(f"lint of {args.files} files, {size / 1e6:.0f} MB, {args.rounds} rounds "
          f"(python {sys.version.split()[0]}, {os.cpu_count()} CPUs, warm page cache)")
    verdict = 0
    for suffix in ("", " (content)"):
        first = statistics.median(rows["first" + suffix])
        again = statistics.median(rows["cached" + suffix])
        ratio = statistics.median(a / b for a, b in zip(rows["first" + suffix],
                                                         rows["cached" + suffix], strict=True))
        ok = ratio >= TARGET
        if not suffix:
            verdict = 0 if ok else 1
        print(f"  strategy {'metadata' if not suffix else 'content':9s} first {first:7.2f} s   "
              f"cached {again:6.3f} s   speed-up {ratio:6.1f}x   target >= {TARGET:.0f}x "
              f"{'PASS' if ok else 'MISS'}{'' if not suffix else ' (informative)'}")
    return verdict


if __name__ == "__main__":
    sys.exit(main())
