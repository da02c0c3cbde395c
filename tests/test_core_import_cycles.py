"""The core (harness/, imported as seebench) has no import cycles, counting function-local imports too."""

from __future__ import annotations

import ast
from pathlib import Path

CORE = Path(__file__).resolve().parent.parent / "harness"
PACKAGE = "seebench"  # the import name of harness/ (pyproject.toml maps it)

# Edges allowed for now, each with the reason; empty when the core is acyclic.
KNOWN_EDGES: set[tuple[str, str]] = set()


def module_names(root: Path = CORE) -> dict[str, Path]:
    """Every module of the core by its dotted import name (a package by its own name, not `.__init__`)."""
    names = {}
    for path in sorted(root.rglob("*.py")):
        parts = [PACKAGE, *path.relative_to(root).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join(parts)] = path
    return names


def imported_modules(name: str, path: Path, known: set[str]) -> set[str]:
    """Core modules that `name` imports anywhere in its file (top level, inside functions, under TYPE_CHECKING).
    `from pkg import x` counts as importing `pkg.x` when that is a module, else `pkg` itself."""
    is_package = path.name == "__init__.py"
    here = name if is_package else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here.rsplit(".", node.level - 1)[0] if node.level > 1 else here
                base = f"{base}.{node.module}" if node.module else base
            else:
                base = node.module or ""
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in known:  # `import seebench.run.context as c` names a module; `a.b.attr` not
                target = target.rpartition(".")[0]
            if target and target != name:
                out.add(target)
    return out


def import_graph() -> dict[str, set[str]]:
    names = module_names()
    known = set(names)
    return {name: imported_modules(name, path, known) - {t for (s, t) in KNOWN_EDGES if s == name}
            for name, path in names.items()}


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle (a -> b -> ... -> a) through each strongly connected group of modules (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.add(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(group)

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return [_cycle_in(group, graph) for group in groups]


def _cycle_in(group: set[str], graph: dict[str, set[str]]) -> list[str]:
    """A shortest path from the group's first module back to itself, staying inside the group."""
    start = min(group)
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        nxt = []
        for v in frontier:
            for w in sorted(graph[v] & group):
                if w == start:
                    return paths[v] + [start]
                if w not in paths:
                    paths[w] = paths[v] + [w]
                    nxt.append(w)
        frontier = nxt
    raise AssertionError(f"no cycle in group {sorted(group)}")  # pragma: no cover


def test_the_core_has_no_import_cycles():
    graph = import_graph()
    assert len(graph) > 50 and "seebench.run.context" in graph  # the walk saw the whole core
    cycles = find_cycles(graph)
    assert not cycles, "import cycles in harness/: " + "; ".join(" -> ".join(c) for c in cycles)


def test_the_walk_sees_function_local_and_relative_imports(tmp_path):
    """The detector itself: a cycle hidden in a function body, through a relative import, is found and named."""
    pkg = tmp_path / "core"
    (pkg / "run").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "run" / "__init__.py").write_text("")
    (pkg / "run" / "a.py").write_text("from seebench.run import b\n")
    (pkg / "run" / "b.py").write_text("def later():\n    from .a import thing\n")
    (pkg / "run" / "c.py").write_text("import seebench.run.a as a\n")
    names = module_names(pkg)
    known = set(names)
    graph = {n: imported_modules(n, p, known) for n, p in names.items()}
    assert graph["seebench.run.a"] == {"seebench.run.b"}
    assert graph["seebench.run.b"] == {"seebench.run.a"}
    assert graph["seebench.run.c"] == {"seebench.run.a"}
    assert find_cycles(graph) == [["seebench.run.a", "seebench.run.b", "seebench.run.a"]]
