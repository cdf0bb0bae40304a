"""``pytest --npz-lint``: every selected ``.npz`` file pytest collects becomes one test item
that checks it against the data contract, as pytest-mypy and pytest-ruff collect files.

The plugin registers this module only when ``--npz-lint`` is given, so ordinary runs pay
nothing for it. Items judge their file through the project of the ``[tool.npzcontract]``
configuration found from the invocation directory (:class:`~pytest_npzcontract.tools.project.
Project`: include/exclude globs, ``.gitignore``, mode, per-path profiles, rules, contract,
...), exactly as ``npzcontract lint`` does and through the same lint cache. A failing item
shows the lint lines; warning findings are emitted as ``NpzContractWarning`` (the item
passes); the item's ``user_properties`` name the profile applied::

    $ pytest --npz-lint data/
    data/train.npz::npz-lint PASSED
    data/old.npz::npz-lint FAILED
    ...
    data/old.npz: [diff3d] error legacy-key: legacy key 'diff3d' (...)
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from ..base.report import Report

ITEM_NAME = "npz-lint"
_PROJECT = pytest.StashKey["Project"]()
_IGNORES = pytest.StashKey[dict]()


def pytest_configure(config: pytest.Config) -> None:
    from ..contract.config import ConfigError
    from ..tools.baseline import BaselineError
    from ..tools.project import Project

    try:
        project = Project.load(cwd=config.invocation_params.dir, use_cache=None)
        project.baseline  # noqa: B018 (read now: a bad baseline is a usage error, not N failures)
        config.stash[_PROJECT] = project
    except (ConfigError, BaselineError) as exc:
        raise pytest.UsageError(f"--npz-lint: {exc}") from None
    config.stash[_IGNORES] = {}
    config.addinivalue_line("markers", "npz_lint: an .npz file checked by --npz-lint")


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.File | None:
    config = parent.config
    settings = config.stash[_PROJECT].settings
    if not settings.selects(file_path):
        return None
    if settings.respect_gitignore and _gitignored(file_path, config.stash[_IGNORES]):
        return None
    return NpzLintFile.from_parent(parent, path=file_path)


def _gitignored(path: Path, memo: dict[str, Any]) -> bool:
    from ..tools.walk import GitIgnores

    directory = os.path.dirname(os.path.abspath(path))
    ignores = memo.get(directory)
    if ignores is None:
        ignores = memo[directory] = GitIgnores(directory)
        ignores.enter(directory)
    return ignores.ignored_with_parents(os.fspath(path))


class NpzLintError(Exception):
    """Raised by a lint item whose file has error findings; carries the report."""

    def __init__(self, report: Report, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.report = report


class NpzLintFile(pytest.File):
    """One ``.npz`` file: collects a single :class:`NpzLintItem`."""

    def collect(self) -> list[pytest.Item]:
        return [NpzLintItem.from_parent(self, name=ITEM_NAME)]


class NpzLintItem(pytest.Item):
    """Checks its file (or takes the report from the lint cache); fails on error findings."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.add_marker("npz_lint")
        self.cached = False
        #: The file's report once the item ran (what ``npzcontract lint`` gives the file).
        self.report: Report | None = None

    def runtest(self) -> None:
        report = self._report()
        self.report = report
        self.user_properties += [("npz_lint_cached", self.cached),
                                 ("npz_lint_profile", report.profile)]
        if not report.ok:
            raise NpzLintError(report, _lines(report))
        import warnings

        from ..base.errors import NpzContractWarning

        for finding in report.warnings:  # as npz_check: warnings show, the item passes
            warnings.warn(finding.line(with_hint=True), NpzContractWarning, stacklevel=1)

    def _report(self) -> Report:
        project = self.config.stash[_PROJECT]
        shown = _shown_path(self.path, self.config.invocation_params.dir)
        cache = project.cache
        hits = cache.hits if cache is not None else 0
        report = project.judge(os.fspath(self.path))
        self.cached = cache is not None and cache.hits > hits
        return _relabel(report, shown)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException],
                     style: Any = None) -> str:
        if isinstance(excinfo.value, NpzLintError):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"{ITEM_NAME}: {self.path.name}"


def _shown_path(path: Path, base: Path) -> str:
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        return os.fspath(path)


def _relabel(report: Report, shown: str) -> Report:
    """The report with its file named as the user sees it (relative to the invocation dir)."""
    from dataclasses import replace

    def named(findings: list) -> list:
        return [replace(f, file=shown) if f.file == report.file else f for f in findings]

    return replace(report, file=shown, findings=named(report.findings),
                   baselined=named(report.baselined), ignored=named(report.ignored))


def _lines(report: Report) -> list[str]:
    """The lint lines of errors and warnings, then one fix line per rule (as ``lint`` prints)."""
    from ..contract.rules import fix_lines

    shown = [f for f in report.findings if f.severity != "info"]
    return [f.line() for f in shown] + fix_lines(shown)
