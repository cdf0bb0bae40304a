"""check_file on a remote archive (an fsspec ``memory://`` URL: range reads through the same
code as ``s3://``, in process): the report counts what was transferred (each member once),
a remote file is never scanned in threads (there is one connection), and a file that shrinks
while it is read gives a finding for every member read after, never a crash."""

from __future__ import annotations

import fsspec
import numpy as np
import pytest
from rawnpz import metadata_json, valid_arrays, write_members

from pytest_npzcontract import check_file
from pytest_npzcontract.contract import parallel_scan


@pytest.fixture
def memory_fs():
    fs = fsspec.filesystem("memory")
    yield fs
    fs.rm("/npzcontract-checker", recursive=True)


def put(fs, tmp_path, members: dict, name: str = "d.npz") -> str:
    local = write_members(tmp_path / name, members)
    fs.pipe(f"/npzcontract-checker/{name}", local.read_bytes())
    return f"memory://npzcontract-checker/{name}"


def dataset(**extra) -> dict:
    return dict(valid_arrays(), _metadata=np.array(metadata_json()), **extra)


def test_the_report_counts_the_bytes_and_requests_of_the_whole_check(memory_fs, tmp_path):
    url = put(memory_fs, tmp_path, dataset())
    size = len(memory_fs.cat(url))
    structural = check_file(url, values=False)
    full = check_file(url)
    assert structural.ok and full.ok and full.findings == []
    assert structural.transfer["size"] == full.transfer["size"] == size
    assert 0 < structural.transfer["bytes"] < full.transfer["bytes"]   # values were read too
    assert structural.transfer["requests"] < full.transfer["requests"]


def test_each_member_is_transferred_once(memory_fs, tmp_path):
    # the final read of members no check looked at skips those the value scan read
    url = put(memory_fs, tmp_path, dict(valid_arrays(n_images=32),
                                        _metadata=np.array(metadata_json())))
    report = check_file(url)
    assert report.ok
    assert report.transfer["bytes"] < 1.5 * report.transfer["size"]


def test_a_remote_file_that_is_no_archive_still_reports_its_transfer(memory_fs):
    memory_fs.pipe("/npzcontract-checker/plain.npz", b"just some text, not a zip" * 10)
    report = check_file("memory://npzcontract-checker/plain.npz")
    assert [f.rule for f in report.findings] == ["unreadable"]
    assert report.transfer["size"] == 250 and report.transfer["bytes"] > 0


def test_a_remote_file_is_scanned_in_the_calling_thread(memory_fs, tmp_path, monkeypatch):
    monkeypatch.setattr(parallel_scan, "PARALLEL_MIN_BYTES", 1024)   # every member "large"
    url = put(memory_fs, tmp_path, dataset())
    threaded = check_file(url, threads=2)
    assert threaded.findings == [] and threaded.ok


def test_a_file_shrinking_while_read_gives_findings_not_a_crash(memory_fs, tmp_path):
    # "extra" is no contract key: only the final read of unchecked members reads it
    extra = np.random.default_rng(0).random(50_000)
    url = put(memory_fs, tmp_path, dataset(extra=extra))
    stored = memory_fs.store["/npzcontract-checker/d.npz"]

    def shrink(nbytes: int) -> None:
        stored.truncate(1000)          # the object is replaced by a short one on the server

    report = check_file(url, on_progress=shrink)
    (late,) = [f for f in report.findings if f.key == "extra"]
    assert (late.rule, late.severity) == ("unreadable", "error")
    assert late.message.startswith("corrupt data (RemoteError: asked for bytes ")
    assert late.message.endswith(", got 0 (does the server honour Range requests?))")
    assert all(f.rule == "unreadable" and f.message.startswith("corrupt data (")
               for f in report.findings)
