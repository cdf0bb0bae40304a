"""Assertion helpers for downstream tests: check everything, then fail once with a readable list.

>>> from pytest_npzcontract import assert_data_contract, assert_metadata_preserved
>>> assert_data_contract(out_path)                       # DATA-001 keys, dtypes, metadata
>>> assert_metadata_preserved(in_path, out_path)         # nothing lost (plugin/preserved.py)
>>> assert_transformation_recorded(out_path, tool="canonicalize.py",
...                                operation="canonicalize_dataset")
>>> assert_parameters_match(out_path, {"nphotons": 1e9, "N": 64})

Each failure line names the key, the rule, what was found against what was expected, and a fix.
Inside a pytest test, ``assert_data_contract`` uses the test's mode (marker, ``--npz-mode``,
``npz_mode`` ini); elsewhere STRICT. NumPy and the checker are imported on first use.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import math
import os
import warnings
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from ..base.echo import shown
from ..base.errors import NpzContractWarning
from ..base.modes import ValidationMode
from ..base.report import Finding, Report

Target = str | os.PathLike | Mapping[str, Any]
DEFAULT_CAP = 10

_mode_in_force: contextvars.ContextVar[ValidationMode | None] = contextvars.ContextVar(
    "npz_mode_in_force", default=None)
#: Returns the ``[tool.npzcontract]`` settings of the running pytest session (loaded once).
_project_in_force: contextvars.ContextVar[Callable[[], Any] | None] = contextvars.ContextVar(
    "npz_project_in_force", default=None)

_HINTS = {
    "metadata-missing": "load with load_npz and save with save_npz(path, arrays, "
                        "metadata=add_transformation(metadata, tool, operation, parameters))",
    "metadata-changed": "copy the input's metadata and only append a transformation record",
    "lineage-rewritten": "extend data_transformations with add_transformation; never replace it",
    "transformation-missing": "record the step: add_transformation(metadata, tool, operation, "
                              "parameters) before save_npz",
    "parameter-mismatch": "take parameters from the dataset (config_from_metadata) or "
                          "regenerate the dataset",
    "unreadable": "check the path and that the file is a complete .npz archive",
}


def mode_in_force() -> ValidationMode:
    """The mode of the running test (set by the plugin), else STRICT."""
    return _mode_in_force.get() or ValidationMode.STRICT


@contextlib.contextmanager
def using_mode(mode: ValidationMode | str) -> Iterator[None]:
    """Make ``mode`` the one :func:`mode_in_force` returns inside the block."""
    token = _mode_in_force.set(ValidationMode.coerce(mode))
    try:
        yield
    finally:
        _mode_in_force.reset(token)


@contextlib.contextmanager
def using_project(loader: Callable[[], Any] | None) -> Iterator[None]:
    """Make ``loader()`` (a :class:`~pytest_npzcontract.tools.project.Project`) the project
    whose configuration the checks in this block apply (the plugin sets the session's)."""
    token = _project_in_force.set(loader)
    try:
        yield
    finally:
        _project_in_force.reset(token)


def project_in_force() -> Any:
    """The running session's project, else one with default settings (no configuration)."""
    from ..tools.project import Project

    loader = _project_in_force.get()
    return loader() if loader is not None else Project()


def check_target(target: Target, *, mode: ValidationMode | str, config: Any = None,
                 metadata: Mapping | None = None, **options: Any) -> Report:
    """The project's verdict (:meth:`Project.judge <pytest_npzcontract.tools.project.Project.judge>`)
    for a path, or for a mapping of arrays (``_metadata`` may be one of them, as a dict or as
    the on-disk array, or come through ``metadata=``). Inside a pytest session the project's
    ``[tool.npzcontract]`` applies: its per-path profile, rule levels (under the caller's),
    expected parameters (unless ``config`` is given) and custom profiles."""
    project = project_in_force()
    if isinstance(target, Mapping):
        arrays = dict(target)
        if metadata is None and isinstance(arrays.get("_metadata"), Mapping):
            metadata = arrays.pop("_metadata")
        return project.judge_arrays(arrays, metadata, mode=mode, config=config, **options)
    if metadata is not None:
        raise ValueError("metadata= applies to in-memory arrays; a file carries its own")
    return project.judge(target, cache=False, mode=mode, config=config, **options)


def emit_warnings(report: Report, *, stacklevel: int) -> None:
    """Each warning finding as an :class:`NpzContractWarning`; ``stacklevel`` counts from the
    caller of this function (2 = the caller's caller)."""
    __tracebackhide__ = True  # under -W error the warning is raised here: show the test line
    for finding in report.warnings:
        warnings.warn(finding.line(with_hint=True), NpzContractWarning,
                      stacklevel=stacklevel + 1)


def assert_data_contract(target: Target, *, mode: ValidationMode | str | None = None,
                         config: Any = None, metadata: Mapping | None = None,
                         cap: int = DEFAULT_CAP, **options: Any) -> Report:
    """Fail if ``target`` (a path, or a mapping of arrays) breaks DATA-001 under ``mode``.

    Warning findings are emitted as :class:`NpzContractWarning`; the report is returned.
    ``options`` go to the checker: ``profile``, ``rule_levels``, ``values``, ``contract``, ``rtol``.

    >>> assert_data_contract(tmp_path / "train.npz", config={"nphotons": 1e9})
    """
    __tracebackhide__ = True
    mode = ValidationMode.coerce(mode, default=mode_in_force())
    report = check_target(target, mode=mode, config=config, metadata=metadata, **options)
    if not report.ok:
        _fail(f"assert_data_contract: {_name(target)} breaks the data contract "
              f"(mode {mode}, profile {report.profile})", report.errors, cap, report=report)
    emit_warnings(report, stacklevel=2)
    return report


def assert_transformation_recorded(path: str | os.PathLike | Mapping, tool: str | None = None,
                                   operation: str | None = None,
                                   parameters: Mapping[str, Any] | None = None, *,
                                   cap: int = DEFAULT_CAP) -> None:
    """Fail unless a ``data_transformations`` record matches ``tool``, ``operation`` and
    ``parameters`` (each optional; ``parameters`` need only be a subset of the record's).

    ``tool`` matches by stem: the directory, a ``.py`` suffix and a trailing ``_tool`` are
    ignored on both sides, so ``transpose_rename_convert_tool.py`` matches a record of
    ``scripts/tools/transpose_rename_convert`` (see :func:`tool_stem`).

    >>> assert_transformation_recorded(out, tool="split_tool.py", operation="train_test_split",
    ...                                parameters={"fraction": 0.8})
    """
    __tracebackhide__ = True
    name = _name(path)
    findings: list[Finding] = []
    meta = _required_metadata(path, name, findings, "a transformation record")
    if not findings:
        findings += _record_findings(meta, name, tool, operation, dict(parameters or {}))
    if findings:
        wanted = ", ".join(f"{k}={v!r}" for k, v in
                           (("tool", tool), ("operation", operation), ("parameters", parameters))
                           if v is not None) or "any record"
        _fail(f"assert_transformation_recorded: {name} has no record with {wanted}", findings,
              cap)


def assert_parameters_match(path: str | os.PathLike | Mapping, config: Any, *,
                            rtol: float = 1e-6, cap: int = DEFAULT_CAP,
                            rule_levels: Mapping[str, str] | None = None) -> None:
    """Fail if the dataset's metadata disagrees with ``config`` (nphotons within ``rtol``,
    N and gridsize exactly), records no nphotons or no parameter ``config`` names
    (``parameter-missing``), or records no metadata at all.

    ``parameter-mismatch`` and ``parameter-missing`` are errors unless ``rule_levels`` (or the
    session's ``[tool.npzcontract.rules]``) lowers them: warnings are emitted, ``off`` is
    skipped.

    >>> assert_parameters_match(train_path, TrainingConfig(nphotons=1e9, model=ModelConfig(N=64)))
    """
    __tracebackhide__ = True
    from ..contract.rules import validate_overrides
    from ..metadata.parameters import (
        missing_hint,
        missing_message,
        missing_parameters,
        validate_parameters,
    )

    name = _name(path)
    levels = validate_overrides(project_in_force().options(
        None if isinstance(path, Mapping) else path, rule_levels=rule_levels)["rule_levels"])
    findings: list[Finding] = []
    meta = _required_metadata(path, name, findings, "the parameters to compare")
    if not findings:
        for missing in missing_parameters(meta, config):
            findings.append(Finding(name, f"physics_parameters.{missing}", "parameter-missing",
                                    "error", missing_message(missing, config),
                                    missing_hint(missing)))
        for m in validate_parameters(meta, config, rtol=rtol):
            how = f"within relative tolerance {rtol:g}" if m.name == "nphotons" else "exactly"
            findings.append(_finding(name, f"physics_parameters.{m.name}", "parameter-mismatch",
                                     f"found {_show(m.dataset)} in the dataset, expected "
                                     f"{_show(m.config)} from the config ({how})"))
    findings = [dataclasses.replace(f, severity=levels.get(f.rule, f.severity))
                for f in findings if levels.get(f.rule) != "off"]
    errors = [f for f in findings if f.severity == "error"]
    if errors:
        _fail(f"assert_parameters_match: {name} disagrees with the configuration", errors,
              cap, report=Report(name, findings, metadata=meta))
    emit_warnings(Report(name, findings), stacklevel=2)


def _fail(title: str, findings: list[Finding], cap: int, *, report: Report | None = None
          ) -> None:
    """Raise the AssertionError: the violations, then (capped) the report's warnings and info,
    which a failing test would otherwise hide. ``.findings`` holds every violation,
    ``.report`` the whole report."""
    __tracebackhide__ = True
    cap = max(cap, 1)
    lines = [f"{title}: {len(findings)} violation(s)"]
    lines += _finding_lines(findings, cap)
    advisories = [f for f in (report.findings if report else []) if f.severity != "error"]
    if advisories:
        lines.append(f"  also {len(advisories)} warning/info finding(s):")
        lines += _finding_lines(advisories, cap, severity=True)
    error = AssertionError("\n".join(lines))
    error.findings = findings  # every violation, even those past the cap
    error.report = report
    raise error


def _finding_lines(findings: list[Finding], cap: int, *, severity: bool = False) -> list[str]:
    lines = []
    for f in findings[:cap]:
        hint = f" (fix: {f.hint})" if f.hint else ""
        level = f"{f.severity} " if severity else ""
        lines.append(f"  [{f.key or '-'}] {level}{f.rule}: {f.message}{hint}")
    if len(findings) > cap:
        lines.append(f"  ... and {len(findings) - cap} more")
    return lines


def _finding(file: str, key: str | None, rule: str, message: str) -> Finding:
    return Finding(file, key, rule, "error", message, _HINTS.get(rule, ""))


def _name(target: Any) -> str:
    return "<arrays>" if isinstance(target, Mapping) else os.fspath(target)


def _short(name: str) -> str:
    return os.path.basename(name) or name


def _required_metadata(target: Any, name: str, findings: list[Finding], expected: str
                       ) -> dict | None:
    """Like :func:`_metadata_or_finding`, and a missing ``_metadata`` is a finding too."""
    meta = _metadata_or_finding(target, findings)
    if not findings and meta is None:
        findings.append(_finding(name, "_metadata", "metadata-missing",
                                 f"found no _metadata, expected {expected}"))
    return meta


def _metadata_or_finding(target: Any, findings: list[Finding]) -> dict | None:
    """Metadata of a path (header-only read) or a metadata mapping; problems become findings."""
    return _decoded_or_finding(target, findings)[0]


def _decoded_or_finding(target: Any, findings: list[Finding]) -> tuple[dict | None, str | None]:
    """Like :func:`_metadata_or_finding`, with the encoding the metadata was stored in."""
    if isinstance(target, Mapping):
        return dict(target), None
    from ..io.archive import scan_archive
    from ..io.codec import MetadataError
    from ..io.reader import read_metadata

    name = os.fspath(target)
    with scan_archive(target) as scan:
        errors = [f for f in scan.findings if f.severity == "error"]
        if scan.zf is None or errors:
            findings += errors or [_finding(name, None, "unreadable", "not an NPZ archive")]
            return None, None
        try:
            decoded = read_metadata(scan)
        except MetadataError as exc:
            findings.append(Finding(name, "_metadata", exc.rule, "error", str(exc),
                                    "write metadata as JSON text with save_npz"))
            return None, None
    return (decoded.metadata, decoded.encoding) if decoded else (None, None)


def _record_findings(meta: dict, name: str, tool: str | None, operation: str | None,
                     parameters: dict) -> list[Finding]:
    from ..io.codec import to_jsonable

    records = _transformations(meta)
    candidates = [(i, r) for i, r in enumerate(records) if isinstance(r, Mapping)
                  and _tool_matches(r.get("tool"), tool)
                  and (operation is None or r.get("operation") == operation)]
    if not candidates:
        found = ", ".join(_describe(r) for r in records[-5:]) or "no records"
        wanted = _describe({"tool": tool or "*", "operation": operation or "*"})
        return [_finding(name, "data_transformations", "transformation-missing",
                         f"found {found}, expected {wanted}")]
    expected = to_jsonable(parameters)
    best: list[Finding] | None = None
    for i, record in reversed(candidates):
        recorded = record.get("parameters")
        recorded = recorded if isinstance(recorded, Mapping) else {}
        diffs = [_finding(name, f"data_transformations[{i}].parameters.{key}",
                          "transformation-missing",
                          f"found {_show(recorded.get(key, _ABSENT))}, expected {_show(value)}")
                 for key, value in expected.items() if not _same(recorded.get(key, _ABSENT), value)]
        if not diffs:
            return []
        best = best or diffs
    return best or []


def tool_stem(name: str) -> str:
    """A tool name without directory, ``.py`` and trailing ``_tool``.

    >>> tool_stem("scripts/tools/split_dataset_tool.py")
    'split_dataset'
    """
    stem = name.replace("\\", "/").rsplit("/", 1)[-1]
    stem = stem.removesuffix(".py")
    return stem.removesuffix("_tool") or stem


def _tool_matches(recorded: Any, wanted: str | None) -> bool:
    if wanted is None:
        return True
    if not isinstance(recorded, str):
        return False
    return recorded == wanted or tool_stem(recorded) == tool_stem(wanted)


def _transformations(meta: dict) -> list:
    records = meta.get("data_transformations")
    return records if isinstance(records, list) else []


class _Absent:
    def __repr__(self) -> str:
        return "nothing"


_ABSENT = _Absent()


def _same(found: Any, expected: Any) -> bool:
    if found is _ABSENT:
        return False
    numbers = (int, float)
    if (isinstance(found, numbers) and isinstance(expected, numbers)
            and not isinstance(found, bool) and not isinstance(expected, bool)):
        return math.isclose(found, expected, rel_tol=1e-12, abs_tol=0.0) or found == expected
    return found == expected


def _show(value: Any) -> str:
    if value is _ABSENT:
        return "nothing"
    if isinstance(value, float) and (abs(value) >= 1e5 or 0 < abs(value) < 1e-3):
        return f"{value:g}"
    return shown(value)


def _describe(record: Any) -> str:
    if record is None:
        return "nothing"
    if isinstance(record, Mapping):
        return f"{record.get('tool')}/{record.get('operation')}"
    return _show(record)
