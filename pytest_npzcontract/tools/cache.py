"""The lint cache: a file's report is reused while the file and everything that decides its
verdict are unchanged (as ruff and mypy cache their results).

An entry's key hashes the file's identity (``metadata`` strategy: real path, size, mtime and
inode; ``content`` strategy: a SHA-256 of its bytes, for CI checkouts where every mtime is new)
together with the check options (mode, profile, values, expect, rule levels, limits, rtol), the
``contract`` table, the package version and a fingerprint of the package's own files. Entries
are single JSON files written to a temporary name and renamed into place, so concurrent runs
never see half an entry; an entry that cannot be read is a miss and is rewritten. A report is
stored only when the file did not change while it was being checked.

>>> cache = LintCache.open(settings)                 # None when caching is off
>>> hit = cache.lookup("data/train.npz")             # a Report, or None
>>> cache.store("data/train.npz", check_file("data/train.npz", **options))
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Any

from ..base.report import Finding, Report
from ..contract.config import Settings

#: Bump when the entry layout changes; older entries are then simply never looked up.
FORMAT = 1
#: Environment variable that turns the cache off (as ``--no-cache``) when set non-empty.
NO_CACHE_ENV = "NPZCONTRACT_NO_CACHE"
_GITIGNORE = "# Created by npzcontract: this directory is a cache, never commit it.\n*\n"
_TAG = ("Signature: 8a477f597d28d172789f06886806bc55\n"
        "# This file is a cache directory tag created by npzcontract.\n")
_CHUNK = 1 << 20


def cache_wanted(settings: Settings, option: bool | None) -> bool:
    """``--cache``/``--no-cache`` if given, else off when :data:`NO_CACHE_ENV` is set, else
    the ``cache`` setting (default on)."""
    if option is not None:
        return option
    if os.environ.get(NO_CACHE_ENV):
        return False
    return settings.cache


class LintCache:
    """Reports keyed by file identity plus the run's settings, under one directory."""

    def __init__(self, directory: Path, settings: Settings) -> None:
        self.directory = directory
        self.strategy = settings.cache_strategy
        self.entries = directory / f"v{FORMAT}"
        self.salt = _salt(settings)
        self.hits = 0
        self.problem: str | None = None
        self._identity: dict[tuple[str, str], tuple[str, Any]] = {}

    @classmethod
    def open(cls, settings: Settings) -> LintCache:
        """The cache for ``settings`` (its directory is created on the first store)."""
        return cls(settings.cache_path(), settings)

    def lookup(self, path: str, context: str = "") -> Report | None:
        """The stored report for ``path`` if the file and settings are unchanged, else None
        (and the file's identity is remembered for :meth:`store`). ``context`` names what
        else decided the verdict (the per-call options :func:`~.project.cache_context`
        gives: mode, profile applied, ...), so two surfaces never share an entry unless they
        asked the same question. Remote files (URLs) are never cached: their identity is not
        known without reading them."""
        if "://" in path:
            return None
        try:
            key, stat = self._key(path, context)
        except OSError:
            return None
        self._identity[(path, context)] = (key, stat)
        try:
            with open(self._entry(key), encoding="utf-8") as fh:
                entry = json.load(fh)
            report = _report_from(entry["report"], path) if entry.get("key") == key else None
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None  # missing or corrupt: a miss, rewritten by store()
        if report is not None:
            self.hits += 1
        return report

    def store(self, path: str, report: Report, context: str = "") -> None:
        """Remember ``report`` for ``path`` (asked with ``context``) unless the file changed
        since :meth:`lookup`."""
        known = self._identity.pop((path, context), None)
        if known is None or self.problem is not None:
            return
        key, stat = known
        try:
            if _stat_identity(os.stat(path)) != stat:
                return  # rewritten while being checked: its report may describe neither version
            text = json.dumps({"key": key, "report": _report_to(report)}, allow_nan=True)
            self._write(self._entry(key), text)
        except (OSError, TypeError, ValueError) as exc:
            if isinstance(exc, OSError):
                self.problem = f"cannot write the cache in {self.directory} ({exc.strerror or exc})"

    def _key(self, path: str, context: str) -> tuple[str, tuple[int, ...]]:
        import hashlib

        st = os.stat(path)
        stat = _stat_identity(st)
        if self.strategy == "content":
            identity = ["content", _file_digest(path)]
        else:
            identity = ["metadata", os.path.realpath(path), *stat]
        digest = hashlib.sha256(self.salt)
        digest.update(json.dumps([identity, context]).encode("utf-8", "surrogateescape"))
        return digest.hexdigest(), stat

    def _entry(self, key: str) -> Path:
        return self.entries / key[:2] / f"{key}.json"

    def _write(self, target: Path, text: str) -> None:
        if not self.directory.is_dir():
            self.directory.mkdir(parents=True, exist_ok=True)
        for name, content in ((".gitignore", _GITIGNORE), ("CACHEDIR.TAG", _TAG)):
            if not (self.directory / name).exists():
                _atomic_write(self.directory / name, content)
        target.parent.mkdir(parents=True, exist_ok=True)
        _atomic_write(target, text)


def _atomic_write(target: Path, text: str) -> None:
    """Write ``text`` to a temporary file beside ``target``, then rename it into place."""
    import tempfile

    fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=".json")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(temporary, target)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise


def _stat_identity(st: os.stat_result) -> tuple[int, ...]:
    return (st.st_size, st.st_mtime_ns, st.st_ino, st.st_dev)


def _file_digest(path: str) -> str:
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(_CHUNK):
            digest.update(block)
    return digest.hexdigest()


def _salt(settings: Settings) -> bytes:
    """Everything besides the file that decides a verdict, as bytes to prefix every key."""
    from .._version import version

    options = settings.check_options()
    options["limits"] = dataclasses.asdict(options["limits"])
    # Which profile checks a file depends on its path through these (Settings.profile_for).
    options["profile"], options["path_profiles"] = settings.profile, dict(settings.profiles)
    text = json.dumps({"format": FORMAT, "version": version, "code": _code_fingerprint(),
                       "options": options}, sort_keys=True, default=repr)
    return text.encode("utf-8", "surrogateescape")


def _code_fingerprint() -> list[Any]:
    """Size and mtime of the package's own files, so an edited (e.g. editable-installed)
    checker never serves reports computed by its previous code."""
    package = Path(__file__).resolve().parents[1]
    out: list[Any] = []
    for directory, dirnames, filenames in os.walk(package):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
        for name in sorted(filenames):
            if name.endswith((".py", ".json")):
                st = os.stat(os.path.join(directory, name))
                out.append([os.path.relpath(os.path.join(directory, name), package),
                            st.st_size, st.st_mtime_ns])
    return out


def _report_to(report: Report) -> dict[str, Any]:
    findings = []
    for f in report.findings:
        item = f.to_dict()
        if item["file"] == report.file:
            del item["file"]  # re-stamped with the path of the run that reads the entry
        findings.append(item)
    return {"findings": findings, "keys": report.keys, "metadata": report.metadata,
            "metadata_encoding": report.metadata_encoding, "profile": report.profile}


def _report_from(data: dict[str, Any], path: str) -> Report:
    findings = [Finding(**{"file": path, **item}) for item in data["findings"]]
    return Report(path, findings, dict(data["keys"]), data["metadata"], data["metadata_encoding"],
                  data.get("profile"))
