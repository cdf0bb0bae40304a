"""What ``npzcontract show`` prints: a dataset's arrays (from headers), metadata and lineage.

``describe_file`` gathers plain data from headers and ``_metadata``, the file's verdict (the
project's, as ``npzcontract lint`` gives it) and the dose the frames give;
``render_description`` draws it for people::

    >>> info = describe_file("train.npz")
    >>> print(render_description(info))
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

from ..base.report import one_line
from ..metadata.lineage import build_lineage, render_lineage

#: Metadata sections shown in the lineage tree rather than in the metadata listing.
_LINEAGE_SECTIONS = ("data_transformations", "source_datasets", "merge_info")
DESCRIPTION_VERSION = 2


def describe_file(path: str | os.PathLike, *, estimate: bool = True,
                  profile: str | None = None, project: Any = None, values: bool | None = None,
                  mode: Any = None) -> dict[str, Any]:
    """Arrays (from headers), metadata, its encoding, lineage, the recorded nphotons next to
    the one the frames' photon statistics give (per source for a merged file that carries
    ``source_index``; ``estimate=False`` skips that pass), and the file's verdict: the very
    report ``npzcontract lint`` gives, from ``project.judge`` (a
    :class:`~pytest_npzcontract.tools.project.Project`; default: the one found upward from
    the working directory). ``values``, ``mode`` and ``profile`` override the project's.
    Each finding carries its rule's ``kind`` (structural, policy, advisory).

    >>> info = describe_file("train.npz")
    >>> info["arrays"]["diffraction"]["shape"], info["lineage"]["transformations"][-1]["tool"]
    ([512, 64, 64], 'split_tool.py')
    """
    from ..contract.rules import RULES
    from ..io.archive import scan_archive
    from ..io.codec import METADATA_KEY
    from .project import Project

    fspath = os.fspath(path)
    project = project if project is not None else Project.load(use_cache=None)
    report = project.judge(fspath, values=values, mode=mode, profile=profile)
    with scan_archive(fspath) as scan:
        arrays = {k: m.to_dict() for k, m in scan.members.items() if k != METADATA_KEY}
    findings = [{**f.to_dict(), "kind": f.kind or (RULES[f.rule].kind if f.rule in RULES
                                                    else None)}
                for f in report.findings]
    metadata = report.metadata
    readable = bool(arrays) and not any(f["rule"] == "unreadable" and f["key"] is None
                                        for f in findings)
    size = os.path.getsize(fspath) if os.path.isfile(fspath) else None
    options = project.options(fspath, values=values, mode=mode, profile=profile)
    check = {"profile": report.profile, "mode": str(getattr(options["mode"], "value",
                                                                 options["mode"])),
             "values": bool(options["values"]), "ok": report.ok}
    return {"version": DESCRIPTION_VERSION, "file": fspath, "size_bytes": size,
            "arrays": arrays, "metadata": metadata,
            "metadata_encoding": report.metadata_encoding,
            "nphotons": _dose(fspath, arrays, metadata, estimate and readable),
            "lineage": build_lineage(metadata), "findings": findings, "check": check}


def _dose(path: str, arrays: Mapping[str, Any], metadata: Any, estimate: bool
          ) -> dict[str, Any]:
    """``{"recorded": float | None, "estimate": NphotonsEstimate.to_dict() | None}``, plus
    ``"sources"`` (one entry per source: index, path, recorded, estimate) for a merged file
    whose per-image ``source_index`` says which source each frame came from."""
    from ..base.errors import ContractViolation
    from ..contract.sources import source_entries, source_nphotons
    from ..metadata.doses import file_dose
    from ..physics.estimate import estimate_nphotons, frames_key

    out: dict[str, Any] = {"recorded": file_dose(metadata), "estimate": None}
    if not estimate or frames_key(arrays) is None:
        return out
    entries = source_entries(metadata)
    try:
        labels = _source_index(path, arrays, len(entries)) if entries else None
        if labels is None:
            out["estimate"] = estimate_nphotons(path).to_dict()
            return out
        found = estimate_nphotons(path, labels=labels, by_label=True)
        out["sources"] = [{"index": i, "path": entry.get("path"),
                           "recorded": source_nphotons(entry),
                           "estimate": found[i].to_dict() if i in found else None}
                          for i, entry in enumerate(entries)]
    except (ContractViolation, ValueError) as exc:
        out["estimate"] = {"value": None, "reason": " ".join(str(exc).split())}
    return out


def _source_index(path: str, arrays: Mapping[str, Any], count: int) -> Any:
    """The file's ``source_index`` when it is a usable per-frame label array, else None."""
    import numpy as np

    from ..io.archive import scan_archive
    from ..io.reader import read_array

    info = arrays.get("source_index")
    frames = arrays.get("diffraction") or arrays.get("diff3d")
    if info is None or frames is None or len(info["shape"]) != 1 \
            or info["shape"][0] != frames["shape"][0]:
        return None
    with scan_archive(path) as scan:
        index = read_array(scan, "source_index")
    if index.dtype.kind not in "iu" or (index.size and not 0 <= index.min() <= index.max()
                                        < count):
        return None
    return np.asarray(index, dtype=np.int64)


def _dose_lines(dose: Mapping[str, Any] | None) -> list[str]:
    if not dose:
        return []
    recorded = dose.get("recorded")
    lines = ["", "nphotons:", f"  recorded:  {_number(recorded)}"]
    if dose.get("sources") is not None:
        for source in dose["sources"]:
            shown = source.get("path") or f"source {source['index']}"
            lines.append(f"  source [{source['index']}] {shown}: recorded "
                         f"{_number(source.get('recorded'))}, estimated "
                         f"{_estimate_text(source.get('estimate'), source.get('recorded'))}")
        return lines
    est = dose.get("estimate")
    if est is not None:
        lines.append(f"  estimated: {_estimate_text(est, recorded)}")
    return lines


def _number(value: Any) -> str:
    return "none" if value is None else f"{value:g}"


def _estimate_text(est: Mapping[str, Any] | None, recorded: Any) -> str:
    if est is None:
        return "none"
    if est.get("value") is None:
        return f"undetermined ({est.get('reason')})"
    text = (f"{est['value']:.4g} +- {100 * (est.get('uncertainty') or 0):.2g}% "
            f"({est.get('method')}, {est.get('patterns')} patterns)")
    if recorded:
        ratio = max(est["value"] / recorded, recorded / est["value"])
        text += "; agrees" if ratio <= 1.1 else f"; {ratio:.3g}x from the record"
    return text


def render_description(info: Mapping[str, Any]) -> str:
    """The human form of :func:`describe_file`: an array table, metadata, the lineage tree,
    then the findings as ``npzcontract lint`` reports them, each labelled with its kind."""
    from ..io.archive import human_size
    arrays = info["arrays"]
    size = f", {human_size(info['size_bytes'])}" if info.get("size_bytes") is not None else ""
    lines = [f"{info['file']}  ({len(arrays)} arrays{size})"]
    if arrays:
        rows = [("key", "shape", "dtype", "bytes")]
        rows += [(key, "(" + ", ".join(map(str, a["shape"])) + ")", _dtype(a["dtype"]),
                  human_size(a["data_bytes"])) for key, a in arrays.items()]
        widths = [max(len(row[i]) for row in rows) for i in range(3)]
        lines += ["", "arrays:"]
        lines += [f"  {r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:<{widths[2]}}  {r[3]}"
                  for r in rows]
    lines += _dose_lines(info.get("nphotons"))
    metadata = info.get("metadata")
    lines.append("")
    if metadata is None:
        lines.append("metadata: none")
    else:
        lines.append(f"metadata ({info.get('metadata_encoding')}):")
        shown = {k: v for k, v in metadata.items() if k not in _LINEAGE_SECTIONS}
        lines += _listing(shown, "  ")
        lines += ["", "lineage:", *render_lineage(info["lineage"])]
    check, found = info["check"], info["findings"]
    scanned = "values scanned" if check["values"] else "values not scanned"
    lines += ["", f"findings (profile {check['profile']}, mode {check['mode']}, {scanned}): "
              f"{len(found) or 'none'}"]
    lines += [f"  {f['severity']} {f['rule']} ({f.get('kind') or 'unknown'}): "
              f"{'[' + one_line(f['key']) + '] ' if f.get('key') else ''}"
              f"{one_line(f['message'])}" for f in found]
    return "\n".join(lines)


def _listing(value: Mapping[str, Any], indent: str) -> list[str]:
    lines = []
    for key, item in value.items():
        if isinstance(item, Mapping) and item:
            lines.append(f"{indent}{key}:")
            lines += _listing(item, indent + "  ")
        else:
            text = item if isinstance(item, str) else json.dumps(item, default=str)
            lines.append(f"{indent}{key}: {text}")
    return lines


def _dtype(descr: str) -> str:
    import numpy as np

    dtype = np.dtype(descr)
    return dtype.name if dtype.kind in "biufc" else dtype.str
