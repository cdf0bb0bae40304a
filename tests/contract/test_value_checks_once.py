"""A member whose values cannot be read is said once: the value scan's finding stands, and
the pass that reads every member no check read does not read it again."""

from __future__ import annotations

import zipfile
from pathlib import Path

from pytest_npzcontract.contract.checker import check_file
from pytest_npzcontract.physics.factory import write_dataset


def test_a_member_failing_its_crc_in_the_value_scan_is_one_finding(tmp_path: Path):
    path = write_dataset(tmp_path / "d.npz", n_images=8)          # stored members
    raw = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("diffraction.npy")
    raw[info.header_offset + 30 + len(info.filename) + info.compress_size - 8] ^= 0xFF
    path.write_bytes(bytes(raw))
    said = [(f.rule, f.message) for f in check_file(path, mode="warn").findings
            if f.key == "diffraction"]
    assert said == [("unreadable", "while reading values: member 'diffraction.npy': CRC "
                                   "mismatch: the bytes changed after writing")]
