"""Writes and paths (issue 19, classes 9 and 10): one atomic-write helper, failures said as one
line naming the user's path (never a temporary name), --force suggested only when it can help,
output folders created, stale staging files cleaned, plan paths confined to the plan's folder
unless --allow-outside, and symbolic links as outputs refused. Real processes, real files."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from pytest_npzcontract import save_npz
from pytest_npzcontract.physics.factory import write_dataset

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "pytest_npzcontract"
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
CLI = [sys.executable, "-c",
       "import sys; from pytest_npzcontract.cli import main; sys.exit(main(sys.argv[1:]))"]


def run_cli(*args: str, cwd: Path, prefix: list[str] | None = None
            ) -> subprocess.CompletedProcess:
    return subprocess.run([*(prefix or []), *CLI, *args], capture_output=True, text=True,
                          env=ENV, cwd=cwd, check=False, timeout=120)


def _unprivileged() -> list[str]:
    """Root writes anywhere: drop the capabilities that let it (or skip without setpriv)."""
    if os.geteuid() != 0:
        return []
    if not shutil.which("setpriv"):
        pytest.skip("running as root without setpriv: permissions cannot be denied")
    return ["setpriv", "--bounding-set=-dac_override,-dac_read_search",
            "--inh-caps=-dac_override,-dac_read_search"]


# ----------------------------------------------------------------- 9. writes


def test_9_every_writer_renames_through_the_one_helper():
    """No module but io/atomic.py renames files into place, creates temporaries or fsyncs."""
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if path.name == "atomic.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and node.attr in (
                    "replace", "rename", "fsync", "mkstemp", "NamedTemporaryFile") \
                    and isinstance(node.value, ast.Name) and node.value.id in ("os", "tempfile"):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.attr}")
    assert offenders == []


@pytest.fixture()
def legacy(tmp_path) -> Path:
    return write_dataset(tmp_path / "legacy.npz", n_images=2, N=64, legacy="diff3d")


def test_9_a_read_only_directory_is_one_line_naming_the_users_path(tmp_path, legacy):
    prefix = _unprivileged()
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        proc = run_cli("migrate", "-o", "ro/new.npz", "legacy.npz", cwd=tmp_path,
                       prefix=prefix)
    finally:
        ro.chmod(0o755)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    out = proc.stdout + proc.stderr
    assert "cannot write ro/new.npz: permission denied (the directory is read-only)" in out
    assert ".tmp" not in out and "Errno" not in out and "Traceback" not in out
    assert "--force" not in out
    assert list(ro.iterdir()) == []


def test_9_force_is_suggested_for_a_read_only_file_not_a_read_only_directory(tmp_path,
                                                                               legacy):
    prefix = _unprivileged()
    ro = tmp_path / "ro"
    ro.mkdir()
    inside = Path(shutil.copy(legacy, ro / "legacy.npz"))
    ro.chmod(0o555)
    try:
        stuck = run_cli("migrate", "--in-place", "--force", "ro/legacy.npz", cwd=tmp_path,
                        prefix=prefix)
    finally:
        ro.chmod(0o755)
    assert stuck.returncode == 1
    assert stuck.stderr.strip() == ("npzcontract: error: cannot write ro/legacy.npz: "
                                    "permission denied (the directory is read-only)")
    inside.chmod(0o444)
    locked = run_cli("migrate", "--in-place", "ro/legacy.npz", cwd=tmp_path, prefix=prefix)
    assert locked.returncode == 1 and "--force" in locked.stderr


def test_9_output_directories_are_created_when_needed(tmp_path, legacy):
    dataset = write_dataset(tmp_path / "data.npz", n_images=8, N=64)
    split = run_cli("split", "-o", "parts/new", "--axis", "index", str(dataset), cwd=tmp_path)
    assert split.returncode == 0, split.stderr
    assert sorted(p.name for p in (tmp_path / "parts" / "new").iterdir()) == [
        "data_test.npz", "data_train.npz"]
    migrated = run_cli("migrate", "-o", "out/deeper/new.npz", "legacy.npz", cwd=tmp_path)
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr
    assert (tmp_path / "out" / "deeper" / "new.npz").is_file()


def test_9_staging_files_of_every_former_naming_are_cleaned_by_the_next_write(tmp_path):
    stale = [tmp_path / ".a.npz.0123456789ab.staged", tmp_path / ".b.npz.0123456789ab.migrate.tmp",
             tmp_path / ".c.npz.0123456789abcdef.tmp"]
    for path in stale:
        path.write_bytes(b"left by a killed writer")
        os.utime(path, (0, 0))
    subprocess.run([sys.executable, "-c", (
        "import numpy as np; from pytest_npzcontract import save_npz; "
        f"save_npz({str(tmp_path / 'x.npz')!r}, {{'xcoords': np.zeros(2)}})")], env=ENV,
        check=True)
    assert [p for p in stale if p.exists()] == []


def test_9_a_missing_file_in_the_way_is_said_plainly(tmp_path):
    (tmp_path / "blocker").write_text("a file, not a directory")
    with pytest.raises(OSError) as caught:
        save_npz(tmp_path / "blocker" / "x.npz", {"xcoords": np.zeros(2)})
    assert str(caught.value) == f"cannot write {tmp_path / 'blocker' / 'x.npz'}: a file is in the way"


# ----------------------------------------------------------------- 10. paths


def _plan(tmp_path: Path, entry: str) -> Path:
    folder = tmp_path / "plans"
    folder.mkdir(exist_ok=True)
    (folder / "plan.yaml").write_text(f"datasets:\n  - {entry}\n")
    return folder / "plan.yaml"


@pytest.mark.parametrize("entry", [
    "path: ../legacy.npz", "path: {legacy}", "path: x/../../legacy.npz",
    "{{path: ok.npz, output: ../escaped.npz}}", "{{path: ok.npz, output: /tmp/escaped.npz}}"])
def test_10_plan_paths_stay_in_the_plans_folder_unless_allowed(tmp_path, legacy, entry):
    plan = _plan(tmp_path, entry.format(legacy=legacy))
    shutil.copy(legacy, tmp_path / "plans" / "ok.npz")
    (tmp_path / "plans" / "x").mkdir()
    refused = run_cli("migrate", "--plan", str(plan), "--check", cwd=tmp_path)
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "outside the plan's folder" in refused.stderr and "--allow-outside" in refused.stderr
    allowed = run_cli("migrate", "--plan", str(plan), "--check", "--allow-outside",
                      cwd=tmp_path)
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr
    assert not (tmp_path / "escaped.npz").exists()


def test_10_a_symlink_inside_the_plans_folder_is_followed_as_an_input(tmp_path, legacy):
    plan = _plan(tmp_path, "path: linked.npz")
    (tmp_path / "plans" / "linked.npz").symlink_to(legacy)
    proc = run_cli("migrate", "--plan", str(plan), "--check", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_10_outputs_that_are_symlinks_are_refused_everywhere(tmp_path, legacy):
    victim = tmp_path / "victim.npz"
    victim.write_bytes(b"precious")
    dataset = write_dataset(tmp_path / "data.npz", n_images=8, N=64)
    (tmp_path / "link.npz").symlink_to(victim)
    parts = tmp_path / "parts"
    parts.mkdir()
    (parts / "data_train.npz").symlink_to(victim)
    commands = [
        ["migrate", "-o", "link.npz", "--force", "legacy.npz"],
        ["merge", "-o", "link.npz", "--force", "data.npz", "data.npz"],
        ["split", "-o", "parts", "--force", "--axis", "index", "data.npz"],
    ]
    for command in commands:
        proc = run_cli(*command, cwd=tmp_path)
        assert proc.returncode == 2, (command, proc.stdout, proc.stderr)
        assert "is a symbolic link" in proc.stderr, (command, proc.stderr)
    plan = _plan(tmp_path, "{path: ok.npz, output: out.npz}")
    shutil.copy(legacy, tmp_path / "plans" / "ok.npz")
    (tmp_path / "plans" / "out.npz").symlink_to(victim)
    proc = run_cli("migrate", "--plan", str(plan), cwd=tmp_path)
    assert proc.returncode == 2 and "is a symbolic link" in proc.stderr, proc.stderr
    assert victim.read_bytes() == b"precious"
    assert dataset.is_file()


def test_10_in_place_replaces_the_file_a_link_points_to_and_keeps_the_link(tmp_path, legacy):
    store = tmp_path / "store"
    store.mkdir()
    real = Path(shutil.move(legacy, store / "legacy.npz"))
    link = tmp_path / "legacy.npz"
    link.symlink_to(real)
    proc = run_cli("migrate", "--in-place", "legacy.npz", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert run_cli("lint", "--no-config", str(real), cwd=tmp_path).returncode == 0
