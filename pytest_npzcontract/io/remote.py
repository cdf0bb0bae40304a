"""Read datasets in remote storage (``https://``, ``s3://``, any fsspec URL) through range
requests, counting every byte transferred.

:class:`RangeFile` is a seekable read-only file over ``fetch(start, end)``: a small cache of
aligned blocks serves the scattered reads of a structural check (the zip directory at the end,
then each member's local header and ``.npy`` header), and reads that continue where the last
one stopped fetch ever larger pieces (up to 8 MiB), so a value scan streams. ``zipfile`` reads
it like a local file. Backends: fsspec (the ``remote`` extra: ``fsspec``, ``aiohttp`` and
``requests`` for HTTP; ``s3fs`` for S3), else, for ``s3://`` URLs, boto3 when installed
(endpoint from ``AWS_ENDPOINT_URL``).

>>> with open_url("https://example.org/data/train.npz") as fh:
...     zipfile.ZipFile(fh).namelist()
>>> fh.transferred, fh.requests
(9216, 3)
"""

from __future__ import annotations

import io
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from ..base.limits import DEFAULT_LIMITS, Limits

#: Block size of scattered reads (the zip tail, local and ``.npy`` headers).
BLOCK = 32 * 1024
#: Largest single fetch of a sequential read.
MAX_FETCH = 8 * 1024 * 1024
#: Blocks kept in the scattered-read cache.
MAX_BLOCKS = 32


def is_url(path: Any) -> bool:
    """Whether ``path`` is a URL with a scheme (``https://...``, ``s3://...``), not a file."""
    if not isinstance(path, str):
        return False
    scheme, sep, _ = path.partition("://")
    return bool(sep) and scheme.isascii() and scheme.replace("+", "").isalnum() \
        and scheme.lower() != "file"


class RemoteError(OSError):
    """A remote file cannot be opened or read; the message is one line."""


class RangeFile(io.RawIOBase):
    """A seekable read-only file of ``size`` bytes read through ``fetch(start, end)``."""

    def __init__(self, name: str, size: int, fetch: Callable[[int, int], bytes],
                 closer: Callable[[], None] | None = None) -> None:
        super().__init__()
        self.name = name
        self.size = size
        self._fetch = fetch
        self._closer = closer
        self._pos = 0
        self._blocks: OrderedDict[int, bytes] = OrderedDict()
        self._stream_end = -1
        self._stream = b""
        self._stream_start = 0
        self._next_fetch = BLOCK
        #: Bytes received and range requests made so far.
        self.transferred = 0
        self.requests = 0
        #: The last read failure (``zipfile`` turns it into "not a zip file"; callers want it).
        self.error: RemoteError | None = None

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self.size}[whence]
        position = base + offset
        if position < 0:
            raise ValueError("negative seek position")
        self._pos = position
        return position

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        want = min(len(view), max(self.size - self._pos, 0))
        if want == 0:
            return 0
        data = self._read_at(self._pos, want)
        view[: len(data)] = data
        self._pos += len(data)
        return len(data)

    def close(self) -> None:
        if not self.closed and self._closer is not None:
            self._closer()
        self._blocks.clear()
        self._stream = b""
        super().close()

    def _get(self, start: int, end: int) -> bytes:
        try:
            data = self._fetch(start, end)
        except RemoteError as exc:
            self.error = exc
            raise
        self.requests += 1
        self.transferred += len(data)
        if len(data) != end - start:
            self.error = RemoteError(f"asked for bytes {start}-{end - 1}, got {len(data)} "
                                     "(does the server honour Range requests?)")
            raise self.error
        return data

    def _read_at(self, position: int, size: int) -> bytes:
        stream_end = self._stream_start + len(self._stream)
        if self._stream and self._stream_start <= position and position + size <= stream_end:
            offset = position - self._stream_start
            return self._stream[offset:offset + size]
        first, last = position // BLOCK, (position + size - 1) // BLOCK
        cached = all(i in self._blocks for i in range(first, last + 1))
        if not cached and (position == self._stream_end or size > BLOCK):
            return self._read_sequential(position, size)
        out = bytearray()
        while len(out) < size:
            index, offset = divmod(position + len(out), BLOCK)
            block = self._block(index)
            piece = block[offset:offset + size - len(out)]
            if not piece:
                break
            out += piece
        self._stream_end = position + len(out)
        return bytes(out)

    def _read_sequential(self, position: int, size: int) -> bytes:
        """A read continuing the previous one: fetch a growing window ahead of it."""
        span = min(max(size, self._next_fetch), self.size - position)
        self._stream = self._get(position, position + span)
        self._stream_start = position
        self._next_fetch = min(self._next_fetch * 2, MAX_FETCH)
        self._stream_end = position + size
        return self._stream[:size]

    def _block(self, index: int) -> bytes:
        block = self._blocks.get(index)
        if block is None:
            start = index * BLOCK
            block = self._get(start, min(start + BLOCK, self.size))
            self._blocks[index] = block
            if len(self._blocks) > MAX_BLOCKS:
                self._blocks.popitem(last=False)
        else:
            self._blocks.move_to_end(index)
        self._next_fetch = BLOCK
        return block


def open_url(url: str, limits: Limits = DEFAULT_LIMITS) -> RangeFile:
    """Open ``url`` for range reads; raises :class:`RemoteError` with a one-line reason.

    ``http://`` and ``https://`` are read with the standard library (:mod:`.httprange`: connect,
    read and per-file timeouts from ``limits``, never more bytes than asked for); other
    schemes through fsspec (or boto3 for ``s3://``)."""
    if url.lower().startswith(("http://", "https://")):
        from .httprange import open_http

        size, fetch, closer = open_http(url, limits, RemoteError)
        handle = RangeFile(url, size, fetch, closer=closer)
        handle.transferred, handle.requests = 1, 1  # the one-byte request that found the size
        return handle
    try:
        return _open_fsspec(url)
    except ImportError as missing:
        if url.lower().startswith("s3://"):
            try:
                return _open_boto3(url)
            except ImportError:
                pass
        from ..base.install import install_hint

        raise RemoteError(f"reading {url.partition('://')[0]}:// URLs needs fsspec "
                          f"({missing.name or missing}): {install_hint('remote')}") from None


def _open_fsspec(url: str) -> RangeFile:
    import fsspec

    try:
        fs, path = fsspec.core.url_to_fs(url)
    except (ImportError, ValueError) as exc:
        if isinstance(exc, ImportError) or "Protocol not known" in str(exc):
            raise ImportError(str(exc), name=url.partition("://")[0]) from None
        raise RemoteError(f"bad URL ({exc})") from None
    try:
        # No fsspec cache: RangeFile decides what to fetch, and each read is one request.
        handle = fs.open(path, "rb", block_size=BLOCK, cache_type="none")
        size = handle.size
    except FileNotFoundError:
        raise RemoteError("no such file (the server says it does not exist)") from None
    except Exception as exc:  # network and server errors come in many types
        raise RemoteError(f"cannot open ({type(exc).__name__}: {_short(exc)})") from None
    if size is None:
        handle.close()
        raise RemoteError("the server reports no file size or no support for Range requests; "
                          "range reads are impossible")

    def fetch(start: int, end: int) -> bytes:
        try:
            handle.seek(start)
            return bytes(handle.read(end - start))
        except Exception as exc:
            if "range" in str(exc).lower():
                raise RemoteError("the server does not honour Range requests; only whole "
                                  "downloads work with it") from None
            raise RemoteError(f"read failed ({type(exc).__name__}: {_short(exc)})") from None

    return RangeFile(url, int(size), fetch, closer=handle.close)


def _open_boto3(url: str) -> RangeFile:
    import boto3
    import botocore.exceptions

    bucket, _, key = url[len("s3://"):].partition("/")
    client = boto3.client("s3")
    try:
        size = client.head_object(Bucket=bucket, Key=key)["ContentLength"]
    except botocore.exceptions.ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code in ("404", "NoSuchKey", "NotFound"):
            raise RemoteError("no such file (the server says it does not exist)") from None
        raise RemoteError(f"cannot open ({_short(exc)})") from None
    except botocore.exceptions.BotoCoreError as exc:
        raise RemoteError(f"cannot open ({_short(exc)})") from None

    def fetch(start: int, end: int) -> bytes:
        try:
            body = client.get_object(Bucket=bucket, Key=key, Range=f"bytes={start}-{end - 1}")
            return body["Body"].read()
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
            raise RemoteError(f"read failed ({_short(exc)})") from None

    return RangeFile(url, int(size), fetch)


def _short(exc: BaseException, limit: int = 200) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
