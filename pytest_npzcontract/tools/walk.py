"""Which files ``npzcontract lint`` (and ``pytest --npz-lint``) check: the directory walk
(``include``/``exclude`` globs, ``.gitignore`` files, symlink policy) and ``--shard K/N``.

>>> files, skipped = collect_files(["data"], load_settings())
>>> mine = shard_files(files, Shard.parse("2/4"), root=".")
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..base.echo import shown
from ..contract.config import Settings
from ..io.remote import is_url

#: Directories never descended into when walking (version control, environments, caches).
PRUNED = frozenset({".git", ".hg", ".svn", ".tox", ".nox", ".venv", "venv", "node_modules",
                    "__pycache__", "site-packages", ".pytest_cache", ".mypy_cache",
                    ".npzcontract_cache"})


@dataclass(frozen=True)
class Skipped:
    """A path found while walking a directory but not checked, and why (e.g. a symlink)."""

    path: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {"path": self.path, "reason": self.reason}


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` (1-based) of ``count``: ``Shard.parse("2/4")``."""

    index: int
    count: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        """``"K/N"`` with 1 <= K <= N; raises ``ValueError`` naming the problem."""
        k, sep, n = text.partition("/")
        if not sep or not k.strip().isdigit() or not n.strip().isdigit():
            raise ValueError(f"--shard: expected K/N such as 1/4, not {shown(text)}")
        shard = cls(int(k), int(n))
        if not 1 <= shard.index <= shard.count:
            raise ValueError(f"--shard: K must be between 1 and N, not {shown(text)}")
        return shard

    def owns(self, relative: str) -> bool:
        """Whether this shard checks the file at ``relative`` (POSIX path from the root).

        The owner depends on that path alone (a hash of it modulo N), so adding or removing
        other files never moves a file to another shard, and every file has exactly one owner.
        """
        import hashlib

        digest = hashlib.sha256(relative.encode("utf-8", "surrogateescape")).digest()
        return int.from_bytes(digest[:8], "big") % self.count == self.index - 1

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def shard_files(files: Sequence[str], shard: Shard | None, settings: Settings) -> list[str]:
    """The files of ``files`` that ``shard`` owns (all of them when ``shard`` is None)."""
    if shard is None:
        return list(files)
    return [f for f in files if shard.owns(f if is_url(f) else settings.relative(f))]


def collect_files(paths: Sequence[str], settings: Settings) -> tuple[list[str], list[Skipped]]:
    """Files to check, in a stable order, and the paths skipped while walking directories.

    Named files are always checked (unless excluded). Directories are walked without following
    symlinks; a symlink whose target lies outside the walked directory, or no longer exists, is
    reported as skipped. With ``respect_gitignore`` (the default), files and directories that
    ``.gitignore`` files ignore are not entered or checked. Each real file is checked once.
    """
    files: list[str] = []
    skipped: list[Skipped] = []
    seen: set[str] = set()

    def add(path: str, real: str | None = None) -> None:
        real = os.path.realpath(path) if real is None else real
        if real not in seen:
            seen.add(real)
            files.append(path)

    for path in paths:
        if is_url(path):  # remote files are named one by one, never walked
            if path not in seen:
                seen.add(path)
                files.append(path)
            continue
        path = os.path.normpath(path)
        if not os.path.isdir(path):
            if not settings.excludes(path):
                add(path)
            continue
        tree = os.path.realpath(path)
        ignores = GitIgnores(path) if settings.respect_gitignore else None
        # (directory as shown, the same directory's real path); walked directories are never
        # symlinks, so a plain file's real path is its directory's plus its name: no system
        # call per file (the directory entries say which names are links).
        pending = [(path, tree)]
        while pending:
            directory, real_dir = pending.pop()
            if ignores is not None:
                ignores.enter(directory)
            subdirs, names = _entries(directory)
            kept = []
            for name, is_link in subdirs:
                full = os.path.normpath(os.path.join(directory, name))
                if name in PRUNED or settings.excludes(full):
                    continue
                if ignores is not None and ignores.ignored(full, is_dir=True):
                    continue
                if is_link:
                    problem = _link_problem(full, tree, path)
                    if problem:
                        skipped.append(Skipped(full, problem))
                    continue
                kept.append((full, os.path.join(real_dir, name)))
            pending.extend(reversed(kept))  # depth first, in name order, as os.walk
            for name, is_link in names:
                full = os.path.normpath(os.path.join(directory, name))
                if not settings.selects(full, walked=True):
                    continue
                if ignores is not None and ignores.ignored(full, is_dir=False):
                    continue
                problem = _link_problem(full, tree, path) if is_link else None
                if problem:
                    skipped.append(Skipped(full, problem))
                else:
                    add(full, None if is_link else os.path.join(real_dir, name))
    return files, skipped


class GitIgnores:
    """The ``.gitignore`` files that apply inside one walked tree, read with :mod:`pathspec`.

    Those of the tree's parent directories up to the repository root (the nearest directory
    holding ``.git``) apply too, after the repository's ``.git/info/exclude``; deeper files are read as the walk enters their directory.
    A pattern is relative to the directory of the ``.gitignore`` holding it, as in git.
    """

    def __init__(self, tree: str) -> None:
        self.specs: list[tuple[str, Any]] = []
        top = os.path.abspath(tree)
        parents = _parents_in_repository(top)
        root = parents[-1] if parents else top
        if os.path.isdir(os.path.join(root, ".git")):  # the repository's own exclude file
            self._read(root, os.path.join(root, ".git", "info", "exclude"))
        for parent in reversed(parents):
            self._read(parent)

    def enter(self, directory: str) -> None:
        """Read ``directory/.gitignore`` if present (call for each directory walked)."""
        self._read(os.path.abspath(directory))

    def ignored(self, path: str, *, is_dir: bool) -> bool:
        """Whether the last matching ``.gitignore`` pattern (deepest file last) ignores it."""
        absolute = os.path.abspath(path)
        verdict = False
        for base, spec in self.specs:
            if not (absolute + os.sep).startswith(base + os.sep):
                continue
            rest = absolute[len(base):].lstrip(os.sep) if absolute != base else "."
            relative = (rest if os.sep == "/" else Path(rest).as_posix()) + ("/" if is_dir else "")
            result = spec.check_file(relative)
            if result.include is not None:
                verdict = result.include
        return verdict

    def ignored_with_parents(self, path: str) -> bool:
        """Whether ``path`` (a file) or a directory above it, up to the repository root, is
        ignored (for files met one at a time, e.g. by pytest's collection)."""
        absolute = os.path.abspath(path)
        directory = os.path.dirname(absolute)
        while directory != os.path.dirname(directory):
            if os.path.exists(os.path.join(directory, ".git")):
                break
            if self.ignored(directory, is_dir=True):
                return True
            directory = os.path.dirname(directory)
        return self.ignored(absolute, is_dir=False)

    def _read(self, directory: str, candidate: str | None = None) -> None:
        candidate = candidate or os.path.join(directory, ".gitignore")
        if not os.path.isfile(candidate):
            return
        from pathspec import GitIgnoreSpec

        try:
            with open(candidate, encoding="utf-8", errors="surrogateescape") as fh:
                self.specs.append((directory, GitIgnoreSpec.from_lines(fh.read().splitlines())))
        except OSError:  # an unreadable .gitignore ignores nothing
            return


def _parents_in_repository(top: str) -> list[str]:
    """Directories above ``top`` up to its repository root, nearest first (none when ``top``
    is the root or lies outside any git work tree)."""
    parents: list[str] = []
    directory = top
    while not os.path.exists(os.path.join(directory, ".git")):
        parent = os.path.dirname(directory)
        if parent == directory:
            return []
        parents.append(parent)
        directory = parent
    return parents


def _entries(directory: str) -> tuple[list[tuple[str, bool]], list[tuple[str, bool]]]:
    """(name, is a symlink) of the subdirectories and of the other entries of ``directory``,
    each sorted by name; a symlink to a directory counts as a subdirectory (os.walk's rule).
    An unreadable directory has no entries (as os.walk skips it)."""
    dirs, others = [], []
    try:
        with os.scandir(directory) as it:
            for entry in it:
                try:
                    is_dir = entry.is_dir()
                    is_link = entry.is_symlink()
                except OSError:
                    is_dir, is_link = False, False
                (dirs if is_dir else others).append((entry.name, is_link))
    except OSError:
        return [], []
    return sorted(dirs), sorted(others)


def _link_problem(link: str, tree: str, shown_tree: str) -> str | None:
    """Why a symlink found in ``tree`` is not followed (None: its target is inside)."""
    target = os.path.realpath(link)
    if not os.path.exists(target):
        return f"broken symlink (target {os.readlink(link)} does not exist)"
    if os.path.commonpath([tree, target]) != tree:
        return f"symlink to {target}, outside {shown_tree}; not followed"
    return None
