"""Which members a threaded scan takes, and what each thread computes: members of at least
PARALLEL_MIN_BYTES (exactly that size included) go to threads, smaller ones stay in the
calling thread; a thread feeds the dose estimate and computes the value ranges like a serial
scan, reads through its own handle of the archive and stops at its next chunk when told."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from pytest_npzcontract import load_npz
from pytest_npzcontract.contract import parallel_scan
from pytest_npzcontract.contract.checker import check_file
from pytest_npzcontract.contract.run import Array
from pytest_npzcontract.physics.factory import write_dataset

OBJECT_BYTES = 128 * 128 * 8                          # objectGuess: 128x128 complex64


@pytest.fixture
def threshold(monkeypatch: pytest.MonkeyPatch) -> None:
    """Members from objectGuess's size up are scanned in threads."""
    monkeypatch.setattr(parallel_scan, "PARALLEL_MIN_BYTES", OBJECT_BYTES)


@pytest.fixture
def threaded(monkeypatch: pytest.MonkeyPatch) -> set[str]:
    keys: set[str] = set()
    original = parallel_scan._scan_reopened

    def spy(array, *args):
        keys.add(array.key)
        return original(array, *args)

    monkeypatch.setattr(parallel_scan, "_scan_reopened", spy)
    return keys


def findings(report) -> list[tuple]:
    return [(f.key, f.rule, f.severity, f.message) for f in report.findings]


def frames_of_a_dataset(tmp_path: Path) -> np.ndarray:
    arrays, _ = load_npz(write_dataset(tmp_path / "base.npz", n_images=64))
    return np.array(arrays["diffraction"])


def test_members_from_the_threshold_up_go_to_threads(tmp_path: Path, threshold, threaded):
    path = write_dataset(tmp_path / "d.npz", n_images=64)
    check_file(path, threads=2)
    assert threaded == {"diffraction", "objectGuess", "Y"}   # not probeGuess (32 KiB) etc.


def test_threads_feed_the_dose_estimate(tmp_path: Path, threshold, threaded):
    path = write_dataset(tmp_path / "d.npz", n_images=64,
                         metadata={"physics_parameters": {"nphotons": 1e12}})
    serial, parallel = check_file(path, threads=1), check_file(path, threads=2)
    assert "diffraction" in threaded
    assert findings(parallel) == findings(serial)
    assert [f.rule for f in serial.findings] == ["nphotons-inconsistent"]


def test_threads_compute_the_value_ranges(tmp_path: Path, threshold, threaded):
    frames = frames_of_a_dataset(tmp_path)
    frames[0, 0, 0], frames[1, 0, 0] = -1.0, 50.0
    path = write_dataset(tmp_path / "d.npz", n_images=64, overrides={"diffraction": frames})
    serial, parallel = check_file(path, threads=1), check_file(path, threads=2)
    assert "diffraction" in threaded
    assert findings(parallel) == findings(serial)
    assert {"negative-amplitude", "not-normalized"} <= serial.rules()


def test_a_thread_reads_through_its_own_handle_and_stops_when_told(tmp_path: Path):
    source = tmp_path / "member.bin"
    source.write_bytes(b"\0" * 16)
    handles = []

    def chunks(fp=None):
        handles.append(fp)
        yield np.array([1.0, 2.0])
        yield np.array([3.0])

    array = Array("k", (3,), np.dtype(float), 24, chunks, source=str(source))
    stats = parallel_scan._scan_reopened(array, None, True, threading.Event())
    assert (stats.count, stats.max) == (3, 3.0)
    (fp,) = handles
    assert fp is not None and fp.name == str(source) and fp.closed
    stop = threading.Event()
    stop.set()
    with pytest.raises(parallel_scan._Cancelled):
        parallel_scan._scan_reopened(array, None, True, stop)


def test_two_large_members_are_enough_for_threads(tmp_path: Path, monkeypatch, threaded):
    monkeypatch.setattr(parallel_scan, "PARALLEL_MIN_BYTES", OBJECT_BYTES + 1)
    check_file(write_dataset(tmp_path / "d.npz", n_images=64), threads=2)
    assert threaded == {"diffraction", "Y"}


def test_no_more_threads_than_allowed(tmp_path: Path, threshold, monkeypatch):
    names: list[str] = []
    original = parallel_scan._scan_reopened
    all_three = threading.Barrier(3, timeout=1)     # met only if all three run at once

    def spy(*args):
        names.append(threading.current_thread().name)
        try:
            all_three.wait()
        except threading.BrokenBarrierError:
            pass
        return original(*args)

    monkeypatch.setattr(parallel_scan, "_scan_reopened", spy)
    check_file(write_dataset(tmp_path / "d.npz", n_images=64), threads=2)   # 3 large members
    assert len(names) == 3 and len(set(names)) == 2


def test_the_frames_scanned_in_the_calling_thread_meanwhile(tmp_path: Path, monkeypatch,
                                                            threaded):
    """Large members elsewhere in threads, the (smaller) frames in the caller: still the
    dose estimate and the value ranges."""
    monkeypatch.setattr(parallel_scan, "PARALLEL_MIN_BYTES", 2 << 20)
    frames = frames_of_a_dataset(tmp_path)
    frames[0, 0, 0], frames[1, 0, 0] = -1.0, 50.0
    big_object = np.ones((512, 512), np.complex64)                 # 2 MiB
    for name, extra in [("dose", {"metadata": {"physics_parameters": {"nphotons": 1e12}}}),
                        ("ranges", {"overrides": {"diffraction": frames,
                                                  "objectGuess": big_object}})]:
        extra.setdefault("overrides", {"objectGuess": big_object})
        path = write_dataset(tmp_path / f"{name}.npz", n_images=64, **extra)
        serial, parallel = check_file(path, threads=1), check_file(path, threads=2)
        assert threaded == {"objectGuess", "Y"}
        assert findings(parallel) == findings(serial)
        wanted = {"nphotons-inconsistent"} if name == "dose" else \
            {"negative-amplitude", "not-normalized"}
        assert wanted <= serial.rules(), serial.rules()
