"""``npzcontract init``'s proposal: which profile each folder of a data repository follows.

Every ``.npz`` file found is judged under every profile (structure, keys and metadata only:
no value scan, so this costs a few header reads per file). Files that share no key with any
profile (``not-a-dataset``: weights, loss tables, fixtures) are excluded; every other folder
gets the profile under which most of its files pass. Ties go to the profile the files'
scaling pairs name, then to the profile whose own keys the files use rather than stand-ins
(raw files keep ``diff3d``, which train only accepts in place of ``diffraction``), then to
fewer errors, then to the profile requiring more keys (the strictest that holds: a
training folder whose files also pass canonical gets train, so a new file without start
coordinates fails there), then canonical::

    proposal = propose(Path("."))
    print(proposal.toml())          # [tool.npzcontract] exclude + [tool.npzcontract.profiles]
    settings = proposal.settings()  # what lint would then use
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from ..contract.config import Settings
from .walk import collect_files

#: What goes into a new pyproject.toml beside the proposal, for a baseline.
BASELINE_NAME = "npzcontract-baseline.json"


@dataclass
class FolderChoice:
    """One folder's verdict: the chosen profile and how many files pass under each."""

    folder: str
    files: list[str]
    profile: str
    passing: dict[str, int]
    errors: dict[str, int]

    @property
    def glob(self) -> str:
        """The ``profiles`` glob for the folder's files (and those below it)."""
        return f"{self.folder}/**" if self.folder else "/*.npz"

    def line(self) -> str:
        others = ", ".join(f"{name} {n}" for name, n in self.passing.items()
                           if name != self.profile)
        return (f"{self.folder or '.'}: {self.profile} ({self.passing[self.profile]} of "
                f"{len(self.files)} pass; {others})")


@dataclass
class Proposal:
    """The folders' profiles and the non-datasets to exclude, for a tree at ``root``."""

    root: Path
    folders: list[FolderChoice] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)
    non_datasets: list[str] = field(default_factory=list)
    baseline: str | None = None

    @property
    def profiles(self) -> dict[str, str]:
        return {choice.glob: choice.profile for choice in self.folders}

    @property
    def files(self) -> list[str]:
        """Every dataset file judged (relative POSIX paths), folder by folder."""
        return [f for choice in self.folders for f in choice.files]

    def toml(self) -> str:
        """The ``[tool.npzcontract]`` tables, as TOML text."""
        lines = ["[tool.npzcontract]"]
        if self.excluded:
            lines.append(f"exclude = [{', '.join(_quote(p) for p in self.excluded)}]"
                         "  # not datasets (not-a-dataset)")
        if self.baseline:
            lines.append(f"baseline = {_quote(self.baseline)}")
        if self.folders:
            lines += ["", "[tool.npzcontract.profiles]  # the last matching glob wins"]
            lines += [f"{_quote(glob)} = {_quote(name)}" for glob, name in self.profiles.items()]
        return "\n".join(lines) + "\n"

    def settings(self, base: Settings | None = None) -> Settings:
        """``base`` (default: defaults at :attr:`root`) with the proposal applied."""
        base = base if base is not None else Settings(root=self.root)
        return base.override(profiles=self.profiles, exclude=tuple(self.excluded) or None,
                             baseline=self.baseline)


def propose(root: str | os.PathLike, *, settings: Settings | None = None,
            profiles: Sequence[str] | None = None) -> Proposal:
    """Walk ``root`` (``.gitignore`` respected) and propose a profile per folder.

    ``settings`` gives the mode, limits and custom profiles to judge with (default: defaults
    at ``root``); ``profiles`` the candidates (default: every profile of the registry).
    """
    from ..contract.checker import check_file

    root = Path(root).resolve()
    base = settings if settings is not None else Settings(root=root)
    base = base.override(profiles={}) if base.profiles else base
    registry = base.registry()
    candidates = list(profiles or registry)
    files, _ = collect_files([os.fspath(root)], base)
    proposal = Proposal(root)
    by_folder: dict[str, dict[str, list[Any]]] = {}
    for path in files:
        rel = Path(os.path.relpath(path, root)).as_posix()
        options = {**base.check_options(), "values": False}
        reports = {name: check_file(path, **{**options, "profile": name})
                   for name in candidates}
        if any("not-a-dataset" in r.rules() for r in reports.values()):
            proposal.non_datasets.append(rel)
            continue
        folder = PurePosixPath(rel).parent.as_posix()
        entry = by_folder.setdefault("" if folder == "." else folder, {})
        entry.setdefault("files", []).append(rel)
        for name, report in reports.items():
            entry.setdefault(name, []).append(report)
        entry.setdefault("declared", []).append(_declared(reports[candidates[0]]))
    for folder in sorted(by_folder, key=lambda f: (f.count("/") + bool(f), f)):
        entry = by_folder[folder]
        passing = {name: sum(r.ok for r in entry[name]) for name in candidates}
        errors = {name: sum(len(r.errors) for r in entry[name]) for name in candidates}
        best = max(candidates, key=lambda name: (
            passing[name], entry["declared"].count(name),
            -sum(_stand_ins(registry[name], r.keys) for r in entry[name]), -errors[name],
            len(registry[name].required), name == "canonical", -candidates.index(name)))
        proposal.folders.append(FolderChoice(folder, entry["files"], best, passing, errors))
    proposal.excluded = _exclusions(proposal.non_datasets, proposal.files)
    return proposal


def _stand_ins(contract: Any, keys: Any) -> int:
    """How many keys of the file stand in for a key the contract names (``diff3d`` for
    ``diffraction``) instead of being that key."""
    return sum(1 for key in keys if key in contract.keys and contract.keys[key].replaces
               and contract.keys[key].replaces not in keys)


def _declared(report: Any) -> str | None:
    """The profile the file's recorded scaling pair selects, if any."""
    from ..contract.profiles import profile_from_scale
    from ..metadata.parameters import scale_pair

    if not isinstance(report.metadata, dict):
        return None
    return profile_from_scale(scale_pair(report.metadata))[0]


def _exclusions(non_datasets: list[str], datasets: list[str]) -> list[str]:
    """Folder globs where a folder (and everything below it) holds only non-datasets, else
    the files themselves."""
    out: list[str] = []
    folders = sorted({PurePosixPath(p).parent.as_posix() for p in non_datasets})
    for folder in folders:
        mine = [p for p in non_datasets if PurePosixPath(p).parent.as_posix() == folder]
        below = folder + "/"
        clean = folder != "." and not any(d.startswith(below) for d in datasets)
        if clean and not any(o.endswith("/**") and below.startswith(o[:-2]) for o in out):
            out.append(f"{folder}/**")
        elif not clean:
            out += mine
    return out


def _quote(text: str) -> str:
    """A TOML basic string (JSON's escapes are valid TOML)."""
    return json.dumps(text, ensure_ascii=False)


def pre_commit_entry(repo: str | None = None, rev: str | None = None) -> str:
    """The ``.pre-commit-config.yaml`` text of the hook: the published ``npz-contract`` hook
    of ``repo`` at ``rev``, else a ``local`` hook running the installed ``npzcontract``."""
    if repo:
        return (f"  - repo: {repo}\n    rev: {rev or 'HEAD'}\n    hooks:\n"
                "      - id: npz-contract\n")
    return ("  - repo: local\n    hooks:\n      - id: npz-contract\n"
            "        name: NPZ data contract (DATA-001)\n        entry: npzcontract lint\n"
            "        language: system\n        files: \\.npz$\n        types: [file]\n")
