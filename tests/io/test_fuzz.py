"""The fuzzer kept in the repository: a deterministic, seeded mutation run in every test run.

Two fresh interpreters, each capped in address space (current size + 512 MiB), check 1,200
structure-aware mutants each of valid, legacy and pickled seed files (``tests/fuzzing.py``):
``check_file`` never raises, ``load_npz`` raises only ``ContractViolation``, a file
``check_file`` passes loads, and no mutant takes more than 10 seconds. Inputs the long
campaign (``benchmarks/fuzz_campaign.py``) saved in ``tests/fuzz_corpus/`` are replayed too.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]
ROOT = TESTS.parent
FUZZER = TESTS / "fuzzing.py"
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def _fuzz(*args: str) -> dict:
    proc = subprocess.run([sys.executable, str(FUZZER), "--cap-mib", "512", *args],
                          capture_output=True, text=True, env=ENV, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout)


def test_seeded_mutants_keep_every_invariant():
    procs = [subprocess.Popen([sys.executable, str(FUZZER), "--cap-mib", "512", "--seed",
                               str(seed), "--count", "1200", "--max-seconds", "10"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env=ENV)
             for seed in (12, 13)]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err[-3000:]
        results.append(json.loads(out))
    failures = [f for r in results for f in r["failures"]]
    assert failures == []
    assert sum(r["mutants"] for r in results) == 2400
    assert max(r["slowest"] for r in results) < 10


def test_mutants_are_deterministic():
    sys.path.insert(0, str(TESTS))
    from fuzzing import mutants

    assert mutants(7, 40) == mutants(7, 40)
    assert mutants(7, 40) != mutants(8, 40)


@pytest.mark.skipif(not (TESTS / "fuzz_corpus").is_dir(), reason="no saved inputs")
def test_inputs_saved_by_the_campaign_keep_every_invariant():
    result = _fuzz("--replay", str(TESTS / "fuzz_corpus"))
    assert result["failures"] == []
