"""``save_npz`` is atomic: a write interrupted by an exception, a real disk error or SIGKILL
leaves the old file byte-identical (SHA-256) and loadable.

Interruptions are real: ``KeyboardInterrupt`` from a SIGALRM handler while the temporary file
exists, ``EFBIG`` from ``RLIMIT_FSIZE`` in a child process, and SIGKILL of a child writing
256 MiB. An exception removes the temporary file; SIGKILL cannot be handled, so it may leave
one ``.<name>.*.tmp`` file next to the target (never anything else, never a damaged target).
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from pytest_npzcontract import load_npz, save_npz

MiB = 1 << 20


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def leftovers(target: Path) -> list[str]:
    return sorted(p.name for p in target.parent.glob(f".{target.name}.*.tmp"))


def small() -> dict[str, np.ndarray]:
    return {"xcoords": np.arange(4.0), "ycoords": np.arange(4.0) * 2}


def large(mib: int, seed: int = 0) -> dict[str, np.ndarray]:
    """Random float32 frames of ``mib`` MiB (written in NumPy's 16 MiB pieces)."""
    frames = mib * MiB // (256 * 256 * 4)
    return {"diffraction": np.random.default_rng(seed).random((frames, 256, 256),
                                                              dtype=np.float32)}


class InterruptMidWrite:
    """Raise ``KeyboardInterrupt`` from a SIGALRM handler at the first timer tick at which the
    temporary file for ``target`` holds at least ``min_bytes``, i.e. in the middle of the
    archive write. ``written`` records how much was on disk at that moment."""

    def __init__(self, target: Path, min_bytes: int = 0) -> None:
        self.target, self.min_bytes, self.written = target, min_bytes, None

    def _tick(self, signum, frame) -> None:
        sizes = [p.stat().st_size for p in self.target.parent.glob(f".{self.target.name}.*.tmp")]
        if not sizes or max(sizes) < self.min_bytes:
            return
        signal.setitimer(signal.ITIMER_REAL, 0)
        self.written = max(sizes)
        raise KeyboardInterrupt

    def __enter__(self) -> InterruptMidWrite:
        self.previous = signal.signal(signal.SIGALRM, self._tick)
        signal.setitimer(signal.ITIMER_REAL, 0.002, 0.002)
        return self

    def __exit__(self, *exc: object) -> None:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, self.previous)


@pytest.mark.parametrize(("compressed", "mib", "at_mib"),
                         [(False, 96, 0), (False, 96, 24), (False, 96, 56), (True, 32, 4)],
                         ids=["stored-start", "stored-quarter", "stored-late", "deflated"])
def test_interrupted_overwrite_keeps_the_old_file(tmp_path, compressed, mib, at_mib):
    target = tmp_path / "data.npz"
    save_npz(target, small())
    before = sha256(target)
    with pytest.raises(KeyboardInterrupt), InterruptMidWrite(target, at_mib * MiB) as interrupt:
        save_npz(target, large(mib), compressed=compressed)
    assert interrupt.written is not None and interrupt.written >= at_mib * MiB
    assert sha256(target) == before
    assert leftovers(target) == []
    arrays, _ = load_npz(target)
    assert set(arrays) == {"xcoords", "ycoords"}


def test_interrupted_write_of_a_new_file_leaves_nothing(tmp_path):
    target = tmp_path / "new.npz"
    with pytest.raises(KeyboardInterrupt), InterruptMidWrite(target, 32 * MiB) as interrupt:
        save_npz(target, large(96), compressed=False)
    assert interrupt.written >= 32 * MiB
    assert list(tmp_path.iterdir()) == []


def test_interrupted_write_through_a_symlink_keeps_link_and_target(tmp_path):
    real = tmp_path / "store" / "real.npz"
    real.parent.mkdir()
    save_npz(real, small())
    link = tmp_path / "link.npz"
    link.symlink_to(real)
    before = sha256(real)
    with pytest.raises(KeyboardInterrupt), InterruptMidWrite(real, 16 * MiB) as interrupt:
        save_npz(link, large(96), compressed=False)
    assert interrupt.written >= 16 * MiB
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert sha256(real) == before and leftovers(real) == [] and leftovers(link) == []


def test_write_through_a_symlink_replaces_the_target_and_keeps_the_link(tmp_path):
    real = tmp_path / "store" / "real.npz"
    real.parent.mkdir()
    save_npz(real, small())
    link = tmp_path / "link.npz"
    link.symlink_to(real)
    save_npz(link, {"xcoords": np.arange(7.0)})
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert load_npz(real)[0]["xcoords"].shape == (7,)
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["link.npz", "real.npz", "store"]


def test_permissions_survive_overwrite_and_failed_overwrite(tmp_path):
    target = tmp_path / "data.npz"
    save_npz(target, small())
    target.chmod(0o640)
    save_npz(target, {"xcoords": np.arange(3.0)})
    assert target.stat().st_mode & 0o777 == 0o640
    with pytest.raises(KeyboardInterrupt), InterruptMidWrite(target, 16 * MiB):
        save_npz(target, large(64), compressed=False)
    assert target.stat().st_mode & 0o777 == 0o640


def test_new_file_gets_the_umask_mode(tmp_path):
    umask = os.umask(0o027)
    try:
        save_npz(tmp_path / "new.npz", small())
    finally:
        os.umask(umask)
    assert (tmp_path / "new.npz").stat().st_mode & 0o777 == 0o640


_FSIZE_CHILD = """
import json, resource, signal, sys
import numpy as np
from pytest_npzcontract import save_npz
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # get EFBIG instead of being killed
resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[2]), int(sys.argv[2])))
frames = np.random.default_rng(0).random((64, 256, 256), dtype=np.float32)
try:
    save_npz(sys.argv[1], {"diffraction": frames}, compressed=False)
except OSError as exc:
    print(json.dumps(exc.errno))
"""


@pytest.mark.parametrize("existing", [True, False], ids=["overwrite", "new-file"])
def test_disk_write_failure_keeps_the_old_file(tmp_path, existing):
    """A real I/O error (file size limit reached: EFBIG) in the middle of a 16 MiB write."""
    target = tmp_path / "data.npz"
    if existing:
        save_npz(target, small())
        before = sha256(target)
    proc = subprocess.run([sys.executable, "-c", _FSIZE_CHILD, str(target), str(4 * MiB)],
                          capture_output=True, text=True, timeout=60, check=True)
    assert json.loads(proc.stdout) == 27  # EFBIG
    assert proc.stderr == ""
    assert leftovers(target) == []
    if existing:
        assert sha256(target) == before and load_npz(target)[0]["xcoords"].shape == (4,)
    else:
        assert not target.exists()


_KILL_CHILD = """
import sys, time
import numpy as np
from pytest_npzcontract import save_npz
frames = np.random.default_rng(1).random((1024, 256, 256), dtype=np.float32)  # 256 MiB
start = time.perf_counter()
save_npz(sys.argv[2], {"diffraction": frames}, compressed=False)
print(time.perf_counter() - start, flush=True)
while True:
    save_npz(sys.argv[1], {"diffraction": frames}, compressed=False)
"""


def _kill_during_write(target: Path, scratch: Path, rng: random.Random) -> None:
    """Start a child that times one 256 MiB write, then rewrites ``target`` forever; SIGKILL
    it at a random point inside its first write of ``target``."""
    child = subprocess.Popen([sys.executable, "-c", _KILL_CHILD, str(target), str(scratch)],
                             stdout=subprocess.PIPE, text=True)
    try:
        took = float(child.stdout.readline())
        time.sleep(rng.uniform(0.05, 0.9) * took)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        child.stdout.close()
    scratch.unlink()


def _complete_new_version(target: Path) -> bool:
    arrays, _ = load_npz(target)
    return arrays["diffraction"].shape == (1024, 256, 256)


@pytest.mark.slow
def test_sigkill_at_random_points_never_damages_the_file(tmp_path):
    rng = random.Random(7)
    target = tmp_path / "data.npz"
    scratch = tmp_path / "timing" / "scratch.npz"
    scratch.parent.mkdir()
    save_npz(target, small())
    kept = 0
    for _ in range(4):
        before = sha256(target)
        _kill_during_write(target, scratch, rng)
        tmp = leftovers(target)
        assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["data.npz", "timing", *tmp])
        assert len(tmp) <= 1
        if sha256(target) == before:
            kept += 1
            load_npz(target)
        else:  # the kill came after os.replace: the new version must be whole
            assert _complete_new_version(target)
        for name in tmp:
            (tmp_path / name).unlink()
    assert kept >= 2, "most kills should land inside the write"


@pytest.mark.slow
def test_sigkill_while_creating_a_file_leaves_no_partial_file(tmp_path):
    target = tmp_path / "new.npz"
    scratch = tmp_path / "timing" / "scratch.npz"
    scratch.parent.mkdir()
    _kill_during_write(target, scratch, random.Random(3))
    assert not target.exists() or _complete_new_version(target)
    assert len(leftovers(target)) <= 1
