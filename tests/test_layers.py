"""The package's layers import only downward (docs/architecture.md).

Every ``import`` and ``from ... import`` in every module, module-level or inside a function, is
resolved to the layer it names; a module may import its own layer or a lower one, never a
higher one, and the two surfaces (``plugin``, ``cli``) never import each other.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "pytest_npzcontract"
NAME = "pytest_npzcontract"

#: Rank of each layer: a module may import layers of equal or lower rank.
LAYERS = {"_version": 0, "base": 0, "metadata": 1, "io": 2, "physics": 3, "contract": 4,
          "tools": 5, "plugin": 6, "cli": 6, "__main__": 7}


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def _dotted(path: Path) -> list[str]:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return parts[:-1] if parts[-1] == "__init__" else parts


def _is_module(dotted: list[str]) -> bool:
    where = PACKAGE.parent.joinpath(*dotted)
    return where.with_suffix(".py").is_file() or (where / "__init__.py").is_file()


def _imported(path: Path, source: str | None = None) -> list[tuple[int, str]]:
    """(line, absolute module) for every intra-package import in ``path`` (or in ``source``,
    read as if it were that file)."""
    here = _dotted(path)
    package = here if path.name == "__init__.py" else here[:-1]
    found = []
    text = path.read_text() if source is None else source
    for node in ast.walk(ast.parse(text, str(path))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                target = [*base, *(node.module.split(".") if node.module else [])]
                if not node.module:  # ``from .. import x``: x may be a module or a name
                    found += [(node.lineno, ".".join([*target, a.name])
                               if _is_module([*target, a.name]) else ".".join(target))
                              for a in node.names]
                    continue
                found.append((node.lineno, ".".join(target)))
            elif node.module and node.module.split(".")[0] == NAME:
                found.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.split(".")[0] == NAME]
    return found


def _layer(dotted: str) -> str | None:
    parts = dotted.split(".")
    return parts[1] if len(parts) > 1 else None


def test_every_module_belongs_to_a_known_layer():
    unknown = {_layer(".".join(_dotted(p))) for p in _modules()} - set(LAYERS) - {None}
    assert not unknown, f"modules outside the known layers: {unknown} (add them to LAYERS)"


def _violations(path: Path, source: str | None = None) -> list[str]:
    own = _layer(".".join(_dotted(path)))
    if own is None:  # the package facade re-exports from every layer, lazily
        return []
    upward = []
    for line, target in _imported(path, source):
        layer = _layer(target)
        if layer is None:
            upward.append(f"line {line}: imports the package facade {target}")
        elif LAYERS[layer] > LAYERS[own] or (layer != own and {layer, own} == {"plugin", "cli"}):
            upward.append(f"line {line}: {own} imports {target} ({layer})")
    return upward


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_imports_a_higher_layer(path: Path):
    assert not _violations(path), "\n".join(_violations(path))


@pytest.mark.parametrize("line", [
    "from ..contract.checker import check_file",          # io -> contract
    "    from ..plugin import assertions",                # inside a function, io -> plugin
    "import pytest_npzcontract.cli.main",                 # absolute
    "from .. import check_file",                          # through the facade
])
def test_an_upward_import_is_caught(line: str):
    reader = PACKAGE / "io" / "reader.py"
    source = reader.read_text() + "\n\ndef _probe():\n" + (line if line.startswith(" ")
                                                          else "    " + line) + "\n"
    assert not _violations(reader)
    assert _violations(reader, source)


def test_surfaces_do_not_import_each_other():
    cli = PACKAGE / "cli" / "main.py"
    assert _violations(cli, cli.read_text() + "\nfrom ..plugin import assertions\n")


def _graph() -> dict[str, set[str]]:
    """Module -> the package modules it imports (any import: module level, inside a function,
    under ``TYPE_CHECKING``), for the modules that exist; the facade is left out."""
    modules = {".".join(_dotted(p)): p for p in _modules()}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        if name == NAME:
            continue
        graph[name] = {t for _, t in _imported(path) if t in modules and t != NAME
                       and t != name}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return out


def test_no_import_cycles():
    """No two modules import each other, directly or through others, in any form: a
    package's ``__init__`` importing its own submodules counts as well."""
    graph = _graph()
    # A subpackage's __init__ re-exporting its submodules is not a cycle of jobs.
    for name in graph:
        graph[name] = {t for t in graph[name] if not name.startswith(t + ".")}
    assert _cycles(graph) == []


def test_cycle_detector_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_the_architecture_document_names_every_module():
    """docs/architecture.md lists each module by its path in the package (``io/atomic.py``),
    so a new module is placed and explained where readers look for it."""
    text = (PACKAGE.parent / "docs" / "architecture.md").read_text()
    missing = [p.relative_to(PACKAGE).as_posix() for p in _modules()
               if p.name != "__init__.py" and f"`{p.relative_to(PACKAGE).as_posix()}`" not in text]
    assert missing == [], f"not named in docs/architecture.md: {missing}"
