"""Run a function over many inputs in worker processes that Ctrl-C can always stop.

``multiprocessing.Pool`` and ``ProcessPoolExecutor`` can hang on Ctrl-C: the terminal sends
SIGINT to every worker too, a worker killed while holding the task queue's lock deadlocks the
pool's shutdown, and workers print tracebacks. Here each worker has its own pipe and ignores
SIGINT from birth (it is blocked while they are created, so no interrupt is lost); the parent
hands out batches, and on any exception (``KeyboardInterrupt`` included, even one delivered
the instant SIGINT is unblocked) it SIGKILLs and reaps every worker before re-raising, so the
run ends at once with no orphan. On Linux each worker also asks the kernel to SIGKILL it when
its parent dies (``PR_SET_PDEATHSIG``), so not even a SIGKILLed parent leaves one behind::

    for index, result in run_parallel(check, paths, processes=2, batch=4,
                                      initializer=setup, initargs=(options,)):
        ...
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from multiprocessing.connection import Connection, wait
from typing import Any

#: fork is much cheaper on Linux (no re-import of NumPy per worker); the functions run are
#: module-level, so "spawn" (macOS, Windows) works as well.
START_METHOD = "fork" if sys.platform.startswith("linux") else "spawn"
_MASKABLE = hasattr(signal, "pthread_sigmask")


class WorkerDied(RuntimeError):
    """A worker ended without answering (killed by the OOM killer, for example)."""

    def __init__(self, items: list[int], exitcode: int | None) -> None:
        super().__init__(f"worker process ended with exit code {exitcode}")
        self.items = items
        self.exitcode = exitcode


def run_parallel(fn: Callable[[Any], Any], items: Sequence[Any], *, processes: int,
                 batch: int = 1, initializer: Callable[..., None] | None = None,
                 initargs: tuple = ()) -> Iterator[tuple[int, Any]]:
    """Yield ``(index, fn(items[index]))`` as workers finish (not in input order).

    An exception raised by ``fn`` comes back as a ``RuntimeError`` value; a worker that dies
    yields a :class:`WorkerDied` value for each item it held.
    """
    context = multiprocessing.get_context(START_METHOD)
    workers: list[tuple[Any, Connection]] = []
    try:
        _block_sigint(True)
        try:
            for _ in range(max(1, min(processes, len(items)))):
                parent, child = context.Pipe()
                process = context.Process(target=_worker_main, daemon=True,
                                          args=(child, fn, initializer, initargs, os.getpid()))
                process.start()
                child.close()
                workers.append((process, parent))
        finally:
            _block_sigint(False)  # a pending Ctrl-C is raised here: still inside the kill
        yield from _dispatch(workers, items, max(batch, 1))
    except BaseException:  # KeyboardInterrupt, GeneratorExit (the caller stopped), errors
        _kill(workers)
        raise
    for _, conn in workers:
        with contextlib.suppress(OSError):
            conn.send(None)
    for process, conn in workers:
        process.join(timeout=5)
        conn.close()
    _kill(workers)  # only those that did not exit by themselves


def _dispatch(workers: list[tuple[Any, Connection]], items: Sequence[Any],
              batch: int) -> Iterator[tuple[int, Any]]:
    pending = list(range(len(items)))
    pending.reverse()
    held: dict[Connection, list[int]] = {}

    def give(conn: Connection) -> None:
        chunk = [pending.pop() for _ in range(min(batch, len(pending)))]
        if chunk:
            held[conn] = chunk
            conn.send([(i, items[i]) for i in chunk])

    by_conn = {conn: process for process, conn in workers}
    for _, conn in workers:
        give(conn)
    while held:
        for conn in wait(list(held)):
            try:
                answers = conn.recv()
            except (EOFError, OSError):
                process = by_conn[conn]
                process.join(timeout=1)
                lost = held.pop(conn)
                for index in lost:
                    yield index, WorkerDied(lost, process.exitcode)
                continue
            del held[conn]
            give(conn)
            yield from answers


def _worker_main(conn: Connection, fn: Callable[[Any], Any],
                 initializer: Callable[..., None] | None, initargs: tuple,
                 parent_pid: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and kills us
    _die_with_parent(parent_pid)
    _block_sigint(False)
    if initializer is not None:
        initializer(*initargs)
    while True:
        try:
            work = conn.recv()
        except (EOFError, OSError):
            return
        if work is None:
            return
        conn.send([(index, _call(fn, item)) for index, item in work])


def _call(fn: Callable[[Any], Any], item: Any) -> Any:
    try:
        return fn(item)
    except Exception as exc:  # sent back as a value; the caller decides what it means
        return RuntimeError(f"{type(exc).__name__}: {exc}")


def _die_with_parent(parent_pid: int) -> None:
    """Linux: have the kernel SIGKILL this process when its parent ends, however it ends; if
    the parent is already gone (it died before this ran), exit now."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # pragma: no cover - no prctl: the parent still kills us
        return
    if os.getppid() != parent_pid:
        os._exit(1)


def _block_sigint(block: bool) -> None:
    """Block SIGINT while workers are created (they inherit the mask, then ignore SIGINT and
    unblock it); a Ctrl-C meanwhile stays pending for the parent instead of being lost."""
    if _MASKABLE:
        signal.pthread_sigmask(signal.SIG_BLOCK if block else signal.SIG_UNBLOCK,
                               {signal.SIGINT})


def _kill(workers: list[tuple[Any, Connection]]) -> None:
    for process, _ in workers:
        with contextlib.suppress(Exception):
            if process.is_alive():
                process.kill()
    for process, conn in workers:
        with contextlib.suppress(Exception):
            process.join(timeout=2)
        with contextlib.suppress(Exception):
            conn.close()
