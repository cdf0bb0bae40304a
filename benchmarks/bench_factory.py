"""Speed of the dataset factory behind ``npz_factory``: calls per second and ms per call.

    python benchmarks/bench_factory.py [--calls 40]

Each case writes ``--calls`` datasets into a temporary directory (distinct seeds) and reports
the median wall-clock time per call (the file is fsynced, so disk load shows) and the median
CPU time; ``defaults`` is what ``npz_factory()`` does.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from pytest_npzcontract.physics.factory import LEGACY_FORMS, write_dataset

#: ``npz_factory()`` with defaults, called three dozen times in one test, should take < 1 s.
TARGET_MS = 25.0
CASES = {
    "defaults (8 x 64x64, Y, metadata)": {},
    "all legacy forms (nphotons 1e4)": {"nphotons": 1e4, "legacy": LEGACY_FORMS},
    "one violation (32x32 probe)": {"overrides": {"probeGuess": np.ones((32, 32),
                                                                        np.complex64)}},
    "64 x 64x64": {"n_images": 64},
    "8 x 128x128": {"N": 128},
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=40)
    args = parser.parse_args(argv)
    print(f"write_dataset, {args.calls} calls per case")
    medians: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        write_dataset(Path(tmp) / "warm.npz")  # first-call imports (jsonschema) not counted
        for label, kwargs in CASES.items():
            wall, cpu = [], []
            for i in range(args.calls):
                start, start_cpu = time.perf_counter(), time.process_time()
                write_dataset(Path(tmp) / f"d{i}.npz", seed=i, **kwargs)
                wall.append(time.perf_counter() - start)
                cpu.append(time.process_time() - start_cpu)
            median = statistics.median(wall)
            print(f"  {label:34s} {median * 1000:7.2f} ms/call  {1 / median:6.1f} calls/s"
                  f"  (CPU {statistics.median(cpu) * 1000:.2f} ms)")
            medians[label] = median * 1000
    default = medians[next(iter(CASES))]
    verdict = "PASS" if default < TARGET_MS else "MISS"
    print(f"target: defaults < {TARGET_MS:.0f} ms/call (36 calls < 1 s): {default:.2f} ms  {verdict}")
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
