"""Declared checks for parameters and fitted arrays, shared by every rcpod class.

A class states its constraints once, in two tables, and everything that validates it uses them:
``fit`` / ``initialize`` check the parameters, :func:`rcpod.reservoir.persistence.load` checks
both tables against what a file claims.

* ``_parameter_constraints``: ``{parameter: [constraint, ...]}``; a value is valid when it meets
  any constraint of its list (as in scikit-learn).
* ``_fitted_schema``: ``{fitted attribute: [constraint, ...]}``, usually :class:`Array` specs
  whose shapes name other attributes or parameters (``Array(shape=("n_states_", "n_inputs_"))``).

A constraint is an :class:`Interval`, :class:`Options`, :class:`Array`, :class:`Sparse`,
:class:`InstanceOf`, ``None`` (the value None), or one of the strings ``"boolean"`` and
``"random_state"`` (None, an int >= 0 or a :class:`numpy.random.Generator`).
A value that meets no constraint raises :class:`TypeError` when its type fits none of them and
:class:`ValueError` otherwise, with a message naming the argument and what was expected.
Scalars are checked by :func:`sklearn.utils.check_scalar`.
"""
from __future__ import annotations

import numbers
import os

import numpy as np
import scipy.sparse as sp
from sklearn.utils import check_scalar

__all__ = ["Interval", "Options", "Array", "Sparse", "InstanceOf", "check_value", "check_params",
           "check_fitted", "check_int", "check_real", "check_array", "check_allocation",
           "machine_memory"]

_CLOSED = {"both": "both", "left": "left", "right": "right", "neither": "neither"}


class Interval:
    """Real or integral scalars in an interval (finite values only).

    Parameters
    ----------
    kind : numbers.Integral or numbers.Real
        Integral accepts Python and numpy integers (not bool); Real accepts any real number.
    low, high : float or None
        Bounds; None for unbounded.
    closed : {"both", "left", "right", "neither"}, default="both"
        Which bounds belong to the interval.

    Examples
    --------
    >>> import numbers
    >>> from rcpod.reservoir.validation import Interval, check_value
    >>> check_value("leak_rate", 0.3, [Interval(numbers.Real, 0, 1, closed="right")])
    >>> check_value("leak_rate", 0.0, [Interval(numbers.Real, 0, 1, closed="right")])
    Traceback (most recent call last):
    ...
    ValueError: leak_rate == 0.0, must be > 0.
    """

    def __init__(self, kind, low=None, high=None, closed="both"):
        if kind not in (numbers.Integral, numbers.Real):
            raise TypeError(f"kind must be numbers.Integral or numbers.Real, got {kind!r}.")
        if closed not in _CLOSED:
            raise ValueError(f"closed must be one of {sorted(_CLOSED)}, got {closed!r}.")
        self.kind, self.low, self.high, self.closed = kind, low, high, closed

    def type_fits(self, value):
        return isinstance(value, self.kind) and not isinstance(value, (bool, np.bool_))

    def check(self, name, value):
        if self.kind is numbers.Real and not np.isfinite(value):
            raise ValueError(f"{name} must be finite, got {value!r}.")
        check_scalar(value, name, self.kind, min_val=self.low, max_val=self.high,
                     include_boundaries=self.closed)

    def __str__(self):
        what = "an int" if self.kind is numbers.Integral else "a finite float"
        if self.low is None and self.high is None:
            return what
        left = "[" if self.closed in ("both", "left") and self.low is not None else "("
        right = "]" if self.closed in ("both", "right") and self.high is not None else ")"
        low = "-inf" if self.low is None else self.low
        high = "inf" if self.high is None else self.high
        return f"{what} in {left}{low}, {high}{right}"


class Options:
    """One of a fixed set of values (compared with ``==``; strings for most options).

    Parameters
    ----------
    values : iterable
        The allowed values.

    Examples
    --------
    >>> from rcpod.reservoir.validation import Options, check_value
    >>> check_value("backend", "numba", [Options({"auto", "numba", "numpy"})])
    >>> check_value("backend", "gpu", [Options({"auto", "numba", "numpy"})])
    Traceback (most recent call last):
    ...
    ValueError: backend must be one of 'auto', 'numba', 'numpy'; got 'gpu'.
    """

    def __init__(self, values):
        self.values = tuple(sorted(values, key=repr))

    def type_fits(self, value):
        return any(type(value) is type(v) for v in self.values)

    def check(self, name, value):
        if not any(type(value) is type(v) and value == v for v in self.values):
            raise ValueError(f"{name} must be {self}; got {value!r}.")

    def __str__(self):
        return "one of " + ", ".join(repr(v) for v in self.values)


class InstanceOf:
    """An instance of one of the given classes.

    Parameters
    ----------
    *classes : type
        The accepted classes.

    Examples
    --------
    >>> from rcpod.reservoir.validation import InstanceOf, check_value
    >>> check_value("names", ("a", "b"), [InstanceOf(tuple, list)])
    """

    def __init__(self, *classes):
        self.classes = classes

    def type_fits(self, value):
        return isinstance(value, self.classes)

    def check(self, name, value):
        pass

    def __str__(self):
        return "an instance of " + " or ".join(c.__name__ for c in self.classes)


class Array:
    """A numpy array of a given kind, number of dimensions and shape.

    Parameters
    ----------
    kinds : str, default="f"
        Accepted ``dtype.kind`` letters: ``"f"`` float32/float64, ``"i"`` signed integers,
        ``"u"`` unsigned, ``"b"`` bool, ``"O"`` an object array whose every entry is a str
        (names, such as ``feature_names_in_``). Floats must be float32 or float64.
    ndim : int or None
        Required number of dimensions (None: any); implied by ``shape`` when given.
    shape : tuple or None
        Each entry an int, the name of an integer attribute or parameter of the object (resolved
        through the ``context`` given to :meth:`check`), or None for any length.
    finite : bool, default=True
        Require every entry to be finite.

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.reservoir.validation import Array, check_value
    >>> spec = Array(shape=("n_states_", "n_inputs_"))
    >>> check_value("W_in_", np.zeros((3, 1)), [spec], {"n_states_": 3, "n_inputs_": 1})
    >>> check_value("W_in_", np.zeros((3, 2)), [spec], {"n_states_": 3, "n_inputs_": 1})
    Traceback (most recent call last):
    ...
    ValueError: W_in_ must have shape (n_states_=3, n_inputs_=1), got (3, 2).
    """

    def __init__(self, kinds="f", ndim=None, shape=None, finite=True):
        self.kinds, self.shape, self.finite = kinds, shape, finite
        self.ndim = len(shape) if shape is not None else ndim

    def type_fits(self, value):
        return isinstance(value, np.ndarray) and value.dtype.kind in self.kinds

    def check(self, name, value, context=None):
        if value.dtype.kind == "f" and value.dtype not in (np.float32, np.float64):
            raise ValueError(f"{name} must be float32 or float64, got {value.dtype}.")
        if value.dtype.kind == "O" and not all(isinstance(v, str) for v in value.flat):
            raise ValueError(f"{name} must hold only strings.")
        if self.ndim is not None and value.ndim != self.ndim:
            raise ValueError(f"{name} must be {self.ndim}-D, got shape {value.shape}.")
        if self.shape is not None:
            want = tuple(_resolve(d, context) for d in self.shape)
            if any(w is not None and w != got for w, got in zip(want, value.shape)):
                spec = ", ".join(f"{d}={w}" if isinstance(d, str) else str(w)
                                 for d, w in zip(self.shape, want))
                raise ValueError(f"{name} must have shape ({spec}), got {value.shape}.")
        if self.finite and value.dtype.kind == "f" and not np.all(np.isfinite(value)):
            raise ValueError(f"{name} must be finite (it holds NaN or inf).")

    def __str__(self):
        kinds = {"f": "float", "i": "int", "u": "unsigned int", "b": "bool", "O": "str"}
        what = "/".join(kinds[k] for k in self.kinds)
        return f"a {self.ndim}-D {what} array" if self.ndim is not None else f"a {what} array"


class Sparse(Array):
    """A scipy CSR matrix of finite float32/float64 values with valid structure and given shape.

    The index arrays are checked in full (sorted, in range), so a compiled kernel never reads out
    of bounds.

    Parameters
    ----------
    shape : tuple of 2 entries, optional
        As for :class:`Array`.

    Examples
    --------
    >>> import scipy.sparse as sp
    >>> from rcpod.reservoir.validation import Sparse, check_value
    >>> check_value("W_", sp.eye(3, format="csr"), [Sparse(shape=(3, 3))])
    """

    def __init__(self, shape=None):
        super().__init__(kinds="f", ndim=2, shape=shape)

    def type_fits(self, value):
        return sp.issparse(value) and value.format == "csr"

    def check(self, name, value, context=None):
        try:
            value.check_format(full_check=True)
        except ValueError as exc:
            raise ValueError(f"{name} is not a valid CSR matrix: {exc}") from None
        Array(ndim=1).check(name, value.data)   # dtype and finiteness of the stored values
        shape_only = np.lib.stride_tricks.as_strided(np.zeros(1, np.float64), value.shape,
                                                     (0, 0))
        Array(ndim=2, shape=self.shape, finite=False).check(name, shape_only, context)

    def __str__(self):
        return "a CSR sparse matrix"


def _resolve(dim, context):
    if dim is None or isinstance(dim, numbers.Integral):
        return dim
    value = (context or {}).get(dim)
    if value is None or isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"the shape refers to {dim!r}, which is not an integer here.")
    return int(value)


def _fits(constraint, value):
    if constraint is None:
        return value is None
    if constraint == "boolean":
        return isinstance(value, (bool, np.bool_))
    if constraint == "random_state":
        return value is None or isinstance(value, np.random.Generator) or (
            isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_)))
    return constraint.type_fits(value)


def _check_one(name, value, constraint, context):
    if constraint is None or constraint == "boolean":
        return
    if constraint == "random_state":
        if isinstance(value, numbers.Integral) and value < 0:
            raise ValueError(f"{name} must be None, an int >= 0 or a numpy Generator, got "
                             f"{value!r}.")
        return
    if isinstance(constraint, Array):
        constraint.check(name, value, context)
    else:
        constraint.check(name, value)


def _describe(constraint):
    names = {None: "None", "boolean": "a bool", "random_state": "None, an int or a Generator"}
    return names[constraint] if constraint is None or isinstance(constraint, str) else \
        str(constraint)


def check_value(name, value, constraints, context=None):
    """Check ``value`` against a list of constraints; raise naming ``name`` if it meets none.

    Parameters
    ----------
    name : str
        The argument's name, used in the message.
    value : object
        The value to check.
    constraints : list
        Constraints as described in the module docstring; the value must meet one of them.
    context : mapping, optional
        Names an :class:`Array` shape may refer to.

    Raises
    ------
    TypeError
        If the type of ``value`` fits none of the constraints.
    ValueError
        If its type fits a constraint but the value does not (range, option, shape, ...).

    Examples
    --------
    >>> import numbers
    >>> from rcpod.reservoir.validation import Interval, check_value
    >>> check_value("n_units", "100", [Interval(numbers.Integral, 1)])
    Traceback (most recent call last):
    ...
    TypeError: n_units must be an int in [1, inf); got '100' of type str.
    """
    fitting = [c for c in constraints if _fits(c, value)]
    if not fitting:
        expected = " or ".join(_describe(c) for c in constraints)
        raise TypeError(f"{name} must be {expected}; got {value!r:.80} of type "
                        f"{type(value).__name__}.")
    errors = []
    for constraint in fitting:
        try:
            _check_one(name, value, constraint, context)
            return
        except ValueError as exc:
            errors.append(exc)
    raise errors[0]


def check_int(name, value, *, low=1, high=None, allow_none=False):
    """Return ``value`` as an ``int`` in ``[low, high]`` (or None if allowed), or raise.

    Shorthand for :func:`check_value` with one integral :class:`Interval`.

    Parameters
    ----------
    name : str
        The argument's name, used in the message.
    value : object
    low, high : int or None, default=1, None
        Inclusive bounds; None for unbounded.
    allow_none : bool, default=False
        Accept (and return) None.

    Returns
    -------
    int or None

    Raises
    ------
    TypeError
        ``value`` is not an integer (bool is not one).
    ValueError
        ``value`` lies outside the bounds.

    Examples
    --------
    >>> from rcpod.reservoir.validation import check_int
    >>> check_int("rank", 3)
    3
    >>> check_int("rank", 0)
    Traceback (most recent call last):
    ...
    ValueError: rank == 0, must be >= 1.
    """
    constraints = [Interval(numbers.Integral, low, high)] + ([None] if allow_none else [])
    check_value(name, value, constraints)
    return None if value is None else int(value)


def check_real(name, value, *, low=None, high=None, closed="both", allow_none=False):
    """Return ``value`` as a finite ``float`` in the interval, or raise.

    Shorthand for :func:`check_value` with one real :class:`Interval`.

    Parameters
    ----------
    name : str
        The argument's name, used in the message.
    value : object
    low, high : float or None
        Bounds; None for unbounded.
    closed : {"both", "left", "right", "neither"}, default="both"
        Which bounds belong to the interval.
    allow_none : bool, default=False
        Accept (and return) None.

    Returns
    -------
    float or None

    Raises
    ------
    TypeError
        ``value`` is not a real number.
    ValueError
        ``value`` is not finite or lies outside the interval.

    Examples
    --------
    >>> from rcpod.reservoir.validation import check_real
    >>> check_real("tol", 0.5, low=0, closed="neither")
    0.5
    >>> check_real("tol", "0.5")
    Traceback (most recent call last):
    ...
    TypeError: tol must be a finite float; got '0.5' of type str.
    """
    constraints = [Interval(numbers.Real, low, high, closed=closed)] + ([None] if allow_none
                                                                         else [])
    check_value(name, value, constraints)
    return None if value is None else float(value)


def check_array(name, value, *, ndim=None, dtype=np.float64, allow_empty=False, allow_inf=False):
    """Return ``value`` as a finite real array of ``dtype``, or raise naming ``name``.

    Parameters
    ----------
    name : str
        The argument's name, used in the message.
    value : array_like
        Numeric (bool, integer or real) data.
    ndim : int, optional
        Required number of dimensions.
    dtype : float dtype, default=float64
        dtype of the returned array.
    allow_empty : bool, default=False
        Accept an array with no elements.
    allow_inf : bool, default=False
        Accept infinite entries (bounds such as ``u_upper=inf``); NaN is refused all the same.

    Returns
    -------
    ndarray

    Raises
    ------
    TypeError
        Non-numeric or complex data.
    ValueError
        Wrong number of dimensions, empty, or NaN / infinity (NaN only with ``allow_inf``).

    Examples
    --------
    >>> from rcpod.reservoir.validation import check_array
    >>> check_array("modes", [[1, 0], [0, 1]], ndim=2)
    array([[1., 0.],
           [0., 1.]])
    >>> check_array("modes", [1.0, float("nan")])
    Traceback (most recent call last):
    ...
    ValueError: modes contains NaN or infinity.
    >>> check_array("u_upper", [1.0, float("inf")], allow_inf=True)
    array([ 1., inf])
    """
    arr = np.asarray(value)
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise TypeError(f"{name} must be a numeric array, got dtype {arr.dtype}.")
    if np.iscomplexobj(arr):
        raise TypeError(f"{name} must be real, got complex dtype {arr.dtype}.")
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} must be a {ndim}-D array, got shape {arr.shape}.")
    if arr.size == 0 and not allow_empty:
        raise ValueError(f"{name} must not be empty, got shape {arr.shape}.")
    arr = np.asarray(arr, dtype=dtype)
    if allow_inf:
        if np.any(np.isnan(arr)):
            raise ValueError(f"{name} contains NaN.")
    elif not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinity.")
    return arr


def _context(obj):
    context = dict(obj.get_params(deep=False)) if hasattr(obj, "get_params") else {}
    context.update(vars(obj))
    return context


def check_params(obj, constraints=None):
    """Check every parameter of ``obj`` against its class's ``_parameter_constraints``.

    Parameters
    ----------
    obj : estimator
        An object with ``get_params``.
    constraints : dict, optional
        The table to use instead of ``type(obj)._parameter_constraints``.

    Raises
    ------
    TypeError, ValueError
        For the first parameter that meets none of its constraints, naming it.

    Examples
    --------
    >>> from rcpod.reservoir import RidgeReadout
    >>> from rcpod.reservoir.validation import check_params
    >>> check_params(RidgeReadout(alpha=-1.0))
    Traceback (most recent call last):
    ...
    ValueError: alpha == -1.0, must be >= 0.
    """
    table = type(obj)._parameter_constraints if constraints is None else constraints
    context = _context(obj)
    for name, value in obj.get_params(deep=False).items():
        check_value(name, value, table[name], context)


def check_fitted(obj, schema=None):
    """Check the fitted attributes ``obj`` has against its class's ``_fitted_schema``, then
    the conditions between attributes that a table cannot state (the object's
    ``_validate_fitted()`` method, where its class defines one).

    Parameters
    ----------
    obj : estimator
        A (possibly partly) fitted object.
    schema : dict, optional
        The table to use instead of ``type(obj)._fitted_schema``.

    Raises
    ------
    TypeError, ValueError
        For the first attribute that meets none of its constraints, naming it.

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.reservoir import RidgeReadout
    >>> from rcpod.reservoir.validation import check_fitted
    >>> r = RidgeReadout().fit(np.eye(3), np.arange(3.0))
    >>> check_fitted(r)
    >>> r.coef_ = np.zeros(5)
    >>> check_fitted(r)
    Traceback (most recent call last):
    ...
    ValueError: coef_ must have shape (n_features_in_=3), got (5,).
    """
    table = type(obj)._fitted_schema if schema is None else schema
    context = _context(obj)
    for name in table:
        if name in vars(obj):
            check_value(name, vars(obj)[name], table[name], context)
    if hasattr(obj, "_validate_fitted"):
        obj._validate_fitted()


def machine_memory():
    """Physical memory of this machine in bytes, or None where the OS does not say.

    Examples
    --------
    >>> from rcpod.reservoir.validation import machine_memory
    >>> m = machine_memory()
    >>> m is None or m > 2 ** 20
    True
    """
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):
        return None


def check_allocation(n_bytes, name, what):
    """Raise ValueError naming ``name`` when ``what`` would need more bytes than the machine has.

    A clear message instead of numpy's MemoryError deep inside a computation (or, worse, the
    machine swapping for minutes before it).

    Parameters
    ----------
    n_bytes : int
        What the allocation needs.
    name : str
        The argument that sets the size, named in the message.
    what : str
        What would be allocated, for the message.

    Examples
    --------
    >>> from rcpod.reservoir.validation import check_allocation
    >>> check_allocation(8 * 10 ** 6, "length", "the series")
    >>> check_allocation(8 * 10 ** 18, "length", "the series")
    Traceback (most recent call last):
    ...
    ValueError: length is too large: the series would need 7.45e+09 GiB, more than this machine's ...
    """
    total = machine_memory()
    if total is not None and n_bytes > total:
        raise ValueError(f"{name} is too large: {what} would need {n_bytes / 2 ** 30:.3g} GiB, "
                         f"more than this machine's {total / 2 ** 30:.3g} GiB of memory.")
