"""Cost of doing provenance right: split through ``transform`` vs a naive np.load/np.savez split,
the lineage graph over a folder, and the quicklook picture (time and peak traced memory).

    python benchmarks/bench_provenance.py [--images 2000] [--files 40] [--rounds 3]

The naive split is what the reference project's split tool does (np.load, mask, np.savez twice;
no metadata, no record, no check, not atomic). ``transform`` additionally hashes the input
(twice: before and after reading), checks both parts against the contract (values included)
and writes them atomically. Every time is the median of ``--rounds`` runs, the two splits run in
turn inside each round. Peak memory of the quicklook is measured with ``tracemalloc`` (NumPy
allocations are traced) relative to the size of the file's arrays.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np

from pytest_npzcontract.physics.factory import write_dataset
from pytest_npzcontract.tools.lineage_graph import build_graph
from pytest_npzcontract.tools.split import split_file

#: Targets: the safe split within 3x the naive one; the lineage graph of a folder in < 50 ms per
#: file; the quicklook's traced peak below 3x the arrays it reads.
SPLIT_RATIO = 3.0
LINEAGE_MS = 50.0
PLOT_PEAK = 3.0


def naive_split(src: Path, out: Path) -> None:
    with np.load(src) as data:
        arrays = {k: data[k] for k in data.files if k != "_metadata"}
    y = arrays["ycoords"]
    mask = y < y.min() + 0.8 * (y.max() - y.min())
    n = len(y)
    for name, sel in (("train", mask), ("test", ~mask)):
        np.savez_compressed(out / f"naive_{name}.npz",
                            **{k: v[sel] if v.ndim and v.shape[0] == n else v
                               for k, v in arrays.items()})


def timed(function, *args, **kwargs) -> float:
    start = time.perf_counter()
    function(*args, **kwargs)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=2000)
    parser.add_argument("--files", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    verdicts = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        src = write_dataset(root / "sim.npz", n_images=args.images, N=64, nphotons=1e6,
                            compressed=True)
        size = src.stat().st_size
        ours, naive = [], []
        for _ in range(args.rounds):
            ours.append(timed(split_file, src, output_dir=str(root), compressed=True))
            naive.append(timed(naive_split, src, root))
        ratio = statistics.median(ours) / statistics.median(naive)
        print(f"split of {args.images} x 64x64 ({size / 2**20:.1f} MiB): transform "
              f"{statistics.median(ours) * 1000:.0f} ms, naive {statistics.median(naive) * 1000:.0f}"
              f" ms, ratio {ratio:.2f}x (target <= {SPLIT_RATIO:g}x)")
        verdicts.append(ratio <= SPLIT_RATIO)

        folder = root / "many"
        folder.mkdir()
        for i in range(args.files):
            write_dataset(folder / f"d{i:03d}.npz", n_images=16, N=64, seed=i)
        for i in range(0, args.files, 2):
            split_file(folder / f"d{i:03d}.npz")
        count = len(list(folder.glob("*.npz")))
        spent = statistics.median(timed(build_graph, [folder]) for _ in range(args.rounds))
        per_file = spent * 1000 / count
        print(f"lineage graph of {count} files: {spent * 1000:.0f} ms, {per_file:.1f} ms per "
              f"file (target < {LINEAGE_MS:g} ms)")
        verdicts.append(per_file < LINEAGE_MS)

        try:
            from pytest_npzcontract.tools.quicklook import HEIGHT, WIDTH, plot_file
        except ImportError:  # pragma: no cover - matplotlib missing
            print("quicklook: matplotlib not installed; skipped")
        else:
            plot_file(src, root / "warm.png")  # imports and font cache not counted
            arrays_bytes = sum(v.nbytes for v in np.load(src).values())
            spent = statistics.median(timed(plot_file, src, root / "q.png")
                                      for _ in range(args.rounds))
            tracemalloc.start()  # a separate run: tracing slows allocation-heavy code down
            plot_file(src, root / "q.png")
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            print(f"quicklook {WIDTH}x{HEIGHT} px of {args.images} patterns: {spent:.2f} s, "
                  f"traced peak {peak / 2**20:.0f} MiB = {peak / arrays_bytes:.2f}x the arrays "
                  f"({arrays_bytes / 2**20:.0f} MiB; target <= {PLOT_PEAK:g}x)")
            verdicts.append(peak / arrays_bytes <= PLOT_PEAK)
    print("PASS" if all(verdicts) else "MISS")
    return 0 if all(verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
