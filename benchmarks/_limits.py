"""What the limit benchmarks share: datasets, the limits themselves (the least work each job
needs), interleaved timing and min-max summaries.

The limits, as issue 20 defines them:
- a compressed member: raw ISA-L inflate plus CRC-32 (:func:`isal_inflate`);
- a stored member: reading its bytes (:func:`read_bytes`);
- a structural check: a minimal reader of the zip directory and the ``.npy`` headers
  (:func:`minimal_structure`);
- per file: one process that parses each zip directory and inflates every member with ISA-L
  (:data:`FLOOR_SCRIPT`).
"""

from __future__ import annotations

import os
import resource
import shutil
import statistics
import struct
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

# As the CLI does before NumPy loads (cli/main.py): one BLAS thread, unless the user says.
if not any(name in os.environ for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
                                           "MKL_NUM_THREADS")):
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
                 "BLIS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS"):
        os.environ[name] = "1"

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "benchmarks" / "_data"
MiB = 1 << 20
sys.path.insert(0, str(ROOT / "benchmarks"))


def compressed_dataset(megabytes: float) -> Path:
    """The simulated dataset of ``bench_engine.py`` (save_npz, deflated, ~1.6x)."""
    from bench_engine import dataset

    return dataset(megabytes)


def stored_dataset(megabytes: float) -> Path:
    """The same arrays written by ``np.savez`` (stored, uncompressed), metadata included."""
    import numpy as np

    source = compressed_dataset(megabytes)
    path = DATA / f"stored_{source.stem}.npz"
    if not path.exists():
        from pytest_npzcontract.io.reader import load_npz

        arrays, metadata = load_npz(source)
        import json

        np.savez(path, **arrays, _metadata=np.array(json.dumps(metadata)))
    return path


def copies(source: Path, count: int, name: str) -> list[Path]:
    """``count`` copies of ``source`` under ``_data/name/`` (real files, for per-file costs)."""
    folder = DATA / name
    paths = [folder / f"f{i:05d}.npz" for i in range(count)]
    if not all(p.exists() for p in paths):
        folder.mkdir(parents=True, exist_ok=True)
        for p in paths:
            if not p.exists():
                shutil.copyfile(source, p)
    return paths


def one_mb_file() -> Path:
    """A ~1 MB compressed dataset (32 simulated 64 x 64 frames with ground truth)."""
    return compressed_dataset(1)


# -- limits --------------------------------------------------------------------------------

def _member_spans(path: Path) -> list[tuple[zipfile.ZipInfo, int]]:
    with zipfile.ZipFile(path) as zf, open(path, "rb") as fh:
        spans = []
        for info in zf.infolist():
            fh.seek(info.header_offset + 26)
            name_len, extra_len = struct.unpack("<HH", fh.read(4))
            spans.append((info, info.header_offset + 30 + name_len + extra_len))
        return spans


def isal_inflate(path: Path, spans: list | None = None) -> None:
    """Raw ISA-L inflate + CRC-32 of every member, one read each, nothing else."""
    from isal import isal_zlib

    with open(path, "rb") as fh:
        for info, start in spans or _member_spans(path):
            fh.seek(start)
            raw = fh.read(info.compress_size)
            if info.compress_type == zipfile.ZIP_STORED:
                crc = isal_zlib.crc32(raw)
            else:
                obj, crc = isal_zlib.decompressobj(-15), 0
                view, pos = memoryview(raw), 0
                while pos < len(raw) or obj.unconsumed_tail:
                    data = obj.unconsumed_tail or view[pos:pos + MiB]
                    if not obj.unconsumed_tail:
                        pos += MiB
                    crc = isal_zlib.crc32(obj.decompress(data, 4 * MiB), crc)
            if crc != info.CRC:
                raise SystemExit(f"CRC mismatch in {info.filename}")


def read_bytes(path: Path, buffer: bytearray | None = None) -> None:
    """Read the whole file into one reused buffer (the cost of touching every byte once)."""
    size = os.path.getsize(path)
    buf = buffer if buffer is not None and len(buffer) >= size else bytearray(size)
    with open(path, "rb", buffering=0) as fh:
        view, got = memoryview(buf), 0
        while got < size:
            n = fh.readinto(view[got:size])
            if not n:
                break
            got += n


def read_crc_minmax(path: Path) -> None:
    """The passes the value rules cannot do without, over a stored file: read each 1 MiB into
    one reused buffer, its CRC-32 (ISA-L), NumPy's min and max of it as float32, nothing
    else (no header, no dose estimate, no per-key bookkeeping)."""
    import numpy as np
    from isal import isal_zlib

    buf = bytearray(MiB)
    view = memoryview(buf)
    with open(path, "rb", buffering=0) as fh:
        while n := fh.readinto(view):
            isal_zlib.crc32(view[:n])
            values = np.frombuffer(buf, np.float32, count=n // 4)
            values.min(), values.max()


def minimal_structure(path: Path) -> None:
    """Zip directory plus each member's ``.npy`` header, parsed with NumPy's own reader."""
    import numpy as np

    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            with zf.open(info) as fp:
                major, _ = np.lib.format.read_magic(fp)
                if major == 1:
                    np.lib.format.read_array_header_1_0(fp)
                else:
                    np.lib.format.read_array_header_2_0(fp)


FLOOR_SCRIPT = """
import struct, sys, zipfile
from isal import isal_zlib
for path in sys.argv[1:]:
    with zipfile.ZipFile(path) as zf, open(path, "rb") as fh:
        for info in zf.infolist():
            fh.seek(info.header_offset + 26)
            n, e = struct.unpack("<HH", fh.read(4))
            fh.seek(info.header_offset + 30 + n + e)
            raw = fh.read(info.compress_size)
            data = raw if info.compress_type == 0 else isal_zlib.decompress(raw, -15)
            assert isal_zlib.crc32(data) == info.CRC
"""


def floor_pass(paths: list[Path]) -> None:
    """What FLOOR_SCRIPT does, in this process: each zip directory, every member inflated
    with ISA-L and CRC-checked."""
    from isal import isal_zlib

    for path in paths:
        with zipfile.ZipFile(path) as zf, open(path, "rb") as fh:
            for info in zf.infolist():
                fh.seek(info.header_offset + 26)
                n, e = struct.unpack("<HH", fh.read(4))
                fh.seek(info.header_offset + 30 + n + e)
                raw = fh.read(info.compress_size)
                data = raw if info.compress_type == 0 else isal_zlib.decompress(raw, -15)
                if isal_zlib.crc32(data) != info.CRC:
                    raise SystemExit(f"CRC mismatch in {path}")


def compiled_env(base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for measured children: bytecode is used (PYTHONDONTWRITEBYTECODE, set
    on some machines, would make every start-up compile our package from source)."""
    env = dict(os.environ if base is None else base)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def precompile() -> None:
    """Compile the package's bytecode once, as an installed package has it."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "pytest_npzcontract")],
                   check=True, env=compiled_env(), stdout=subprocess.DEVNULL)


# -- timing --------------------------------------------------------------------------------

def interleaved(fns: dict[str, Callable[[], object]], runs: int, clock: str = "cpu"
                ) -> dict[str, list[float]]:
    """Seconds of each function over ``runs`` rounds, the functions in turn in each round.

    ``clock="cpu"``: this process's CPU time (``time.process_time``), which other processes
    on a shared machine disturb far less than the wall clock (they still share the caches);
    ``"wall"`` where the wall clock is the point (threads on two cores)."""
    now = time.process_time if clock == "cpu" else time.perf_counter
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(runs):
        for name, fn in fns.items():
            start = now()
            fn()
            times[name].append(now() - start)
    return times


def child_cpu(argv: list[str], env: dict[str, str] | None = None, cwd: Path | None = None
              ) -> tuple[float, float]:
    """(wall, user+system CPU) seconds of one child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   env=compiled_env(env), cwd=cwd)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def span(values: list[float]) -> str:
    return f"{min(values):.3g}-{max(values):.3g}"


def ratio_line(name: str, ours: list[float], limit: list[float], goal: str,
               met: Callable[[float], bool], unit: str = "ms", invert: bool = False) -> str:
    """One figure: our time, the limit's, the ratio per round (min-max) and the median."""
    scale = 1e3 if unit == "ms" else 1.0
    ratios = [(lim / us if invert else us / lim) for us, lim in zip(ours, limit, strict=True)]
    median = statistics.median(ratios)
    verdict = "MET" if met(median) else "MISSED"
    return (f"{name}: ours {span([t * scale for t in ours])} {unit}, limit "
            f"{span([t * scale for t in limit])} {unit}; ratio {span(ratios)} "
            f"(median {median:.2f}; goal {goal}) {verdict}")
