"""Check files on a Dask cluster: ``npzcontract lint --executor dask``.

The client (the ``lint`` process) keeps the walk, the cache and the rendering; the cluster
receives one small task per file still to check: the path (absolute, as the workers must find it
on their shared filesystem, or a URL) and its profile name, plus the project's settings once. Each
worker reads its file itself, so no array data passes through the client, and sends back the
file's :class:`~pytest_npzcontract.base.report.Report`, re-stamped with the path as the user
gave it, so the run's output equals a local run's.

Dask is an optional extra (``pip install 'pytest-npzcontract[dask]'``), imported only here::

    for index, result in run_on_dask(judge_job, jobs, shared=settings, workers=2):
        ...   # result: a Report, or a WorkerLost / RuntimeError value for that file

With no scheduler address a ``LocalCluster`` of ``workers`` single-threaded worker processes is
started for the run and closed when it ends, whatever the reason (Ctrl-C included). A task whose
worker dies (killed, out of memory) is retried once on another worker (the cluster started here
sets ``distributed.scheduler.allowed-failures`` to 1; a running cluster keeps its own setting,
3 by default); if that one dies too, the file gets a ``WorkerLost`` value and the run goes on.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import signal
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import CancelledError
from typing import Any

from ..base.report import Finding, Report
from ..contract.config import Settings

__all__ = ["DaskError", "WorkerLost", "judge_job", "run_on_dask"]

INSTALL_HINT = "pip install 'pytest-npzcontract[dask]'"


class DaskError(RuntimeError):
    """The cluster cannot run the check at all (Dask missing, scheduler unreachable, workers
    without pytest-npzcontract or with another version); the message says which and why."""


class WorkerLost(RuntimeError):
    """Every worker that tried the file died (killed by the OOM killer or the nanny's memory
    limit, for example); the file gets a ``resource-limit`` finding."""


def judge_job(job: tuple[str, str, str | None], settings: Settings) -> tuple[str, Any]:
    """On a worker: judge ``job`` (path as given, path to open, profile) as
    :meth:`Project.judge <pytest_npzcontract.tools.project.Project.judge>` does under
    ``settings``, without the cache (the client keeps it). Returns ``(package version,
    Report)``, or a ``RuntimeError`` value in place of the report if the check itself raised."""
    from .._version import version
    from .project import Project

    shown, path, profile = job
    try:
        report = Project(settings, use_cache=False).judge(path, cache=False, profile=profile)
    except Exception as exc:  # sent back as a value, as the local worker processes do
        return version, RuntimeError(f"{type(exc).__name__}: {exc}")
    return version, restamp(report, path, shown)


def restamp(report: Report, opened: str, shown: str) -> Report:
    """``report`` as if the file had been opened as ``shown`` (the worker opened ``opened``)."""
    if opened == shown:
        return report

    def fix(text: str | None) -> str | None:
        return text.replace(opened, shown) if text else text

    report.file = shown
    report.findings = [Finding(fix(f.file), f.key, f.rule, f.severity, fix(f.message) or "",
                               fix(f.hint) or "") for f in report.findings]
    return report


def run_on_dask(fn: Callable[..., tuple[str, Any]], items: Sequence[Any], *,
                shared: Any, workers: int = 1, scheduler: str | None = None,
                batch: int | None = None) -> Iterator[tuple[int, Any]]:
    """Yield ``(index, result)`` as the cluster finishes ``fn(items[index], shared)`` (not in
    input order). ``scheduler``: the address of a running cluster, else a LocalCluster of
    ``workers`` processes. Items travel in tasks of ``batch`` (default: up to 16, at least 8
    tasks per worker thread); a task whose workers died is split and each item retried alone,
    so only the item that kills a worker gets a :class:`WorkerLost` value. Raises
    :class:`DaskError` when the cluster cannot run the check; on any exception, Ctrl-C
    included, the pending tasks are cancelled first."""
    if not items:
        return
    distributed = _import_distributed()
    from .._version import version

    with _client(distributed, workers, scheduler) as client:
        run = uuid.uuid4().hex[:12]
        # The shared value travels once, as a task rather than scattered data: the scheduler
        # can recompute it when every worker holding it has died.
        options = client.submit(_same, shared, key=f"npzcontract-options-{run}", pure=False)
        size = batch or _batch_size(len(items), _threads(client, workers))
        where: dict[str, list[int]] = {}
        everything: list[Any] = []
        lost: dict[int, int] = {}

        def submit(indices: list[int], tag: str) -> Any:
            future = client.submit(_run_batch, fn, [items[i] for i in indices], options,
                                   key=f"npzcontract-check-{run}-{tag}", pure=False, retries=1)
            where[future.key] = indices
            everything.append(future)
            return future

        first = [submit(list(range(at, min(at + size, len(items)))), str(at))
                 for at in range(0, len(items), size)]
        pending = distributed.as_completed(first, loop=client.loop, with_results=True,
                                           raise_errors=False)
        try:
            for future, value in pending:
                indices = where.pop(future.key)
                if future.status != "finished":  # then value is not the exception itself
                    value = _exception(future)
                future.release()
                if isinstance(value, distributed.KilledWorker) and len(indices) > 1:
                    pending.update([submit([i], f"{i}-alone") for i in indices])
                    continue
                if isinstance(value, BaseException):
                    failure = _failure(distributed, value, version)
                    for index in indices:
                        yield index, failure
                    continue
                if not isinstance(value, list) or len(value) != len(indices):
                    # The task finished but its result was gone when fetched (the worker
                    # holding it died meanwhile): check its files again, each at most twice.
                    for index in indices:
                        lost[index] = lost.get(index, 0) + 1
                        if lost[index] > 2:
                            yield index, RuntimeError("the Dask cluster lost its result twice")
                        else:
                            pending.add(submit([index], f"{index}-again-{lost[index]}"))
                    continue
                for index, (theirs, result) in zip(indices, value, strict=True):
                    if theirs != version:
                        raise DaskError(f"a Dask worker runs pytest-npzcontract {theirs}, "
                                        f"this client {version}: install the same version "
                                        f"on every worker")
                    yield index, result
        except BaseException:
            with contextlib.suppress(Exception):
                client.cancel(everything, force=True)
            raise


def _exception(future: Any) -> BaseException:
    if future.status == "cancelled":
        return CancelledError()
    try:
        return future.exception()
    except BaseException as exc:  # noqa: BLE001 - whatever it is, it is this task's failure
        if isinstance(exc, KeyboardInterrupt):
            raise
        return exc


def _run_batch(fn: Callable[..., Any], batch: list[Any], shared: Any) -> list[Any]:
    """On a worker: ``fn`` over one task's items."""
    return [fn(item, shared) for item in batch]


def _same(value: Any) -> Any:
    return value


def _threads(client: Any, workers: int) -> int:
    try:
        return max(1, sum(client.nthreads().values()))
    except Exception:  # an adaptive cluster may have none yet
        return max(1, workers)


def _batch_size(items: int, threads: int) -> int:
    return max(1, min(16, items // (threads * 8)))


def _failure(distributed: Any, exc: BaseException, version: str) -> Exception:
    """What a failed task means: a value for each of its items, or a :class:`DaskError` for
    the whole run when the workers cannot run the check at all."""
    if isinstance(exc, distributed.KilledWorker):
        return WorkerLost(f"the Dask workers checking it died: {exc}")
    if isinstance(exc, (ImportError, AttributeError)):
        raise DaskError(f"the Dask workers cannot run pytest-npzcontract "
                        f"({type(exc).__name__}: {exc}); install pytest-npzcontract "
                        f"{version} on every worker") from None
    if isinstance(exc, CancelledError):
        return RuntimeError("the task was cancelled by the cluster")
    return RuntimeError(f"{type(exc).__name__}: {exc}")


def _import_distributed() -> Any:
    try:
        import distributed
    except ImportError as exc:
        raise DaskError(f"--executor dask needs Dask's distributed scheduler ({exc}); "
                        f"{INSTALL_HINT}") from None
    return distributed


@contextlib.contextmanager
def _client(distributed: Any, workers: int, scheduler: str | None) -> Iterator[Any]:
    """A client of the running cluster at ``scheduler``, else of a LocalCluster started now
    (and closed, its worker processes ended, when the block exits for any reason)."""
    if scheduler:
        if scheduler.startswith("inproc://"):
            raise DaskError(f"cannot reach the Dask scheduler at {scheduler}: an inproc:// "
                            f"address only works inside the process that made it (start the "
                            f"cluster with protocol='tcp')")
        try:
            # waits up to distributed.comm.timeouts.connect (30 s unless configured)
            client = distributed.Client(scheduler, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as exc:
            raise DaskError(f"cannot reach the Dask scheduler at {scheduler} "
                            f"({type(exc).__name__}: {exc})") from None
        with client:
            yield client
        return
    cluster = _local_cluster(distributed, workers)
    try:
        with distributed.Client(cluster, set_as_default=False) as client:
            yield client
    except BaseException:
        # interrupted or failed: no graceful goodbye from workers stuck in a read
        _kill_workers(cluster)
        with _quiet_close():
            cluster.close(timeout=10)
        raise
    with _quiet_close():
        cluster.close()


def _kill_workers(cluster: Any) -> None:
    """SIGKILL the worker processes of a LocalCluster started here (their nannies live in
    this process and only notice)."""
    for nanny in list(getattr(cluster, "workers", {}).values()):
        with contextlib.suppress(Exception):
            pid = nanny.process.process.pid
            if pid:
                os.kill(pid, signal.SIGKILL)


def _local_cluster(distributed: Any, workers: int) -> Any:
    """``workers`` single-threaded worker processes; a dead worker's task is retried once.

    On POSIX the workers are forked from a fork server started with SIGINT ignored: they inherit
    that, so a Ctrl-C from the terminal reaches only this process (which cancels the run and
    closes the cluster) instead of every worker printing its own traceback, and they start from
    a process that has already imported Dask and the checker.
    """
    import dask

    # one task per single-threaded worker at a time: a worker that dies takes only the file it
    # was checking with it (tasks queued on it would count as having killed it too)
    settings: dict[str, Any] = {"distributed.scheduler.allowed-failures": 1,
                                "distributed.scheduler.worker-saturation": 1.0,
                                "distributed.admin.system-monitor.gil.enabled": False}
    if "forkserver" in multiprocessing.get_all_start_methods():
        settings["distributed.worker.multiprocessing-method"] = "forkserver"
    with dask.config.set(settings):
        if "distributed.worker.multiprocessing-method" in settings:
            _start_fork_server()
        return distributed.LocalCluster(n_workers=max(1, workers), threads_per_worker=1,
                                        processes=True, dashboard_address=None,
                                        # no dashboard; its bare HTTP server on a free port
                                        scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
                                        silence_logs=logging.CRITICAL)


def _start_fork_server() -> None:
    """Start the fork server (with what workers import preloaded) with SIGINT ignored."""
    from multiprocessing import forkserver

    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["distributed", "pytest_npzcontract.tools.dask_executor",
                                    "pytest_npzcontract.tools.project",
                                    "pytest_npzcontract.contract.checker"])
    try:
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    except ValueError:  # not the main thread: Ctrl-C is not ours to route
        forkserver.ensure_running()
        return
    try:
        forkserver.ensure_running()
    finally:
        signal.signal(signal.SIGINT, previous)


@contextlib.contextmanager
def _quiet_close() -> Iterator[None]:
    """Closing a cluster after Ctrl-C may log or raise about tasks it dropped: keep it quiet."""
    try:
        yield
    except Exception:  # the run's own outcome (or interrupt) is what matters
        pass
