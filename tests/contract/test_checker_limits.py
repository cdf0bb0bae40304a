"""The caller's ``limits`` reach every reader a check uses: the archive scan, the value scan,
the read of members no check looks at, and ``_metadata`` from a file or from arrays.

A tighter limit must produce its finding; a looser one must let through a member the default
refuses (here an LZMA member asking for a 65 MiB dictionary, over the default 64 MiB)."""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path

import numpy as np
import pytest
from rawnpz import metadata_json, npy_bytes, valid_arrays, valid_metadata, write_members

from pytest_npzcontract import check_arrays, check_file
from pytest_npzcontract.base.limits import DEFAULT_LIMITS, Limits, MiB

WIDE_DICT = 65 * MiB
LOOSE = Limits(max_lzma_dict_bytes=128 * MiB)


def lines(report) -> list[str]:
    return [f"{f.key} {f.rule}: {f.message}" for f in report.findings]


def with_wide_lzma_dict(path: Path, members: dict, wide: str) -> Path:
    """Write ``members``, member ``wide`` LZMA-compressed with its declared dictionary raised
    to 65 MiB (the stream itself needs far less, so it decodes the same)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, array in members.items():
            method = zipfile.ZIP_LZMA if name == wide else zipfile.ZIP_DEFLATED
            zf.writestr(zipfile.ZipInfo(f"{name}.npy"), npy_bytes(array), compress_type=method)
    with zipfile.ZipFile(path) as zf:
        offset = zf.getinfo(f"{wide}.npy").header_offset
    raw = bytearray(path.read_bytes())
    name_len, extra_len = struct.unpack_from("<HH", raw, offset + 26)
    props = offset + 30 + name_len + extra_len + 4       # after version and properties size
    struct.pack_into("<I", raw, props + 1, WIDE_DICT)
    path.write_bytes(bytes(raw))
    return path


@pytest.fixture(scope="module")
def base():
    return dict(valid_arrays(), _metadata=np.array(metadata_json()))


def test_the_archive_scan_uses_the_callers_limits(tmp_path, base):
    path = write_members(tmp_path / "d.npz", base)
    assert check_file(path).ok
    report = check_file(path, limits=Limits(max_members=3))
    assert lines(report) == [f"None resource-limit: archive has {len(base)} members, more "
                             "than the limit of 3"]


@pytest.mark.parametrize("wide", ["diffraction", "extra"])
def test_a_looser_limit_reaches_the_value_scan_and_unread_members(tmp_path, base, wide):
    # diffraction is read by the value scan; "extra" by no check, only verified at the end
    path = with_wide_lzma_dict(tmp_path / "w.npz", dict(base, extra=np.arange(10.0)), wide)
    refused = check_file(path)
    assert lines(refused) == [f"{wide} resource-limit: LZMA member '{wide}.npy' needs a "
                              f"{WIDE_DICT:,}-byte dictionary, over the "
                              f"{DEFAULT_LIMITS.max_lzma_dict_bytes:,}-byte limit"]
    assert lines(check_file(path, limits=LOOSE)) == []


def test_a_file_metadata_limit_is_the_callers(tmp_path, base):
    path = write_members(tmp_path / "m.npz", base)
    report = check_file(path, limits=Limits(max_metadata_bytes=100))
    (f,) = [f for f in report.findings if f.key == "_metadata"]
    assert f.rule == "resource-limit" and "100-byte limit" in f.message


@pytest.mark.parametrize("form", ["text", "pickled dict"])
def test_metadata_in_the_arrays_is_decoded_under_the_callers_limits(form):
    meta = valid_metadata()
    if form == "text":
        member = np.array(metadata_json(meta))
    else:
        member = np.empty((), dtype=object)
        member[()] = meta
    arrays = dict(valid_arrays(), _metadata=member)
    assert "resource-limit" not in check_arrays(arrays, mode="permissive").rules()
    shallow = check_arrays(arrays, mode="permissive", limits=Limits(max_json_depth=1))
    assert [(f.key, f.rule) for f in shallow.findings
            if f.rule == "resource-limit"] == [("_metadata", "resource-limit")]
