"""Every figure of issue 20's table against its limit, the limit measured in the same run.

    python benchmarks/bench_limits.py [--runs 5] [--only NAME ...] [--files 1000]

In-process figures are CPU times of this process (``time.process_time``: on a shared machine
other processes disturb it far less than the wall clock); figures of whole processes are the
children's wall or CPU time as named. Figures (NAME): ``compressed`` (value scan of the ~250 MB deflated dataset vs raw ISA-L
inflate + CRC, default backend, and with zlib forced: the stdlib fallback), ``stored`` (value
scan of the same arrays written by ``np.savez`` vs reading the bytes), ``perfile`` (value scan
of N files of 1 MB vs a minimal ISA-L pass over the same files, one process each),
``precommit`` (the hook's command on 3 staged 1 MB files vs the floor process on them),
``structural`` (``check_file(values=False)`` vs a minimal zip-directory + ``.npy``-header
reader; and the first call in a fresh process), ``startup`` (one-file ``lint`` CPU vs
``python -c "import numpy"``), ``cached`` (lint of 1,000 cached files: wall, CPU, NumPy-free)
and ``parallel`` (2 large members on 2 cores vs the single-core limit). Each prints ours, the
limit, the per-round ratio as min-max over the interleaved rounds, its median and MET/MISSED.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _limits import (
    FLOOR_SCRIPT,
    ROOT,
    child_cpu,
    compiled_env,
    compressed_dataset,
    copies,
    floor_pass,
    interleaved,
    isal_inflate,
    minimal_structure,
    one_mb_file,
    precompile,
    ratio_line,
    read_bytes,
    read_crc_minmax,
    span,
    stored_dataset,
)

PY = sys.executable
NPZ = str(Path(PY).with_name("npzcontract"))


def compressed(runs: int) -> list[str]:
    from pytest_npzcontract.contract.checker import check_file
    from pytest_npzcontract.io import members
    from pytest_npzcontract.io.inflate import fastest

    path = compressed_dataset(250)
    zlib_backend = members.ZlibInflater
    fns = {"scan": lambda: check_file(path), "limit": lambda: isal_inflate(path)}
    times = interleaved(fns, runs)
    previous = members.set_deflate_backend(lambda: zlib_backend())
    try:
        slow = interleaved({"scan": lambda: check_file(path), "limit": lambda: isal_inflate(path)},
                           max(runs // 2, 2))
    finally:
        members.set_deflate_backend(previous)
    return [ratio_line(f"value scan 250 MB compressed, default install ({fastest()[0]})",
                       times["scan"], times["limit"], ">= 0.95 of the limit",
                       lambda r: r >= 0.95, invert=True),
            ratio_line("  the same with the stdlib zlib plugged in (fallback)", slow["scan"],
                       slow["limit"], "none (fallback)", lambda r: True, invert=True)]


def stored(runs: int) -> list[str]:
    from pytest_npzcontract.contract.checker import check_file

    path = stored_dataset(250)
    buffer = bytearray(os.path.getsize(path))
    times = interleaved({"scan": lambda: check_file(path),
                         "limit": lambda: read_bytes(path, buffer),
                         "passes": lambda: read_crc_minmax(path)}, runs)
    return [ratio_line("value scan 250 MB stored (np.savez)", times["scan"], times["limit"],
                       "<= 1.5x reading the bytes", lambda r: r <= 1.5),
            ratio_line("  read + CRC-32 + min + max alone (the passes the rules need)",
                       times["passes"], times["limit"], "for comparison", lambda r: True),
            ratio_line("  the value scan against those passes", times["scan"],
                       times["passes"], "for comparison", lambda r: True)]


def perfile(runs: int, count: int) -> list[str]:
    from pytest_npzcontract.contract.checker import check_file

    paths = copies(one_mb_file(), count, f"onemb_{count}")
    floor = floor_pass
    floor(paths[:2])
    check_file(paths[0])
    times = interleaved({"ours": lambda: [check_file(p) for p in paths],
                         "limit": lambda: floor(paths)}, runs)
    ours = [t / count for t in times["ours"]]
    limit = [t / count for t in times["limit"]]
    return [ratio_line(f"per-file cost, {count} files of 1 MB", ours, limit, "<= 1.5x",
                       lambda r: r <= 1.5)]


def precommit(runs: int) -> list[str]:
    paths = [str(p) for p in copies(one_mb_file(), 3, "staged3")]
    env = {**os.environ, "NPZCONTRACT_NO_CACHE": "1"}
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as fh:
        fh.write(FLOOR_SCRIPT)
    hook = [NPZ, "lint", *paths]
    floor = [PY, fh.name, *paths]
    numpy = [PY, "-c", "import numpy"]  # any value statistic needs it
    child_cpu(hook, env), child_cpu(floor, env), child_cpu(numpy, env)
    ours, limit, imports = [], [], []
    for _ in range(runs):
        ours.append(child_cpu(hook, env)[0])
        limit.append(child_cpu(floor, env)[0])
        imports.append(child_cpu(numpy, env)[0])
    os.unlink(fh.name)
    return [ratio_line("pre-commit hook command, 3 staged 1 MB files (wall)", ours, limit,
                       "<= 2x the floor process", lambda r: r <= 2.0, unit="s"),
            ratio_line('  python -c "import numpy" alone', imports, limit, "for comparison",
                       lambda r: True, unit="s")]


def structural(runs: int) -> list[str]:
    from pytest_npzcontract.contract.checker import check_file

    path = compressed_dataset(250)
    check_file(path, values=False), minimal_structure(path)
    reps = 50
    times = interleaved({"ours": lambda: [check_file(path, values=False) for _ in range(reps)],
                         "limit": lambda: [minimal_structure(path) for _ in range(reps)]}, runs)
    probe = ("import time, sys; from pytest_npzcontract.contract.checker import check_file; "
             "t = time.perf_counter(); check_file(sys.argv[1], values=False); "
             "print(time.perf_counter() - t)")
    first = [float(subprocess.run([PY, "-c", probe, str(path)], capture_output=True, text=True,
                                  check=True, env=compiled_env()).stdout) for _ in range(runs)]
    return [ratio_line("structural check", [t / reps for t in times["ours"]],
                       [t / reps for t in times["limit"]], "<= 2x the minimal reader",
                       lambda r: r <= 2.0),
            f"  first call in a fresh process: {span([t * 1e3 for t in first])} ms "
            f"(goal <= 10 ms) {'MET' if sorted(first)[len(first) // 2] <= 0.010 else 'MISSED'}"]


def startup(runs: int) -> list[str]:
    path = str(one_mb_file())
    env = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")}
    env["NPZCONTRACT_NO_CACHE"] = "1"
    lint, numpy = [NPZ, "lint", path], [PY, "-c", "import numpy"]
    # what any click CLI reading a TOML configuration and hashing imports besides NumPy
    floor = [PY, "-c", "import numpy, click, tomllib, hashlib, json, zipfile"]
    child_cpu(lint, env), child_cpu(numpy, env), child_cpu(floor, env)
    ours, limit, libraries = [], [], []
    for _ in range(runs):
        ours.append(child_cpu(lint, env)[1])
        limit.append(child_cpu(numpy, env)[1])
        libraries.append(child_cpu(floor, env)[1])
    return [ratio_line("one-file lint, CPU", ours, limit, '<= 1.2x python -c "import numpy"',
                       lambda r: r <= 1.2, unit="s"),
            ratio_line("  importing numpy, click, tomllib, hashlib, json, zipfile, nothing else",
                       libraries, limit, "for comparison", lambda r: True, unit="s")]


def cached(runs: int, count: int = 1000) -> list[str]:
    from bench_cached_tree import cached_tree_figures

    return cached_tree_figures(runs, [count])


def parallel(runs: int) -> list[str]:
    from bench_parallel import parallel_figures

    return parallel_figures(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--files", type=int, default=1000, help="files for perfile")
    parser.add_argument("--only", nargs="*", default=None)
    args = parser.parse_args()
    figures = {"compressed": lambda: compressed(args.runs), "stored": lambda: stored(args.runs),
               "perfile": lambda: perfile(args.runs, args.files),
               "precommit": lambda: precommit(args.runs),
               "structural": lambda: structural(args.runs),
               "startup": lambda: startup(args.runs), "cached": lambda: cached(args.runs),
               "parallel": lambda: parallel(args.runs)}
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load "
          f"{os.getloadavg()[0]:.1f}, {time.strftime('%Y-%m-%d %H:%M')}; {args.runs} rounds")
    for name, figure in figures.items():
        if args.only and name not in args.only:
            continue
        for line in figure():
            print(line, flush=True)


if __name__ == "__main__":
    os.chdir(ROOT)
    precompile()
    main()
