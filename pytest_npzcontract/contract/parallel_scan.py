"""Two cores for one file: the value statistics of large members computed in threads, one
member per thread, each reading the archive through its own file handle.

ISA-L, zlib-ng and zlib release the GIL while they inflate, and NumPy's reductions release it
over large chunks, so members scanned in threads run on separate cores. Only local archives
are scanned this way (a remote one has one connection), only members of at least
:data:`PARALLEL_MIN_BYTES`, and only when the caller allows ``threads`` > 1 (``lint --jobs N``
with fewer files than N). Results come back per key and the caller reports them in key order,
so the findings are the same as a serial scan's.

Memory: each member in flight holds at most one raw read (``READ_BYTES``, 1 MiB), the piece
being inflated and the piece held back for the CRC (two ``chunk_bytes`` steps, 1 MiB each by
default) and up to three chunk-sized temporaries of the statistics (the whole-number test, the
dose estimator's), plus the allocator's slack: at the defaults at most about 8 MiB per
member in flight, 20 MiB for two threads (``benchmarks/bench_parallel.py`` measured 7.4-10.4
MiB serial and 13.9-16.9 MiB with two threads).

>>> results = scan_members(arrays, keys, observe_for, threads=2)
>>> stats_or_error = results["diffraction"]
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from ..io.archive import CORRUPTION_ERRORS
from ..io.npyheader import HeaderError
from .values import ValueStats, scan_chunks

#: Members smaller than this are scanned in the calling thread (a thread costs more).
PARALLEL_MIN_BYTES = 8 << 20
#: What a member's scan gives: its statistics, or the reading error to report.
Outcome = ValueStats | HeaderError | Exception


class _Cancelled(Exception):
    pass


def scan_members(arrays: Mapping[str, Any], keys: list[str],
                 observe_for: Callable[[str], Any], threads: int = 1,
                 ranges: Callable[[str], bool] = lambda key: True) -> dict[str, Outcome]:
    """Statistics (or the ``HeaderError``/corruption error) of each key in ``keys``.

    ``observe_for(key)`` is the per-chunk observer of that key (the dose estimator's, or None);
    ``ranges(key)``: whether min/max/negative are needed (``scan_chunks(ranges=...)``).
    Any other exception is raised in the caller once every thread has stopped.
    """
    big = [k for k in keys if threads > 1 and _parallel_ok(arrays[k])]
    if len(big) < 2:
        return {k: _scan(arrays[k], observe_for(k), ranges(k)) for k in keys}
    from concurrent.futures import ThreadPoolExecutor  # only here: it imports logging

    stop = threading.Event()
    results: dict[str, Outcome] = {}
    with ThreadPoolExecutor(max_workers=min(threads, len(big)),
                            thread_name_prefix="npzcontract-scan") as pool:
        futures = {k: pool.submit(_scan_reopened, arrays[k], observe_for(k), ranges(k), stop)
                   for k in big}
        try:
            for key in keys:
                if key not in futures:
                    results[key] = _scan(arrays[key], observe_for(key), ranges(key))
            for key, future in futures.items():
                results[key] = future.result()
        except BaseException:
            stop.set()  # Ctrl-C or a bug: the threads stop at their next chunk
            raise
    return {k: results[k] for k in keys}


def _parallel_ok(array: Any) -> bool:
    return getattr(array, "source", None) is not None and array.nbytes >= PARALLEL_MIN_BYTES


def _scan(array: Any, observe: Any, ranges: bool, chunks: Iterator[Any] | None = None
          ) -> Outcome:
    try:
        return scan_chunks(array.dtype, array.chunks() if chunks is None else chunks, observe,
                           ranges=ranges)
    except HeaderError as exc:
        return exc
    except CORRUPTION_ERRORS as exc:
        return exc


def _scan_reopened(array: Any, observe: Any, ranges: bool, stop: threading.Event) -> Outcome:
    with open(array.source, "rb") as fp:
        return _scan(array, observe, ranges, _until(stop, array.chunks(fp=fp)))


def _until(stop: threading.Event, chunks: Iterator[Any]) -> Iterator[Any]:
    for chunk in chunks:
        if stop.is_set():
            raise _Cancelled
        yield chunk
