"""What ``npzcontract show`` prints: a dataset's arrays (from headers), metadata and lineage.

``describe_file`` gathers plain data from headers and ``_metadata`` only (array data is never
read); ``render_description`` draws it for people::

    >>> info = describe_file("train.npz")
    >>> print(render_description(info))
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

from ..metadata.lineage import build_lineage, render_lineage

#: Metadata sections shown in the lineage tree rather than in the metadata listing.
_LINEAGE_SECTIONS = ("data_transformations", "source_datasets", "merge_info")
DESCRIPTION_VERSION = 1


def describe_file(path: str | os.PathLike, *, estimate: bool = True,
                  profile: str | None = None) -> dict[str, Any]:
    """Arrays (from headers), metadata, its encoding, lineage and any reading problems, and
    the recorded nphotons next to the one the frames' photon statistics give (``estimate``:
    streams the frames once; ``False`` reads headers and metadata only), and the file's
    contract findings (``check``: structural checks in STRICT mode, no value scan; ``profile``
    as in ``check_file``, ``None`` lets the scaling pair decide).

    >>> info = describe_file("train.npz")
    >>> info["arrays"]["diffraction"]["shape"], info["lineage"]["transformations"][-1]["tool"]
    ([512, 64, 64], 'split_tool.py')
    """
    from ..io.archive import scan_archive
    from ..io.codec import METADATA_KEY, MetadataError
    from ..io.reader import read_metadata

    fspath = os.fspath(path)
    metadata, encoding = None, None
    with scan_archive(fspath) as scan:
        findings = [f.to_dict() for f in scan.findings]
        arrays = {k: m.to_dict() for k, m in scan.members.items() if k != METADATA_KEY}
        if scan.zf is not None:
            try:
                decoded = read_metadata(scan)
            except MetadataError as exc:
                findings.append({"file": fspath, "key": METADATA_KEY, "rule": exc.rule,
                                 "severity": "error", "message": str(exc), "hint": ""})
            else:
                if decoded is not None:
                    metadata, encoding = decoded.metadata, decoded.encoding
        readable = scan.zf is not None and not any(f["severity"] == "error" for f in findings)
    size = os.path.getsize(fspath) if os.path.isfile(fspath) else None
    check = None
    if readable:
        from ..contract.checker import check_file

        report = check_file(fspath, values=False, profile=profile)
        check = {"profile": report.profile, "findings": [f.to_dict() for f in report.findings]}
    return {"version": DESCRIPTION_VERSION, "file": fspath, "size_bytes": size,
            "arrays": arrays, "metadata": metadata, "metadata_encoding": encoding,
            "nphotons": _dose(fspath, arrays, metadata, estimate),
            "lineage": build_lineage(metadata), "findings": findings, "check": check}


def _dose(path: str, arrays: Mapping[str, Any], metadata: Any, estimate: bool
          ) -> dict[str, Any]:
    """``{"recorded": float | None, "estimate": NphotonsEstimate.to_dict() | None}``."""
    from ..base.errors import ContractViolation
    from ..metadata.doses import file_dose
    from ..physics.estimate import estimate_nphotons, frames_key

    out: dict[str, Any] = {"recorded": file_dose(metadata), "estimate": None}
    if estimate and frames_key(arrays) is not None:
        try:
            out["estimate"] = estimate_nphotons(path).to_dict()
        except (ContractViolation, ValueError) as exc:
            out["estimate"] = {"value": None, "reason": " ".join(str(exc).split())}
    return out


def _dose_lines(dose: Mapping[str, Any] | None) -> list[str]:
    if not dose:
        return []
    recorded = dose.get("recorded")
    lines = ["", "nphotons:", f"  recorded:  {'none' if recorded is None else f'{recorded:g}'}"]
    est = dose.get("estimate")
    if est is None:
        return lines
    if est.get("value") is None:
        lines.append(f"  estimated: undetermined ({est.get('reason')})")
        return lines
    text = (f"  estimated: {est['value']:.4g} +- {100 * (est.get('uncertainty') or 0):.2g}% "
            f"({est.get('method')}, {est.get('patterns')} patterns)")
    if recorded:
        ratio = max(est["value"] / recorded, recorded / est["value"])
        text += "; agrees" if ratio <= 1.1 else f"; {ratio:.3g}x from the record"
    return [*lines, text]


def render_description(info: Mapping[str, Any]) -> str:
    """The human form of :func:`describe_file`: an array table, metadata, the lineage tree."""
    from ..io.archive import human_size
    arrays = info["arrays"]
    size = f", {human_size(info['size_bytes'])}" if info.get("size_bytes") is not None else ""
    lines = [f"{info['file']}  ({len(arrays)} arrays{size})"]
    lines += [f"  {f['severity']} {f['rule']}: "
              f"{'[' + f['key'] + '] ' if f.get('key') else ''}{f['message']}"
              for f in info["findings"]]
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
    check = info.get("check")
    if check is not None:
        found = check["findings"]
        lines += ["", f"findings (profile {check['profile']}, structural checks, STRICT): "
                  f"{len(found) or 'none'}"]
        lines += [f"  {f['severity']} {f['rule']}: "
                  f"{'[' + f['key'] + '] ' if f.get('key') else ''}{f['message']}" for f in found]
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
