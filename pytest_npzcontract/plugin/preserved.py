"""``assert_metadata_preserved``: a tool's output keeps what its input's metadata records, judged
the way the write audit judges an output (:mod:`pytest_npzcontract.tools.propagation`).

>>> from pytest_npzcontract import assert_metadata_preserved
>>> assert_metadata_preserved(raw_path, canonical_path)
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from ..base.report import Finding
from .assertions import (
    _ABSENT,
    DEFAULT_CAP,
    _decoded_or_finding,
    _describe,
    _fail,
    _finding,
    _metadata_or_finding,
    _name,
    _same,
    _short,
    _show,
    _transformations,
    check_target,
    mode_in_force,
)


def assert_metadata_preserved(src: str | os.PathLike | Mapping, dst: str | os.PathLike | Mapping,
                              *, ignore: Iterable[str] = (), profile: str | None = None,
                              cap: int = DEFAULT_CAP) -> None:
    """Fail unless ``dst`` keeps everything ``src``'s metadata records, the way the write
    audit judges a tool's output (:mod:`pytest_npzcontract.tools.propagation`).

    Every value of ``src`` (any section, compared leaf by leaf) must be in ``dst`` unchanged,
    except dotted paths listed in ``ignore`` (``"training_parameters.n_images"``) and the
    ``nphotons``/``N``/``gridsize`` that a new record of ``dst`` names among its parameters;
    ``src``'s ``data_transformations`` must be the start of ``dst``'s, and ``dst`` must add
    one (unless ``data_transformations`` is ignored). A merge output that keeps ``src`` whole
    under ``source_datasets`` passes the value comparison. A ``dst`` file must also load
    without pickle and be clean under its profile (``profile``, else the project's profile for
    its path) in the test's mode. ``src``/``dst`` are paths or metadata dicts.

    >>> assert_metadata_preserved(raw_path, canonical_path)
    """
    __tracebackhide__ = True
    from ..tools.propagation import Source, declared_changes, new_records, propagation_findings

    src_name, dst_name = _name(src), _name(dst)
    findings: list[Finding] = []
    src_meta = _metadata_or_finding(src, findings)
    dst_meta, encoding = _decoded_or_finding(dst, findings)
    if not findings:
        inputs = [Source(src_name, src_meta)]
        findings += [f for f in propagation_findings(dst_name, dst_meta, encoding, inputs)
                     if f.rule == "pickled-metadata"]
        if src_meta is None:
            findings.append(_finding(src_name, "_metadata", "metadata-missing",
                                     "found no _metadata in the source: nothing to preserve"))
        elif dst_meta is None:
            findings.append(_finding(dst_name, "_metadata", "metadata-missing",
                                     f"found no _metadata, expected the metadata of "
                                     f"{_short(src_name)}"))
        else:
            skip = tuple(ignore)
            new = new_records(dst_meta, inputs)
            kept = _kept_as_source(src_meta, dst_meta)
            if not kept:
                findings += _value_findings(src_meta, dst_meta, src_name, dst_name, skip,
                                            declared_changes(new))
            if not _ignored("data_transformations", skip):
                if not kept:
                    findings += _lineage_findings(src_meta, dst_meta, src_name, dst_name)
                if not new:
                    findings.append(_finding(
                        dst_name, "data_transformations", "transformation-missing",
                        f"found no record that {_short(src_name)} does not carry, expected "
                        "one for the step that wrote this file"))
        findings += _profile_findings(dst, findings, profile)
    if findings:
        _fail(f"assert_metadata_preserved: {dst_name} does not preserve the metadata of "
              f"{src_name}", findings, cap)


def _value_findings(src_meta: dict, dst_meta: dict, src_name: str, dst_name: str,
                    skip: tuple[str, ...], declared: set[str]) -> list[Finding]:
    """Leaf by leaf: what ``dst`` changed or lost of ``src`` (a dropped nphotons/N/gridsize
    is ``parameter-missing``; one a new record names may change)."""
    from ..tools.propagation import HINTS, TRACKED

    findings = []
    for path, value in _leaves(src_meta):
        if path.split(".")[0] == "data_transformations" or _ignored(path, skip):
            continue
        section, _, name = path.partition(".")
        tracked = section == "physics_parameters" and name in TRACKED
        if tracked and name in declared:
            continue
        found = _lookup(dst_meta, path)
        if tracked and (found is _ABSENT or found is None) and value is not None:
            findings.append(Finding(dst_name, path, "parameter-missing", "error",
                                    f"found nothing, expected {name}={_show(value)} (as in "
                                    f"{_short(src_name)})", HINTS["parameter-missing"]))
        elif not _same(found, value):
            findings.append(_finding(dst_name, path, "metadata-changed",
                                     f"found {_show(found)}, expected {_show(value)} "
                                     f"(as in {_short(src_name)})"))
    return findings


def _profile_findings(dst: Any, findings: list[Finding], profile: str | None) -> list[Finding]:
    """A ``dst`` file's errors under its profile in the test's mode, not already reported."""
    if isinstance(dst, Mapping):
        return []
    report = check_target(dst, mode=mode_in_force(), profile=profile)
    seen = {(f.rule, f.key) for f in findings}
    return [f for f in report.errors if (f.rule, f.key) not in seen]


def _kept_as_source(src: dict, dst: dict) -> bool:
    sources = dst.get("source_datasets")
    return isinstance(sources, list) and any(
        isinstance(s, Mapping) and s.get("metadata") == src for s in sources)


def _lineage_findings(src: dict, dst: dict, src_name: str, dst_name: str) -> list[Finding]:
    before, after = _transformations(src), _transformations(dst)
    findings = []
    for i, record in enumerate(before):
        found = after[i] if i < len(after) else None
        if found != record:
            findings.append(_finding(
                dst_name, f"data_transformations[{i}]", "lineage-rewritten",
                f"found {_describe(found)}, expected {_describe(record)} "
                f"(as in {_short(src_name)})"))
    return findings


def _leaves(value: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield from _leaves(item, f"{prefix}.{key}" if prefix else str(key))
    elif prefix:
        yield prefix, value


def _lookup(meta: Mapping, path: str) -> Any:
    value: Any = meta
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return _ABSENT
        value = value[part]
    return value


def _ignored(path: str, ignore: tuple[str, ...]) -> bool:
    return any(path == p or path.startswith(p + ".") for p in ignore)
