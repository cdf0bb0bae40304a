"""One way to judge a file under a project: ``[tool.npzcontract]`` plus the caller's options.

Every surface (``npzcontract lint``, ``pytest --npz-lint``, ``npz_check`` and the assertions,
``show``, ``split``, ``merge``, ``migrate``, the write audit, the GitHub action and the
pre-commit hook) builds a :class:`Project` and asks it for a verdict, so one file gets one
verdict whichever way it is checked: the same profile for its path (per-path globs, else the
named profile, else the file's scaling pair, else canonical), the same rule levels, limits and
expected parameters, and the same lint cache, keyed on everything that decided the report::

    >>> project = Project.load()                        # searched upward from the cwd
    >>> project.judge("datasets/raw/scan1.npz").profile
    'raw'
    >>> project.judge("out.npz", mode="warn").ok        # a caller's mode wins over the config's
    True
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from ..contract.config import Settings, load_settings

if TYPE_CHECKING:
    from ..base.report import Report
    from ..contract.keys import Contract
    from .baseline import Baseline
    from .cache import LintCache

Progress = Callable[[int], None]


class Project:
    """The settings a project's files are judged under, with the lint cache if it is on.

    ``settings`` is a :class:`~pytest_npzcontract.contract.config.Settings` (the file's table
    with options applied); ``use_cache``: ``None`` follows ``--cache``-less defaults
    (``cache`` setting, ``NPZCONTRACT_NO_CACHE``), ``True``/``False`` force it.
    """

    def __init__(self, settings: Settings | None = None, *, use_cache: bool | None = False
                 ) -> None:
        import dataclasses

        from .cache import cache_wanted

        settings = settings if settings is not None else Settings()
        wanted = cache_wanted(settings, use_cache)
        self.settings = settings if wanted == settings.cache else dataclasses.replace(
            settings, cache=wanted)
        self._cache: LintCache | None = None
        self._baseline: Baseline | None | bool = False  # False: not loaded yet

    @classmethod
    def load(cls, config: str | os.PathLike | None = None, *, search: bool = True,
             cwd: str | os.PathLike | None = None, use_cache: bool | None = False,
             **options: Any) -> Project:
        """The project whose ``[tool.npzcontract]`` is ``config`` or the nearest one found
        upward from ``cwd``, with ``options`` (``None`` = not given) applied as CLI options
        apply. Raises :class:`~pytest_npzcontract.contract.config.ConfigError`."""
        settings = load_settings(config, search=search, cwd=cwd).override(**options)
        return cls(settings, use_cache=use_cache)

    # -- what applies to a path -------------------------------------------------------------

    @property
    def cache(self) -> LintCache | None:
        """The lint cache (opened on first use), or ``None`` when caching is off."""
        if self._cache is None and self.settings.cache:
            from .cache import LintCache

            self._cache = LintCache.open(self.settings)
        return self._cache

    @property
    def baseline(self) -> Baseline | None:
        """The configured baseline (read on first use), or ``None``. Raises
        :class:`~pytest_npzcontract.tools.baseline.BaselineError` for an unreadable one."""
        if self._baseline is False:
            from .baseline import open_baseline

            self._baseline = open_baseline(self.settings)
        return self._baseline  # type: ignore[return-value]

    def known(self, report: Report) -> Report:
        """``report`` with ``per-file-ignores`` and the baseline applied: ignored findings
        move to ``report.ignored``, known ones to ``report.baselined`` (neither fails)."""
        from .baseline import suppress

        return suppress(report, self.settings, self.baseline)

    def profile_for(self, path: str | os.PathLike | None) -> str | None:
        """The profile named for ``path`` (per-path glob, else ``profile``); ``None`` lets
        the file's scaling pair choose, else canonical. ``None`` path: the project default."""
        return self.settings.profile if path is None else self.settings.profile_for(path)

    def contract_for(self, path: str | os.PathLike | None, metadata: Mapping | None = None
                     ) -> Contract:
        """The contract a file at ``path`` with ``metadata`` is judged against (what the
        checker would select): for writers that must name their target before writing."""
        from ..contract.profiles import profile_from_scale, resolve_profile
        from ..metadata.parameters import scale_pair

        registry = self.settings.registry()
        name = self.profile_for(path)
        if name is None and metadata is not None:
            name, _ = profile_from_scale(scale_pair(metadata))
        return resolve_profile(name or "canonical", registry)

    def options(self, path: str | os.PathLike | None = None, *, mode: Any = None,
                values: bool | None = None, config: Any = None, profile: Any = None,
                rule_levels: Mapping[str, str] | None = None, **extra: Any) -> dict[str, Any]:
        """The complete keyword arguments of ``check_file``/``check_arrays`` for ``path``.

        Each argument given (not ``None``) wins over the project's: ``mode``, ``values``,
        ``config`` (the parameters to expect; default the configured ``expect``), ``profile``
        (a name or contract; default the per-path profile) and ``rule_levels`` (merged over
        the configured levels). ``extra`` (``contract``, ``rtol``, ``limits``, ...) is passed
        through.
        """
        options = self.settings.check_options()
        if mode is not None:
            options["mode"] = mode
        if values is not None:
            options["values"] = values
        if config is not None:
            options["config"] = config
        if rule_levels:
            options["rule_levels"] = {**options["rule_levels"], **rule_levels}
        options["profile"] = profile if profile is not None else self.profile_for(path)
        options.update({k: v for k, v in extra.items() if v is not None})
        return options

    # -- verdicts ---------------------------------------------------------------------------

    def judge(self, path: str | os.PathLike, *, cache: bool = True,
              on_progress: Progress | None = None, known: bool = True,
              **overrides: Any) -> Report:
        """The report for the file at ``path`` under the project's settings and ``overrides``
        (as :meth:`options`), served from the cache when the file and everything that decides
        its verdict are unchanged (``cache=False`` never reads nor writes it). With ``known``
        (the default), ``per-file-ignores`` and the baseline are applied (:meth:`known`);
        ``lint`` applies them itself to the whole run, to report stale baseline entries."""
        from ..contract.checker import check_file

        fspath = os.fspath(path)
        options = self.options(fspath, **overrides)
        store = self.cache if cache else None
        context = cache_context(options)
        if store is not None:
            found = store.lookup(fspath, context)
            if found is not None:
                return self.known(found) if known else found
        report = check_file(fspath, on_progress=on_progress, **options)
        if store is not None:
            store.store(fspath, report, context)
        return self.known(report) if known else report

    def judge_arrays(self, arrays: Mapping[str, Any], metadata: Mapping | None = None, *,
                     path: str | os.PathLike | None = None, name: str | None = None,
                     **overrides: Any) -> Report:
        """The report for arrays about to be written to ``path``: judged as that file would
        be (its per-path profile) before anything is written."""
        from ..contract.checker import check_arrays

        options = self.options(path, **overrides)
        label = name if name is not None else (os.fspath(path) if path is not None else None)
        return check_arrays(arrays, metadata, name=label, **options)


def cache_context(options: Mapping[str, Any]) -> str:
    """What a cache key needs beyond the run's settings: the per-call options that differ
    between surfaces (mode, values, expected parameters, the profile or contract applied)."""
    import json

    profile = options.get("profile")
    contract = options.get("contract")
    applied = {"mode": str(getattr(options.get("mode"), "value", options.get("mode"))),
               "values": bool(options.get("values", True)),
               "config": _plain(options.get("config")),
               "rule_levels": dict(options.get("rule_levels") or {}),
               "profile": profile if isinstance(profile, (str, type(None))) else repr(profile),
               "contract": None if contract is None else repr(contract)}
    return json.dumps(applied, sort_keys=True, default=repr)


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    return repr(value)
