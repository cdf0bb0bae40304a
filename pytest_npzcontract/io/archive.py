"""Open an NPZ (zip) archive defensively and describe its members from headers alone.

``scan_archive`` reads the zip central directory and the first bytes of each member (the
``.npy`` header); it never decompresses array data, so its cost does not grow with array size.
Member data is always read through :func:`.members.open_member` (bounded output, CRC-checked).
Problems become findings instead of exceptions, so a checker can report all of them.
"""

from __future__ import annotations

import lzma
import os
import stat
import struct
import zipfile
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..base.limits import DEFAULT_LIMITS, Limits
from ..base.report import Finding
from .members import MemberStream, open_member
from .names import key_problem, short_repr
from .npyheader import MAGIC, HeaderError, NpyHeader, read_npy_header
from .remote import RemoteError, is_url, open_url
from .sizes import human_size, layout_problems, ratio_problem, total_ratio_problem
from .stored import CHUNK_BYTES as STORED_CHUNK_BYTES
from .stored import can_read_stored, iter_stored

_SUPPORTED = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}
# Errors the zip and zlib layers raise on corrupt bytes (CRC mismatch, bad deflate stream, ...).
CORRUPTION_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError,
                     NotImplementedError, RuntimeError, struct.error, lzma.LZMAError)


PERMISSION_HINT = "check the file's and its directories' permissions (ls -l); the data itself " \
    "may be fine"


@dataclass(frozen=True)
class MemberInfo:
    """What a member's zip entry and ``.npy`` header say, read without touching its data."""

    key: str
    member: str
    shape: tuple[int, ...]
    dtype: np.dtype
    fortran_order: bool
    version: tuple[int, int]
    data_offset: int
    #: Bytes of array data the header declares.
    data_bytes: int
    #: Uncompressed and compressed sizes from the zip directory.
    file_size: int
    compress_size: int
    compressed: bool

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def to_dict(self) -> dict:
        return {
            "key": self.key, "shape": list(self.shape), "dtype": self.dtype.str,
            "fortran_order": self.fortran_order, "version": ".".join(map(str, self.version)),
            "data_bytes": self.data_bytes, "file_size": self.file_size,
            "compress_size": self.compress_size, "compressed": self.compressed,
        }


@dataclass
class ArchiveScan:
    """The result of :func:`scan_archive`: usable members plus findings for the rest."""

    path: str
    zf: zipfile.ZipFile | None
    members: dict[str, MemberInfo] = field(default_factory=dict)
    infos: dict[str, zipfile.ZipInfo] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    #: The range-read file of a remote archive (``https://``, ``s3://``, ...), else None.
    remote: Any = None

    def close(self) -> None:
        if self.zf is not None:
            self.zf.close()
        if self.remote is not None:
            self.remote.close()

    def transfer(self) -> dict[str, int] | None:
        """Bytes received and range requests made for a remote archive (None when local)."""
        if self.remote is None:
            return None
        return {"bytes": self.remote.transferred, "requests": self.remote.requests,
                "size": self.remote.size}

    def __enter__(self) -> ArchiveScan:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def scan_archive(path: str | os.PathLike, limits: Limits = DEFAULT_LIMITS) -> ArchiveScan:
    """Inspect ``path`` (a file, or a URL read through range requests: :mod:`.remote`);
    structural problems are returned as error findings.

    >>> with scan_archive("train.npz") as scan:
    ...     shapes = {k: m.shape for k, m in scan.members.items()}
    """
    fspath = os.fspath(path)
    scan = ArchiveScan(path=fspath, zf=None)

    def fail(message: str, key: str | None = None, rule: str = "unreadable",
             hint: str = "") -> None:
        scan.findings.append(Finding(fspath, key, rule, "error", message, hint))

    source: Any = fspath
    if is_url(fspath):
        try:
            source = scan.remote = open_url(fspath, limits)
        except RemoteError as exc:
            fail(str(exc))
            return scan
    else:
        problem = _open_problem(fspath)
        if problem:
            fail(problem,
                 hint=PERMISSION_HINT if problem.startswith("permission denied") else "")
            return scan
    try:
        scan.zf = zipfile.ZipFile(source)
        infos = scan.zf.infolist()
    except PermissionError:
        fail("permission denied: the current user cannot read this file", hint=PERMISSION_HINT)
        return scan
    except zipfile.BadZipFile as exc:
        remote_error = scan.remote.error if scan.remote is not None else None
        message = str(remote_error) if remote_error else _not_zip_message(source, exc)
        fail(message, hint=BARE_NPY_FIX if message == BARE_NPY else "")
        return scan
    except RemoteError as exc:
        fail(str(exc))
        return _abandon(scan)
    except Exception as exc:  # corrupt central directories raise many types
        fail(f"corrupt zip directory ({type(exc).__name__}: {exc})")
        return _abandon(scan)

    if len(infos) > limits.max_members:
        fail(f"archive has {len(infos)} members, more than the limit of {limits.max_members}",
             rule="resource-limit")
        return _abandon(scan)
    dupes = {name for name, n in Counter(i.filename for i in infos).items() if n > 1}
    for name in sorted(dupes):
        fail(f"member {name!r} appears more than once; readers disagree on which copy is used",
             key=_key(name))
    misplaced = layout_problems(infos, scan.zf)
    for info in infos:
        if info.filename in dupes:
            continue
        key = _key(info.filename)
        reason = _member_problem(info) or misplaced.get(id(info))
        if reason:
            fail(reason, key=key)
            continue
        ratio = ratio_problem(info, limits)
        if ratio:
            fail(ratio, key=key, rule="resource-limit")
            continue
        try:
            header = read_member_header(scan.zf, info, limits)
        except HeaderError as exc:
            fail(f"{exc}", key=key, rule=exc.rule)
            continue
        except CORRUPTION_ERRORS as exc:
            fail(f"corrupt member ({type(exc).__name__}: {exc})", key=key)
            continue
        member = _member_info(key, info, header)
        size_problem = _size_problem(member, limits)
        if size_problem:
            rule, message = size_problem
            fail(message, key=key, rule=rule)
            continue
        scan.members[key] = member
        scan.infos[key] = info
    bomb = total_ratio_problem(infos, limits)
    if bomb and not any(f.rule == "resource-limit" for f in scan.findings):
        fail(bomb, rule="resource-limit")
        return _abandon(scan)
    return scan


def read_member_header(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limits: Limits) -> NpyHeader:
    with MemberStream(zf, info, max_lzma_dict=limits.max_lzma_dict_bytes) as fp:
        return read_npy_header(fp, max_header_bytes=limits.max_header_bytes)


def iter_member_data(zf: zipfile.ZipFile, info: zipfile.ZipInfo, member: MemberInfo,
                     chunk_bytes: int, limits: Limits = DEFAULT_LIMITS, *, fp: Any = None
                     ) -> Iterator[bytes]:
    """Yield the member's array data in pieces of at most ``chunk_bytes``.

    Reads the whole member through :func:`open_member`, so its CRC is verified at the end.
    Raises ``HeaderError`` on truncation, overrun or corruption.
    """
    skip, left = member.data_offset, member.data_bytes
    for piece in open_member(zf, info, step=chunk_bytes,
                             max_lzma_dict=limits.max_lzma_dict_bytes, fp=fp):
        if skip:
            if len(piece) <= skip:
                skip -= len(piece)
                continue
            piece, skip = piece[skip:], 0
        if len(piece) > left:
            raise HeaderError("member holds more data than its header declares",
                              rule="resource-limit")
        left -= len(piece)
        yield piece
    if left > 0:
        raise HeaderError(f"truncated data: {left} of {member.data_bytes} bytes missing")


def iter_member_arrays(zf: zipfile.ZipFile, info: zipfile.ZipInfo, member: MemberInfo,
                       chunk_bytes: int, limits: Limits = DEFAULT_LIMITS, *, fp: Any = None
                       ) -> Iterator[np.ndarray]:
    """The member's data as flat arrays of its dtype, in storage order, CRC verified by the
    time the last one is handed out. Stored members of local files are read into one reused
    buffer (:mod:`.stored`): each array is then valid only until the next is requested, so a
    consumer that keeps data copies it. ``fp``: another open handle of the same archive
    (to read members from several threads). Raises ``HeaderError`` as
    :func:`iter_member_data` does."""
    if can_read_stored(zf, info):
        return iter_stored(zf, info, member, min(chunk_bytes, STORED_CHUNK_BYTES), fp=fp)
    return bytes_to_chunks(member.dtype, iter_member_data(zf, info, member, chunk_bytes, limits,
                                                          fp=fp))


def verify_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limits: Limits = DEFAULT_LIMITS,
                  ) -> None:
    """Read a member to its end (bounded, CRC-checked), keeping nothing; raises ``HeaderError``."""
    for _ in open_member(zf, info, step=limits.chunk_bytes,
                         max_lzma_dict=limits.max_lzma_dict_bytes):
        pass


def _key(member: str) -> str:
    return member[:-4] if member.endswith(".npy") else member


def _open_problem(path: str) -> str | None:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return "no such file"
    except PermissionError:
        return "permission denied: a parent directory cannot be searched by the current user"
    except OSError as exc:
        return f"cannot open ({exc.strerror or exc})"
    if stat.S_ISDIR(st.st_mode):
        return "is a directory, not an .npz file"
    if not stat.S_ISREG(st.st_mode):
        return "is not a regular file"
    if st.st_size == 0:
        return "empty file (0 bytes), not an .npz archive"
    return None


BARE_NPY = "a bare .npy file, not an .npz archive"
BARE_NPY_FIX = ("save the arrays with np.savez / save_npz (named keys), or rename it .npy "
                "if it is a single array")


def _not_zip_message(path: Any, exc: Exception) -> str:
    try:
        if isinstance(path, str):
            with open(path, "rb") as fh:
                head = fh.read(6)
        else:
            path.seek(0)
            head = path.read(6)
    except OSError:
        head = b""
    if head == MAGIC:
        return BARE_NPY
    if head[:4] == b"PK\x03\x04":
        return f"truncated or corrupt zip archive ({exc})"
    return "not an .npz archive: no zip structure found (plain data, or truncated)"


def _member_problem(info: zipfile.ZipInfo) -> str | None:
    name = info.filename
    if "\0" in info.orig_filename:  # zipfile cuts the name at the NUL: never trust the cut
        return f"array name {short_repr(info.orig_filename)} holds a NUL character; it is " \
            "not a safe member name"
    if not name:
        return "member with an empty name"
    if name.endswith("/"):
        return f"directory entry {name!r} in an NPZ archive"
    if stat.S_ISLNK(info.external_attr >> 16):
        return f"member {name!r} is a symbolic link; NPZ members must be arrays"
    if info.flag_bits & 0x1:
        return f"member {name!r} is encrypted; encrypted members cannot be read"
    if info.compress_type not in _SUPPORTED:
        return f"member {name!r} uses unsupported compression method {info.compress_type}"
    if not name.endswith(".npy"):
        return f"member {name!r} is not a .npy array"
    return key_problem(_key(name))


def _abandon(scan: ArchiveScan) -> ArchiveScan:
    """Close an archive that must not be read further; checkers then report nothing else."""
    scan.close()
    scan.zf = None
    scan.members.clear()
    scan.infos.clear()
    return scan


def _member_info(key: str, info: zipfile.ZipInfo, header: NpyHeader) -> MemberInfo:
    return MemberInfo(
        key=key, member=info.filename, shape=header.shape, dtype=header.dtype,
        fortran_order=header.fortran_order, version=header.version,
        data_offset=header.data_offset, data_bytes=header.data_bytes,
        file_size=info.file_size, compress_size=info.compress_size,
        compressed=info.compress_type != zipfile.ZIP_STORED,
    )


def _size_problem(member: MemberInfo, limits: Limits) -> tuple[str, str] | None:
    if member.dtype.hasobject:
        return None  # pickled payload: its size is checked by whoever decodes it
    if member.data_bytes > limits.max_array_bytes:
        return ("resource-limit",
                f"declares {human_size(member.data_bytes)} of data (shape {member.shape}), over the "
                f"{human_size(limits.max_array_bytes)} limit")
    held = member.file_size - member.data_offset
    if held != member.data_bytes:
        return ("unreadable",
                f"header declares shape {member.shape} {member.dtype} = {member.data_bytes:,} "
                f"bytes but the member holds {held:,} bytes")
    return None


def bytes_to_chunks(dtype: np.dtype, pieces: Iterable[bytes]) -> Iterator[np.ndarray]:
    """Turn byte pieces of any length into whole-element arrays (carrying partial elements).

    Pieces are wrapped, never copied: an element split between two pieces is handed out on
    its own (a one-element array), then the rest of the next piece from its offset.
    """
    dtype = np.dtype(dtype)
    itemsize = dtype.itemsize
    carry = b""
    for piece in pieces:
        offset = 0
        if carry:
            need = itemsize - len(carry)
            if len(piece) < need:
                carry += bytes(piece)
                continue
            yield np.frombuffer(carry + bytes(piece[:need]), dtype=dtype)
            offset, carry = need, b""
        count = (len(piece) - offset) // itemsize
        end = offset + count * itemsize
        if end < len(piece):
            carry = bytes(piece[end:])
        if count:
            yield np.frombuffer(piece, dtype=dtype, count=count, offset=offset)
