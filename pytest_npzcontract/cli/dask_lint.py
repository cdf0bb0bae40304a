"""The seam between ``lint`` and the Dask executor (:mod:`..tools.dask_executor`): which paths
the workers open, and a cluster that cannot run the check as a one-line usage error."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from typing import Any

from ..io.remote import is_url
from ..tools.project import Project
from .common import CliError


def dask_results(files: Sequence[str], project: Project) -> Iterator[tuple[int, Any]]:
    """``(index, Report or failure value)`` for each of ``files``, judged by ``project`` on
    the Dask cluster of its settings (``scheduler``, else a LocalCluster of ``jobs``
    workers). The profile of each path is decided here, as a local run decides it; workers
    open local paths as absolute paths (their working directory is not ours), URLs as given."""
    from ..tools.dask_executor import DaskError, judge_job, run_on_dask

    settings = project.settings
    items = [(path, path if is_url(path) else os.path.abspath(path), project.profile_for(path))
             for path in files]
    try:
        yield from run_on_dask(judge_job, items, shared=settings, workers=settings.jobs,
                               scheduler=settings.scheduler)
    except DaskError as exc:
        raise CliError(str(exc)) from None
