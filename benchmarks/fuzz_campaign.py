"""Long fuzzing campaign against ``check_file`` / ``load_npz`` and the metadata decoders.

Two parts, both saving what they find as regression inputs in ``tests/fuzz_corpus/`` (replayed
by ``tests/io/test_fuzz.py`` in every test run):

1. structure-aware mutation (``tests/fuzzing.py``): ``--mutants`` mutants of valid, legacy and
   pickled files, in batches, each batch in a fresh interpreter capped at ``--cap-mib`` of
   address space above its start-up size, ``--jobs`` batches at a time;
2. coverage-guided (``--atheris-runs``, needs ``atheris``): libFuzzer drives the
   ``_metadata`` member decoder (``.npy`` header, restricted unpickler, JSON) and the
   unpickler directly; any exception other than the decoders' own is a crash.

    python benchmarks/fuzz_campaign.py --mutants 50000 --jobs 2 --atheris-runs 200000

Prints mutants run, failures, seconds and mutants per second; exits 1 if anything failed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FUZZER = ROOT / "tests" / "fuzzing.py"
CORPUS = ROOT / "tests" / "fuzz_corpus"
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT),
                                                               os.environ.get("PYTHONPATH")]))}


def mutation_campaign(total: int, batch: int, jobs: int, first_seed: int, cap_mib: int,
                      save: Path) -> dict:
    """Run ``total`` mutants in batches of ``batch`` (seeds ``first_seed``, +1, ...)."""
    seeds = [(first_seed + i, min(batch, total - i * batch))
             for i in range((total + batch - 1) // batch)]

    def one(seed_count: tuple[int, int]) -> dict:
        seed, count = seed_count
        proc = subprocess.run([sys.executable, str(FUZZER), "--seed", str(seed), "--count",
                               str(count), "--cap-mib", str(cap_mib), "--save", str(save)],
                              capture_output=True, text=True, env=ENV, check=False)
        if proc.returncode != 0:  # the fuzzing process itself died: record it
            return {"mutants": count, "seconds": 0, "slowest": 0, "failures": [
                {"label": f"batch-{seed}", "problem": f"exit {proc.returncode}: "
                 f"{proc.stderr.strip().splitlines()[-1:] if proc.stderr else ''}"}]}
        return json.loads(proc.stdout)

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        results = list(pool.map(one, seeds))
    return {"mutants": sum(r["mutants"] for r in results),
            "failures": [f for r in results for f in r["failures"]],
            "seconds": time.perf_counter() - start,
            "slowest": max((r["slowest"] for r in results), default=0.0)}


ATHERIS_TARGET = '''
import sys, atheris
with atheris.instrument_imports(include=["pytest_npzcontract"]):
    from pytest_npzcontract.io.codec import MetadataError, decode_member_bytes
    from pytest_npzcontract.io.unpickle import UnsafePickleError, restricted_loads
    from pytest_npzcontract.metadata.jsontext import nonfinite_paths

def one(data):
    if data[:1] == b"P":  # the unpickler alone
        try:
            nonfinite_paths(restricted_loads(data[1:]))
        except UnsafePickleError:
            pass
        return
    try:
        decode_member_bytes(data)
    except MetadataError:
        pass

atheris.Setup(sys.argv, one)
atheris.Fuzz()
'''


def atheris_campaign(runs: int, seconds: int, save: Path) -> dict:
    """libFuzzer over the member decoders; crash inputs become ``_metadata`` regression files."""
    sys.path.insert(0, str(ROOT / "tests"))
    from fuzzing import seeds
    from hostile import zip_bytes

    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus"
        corpus.mkdir()
        for name, members in seeds().items():
            for member, data in members:
                if member == "_metadata.npy":
                    (corpus / f"{name}.bin").write_bytes(data)
        artifacts = Path(tmp) / "crashes"
        artifacts.mkdir()
        target = Path(tmp) / "target.py"
        target.write_text(ATHERIS_TARGET)
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, str(target), str(corpus), f"-runs={runs}",
                               f"-max_total_time={seconds}", "-rss_limit_mb=2048", "-max_len=16384",
                               f"-artifact_prefix={artifacts}/", "-print_final_stats=1"],
                              capture_output=True, text=True, env=ENV, check=False)
        elapsed = time.perf_counter() - start
        stats = {line.rsplit(":", 1)[0].strip(): line.rsplit(":", 1)[1].strip()
                 for line in proc.stderr.splitlines() if line.startswith("stat::")}
        crashes = sorted(artifacts.iterdir())
        base = [m for m in seeds()["canonical"] if m[0] != "_metadata.npy"]
        for crash in crashes:
            save.mkdir(parents=True, exist_ok=True)
            (save / f"atheris-{crash.name}.npz").write_bytes(
                zip_bytes([*base, ("_metadata.npy", crash.read_bytes())]))
    return {"runs": int(stats.get("stat::number_of_executed_units", 0)), "crashes": len(crashes),
            "exit": proc.returncode, "seconds": elapsed,
            "tail": proc.stderr.strip().splitlines()[-3:] if proc.returncode else []}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mutants", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=2_000)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1000, help="first batch seed")
    parser.add_argument("--cap-mib", type=int, default=512)
    parser.add_argument("--atheris-runs", type=int, default=0)
    parser.add_argument("--atheris-seconds", type=int, default=600)
    parser.add_argument("--save", type=Path, default=CORPUS)
    args = parser.parse_args(argv)
    failed = False
    if args.mutants:
        result = mutation_campaign(args.mutants, args.batch, args.jobs, args.seed, args.cap_mib,
                                   args.save)
        print(f"mutation: {result['mutants']:,} mutants, {len(result['failures'])} failures, "
              f"{result['seconds']:.0f} s ({result['mutants'] / result['seconds']:.0f}/s), "
              f"slowest mutant {result['slowest']:.2f} s")
        for failure in result["failures"][:20]:
            print(f"  {failure['label']}: {failure['problem']}")
        failed |= bool(result["failures"])
    if args.atheris_runs:
        result = atheris_campaign(args.atheris_runs, args.atheris_seconds, args.save)
        print(f"atheris: {result['runs']:,} runs, {result['crashes']} crashes, "
              f"{result['seconds']:.0f} s, exit {result['exit']}")
        for line in result["tail"]:
            print(f"  {line}")
        failed |= bool(result["crashes"]) or result["exit"] not in (0,)
    if failed:
        print(f"failing inputs saved in {args.save}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
