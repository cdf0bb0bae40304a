"""The seam between ``lint`` and the Dask executor (:mod:`..tools.dask_executor`): which paths
the workers open, and a cluster that cannot run the check as a one-line usage error."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

from ..contract.config import Settings
from ..io.remote import is_url
from .common import CliError


def dask_results(jobs: list[tuple[str, str | None]], settings: Settings,
                 options: dict[str, Any]) -> Iterator[tuple[int, Any]]:
    """``(index, Report or failure value)`` for each ``(path, profile)`` of ``jobs``, checked
    on the Dask cluster of ``settings`` (``scheduler``, else a LocalCluster of ``jobs``
    workers). Workers open local paths as absolute paths, URLs as given."""
    from ..tools.dask_executor import DaskError, judge_job, run_on_dask

    items = [(path, path if is_url(path) else os.path.abspath(path), profile)
             for path, profile in jobs]
    try:
        yield from run_on_dask(judge_job, items, shared=options, workers=settings.jobs,
                               scheduler=settings.scheduler)
    except DaskError as exc:
        raise CliError(str(exc)) from None
