"""The import rules of ../shared/DESIGN.md, checked on the source of the installed ``rcpod``.

* No module imports a private (``_name``) module, or a ``_name`` function or class, of another
  sub-package. The sub-packages are ``rcpod.reservoir``, ``rcpod.quantum``, ``rcpod.reduction``,
  ``rcpod.examples`` and ``rcpod.benchmarks``; ``rcpod`` itself lives in ``reservoir/_rcpod`` and
  belongs to ``rcpod.reservoir``. Imports inside functions count too.
* No import cycles among rcpod modules, counting the imports that run when a module is imported
  (module level, class bodies, ``if`` / ``try`` blocks; not ``if TYPE_CHECKING:`` blocks and not
  imports inside functions, which run later).

Every module is read with :mod:`ast`, never imported, so a module with a cycle or an expensive
import is checked all the same. Relative imports are resolved against the importing module.
An edge of the import graph goes to the imported module (``from . import x`` with ``x`` a module
goes to ``x``, ``from .m import f`` to ``m``) and to those of its enclosing packages that do not
enclose the importer too (importing ``rcpod.reservoir.series`` from quantum runs
``rcpod/reservoir/__init__.py``; from a reservoir module that package is already being imported).
"""
import ast
import importlib.util
from dataclasses import dataclass
from pathlib import Path

SUBPACKAGES = ("rcpod.reservoir", "rcpod.quantum", "rcpod.reduction", "rcpod.examples",
               "rcpod.benchmarks")
#: Where a module outside every sub-package (only ``rcpod`` itself) belongs.
TOP_OWNER = "rcpod.reservoir"


@dataclass(frozen=True)
class Import:
    importer: str
    lineno: int
    module: str          # the rcpod module imported from (or imported)
    name: str | None     # the name imported from ``module`` when it is not itself a module
    runtime: bool        # runs when the importer is imported (counts for cycles)


def installed_roots():
    """``{package name: folder}`` of ``rcpod`` and its sub-packages as installed."""
    roots = {}
    for name in ("rcpod",) + SUBPACKAGES:
        spec = importlib.util.find_spec(name)
        assert spec is not None and spec.submodule_search_locations, name
        roots[name] = Path(list(spec.submodule_search_locations)[0])
    return roots


def collect_modules(roots):
    """``{module name: (path, is_package)}`` of every module under the root folders.

    A folder counts as a package when it has an ``__init__.py``; a folder that is itself one of
    the roots (``reservoir/_rcpod`` is ``rcpod``) is walked under that root's name only.
    """
    root_dirs = {Path(p).resolve(): n for n, p in roots.items()}
    modules = {}

    def walk(name, folder):
        modules[name] = (folder / "__init__.py", True)
        for path in sorted(folder.iterdir()):
            if path.is_dir():
                if path.resolve() in root_dirs or not (path / "__init__.py").is_file():
                    continue
                walk(f"{name}.{path.name}", path)
            elif path.suffix == ".py" and path.name != "__init__.py":
                modules[f"{name}.{path.stem}"] = (path, False)

    for name, folder in roots.items():
        walk(name, Path(folder))
    return modules


def _is_type_checking(test):
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _import_nodes(tree):
    """``(node, runtime)`` for every import statement of a module."""
    def visit(node, runtime):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                yield child, runtime
            elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                yield from visit(child, False)
            elif isinstance(child, ast.If) and _is_type_checking(child.test):
                for stmt in child.body:
                    yield from visit(ast.Module(body=[stmt], type_ignores=[]), False)
                for stmt in child.orelse:
                    yield from visit(ast.Module(body=[stmt], type_ignores=[]), runtime)
            else:
                yield from visit(child, runtime)
    yield from visit(tree, True)


def _resolve(importer, is_package, node):
    """Absolute name of the module an ``ImportFrom`` node imports from."""
    if node.level == 0:
        return node.module
    parts = importer.split(".") if is_package else importer.split(".")[:-1]
    if node.level - 1 > len(parts) - 1:
        raise ImportError(f"{importer}: relative import beyond the top-level package")
    base = parts[:len(parts) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def module_imports(modules):
    """Every import of an rcpod module by an rcpod module, as :class:`Import` records."""
    found = []
    for importer, (path, is_package) in sorted(modules.items()):
        tree = ast.parse(Path(path).read_text(), str(path))
        for node, runtime in _import_nodes(tree):
            if isinstance(node, ast.Import):
                targets = [(a.name, None) for a in node.names]
            else:
                source = _resolve(importer, is_package, node)
                targets = []
                for alias in node.names:
                    sub = f"{source}.{alias.name}"
                    if sub in modules:
                        targets.append((sub, None))
                    elif alias.name != "*":
                        targets.append((source, alias.name))
                    else:
                        targets.append((source, None))
            found += [Import(importer, node.lineno, m, n, runtime) for m, n in targets
                      if m in modules]
    return found


def owner(module):
    """The sub-package a module belongs to."""
    for sub in SUBPACKAGES:
        if module == sub or module.startswith(sub + "."):
            return sub
    return TOP_OWNER


def _is_private(name):
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def private_import_violations(modules, imports):
    """Imports of another sub-package's private modules or names, as ``"importer:line: what"``."""
    out = []
    for imp in imports:
        if owner(imp.importer) == owner(imp.module):
            continue
        private_module = any(_is_private(p) for p in imp.module.split(".")[1:])
        if private_module or (imp.name is not None and _is_private(imp.name)):
            what = imp.module + (f".{imp.name}" if imp.name else "")
            out.append(f"{imp.importer}:{imp.lineno}: {what}")
    return sorted(set(out))


def _enclosing(module):
    parts = module.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def import_graph(modules, imports):
    """``{module: set of modules its import runs}`` from the runtime imports."""
    graph = {m: set() for m in modules}
    for imp in imports:
        if not imp.runtime:
            continue
        mine = set(_enclosing(imp.importer)) | {imp.importer}
        for target in _enclosing(imp.module) + [imp.module]:
            if target in modules and target not in mine:
                graph[imp.importer].add(target)
    return graph


def import_cycles(graph):
    """Strongly connected components with more than one module (Tarjan), each sorted."""
    index, low, stack, on_stack, cycles = {}, {}, [], set(), []

    def strongconnect(v):
        # iterative: a deep chain of imports must not hit Python's recursion limit
        work = [(v, iter(sorted(graph[v])))]
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        while work:
            node, children = work[-1]
            for w in children:
                if w not in index:
                    index[w] = low[w] = len(index)
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(graph[w]))))
                    break
                if w in on_stack:
                    low[node] = min(low[node], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        w = stack.pop()
                        on_stack.discard(w)
                        component.append(w)
                        if w == node:
                            break
                    if len(component) > 1:
                        cycles.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            strongconnect(v)
    return sorted(cycles)


def check(roots):
    """``(private-import violations, import cycles)`` of the modules under ``roots``."""
    modules = collect_modules(roots)
    imports = module_imports(modules)
    return private_import_violations(modules, imports), import_cycles(import_graph(modules,
                                                                                   imports))


# -- the installed package ------------------------------------------------------------------------
def test_the_walk_finds_the_package():
    modules = collect_modules(installed_roots())
    assert {"rcpod", "rcpod.reservoir.esn", "rcpod.reservoir.oil_platform.plant",
            "rcpod.quantum.cells", "rcpod.reduction.pod", "rcpod.examples.reproduce",
            "rcpod.benchmarks.bench_esn"} <= set(modules)
    assert "rcpod.reservoir._rcpod" not in modules   # that folder is rcpod itself
    imports = module_imports(modules)
    assert any(i.importer == "rcpod.reservoir" and i.module == "rcpod.reservoir.esn"
               for i in imports)


def test_no_module_imports_private_parts_of_another_subpackage():
    violations, _ = check(installed_roots())
    assert not violations, ("imports of another sub-package's private modules or names "
                            "(make what two packages share public):\n" + "\n".join(violations))


def test_no_import_cycles():
    _, cycles = check(installed_roots())
    assert not cycles, "import cycles among rcpod modules:\n" + "\n".join(
        " <-> ".join(c) for c in cycles)


# -- the checker on planted offenders -------------------------------------------------------------
def _plant(tmp_path, files):
    """Write ``{relative path: source}`` and return roots for rcpod, reservoir and quantum."""
    for rel, source in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source)
    for pkg in ("top", "res", "res/_rcpod", "q"):
        (tmp_path / pkg).mkdir(parents=True, exist_ok=True)
        (tmp_path / pkg / "__init__.py").touch()
    return {"rcpod": tmp_path / "res" / "_rcpod", "rcpod.reservoir": tmp_path / "res",
            "rcpod.quantum": tmp_path / "q"}


def test_checker_flags_private_imports_across_subpackages(tmp_path):
    roots = _plant(tmp_path, {
        "res/_kern.py": "def _tanh(x):\n    return x\ndef public(x):\n    return x\n",
        "res/ok.py": "from ._kern import _tanh\n",                   # own sub-package: allowed
        "q/a.py": "from rcpod.reservoir._kern import public\n",       # private module
        "q/b.py": "from rcpod.reservoir import _kern\n",              # private module by name
        "q/c.py": "def f():\n    from ..reservoir.ok import _tanh\n",  # private name, in a function
        "q/d.py": "import rcpod.reservoir._kern as k\n",
        "q/e.py": "from rcpod import __version__\nfrom rcpod.reservoir.ok import public\n",
        "q/_own.py": "",
        "q/f.py": "from . import _own\nfrom ._own import _x\n",
    })
    violations, cycles = check(roots)
    assert [v.split(":")[0] for v in violations] == ["rcpod.quantum.a", "rcpod.quantum.b",
                                                     "rcpod.quantum.c", "rcpod.quantum.d"]
    assert violations[2] == "rcpod.quantum.c:2: rcpod.reservoir.ok._tanh"
    assert not cycles


def test_checker_flags_import_cycles(tmp_path):
    roots = _plant(tmp_path, {
        "q/a.py": "from . import b\n",                         # a -> b -> c -> a
        "q/b.py": "from .c import thing\n",
        "q/c.py": "import rcpod.quantum.a\nthing = 1\n",
        "q/late.py": "def f():\n    from . import early\n",    # inside a function: no cycle
        "q/early.py": "from .late import f\n",
        "q/typed.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                      "    from .hinted import T\n",
        "q/hinted.py": "from .typed import TYPE_CHECKING\nT = int\n",
        "res/x.py": "class K:\n    from rcpod.quantum.y import z\n",   # class body runs
        "q/y.py": "try:\n    from rcpod.reservoir.x import K\nexcept ImportError:\n    K = None\n"
                  "z = 1\n",
    })
    violations, cycles = check(roots)
    assert not violations
    assert cycles == [["rcpod.quantum.a", "rcpod.quantum.b", "rcpod.quantum.c"],
                      ["rcpod.quantum.y", "rcpod.reservoir.x"]]


def test_checker_counts_the_package_init_another_subpackage_runs(tmp_path):
    # importing rcpod.reservoir.x from quantum runs rcpod/reservoir/__init__.py, which imports
    # quantum back: a cycle through the package, not through the modules themselves
    roots = _plant(tmp_path, {
        "res/__init__.py": "from .x import X\nfrom .y import *\n",
        "res/x.py": "X = 1\n",
        "res/y.py": "from rcpod.quantum.a import A\n",
        "q/a.py": "from rcpod.reservoir.x import X\nA = 2\n",
    })
    _, cycles = check(roots)
    assert cycles == [["rcpod.quantum.a", "rcpod.reservoir", "rcpod.reservoir.y"]]
