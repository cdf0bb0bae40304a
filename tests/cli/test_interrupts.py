"""Ctrl-C leaves no process behind (issue 19, class 6): many trials of ``lint --jobs 2`` with
SIGINT sent at varied moments (start-up, while workers are created, mid-scan), and a parent
killed with SIGKILL. After each, no process of the run's session may remain."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from pytest_npzcontract import save_npz

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
CLI = [sys.executable, "-c",
       "import sys; from pytest_npzcontract.cli import main; sys.exit(main(sys.argv[1:]))"]

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="sessions and /proc")


@pytest.fixture(scope="module")
def slow_folder(tmp_path_factory) -> Path:
    """160 files of 48 MiB of zeros each (tiny on disk; with the fast inflater still several
    seconds to scan in total on an idle machine, so every delay lands mid-run)."""
    folder = tmp_path_factory.mktemp("slow")
    first = folder / "f00.npz"
    save_npz(first, {"diffraction": np.zeros((3072, 64, 64), np.float32),
                     "xcoords": np.zeros(3072), "ycoords": np.zeros(3072)})
    for i in range(1, 160):
        shutil.copyfile(first, folder / f"f{i:03d}.npz")
    return folder


def _session(sid: int) -> list[int]:
    """Live (non-zombie) processes whose session is ``sid``."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == sid and fields[0] != "Z":
            found.append(int(entry))
    return found


def _start(folder: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [*CLI, "lint", str(folder), "--jobs", "2", "--no-config"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV,
        start_new_session=True,  # its own session and group, as a terminal's foreground job
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def _gone(sid: int, seconds: float = 3.0) -> list[int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        left = _session(sid)
        if not left:
            return []
        time.sleep(0.05)
    return _session(sid)


#: Delays after start: during imports, around worker creation, and mid-scan.
DELAYS = [0.05 * i for i in range(8)] + [0.45 + 0.07 * i for i in range(10)] + \
    [1.3, 1.7, 2.1, 2.6]


def test_ctrl_c_at_any_moment_leaves_no_process_behind(slow_folder):
    outcomes = []
    for delay in DELAYS:
        proc = _start(slow_folder)
        time.sleep(delay)
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        out, err = proc.communicate(timeout=30)
        left = _gone(proc.pid)
        for pid in left:  # never leave them to the next trial
            os.kill(pid, signal.SIGKILL)
        assert left == [], f"after SIGINT at {delay:.2f} s: {left} still alive"
        # Before the CLI's handler exists Python itself dies of SIGINT (or, while it is still
        # importing ``site``, reports a fatal start-up error and exits 1); after, exit 130.
        starting = proc.returncode == 1 and "init_import_site" in err
        assert proc.returncode in (130, -signal.SIGINT) or starting, (delay, proc.returncode, err)
        if proc.returncode == 130:
            assert "Traceback" not in err, err
        outcomes.append(proc.returncode)
    assert outcomes.count(130) >= len(DELAYS) // 2, outcomes  # most hit the running CLI


def test_a_sigkilled_parent_takes_its_workers_with_it(slow_folder):
    for delay in (0.8, 1.5):
        proc = _start(slow_folder)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and len(_session(proc.pid)) < 3:
            time.sleep(0.05)
        time.sleep(delay - 0.5)
        workers = [pid for pid in _session(proc.pid) if pid != proc.pid]
        assert workers, "no worker was started"
        proc.kill()  # no handler runs: only the kernel can end the workers
        proc.communicate(timeout=10)
        left = _gone(proc.pid)
        for pid in left:
            os.kill(pid, signal.SIGKILL)
        assert left == []
