"""The modules of rcpod.quantum import each other without a cycle, counting every import
statement, deferred ones inside functions included (tests/test_imports.py checks the whole
package for module-level cycles and private imports; this stricter check keeps out cycles like
the former windows.fit -> reservoir -> windows one)."""
import ast
from pathlib import Path

import rcpod.quantum

QUANTUM = Path(rcpod.quantum.__file__).resolve().parent


def _module_imports(path):
    """Absolute names imported anywhere in ``path`` (relative imports resolved)."""
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = "rcpod.quantum" + (f".{base}" if base else "")
            out += [f"{base}.{a.name}" for a in node.names]
    return out


def _graph():
    """{module: imported names}, the package's own __init__ as ``rcpod.quantum``."""
    return {"rcpod.quantum" + ("" if p.stem == "__init__" else f".{p.stem}"): _module_imports(p)
            for p in QUANTUM.glob("*.py")}


def test_no_import_cycle_inside_quantum():
    graph = _graph()
    # an edge m -> n when m imports module n or a name from it (the longest matching module)
    edges = {}
    for m, names in graph.items():
        edges[m] = set()
        for name in names:
            owners = [n for n in graph if name == n or name.startswith(n + ".")]
            if owners:
                edges[m].add(max(owners, key=len))
        edges[m].discard(m)
    state = {}

    def visit(m, path):
        if state.get(m) == "done":
            return
        assert state.get(m) != "active", " -> ".join(path + [m])
        state[m] = "active"
        for n in edges.get(m, ()):
            visit(n, path + [m])
        state[m] = "done"

    for m in graph:
        visit(m, [])
