"""A member the archive scan already refused gets exactly one finding: it is not also a
``missing-key``, nor read again at the end; a scan finding keeps its own hint (else its rule's
fix); and ``_metadata`` is read once, so a corrupt one is reported once."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import numpy as np
import pytest
from rawnpz import metadata_json, npy_bytes, valid_arrays, write_members

from pytest_npzcontract import RULES, check_file
from pytest_npzcontract.io.archive import BARE_NPY, BARE_NPY_FIX


@pytest.fixture(scope="module")
def base():
    return dict(valid_arrays(), _metadata=np.array(metadata_json()))


def flip_byte(path: Path, key: str, at: int) -> None:
    """Invert one byte of a stored member's data (its CRC then no longer matches)."""
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo(f"{key}.npy")
    raw = bytearray(path.read_bytes())
    raw[info.header_offset + 30 + len(info.filename) + at] ^= 0xFF
    path.write_bytes(bytes(raw))


def findings(report) -> list[tuple]:
    return [(f.key, f.rule, f.message) for f in report.findings]


def test_a_required_member_with_a_broken_header_is_one_finding(tmp_path, base):
    path = write_members(tmp_path / "h.npz", dict(base, diffraction=b"\x93NUMPY\x01\x00junk"),
                         compressed=False)
    report = check_file(path, mode="warn")
    assert [(key, rule) for key, rule, _ in findings(report)] == [("diffraction", "unreadable")]
    (f,) = report.findings
    assert f.message.startswith("truncated .npy header")
    assert f.hint == RULES["unreadable"].fix          # the scan gave none: the rule's fix


def test_a_refused_object_array_is_not_read_again(tmp_path, base):
    boxed = np.empty(3, dtype=object)
    boxed[:] = [1, "a", 2.0]
    path = write_members(tmp_path / "o.npz", dict(base, labels=boxed), compressed=False)
    flip_byte(path, "labels", len(npy_bytes(boxed)) - 3)     # its pickle no longer matches
    assert findings(check_file(path, mode="warn")) == [
        ("labels", "unsafe-object-array", "object array (dtype object) can only be loaded "
         "with pickle enabled, which runs code from the file")]


def test_a_corrupt_metadata_member_is_reported_once(tmp_path, base):
    path = write_members(tmp_path / "m.npz", base, compressed=False)
    flip_byte(path, "_metadata", 200)
    assert findings(check_file(path, mode="warn")) == [
        ("_metadata", "unreadable", "corrupt _metadata member (member '_metadata.npy': CRC "
         "mismatch: the bytes changed after writing)")]


def test_a_scan_finding_keeps_its_own_hint(tmp_path):
    bare = tmp_path / "bare.npz"
    np.save(tmp_path / "bare.npy", np.arange(3))
    os.replace(tmp_path / "bare.npy", bare)
    (f,) = check_file(bare).findings
    assert (f.key, f.rule, f.message) == (None, "unreadable", BARE_NPY)
    assert f.hint == BARE_NPY_FIX and f.hint != RULES["unreadable"].fix
