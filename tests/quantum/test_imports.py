"""rcpod.quantum imports only public names of the other packages, and its modules import each
other without a cycle (every import statement, deferred ones inside functions included, read
from the source)."""
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


def test_no_private_name_of_another_package():
    bad = [(mod, name) for mod, names in _graph().items() for name in names
           if name.startswith("rcpod.") and not name.startswith("rcpod.quantum.")
           and any(part.startswith("_") for part in name.split(".")[1:])]
    assert not bad, bad


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
