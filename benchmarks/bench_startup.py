"""One-file ``npzcontract lint`` CPU time against ``python -c "import numpy"`` (the pre-commit
case: one small staged dataset). Target: lint <= 1.5x import numpy.

Runs alternate (import numpy, lint without cache, lint with a warm cache) so machine load hits
each alike; prints the medians of CPU (user + system) and wall time and the median of the
per-round ratios. The lint runs the installed console script with this checkout first on
``PYTHONPATH``, from compiled bytecode as an installed package runs.

    python benchmarks/bench_startup.py [--rounds 15]
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

ROOT = Path(__file__).resolve().parents[1]
TARGET = 1.5


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """CPU and wall seconds of one child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(args, cwd=cwd, env=env, check=False, capture_output=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime, wall


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from pytest_npzcontract.physics.factory import write_dataset

    script = Path(sys.executable).with_name("npzcontract")
    lint = [str(script)] if script.exists() else [
        sys.executable, "-c", "import sys; from pytest_npzcontract.cli import main; "
        "sys.exit(main(sys.argv[1:]))"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("NPZCONTRACT_NO_CACHE", None)
    # Installed packages run from compiled bytecode; without it every run would compile the
    # package's sources again (PYTHONDONTWRITEBYTECODE is set in some CI images).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "pytest_npzcontract")],
                   check=True, env=env)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        write_dataset(work / "staged.npz", n_images=16, N=64, nphotons=1e6, seed=1)
        commands = {
            "python -c 'import numpy'": [sys.executable, "-c", "import numpy"],
            "lint one file (--no-cache)": [*lint, "lint", "--no-config", "--no-cache",
                                           "staged.npz"],
            "lint one file (cached)": [*lint, "lint", "--no-config", "staged.npz"],
        }
        for command in commands.values():  # warm the page cache and the lint cache
            _run(command, work, env)
        rounds = [{name: _run(command, work, env) for name, command in commands.items()}
                  for _ in range(args.rounds)]
    base = "python -c 'import numpy'"
    print(f"one-file start-up, {args.rounds} alternating rounds "
          f"(python {sys.version.split()[0]}, {os.cpu_count()} CPUs)")
    print(f"  {'':30s} {'CPU ms':>8s} {'wall ms':>8s} {'CPU / numpy':>12s}")
    verdict = 0
    for name in commands:
        cpu = statistics.median(r[name][0] for r in rounds) * 1000
        wall = statistics.median(r[name][1] for r in rounds) * 1000
        ratio = statistics.median(r[name][0] / r[base][0] for r in rounds)
        line = f"  {name:30s} {cpu:8.1f} {wall:8.1f} {ratio:11.2f}x"
        if name != base:
            ok = ratio <= TARGET
            line += f"   target <= {TARGET}x {'PASS' if ok else 'MISS'}"
            verdict |= 0 if ok else 1
        print(line)
    return verdict


if __name__ == "__main__":
    sys.exit(main())
