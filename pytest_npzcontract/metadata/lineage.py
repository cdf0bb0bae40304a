"""One dataset's lineage from its metadata: creation, every transformation, merged sources.

``build_lineage`` orders the records as plain data; ``render_lineage`` draws them as a tree::

    >>> print("\\n".join(render_lineage(build_lineage(metadata))))
    |-- created 2025-08-26T10:30:00Z by simulate.py on node-01 (version 1.0.0)
    `-- 1. train_test_split by split_tool.py at 2025-08-26T11:00:00Z
        |-- split_fraction: 0.8
        `-- input sim.npz sha256 9f86d081884c
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ..base.echo import shown

_PARAMETERS_WIDTH = 100


def build_lineage(metadata: Mapping | None) -> dict[str, Any]:
    """``{"created", "transformations", "merge", "sources"}`` from a metadata dict (or None)."""
    metadata = metadata or {}
    transformations = []
    for index, record in enumerate(_list(metadata.get("data_transformations")), start=1):
        record = record if isinstance(record, Mapping) else {"operation": shown(record)}
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
