"""Batch migration from a parameter file (the seed's ``migration_config.yaml``), YAML or TOML.

::

    datasets:
      - path: "datasets/fly64_train.npz"      # relative to the plan file
        nphotons: 1e6                         # a number, or "estimate"
        gridsize: 1
        data_source: "experimental"
      - path: "datasets/synthetic_lines.npz"
        nphotons: estimate
        sqrt: true                            # integer counts -> sqrt (as migrate --sqrt)
        output: "migrated/synthetic_lines.npz"   # else migrated in place, atomically
      - path: "datasets/raw/scan7.npz"
        to: canonical                         # convert the form (as migrate --to)

Entry keys: ``path`` (required), ``output``, ``nphotons``, ``N``, ``gridsize``,
``data_source``, ``sqrt``, ``to`` (the target profile), ``profile`` (the file's own profile,
instead of the per-path table); an optional top-level ``defaults`` table applies to every
entry. Each file keeps the form of its profile unless ``to`` says otherwise, and its output is
checked against the target profile before anything is written.
The whole plan is validated before any file is touched (a bad plan changes nothing); then
each file is migrated on its own, atomically: a failing entry leaves its file untouched and
the others done::

    >>> entries = read_plan("migration_config.yaml")
    >>> outcomes = run_plan(entries, check=False, echo=print)
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..base.echo import shown
from .migrate import ESTIMATE, MigrateOptions

ENTRY_KEYS = ("path", "output", "nphotons", "N", "gridsize", "data_source", "sqrt", "to",
              "profile")
TOP_KEYS = ("datasets", "defaults")


class PlanError(ValueError):
    """The plan file cannot be used; the message names the entry and field."""


@dataclass(frozen=True)
class PlanEntry:
    index: int
    path: Path
    output: Path | None
    options: MigrateOptions

    @property
    def target(self) -> Path:
        return self.output or self.path


@dataclass
class Outcome:
    entry: PlanEntry
    status: str            # migrated, would migrate, canonical (or in form), failed
    detail: str = ""

    @property
    def failed(self) -> bool:
        return self.status == "failed"


def read_plan(path: str | os.PathLike, *, allow_outside: bool = False) -> list[PlanEntry]:
    """Parse and validate a plan (``.yaml``/``.yml`` or ``.toml``); raises :class:`PlanError`.

    Plan paths are confined: each ``path`` and ``output`` must stay inside the plan's folder
    (no absolute paths, no ``..`` climbing out) unless ``allow_outside``; an ``output`` that
    is a symbolic link is refused (in-place entries replace the file a link points to)."""
    plan_path = Path(path)
    document = _load(plan_path)
    if not isinstance(document, Mapping):
        raise PlanError(f"{plan_path}: expected a mapping with a 'datasets' list")
    unknown = _unknown_keys(document, TOP_KEYS)
    if unknown:
        raise PlanError(f"{plan_path}: unknown top-level key(s) {unknown} "
                        f"(known: {', '.join(TOP_KEYS)})")
    datasets = document.get("datasets")
    if not isinstance(datasets, list) or not datasets:
        raise PlanError(f"{plan_path}: 'datasets' must be a non-empty list of entries")
    defaults = document.get("defaults") or {}
    if not isinstance(defaults, Mapping):
        raise PlanError(f"{plan_path}: 'defaults' must be a mapping")
    base = plan_path.resolve().parent
    entries = [_entry(i, {**defaults, **item} if isinstance(item, Mapping) else item, base,
                      plan_path, allow_outside) for i, item in enumerate(datasets, start=1)]
    targets: dict[str, int] = {}
    for entry in entries:
        real = os.path.realpath(entry.target)
        if real in targets:
            raise PlanError(f"{plan_path}: entries {targets[real]} and {entry.index} both "
                            f"write {entry.target}")
        targets[real] = entry.index
    return entries


def _load(path: Path) -> Any:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise PlanError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if path.suffix.lower() == ".toml":
        if sys.version_info >= (3, 11):
            import tomllib
        else:  # pragma: no cover - Python 3.10
            import tomli as tomllib

        try:
            return tomllib.loads(data.decode("utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise PlanError(f"{path}: invalid TOML ({exc})") from None
    if path.suffix.lower() not in (".yaml", ".yml"):
        raise PlanError(f"{path}: a plan is a .yaml, .yml or .toml file")
    try:
        import yaml
    except ImportError:
        from ..base.install import install_hint

        raise PlanError(f"reading a YAML plan needs PyYAML: {install_hint('yaml')} (or write "
                        "the plan as TOML)") from None
    try:
        return yaml.safe_load(data)
    except yaml.YAMLError as exc:
        raise PlanError(f"{path}: invalid YAML ({' '.join(str(exc).split())})") from None


def _entry(index: int, item: Any, base: Path, plan_path: Path, allow_outside: bool = False
           ) -> PlanEntry:
    where = f"{plan_path}: datasets entry {index}"
    if not isinstance(item, Mapping):
        raise PlanError(f"{where}: expected a mapping with at least 'path'")
    unknown = _unknown_keys(item, ENTRY_KEYS)
    if unknown:
        raise PlanError(f"{where}: unknown key(s) {unknown} "
                        f"(known: {', '.join(ENTRY_KEYS)})")
    if not isinstance(item.get("path"), str) or not item["path"]:
        raise PlanError(f"{where}: 'path' (a file name relative to the plan) is required")
    output = item.get("output")
    if output is not None and (not isinstance(output, str) or not output):
        raise PlanError(f"{where}: 'output' must be a file name")
    sqrt = item.get("sqrt")
    if sqrt is not None and not isinstance(sqrt, bool):
        raise PlanError(f"{where}: 'sqrt' must be true or false, not {shown(sqrt)}")
    source = item.get("data_source")
    if source is not None and (not isinstance(source, str) or not source):
        raise PlanError(f"{where}: 'data_source' must be a non-empty string")
    names = {name: item.get(name) for name in ("to", "profile")}
    for name, value in names.items():
        if value is not None and (not isinstance(value, str) or not value):
            raise PlanError(f"{where}: {name!r} must be a profile name, not {shown(value)}")
    options = MigrateOptions(sqrt=sqrt, nphotons=_nphotons(item.get("nphotons"), where),
                             N=_integer(item.get("N"), "N", where),
                             gridsize=_integer(item.get("gridsize"), "gridsize", where),
                             data_source=source, origin=f"plan entry {index}", **names)
    for name in ("path", "output"):
        if item.get(name) is not None and not allow_outside and _outside(item[name]):
            raise PlanError(f"{where}: {name!r} {shown(item[name])} is outside the plan's "
                            f"folder {base}; plan paths stay inside it unless --allow-outside")
    target = base / output if output is not None else None
    if target is not None and target.is_symlink():
        raise PlanError(f"{where}: 'output' {target} is a symbolic link; refusing to write "
                        "through it (remove the link or choose another output)")
    return PlanEntry(index, base / item["path"], target, options)


def _outside(relative: str) -> bool:
    """Whether a plan path leaves the plan's folder: absolute, or climbing out with ``..``.
    Judged on the text, so a symbolic link inside the folder is followed like any file."""
    if os.path.isabs(relative) or Path(relative).drive:
        return True
    return os.path.normpath(relative).split(os.sep)[0] == os.pardir


def _unknown_keys(mapping: Mapping, known: tuple[str, ...]) -> str:
    """The keys of ``mapping`` not in ``known``, echoed bounded ("" when none)."""
    unknown = sorted(k if isinstance(k, str) and k.isprintable() and len(k) <= 40 else shown(k)
                     for k in mapping if k not in known)
    more = f" and {len(unknown) - 5:,} more" if len(unknown) > 5 else ""
    return ", ".join(unknown[:5]) + more


def _nphotons(value: Any, where: str) -> float | str | None:
    if value is None or value == ESTIMATE:
        return value
    # YAML 1.1 (PyYAML) reads the seed's `nphotons: 1e6` as the string "1e6"
    try:
        number = float(value) if not isinstance(value, bool) else math.nan
    except (TypeError, ValueError):
        number = math.nan
    if not (math.isfinite(number) and number > 0):
        raise PlanError(f"{where}: 'nphotons' must be a positive number or \"estimate\", "
                        f"not {shown(value)}")
    return number


def _integer(value: Any, name: str, where: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise PlanError(f"{where}: {shown(name)} must be a whole number >= 1, not {shown(value)}")
    return value


def run_plan(entries: list[PlanEntry], *, check: bool, echo: Callable[[str], None],
             project: Any = None) -> list[Outcome]:
    """Migrate (or, with ``check``, only plan) every entry in ``project`` (a
    :class:`~pytest_npzcontract.tools.project.Project`; default: no configuration); one
    outcome per entry."""
    from ..base.errors import ContractViolation
    from .migrate import MigrationError, apply_plan, plan_file

    outcomes = []
    for entry in entries:
        shown = f"{entry.path} -> {entry.output}" if entry.output else f"{entry.path} (in place)"
        echo(f"[{entry.index}] {shown}")
        if not entry.path.is_file():
            outcomes.append(_fail(entry, "no such file", echo))
            continue
        try:
            plan = plan_file(entry.path, entry.options, project, output=entry.target)
        except ContractViolation as exc:
            first = exc.findings[0] if exc.findings else None
            reason = f"{first.rule}: {first.message}" if first else str(exc)
            outcomes.append(_fail(entry, f"cannot read: {' '.join(reason.split())}", echo))
            continue
        except ValueError as exc:   # an unknown profile name
            outcomes.append(_fail(entry, str(exc), echo))
            continue
        for note in plan.notes:
            echo(f"  note: {note}")
        if plan.problems:
            message = "; ".join(_hint(p.message) for p in plan.problems)
            outcomes.append(_fail(entry, message, echo))
            continue
        echo("\n".join(f"  {c.text}" for c in plan.conversions) or f"  {plan.in_form}")
        if not plan.needed:
            outcomes.append(Outcome(entry, "canonical" if plan.target == "canonical"
                                    else "in form", "nothing to do"))
            continue
        if check:
            outcomes.append(Outcome(entry, "would migrate",
                                    f"{len(plan.conversions)} change(s)"))
            continue
        try:
            if entry.output is not None:
                entry.output.parent.mkdir(parents=True, exist_ok=True)
            apply_plan(plan, entry.target)
        except (MigrationError, ContractViolation, OSError, ValueError) as exc:
            outcomes.append(_fail(entry, f"{' '.join(str(exc).split())}; "
                                  f"{entry.target} not replaced", echo))
            continue
        echo(f"  verified and written: {entry.target}")
        outcomes.append(Outcome(entry, "migrated", f"{len(plan.conversions)} change(s)"))
    return outcomes


def _hint(message: str) -> str:
    return (message.replace("choose --sqrt", "set sqrt: true")
            .replace("or --no-sqrt", "or sqrt: false")
            .replace("give --nphotons VALUE", "set nphotons in the entry"))


def _fail(entry: PlanEntry, message: str, echo: Callable[[str], None]) -> Outcome:
    echo(f"  error: {message}")
    return Outcome(entry, "failed", message)


def summary_table(outcomes: list[Outcome], plan_dir: Path) -> str:
    """One table: entry, file, status, detail (paths shown relative to the plan)."""
    def rel(path: Path) -> str:
        try:
            return os.path.relpath(path, plan_dir)
        except ValueError:
            return str(path)

    rows = [("#", "file", "status", "detail")]
    for o in outcomes:
        name = rel(o.entry.path) + (f" -> {rel(o.entry.output)}" if o.entry.output else "")
        detail = o.detail if len(o.detail) <= 70 else o.detail[:67] + "..."
        rows.append((str(o.entry.index), name, o.status, detail))
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    lines = [f"{r[0]:>{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:<{widths[2]}}  {r[3]}".rstrip()
             for r in rows]
    failed = sum(o.failed for o in outcomes)
    counts: dict[str, int] = {}
    for o in outcomes:
        counts[o.status] = counts.get(o.status, 0) + 1
    total = ", ".join(f"{n} {status}" for status, n in counts.items())
    lines.append(f"{len(outcomes)} file(s): {total}" + ("" if failed else "; no failures"))
    return "\n".join(lines)
