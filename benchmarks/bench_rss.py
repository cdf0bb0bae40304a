"""Peak memory of a value scan does not grow with the file: ``check_file(values=True)`` of
the simulated dataset at ~25 MB, ~250 MB and ~1 GB (deflated, default install), each in a
fresh process, peak RSS (``VmHWM`` after resetting it through ``/proc/self/clear_refs``)
above the process's baseline after imports.

    python benchmarks/bench_rss.py [--sizes 25 250 1000]

The 1 GB file is the 250 MB dataset's arrays tiled four times along the frames (written once
by ``save_npz`` into ``benchmarks/_data/``). Goal (issue 20): flat, i.e. the largest file's
peak within a few MiB of the smallest's.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

from _limits import DATA, ROOT, MiB, compiled_env, compressed_dataset, precompile

PY = sys.executable
PROBE = """
import sys, time
from pytest_npzcontract.contract.checker import check_file
from pytest_npzcontract.io.inflate import fastest
def hwm():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM"):
            return int(line.split()[1]) * 1024
check_file(sys.argv[1], values=False)  # imports done, headers parsed
open("/proc/self/clear_refs", "w").write("5")
base = hwm()
start = time.perf_counter()
report = check_file(sys.argv[1])
print(hwm() - base, time.perf_counter() - start, fastest()[0], len(report.findings))
"""


def dataset(megabytes: int):
    if megabytes <= 250:
        return compressed_dataset(megabytes)
    import numpy as np

    from pytest_npzcontract.io.reader import load_npz
    from pytest_npzcontract.io.writer import save_npz

    tiles = round(megabytes / 250)
    path = DATA / f"tiled_{tiles}x250MB.npz"
    if not path.exists():
        print(f"building {path.name} ...", file=sys.stderr, flush=True)
        arrays, metadata = load_npz(compressed_dataset(250))
        n = len(arrays["diffraction"])
        big = {k: (np.concatenate([v] * tiles) if v.ndim and len(v) == n else v)
               for k, v in arrays.items()}
        save_npz(path, big, metadata)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[25, 250, 1000])
    args = parser.parse_args()
    print(f"{time.strftime('%Y-%m-%d %H:%M')}, load {os.getloadavg()[0]:.1f}")
    peaks = []
    for megabytes in args.sizes:
        path = dataset(megabytes)
        out = subprocess.run([PY, "-c", PROBE, str(path)], capture_output=True, text=True,
                             check=True, env=compiled_env()).stdout.split()
        peak, seconds, backend = int(out[0]), float(out[1]), out[2]
        peaks.append(peak)
        print(f"{os.path.getsize(path) / 1e6:7.0f} MB file: peak RSS +{peak / MiB:.1f} MiB, "
              f"value scan {seconds:.2f} s ({backend})", flush=True)
    spread = (max(peaks) - min(peaks)) / MiB
    print(f"spread {spread:.1f} MiB from the smallest to the largest file (goal: flat, "
          f"<= 8 MiB) {'MET' if spread <= 8 else 'MISSED'}")


if __name__ == "__main__":
    os.chdir(ROOT)
    precompile()
    main()
