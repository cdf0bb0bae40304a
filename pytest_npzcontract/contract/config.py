"""Linter configuration: ``[tool.npzcontract]`` in ``pyproject.toml``, overridden by CLI options.

The nearest ``pyproject.toml`` holding a ``[tool.npzcontract]`` table, searching upward from the
working directory, is used unless a file is named explicitly. Every key and value is checked;
an unknown key is an error that names it::

    [tool.npzcontract]
    mode = "warn"
    exclude = ["data/scratch/**"]
    expect = { nphotons = 1e6, N = 64 }

    [tool.npzcontract.rules]
    not-normalized = "off"

    [tool.npzcontract.profiles]            # per-path profiles; the last matching glob wins
    "data/raw/**" = "raw"
    "data/train/**" = "fly64"

    [tool.npzcontract.custom-profiles.fly64]
    extends = "train"
    require = ["scan_index"]

>>> settings = load_settings()                     # search upward from the cwd
>>> settings = settings.override(mode="strict")    # what a CLI option does
"""

from __future__ import annotations

import dataclasses
import functools
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from ..base.echo import shown
from ..base.limits import DEFAULT_LIMITS, Limits
from ..base.modes import ValidationMode
from .config_values import (  # noqa: F401 (ConfigError, TABLE, EXPECT_KEYS are public here)
    _CHECKS,
    _KEYS,
    CACHE_STRATEGIES,
    EXPECT_KEYS,
    TABLE,
    ConfigError,
    _plain,
    _unknown,
)

_OPTION_NAMES = {"rules": "--rule", "nphotons_factor": "--nphotons-factor",
                 "cache_max_size": "--max-size", "cache_max_age": "--max-age"}
_FIELDS = {"custom-profiles": "custom_profiles", "per-file-ignores": "per_file_ignores"}

@dataclass(frozen=True)
class Settings:
    """Everything ``npzcontract lint`` needs besides the paths. Immutable; see :meth:`override`.

    ``root`` is the directory include/exclude globs are relative to (the configuration file's
    directory, else the working directory); ``source`` is the file read, if any.
    ``profile`` is ``None`` unless named: then each file's scaling pair, else canonical, decides.
    ``profiles`` maps globs to profile names (the last matching glob wins);
    ``custom_profiles`` holds ``[tool.npzcontract.custom-profiles.NAME]`` tables.
    """

    mode: str = ValidationMode.STRICT.value
    profile: str | None = None
    profiles: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    custom_profiles: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    include: tuple[str, ...] = ("*.npz",)
    exclude: tuple[str, ...] = ()
    values: bool = True
    expect: Mapping[str, float | int] = field(default_factory=lambda: MappingProxyType({}))
    rules: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    contract: Mapping[str, Any] | None = None
    limits: Limits = DEFAULT_LIMITS
    jobs: int = 1
    rtol: float = 1e-6
    respect_gitignore: bool = True
    cache: bool = True
    cache_dir: str = ".npzcontract_cache"
    cache_strategy: str = "metadata"
    #: The lint cache is pruned to this many bytes (oldest entries first) and of entries
    #: older than this many days, after runs that stored entries (tools/cache_prune.py).
    cache_max_size: int = 256 << 20
    cache_max_age: float = 30.0
    #: How far recorded nphotons and the data's dose estimate may be apart (nphotons-inconsistent).
    nphotons_factor: float = 2.0
    #: A run that matches no file fails (exit 1) instead of passing with a warning.
    require_files: bool = False
    #: The baseline file (relative to :attr:`root`): findings it records do not fail.
    baseline: str | None = None
    #: ``per-file-ignores``: globs to the rule ids dropped for the files they match.
    per_file_ignores: Mapping[str, tuple[str, ...]] = field(
        default_factory=lambda: MappingProxyType({}))
    #: ``local`` (``jobs`` processes here) or ``dask`` (a Dask cluster: ``scheduler``, else a
    #: LocalCluster of ``jobs`` workers). How a run executes, never what it finds: neither is
    #: echoed by :meth:`to_dict`, so a Dask run's JSON report equals the local one.
    executor: str = "local"
    scheduler: str | None = None
    root: Path = field(default_factory=Path.cwd)
    source: Path | None = None

    def override(self, **options: Any) -> Settings:
        """A copy with the given options (``None`` means "not given") validated and applied.

        ``rules`` is merged over the configured levels; every other option replaces its value.
        A ``profile`` option applies to every file: the per-path ``profiles`` table is dropped.
        """
        given = {k: v for k, v in options.items() if v is not None}
        unknown = sorted(set(given) - set(_KEYS))
        if unknown:
            raise ConfigError(f"unknown option(s) {', '.join(unknown)}")
        if "rules" in given:
            given["rules"] = {**self.rules, **given["rules"]}
        checked = _validate(given, origin="option")
        if "profile" in checked and "profiles" not in checked:
            checked["profiles"] = MappingProxyType({})
        updated = dataclasses.replace(self, **checked)
        _check_profile_names(updated, "--profile")
        return updated

    def __reduce__(self) -> tuple[Any, tuple[dict[str, Any]]]:
        # Picklable for spawned worker processes (a mappingproxy is not).
        state = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        return _rebuild, ({k: dict(v) if isinstance(v, MappingProxyType) else v
                           for k, v in state.items()},)

    def to_dict(self) -> dict[str, Any]:
        """The settings as plain JSON-able data (for ``--format json``)."""
        return {"mode": self.mode, "profile": self.profile, "profiles": dict(self.profiles),
                "custom-profiles": sorted(self.custom_profiles), "include": list(self.include),
                "exclude": list(self.exclude), "values": self.values,
                "expect": dict(self.expect), "rules": dict(self.rules),
                "contract": _plain(self.contract), "jobs": self.jobs, "rtol": self.rtol,
                "respect_gitignore": self.respect_gitignore, "cache": self.cache,
                "cache_dir": self.cache_dir, "cache_strategy": self.cache_strategy,
                "cache_max_size": self.cache_max_size, "cache_max_age": self.cache_max_age,
                "nphotons_factor": self.nphotons_factor,
                **({"baseline": self.baseline} if self.baseline else {}),
                **({"per-file-ignores": {k: list(v) for k, v in self.per_file_ignores.items()}}
                   if self.per_file_ignores else {}),
                "config": os.fspath(self.source) if self.source else None}

    def selects(self, path: str | os.PathLike, *, walked: bool = False) -> bool:
        """Whether a file found in a directory walk is checked: it matches an ``include``
        glob and no ``exclude`` glob (a directory matching ``exclude`` excludes its files).
        ``walked``: the walk already refused every excluded parent directory, so only the
        file itself is matched against ``exclude``."""
        rel = self.relative(path)
        if not path_matches(self.include, rel):
            return False
        if walked:
            return not (self.exclude and path_matches(self.exclude, rel))
        return not self._excluded(rel)

    def excludes(self, path: str | os.PathLike) -> bool:
        """Whether ``path`` (file or directory) or one of its parents matches ``exclude``."""
        return self._excluded(self.relative(path))

    def _excluded(self, rel: str) -> bool:
        if not self.exclude:
            return False
        parts = rel.split("/")
        return any(path_matches(self.exclude, "/".join(parts[: i + 1]))
                   for i in range(len(parts)))

    def relative(self, path: str | os.PathLike) -> str:
        """``path`` relative to :attr:`root` in POSIX form (absolute when outside it).
        String operations only (no ``pathlib``, no system call): it runs for every file of a
        walk."""
        absolute = os.path.abspath(path)
        root = self._resolved_root
        if absolute == root:
            rel = "."
        elif absolute.startswith(root if root.endswith(os.sep) else root + os.sep):
            rel = absolute[len(root):].lstrip(os.sep)
        else:
            rel = absolute
        return rel if os.sep == "/" else Path(rel).as_posix()

    @functools.cached_property
    def _resolved_root(self) -> str:
        return os.fspath(self.root.resolve())

    def cache_path(self) -> Path:
        """The lint cache directory: ``cache_dir`` relative to :attr:`root` (or absolute)."""
        return self.root / os.path.expanduser(self.cache_dir)

    def check_options(self) -> dict[str, Any]:
        """Picklable keyword arguments for ``check_file``, except the per-file ``profile``
        (:meth:`profile_for`); ``profiles`` is the registry of :meth:`registry`."""
        return {"mode": self.mode, "values": self.values,
                "config": dict(self.expect) or None, "profiles": self.registry(),
                "rule_levels": dict(self.rules), "limits": self.limits, "rtol": self.rtol,
                "nphotons_factor": self.nphotons_factor}

    def profile_for(self, path: str | os.PathLike) -> str | None:
        """The profile named for ``path``: the last matching ``profiles`` glob, else
        ``profile``; ``None`` lets the file's scaling pair (else canonical) decide."""
        rel = self.relative(path)
        chosen = self.profile
        for pattern, profile in self.profiles.items():
            if path_matches((pattern,), rel):
                chosen = profile
        return chosen

    def ignored_rules(self, path: str | os.PathLike) -> set[str]:
        """The rule ids ``per-file-ignores`` drops for ``path`` (every matching glob counts)."""
        if not self.per_file_ignores:
            return set()
        rel = self.relative(path)
        return {rule for pattern, rules in self.per_file_ignores.items()
                if path_matches((pattern,), rel) for rule in rules}

    def baseline_path(self) -> Path | None:
        """The baseline file, relative to :attr:`root` (``None``: no baseline)."""
        return self.root / os.path.expanduser(self.baseline) if self.baseline else None

    def registry(self) -> dict[str, Any]:
        """Every profile by name (built-in, then custom), each extended by ``contract``
        (built once per settings object: it is asked for every file)."""
        return dict(self._registry)

    @functools.cached_property
    def _registry(self) -> dict[str, Any]:
        return _registry(self.custom_profiles, self.contract)

    def build_contract(self, path: str | os.PathLike | None = None) -> Any:
        """The contract in force (for ``path``, if given): the named profile, else canonical,
        extended by the ``contract`` table if any."""
        name = self.profile_for(path) if path is not None else self.profile
        return self.registry()[name or "canonical"]


def _rebuild(state: dict[str, Any]) -> Settings:
    return Settings(**{k: MappingProxyType(v) if isinstance(v, dict) and k != "contract" else v
                       for k, v in state.items()})


def find_config(start: str | os.PathLike | None = None) -> Path | None:
    """The nearest ``pyproject.toml`` with a ``[tool.npzcontract]`` table at or above ``start``."""
    here = Path(start or Path.cwd()).resolve()
    for directory in (here, *here.parents):
        candidate = directory / "pyproject.toml"
        if candidate.is_file() and _table(_read_toml(candidate)) is not None:
            return candidate
    return None


def load_settings(config: str | os.PathLike | None = None, *, search: bool = True,
                  cwd: str | os.PathLike | None = None) -> Settings:
    """Settings from ``config`` (a TOML file), else from the nearest one found upward from
    ``cwd``; defaults when ``search`` is false or nothing is found. Raises :class:`ConfigError`.
    """
    base = Path(cwd or Path.cwd()).resolve()
    if config is not None:
        path = (base / config).resolve()
        if not path.is_file():
            raise ConfigError(f"{config}: configuration file not found")
        table = _table(_read_toml(path))
        if table is None:
            raise ConfigError(f"{config}: no [{TABLE}] table in this file")
    else:
        path = find_config(base) if search else None
        if path is None:
            return Settings(root=base)
        table = _table(_read_toml(path))
    try:
        checked = _validate(table, origin="config")
        settings = Settings(**checked, root=path.parent, source=path)
        _check_profile_names(settings, f"[{TABLE}] profile")
    except ConfigError as exc:
        raise ConfigError(f"{_shown(path, base)}: {exc}") from None
    return settings


def _registry(custom: Mapping[str, Any], extension: Mapping[str, Any] | None) -> dict[str, Any]:
    from .profiles import PROFILES, derive_profile

    known: dict[str, Any] = dict(PROFILES)
    for name, spec in custom.items():
        known[name] = derive_profile(name, _plain(spec), known)
    if extension:
        known = {name: contract.extended(_plain(extension)) for name, contract in known.items()}
    return known


def _check_profile_names(settings: Settings, label: str) -> None:
    """Every profile named (``profile``, ``profiles`` values) must exist."""
    known = list(settings.registry())
    if settings.profile is not None and settings.profile not in known:
        raise ConfigError(f"{label}: unknown profile {shown(settings.profile)} "
                          f"(choose from {', '.join(known)})")
    for pattern, name in settings.profiles.items():
        if name not in known:
            raise ConfigError(f"[{TABLE}.profiles] {shown(pattern)}: unknown profile {shown(name)} "
                              f"(choose from {', '.join(known)})")


def path_matches(patterns: tuple[str, ...] | list[str], rel: str) -> bool:
    """Whether ``rel`` (POSIX, relative to the root) matches ``patterns``, read as one
    ``.gitignore`` file by :mod:`pathspec`: ``*`` and ``?`` stay within a path component,
    ``**`` spans several, a pattern without an inner ``/`` matches at any depth, a later
    ``!pattern`` re-includes. A leading ``./`` is dropped; an absolute pattern matches paths
    outside the root (which are given absolute). The one place globs are matched.

    >>> path_matches(("data/**/*.npz", "!**/scratch_*"), "data/a/x.npz")
    True
    """
    patterns = tuple(patterns)
    suffixes = _suffixes(patterns)
    if suffixes is not None:  # e.g. the default "*.npz": no need to load pathspec
        return any(part.endswith(suffixes) for part in rel.split("/"))
    return _spec(patterns).match_file(rel)


@functools.lru_cache(maxsize=256)
def _suffixes(patterns: tuple[str, ...]) -> tuple[str, ...] | None:
    """For patterns that are all ``*`` followed by a plain name ending (``*.npz``), the
    endings; else ``None``. Such a pattern has no ``/``, so as a ``.gitignore`` line it
    matches a path any of whose components ends so (a file, or a directory and everything
    under it): exactly the test :func:`path_matches` then makes."""
    ends = []
    for pattern in patterns:
        rest = pattern[1:]
        if not pattern.startswith("*") or not rest or rest != rest.strip() \
                or any(c in rest for c in "*?[]\\/!#"):
            return None
        ends.append(rest)
    return tuple(ends) if ends else None


@functools.lru_cache(maxsize=256)
def _spec(patterns: tuple[str, ...]) -> Any:
    from pathspec import GitIgnoreSpec

    return GitIgnoreSpec.from_lines(p[2:] if p.startswith("./") else p for p in patterns)


def _glob_match(pattern: str, rel: str, name: str = "") -> bool:
    """One pattern against ``rel`` (``name`` is unused; kept for callers of the old engine)."""
    return path_matches((pattern,), rel)


def parse_pairs(items: tuple[str, ...] | list[str], what: str) -> dict[str, str]:
    """``("nphotons=1e6 N=64", "gridsize=1")`` -> ``{"nphotons": "1e6", "N": "64", ...}``."""
    pairs: dict[str, str] = {}
    for item in items:
        for token in item.split():
            name, sep, value = token.partition("=")
            if not sep or not name or not value:
                raise ConfigError(f"{what}: expected NAME=VALUE, not {shown(token)}")
            pairs[name] = value
    return pairs


def _read_toml(path: Path) -> dict:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on Python 3.10 only
        import tomli as tomllib
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML ({exc})") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror or exc})") from None


def _table(document: dict) -> dict | None:
    tool = document.get("tool")
    table = tool.get("npzcontract") if isinstance(tool, dict) else None
    if table is not None and not isinstance(table, dict):
        raise ConfigError(f"[{TABLE}] must be a table")
    return table


def _shown(path: Path, base: Path) -> str:
    try:
        return os.fspath(path.relative_to(base))
    except ValueError:
        return os.fspath(path)


def _validate(raw: Mapping[str, Any], *, origin: str) -> dict[str, Any]:
    """Check and normalize raw values; names keys as ``[tool.npzcontract] key`` or ``--key``."""
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in _KEYS:
            raise _unknown(key, _KEYS, f"[{TABLE}]")
        label = f"[{TABLE}] {key}" if origin == "config" else _OPTION_NAMES.get(
            key, "--" + key.replace("_", "-"))
        out[_FIELDS.get(key, key)] = _CHECKS[key](value, label)
    return out
