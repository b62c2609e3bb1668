"""Every public class and function has a numpy-style docstring with a runnable example.

Public means: listed in ``__all__`` of a package or module of ``rcpod.reservoir``,
``rcpod.quantum`` and ``rcpod.reduction`` (the packages' re-exports and every submodule found by ``pkgutil.walk_packages``,
including subpackages such as ``rcpod.reservoir.oil_platform``), skipping private modules (a dotted name
part starting with ``_``). An object exported under several names is checked once, under its
first name (package exports come before module exports). Rules:

* a non-empty docstring;
* functions taking arguments have a ``Parameters`` section (classes and exceptions only need the
  non-empty docstring: their parameters may be documented as attributes);
* an ``Examples`` section holding at least one doctest (``>>>``). The examples themselves run in
  :func:`test_doctests`, one test per module, imported under its ``rcpod`` name (pytest's
  ``--doctest-modules`` would import the folders under their bare names), so the objects must be
  defined in those packages.

There is no allow-list: a new public object without these sections fails the test, which names
the object and the missing sections.
"""
import doctest
import importlib
import inspect
import pkgutil
import re

import pytest

PACKAGES = ("rcpod.reservoir", "rcpod.quantum", "rcpod.reduction")
DOCTESTED_PACKAGES = PACKAGES
DOCTEST_FLAGS = doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS

_PARSER = doctest.DocTestParser()


def _section(doc, title):
    """Body of the numpy-style section ``title`` of a cleaned docstring, or None."""
    m = re.search(rf"^{title}\n-{{3,}}\n(.*?)(?=^\S[^\n]*\n-{{3,}}\n|\Z)", doc, flags=re.M | re.S)
    return None if m is None else m.group(1)


def _takes_arguments(func):
    try:
        sig = inspect.signature(func)
    except (TypeError, ValueError):   # builtins without a signature: require the section
        return True
    return any(name not in ("self", "cls") for name in sig.parameters)


def _is_private(module_name):
    return any(part.startswith("_") for part in module_name.split("."))


def _raise(name):
    raise ImportError(f"cannot import {name} while collecting the public API")


def all_modules(include_private):
    """The packages of :data:`PACKAGES` and their modules and subpackages, packages first."""
    modules = []
    for top in PACKAGES:
        package = importlib.import_module(top)
        modules.append(package)
        for info in pkgutil.walk_packages(package.__path__, f"{top}.", onerror=_raise):
            if include_private or not _is_private(info.name):
                modules.append(importlib.import_module(info.name))
    return sorted(modules, key=lambda m: not hasattr(m, "__path__"))  # stable: packages first


def public_modules():
    """The non-private modules and subpackages, packages first (so that a package's export name
    wins over its defining module's)."""
    return all_modules(include_private=False)


def _module_names():
    return [m.__name__ for m in all_modules(include_private=True)]


@pytest.mark.parametrize("module_name", _module_names())
def test_doctests(module_name):
    """Every docstring example of every module (private ones too) runs and prints what it says."""
    module = importlib.import_module(module_name)
    finder, runner = doctest.DocTestFinder(), doctest.DocTestRunner(optionflags=DOCTEST_FLAGS)
    for test in finder.find(module, module_name):
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} doctest examples failed"


def public_objects():
    """``{qualified export name: object}`` of every public class and function (first name wins)."""
    found, seen = {}, set()

    def add(prefix, module):
        for name in getattr(module, "__all__", ()):   # missing __all__: own test
            obj = getattr(module, name)
            if inspect.ismodule(obj):
                add(f"{prefix}.{name}", obj)
            elif (inspect.isclass(obj) or inspect.isroutine(obj)) and id(obj) not in seen:
                seen.add(id(obj))
                found[f"{prefix}.{name}"] = obj

    for module in public_modules():
        add(module.__name__, module)
    return found


def docstring_gaps(obj):
    """Set of rules ``obj`` breaks: "docstring", "Parameters", "Examples", "doctested"."""
    doc = inspect.getdoc(obj) or ""
    if not doc.strip():
        return {"docstring", "Parameters", "Examples"}
    gaps = set()
    if not inspect.isclass(obj) and _takes_arguments(obj) and _section(doc, "Parameters") is None:
        gaps.add("Parameters")
    examples = _section(doc, "Examples")
    if examples is None or not _PARSER.get_examples(examples):
        gaps.add("Examples")
    if not (getattr(obj, "__module__", None) or "").startswith(tuple(p + "." for p in DOCTESTED_PACKAGES)):
        gaps.add("doctested")
    return gaps


@pytest.fixture(scope="module")
def gaps():
    return {name: docstring_gaps(obj) for name, obj in public_objects().items()}


def test_every_public_module_declares_all():
    missing = [m.__name__ for m in public_modules() if not hasattr(m, "__all__")]
    assert not missing, f"public modules without __all__ (their API would go unchecked): {missing}"


def test_public_api_is_found():
    names = {m.__name__ for m in public_modules()}
    # subpackages and submodules are walked, private modules skipped
    assert {"rcpod.reservoir.oil_platform", "rcpod.reservoir.oil_platform.identification",
            "rcpod.reservoir.persistence", "rcpod.quantum.trained", "rcpod.reduction.mpc"} <= names
    assert not [n for n in names if _is_private(n)]
    objs = public_objects()
    # a sample of each package, so that an import or __all__ change cannot empty the check
    for name in ("rcpod.reservoir.ESN", "rcpod.reservoir.oil_platform.simulate",
                 "rcpod.reservoir.oil_platform.PILoop", "rcpod.quantum.QuantumReservoir",
                 "rcpod.quantum.datasets.narma", "rcpod.reduction.pod", "rcpod.reduction.ReductionWarning",
                 # exported by submodules only
                 "rcpod.reservoir.persistence.load", "rcpod.reservoir.metrics.rmse",
                 "rcpod.reservoir.oil_platform.identification.ARXModel",
                 "rcpod.reservoir.oil_platform.dataset.envelope_bounds",
                 "rcpod.quantum.cells.QLSTMCell", "rcpod.quantum.trained.model_loss_and_grad",
                 "rcpod.reduction.mpc.rollout", "rcpod.reduction.mpc.MPCResult"):
        assert name in objs, name
    # re-exports are checked once, under the package's name
    assert "rcpod.reservoir.ESN" in objs and "rcpod.reservoir.esn.ESN" not in objs
    assert not any(_is_private(name.rsplit(".", 1)[0]) for name in objs)
    assert len(objs) >= 140


def test_every_public_object_has_parameters_and_examples(gaps):
    offenders = [f"{name}: missing {', '.join(sorted(missing))}"
                 for name, missing in sorted(gaps.items()) if missing]
    assert not offenders, (f"{len(offenders)} public objects break the docstring rules "
                           f"(see tests/test_docstrings.py):\n" + "\n".join(offenders))


def test_docstring_gaps_detects_missing_sections():
    def documented(x):
        """Double.

        Parameters
        ----------
        x : float

        Examples
        --------
        >>> 2 * 1.0
        2.0
        """

    def bare(x):
        """Double ``x``.

        Examples
        --------
        Prose only, no doctest.
        """

    class Quiet(Exception):
        """Raised quietly."""

    assert docstring_gaps(documented) == {"doctested"}      # defined here, outside the packages
    assert docstring_gaps(bare) >= {"Parameters", "Examples"}
    assert docstring_gaps(Quiet) >= {"Examples"} and "Parameters" not in docstring_gaps(Quiet)
    assert docstring_gaps(lambda: None) >= {"docstring"}
