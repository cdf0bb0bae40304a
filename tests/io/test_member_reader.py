"""io/members.py at its unit: each way a zip entry can lie about a member (sizes, CRC, method,
local header, LZMA properties) is one MemberError in words; pieces are bounded by ``step``,
held back until the CRC is checked; MemberStream reads like a file; the deflate backend is
pluggable. The zip entries are real ones from ``zipfile``, altered in memory."""

from __future__ import annotations

import copy
import io
import random
import struct
import zipfile
import zlib

import pytest

from pytest_npzcontract.io import members
from pytest_npzcontract.io.members import (
    MemberError,
    MemberStream,
    ZlibInflater,
    deflate_backend,
    open_member,
    set_deflate_backend,
)
from pytest_npzcontract.io.npyheader import HeaderError

DATA = bytes(range(256)) * 200          # 51,200 bytes that compress well


def archive(method=zipfile.ZIP_DEFLATED, data=DATA, name="a.npy") -> zipfile.ZipFile:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=method) as zf:
        zf.writestr(name, data)
    return zipfile.ZipFile(io.BytesIO(buf.getvalue()))


def read(zf, info=None, **kw) -> bytes:
    info = info or zf.infolist()[0]
    return b"".join(open_member(zf, info, **kw))


def altered(zf, **fields) -> zipfile.ZipInfo:
    info = copy.copy(zf.infolist()[0])
    for name, value in fields.items():
        setattr(info, name, value)
    return info


def refusal(zf, info, **kw) -> MemberError:
    with pytest.raises(MemberError) as caught:
        read(zf, info, **kw)
    assert isinstance(caught.value, HeaderError)
    return caught.value


METHODS = [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA]


@pytest.mark.parametrize("method", METHODS)
def test_every_method_reads_the_exact_bytes_in_bounded_pieces(method):
    zf = archive(method)
    assert read(zf) == DATA
    pieces = list(open_member(zf, zf.infolist()[0], step=1000, first_read=100))
    assert b"".join(pieces) == DATA
    if method != zipfile.ZIP_STORED:     # stored pieces are the raw reads
        assert max(map(len, pieces)) <= 1000 and len(pieces) >= 52
    assert read(archive(method, b"")) == b""


@pytest.mark.parametrize("method", METHODS)
def test_a_changed_byte_is_a_crc_mismatch(method):
    zf = archive(method)
    err = refusal(zf, altered(zf, CRC=zf.infolist()[0].CRC ^ 1))
    assert str(err) == "member 'a.npy': CRC mismatch: the bytes changed after writing"
    assert err.rule == "unreadable"


@pytest.mark.parametrize("method", METHODS[1:])
def test_more_bytes_than_declared_are_refused_as_soon_as_they_appear(method):
    zf = archive(method)
    pieces = open_member(zf, altered(zf, file_size=1000), step=512)
    got = 0
    with pytest.raises(MemberError, match=r"^member 'a\.npy' inflates to more than the "
                                          r"1,000 bytes its zip entry declares"):
        for piece in pieces:
            got += len(piece)
    assert got <= 1000


@pytest.mark.parametrize("method", [zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA])
def test_fewer_bytes_than_declared_are_refused(method):
    zf = archive(method)
    err = refusal(zf, altered(zf, file_size=len(DATA) + 5))
    assert str(err) == (f"member 'a.npy' holds {len(DATA):,} bytes but its zip entry declares "
                        f"{len(DATA) + 5:,}")


def test_stored_sizes_must_agree():
    zf = archive(zipfile.ZIP_STORED)
    err = refusal(zf, altered(zf, file_size=len(DATA) - 1))
    assert str(err) == "stored member 'a.npy': sizes in its zip entry differ"


@pytest.mark.parametrize("method", [zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2])
def test_a_stream_cut_short_is_truncated(method):
    zf = archive(method, random.Random(0).randbytes(20000))
    info = zf.infolist()[0]
    err = refusal(zf, altered(zf, compress_size=info.compress_size // 2))
    assert str(err).startswith("member 'a.npy' is truncated")


def test_missing_compressed_bytes_are_truncated():
    zf = archive(zipfile.ZIP_STORED)
    info = zf.infolist()[0]
    raw = zf.fp.getvalue()
    short = zipfile.ZipFile(io.BytesIO(raw))
    short.fp = io.BytesIO(raw[:info.header_offset + 30 + len("a.npy") + 100])
    with pytest.raises(MemberError, match=r"^member 'a\.npy' is truncated: 51,100 compressed "
                                          r"bytes missing$"):
        read(short, info)


def test_an_unknown_method_is_named():
    zf = archive(zipfile.ZIP_DEFLATED)
    err = refusal(zf, altered(zf, compress_type=99))
    assert str(err) == "member 'a.npy' uses unsupported compression method 99"


def test_corrupt_deflate_data_is_said_with_the_decoder_error():
    zf = archive(zipfile.ZIP_DEFLATED)
    info = zf.infolist()[0]
    raw = bytearray(zf.fp.getvalue())
    start = info.header_offset + 30 + len("a.npy")
    raw[start:start + 8] = b"\xff" * 8
    broken = zipfile.ZipFile(io.BytesIO(bytes(raw)))
    err = refusal(broken, broken.infolist()[0])
    assert str(err).startswith("member 'a.npy': corrupt compressed data (error: ")


def test_the_local_header_is_checked():
    zf = archive(zipfile.ZIP_DEFLATED)
    info = zf.infolist()[0]
    raw = zf.fp.getvalue()
    bad_magic = zipfile.ZipFile(io.BytesIO(raw))
    bad_magic.fp = io.BytesIO(b"PK\x01\x02" + raw[4:])
    assert str(refusal(bad_magic, info)) == "member 'a.npy': bad local header magic"
    short = zipfile.ZipFile(io.BytesIO(raw))
    short.fp = io.BytesIO(raw[:20])
    assert str(refusal(short, info)) == "member 'a.npy': local header is truncated"
    renamed = altered(zf, orig_filename="b.npy")
    assert str(refusal(zf, renamed)) == \
        "member 'a.npy': name in directory and local header differ"
    closed = archive()
    first = closed.infolist()[0]
    closed.close()
    assert str(refusal(closed, first)) == "archive is closed"


def test_utf8_names_are_compared_as_utf8():
    zf = archive(zipfile.ZIP_DEFLATED, name="données.npy")
    info = zf.infolist()[0]
    assert info.flag_bits & 0x800 and read(zf, info) == DATA


def lzma_archive(props: bytes | None = None, version=b"\x09\x14", size=None):
    zf = archive(zipfile.ZIP_LZMA)
    info = zf.infolist()[0]
    raw = bytearray(zf.fp.getvalue())
    start = info.header_offset + 30 + len("a.npy")
    head = raw[start:start + 9]
    if props is not None:
        head = version + struct.pack("<H", len(props) if size is None else size) + props
        head = head[:9].ljust(9, b"\x00")
    raw[start:start + 9] = head
    return zipfile.ZipFile(io.BytesIO(bytes(raw))), info


def test_lzma_properties_are_checked_before_a_decoder_exists():
    zf, info = lzma_archive(b"\x5d" + struct.pack("<I", 1 << 30))
    err = refusal(zf, info)
    assert str(err) == ("LZMA member 'a.npy' needs a 1,073,741,824-byte dictionary, over the "
                        "67,108,864-byte limit")
    assert err.rule == "resource-limit"
    zf, info = lzma_archive(b"\x5d" + struct.pack("<I", 1 << 20))
    assert str(refusal(zf, info, max_lzma_dict=(1 << 20) - 1)).startswith(
        "LZMA member 'a.npy' needs a 1,048,576-byte dictionary, over the 1,048,575-byte")
    zf, info = lzma_archive(b"\x5d" + struct.pack("<I", 1 << 16), size=6)
    assert str(refusal(zf, info)) == "LZMA member 'a.npy' has 6-byte properties (expected 5)"
    zf, info = lzma_archive(bytes([225]) + struct.pack("<I", 1 << 16))
    assert str(refusal(zf, info)) == "LZMA member 'a.npy' has invalid properties"
    zf, info = lzma_archive(b"\x5d" + struct.pack("<I", 1 << 16), size=0x8000)
    assert str(refusal(zf, info)) == \
        "LZMA member 'a.npy' has 32768-byte properties (expected 5)"
    zf, info = lzma_archive(b"\x5d" + struct.pack("<I", 1 << 31))
    assert str(refusal(zf, info)).startswith(
        "LZMA member 'a.npy' needs a 2,147,483,648-byte dictionary")
    zf, info = lzma_archive(bytes([5]) + struct.pack("<I", 1 << 16))   # lc + lp > 4
    err = refusal(zf, info)
    assert str(err) == ("LZMA member 'a.npy': cannot start decoder (Invalid or unsupported "
                        "options)") and err.rule == "unreadable"


def test_an_lzma_dictionary_exactly_at_the_limit_is_accepted():
    zf = archive(zipfile.ZIP_LZMA)
    info = zf.infolist()[0]
    raw = zf.fp.getvalue()
    start = info.header_offset + 30 + len("a.npy")
    dict_size = struct.unpack_from("<I", raw, start + 5)[0]
    assert read(zf, max_lzma_dict=dict_size) == DATA
    assert "dictionary" in str(refusal(zf, info, max_lzma_dict=dict_size - 1))


def test_an_lzma_header_split_across_reads_is_put_together():
    zf = archive(zipfile.ZIP_LZMA)
    assert read(zf, first_read=1) == DATA
    assert read(zf, first_read=5) == DATA


def test_an_lzma_member_shorter_than_its_header_is_truncated():
    zf = archive(zipfile.ZIP_LZMA)
    err = refusal(zf, altered(zf, compress_size=7))
    assert str(err) == "LZMA member 'a.npy' is truncated in its header"
    whole_header = refusal(zf, altered(zf, compress_size=9))   # a header and no stream
    assert "header" not in str(whole_header)


def test_the_last_piece_waits_for_the_crc_unless_asked_not_to():
    zf = archive(zipfile.ZIP_STORED)
    wrong = altered(zf, CRC=0)
    held = open_member(zf, wrong, step=len(DATA), first_read=len(DATA))
    with pytest.raises(MemberError, match="CRC mismatch"):
        next(held)                       # the only piece is never handed out
    eager = open_member(zf, wrong, step=len(DATA), first_read=len(DATA), hold_back=False)
    assert next(eager) == DATA           # handed out at once; the CRC fails after it
    with pytest.raises(MemberError, match="CRC mismatch"):
        next(eager)


def test_member_stream_reads_like_a_file():
    zf = archive(zipfile.ZIP_DEFLATED)
    with MemberStream(zf, zf.infolist()[0], step=1000) as stream:
        assert stream.read(10) == DATA[:10]
        assert stream.read(0) == b""
        assert stream.read(2500) == DATA[10:2510]
        assert stream.read() == DATA[2510:]
        assert stream.read(5) == b"" and stream.read() == b""
    stream = MemberStream(zf, zf.infolist()[0])
    assert stream.read(-1) == DATA
    stream.close()


def test_closing_a_stream_stops_reading():
    zf = archive(zipfile.ZIP_STORED)
    stream = MemberStream(zf, altered(zf, CRC=0), step=100)
    assert stream.read(8) == DATA[:8]
    stream.close()                       # the bad CRC is never reached
    rest = stream.read()                 # what was already buffered, nothing more
    assert len(rest) < len(DATA) - 8 and DATA.startswith(DATA[:8] + rest)


def test_the_deflate_backend_is_pluggable_and_restorable():
    calls = []

    def counting():
        calls.append(1)
        return ZlibInflater(zlib)

    default = deflate_backend()
    assert default is members.fastest_inflater
    previous = set_deflate_backend(counting)
    try:
        assert previous is default and deflate_backend() is counting
        zf = archive(zipfile.ZIP_DEFLATED, bytes(range(256)) * 5000)   # over 1 MiB
        assert read(zf) == bytes(range(256)) * 5000 and calls
    finally:
        assert set_deflate_backend(None) is counting
    assert deflate_backend() is default


def test_the_zlib_inflater_reports_pending_output():
    data = zlib.compress(DATA)[2:-4]     # raw deflate
    inflater = ZlibInflater()
    out = inflater.decompress(data, 1000)
    assert len(out) == 1000 and not inflater.needs_input and not inflater.eof
    while not inflater.eof:
        out += inflater.decompress(b"", 1000)
    assert out == DATA and inflater.needs_input
    whole = ZlibInflater()
    assert whole.decompress(data) == DATA and whole.eof and whole.needs_input


def test_the_default_backend_reads_large_members():
    big = random.Random(1).randbytes(1 << 16) * 24           # 1.5 MiB, compresses a little
    zf = archive(zipfile.ZIP_DEFLATED, big)
    assert deflate_backend() is members.fastest_inflater
    assert read(zf, step=1 << 18) == big
    inflater = members.fastest_inflater()
    assert isinstance(inflater, ZlibInflater) and inflater.decompress(b"\x03\x00") == b""
