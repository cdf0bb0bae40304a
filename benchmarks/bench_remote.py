"""Structural check of the ~250 MB benchmark dataset over HTTP range requests vs downloading it.

Serves ``benchmarks/_data`` from a threaded HTTP server on 127.0.0.1 that honours ``Range``
(as object stores and CDNs do), then, in turn within each repetition: ``check_file(url,
values=False)`` (zip directory and ``.npy`` headers only) and a plain download of the whole
file with urllib. Prints the bytes each transferred (target for the check: < 1 MB), the median
times and the median ratio. Loopback has no latency: on a real network each of the check's few
requests costs a round trip, and the download costs the file's size over the bandwidth.

    python benchmarks/bench_remote.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import http.server
import os
import re
import shutil
import statistics
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_BYTES = 1_000_000


class RangeHandler(http.server.SimpleHTTPRequestHandler):
    """Serves files, honouring single ``Range: bytes=a-b`` requests; counts bytes sent."""

    sent = 0
    requests = 0

    def log_message(self, *args: object) -> None:
        pass

    def send_head(self):  # type: ignore[override]
        path = self.translate_path(self.path)
        if not os.path.isfile(path):
            self.send_error(404)
            return None
        size = os.path.getsize(path)
        match = re.fullmatch(r"bytes=(\d+)-(\d*)", self.headers.get("Range", ""))
        fh = open(path, "rb")  # noqa: SIM115 - the server closes it
        type(self).requests += 1
        if match:
            start = int(match.group(1))
            end = min(int(match.group(2)) if match.group(2) else size - 1, size - 1)
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
            fh.seek(start)
            self._left = end - start + 1
        else:
            self.send_response(200)
            self._left = size
        self.send_header("Content-Length", str(self._left))
        self.send_header("Accept-Ranges", "bytes")
        self.end_headers()
        return fh

    def copyfile(self, source, outputfile) -> None:  # type: ignore[override]
        while self._left > 0:
            block = source.read(min(self._left, 1 << 20))
            if not block:
                break
            outputfile.write(block)
            self._left -= len(block)
            type(self).sent += len(block)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(Path(__file__).parent))
    from bench_engine import dataset

    from pytest_npzcontract.contract.checker import check_file

    path = dataset(250)
    size = path.stat().st_size
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), lambda *a: RangeHandler(*a, directory=str(path.parent)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/{path.name}"

    def check() -> tuple[float, int, int]:
        RangeHandler.sent = RangeHandler.requests = 0
        start = time.perf_counter()
        report = check_file(url, values=False)
        elapsed = time.perf_counter() - start
        assert report.transfer["bytes"] == RangeHandler.sent, (report.transfer, RangeHandler.sent)
        assert report.keys, report.findings
        return elapsed, RangeHandler.sent, RangeHandler.requests

    def download() -> tuple[float, int, int]:
        RangeHandler.sent = RangeHandler.requests = 0
        start = time.perf_counter()
        with urllib.request.urlopen(url) as response, open(os.devnull, "wb") as sink:
            shutil.copyfileobj(response, sink, 1 << 20)
        elapsed = time.perf_counter() - start
        time.sleep(0.3)  # the server thread counts its last block after the client has it
        return elapsed, RangeHandler.sent, RangeHandler.requests

    check()  # warm up: imports, page cache, the server
    rounds = [(check(), download()) for _ in range(args.repeat)]
    server.shutdown()
    checked = [r[0] for r in rounds]
    fetched = [r[1] for r in rounds]
    sent = checked[0][1]
    print(f"{path.name}: {size / 1e6:.1f} MB over http://127.0.0.1 (Range honoured), "
          f"{args.repeat} repetitions")
    print(f"  structural check  {statistics.median(c[0] for c in checked) * 1000:8.1f} ms   "
          f"{sent:,} bytes in {checked[0][2]} requests   target < {TARGET_BYTES:,} bytes "
          f"{'PASS' if sent < TARGET_BYTES else 'MISS'}")
    print(f"  full download     {statistics.median(f[0] for f in fetched) * 1000:8.1f} ms   "
          f"{fetched[0][1]:,} bytes")
    ratio = statistics.median(f[0] / c[0] for c, f in rounds)
    print(f"  check is {ratio:.1f}x faster than the download and transfers "
          f"{size / max(sent, 1):,.0f}x fewer bytes")
    return 0 if sent < TARGET_BYTES else 1


if __name__ == "__main__":
    sys.exit(main())
