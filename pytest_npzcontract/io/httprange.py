"""HTTP(S) range reads with the standard library, bounded in time and bytes whatever the server.

A server is as untrusted as the file it serves: it may trickle one byte at a time, answer a
range request with an endless body, send other bytes than those asked for, huge headers, or
the whole file (200) where a range (206) was asked for. Here every request

- connects within ``remote_connect_seconds`` and waits at most ``remote_read_seconds`` for each
  read, and all requests for one file share one deadline of ``remote_total_seconds``;
- must answer 206 with exactly the ``Content-Range`` asked for (a 200 is "does not honour
  Range requests");
- is read to exactly the bytes asked for and never one more (the per-request byte cap): a
  longer or endless body is cut there and its connection dropped;
- gets at most ``http.client``'s header limits (100 headers of 64 KiB).

Every failure is a :class:`.remote.RemoteError` with a one-line reason.

>>> size, fetch, close = open_http("https://example.org/train.npz", DEFAULT_LIMITS)
>>> tail = fetch(size - 22, size)                   # the zip's end record
"""

from __future__ import annotations

import contextlib
import http.client
import re
import socket
import ssl
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator

from ..base.limits import Limits

_PIECE = 64 * 1024
_CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+|\*)")
_REDIRECTS = 3


def open_http(url: str, limits: Limits, error: type[Exception]
              ) -> tuple[int, Callable[[int, int], bytes], Callable[[], None]]:
    """``(size, fetch(start, end), close)`` for ``url``; ``error`` is the exception raised."""
    session = _Session(url, limits, error)
    try:
        size = session.discover()
    except BaseException:
        session.close()
        raise
    return size, session.fetch, session.close


class _Session:
    def __init__(self, url: str, limits: Limits, error: type[Exception]) -> None:
        self.parts = urllib.parse.urlsplit(url)
        self.limits, self.error = limits, error
        self.deadline = time.monotonic() + limits.remote_total_seconds
        self.conn: http.client.HTTPConnection | None = None
        self.expired = False

    @contextlib.contextmanager
    def _watchdog(self) -> Iterator[None]:
        """Shut the socket down at the file's deadline, so even a server trickling header
        bytes (each within the read timeout) cannot hold a request past it."""
        timer = threading.Timer(self._time_left(), self._expire)
        timer.daemon = True
        timer.start()
        try:
            yield
        except self.error:
            if self.expired:
                raise self._late() from None
            raise
        finally:
            timer.cancel()

    def _expire(self) -> None:
        self.expired = True
        sock = getattr(self.conn, "sock", None)
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def _late(self) -> Exception:
        return self.error(f"reading took longer than the {self.limits.remote_total_seconds:g}"
                          " s allowed per file (remote_total_seconds)")

    def discover(self) -> int:
        """The file's size, from the ``Content-Range`` of a one-byte request."""
        with self._watchdog():
            return self._discover()

    def _discover(self) -> int:
        for _ in range(_REDIRECTS + 1):
            response = self._request(0, 1)
            if response.status in (301, 302, 303, 307, 308):
                location = response.getheader("Location") or ""
                self._drop()
                target = urllib.parse.urlsplit(urllib.parse.urljoin(self.parts.geturl(),
                                                                    location))
                if target.scheme not in ("http", "https"):
                    raise self.error("redirected to a non-HTTP location")
                self.parts = target
                continue
            if response.status == 200:
                self._drop()
                raise self.error("the server reports no file size or no support for Range "
                                 "requests (it answered 200, not 206); range reads are "
                                 "impossible")
            _, _, total = self._check(response, 0, 1)
            self._read(response, 1)
            if total is None:
                raise self.error("the server reports no file size (Content-Range */*); range "
                                 "reads are impossible")
            return total
        raise self.error(f"more than {_REDIRECTS} redirects")

    def fetch(self, start: int, end: int) -> bytes:
        """Exactly the bytes ``start`` to ``end - 1``."""
        with self._watchdog():
            return self._fetch(start, end)

    def _fetch(self, start: int, end: int) -> bytes:
        for attempt in (1, 2):  # a kept-alive connection the server closed: one retry
            try:
                response = self._request(start, end)
            except self.error:
                if attempt == 2 or self.conn is not None:
                    raise
                continue
            if response.status == 200:
                self._drop()
                raise self.error("the server does not honour Range requests (it answered "
                                 "200 with the whole file where 206 was asked for); only "
                                 "whole downloads work with it")
            self._check(response, start, end)
            return self._read(response, end - start)
        raise self.error("request failed")  # pragma: no cover

    def close(self) -> None:
        self._drop()

    # ------------------------------------------------------------------ one request

    def _request(self, start: int, end: int) -> http.client.HTTPResponse:
        self._time_left()
        fresh = self.conn is None
        try:
            if self.conn is None:
                self.conn = self._connect()
            path = self.parts.path or "/"
            if self.parts.query:
                path += "?" + self.parts.query
            self.conn.request("GET", path, headers={
                "Range": f"bytes={start}-{end - 1}", "Accept-Encoding": "identity",
                "User-Agent": "npzcontract"})
            response = self.conn.getresponse()
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            self._drop()
            if fresh:
                raise self.error("the server closed the connection without answering") from None
            raise self.error("connection closed") from None  # retried once by fetch
        except TimeoutError:
            self._drop()
            raise self.error(f"no answer within {self.limits.remote_read_seconds:g} s (read "
                             "timeout, remote_read_seconds)") from None
        except http.client.HTTPException as exc:  # header lines too long, too many headers
            self._drop()
            raise self.error(f"malformed answer from the server ({type(exc).__name__}: "
                             f"{str(exc)[:80]})") from None
        except (OSError, ssl.SSLError) as exc:
            self._drop()
            raise self.error(f"cannot connect ({type(exc).__name__}: {str(exc)[:120]})"
                             ) from None
        if response.status == 404:
            self._drop()
            raise self.error("no such file (the server says it does not exist)")
        if response.status not in (200, 206, 301, 302, 303, 307, 308):
            self._drop()
            raise self.error(f"the server answered HTTP {response.status} "
                             f"{(response.reason or '')[:60]}")
        return response

    def _connect(self) -> http.client.HTTPConnection:
        host, port = self.parts.hostname or "", self.parts.port
        timeout = min(self.limits.remote_connect_seconds, self._time_left())
        if self.parts.scheme == "https":
            conn: http.client.HTTPConnection = http.client.HTTPSConnection(
                host, port, timeout=timeout, context=ssl.create_default_context())
        else:
            conn = http.client.HTTPConnection(host, port, timeout=timeout)
        try:
            conn.connect()
        except TimeoutError:
            raise self.error(f"cannot connect within {timeout:g} s (connect timeout, "
                             "remote_connect_seconds)") from None
        if conn.sock is not None:
            conn.sock.settimeout(self.limits.remote_read_seconds)
        return conn

    def _check(self, response: http.client.HTTPResponse, start: int, end: int
               ) -> tuple[int, int, int | None]:
        header = response.getheader("Content-Range") or ""
        match = _CONTENT_RANGE.fullmatch(header.strip())
        if response.status != 206 or not match:
            self._drop()
            raise self.error(f"the server answered {response.status} without a valid "
                             f"Content-Range ({header[:60]!r})")
        first, last = int(match.group(1)), int(match.group(2))
        if (first, last) != (start, end - 1):
            self._drop()
            raise self.error(f"asked for bytes {start}-{end - 1}, the server sent "
                             f"{first}-{last} (wrong range)")
        total = None if match.group(3) == "*" else int(match.group(3))
        return first, last, total

    def _read(self, response: http.client.HTTPResponse, want: int) -> bytes:
        """Exactly ``want`` bytes of the body, each read within the read timeout and all
        before the file's deadline; a body longer than that is never read."""
        out = bytearray()
        try:
            while len(out) < want:
                self._time_left()
                piece = response.read1(min(_PIECE, want - len(out)))
                if not piece:
                    break
                out += piece
        except TimeoutError:
            self._drop()
            raise self.error(f"the server sent nothing for {self.limits.remote_read_seconds:g}"
                             " s (read timeout, remote_read_seconds)") from None
        except (OSError, http.client.HTTPException) as exc:
            self._drop()
            raise self.error(f"read failed ({type(exc).__name__}: {str(exc)[:80]})") from None
        if len(out) < want:
            self._drop()
            raise self.error(f"asked for {want:,} bytes, got {len(out):,} (connection ended)")
        if response.length is None or response.length > 0:  # more than asked: drop it unread
            self._drop()
        return bytes(out)

    def _time_left(self) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0 or self.expired:
            self._drop()
            raise self._late()
        return left

    def _drop(self) -> None:
        if self.conn is not None:
            try:
                self.conn.close()
            except Exception:  # noqa: BLE001 - closing a broken connection
                pass
            self.conn = None
