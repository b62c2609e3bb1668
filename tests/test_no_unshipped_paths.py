"""The installed package names no file that is not installed with it.

The ``.py`` files under ``reservoir/``, ``quantum/``, ``reduction/``, ``examples/`` and
``benchmarks/`` are installed as ``rcpod.*`` (setup.cfg ``package_dir``). Their docstrings,
comments, strings and error messages are read by users of the installed package, so they must not
send the reader to files that are not installed:

* the project's unshipped reference notes (the ``shared`` folder);
* parent directories (a ``../`` path);
* the test suite (paths starting with ``tests/``).

A path of the form ``<package folder>/<...>.py`` (e.g. ``examples/narma10.py``) must name a file
that exists in the repository, so that it exists in the installed package too.

Every line of every file is scanned (code included: a path in code is shown to users as well).
Failures name the offending ``file:line``.
"""
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE_FOLDERS = ("reservoir", "quantum", "reduction", "examples", "benchmarks")

# Written in two pieces so that the pattern itself does not match a plain search for it.
_SHARED = "shared" + "/"
FORBIDDEN = (
    (re.compile(r"(?<![\w-])" + re.escape(_SHARED)),
     "path into the unshipped " + _SHARED + " folder"),
    (re.compile(r"\.\./"), "relative path to a parent directory (../)"),
    (re.compile(r"(?<![\w./-])tests/"),
     "path into the test suite (tests/), which is not installed"),
)
PACKAGE_PATH = re.compile(r"(?<![\w./-])(?:%s)/[\w./-]*?\.py(?!\w)" % "|".join(PACKAGE_FOLDERS))


def path_problems(text, root=ROOT):
    """``[(line number, message)]`` for every forbidden or dangling path in ``text``."""
    problems = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        for pattern, what in FORBIDDEN:
            if pattern.search(line):
                problems.append((lineno, f"{what}: {line.strip()!r}"))
        for m in PACKAGE_PATH.finditer(line):
            if not (root / m.group(0)).is_file():
                problems.append((lineno, f"names {m.group(0)}, which does not exist in the "
                                         f"repository (nor in the installed package): "
                                         f"{line.strip()!r}"))
    return problems


def package_sources():
    files = []
    for folder in PACKAGE_FOLDERS:
        files.extend(sorted(p for p in (ROOT / folder).rglob("*.py")
                            if "__pycache__" not in p.parts))
    return files


def test_package_sources_are_found():
    files = package_sources()
    names = {p.relative_to(ROOT).as_posix() for p in files}
    assert {"reservoir/esn.py", "quantum/cells.py", "reduction/deim.py",
            "examples/narma10.py"} <= names
    assert {p.relative_to(ROOT).parts[0] for p in files} == set(PACKAGE_FOLDERS)


def test_no_unshipped_paths_in_package_sources():
    offenders = []
    for path in package_sources():
        rel = path.relative_to(ROOT).as_posix()
        for lineno, message in path_problems(path.read_text(encoding="utf-8")):
            offenders.append(f"{rel}:{lineno}: {message}")
    assert not offenders, ("the installed package names paths that are not installed with it:\n"
                           + "\n".join(offenders))


@pytest.mark.parametrize("line, bad", [
    ("See " + _SHARED + "reference/notes.md.", True),
    ("data in /work/" + _SHARED + "reference/data/x.npz", True),
    ("open('../data/x.csv')", True),
    ("tested in ``tests/quantum/test_reservoir.py``", True),
    ("see examples/no_such_example.py", True),
    ("see reservoir/no_such_module.py for details", True),
    ("see examples/narma10.py", False),
    ("reservoirpy/observables.py and torch/optim/rmsprop.py", False),
    ("``networkComponents/PI.mo`` of esmjah/PlantwideControl", False),
    ("contests/ and unshared/ are not paths of ours", False),
    ("    python examples/reduction_narma10.py --smoke", False),
])
def test_path_problems_detects_offenders(line, bad):
    assert bool(path_problems(line)) == bad, path_problems(line)
