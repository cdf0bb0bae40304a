"""Stored members read into one reused buffer: the same values as np.load, the CRC checked
before the last chunk is handed out, truncation and size lies refused, a second handle works."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest

from pytest_npzcontract.io.archive import iter_member_arrays, scan_archive
from pytest_npzcontract.io.members import MemberError
from pytest_npzcontract.io.stored import can_read_stored, iter_stored


def stored_file(tmp_path: Path, array: np.ndarray) -> Path:
    path = tmp_path / "s.npz"
    np.savez(path, a=array, b=np.arange(5))
    return path


def chunks(path: Path, key: str = "a", chunk: int = 4096, fp=None) -> list[np.ndarray]:
    with scan_archive(path) as scan:
        info = scan.infos[key]
        assert can_read_stored(scan.zf, info)
        return [c.copy() for c in iter_stored(scan.zf, info, scan.members[key], chunk, fp=fp)]


@pytest.mark.parametrize("dtype", ["<f4", ">f8", "<c8", "|u1", "<i2"])
def test_values_match_np_load(tmp_path: Path, dtype: str):
    array = (np.arange(10007) * 1.5).astype(dtype)
    path = stored_file(tmp_path, array)
    pieces = chunks(path, chunk=1000)  # not a multiple of the item size
    assert {p.dtype for p in pieces} == {np.dtype(dtype)}
    got = np.concatenate(pieces)
    np.testing.assert_array_equal(got, array)


def test_chunks_share_one_buffer_so_consumers_copy(tmp_path: Path):
    path = stored_file(tmp_path, np.arange(4096, dtype=np.float32))
    with scan_archive(path) as scan:
        views = list(iter_member_arrays(scan.zf, scan.infos["a"], scan.members["a"], 1024))
    assert len(views) == 16
    addresses = {v.__array_interface__["data"][0] for v in views}
    assert len(addresses) == 1  # one reused buffer


def test_a_changed_byte_fails_before_the_last_chunk(tmp_path: Path):
    path = stored_file(tmp_path, np.arange(4096, dtype=np.float32))
    raw = bytearray(path.read_bytes())
    raw[raw.index(np.float32(4095).tobytes())] ^= 1  # in the last chunk
    path.write_bytes(bytes(raw))
    seen = 0
    with scan_archive(path) as scan:
        with pytest.raises(MemberError, match="CRC mismatch"):
            for _ in iter_stored(scan.zf, scan.infos["a"], scan.members["a"], 4096):
                seen += 1
    assert seen == 3  # 4 chunks of 4 KiB: the last, holding the change, never arrives


def test_truncated_file_is_refused(tmp_path: Path):
    path = stored_file(tmp_path, np.arange(4096, dtype=np.float32))
    with scan_archive(path) as scan:
        info, member = scan.infos["a"], scan.members["a"]
        with open(path, "rb") as fh:
            head = fh.read(info.header_offset + 30 + len(info.filename) + 5000)
        short = tmp_path / "short.bin"
        short.write_bytes(head)
        with open(short, "rb") as fp, pytest.raises(MemberError, match="truncated"):
            list(iter_stored(scan.zf, info, member, 4096, fp=fp))


def test_declared_sizes_that_differ_are_refused(tmp_path: Path):
    path = stored_file(tmp_path, np.arange(16, dtype=np.float32))
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("a.npy")
    with scan_archive(path) as scan:
        member = scan.members["a"]
        info.compress_size += 1
        with pytest.raises(MemberError, match="sizes in its zip entry differ"):
            list(iter_stored(scan.zf, info, member))


def test_a_second_handle_reads_the_same(tmp_path: Path):
    array = np.arange(5000, dtype=np.float64)
    path = stored_file(tmp_path, array)
    with open(path, "rb") as fp:
        np.testing.assert_array_equal(np.concatenate(chunks(path, fp=fp)), array)


@pytest.mark.parametrize("dtype", ["<f4", "<c8", "|u1", ">f8"])
def test_pieces_of_any_length_become_the_same_elements(dtype: str):
    """Deflated data arrives in pieces cut anywhere; bytes_to_chunks hands out every element
    once, in order, without copying the pieces."""
    from pytest_npzcontract.io.archive import bytes_to_chunks

    rng = np.random.default_rng(3)
    array = rng.random(1000).astype(dtype)
    raw = array.tobytes()
    for _ in range(50):
        cuts = sorted(int(c) for c in rng.integers(0, len(raw), rng.integers(0, 20)))
        pieces = [raw[i:j] for i, j in zip([0, *cuts], [*cuts, len(raw)], strict=True)]
        got = [np.array(c) for c in bytes_to_chunks(np.dtype(dtype), pieces)]
        np.testing.assert_array_equal(np.concatenate(got or [array[:0]]), array)
