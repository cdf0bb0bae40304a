"""Peak memory and wall time of the worst input of each hostile-input class of issue 19.

File classes run ``check_file`` + ``load_npz`` in a fresh interpreter capped at its start-up
size + 512 MiB (``tests/hostile.run_bounded``: peak RSS growth over the warmed interpreter);
command-line classes run the console command under ``/usr/bin/time`` (whole-process peak RSS,
start-up included). The inputs are the regression tests' own builders.

    python benchmarks/bench_escapes.py            # prints a Markdown table
"""

from __future__ import annotations

import os
import shutil
import signal
import socketserver
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "io"), str(ROOT / "tests" / "tools"),
                str(ROOT)]

import numpy as np  # noqa: E402
from hostile import base_members, npy_bytes, npy_header, run_bounded, valid_npz, with_member  # noqa: E402
from hostile import zip_bytes as _zip  # noqa: E402

ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
CLI = [sys.executable, "-c",
       "import sys; from pytest_npzcontract.cli import main; sys.exit(main(sys.argv[1:]))"]


def bounded(path: Path, warm: Path, limits: dict | None = None) -> tuple[float, float, str]:
    job = {"path": str(path), "load": not str(path).startswith("http"), "limits": limits or {}}
    run = run_bounded([job], warm, headroom_mib=512, timeout=900)
    (result,) = run["results"]
    verdict = ",".join(result.get("rules", [])) or result.get("raised", "?")
    return run["rss_growth_mib"], run["seconds"], verdict


def timed_cli(*args: str, cwd: Path) -> tuple[float, float, int]:
    """(peak RSS MiB, seconds, exit status) of one command."""
    out = tempfile.NamedTemporaryFile(delete=False)  # noqa: SIM115
    start = time.perf_counter()
    proc = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", out.name, *CLI, *args],
                          capture_output=True, text=True, cwd=cwd, env=ENV, check=False)
    seconds = time.perf_counter() - start
    rss = int(Path(out.name).read_text().strip().splitlines()[-1]) / 1024
    os.unlink(out.name)
    return rss, seconds, proc.returncode


def main() -> int:
    import test_bounded_echo as echo
    import test_escapes_round3 as t
    import test_hostile_server as server_test

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        warm = valid_npz(d / "warm.npz")
        stream = t.bz2_64mib_stream()
        files = {
            "1 lying compressed sizes: 4089 bzip2 members x 64 MiB claimed (256 GiB)":
                t._lying_bzip2_bomb(stream, 4089),
            "2 shape (0, 2**61) float64 as legacy nphotons": _zip(
                [*base_members(without=["_metadata"]), ("nphotons.npy",
                                                        npy_header("<f8", (0, 2 ** 61)))]),
            "7 member inflating past its declared size": t._inflating_past_declared(),
            "8 metadata of 300k keys (7 MB)": with_member("_metadata.npy", npy_bytes(
                np.array(t._wide_metadata(300_000, "top").encode()))),
        }
        for label, raw in files.items():
            path = d / "case.npz"
            path.write_bytes(raw)
            rss, seconds, verdict = bounded(path, warm)
            rows.append((label, f"{path.stat().st_size:,} B", rss, seconds, verdict))

        # 5: the hostile server, in this process; the check in a capped child
        data = warm.read_bytes()
        for mode, limits in (("trickle", {"remote_total_seconds": 3.0}),
                             ("endless", server_test.FAST)):
            handler = type("H", (server_test.Hostile,), {"mode": mode, "data": data,
                                                         "honest": 1, "count": 0})
            srv = server_test._Server(("127.0.0.1", 0), handler)
            threading.Thread(target=srv.serve_forever, daemon=True).start()
            url = f"http://127.0.0.1:{srv.server_address[1]}/valid.npz"
            rss, seconds, verdict = bounded(url, warm, limits)  # type: ignore[arg-type]
            srv.shutdown()
            srv.server_close()
            rows.append((f"5 server: {mode} ({limits})", "-", rss, seconds, verdict))

        # 4: a 357-byte-class YAML alias tree in a plan (whole process)
        (d / "plan.yaml").write_text(echo.alias_tree_yaml())
        rss, seconds, code = timed_cli("migrate", "--plan", "plan.yaml", "--check", cwd=d)
        rows.append(("4 YAML alias tree (9**9 leaves) in a plan (process)", f"{len(echo.alias_tree_yaml())} B",
                     rss, seconds, f"exit {code}"))

        # 9, 10: a write into a missing folder, a plan escaping its folder
        from pytest_npzcontract.physics.factory import write_dataset
        write_dataset(d / "legacy.npz", n_images=2, N=64, legacy="diff3d")
        rss, seconds, code = timed_cli("migrate", "-o", "new/dir/x.npz", "legacy.npz", cwd=d)
        rows.append(("9 migrate -o into a missing folder (process)", "-", rss, seconds, f"exit {code}"))
        (d / "p").mkdir()
        (d / "p" / "plan.yaml").write_text("datasets:\n  - path: ../legacy.npz\n")
        rss, seconds, code = timed_cli("migrate", "--plan", "p/plan.yaml", "--check", cwd=d)
        rows.append(("10 plan path ../ (refused) (process)", "-", rss, seconds, f"exit {code}"))

        # 6: Ctrl-C latency over trials
        folder = d / "slow"
        folder.mkdir()
        from pytest_npzcontract import save_npz
        save_npz(folder / "f00.npz", {"diffraction": np.zeros((3072, 64, 64), np.float32)})
        for i in range(1, 30):
            shutil.copyfile(folder / "f00.npz", folder / f"f{i:02d}.npz")
        worst = 0.0
        for delay in (0.3, 0.6, 0.9, 1.2, 1.5, 2.0):
            proc = subprocess.Popen([*CLI, "lint", str(folder), "--jobs", "2", "--no-config"],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                    env=ENV, start_new_session=True)
            time.sleep(delay)
            sent = time.perf_counter()
            os.killpg(proc.pid, signal.SIGINT)
            proc.wait(timeout=30)
            worst = max(worst, time.perf_counter() - sent)
        rows.append(("6 Ctrl-C of lint --jobs 2 (6 trials), SIGINT to exit", "-", float("nan"),
                     worst, "exit 130, no child left (tests/cli/test_interrupts.py)"))

    print("| class / worst input | size | peak RSS growth (MiB) | wall (s) | verdict |")
    print("|---|---|---|---|---|")
    for label, size, rss, seconds, verdict in rows:
        shown_rss = "-" if rss != rss else f"{rss:.1f}"
        print(f"| {label} | {size} | {shown_rss} | {seconds:.2f} | {verdict} |")
    return 0


if __name__ == "__main__":
    socketserver.TCPServer.allow_reuse_address = True
    sys.exit(main())
