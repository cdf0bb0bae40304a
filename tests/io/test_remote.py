"""Remote datasets: lint and check_file read https:// and s3:// URLs through range requests.

A threaded HTTP server on 127.0.0.1 that honours ``Range`` (written here) serves real files; a
moto S3 server on 127.0.0.1 stands in for object storage. Structural checks must read only the
zip directory and the headers; value checks must agree with the local file's.
"""

from __future__ import annotations

import http.server
import json
import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from pytest_npzcontract.cli import cli
from pytest_npzcontract.contract.checker import check_file
from pytest_npzcontract.io.remote import RangeFile, is_url
from pytest_npzcontract.physics.factory import write_dataset

pytest.importorskip("fsspec")
pytest.importorskip("aiohttp")


class RangeHandler(http.server.SimpleHTTPRequestHandler):
    """Serves a directory; honours single ``Range: bytes=a-b`` requests (206), counts bytes."""

    sent = 0
    honour_range = True
    say_none = True  # a server not honouring Range says "Accept-Ranges: none" (or nothing)

    def log_message(self, *args: object) -> None:
        pass

    def send_head(self):  # type: ignore[override]
        path = self.translate_path(self.path)
        if not os.path.isfile(path):
            self.send_error(404, "not found")
            return None
        size = os.path.getsize(path)
        match = re.fullmatch(r"bytes=(\d+)-(\d*)", self.headers.get("Range", ""))
        fh = open(path, "rb")  # noqa: SIM115 - closed by copyfile's caller
        if match and self.honour_range:
            start = int(match.group(1))
            end = min(int(match.group(2)) if match.group(2) else size - 1, size - 1)
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
            fh.seek(start)
            self._left = end - start + 1
        else:
            self.send_response(200)
            self._left = size
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(self._left))
        if self.honour_range or self.say_none:
            self.send_header("Accept-Ranges", "bytes" if self.honour_range else "none")
        self.end_headers()
        return fh

    def copyfile(self, source, outputfile) -> None:  # type: ignore[override]
        while self._left > 0:
            block = source.read(min(self._left, 1 << 16))
            if not block:
                break
            outputfile.write(block)
            self._left -= len(block)
            type(self).sent += len(block)


class QuietServer(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address) -> None:
        pass  # a client closing a connection early is not a test failure


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path, type[RangeHandler]]]:
    handler = type("Handler", (RangeHandler,), {"sent": 0})
    server = QuietServer(("127.0.0.1", 0), lambda *a: handler(*a, directory=str(tmp_path)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", tmp_path, handler
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def big(tmp_path: Path) -> Path:
    """About 6 MB of compressed data in a few members."""
    return write_dataset(tmp_path / "big.npz", n_images=256, N=64, nphotons=1e6, seed=4,
                         compressed=True)


def lint_json(*args: str) -> dict:
    result = CliRunner().invoke(cli, ["lint", "--no-config", "--format", "json", *args])
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)


def comparable(report) -> list:
    return sorted((f.key or "", f.rule, f.severity, f.message) for f in report.findings)


def test_is_url():
    assert is_url("https://h/x.npz") and is_url("s3://b/k.npz") and is_url("gs://b/k")
    assert not is_url("data/x.npz") and not is_url("file:///x.npz") and not is_url("C:\\x")


def test_structural_check_reads_only_directory_and_headers(served, big: Path):
    base, _, handler = served
    size = big.stat().st_size
    report = check_file(f"{base}/big.npz", values=False)
    local = check_file(big, values=False)
    assert comparable(report) == comparable(local)
    assert report.keys == local.keys
    assert report.transfer["size"] == size
    assert report.transfer["bytes"] == handler.sent
    assert handler.sent < 400_000 < size, (handler.sent, size)


def test_value_scan_over_http_agrees_with_the_local_file(served, big: Path, tmp_path: Path):
    base, _, handler = served
    bad = np.abs(np.random.default_rng(0).normal(size=(16, 64, 64))).astype(np.float32)
    bad[3, 4, 5] = np.nan
    write_dataset(tmp_path / "nan.npz", n_images=16, N=64, overrides={"diffraction": bad},
                  compressed=True)
    for name in ("big.npz", "nan.npz"):
        remote = check_file(f"{base}/{name}")
        assert comparable(remote) == comparable(check_file(tmp_path / name))
    assert "non-finite" in check_file(f"{base}/nan.npz").rules()
    assert handler.sent < 1.2 * (big.stat().st_size + (tmp_path / "nan.npz").stat().st_size)


def test_lint_reports_bytes_transferred(served, big: Path):
    base, _, handler = served
    document = lint_json("--no-values", f"{base}/big.npz")
    entry = document["files"][0]
    assert entry["file"] == f"{base}/big.npz"
    # What the client read; the server may have pushed more into a connection the client gave
    # up on (a retried request under load), never less.
    received = entry["transfer"]["bytes"]
    assert 0 < received <= handler.sent < 400_000
    assert document["summary"]["remote_files"] == 1
    assert document["summary"]["bytes_transferred"] == received
    text = CliRunner().invoke(cli, ["lint", "--no-config", "--no-values", f"{base}/big.npz"])
    assert re.search(r"; 1 remote file: [\d.]+ KiB transferred$", text.stdout.splitlines()[-1])


def test_remote_and_local_files_in_one_run_with_shards(served, big: Path):
    base, root, _ = served
    url = f"{base}/big.npz"
    union = []
    for k in (1, 2):
        document = lint_json("--no-values", "--shard", f"{k}/2", url, str(big))
        union += [f["file"] for f in document["files"]]
    assert sorted(union) == sorted([url, str(big)])


def test_missing_remote_file_is_one_finding(served):
    base, _, _ = served
    report = check_file(f"{base}/nope.npz")
    assert [(f.rule, f.severity) for f in report.findings] == [("unreadable", "error")]
    assert "no such file" in report.findings[0].message
    assert "\n" not in report.findings[0].message


@pytest.mark.parametrize("say_none", [True, False])
def test_server_ignoring_range_is_reported(served, big: Path, say_none: bool):
    base, _, handler = served
    handler.honour_range = False
    handler.say_none = say_none
    report = check_file(f"{base}/big.npz", values=False)
    assert "unreadable" in report.rules()
    assert any("Range" in f.message for f in report.findings), report.findings


def test_unknown_protocol_names_the_extra():
    report = check_file("nosuchproto://bucket/x.npz")
    assert report.rules() == {"unreadable"}
    message = report.findings[0].message
    assert "pip install" in message and "[remote]'" in message  # as this copy was installed


def test_range_file_block_cache_and_sequential_windows():
    data = bytes(range(256)) * 4096  # 1 MiB
    calls: list[tuple[int, int]] = []

    def fetch(start: int, end: int) -> bytes:
        calls.append((start, end))
        return data[start:end]

    fh = RangeFile("mem", len(data), fetch)
    fh.seek(-22, os.SEEK_END)
    assert fh.read(22) == data[-22:]
    fh.seek(-100, os.SEEK_END)
    assert fh.read(50) == data[-100:-50]
    assert len(calls) == 1  # same block
    fh.seek(0)
    assert fh.read() == data
    assert fh.transferred == sum(e - s for s, e in calls)
    assert fh.read(10) == b""


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    moto_server = pytest.importorskip("moto.server")
    boto3 = pytest.importorskip("boto3")
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": "us-east-1", "AWS_ENDPOINT_URL": endpoint}.items():
        monkeypatch.setenv(name, value)
    boto3.client("s3").create_bucket(Bucket="datasets")
    try:
        yield endpoint
    finally:
        server.stop()


def test_s3_structural_and_value_checks(s3: str, big: Path, tmp_path: Path):
    import boto3

    client = boto3.client("s3")
    client.upload_file(str(big), "datasets", "runs/big.npz")
    write_dataset(tmp_path / "old.npz", n_images=4, N=64, legacy=["diff3d"], seed=5)
    client.upload_file(str(tmp_path / "old.npz"), "datasets", "runs/old.npz")
    report = check_file("s3://datasets/runs/big.npz", values=False)
    assert comparable(report) == comparable(check_file(big, values=False))
    assert report.transfer["bytes"] < 400_000 < big.stat().st_size
    document = lint_json("s3://datasets/runs/big.npz", "s3://datasets/runs/old.npz")
    assert document["summary"]["files"] == 2 and document["summary"]["remote_files"] == 2
    assert "legacy-key" in document["summary"]["rules"]
    missing = check_file("s3://datasets/runs/none.npz")
    assert missing.rules() == {"unreadable"} and "no such file" in missing.findings[0].message
