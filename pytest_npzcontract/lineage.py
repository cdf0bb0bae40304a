"""What ``npzcontract show`` prints: a dataset's arrays, metadata and lineage.

``describe_file`` gathers plain data from headers and ``_metadata`` only (array data is never
read); ``build_lineage`` orders creation, every transformation and merged sources;
``render_description`` and ``render_lineage`` draw them for people::

    >>> print("\\n".join(render_lineage(build_lineage(metadata))))
    |-- created 2025-08-26T10:30:00Z by simulate.py on node-01 (version 1.0.0)
    `-- 1. train_test_split by split_tool.py at 2025-08-26T11:00:00Z
        |-- split_fraction: 0.8
        `-- input sim.npz sha256 9f86d081884c
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

_PARAMETERS_WIDTH = 100
#: Metadata sections shown in the lineage tree rather than in the metadata listing.
_LINEAGE_SECTIONS = ("data_transformations", "source_datasets", "merge_info")
DESCRIPTION_VERSION = 1


def describe_file(path: str | os.PathLike) -> dict[str, Any]:
    """Arrays (from headers), metadata, its encoding, lineage and any reading problems.

    >>> info = describe_file("train.npz")
    >>> info["arrays"]["diffraction"]["shape"], info["lineage"]["transformations"][-1]["tool"]
    ([512, 64, 64], 'split_tool.py')
    """
    from .archive import scan_archive
    from .metadata_codec import METADATA_KEY, MetadataError
    from .reader import read_metadata

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
    size = os.path.getsize(fspath) if os.path.isfile(fspath) else None
    return {"version": DESCRIPTION_VERSION, "file": fspath, "size_bytes": size,
            "arrays": arrays, "metadata": metadata, "metadata_encoding": encoding,
            "lineage": build_lineage(metadata), "findings": findings}


def render_description(info: Mapping[str, Any]) -> str:
    """The human form of :func:`describe_file`: an array table, metadata, the lineage tree."""
    from .archive import human_size
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
    metadata = info.get("metadata")
    lines.append("")
    if metadata is None:
        lines.append("metadata: none")
    else:
        lines.append(f"metadata ({info.get('metadata_encoding')}):")
        shown = {k: v for k, v in metadata.items() if k not in _LINEAGE_SECTIONS}
        lines += _listing(shown, "  ")
        lines += ["", "lineage:", *render_lineage(info["lineage"])]
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


def build_lineage(metadata: Mapping | None) -> dict[str, Any]:
    """``{"created", "transformations", "merge", "sources"}`` from a metadata dict (or None)."""
    metadata = metadata or {}
    transformations = []
    for index, record in enumerate(_list(metadata.get("data_transformations")), start=1):
        record = record if isinstance(record, Mapping) else {"operation": repr(record)}
        transformations.append({
            "index": index,
            "operation": record.get("operation"),
            "tool": record.get("tool"),
            "timestamp": record.get("timestamp"),
            "parameters": record.get("parameters") or {},
            "inputs": [dict(i) for i in _list(record.get("inputs")) if isinstance(i, Mapping)],
        })
    sources = []
    for position, source in enumerate(_list(metadata.get("source_datasets"))):
        source = source if isinstance(source, Mapping) else {}
        nested = source.get("metadata")
        sources.append({
            "index": source.get("index", position),
            "path": source.get("path"),
            "sha256": source.get("sha256"),
            "n_images": source.get("n_images"),
            "lineage": build_lineage(nested if isinstance(nested, Mapping) else None),
        })
    created = metadata.get("creation_info")
    merge = metadata.get("merge_info")
    return {
        "created": dict(created) if isinstance(created, Mapping) else None,
        "transformations": transformations,
        "merge": dict(merge) if isinstance(merge, Mapping) else None,
        "sources": sources,
    }


def render_lineage(lineage: Mapping[str, Any]) -> list[str]:
    """The lineage as tree lines (no trailing newline), oldest event first."""
    return _tree(_nodes(lineage))


def _nodes(lineage: Mapping[str, Any]) -> list[tuple[str, list]]:
    """(label, children) pairs, children in the same form."""
    created = lineage.get("created")
    nodes: list[tuple[str, list]] = [(_created(created) if created else "created: not recorded",
                                      [])]
    for record in lineage.get("transformations", []):
        children = _parameter_nodes(record["parameters"])
        children += [(_input(i), []) for i in record["inputs"]]
        nodes.append((_transformation(record), children))
    sources = lineage.get("sources") or []
    merge = lineage.get("merge")
    if sources or merge:
        merge = merge or {}
        detail = ", ".join(str(v) for v in (merge.get("strategy"), merge.get("timestamp")) if v)
        label = f"merged {len(sources)} source(s)" + (f" ({detail})" if detail else "")
        nodes.append((label, [(_source(s), _nodes(s["lineage"])) for s in sources]))
    return nodes


def _tree(nodes: list[tuple[str, list]], prefix: str = "") -> list[str]:
    lines = []
    for position, (label, children) in enumerate(nodes):
        last = position == len(nodes) - 1
        lines.append(f"{prefix}{'`-- ' if last else '|-- '}{label}")
        lines += _tree(children, prefix + ("    " if last else "|   "))
    return lines


def _created(info: Mapping[str, Any]) -> str:
    text = f"created {info.get('timestamp') or 'at an unknown time'}"
    if info.get("script"):
        text += f" by {info['script']}"
    if info.get("hostname"):
        text += f" on {info['hostname']}"
    if info.get("version"):
        text += f" (version {info['version']})"
    return text


def _transformation(record: Mapping[str, Any]) -> str:
    text = f"{record['index']}. {record.get('operation') or '?'}"
    if record.get("tool"):
        text += f" by {record['tool']}"
    if record.get("timestamp"):
        text += f" at {record['timestamp']}"
    return text


def _parameter_nodes(parameters: Any) -> list[tuple[str, list]]:
    """One node per parameter; a list parameter gets one child per item."""
    if not isinstance(parameters, Mapping):
        return [(_compact(parameters), [])] if parameters else []
    nodes: list[tuple[str, list]] = []
    for name, value in parameters.items():
        if isinstance(value, list) and value:
            nodes.append((f"{name}:", [(_compact(item), []) for item in value]))
        else:
            nodes.append((f"{name}: {_compact(value)}", []))
    return nodes


def _input(record: Mapping[str, Any]) -> str:
    name = record.get("path") or record.get("name") or "?"
    digest = record.get("sha256")
    return f"input {name}" + (f" sha256 {str(digest)[:12]}" if digest else "")


def _source(source: Mapping[str, Any]) -> str:
    text = f"[{source['index']}] {source.get('path') or 'unnamed source'}"
    if source.get("n_images") is not None:
        text += f", {source['n_images']} images"
    if source.get("sha256"):
        text += f", sha256 {str(source['sha256'])[:12]}"
    return text


def _compact(value: Any) -> str:
    text = json.dumps(value, separators=(", ", ": "), default=str)
    return text if len(text) <= _PARAMETERS_WIDTH else text[: _PARAMETERS_WIDTH - 4] + " ..."


def _list(value: Any) -> list:
    return list(value) if isinstance(value, list) else []
