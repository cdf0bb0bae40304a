"""check_file scans in the caller's thread unless it is given ``threads`` > 1, so an
``on_progress`` callback that is not thread-safe is safe by default; with threads, each scan
thread reads the archive through its own file handle."""

from __future__ import annotations

import threading

import pytest

from pytest_npzcontract import check_file
from pytest_npzcontract.contract import parallel_scan
from pytest_npzcontract.physics.factory import write_dataset


@pytest.fixture
def dataset(tmp_path, monkeypatch):
    monkeypatch.setattr(parallel_scan, "PARALLEL_MIN_BYTES", 1024)   # every member "large"
    return write_dataset(tmp_path / "d.npz", n_images=64)


def progress_threads(path, **kwargs) -> set[str]:
    names: set[str] = set()
    report = check_file(path, on_progress=lambda n: names.add(threading.current_thread().name),
                        **kwargs)
    assert report.ok
    return names


def test_by_default_progress_is_reported_from_the_callers_thread(dataset):
    assert progress_threads(dataset) == {threading.current_thread().name}


def test_with_threads_progress_comes_from_the_scan_threads_too(dataset):
    names = progress_threads(dataset, threads=2)
    assert any(name.startswith("npzcontract-scan") for name in names)


def test_each_scan_thread_reads_through_its_own_handle(tmp_path, monkeypatch):
    # Stored members are read with seek-then-read; two threads sharing one handle would
    # interleave their reads and see truncated or changed data in most runs.
    monkeypatch.setattr(parallel_scan, "PARALLEL_MIN_BYTES", 1024)
    path = write_dataset(tmp_path / "stored.npz", n_images=256, compressed=False)
    serial = [f.line() for f in check_file(path).findings]
    for _ in range(20):
        assert [f.line() for f in check_file(path, threads=2).findings] == serial
