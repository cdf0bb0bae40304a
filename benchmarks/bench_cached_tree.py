"""Cached ``lint`` runs of 1,000 and 10,000 files: wall time, CPU, and whether NumPy (or the
checker, or jsonschema) was imported, against bare Python start-up measured in the same run.

    python benchmarks/bench_cached_tree.py [--runs 5] [--sizes 1000 10000]

The trees are copies of one small dataset under ``benchmarks/_data/tree_N/`` (100 files per
folder); the first run fills the cache, the measured runs are all hits. Goal (issue 20): no
NumPy import, and <= 0.15 s for 1,000 cached files.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

from _limits import DATA, ROOT, child_cpu, compiled_env, precompile, span

PY = sys.executable
PROBE = """
import sys
from pytest_npzcontract.cli import main
code = main(["lint", "--cache", "--no-respect-gitignore", sys.argv[1]])
loaded = [m for m in ("numpy", "jsonschema", "pytest_npzcontract.contract.checker")
          if m in sys.modules]
print("loaded:", ",".join(loaded) or "none", file=sys.stderr)
"""


def tree(count: int) -> Path:
    folder = DATA / f"tree_{count}"
    marker = folder / ".complete"
    if marker.exists():
        return folder
    from pytest_npzcontract.physics.factory import write_dataset

    source = write_dataset(DATA / "tree_source.npz", n_images=4, seed=1)
    for i in range(count):
        target = folder / f"d{i // 100:03d}" / f"f{i:05d}.npz"
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists():
            shutil.copyfile(source, target)
    marker.touch()
    return folder


def cached_tree_figures(runs: int, sizes: list[int]) -> list[str]:
    lines = []
    env = compiled_env()
    env.pop("NPZCONTRACT_NO_CACHE", None)
    bare = [PY, "-c", "pass"]
    for count in sizes:
        folder = tree(count)
        run = [PY, "-c", PROBE, str(folder)]
        subprocess.run(run, check=False, capture_output=True, env=env, cwd=folder)  # fill
        probe = subprocess.run(run, check=False, capture_output=True, text=True, env=env,
                               cwd=folder)
        summary = probe.stdout.strip().splitlines()[-1] if probe.stdout.strip() else "?"
        loaded = probe.stderr.strip().splitlines()[-1] if probe.stderr.strip() else "?"
        ours_wall, ours_cpu, bare_wall, bare_cpu = [], [], [], []
        console = [str(Path(PY).with_name("npzcontract")), "lint", "--cache", "--no-respect-gitignore",
                   str(folder)]
        for _ in range(runs):
            wall, cpu = child_cpu(console, env, folder)
            ours_wall.append(wall)
            ours_cpu.append(cpu)
            wall, cpu = child_cpu(bare, env, folder)
            bare_wall.append(wall)
            bare_cpu.append(cpu)
        median = sorted(ours_wall)[len(ours_wall) // 2]
        cpu = sorted(ours_cpu)[runs // 2]
        goal = "" if count != 1000 else (f" (goal <= 0.15 s: wall "
                                         f"{'MET' if median <= 0.15 else 'MISSED'}, CPU "
                                         f"{'MET' if cpu <= 0.15 else 'MISSED'})")
        lines.append(f"cached run, {count} files: wall {span(ours_wall)} s, CPU "
                     f"{span(ours_cpu)} s{goal}; bare python wall {span(bare_wall)} s, CPU "
                     f"{span(bare_cpu)} s; CPU per file above bare python "
                     f"{(cpu - sorted(bare_cpu)[runs // 2]) / count * 1e6:.0f} us; imported "
                     f"{loaded.removeprefix('loaded: ')}; '{summary}'")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sizes", type=int, nargs="*", default=[1000, 10000])
    args = parser.parse_args()
    for line in cached_tree_figures(args.runs, args.sizes):
        print(line, flush=True)


if __name__ == "__main__":
    os.chdir(ROOT)
    precompile()
    main()
