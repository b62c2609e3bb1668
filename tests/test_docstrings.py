"""Every public class and function has a numpy-style docstring with a runnable example.

Public means: listed in ``__all__`` of the packages ``reservoir``, ``reservoir.oil_platform``,
``quantum`` and ``reduction``, and, when a package's ``__all__`` exports a submodule (``quantum``
exports ``datasets``), listed in that submodule's ``__all__``. Rules:

* a non-empty docstring;
* functions taking arguments have a ``Parameters`` section (classes and exceptions only need the
  non-empty docstring: their parameters may be documented as attributes);
* an ``Examples`` section holding at least one doctest (``>>>``). The examples themselves run in
  the doctest pass of the suite (``--doctest-modules`` over ``reservoir quantum reduction`` in
  setup.cfg), so the objects must be defined in those packages.

Known gaps in modules owned by others are listed in :data:`KNOWN_GAPS`; the test fails both on a
new gap and on a listed gap that has been fixed (remove it from the list then).
"""
import doctest
import importlib
import inspect
import re

import pytest

PACKAGES = ("reservoir", "reservoir.oil_platform", "quantum", "reduction")
DOCTESTED_PACKAGES = ("reservoir", "quantum", "reduction")

#: Qualified export name -> missing sections, for objects not yet documented to the rules.
KNOWN_GAPS = {
    # quantum/circuits.py, reduction/jacobians.py: arguments described in prose only
    "quantum.vqc": {"Parameters"},
    "reduction.jacobian_input": {"Parameters"},
    "reduction.jacobian_state": {"Parameters"},
    # quantum/datasets.py (exported as the submodule quantum.datasets)
    "quantum.datasets.WindowedTask": {"Examples"},
    "quantum.datasets.bessel_j2": {"Parameters", "Examples"},
    "quantum.datasets.chrono_split": {"Parameters", "Examples"},
    "quantum.datasets.damped_oscillator": {"Parameters", "Examples"},
    "quantum.datasets.delayed_quantum_control": {"Parameters", "Examples"},
    "quantum.datasets.make_windows": {"Examples"},
    "quantum.datasets.minmax_scale": {"Parameters", "Examples"},
    "quantum.datasets.narma": {"Examples"},
    "quantum.datasets.narma_smooth_input": {"Parameters", "Examples"},
    "quantum.datasets.sine": {"Parameters", "Examples"},
}

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


def public_objects():
    """``{qualified export name: object}`` of every public class and function (first name wins)."""
    found, seen = {}, set()

    def add(prefix, module):
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.ismodule(obj):
                add(f"{prefix}.{name}", obj)
            elif (inspect.isclass(obj) or inspect.isroutine(obj)) and id(obj) not in seen:
                seen.add(id(obj))
                found[f"{prefix}.{name}"] = obj

    for pkg in PACKAGES:
        add(pkg, importlib.import_module(pkg))
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
    if not (getattr(obj, "__module__", None) or "").split(".")[0] in DOCTESTED_PACKAGES:
        gaps.add("doctested")
    return gaps


@pytest.fixture(scope="module")
def gaps():
    return {name: docstring_gaps(obj) for name, obj in public_objects().items()}


def test_public_api_is_found():
    objs = public_objects()
    # a sample of each package, so that an import or __all__ change cannot empty the check
    for name in ("reservoir.ESN", "reservoir.oil_platform.simulate",
                 "reservoir.oil_platform.PILoop", "quantum.QuantumReservoir",
                 "quantum.datasets.narma", "reduction.pod", "reduction.ReductionWarning"):
        assert name in objs, name
    assert len(objs) >= 60


def test_every_public_object_has_parameters_and_examples(gaps):
    offenders = [f"{name}: missing {', '.join(sorted(missing - KNOWN_GAPS.get(name, set())))}"
                 for name, missing in sorted(gaps.items())
                 if missing - KNOWN_GAPS.get(name, set())]
    assert not offenders, (f"{len(offenders)} public objects break the docstring rules "
                           f"(see tests/test_docstrings.py):\n" + "\n".join(offenders))


def test_known_gaps_are_current(gaps):
    stale = [f"{name}: {', '.join(sorted(listed - gaps.get(name, set())))} now present"
             if name in gaps else f"{name}: no longer public"
             for name, listed in sorted(KNOWN_GAPS.items())
             if name not in gaps or listed - gaps[name]]
    assert not stale, "remove fixed entries from KNOWN_GAPS:\n" + "\n".join(stale)


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
