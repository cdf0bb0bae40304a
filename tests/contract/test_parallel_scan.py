"""Large members scanned in threads (check_file(threads=N), lint --jobs N on one file) give
exactly the findings of a serial scan, corrupt members included, and really use threads."""

from __future__ import annotations

import threading
import zipfile
from pathlib import Path

import numpy as np
import pytest

from pytest_npzcontract.contract import parallel_scan
from pytest_npzcontract.contract.checker import check_file
from pytest_npzcontract.physics.factory import write_dataset


@pytest.fixture
def small_threshold(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel_scan, "PARALLEL_MIN_BYTES", 1024)


def findings(report) -> list[tuple]:
    return [(f.key, f.rule, f.severity, f.message) for f in report.findings]


@pytest.mark.parametrize("compressed", [True, False])
def test_threads_give_the_serial_findings(tmp_path: Path, small_threshold, compressed):
    path = write_dataset(tmp_path / "d.npz", n_images=64, compressed=compressed,
                         overrides={"objectGuess": np.full((128, 128), np.nan, np.complex64)})
    serial, threaded = check_file(path, threads=1), check_file(path, threads=2)
    assert findings(serial) == findings(threaded)
    assert "non-finite" in serial.rules()


def test_a_corrupt_member_is_reported_the_same(tmp_path: Path, small_threshold):
    path = write_dataset(tmp_path / "d.npz", n_images=64, compressed=True)
    raw = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("diffraction.npy")
    raw[info.header_offset + 30 + len(info.filename) + info.compress_size // 2] ^= 0xFF
    path.write_bytes(bytes(raw))
    serial, threaded = check_file(path, threads=1), check_file(path, threads=2)
    assert findings(serial) == findings(threaded)
    assert any(f.key == "diffraction" and f.rule in ("unreadable", "resource-limit")
               for f in serial.findings)


def test_members_really_run_in_threads(tmp_path: Path, small_threshold,
                                       monkeypatch: pytest.MonkeyPatch):
    path = write_dataset(tmp_path / "d.npz", n_images=64, compressed=True)
    seen: set[str] = set()
    original = parallel_scan._scan_reopened

    def spy(*args):
        seen.add(threading.current_thread().name)
        return original(*args)

    monkeypatch.setattr(parallel_scan, "_scan_reopened", spy)
    check_file(path, threads=2)
    assert seen and all(name.startswith("npzcontract-scan") for name in seen)
    seen.clear()
    check_file(path, threads=1)
    assert not seen
