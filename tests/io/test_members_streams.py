"""io/members.py at its edges, pinned where mutation testing found no test looking: the
raw-deflate inflater over any zlib-compatible module (new input while output is pending, a
module without its own error class, the backend's own words for corrupt data, ``needs_input``
like bz2's), and MemberStream, the header reader, which inflates about a KiB at a time, hands
bytes out before the CRC is known and reads nothing for ``read(0)``. The zip entries are real
ones from ``zipfile``."""

from __future__ import annotations

import bz2
import copy
import io
import random
import types
import zipfile
import zlib

import pytest

from pytest_npzcontract import check_file
from pytest_npzcontract.io import inflate
from pytest_npzcontract.io.members import (
    MemberError,
    MemberStream,
    ZlibInflater,
    open_member,
    set_deflate_backend,
)

DATA = bytes(range(256)) * 200                     # 51,200 bytes that compress well
NOISE = random.Random(7).randbytes(20000)          # hardly compresses: input stays pending
BACKENDS = sorted(inflate.available())


def raw_deflate(data: bytes) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    return packer.compress(data) + packer.flush()


def archive(method=zipfile.ZIP_DEFLATED, data=DATA) -> zipfile.ZipFile:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=method) as zf:
        zf.writestr("a.npy", data)
    return zipfile.ZipFile(io.BytesIO(buf.getvalue()))


def wrong_crc(zf: zipfile.ZipFile) -> zipfile.ZipInfo:
    info = copy.copy(zf.infolist()[0])
    info.CRC ^= 1
    return info


def inflate_all(inflater: ZlibInflater, parts: list[bytes], step: int) -> bytes:
    """Feed ``parts`` one per call whatever ``needs_input`` says, then drain the output."""
    out = b"".join(inflater.decompress(part, step) for part in parts)
    for _ in range(10 * len(NOISE) // step):        # bounded: a lost input would never end
        if inflater.eof:
            break
        out += inflater.decompress(b"", step)
    return out


@pytest.mark.parametrize("name", BACKENDS)
def test_new_input_while_output_is_pending_is_kept(name):
    stream = raw_deflate(NOISE)
    inflater = ZlibInflater(inflate.available()[name])
    half = len(stream) // 2
    assert inflate_all(inflater, [stream[:half], stream[half:]], 1000) == NOISE
    assert inflater.eof


def test_a_fresh_inflater_asks_for_input_like_bz2():
    assert ZlibInflater().needs_input is True
    assert bz2.BZ2Decompressor().needs_input is True


def test_a_zero_output_bound_leaves_needs_input_false_as_bz2_does():
    """``max_length=0`` asks for no output: like bz2's, the decoder does not claim to be
    done with its input (zlib itself ignores the bound of 0)."""
    reference = bz2.BZ2Decompressor()
    assert reference.decompress(bz2.compress(DATA), 0) == b"" and not reference.needs_input
    inflater = ZlibInflater(zlib)
    inflater.decompress(raw_deflate(DATA), 0)
    assert inflater.needs_input is False


@pytest.mark.parametrize("name", BACKENDS)
def test_corrupt_data_is_a_zlib_error_in_the_backends_own_words(name):
    module = inflate.available()[name]
    bad = b"\xff" * 8
    with pytest.raises(module.error) as native:
        module.decompressobj(-15).decompress(bad)
    with pytest.raises(zlib.error) as caught:
        ZlibInflater(module).decompress(bad, 1000)
    assert type(caught.value) is zlib.error and str(caught.value) == str(native.value)
    assert "None" not in str(caught.value)


def test_a_backend_without_an_error_class_raises_zlibs():
    bare = types.ModuleType("bare_inflate")          # only what ZlibInflater needs
    bare.decompressobj = zlib.decompressobj
    inflater = ZlibInflater(bare)
    assert inflate_all(inflater, [raw_deflate(NOISE)], 4096) == NOISE
    with pytest.raises(zlib.error, match="invalid block type"):
        ZlibInflater(bare).decompress(b"\xff" * 8, 100)


def test_a_member_read_in_many_raw_pieces_counts_every_byte():
    """The compressed bytes consumed are summed over every raw read (the end of the stream
    must fall exactly at the declared compressed size)."""
    for method in (zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA):
        zf = archive(method, NOISE)
        assert b"".join(open_member(zf, zf.infolist()[0], first_read=64)) == NOISE


@pytest.mark.parametrize("method", [zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED])
def test_a_header_read_inflates_about_a_kib(method):
    zf = archive(method)
    stream = MemberStream(zf, wrong_crc(zf))
    assert stream.read(8) == DATA[:8]
    stream.close()
    assert stream.read() == DATA[8:1024]            # one KiB read and inflated, no more


def test_a_header_read_stops_at_exactly_what_was_asked():
    zf = archive(zipfile.ZIP_DEFLATED)
    stream = MemberStream(zf, zf.infolist()[0], step=1024)
    assert stream.read(1024) == DATA[:1024]
    stream.close()
    assert stream.read() == b""                      # no second piece was inflated


def test_read_zero_reads_nothing():
    zf = archive(zipfile.ZIP_DEFLATED)
    stream = MemberStream(zf, wrong_crc(zf))
    assert stream.read(0) == b""                     # the bad CRC at the end is not reached
    stream.close()
    assert stream.read() == b""


def test_a_stream_hands_out_bytes_before_the_crc_is_known():
    small = DATA[:600]                               # one piece: the whole member
    zf = archive(zipfile.ZIP_DEFLATED, small)
    stream = MemberStream(zf, wrong_crc(zf))
    assert stream.read(8) == small[:8]
    with pytest.raises(MemberError, match="CRC mismatch"):
        stream.read()


def test_a_stream_applies_its_lzma_dictionary_limit():
    zf = archive(zipfile.ZIP_LZMA)
    info = zf.infolist()[0]
    with MemberStream(zf, info) as stream:
        assert stream.read() == DATA
    with pytest.raises(MemberError, match="dictionary") as caught:
        MemberStream(zf, info, max_lzma_dict=1 << 12).read(8)
    assert caught.value.rule == "resource-limit"


@pytest.mark.parametrize("method", [zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA])
def test_a_truncated_header_is_said_alike_whatever_the_compression(tmp_path, method):
    """A header read that asks past the member's end gets what there is (bz2 and LZMA
    decoders refuse a call after their stream's end: it used to surface as corrupt data)."""
    path = tmp_path / "short.npz"
    with zipfile.ZipFile(path, "w", compression=method) as zf:
        zf.writestr("diffraction.npy", b"\x93NUMPY\x01\x00\x76\x00{'descr'")
    found = [(f.rule, f.message) for f in check_file(path, mode="warn").findings
             if f.key == "diffraction"]
    assert found == [("unreadable", "truncated .npy header: expected 118 bytes, got 8")]
    zf = archive(method, DATA[:100])
    with MemberStream(zf, zf.infolist()[0]) as stream:
        assert stream.read(1000) == DATA[:100] and stream.read() == b""


class _Exhausted(ZlibInflater):
    """A decoder that runs out of memory on its first step (a real one cannot be made to
    here cheaply); plugged in through the public backend hook."""

    def decompress(self, data: bytes, max_length: int = -1) -> bytes:
        raise MemoryError


def test_a_decoder_out_of_memory_is_a_resource_limit():
    zf = archive(zipfile.ZIP_DEFLATED)
    previous = set_deflate_backend(_Exhausted)
    try:
        with pytest.raises(MemberError) as caught:
            b"".join(open_member(zf, zf.infolist()[0]))
    finally:
        set_deflate_backend(previous)
    assert str(caught.value) == "member 'a.npy': not enough memory to decompress"
    assert caught.value.rule == "resource-limit"


class _Hesitant(ZlibInflater):
    """A deflate decoder that returns nothing ``pauses`` times in a row, keeping the input it
    was given (as a decoder that buffers before it writes may): after each new input, or
    (``every_piece``) before each piece of output."""

    pauses, every_piece = 0, False

    def __init__(self) -> None:
        super().__init__(zlib)
        self._left, self._kept = self.pauses, b""

    def decompress(self, data: bytes, max_length: int = -1) -> bytes:
        if data and not self.every_piece:
            self._left = self.pauses
        if self._left:
            self._left -= 1
            self._kept += data
            self.needs_input = False
            return b""
        data, self._kept = self._kept + data, b""
        if self.every_piece:
            self._left = self.pauses
        return super().decompress(data, max_length)


@pytest.mark.parametrize("every_piece, pauses, reads", [
    (False, 0, True), (False, 3, True), (False, 4, False),   # the call given input counts
    (True, 2, True), (True, 3, False),                       # a third empty call is one more
])
def test_a_decoder_may_return_nothing_three_times_in_a_row(every_piece, pauses, reads):
    """Three calls in a row without new input and without output are the most a decoder
    gets (the call that hands it input does not count)."""
    zf = archive(zipfile.ZIP_DEFLATED)
    decoder = type("Paused", (_Hesitant,), {"pauses": pauses, "every_piece": every_piece})
    previous = set_deflate_backend(decoder)
    try:
        pieces = open_member(zf, zf.infolist()[0], step=4096, first_read=256)
        if reads:
            assert b"".join(pieces) == DATA
        else:
            with pytest.raises(MemberError) as caught:
                b"".join(pieces)
            assert str(caught.value) == "member 'a.npy': decompressor makes no progress"
    finally:
        set_deflate_backend(previous)


def test_a_stream_that_ends_before_its_declared_size_is_said():
    zf = archive(zipfile.ZIP_DEFLATED)
    info = copy.copy(zf.infolist()[0])
    real = info.compress_size
    info.compress_size += 5                         # five bytes of whatever follows it
    with pytest.raises(MemberError) as caught:
        b"".join(open_member(zf, info))
    assert str(caught.value) == (f"member 'a.npy': its compressed stream ends after {real:,} "
                                 f"of the {real + 5:,} compressed bytes its zip entry declares")


def test_a_second_handle_reads_after_the_archives_own_is_closed(tmp_path):
    path = tmp_path / "a.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("a.npy", DATA)
    zf = zipfile.ZipFile(path)
    info = zf.infolist()[0]
    zf.close()
    with open(path, "rb") as fp:
        assert b"".join(open_member(zf, info, fp=fp, first_read=512)) == DATA
    with pytest.raises(MemberError, match="archive is closed"):
        b"".join(open_member(zf, info))


def with_local_name(raw: bytes, name: bytes, flags: int) -> bytes:
    """``raw`` (one member) with the local header's name bytes and general flags replaced."""
    head = bytearray(raw[:30])
    old_len = int.from_bytes(head[26:28], "little")
    head[6:8] = flags.to_bytes(2, "little")
    head[26:28] = len(name).to_bytes(2, "little")
    assert len(name) == old_len                      # offsets after the name stay valid
    return bytes(head) + name + raw[30 + old_len:]


@pytest.mark.parametrize("flags", [0x0, 0x1, 0x8])
def test_a_name_without_the_utf8_flag_is_cp437(flags):
    """Only flag bit 11 says UTF-8; without it the local name is read as cp437 (as zipfile
    reads the directory's), whatever the other bits."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("ab.npy", DATA)                  # ASCII: written without the UTF-8 flag
    raw = buf.getvalue().replace(b"ab.npy", "é.npy".encode())   # 6 bytes each
    raw = with_local_name(raw, "é.npy".encode(), flags)
    zf = zipfile.ZipFile(io.BytesIO(raw))
    info = zf.infolist()[0]
    assert info.filename == "é.npy".encode().decode("cp437")   # the directory's, as cp437
    assert b"".join(open_member(zf, info)) == DATA


def test_a_local_name_that_is_not_utf8_differs_from_the_directorys():
    zf = archive(zipfile.ZIP_STORED)
    raw = with_local_name(zf.fp.getvalue(), b"\xff.npy", 0x800)
    with pytest.raises(MemberError) as caught:
        b"".join(open_member(zipfile.ZipFile(io.BytesIO(raw)), zf.infolist()[0]))
    assert str(caught.value) == "member 'a.npy': name in directory and local header differ"


def test_raw_reads_double_from_the_first_and_take_the_last_byte():
    zf = archive(zipfile.ZIP_STORED)                 # stored pieces are the raw reads
    info = zf.infolist()[0]
    sizes = [len(p) for p in open_member(zf, info, first_read=100, step=1 << 20)]
    assert sizes == [100, 200, 400, 800, 1600, 3200, 6400, 12800, 25600, 100]
    last = [len(p) for p in open_member(zf, info, first_read=len(DATA) - 1)]
    assert last == [len(DATA) - 1, 1]


@pytest.mark.parametrize("method", [zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2])
def test_a_stream_running_past_its_declared_size_is_said(method):
    zf = archive(method, NOISE)
    info = copy.copy(zf.infolist()[0])
    info.compress_size //= 2
    with pytest.raises(MemberError) as caught:
        b"".join(open_member(zf, info))
    assert str(caught.value) == (f"member 'a.npy' is truncated: its compressed stream runs "
                                 f"past the {info.compress_size:,} compressed bytes its zip "
                                 "entry declares")
