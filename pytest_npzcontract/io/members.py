"""Read one zip member's data with bounded memory, whatever its compression method.

``zipfile`` inflates bzip2 and LZMA blocks with no output bound and trusts the sizes it is
given, so a few kilobytes can claim a few bytes and inflate to gigabytes. Here the member's raw
compressed bytes are read from the archive and decompressed step by step, each step producing
at most ``step`` bytes; the total may never exceed the size the zip directory declares, the
compressed stream must end exactly at its declared compressed size (the bytes it really
consumes are counted, so a directory that lies about compressed sizes is caught), an LZMA
dictionary is checked before any decoder is built, and the CRC-32 is verified when the member
has been read to its end. Every problem raises :class:`MemberError` (a ``HeaderError`` carrying
a rule id), so callers turn it into one finding.

The deflate decoder is pluggable (:func:`set_deflate_backend`): anything with zlib's
``decompressobj(wbits)`` interface (``isal.isal_zlib``, ``zlib_ng.zlib_ng``) can be used. By
default the fastest installed one is (:func:`pytest_npzcontract.io.inflate.fastest`: ISA-L,
zlib-ng, else zlib), and its CRC-32 checks every member.

>>> with zipfile.ZipFile("train.npz") as zf:
...     info = zf.getinfo("diffraction.npy")
...     total = sum(len(piece) for piece in open_member(zf, info))   # CRC checked at the end
"""

from __future__ import annotations

import bz2
import lzma
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any, Protocol

from .npyheader import HeaderError

#: Default output bound of one decompression step, and raw bytes read per step.
STEP_BYTES = 4 << 20
READ_BYTES = 1 << 20
#: Largest LZMA dictionary accepted by default (its decoder allocates about this much).
MAX_LZMA_DICT = 64 << 20
_LOCAL = struct.Struct("<4s2B4HL2L2H")  # zip local file header, 30 bytes
_LOCAL_MAGIC = b"PK\x03\x04"


class MemberError(HeaderError):
    """A member whose data cannot be read safely (corrupt, truncated, oversized)."""


class Decoder(Protocol):
    """One member's decompressor: bz2/lzma decompressors have exactly this interface."""

    eof: bool
    needs_input: bool
    #: Input given to the decoder but not part of its stream (after ``eof``).
    unused_data: bytes

    def decompress(self, data: bytes, max_length: int = -1) -> bytes: ...


class ZlibInflater:
    """Raw-deflate :class:`Decoder` over any zlib-compatible module (zlib, isal, zlib-ng)."""

    def __init__(self, module: ModuleType = zlib) -> None:
        self._obj = module.decompressobj(-15)
        self._error = getattr(module, "error", zlib.error)
        self.needs_input = True

    @property
    def eof(self) -> bool:
        return self._obj.eof

    @property
    def unused_data(self) -> bytes:
        return self._obj.unused_data

    def decompress(self, data: bytes, max_length: int = -1) -> bytes:
        obj = self._obj
        try:
            tail = obj.unconsumed_tail
            out = obj.decompress((tail + data if data else tail) if tail else data,
                                 max(max_length, 0))
        except self._error as exc:  # isal and zlib-ng have their own error class
            raise zlib.error(str(exc)) from None
        # Output cut at max_length may leave pending output even with no input left.
        self.needs_input = not obj.unconsumed_tail and (max_length < 0 or len(out) < max_length)
        return out


def fastest_inflater() -> ZlibInflater:
    """A raw-deflate decoder from the fastest installed backend (the default factory)."""
    from .inflate import fastest

    return ZlibInflater(fastest()[1])


def _crc32() -> Callable[[bytes, int], int]:
    """CRC-32 from the fastest installed backend (all compute the same zlib CRC-32)."""
    from .inflate import fastest

    return getattr(fastest()[1], "crc32", zlib.crc32)


_deflate_factory: Callable[[], Decoder] = fastest_inflater


def set_deflate_backend(factory: Callable[[], Decoder] | None) -> Callable[[], Decoder]:
    """Use ``factory()`` for deflate members from now on (``None``: the default, the fastest
    installed backend). Returns the previous factory, so a caller can restore it."""
    global _deflate_factory
    previous, _deflate_factory = _deflate_factory, factory or fastest_inflater
    return previous


def deflate_backend() -> Callable[[], Decoder]:
    """The factory currently used for deflate members."""
    return _deflate_factory


class _Stored:
    eof = False
    needs_input = True
    unused_data = b""

    def decompress(self, data: bytes, max_length: int = -1) -> bytes:
        return data


def open_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, *, step: int = STEP_BYTES,
                max_lzma_dict: int = MAX_LZMA_DICT, first_read: int = READ_BYTES,
                hold_back: bool = True, fp: Any = None) -> Iterator[bytes]:
    """Yield the member's decompressed bytes in pieces of at most ``step`` bytes.

    Stops with :class:`MemberError` as soon as the output would exceed ``info.file_size``, when
    the compressed stream ends early or late, and (once the end is reached) when the CRC-32
    differs. Each piece is held back until the next one exists, so the last piece (the whole
    member, when it fits in one step) is only yielded once the CRC has been verified. A
    consumer that stops early reads and decompresses nothing more. ``first_read`` is the size
    of the first raw read (small for header reads; later reads double up to ``READ_BYTES``).
    ``fp``: another open handle of the archive to read from instead of ``zf.fp`` (so several
    threads can read members of one archive at once).
    """
    raw = _Counted(_raw_chunks(zf, info, first_read, fp))
    decoder = _decoder(info, raw, max_lzma_dict)
    crc32 = _crc32()
    declared, produced, crc, stalls = info.file_size, 0, 0, 0
    data, held = b"", None
    while True:
        if decoder.needs_input and not data:
            data = next(raw, b"")
            if not data:
                break
        stalls = 0 if data else stalls + 1
        if stalls > 3:
            raise MemberError(f"member {info.filename!r}: decompressor makes no progress")
        piece = _step(decoder, data, step, info)
        data = b""
        if piece:
            stalls = 0
            produced += len(piece)
            if produced > declared:  # corruption, not a bomb: no limit makes it readable
                raise MemberError(f"member {info.filename!r} inflates to more than the "
                                  f"{declared:,} bytes its zip entry declares (corrupt data)")
            crc = crc32(piece, crc)
            if not hold_back:
                yield piece
            else:
                if held is not None:
                    yield held
                held = piece
        if decoder.eof:  # bz2 and LZMA decoders refuse to be called again after the end
            break
    # Stored data has no end marker; LZMA may omit it (zip flag bit 1); sizes and CRC decide.
    if not decoder.eof and info.compress_type in (zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2):
        raise MemberError(f"member {info.filename!r} is truncated: its compressed stream runs "
                          f"past the {info.compress_size:,} compressed bytes its zip entry "
                          "declares")
    consumed = raw.bytes - len(decoder.unused_data) if decoder.eof else raw.bytes
    if consumed != info.compress_size:
        raise MemberError(f"member {info.filename!r}: its compressed stream ends after "
                          f"{consumed:,} of the {info.compress_size:,} compressed bytes its zip "
                          "entry declares")
    if produced != declared:
        raise MemberError(f"member {info.filename!r} holds {produced:,} bytes but its zip "
                          f"entry declares {declared:,}")
    if crc != info.CRC:
        raise MemberError(f"member {info.filename!r}: CRC mismatch: the bytes changed after "
                          "writing")
    if held is not None:
        yield held


def _step(decoder: Decoder, data: bytes, step: int, info: zipfile.ZipInfo) -> bytes:
    try:
        return decoder.decompress(data, step)
    except MemoryError:
        raise MemberError(f"member {info.filename!r}: not enough memory to decompress",
                          "resource-limit") from None
    except (zlib.error, OSError, EOFError, ValueError, lzma.LZMAError) as exc:
        raise MemberError(f"member {info.filename!r}: corrupt compressed data "
                          f"({type(exc).__name__}: {exc})") from None


class MemberStream:
    """A file-like ``read(n)`` view of :func:`open_member` (for header parsers).

    >>> header = read_npy_header(MemberStream(zf, info))
    """

    def __init__(self, zf: zipfile.ZipFile, info: zipfile.ZipInfo, *, step: int = 1 << 10,
                 max_lzma_dict: int = MAX_LZMA_DICT) -> None:
        # Headers are small (NumPy's are 128 bytes): inflate 1 KiB at a time from a 1 KiB
        # first read, and hand out each piece at once.
        self._pieces = open_member(zf, info, step=step, max_lzma_dict=max_lzma_dict,
                                   first_read=1 << 10, hold_back=False)
        self._buffer = bytearray()
        self._done = False

    def read(self, n: int = -1) -> bytes:
        """Up to ``n`` bytes (``-1``: the rest, bounded by the declared size)."""
        while not self._done and (n < 0 or len(self._buffer) < n):
            piece = next(self._pieces, None)
            if piece is None:
                self._done = True
            else:
                self._buffer += piece
        size = len(self._buffer) if n < 0 else min(n, len(self._buffer))
        out = bytes(self._buffer[:size])
        del self._buffer[:size]
        return out

    def close(self) -> None:
        self._pieces.close()

    def __enter__(self) -> MemberStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _data_offset(zf: zipfile.ZipFile, info: zipfile.ZipInfo, fp: Any = None) -> int:
    fp = zf.fp if fp is None else fp
    if fp is None:
        raise MemberError("archive is closed")
    fp.seek(info.header_offset)
    head = fp.read(_LOCAL.size)
    if len(head) != _LOCAL.size:
        raise MemberError(f"member {info.filename!r}: local header is truncated")
    fields = _LOCAL.unpack(head)
    if fields[0] != _LOCAL_MAGIC:
        raise MemberError(f"member {info.filename!r}: bad local header magic")
    name_len, extra_len = fields[10], fields[11]
    name = fp.read(name_len)
    encoding = "utf-8" if fields[3] & 0x800 else "cp437"
    if name.decode(encoding, "replace") != info.orig_filename:
        raise MemberError(f"member {info.filename!r}: name in directory and local header "
                          "differ")
    return info.header_offset + _LOCAL.size + name_len + extra_len


class _Counted:
    """An iterator of raw chunks that counts the bytes it has handed out."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks, self.bytes = chunks, 0

    def __iter__(self) -> _Counted:
        return self

    def __next__(self) -> bytes:
        chunk = next(self._chunks)
        self.bytes += len(chunk)
        return chunk


def _raw_chunks(zf: zipfile.ZipFile, info: zipfile.ZipInfo, first: int, fp: Any = None
                ) -> Iterator[bytes]:
    """The member's compressed bytes: ``first`` bytes, then doubling up to ``READ_BYTES``;
    seeks before each read, so several members can be read in turn from one open archive."""
    source = zf.fp if fp is None else fp
    position, left, size = _data_offset(zf, info, source), info.compress_size, first
    while left > 0:
        source.seek(position)
        chunk = source.read(min(size, left))
        size = min(size * 2, READ_BYTES)
        if not chunk:
            raise MemberError(f"member {info.filename!r} is truncated: {left:,} compressed "
                              "bytes missing")
        position += len(chunk)
        left -= len(chunk)
        yield chunk


def _decoder(info: zipfile.ZipInfo, raw: Iterator[bytes], max_lzma_dict: int) -> Decoder:
    method = info.compress_type
    if method == zipfile.ZIP_STORED:
        if info.compress_size != info.file_size:
            raise MemberError(f"stored member {info.filename!r}: sizes in its zip entry differ")
        return _Stored()
    if method == zipfile.ZIP_DEFLATED:
        return _deflate_factory()
    if method == zipfile.ZIP_BZIP2:
        return bz2.BZ2Decompressor()
    if method == zipfile.ZIP_LZMA:
        return _lzma_decoder(info, raw, max_lzma_dict)
    raise MemberError(f"member {info.filename!r} uses unsupported compression method {method}")


class _Prefixed:
    """A decoder fed ``prefix`` before the first data (the LZMA header may span reads)."""

    def __init__(self, decoder: Decoder, prefix: bytes) -> None:
        self._decoder, self._prefix = decoder, prefix

    @property
    def eof(self) -> bool:
        return self._decoder.eof

    @property
    def needs_input(self) -> bool:
        return not self._prefix and self._decoder.needs_input

    @property
    def unused_data(self) -> bytes:
        return self._prefix + self._decoder.unused_data

    def decompress(self, data: bytes, max_length: int = -1) -> bytes:
        if self._prefix:
            data, self._prefix = self._prefix + data, b""
        return self._decoder.decompress(data, max_length)


def _lzma_decoder(info: zipfile.ZipInfo, raw: Iterator[bytes], max_dict: int) -> Decoder:
    """Zip's LZMA: version (2 bytes), properties size (2), LZMA1 properties (5: lc/lp/pb and a
    4-byte dictionary size), then a raw LZMA1 stream."""
    head = b""
    while len(head) < 9:
        chunk = next(raw, b"")
        if not chunk:
            raise MemberError(f"LZMA member {info.filename!r} is truncated in its header")
        head += chunk
    props_size = struct.unpack_from("<H", head, 2)[0]
    if props_size != 5:
        raise MemberError(f"LZMA member {info.filename!r} has {props_size}-byte properties "
                          "(expected 5)")
    props = head[4:9]
    lclppb, dict_size = props[0], struct.unpack_from("<I", props, 1)[0]
    if lclppb >= 9 * 5 * 5:
        raise MemberError(f"LZMA member {info.filename!r} has invalid properties")
    if dict_size > max_dict:
        raise MemberError(f"LZMA member {info.filename!r} needs a {dict_size:,}-byte "
                          f"dictionary, over the {max_dict:,}-byte limit", "resource-limit")
    try:
        filters = [lzma._decode_filter_properties(lzma.FILTER_LZMA1, props)]
        decoder = lzma.LZMADecompressor(lzma.FORMAT_RAW, filters=filters)
    except (lzma.LZMAError, ValueError, MemoryError) as exc:
        raise MemberError(f"LZMA member {info.filename!r}: cannot start decoder ({exc})"
                          ) from None
    return _Prefixed(decoder, head[9:])
