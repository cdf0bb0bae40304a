"""What each loader of the reference project (PtychoPINN) reads, as a table, against the profiles.

The table describes the reference's behaviour (read from its sources and documents); it is not
its code, and these tests need neither that repository nor the network. For each loader: the
profile meant to describe its input, and the keys it reads unconditionally with the dtype kinds
and ranks it can use. ``a|b`` means either key.

- ``RawData.from_file`` (ptycho/raw_data.py) builds its raw container from ``xcoords``,
  ``ycoords``, ``diff3d`` (float amplitude frames, rank 3) and ``probeGuess``; start
  coordinates, ``objectGuess`` and ``scan_index`` are taken when present (older versions
  indexed all eight keys, so the factory's raw files carry them all).
- ``load_data`` (ptycho/workflows/components.py) indexes ``xcoords``, ``ycoords``,
  ``xcoords_start``, ``ycoords_start``, ``diffraction`` (rank 3, re-ordered to frames-first),
  ``probeGuess`` and ``objectGuess`` without checking they exist: a missing start coordinate is
  a KeyError there.
- The canonical contract (docs/data_contracts.md §1): float32 amplitude ``diffraction``,
  complex ``objectGuess``/``probeGuess``, float coordinates.
- Count-intensity ingestion (docs/specs/spec-ptycho-core.md): photon counts under
  ``diffraction`` or ``diff3d``, a probe of rank 2 or 3, the scan coordinates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from pytest_npzcontract import check_file
from pytest_npzcontract.contract.profiles import PROFILES
from pytest_npzcontract.physics.factory import write_dataset


@dataclass(frozen=True)
class Loader:
    profile: str
    #: key (or "a|b" alternatives) -> (dtype kinds, ranks)
    reads: dict[str, tuple[str, tuple[int, ...]]]


LOADERS = {
    "RawData.from_file": Loader("raw", {
        "xcoords": ("f", (1,)), "ycoords": ("f", (1,)),
        "diff3d": ("f", (3,)), "probeGuess": ("c", (2,)),
    }),
    "load_data": Loader("train", {
        "xcoords": ("f", (1,)), "ycoords": ("f", (1,)),
        "xcoords_start": ("f", (1,)), "ycoords_start": ("f", (1,)),
        "diffraction": ("f", (3,)), "probeGuess": ("c", (2,)), "objectGuess": ("c", (2,)),
    }),
    "canonical contract": Loader("canonical", {
        "diffraction": ("f", (3,)), "objectGuess": ("c", (2,)), "probeGuess": ("c", (2,)),
        "xcoords": ("f", (1,)), "ycoords": ("f", (1,)),
    }),
    "count-intensity ingestion": Loader("count-intensity", {
        "diffraction|diff3d": ("iuf", (3,)), "probeGuess": ("c", (2, 3)),
        "xcoords": ("f", (1,)), "ycoords": ("f", (1,)),
    }),
}


def loads(path, loader: Loader) -> list[str]:
    """What would go wrong reading ``path`` as ``loader`` does (empty: it loads)."""
    problems = []
    with np.load(path, allow_pickle=False) as data:
        for keys, (kinds, ranks) in loader.reads.items():
            present = [k for k in keys.split("|") if k in data.files]
            if not present:
                problems.append(f"KeyError {keys}")
                continue
            array = data[present[0]]
            if array.dtype.kind not in kinds or array.ndim not in ranks:
                problems.append(f"{present[0]}: {array.dtype} rank {array.ndim}")
    return problems


@pytest.mark.parametrize("name", list(LOADERS))
def test_a_file_clean_under_the_profile_satisfies_the_loader(tmp_path, name):
    loader = LOADERS[name]
    path = write_dataset(tmp_path / "x.npz", profile=loader.profile, seed=5)
    report = check_file(path, profile=loader.profile, mode="strict")
    assert report.findings == [], [f.line() for f in report.findings]
    assert loads(path, loader) == []


@pytest.mark.parametrize(("name", "key"), [
    (name, key) for name, loader in LOADERS.items() for key in loader.reads])
def test_a_file_missing_a_key_the_loader_reads_is_caught(tmp_path, name, key):
    loader = LOADERS[name]
    path = write_dataset(tmp_path / "x.npz", profile=loader.profile,
                         drop=[key.split("|")[0]])  # the factory writes the first form
    assert loads(path, loader), "the loader would not fail: the table is wrong"
    report = check_file(path, profile=loader.profile)
    missing = {f.key for f in report.findings if f.rule == "missing-key"}
    assert missing & set(key.split("|")), [f.line() for f in report.findings]


@pytest.mark.parametrize("name", list(LOADERS))
def test_the_table_and_the_profile_require_the_same_keys(name):
    loader = LOADERS[name]
    contract = PROFILES[loader.profile]
    required = {k.split("|")[0] for k in loader.reads}
    assert required == set(contract.required)
    for keys, (_kinds, ranks) in loader.reads.items():
        for key in keys.split("|"):
            spec = contract.keys[key]
            assert set(spec.ndim) <= set(ranks), key


def test_lint_clean_canonical_files_that_the_training_loader_cannot_read_are_caught(tmp_path):
    path = write_dataset(tmp_path / "canonical.npz")
    assert check_file(path, profile="canonical").findings == []
    assert loads(path, LOADERS["load_data"]) == ["KeyError xcoords_start",
                                                 "KeyError ycoords_start"]
    assert {f.key for f in check_file(path, profile="train").errors} == {
        "xcoords_start", "ycoords_start"}
    assert loads(path, LOADERS["RawData.from_file"]) == ["KeyError diff3d"]
    assert "diff3d" in {f.key for f in check_file(path, profile="raw").errors}
