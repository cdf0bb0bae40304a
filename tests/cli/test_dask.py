"""``lint --executor dask`` on real Dask clusters: the same JSON report as a local run (fixture,
hostile and generated trees), a worker killed mid-task, Ctrl-C, the cache kept by the client,
and the one-line errors. Kept few and small: each run starts processes on a shared machine."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

distributed = pytest.importorskip("distributed")
psutil = pytest.importorskip("psutil")

from hostile import build_corpus  # noqa: E402

from pytest_npzcontract.physics.factory import write_dataset  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(sys.executable).with_name("npzcontract")
pytestmark = pytest.mark.slow


def lint(*args: str, cwd: Path, env: dict[str, str] | None = None
         ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(SCRIPT), "lint", "--no-config", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, **(env or {})})


@pytest.fixture(scope="module")
def cluster() -> Iterator[object]:
    """A running two-worker cluster (processes, one thread each), reached with --scheduler."""
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None,
                                  scheduler_kwargs={"dashboard_address": "127.0.0.1:0"}
                                  ) as running:
        yield running


@pytest.fixture(scope="module")
def trees(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """fixtures/ (copied), the hostile corpus and a generated tree of 200 files."""
    root = tmp_path_factory.mktemp("trees")
    shutil.copytree(ROOT / "fixtures", root / "fixtures")
    (root / "hostile").mkdir()
    build_corpus(root / "hostile")
    seeds = [write_dataset(root / "many" / f"seed{i}.npz", n_images=2, N=64, nphotons=1e6,
                           seed=i) for i in range(3)]
    seeds.append(write_dataset(root / "many" / "seed3.npz", n_images=2, N=64, legacy=["diff3d"]))
    broken = sorted((ROOT / "fixtures" / "broken").glob("*.npz"))
    for i in range(len(seeds), 200):
        source = broken[i % len(broken)] if i % 10 == 0 else seeds[i % len(seeds)]
        shutil.copyfile(source, root / "many" / f"d{i:03d}.npz")
    return root


@pytest.mark.parametrize("tree", ["fixtures", "hostile", "many"])
def test_dask_report_equals_the_local_report(trees: Path, cluster, tree: str):
    local = lint(tree, "--format", "json", "--jobs", "2", cwd=trees)
    dask = lint(tree, "--format", "json", "--jobs", "2", "--executor", "dask",
                "--scheduler", cluster.scheduler_address, cwd=trees)
    assert local.returncode == dask.returncode == 1, dask.stderr
    assert dask.stdout == local.stdout  # byte for byte (the JSON report has no timing field)
    assert json.loads(dask.stdout)["summary"]["files"] >= 10


def test_local_cluster_started_for_the_run_equals_the_serial_run(trees: Path):
    serial = lint("fixtures", "--format", "json", "--jobs", "2", cwd=trees)
    dask = lint("fixtures", "--format", "json", "--jobs", "2", "--executor", "dask", cwd=trees)
    assert dask.returncode == serial.returncode == 1, dask.stderr
    assert dask.stdout == serial.stdout
    assert dask.stderr == ""


def test_cached_files_are_never_sent_to_the_cluster(tmp_path: Path, cluster):
    for name, seed in (("a", 1), ("b", 2), ("c", 3)):
        write_dataset(tmp_path / f"{name}.npz", n_images=2, N=64, nphotons=1e6, seed=seed)
    env = {"NPZCONTRACT_NO_CACHE": ""}
    options = ("--format", "json", "--cache", "--executor", "dask",
               "--scheduler", cluster.scheduler_address)

    def run_and_count() -> tuple[dict, int]:
        before = _checks_seen(cluster)
        result = lint(".", *options, cwd=tmp_path, env=env)
        assert result.returncode in (0, 1), result.stderr
        return json.loads(result.stdout), len(_checks_seen(cluster) - before)

    first, sent = run_and_count()
    assert (first["summary"]["cached"], sent) == (0, 3)
    write_dataset(tmp_path / "b.npz", n_images=2, N=64, legacy=["diff3d"], seed=2)
    second, sent = run_and_count()
    assert (second["summary"]["cached"], sent) == (2, 1)
    assert second["summary"]["failed"] == 1
    third, sent = run_and_count()
    assert (third["summary"]["cached"], sent) == (3, 0)


def _checks_seen(cluster) -> set[str]:
    log = cluster.scheduler.transition_log
    return {t.key for t in list(log) if str(t.key).startswith("npzcontract-check-")}


KILLED_WORKER_RUN = """
import json, os, signal, sys
from pathlib import Path
from pytest_npzcontract._version import version
from pytest_npzcontract.cli.lint import _as_report
from pytest_npzcontract.tools.dask_executor import WorkerLost, run_on_dask

attempts = Path(sys.argv[1])
batch = int(sys.argv[2])

def check(item, shared):  # runs on a worker
    with open(attempts / item, "a") as fh:
        fh.write("x")
    if item == "dies":  # as the OOM killer does: SIGKILL, no cleanup, no answer
        os.kill(os.getpid(), signal.SIGKILL)
    return version, item.upper()

if __name__ == "__main__":
    results = dict(run_on_dask(check, ["a", "dies", "b", "c"], shared={}, workers=2,
                               batch=batch))
    report = _as_report("dies.npz", results[1])
    print(json.dumps({"others": [results[i] for i in (0, 2, 3)],
                      "lost": isinstance(results[1], WorkerLost),
                      "findings": [[f.rule, f.severity, f.message] for f in report.findings]}))
"""


@pytest.mark.parametrize("batch, tries", [(1, "xx"), (2, "xxxx")])
def test_a_killed_worker_gives_its_file_a_finding_and_the_run_goes_on(
        tmp_path: Path, batch: int, tries: str):
    # In a child process with a time limit: a cluster whose worker is SIGKILLed must never be
    # able to hang the test session itself.
    attempts = tmp_path / "attempts"
    attempts.mkdir()
    script = tmp_path / "killed_worker.py"
    script.write_text(KILLED_WORKER_RUN)
    done = subprocess.run([sys.executable, str(script), str(attempts), str(batch)],
                          capture_output=True, text=True, timeout=240, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    outcome = json.loads(done.stdout.strip().splitlines()[-1])
    assert outcome["others"] == ["A", "B", "C"]
    assert outcome["lost"] is True
    # tried, retried once on a fresh worker; in a task of two files, that task is tried twice,
    # then each of its files alone (twice for the one that kills its worker)
    # (Dask may add a try when a worker dies while another task of the batch is queued on it)
    # (and when a worker dies while another task is queued on it, Dask may try more); the
    # bound that matters: retried, never endlessly
    assert tries <= (attempts / "dies").read_text() <= tries + "xxxx"
    # a finished file whose result sat on the dying worker may be checked again (its task
    # retried, then alone, and twice more if the cluster lost the result): never lost
    assert 1 <= len((attempts / "c").read_text()) <= 5
    assert [(rule, severity) for rule, severity, _ in outcome["findings"]] == [
        ("resource-limit", "error")]
    assert "died" in outcome["findings"][0][2]


@pytest.fixture
def stalling_server() -> Iterator[tuple[str, threading.Event]]:
    """An HTTP address that accepts connections and never answers (a hung object store)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    asked = threading.Event()
    held: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            held.append(conn)
            asked.set()

    threading.Thread(target=accept, daemon=True).start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}", asked
    server.close()
    for conn in held:
        conn.close()


def test_ctrl_c_cancels_and_leaves_no_process(tmp_path: Path, stalling_server):
    address, asked = stalling_server
    process = subprocess.Popen(
        [str(SCRIPT), "lint", "--no-config", "--executor", "dask", "--jobs", "2",
         f"{address}/a.npz", f"{address}/b.npz"], cwd=tmp_path, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        assert asked.wait(120), "no worker ever asked for a file"
        started = psutil.Process(process.pid).children(recursive=True)
        assert len(started) >= 2  # the workers (and their fork server)
        time.sleep(0.5)
        os.killpg(process.pid, signal.SIGINT)  # what the terminal does: the whole group
        out, err = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130
    assert err == "npzcontract: interrupted\n"  # no worker traceback
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_alive(p) for p in started):
        time.sleep(0.2)
    assert not [p.pid for p in started if _alive(p)]


def _alive(process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_unreachable_scheduler_is_one_line(tmp_path: Path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    write_dataset(tmp_path / "a.npz", n_images=2, N=64)
    result = lint(".", "--executor", "dask", "--scheduler", f"tcp://127.0.0.1:{port}",
                  cwd=tmp_path, env={"DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "1s"})
    assert result.returncode == 2
    assert result.stderr.startswith(f"npzcontract: error: cannot reach the Dask scheduler at "
                                    f"tcp://127.0.0.1:{port}")
    assert result.stderr.count("\n") == 1


def test_scheduler_without_the_dask_executor_is_a_usage_error(tmp_path: Path):
    result = lint(".", "--scheduler", "tcp://127.0.0.1:8786", cwd=tmp_path)
    assert (result.returncode, result.stderr) == (
        2, 'npzcontract: error: --scheduler needs --executor dask (or executor = "dask" in '
           'the configuration)\n')
    # the environment variable alone never switches executors (a lab may export it globally)
    write_dataset(tmp_path / "a.npz", n_images=2, N=64)
    quiet = lint(".", cwd=tmp_path, env={"DASK_SCHEDULER_ADDRESS": "tcp://127.0.0.1:1"})
    assert quiet.returncode == 0, quiet.stderr


def test_executor_in_configuration(tmp_path: Path):
    (tmp_path / "pyproject.toml").write_text('[tool.npzcontract]\nexecutor = "slurm"\n')
    result = subprocess.run([str(SCRIPT), "lint", "."], cwd=tmp_path, capture_output=True,
                            text=True)
    assert result.returncode == 2
    assert "executor: expected one of local, dask, not 'slurm'" in result.stderr
