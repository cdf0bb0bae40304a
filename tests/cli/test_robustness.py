"""The command line as a new user meets it (issue 12, classes 11-15): Ctrl-C, unreadable
permissions, read-only files, incomplete output folders, runs that match nothing, and
temporary files left by SIGKILL. Real processes, real signals, real files."""

from __future__ import annotations

import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest

from pytest_npzcontract import save_npz
from pytest_npzcontract.physics.factory import write_dataset

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
CLI = [sys.executable, "-c",
       "import sys; from pytest_npzcontract.cli import main; sys.exit(main(sys.argv[1:]))"]


def run_cli(*args: str, cwd: Path | None = None, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, env=ENV,
                          cwd=cwd or ROOT, check=False, **kwargs)


# ----------------------------------------------------------------- 11. Ctrl-C


@pytest.fixture(scope="module")
def slow_folder(tmp_path_factory) -> Path:
    """60 files of 48 MiB of zeros each (tiny on disk, seconds to scan in total)."""
    folder = tmp_path_factory.mktemp("slow")
    first = folder / "f00.npz"
    save_npz(first, {"diffraction": np.zeros((3072, 64, 64), np.float32),
                     "xcoords": np.zeros(3072), "ycoords": np.zeros(3072)})
    for i in range(1, 60):
        shutil.copyfile(first, folder / f"f{i:02d}.npz")
    return folder


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


@pytest.mark.skipif(sys.platform != "linux", reason="process groups and /proc")
@pytest.mark.parametrize("jobs", ["1", "2", "2", "2", "0"])
def test_11_ctrl_c_ends_lint_at_once_with_one_line_exit_130_and_no_orphans(slow_folder,
                                                                           jobs):
    proc = subprocess.Popen(
        [*CLI, "lint", str(slow_folder), "--jobs", jobs, "--no-config"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV,
        start_new_session=True,  # its own process group, as a terminal's foreground job
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 30
    workers: list[int] = []
    while time.monotonic() < deadline:  # wait until it is really scanning
        workers = _children(proc.pid)
        if (len(workers) >= 2 or jobs == "1") and proc.poll() is None:
            break
        time.sleep(0.05)
    time.sleep(0.5)
    assert proc.poll() is None, "the run ended before it could be interrupted"
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
    start = time.monotonic()
    out, err = proc.communicate(timeout=20)
    elapsed = time.monotonic() - start
    assert proc.returncode == 130, (out, err)
    assert err.strip() == "npzcontract: interrupted"
    assert "Traceback" not in out + err
    assert elapsed < 2.5, elapsed
    time.sleep(0.2)
    assert not [pid for pid in workers if _alive(pid)], "workers left running"


# ----------------------------------------------------------------- 12. permissions


def _without_override() -> list[str]:
    """Root reads any file: drop the capabilities that let it (or skip without setpriv)."""
    if os.geteuid() != 0:
        return []
    if not shutil.which("setpriv"):
        pytest.skip("running as root without setpriv: permissions cannot be denied")
    return ["setpriv", "--bounding-set=-dac_override,-dac_read_search",
            "--inh-caps=-dac_override,-dac_read_search"]


def test_12_permission_denied_is_said_as_such(tmp_path):
    shared = Path(tempfile.mkdtemp(prefix="npz-perm-"))
    try:
        shared.chmod(0o755)
        path = write_dataset(shared / "secret.npz", n_images=2, N=64)
        path.chmod(0o000)
        proc = subprocess.run([*_without_override(), *CLI, "lint", "--no-config", str(path)],
                              capture_output=True, text=True, env=ENV, cwd="/", check=False)
        assert proc.returncode == 1
        assert "permission denied" in proc.stdout
        assert "truncat" not in proc.stdout and "corrupt" not in proc.stdout
        assert "Traceback" not in proc.stderr
    finally:
        shutil.rmtree(shared, ignore_errors=True)


# ----------------------------------------------------------------- 13. migrate


def test_13_in_place_refuses_a_read_only_file_unless_forced(tmp_path):
    path = write_dataset(tmp_path / "legacy.npz", n_images=2, N=64, legacy="diff3d")
    path.chmod(0o444)
    before = path.read_bytes()
    refused = run_cli("migrate", "--in-place", str(path))
    assert refused.returncode == 1
    assert "read-only" in refused.stderr and "--force" in refused.stderr
    assert path.read_bytes() == before
    forced = run_cli("migrate", "--in-place", "--force", str(path))
    assert forced.returncode == 0, forced.stdout + forced.stderr
    assert path.read_bytes() != before
    assert stat.S_IMODE(path.stat().st_mode) == 0o444


def test_13_output_folder_receives_every_input_canonical_ones_copied_verbatim(tmp_path):
    source, out = tmp_path / "in", tmp_path / "out"
    out.mkdir()
    legacy = write_dataset(source / "legacy.npz", n_images=2, N=64, legacy="diff3d")
    canonical = write_dataset(source / "canonical.npz", n_images=2, N=64)
    result = run_cli("migrate", "-o", str(out), str(legacy), str(canonical))
    assert result.returncode == 0, result.stdout + result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["canonical.npz", "legacy.npz"]
    assert (out / "canonical.npz").read_bytes() == canonical.read_bytes()
    assert f"copied unchanged (byte-identical) to {out / 'canonical.npz'}" in result.stdout
    assert run_cli("lint", "--no-config", str(out)).returncode == 0


# ----------------------------------------------------------------- 14. nothing matched


def test_14_a_run_matching_nothing_warns_also_as_an_annotation(tmp_path):
    write_dataset(tmp_path / "data.npz", n_images=2, N=64)
    result = run_cli("lint", "--no-config", "--include", "*.npzz", "--format", "github",
                     str(tmp_path))
    assert result.returncode == 0
    assert "npzcontract: warning: no .npz files to check" in result.stderr
    assert any(line.startswith("::warning title=npzcontract::no .npz files to check")
               for line in result.stdout.splitlines())


def test_14_require_files_fails_the_run_by_option_and_by_config(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    by_option = run_cli("lint", "--no-config", "--require-files", "--format", "github",
                        str(empty))
    assert by_option.returncode == 1
    assert "::error title=npzcontract::no .npz files to check" in by_option.stdout
    (tmp_path / "pyproject.toml").write_text("[tool.npzcontract]\nrequire_files = true\n")
    by_config = run_cli("lint", str(empty), cwd=tmp_path)
    assert by_config.returncode == 1, by_config.stderr
    assert "error: no .npz files to check" in by_config.stderr
    assert run_cli("lint", "--allow-no-files", str(empty), cwd=tmp_path).returncode == 0


# ----------------------------------------------------------------- 15. stale temporaries


def test_15_a_later_write_removes_temporaries_left_by_sigkill(tmp_path):
    target = tmp_path / "big.npz"
    writer = subprocess.Popen([sys.executable, "-c", (
        "import numpy as np; from pytest_npzcontract import save_npz; "
        f"save_npz({str(target)!r}, {{'diffraction': np.zeros((2 ** 14, 128, 128), "
        "np.float32)})")], env=ENV)
    deadline, leftovers = time.monotonic() + 60, []
    while time.monotonic() < deadline and not leftovers:
        leftovers = list(tmp_path.glob(".big.npz.*.tmp"))
        time.sleep(0.01)
    writer.kill()
    writer.wait()
    assert leftovers and leftovers[0].exists() and not target.exists()
    unrelated = tmp_path / ".notes.tmp"
    unrelated.write_text("not ours")
    os.utime(unrelated, (0, 0))
    later = run_cli("migrate", "-o", str(tmp_path / "copy.npz"),
                    str(write_dataset(tmp_path / "x.npz", n_images=2, N=64)))
    assert later.returncode == 0, later.stderr
    assert not leftovers[0].exists()
    assert unrelated.exists()


def test_15_temporaries_newer_than_the_run_or_locked_are_left_alone(tmp_path):
    from pytest_npzcontract.io.tempfiles import lock, remove_stale

    old = tmp_path / ".a.npz.0123456789abcdef.tmp"
    old.write_bytes(b"left by a killed writer")
    held = tmp_path / ".b.npz.fedcba9876543210.tmp"
    held.write_bytes(b"a live writer holds this one")
    for path in (old, held):
        os.utime(path, (0, 0))
    fd = os.open(held, os.O_RDONLY)
    try:
        lock(fd)  # as the writer does while writing
        child = subprocess.run([sys.executable, "-c", (
            "from pytest_npzcontract.io.tempfiles import remove_stale; "
            f"print(remove_stale({str(tmp_path)!r}))")], capture_output=True, text=True,
            env=ENV, check=True)
    finally:
        os.close(fd)
    assert child.stdout.strip() == repr([str(old)])
    assert not old.exists() and held.exists()
    # In this process, a temporary made after the run started is not stale.
    fresh = tmp_path / ".c.npz.001122334455.migrate.tmp"
    fresh.write_bytes(b"just made")
    assert remove_stale(str(tmp_path)) == [str(held)]
    assert fresh.exists()
