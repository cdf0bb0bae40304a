"""Remote servers cannot hang or flood a run (issue 19, class 5).

A hostile HTTP server on 127.0.0.1 only, written here on raw sockets. It answers the first
request (the size probe) honestly, then misbehaves: it trickles bytes, sends an endless body,
the wrong range, huge headers, or the whole file (200) where a range (206) was asked for. Each
of its loops is bounded in count and in time, so a broken client fails the test instead of
hanging it. The client must end each case with one ``unreadable`` finding, fast, and an endless
body must not grow memory (checked in an address-space-capped child).
"""

from __future__ import annotations

import re
import socketserver
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hostile import run_bounded, valid_npz

from pytest_npzcontract import Limits, check_file

#: Bounds of every server loop: no more than this many sends, for no longer than this.
MAX_SENDS = 20_000
MAX_SECONDS = 20.0
FAST = {"remote_connect_seconds": 2.0, "remote_read_seconds": 1.0, "remote_total_seconds": 3.0}


class Hostile(socketserver.BaseRequestHandler):
    mode = "honest"
    data = b""
    honest = 1  # requests answered honestly before the misbehaviour starts
    count = 0

    def handle(self) -> None:
        self.request.settimeout(MAX_SECONDS)
        buffer = b""
        while True:  # keep-alive: several requests per connection
            while b"\r\n\r\n" not in buffer:
                try:
                    chunk = self.request.recv(65536)
                except OSError:
                    return
                if not chunk:
                    return
                buffer += chunk
            head, _, buffer = buffer.partition(b"\r\n\r\n")
            match = re.search(rb"Range: bytes=(\d+)-(\d+)", head)
            start, end = (int(match.group(1)), int(match.group(2))) if match else (0, 0)
            type(self).count += 1
            mode = "honest" if type(self).count <= self.honest else self.mode
            try:
                if not getattr(self, f"_{mode.replace('-', '_')}")(start, end):
                    return
            except OSError:
                return

    def _send(self, data: bytes) -> None:
        self.request.sendall(data)

    def _headers(self, status: str, start: int, end: int, *, length: bool = True,
                 extra: bytes = b"") -> bytes:
        size = len(self.data)
        lines = [f"HTTP/1.1 {status}", f"Content-Range: bytes {start}-{end}/{size}"]
        if length:
            lines.append(f"Content-Length: {end - start + 1}")
        return ("\r\n".join(lines) + "\r\n").encode() + extra + b"\r\n"

    def _honest(self, start: int, end: int) -> bool:
        self._send(self._headers("206 Partial Content", start, end) + self.data[start:end + 1])
        return True

    def _trickle(self, start: int, end: int) -> bool:
        self._send(self._headers("206 Partial Content", start, end))
        began = time.monotonic()
        for i in range(min(end - start + 1, MAX_SENDS)):  # one byte every 0.05 s
            if time.monotonic() - began > MAX_SECONDS:
                break
            self._send(self.data[start + i:start + i + 1])
            time.sleep(0.05)
        return False

    def _trickle_headers(self, start: int, end: int) -> bool:
        began = time.monotonic()
        head = self._headers("206 Partial Content", start, end, extra=b"X-Pad: " + b"a" * 5000
                             + b"\r\n")
        for i in range(min(len(head), MAX_SENDS)):
            if time.monotonic() - began > MAX_SECONDS:
                break
            self._send(head[i:i + 1])
            time.sleep(0.05)
        return False

    def _endless(self, start: int, end: int) -> bool:
        self._send(self._headers("206 Partial Content", start, end, length=False))
        block = bytes(1 << 16)
        began = time.monotonic()
        for _ in range(MAX_SENDS):  # up to 1.25 GiB, for at most MAX_SECONDS
            if time.monotonic() - began > MAX_SECONDS:
                break
            self._send(block)
        return False

    def _wrong_range(self, start: int, end: int) -> bool:
        shifted = min(start + 7, len(self.data) - 1)
        stop = min(shifted + end - start, len(self.data) - 1)
        self._send(self._headers("206 Partial Content", shifted, stop)
                   + self.data[shifted:stop + 1])
        return True

    def _huge_headers(self, start: int, end: int) -> bool:
        pads = b"".join(f"X-Pad-{i}: {'b' * 100}\r\n".encode() for i in range(2000))
        self._send(self._headers("206 Partial Content", start, end, extra=pads)
                   + self.data[start:end + 1])
        return True

    def _whole_file(self, start: int, end: int) -> bool:
        self._send(f"HTTP/1.1 200 OK\r\nContent-Length: {len(self.data)}\r\n\r\n".encode()
                   + self.data)
        return True


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address) -> None:
        pass


@pytest.fixture(scope="module")
def valid(tmp_path_factory) -> Path:
    return valid_npz(tmp_path_factory.mktemp("served") / "valid.npz")


@pytest.fixture()
def serve(valid: Path) -> Iterator:
    servers = []

    def start(mode: str, honest: int = 1) -> str:
        handler = type("Handler", (Hostile,), {"mode": mode, "data": valid.read_bytes(),
                                              "honest": honest, "count": 0})
        server = _Server(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/valid.npz"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_the_honest_server_serves_a_passing_file(serve):
    assert check_file(serve("honest"), limits=Limits(**FAST)).ok


@pytest.mark.parametrize(("mode", "words"), [
    ("trickle", "allowed per file"),
    ("trickle-headers", "allowed per file"),
    ("wrong-range", "wrong range"),
    ("huge-headers", "malformed answer"),
    ("whole-file", "does not honour Range"),
])
@pytest.mark.parametrize("honest", [0, 1], ids=["at-open", "mid-file"])
def test_a_hostile_server_ends_in_one_finding_within_the_time_limit(serve, mode, words,
                                                                    honest):
    url = serve(mode, honest)
    start = time.monotonic()
    report = check_file(url, limits=Limits(**FAST))
    elapsed = time.monotonic() - start
    errors = [f for f in report.findings if f.severity == "error"]
    assert {f.rule for f in errors} == {"unreadable"}, report.findings
    if honest or mode not in ("whole-file",):
        assert any(words in f.message for f in errors), [f.message for f in errors]
    assert all("\n" not in f.message and len(f.message) < 300 for f in errors)
    assert elapsed < FAST["remote_total_seconds"] + 2, elapsed


def test_the_default_timeouts_end_a_trickling_server(serve):
    """With only the total changed, a trickle still ends (no read ever times out)."""
    url = serve("trickle")
    start = time.monotonic()
    report = check_file(url, limits=Limits(remote_total_seconds=2.0))
    assert report.rules("error") == {"unreadable"}
    assert time.monotonic() - start < 5


def test_an_endless_body_is_cut_at_the_bytes_asked_for(serve, valid):
    url = serve("endless")
    run = run_bounded([{"path": url, "limits": FAST}], valid, headroom_mib=128, timeout=60)
    (result,) = run["results"]
    assert "raised" not in result, result
    assert result["rules"] == ["unreadable"], result
    assert run["rss_growth_mib"] < 32 and run["seconds"] < 6, run
