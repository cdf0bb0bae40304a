"""Engine benchmarks: the speed and memory claims of SPEC §7, measured in one run.

    python benchmarks/bench_engine.py            # 25 MB and 250 MB datasets (first run builds
                                                 # them in benchmarks/_data/, about a minute)
    python benchmarks/bench_engine.py --quick    # 2.5 MB and 25 MB datasets, fewer repetitions

Datasets are simulated diffraction (Poisson noise, amplitude ``sqrt(counts)/s``) with ground
truth patches, written by ``save_npz``, so they compress like real data (about 1.6x). Times are
medians of several repetitions with a warm page cache. Printed ratios:

1. structural ``check_file(values=False)`` vs ``np.load`` reading every array (>= 1000x);
2. structural time on the large vs the small dataset (<= 2x: cost independent of array size);
3. value scan ``check_file(values=True)`` vs plain ``zipfile`` inflation of the same members in
   4 MiB reads (>= 0.9x the speed);
4. peak RSS (``VmHWM``) of a value scan above the interpreter's baseline after imports, in a
   fresh process (<= 64 MiB);
5. ``load_npz`` vs ``np.load`` for full loads (>= 0.8x the speed).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parent / "_data"
MiB = 1 << 20
IMAGES_PER_MB = 32  # simulated 64 x 64 frames with Y: about 0.031 MB compressed per image


def dataset(megabytes: float) -> Path:
    """The cached simulated dataset of about ``megabytes`` MB on disk (built on first use)."""
    from pytest_npzcontract import create_metadata, save_npz
    from pytest_npzcontract.physics.simulate import simulate_dataset

    n_images = int(megabytes * IMAGES_PER_MB)
    path = DATA / f"simulated_{n_images}x64.npz"
    if not path.exists():
        DATA.mkdir(parents=True, exist_ok=True)
        print(f"building {path.name} ({n_images} images) ...", file=sys.stderr, flush=True)
        sim = simulate_dataset(n_images=n_images, N=64, nphotons=1e9, seed=0)
        meta = create_metadata({"nphotons": 1e9, "N": 64, "gridsize": 1}, __file__)
        save_npz(path, sim.arrays, meta)
    return path


def paired_medians(fns: dict[str, Callable[[], object]], repeat: int) -> dict[str, float]:
    """Median seconds of each function, run in turn within every repetition so that drift in
    machine load affects all of them alike."""
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def np_load_all(path: Path) -> None:
    with np.load(path) as npz:
        for key in npz.files:
            npz[key]


def inflate(path: Path, members: set[str]) -> None:
    """Decompress ``members`` in 4 MiB reads and discard the bytes (CRC checked, as scans do)."""
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            if info.filename in members:
                with zf.open(info) as fp:
                    while fp.read(4 * MiB):
                        pass


def scanned_members(path: Path) -> set[str]:
    """The members a value scan reads: every contract key with a numeric dtype."""
    from pytest_npzcontract import DATA_001, inspect_npz

    return {m.member for k, m in inspect_npz(path).items()
            if k in DATA_001.keys and m.dtype.kind in "biufc"}


def scan_memory(path: Path) -> dict[str, float]:
    """Peak RSS growth of one value scan, measured in a fresh interpreter."""
    proc = subprocess.run([sys.executable, __file__, "--scan-memory", str(path)],
                          capture_output=True, text=True, check=True)
    return json.loads(proc.stdout)


def _scan_memory_child(path: Path) -> None:
    from pytest_npzcontract import check_file

    check_file(path, values=False)  # imports and caches everything the scan needs
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")  # restart the high-water mark from the current RSS
    baseline = _status_mib("VmHWM")
    report = check_file(path, values=True)
    print(json.dumps({"baseline_mib": baseline, "growth_mib": _status_mib("VmHWM") - baseline,
                      "findings": len(report.findings)}))


def _status_mib(field: str) -> float:
    # Not ru_maxrss: Linux carries the parent's high-water mark into a forked child.
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def run(quick: bool) -> list[tuple[str, str, str, bool]]:
    from pytest_npzcontract import check_file, load_npz

    small_mb, large_mb = (2.5, 25) if quick else (25, 250)
    small, large = dataset(small_mb), dataset(large_mb)
    reps = 9 if quick else 5
    assert check_file(large).ok, "the benchmark dataset must be clean"
    np_load_all(large)  # warm the page cache

    members = scanned_members(large)
    t = paired_medians({"small": lambda: check_file(small, values=False),
                        "large": lambda: check_file(large, values=False)}, 30)
    t |= paired_medians({"np.load": lambda: np_load_all(large),
                         "scan": lambda: check_file(large, values=True),
                         "inflate": lambda: inflate(large, members),
                         "load_npz": lambda: load_npz(large)}, reps)
    structural_small, structural = t["small"], t["large"]
    numpy_load, scan, plain, ours_load = t["np.load"], t["scan"], t["inflate"], t["load_npz"]
    memory = scan_memory(large)

    size = f"{large.stat().st_size / 1e6:.0f} MB"
    print(f"dataset {large.name}: {size} on disk; small {small.stat().st_size / 1e6:.1f} MB")
    print(f"structural {structural * 1e3:.2f} ms (small {structural_small * 1e3:.2f} ms), "
          f"np.load {numpy_load:.2f} s, value scan {scan:.2f} s, inflate {plain:.2f} s, "
          f"load_npz {ours_load:.2f} s, scan baseline RSS {memory['baseline_mib']:.0f} MiB")
    ratio = numpy_load / structural
    scaling = structural / structural_small
    return [
        (f"structural check vs np.load ({size})", f"{ratio:,.0f}x faster", ">= 1000x",
         ratio >= 1000),
        (f"structural time {size} / {small.stat().st_size / 1e6:.1f} MB", f"{scaling:.2f}x",
         "<= 2x",
         scaling <= 2),
        ("value scan speed vs plain inflate", f"{plain / scan:.2f}x", ">= 0.9x",
         plain / scan >= 0.9),
        ("value scan peak RSS above baseline", f"{memory['growth_mib']:.1f} MiB", "<= 64 MiB",
         memory["growth_mib"] <= 64),
        ("load_npz speed vs np.load", f"{numpy_load / ours_load:.2f}x", ">= 0.8x",
         numpy_load / ours_load >= 0.8),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2.5 MB and 25 MB datasets")
    parser.add_argument("--scan-memory", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.scan_memory:
        _scan_memory_child(args.scan_memory)
        return 0
    rows = run(args.quick)
    width = max(len(r[0]) for r in rows)
    print(f"\n{'benchmark':<{width}}  {'measured':>14}  {'target':>10}  result")
    for name, measured, target, passed in rows:
        print(f"{name:<{width}}  {measured:>14}  {target:>10}  {'PASS' if passed else 'MISS'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
