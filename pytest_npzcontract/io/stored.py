"""Stored (uncompressed) members at memory speed: the data read straight into one reused
buffer, its CRC-32 taken on each chunk while the chunk is still in cache, and each chunk handed
out as a NumPy view of that buffer.

The general reader (:func:`.members.open_member`) makes a new ``bytes`` object per 1 MiB read,
holds each piece back until the next exists and then slices and re-wraps it; for a member that
needs no decompression that is three copies where none is needed. Here the kernel writes into
the buffer (``readinto``), the CRC runs over the same bytes, and the consumer's statistics
read them next, so each byte leaves main memory once.

The guarantees are those of ``open_member``: the local header is checked against the
directory, nothing is read past the declared size, a short file is ``truncated``, and the last
chunk is only handed out once the CRC of the whole member has been verified (so a consumer
that has every chunk has a verified member). A chunk is valid until the next one is requested:
a consumer that keeps data copies it.

>>> for chunk in iter_stored(zf, info, member, 1 << 20):   # float32 views of one buffer
...     total += chunk.sum()
"""

from __future__ import annotations

import zipfile
import zlib
from collections.abc import Iterator
from typing import Any

import numpy as np

from .members import MemberError, _data_offset

#: Bytes per chunk: big enough that per-chunk Python work is small against the data, small
#: enough that a chunk is still in the (per-core 1-2 MiB) L2 cache when the statistics read it.
CHUNK_BYTES = 1 << 20


def can_read_stored(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bool:
    """True for a stored member of a local archive (a real file that supports ``readinto``)."""
    fp = getattr(zf, "fp", None)
    return (info.compress_type == zipfile.ZIP_STORED and fp is not None
            and hasattr(fp, "readinto") and hasattr(fp, "fileno"))


def iter_stored(zf: zipfile.ZipFile, info: zipfile.ZipInfo, member: Any,
                chunk_bytes: int = CHUNK_BYTES, *, fp: Any = None) -> Iterator[np.ndarray]:
    """Flat arrays of ``member.dtype`` over the member's data, in storage order.

    ``member`` is the :class:`.archive.MemberInfo` read from the header (``data_offset``,
    ``data_bytes``, ``dtype``). ``fp``: a file object of the archive to read with instead of
    ``zf.fp`` (a second handle lets another thread read another member at the same time).
    Raises :class:`MemberError` on a truncated or changed member.
    """
    from .inflate import fastest

    crc32 = getattr(fastest()[1], "crc32", zlib.crc32)
    if info.compress_size != info.file_size:
        raise MemberError(f"stored member {info.filename!r}: sizes in its zip entry differ")
    source = zf.fp if fp is None else fp
    start = _data_offset(zf, info, source)  # checks the local header
    dtype = member.dtype
    itemsize = dtype.itemsize
    # The bytes before the data (the .npy header) count in the CRC.
    source.seek(start)
    head = source.read(member.data_offset)
    if len(head) != member.data_offset:
        raise _truncated(info, member.data_offset - len(head))
    crc = crc32(head)
    left = info.file_size - member.data_offset
    if left != member.data_bytes:
        raise MemberError(f"member {info.filename!r} holds {left:,} bytes of data but its "
                          f"header declares {member.data_bytes:,}")
    step = max(chunk_bytes - chunk_bytes % itemsize, itemsize)
    buffer = bytearray(min(step, left))
    view = memoryview(buffer)
    while left > 0:
        want = min(step, left)
        got = _fill(source, view[:want])
        if got < want:
            raise _truncated(info, left - got)
        left -= want
        crc = crc32(view[:want], crc)
        if left == 0 and crc != info.CRC:
            raise MemberError(f"member {info.filename!r}: CRC mismatch: the bytes changed "
                              "after writing")
        yield np.frombuffer(buffer, dtype=dtype, count=want // itemsize)
    if member.data_bytes == 0 and crc != info.CRC:
        raise MemberError(f"member {info.filename!r}: CRC mismatch: the bytes changed after "
                          "writing")


def _fill(source: Any, view: memoryview) -> int:
    """Read into ``view`` until it is full or the file ends; the bytes read."""
    got = 0
    while got < len(view):
        n = source.readinto(view[got:])
        if not n:
            break
        got += n
    return got


def _truncated(info: zipfile.ZipInfo, missing: int) -> MemberError:
    return MemberError(f"member {info.filename!r} is truncated: {missing:,} stored bytes "
                       "missing")
