"""The lint cache: a file's report is reused while the file and everything that decides its
verdict are unchanged (as ruff and mypy cache their results).

An entry's key hashes the file's identity (``metadata`` strategy: real path, size, mtime and
inode; ``content`` strategy: a SHA-256 of its bytes, for CI checkouts where every mtime is new)
together with the check options (mode, profile, values, expect, rule levels, limits, rtol), the
``contract`` table, the package version and a fingerprint of the package's own files. Entries
are single JSON files written to a temporary name and renamed into place, so concurrent runs
never see half an entry; an entry that cannot be read is a miss and is rewritten. A report is
stored only when the file did not change while it was being checked.

A lookup costs one ``stat`` of the file, one hash and one small read, and needs only ``os``,
``hashlib`` and ``json`` (no NumPy, no checker): an entry's first line holds the key, profile
and findings (all a lint run prints), its second line the arrays' headers and the metadata,
decoded only if something asks for them. Old entries are pruned (``tools/cache_prune.py``).

>>> cache = LintCache.open(settings)                 # None when caching is off
>>> hit = cache.lookup("data/train.npz")             # a Report, or None
>>> cache.store("data/train.npz", check_file("data/train.npz", **options))
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from pathlib import Path
from typing import Any

from ..base.report import Finding, Report
from ..contract.config import Settings

#: Bump when the entry layout changes; older entries are then simply never looked up (and
#: pruned). 2: two lines, the findings apart from the headers and metadata.
FORMAT = 2
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
        self._entries = os.fspath(self.entries)
        self.salt = _salt(settings)
        self._salted = hashlib.sha256(self.salt)  # copied per key: the salt is hashed once
        self.hits = 0
        self.stored = 0
        self.problem: str | None = None
        self.max_size, self.max_age = settings.cache_max_size, settings.cache_max_age
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
            with open(self._entry(key), "rb") as fh:
                head, _, rest = fh.read().partition(b"\n")
            stored_key, profile, encoding, findings = json.loads(head)
            report = (_CachedReport(path, [Finding(**{"file": path, **item}) for item in findings],
                                    profile, encoding, rest)
                      if stored_key == key and rest else None)
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
            text = _entry_text(key, report)
            if self.stored == 0:
                self._prune_if_due()
            self._write(self._entry(key), text)
            self.stored += 1
        except (OSError, TypeError, ValueError) as exc:
            if isinstance(exc, OSError):
                self.problem = f"cannot write the cache in {self.directory} ({exc.strerror or exc})"

    def _key(self, path: str, context: str) -> tuple[str, tuple[int, ...]]:
        st = os.stat(path)  # the one system call a cached file costs
        stat = _stat_identity(st)
        if self.strategy == "content":
            identity = ["content", _file_digest(path)]
        else:
            # size, mtime, inode and device identify the file; the absolute path (not the
            # real path, which costs a system call per directory) keeps names apart
            identity = ["metadata", os.path.abspath(path), *stat]
        digest = self._salted.copy()
        # NUL cannot occur in a path, so the fields cannot run into each other
        digest.update("\0".join(map(str, [*identity, context])).encode("utf-8",
                                                                     "surrogateescape"))
        return digest.hexdigest(), stat

    def _prune_if_due(self) -> None:
        """The first store of a process prunes the cache when the last prune is over
        ``PRUNE_INTERVAL`` old (see ``tools/cache_prune.py``); a cached run never does."""
        from .cache_prune import prune, prune_due

        if self.directory.is_dir() and prune_due(self.directory):
            prune(self.directory, max_size=self.max_size, max_age=self.max_age,
                  current_format=FORMAT)

    def _entry(self, key: str) -> str:
        # string joins, not pathlib: it runs once per file of a cached run
        return os.path.join(self._entries, key[:2], key + ".json")

    def _write(self, target: str, text: str) -> None:
        if not self.directory.is_dir():
            self.directory.mkdir(parents=True, exist_ok=True)
        for name, content in ((".gitignore", _GITIGNORE), ("CACHEDIR.TAG", _TAG),
                              (".pruned", "")):  # a new cache counts as just pruned
            if not (self.directory / name).exists():
                _atomic_write(self.directory / name, content)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        _atomic_write(Path(target), text)


def _atomic_write(target: Path, text: str) -> None:
    """Write ``text`` through the one write helper (io/atomic.py); the cache can always be
    rebuilt, so it is rename-atomic but not fsynced (the documented fsync policy)."""
    from ..io.atomic import atomic_write

    with atomic_write(target, durable=False) as staged:
        staged.file.write(text.encode("utf-8"))


def _stat_identity(st: os.stat_result) -> tuple[int, ...]:
    return (st.st_size, st.st_mtime_ns, st.st_ino, st.st_dev)


def _file_digest(path: str) -> str:
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


def _entry_text(key: str, report: Report) -> str:
    """Line 1: key, profile, metadata encoding, findings (the file's path left out: it is
    re-stamped with the path of the run that reads the entry). Line 2: headers, metadata."""
    findings = []
    for f in report.findings:
        item = f.to_dict()
        if item["file"] == report.file:
            del item["file"]
        findings.append(item)
    head = json.dumps([key, report.profile, report.metadata_encoding, findings],
                      allow_nan=True, separators=(",", ":"))
    rest = json.dumps({"keys": report.keys, "metadata": report.metadata}, allow_nan=True)
    return f"{head}\n{rest}\n"


class _CachedReport(Report):
    """A report read from the cache: ``keys`` and ``metadata`` (line 2 of the entry) are
    decoded the first time something asks for them; a lint run never does."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if len(args) == 5 and not kwargs:  # from lookup: path, findings, profile, encoding, rest
            path, findings, profile, encoding, rest = args
            self._rest, self._lazy = rest, None
            self.file, self.findings, self.profile = path, findings, profile
            self.metadata_encoding, self.transfer = encoding, None
            self.baselined, self.ignored = [], []  # applied after the lookup, never cached
            return
        self._rest, self._lazy = b"", {}  # dataclasses.replace() and the like: a plain report
        super().__init__(*args, **kwargs)

    def _decoded(self) -> dict[str, Any]:
        if self._lazy is None:
            try:
                data = json.loads(self._rest)
                self._lazy = {"keys": dict(data["keys"]), "metadata": data["metadata"]}
            except (ValueError, KeyError, TypeError):
                self._lazy = {"keys": {}, "metadata": None}
        return self._lazy

    keys = property(lambda self: self._decoded().setdefault("keys", {}),
                    lambda self, value: self._decoded().__setitem__("keys", value))
    metadata = property(lambda self: self._decoded().get("metadata"),
                        lambda self, value: self._decoded().__setitem__("metadata", value))
