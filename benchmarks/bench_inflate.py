"""Deflate backends on the ~250 MB benchmark dataset, single process: plain zlib inflate (as
``zipfile`` does it, 4 MiB reads, CRC checked) against raw inflate + CRC-32 with each installed
backend of ``pytest_npzcontract.io.inflate`` (zlib, ISA-L, zlib-ng), and the value scan
(``check_file(values=True)``) with the backend it uses. Every time is the median of the
repetitions; the functions compared run in turn inside each repetition (warm page cache).
Target: value scan >= 1.3x the speed of plain zlib inflate.

The value scan uses the fastest installed backend by default (``io.members``); it is also
timed with the standard zlib plugged in (``set_deflate_backend``), to show what the backend
buys.

    python benchmarks/bench_inflate.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import struct
import sys
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MiB = 1 << 20
TARGET = 1.3


def raw_inflate(path: Path, module) -> None:
    """Read each deflated member's raw bytes and inflate them in 4 MiB steps, CRC checked."""
    with zipfile.ZipFile(path) as zf, open(path, "rb") as fh:
        for info in zf.infolist():
            if info.compress_type != zipfile.ZIP_DEFLATED:
                continue
            fh.seek(info.header_offset)
            name_len, extra_len = struct.unpack("<HH", fh.read(30)[26:30])
            fh.seek(info.header_offset + 30 + name_len + extra_len)
            left, obj, crc = info.compress_size, module.decompressobj(-15), 0
            while left:
                raw = fh.read(min(MiB, left))
                left -= len(raw)
                out = obj.decompress(raw, 4 * MiB)
                while out:
                    crc = module.crc32(out, crc)
                    out = obj.decompress(obj.unconsumed_tail, 4 * MiB) if obj.unconsumed_tail \
                        else b""
            if crc != info.CRC:
                raise SystemExit(f"CRC mismatch in {info.filename}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(Path(__file__).parent))
    from bench_engine import dataset, inflate

    from pytest_npzcontract.contract.checker import check_file
    from pytest_npzcontract.io import inflate as backends

    path = dataset(250)
    with zipfile.ZipFile(path) as zf:
        members = {i.filename for i in zf.infolist()}
        data_bytes = sum(i.file_size for i in zf.infolist())
    fns: dict[str, Callable[[], object]] = {"zipfile + zlib (plain inflate)":
                                            lambda: inflate(path, members)}
    for name, module in backends.available().items():
        fns[f"raw inflate + CRC, {name}"] = lambda m=module: raw_inflate(path, m)
    fns["value scan (check_file)"] = lambda: check_file(path, values=True)
    try:
        from pytest_npzcontract.io import members as seam
    except ImportError:
        seam = None
    if seam is not None and hasattr(seam, "set_deflate_backend"):
        fns["value scan (check_file)"] = lambda: check_file(path, values=True)
        fns[f"value scan (check_file), {backends.fastest()[0]}"] = fns.pop(
            "value scan (check_file)")

        def zlib_scan() -> object:
            previous = seam.set_deflate_backend(lambda: seam.ZlibInflater())
            try:
                return check_file(path, values=True)
            finally:
                seam.set_deflate_backend(previous)

        fns["value scan, zlib plugged in"] = zlib_scan
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(args.repeat):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    base = statistics.median(times["zipfile + zlib (plain inflate)"])
    print(f"{path.name}: {path.stat().st_size / 1e6:.0f} MB on disk, {data_bytes / 1e6:.0f} MB "
          f"inflated, {args.repeat} repetitions (python {sys.version.split()[0]})")
    verdict = 1
    for name in fns:
        median = statistics.median(times[name])
        line = (f"  {name:38s} {median:7.2f} s  {data_bytes / median / 1e6:7.0f} MB/s  "
                f"{base / median:5.2f}x plain inflate")
        if name.startswith("value scan (check_file)"):
            ok = base / median >= TARGET
            verdict = 0 if ok else verdict
            line += f"   target >= {TARGET}x {'PASS' if ok else 'MISS'}"
        print(line)
    return verdict


if __name__ == "__main__":
    sys.exit(main())
