"""The derivation graph across files: which file was made from which.

A file's parents are named by its newest transformation record (earlier records were
inherited from its ancestors): its ``inputs`` (SHA-256, name, path: what :func:`transform`
writes), and the links the reference's tools record, ``parameters.parent_file``,
``parameters.input_file`` and a record-level ``input_file`` (paths only). Each is matched to a
file present by SHA-256; failing that by its recorded path, resolved relative to the file
that holds the record (then to the working directory), then by a unique file name; otherwise
it is a *missing* parent node::

    >>> graph = build_graph(["data/"])
    >>> [(e.parent, e.child, e.operation) for e in graph.edges]
    [('n0', 'n1', 'train_test_split'), ...]
    >>> print(render_mermaid(graph))

``render_text``/``render_mermaid``/``render_dot``/``graph.to_dict()`` draw it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from ..metadata.model import sha256_file

GRAPH_VERSION = 1


@dataclass
class Node:
    """A file present (``present``) or a parent that a record names but no file matches."""

    id: str
    name: str
    present: bool
    path: str | None = None
    sha256: str | None = None
    operation: str | None = None
    tool: str | None = None
    created_by: str | None = None
    error: str | None = None


@dataclass
class Edge:
    """``parent`` -> ``child`` made by ``operation``; ``match``: sha256, path, name or missing;
    ``link``: the record field that names the parent (``inputs``, ``parameters.parent_file``,
    ``parameters.input_file``, ``input_file``)."""

    parent: str
    child: str
    operation: str | None
    tool: str | None
    match: str
    link: str = "inputs"


#: Record fields holding a parent's path, as the reference's tools write them.
PATH_LINKS = (("parameters", "parent_file"), ("parameters", "input_file"), (None, "input_file"))


@dataclass
class LineageGraph:
    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)

    def node(self, node_id: str) -> Node:
        return next(n for n in self.nodes if n.id == node_id)

    def to_dict(self) -> dict[str, Any]:
        return {"version": GRAPH_VERSION, "nodes": [asdict(n) for n in self.nodes],
                "edges": [asdict(e) for e in self.edges]}


def find_npz(paths: Iterable[str | os.PathLike]) -> list[str]:
    """Files as given, and every ``*.npz`` below directories (sorted)."""
    out: list[str] = []
    for path in map(os.fspath, paths):
        if os.path.isdir(path):
            for root, dirs, files in os.walk(os.path.normpath(path)):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                out += [os.path.normpath(os.path.join(root, f)) for f in sorted(files)
                        if f.lower().endswith(".npz") and not f.startswith(".")]
        else:
            out.append(path)
    return list(dict.fromkeys(out))


def build_graph(paths: Iterable[str | os.PathLike]) -> LineageGraph:
    """Read each file's metadata (headers and ``_metadata`` only) and link parents."""
    graph = LineageGraph()
    parents: dict[str, list[Mapping]] = {}
    for position, path in enumerate(find_npz(paths)):
        node, record = _read(f"n{position}", path)
        graph.nodes.append(node)
        if record is not None:
            parents[node.id] = parent_links(record)
    present = list(graph.nodes)
    missing: dict[str, Node] = {}
    for child in present:
        for entry in parents.get(child.id, []):
            parent, how = _match(entry, child, present)
            link = str(entry.get("link") or "inputs")
            if parent is None:
                key = str(entry.get("sha256") or entry.get("name"))
                if key not in missing:
                    missing[key] = Node(f"m{len(missing)}", str(entry.get("name") or "?"), False,
                                        path=_text(entry.get("path")),
                                        sha256=_text(entry.get("sha256")))
                    graph.nodes.append(missing[key])
                parent, how = missing[key], "missing"
            graph.edges.append(Edge(parent.id, child.id, child.operation, child.tool, how, link))
    return graph


def parent_links(record: Mapping) -> list[Mapping]:
    """The parents one transformation record names: its ``inputs`` entries, then each path
    link (``parameters.parent_file``, ``parameters.input_file``, ``input_file``) that no
    input entry already names."""
    links: list[Mapping] = [i for i in record.get("inputs") or [] if isinstance(i, Mapping)]
    if not isinstance(record.get("inputs"), list):
        links = []
    named = {os.path.basename(str(i.get("path") or i.get("name") or "")) for i in links}
    for section, field_name in PATH_LINKS:
        holder = record.get(section) if section else record
        value = holder.get(field_name) if isinstance(holder, Mapping) else None
        if not isinstance(value, str) or not value.strip():
            continue
        name = os.path.basename(value.replace("\\", "/").rstrip("/")) or value
        if name in named:
            continue
        named.add(name)
        link = f"{section}.{field_name}" if section else field_name
        links.append({"name": name, "path": value, "link": link})
    return links


def _read(node_id: str, path: str) -> tuple[Node, Mapping | None]:
    from ..io.archive import scan_archive
    from ..io.codec import MetadataError
    from ..io.reader import read_metadata

    node = Node(node_id, os.path.basename(path), True, path=path)
    try:
        node.sha256 = sha256_file(path)
        with scan_archive(path) as scan:
            errors = [f.message for f in scan.findings if f.severity == "error"]
            decoded = read_metadata(scan) if scan.zf is not None else None
    except (OSError, MetadataError) as exc:
        node.error = " ".join(str(exc).split())
        return node, None
    if errors and decoded is None:
        node.error = errors[0]
    metadata = decoded.metadata if decoded is not None else {}
    created = metadata.get("creation_info") if isinstance(metadata, Mapping) else None
    if isinstance(created, Mapping):
        node.created_by = _text(created.get("script"))
    records = metadata.get("data_transformations") if isinstance(metadata, Mapping) else None
    record = records[-1] if isinstance(records, list) and records else None
    if not isinstance(record, Mapping):
        return node, None
    node.operation, node.tool = _text(record.get("operation")), _text(record.get("tool"))
    return node, record


def _match(entry: Mapping, child: Node, present: list[Node]) -> tuple[Node | None, str]:
    others = [n for n in present if n.id != child.id]
    digest = entry.get("sha256")
    if digest:
        found = [n for n in others if n.sha256 == str(digest).lower()]
        if found:
            return found[0], "sha256"
    recorded = entry.get("path")
    if isinstance(recorded, str) and recorded:
        holder = os.path.dirname(os.path.abspath(child.path or "."))
        for base in (holder, os.getcwd()):
            real = os.path.realpath(os.path.join(base, recorded))
            found = [n for n in others if n.path and os.path.realpath(n.path) == real]
            if found:
                return found[0], "path"
    name = entry.get("name")
    found = [n for n in others if name and n.name == name]
    return (found[0], "name") if len(found) == 1 else (None, "missing")


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _label(node: Node) -> str:
    return node.path if node.present and node.path else node.name


def render_text(graph: LineageGraph) -> list[str]:
    """A tree per root (a file or missing parent with no parent); a file reached again is
    shown once with ``(see above)``."""
    children: dict[str, list[Edge]] = {}
    has_parent = set()
    for edge in graph.edges:
        children.setdefault(edge.parent, []).append(edge)
        has_parent.add(edge.child)
    lines: list[str] = []
    shown: set[str] = set()

    def walk(node: Node, prefix: str, edge: Edge | None, last: bool, top: bool) -> None:
        label = _describe(node, edge)
        if node.id in shown:
            label += " (see above)"
        lines.append(label if top else f"{prefix}{'`-- ' if last else '|-- '}{label}")
        if node.id in shown:
            return
        shown.add(node.id)
        below = children.get(node.id, [])
        inner = "" if top else prefix + ("    " if last else "|   ")
        for i, child_edge in enumerate(below):
            walk(graph.node(child_edge.child), inner, child_edge, i == len(below) - 1, False)

    for node in graph.nodes:
        if node.id not in has_parent:
            walk(node, "", None, True, True)
    for node in graph.nodes:  # cycles (a file derived from itself) have no root
        if node.id not in shown:
            walk(node, "", None, True, True)
    return lines


def _describe(node: Node, edge: Edge | None) -> str:
    text = _label(node)
    if not node.present:
        text += " (missing: no file here has its SHA-256 or name)"
    elif node.error:
        text += f" (unreadable: {node.error})"
    if edge is not None:
        text += f"  <- {edge.operation or '?'}" + (f" by {edge.tool}" if edge.tool else "")
        if edge.match in ("path", "name") and edge.link == "inputs":
            text += f" (matched by {edge.match}; the parent changed since)"
        elif edge.link != "inputs":
            text += f" (via {edge.link})"
    elif node.present and node.operation:
        text += f"  (last: {node.operation}" + (f" by {node.tool})" if node.tool else ")")
    elif node.present and node.created_by:
        text += f"  (created by {node.created_by})"
    return text


def render_mermaid(graph: LineageGraph) -> list[str]:
    """A mermaid flowchart (renders in GitHub Markdown and job summaries)."""
    lines = ["graph TD"]
    for node in graph.nodes:
        label = _label(node).replace('"', "'") + ("<br/>(missing)" if not node.present else "")
        lines.append(f'  {node.id}["{label}"]' + (":::missing" if not node.present else ""))
    for edge in graph.edges:
        arrow = "-.->" if edge.match == "missing" else "-->"
        lines.append(f"  {edge.parent} {arrow}|{edge.operation or '?'}| {edge.child}")
    if any(not n.present for n in graph.nodes):
        lines.append("  classDef missing stroke-dasharray: 5 5")
    return lines


def render_dot(graph: LineageGraph) -> list[str]:
    """A Graphviz ``digraph`` (``dot -Tsvg``)."""
    lines = ["digraph lineage {", "  rankdir=TB;", "  node [shape=box];"]
    for node in graph.nodes:
        label = _label(node).replace("\\", "\\\\").replace('"', '\\"')
        extra = ', style=dashed, label="' + label + '\\n(missing)"' if not node.present else ""
        lines.append(f'  {node.id} [label="{label}"{extra}];' if not extra
                     else f"  {node.id} [{extra[2:]}];")
    for edge in graph.edges:
        style = ", style=dashed" if edge.match == "missing" else ""
        lines.append(f'  {edge.parent} -> {edge.child} [label="{edge.operation or "?"}"{style}];')
    lines.append("}")
    return lines
