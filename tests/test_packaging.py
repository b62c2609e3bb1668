"""One import namespace: setup.cfg maps every package folder under ``rcpod``, and no source file
imports the pre-0.2 top-level names (``reservoir``, ``quantum``, ``reduction``, ``examples``,
``benchmarks``). The wheel itself (only ``rcpod`` at the top, usable outside the repository) is
checked by .ci/wheel_check."""
import ast
import configparser
import doctest
from pathlib import Path


ROOT = Path(__file__).resolve().parent.parent
OLD_NAMES = {"reservoir", "quantum", "reduction", "examples", "benchmarks"}


def _options():
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    opts = cfg["options"]
    package_dir = dict(line.split(" = ") for line in opts["package_dir"].strip().splitlines())
    return package_dir, opts["packages"].split()


def test_every_package_folder_is_mapped_under_rcpod():
    package_dir, packages = _options()
    assert all(name == "rcpod" or name.startswith("rcpod.") for name in packages)
    found = {"rcpod"}
    for name, folder in package_dir.items():
        if name == "rcpod":
            continue
        for init in (ROOT / folder).rglob("__init__.py"):
            rel = init.parent.relative_to(ROOT / folder).parts
            if any(part.startswith("_") for part in rel):   # reservoir/_rcpod is rcpod itself
                continue
            found.add(".".join((name,) + rel))
    assert found == set(packages), "setup.cfg [options] packages and the folders disagree"
    assert (ROOT / package_dir["rcpod"] / "__init__.py").is_file()


def test_version_has_one_source():
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    assert cfg["metadata"]["version"] == "attr: rcpod.__version__"
    import rcpod.reservoir
    assert rcpod.reservoir.__version__ is rcpod.__version__


def _python_files():
    for folder in sorted(OLD_NAMES | {"tests"}):
        yield from sorted((ROOT / folder).rglob("*.py"))


def _sources(path):
    """The module's code, then the code of each docstring example (``>>>`` / ``...`` lines)."""
    text = path.read_text()
    yield text
    for example in doctest.DocTestParser().get_examples(text):
        yield example.source


def test_no_source_imports_the_old_top_level_names():
    offenders = []
    for path, source in ((p, s) for p in _python_files() for s in _sources(p)):
        try:
            tree = ast.parse(source, str(path))
        except SyntaxError:   # a doctest fragment that is not a whole statement
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            offenders += [f"{path.relative_to(ROOT)}:{node.lineno}: {n}" for n in names
                          if n.split(".")[0] in OLD_NAMES]
    assert not offenders, "imports of the old top-level names:\n" + "\n".join(offenders)
