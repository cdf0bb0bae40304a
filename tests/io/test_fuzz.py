"""The fuzzer kept in the repository: a deterministic, seeded mutation run in every test run.

Two fresh interpreters, each capped in address space (current size + 512 MiB), check 1,200
structure-aware mutants each of valid, legacy and pickled seed files (``tests/fuzzing.py``),
about a tenth lying about zip sizes (declared against consumed compressed bytes, uncompressed
sizes) and a tenth rewriting a ``.npy`` shape or item size over unchanged data:
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


def test_the_seeded_run_includes_the_size_and_shape_mutators():
    sys.path.insert(0, str(TESTS))
    from fuzzing import mutants

    for seed in (12, 13):
        kinds = [label.rsplit("-", 2)[-2:] for label, _ in mutants(seed, 1200)]
        assert sum(k == ["zip", "sizes"] for k in kinds) >= 90
        assert sum(k == ["npy", "shape"] for k in kinds) >= 90


def test_the_mutators_reach_the_classes_they_target(tmp_path):
    """The size mutator makes declared and consumed sizes disagree; the shape mutator makes
    shapes NumPy cannot index: both must meet a finding, not an exception."""
    import random
    import zipfile

    sys.path.insert(0, str(TESTS))
    from fuzzing import npy_shape_mutant, seeds, zip_size_mutant
    from hostile import zip_bytes

    from pytest_npzcontract import check_file

    rng = random.Random(0)
    base = zip_bytes(seeds()["canonical"], method=zipfile.ZIP_DEFLATED)
    lied = {zip_size_mutant(rng, base) for _ in range(40)}
    assert len(lied) > 20 and base not in lied
    shapes = [npy_shape_mutant(rng, seeds()["canonical"][0][1]) for _ in range(200)]
    assert any(b"2305843009213693952" in s for s in shapes)  # 2**61 beside other dims
    for i, data in enumerate(sorted(lied)[:10]):
        path = tmp_path / f"m{i}.npz"
        path.write_bytes(data)
        assert check_file(path).findings  # something said, nothing raised


def test_mutants_are_deterministic():
    sys.path.insert(0, str(TESTS))
    from fuzzing import mutants

    assert mutants(7, 40) == mutants(7, 40)
    assert mutants(7, 40) != mutants(8, 40)


@pytest.mark.skipif(not (TESTS / "fuzz_corpus").is_dir(), reason="no saved inputs")
def test_inputs_saved_by_the_campaign_keep_every_invariant():
    result = _fuzz("--replay", str(TESTS / "fuzz_corpus"))
    assert result["failures"] == []
