"""Read-only records of a reduction: the report :func:`rcpod.reduction.reduce` leaves on the
reduced estimator (``reduction_report_``) and the diagnostics of
:func:`rcpod.reduction.check_trajectory` / :func:`rcpod.reduction.diagnose`."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields

import numpy as np

__all__ = ["ReductionReport", "Diagnostics"]


def _summary(items):
    """One aligned line per ``(name, value)``, values that do not apply (None) left out."""
    lines = []
    for k, v in items:
        if v is None:
            continue
        if isinstance(v, np.ndarray):
            if v.size > 6:
                v = f"array{v.shape} [{', '.join(f'{x:.3g}' for x in v[:5])}, ...]"
            else:
                v = np.array2string(v, precision=4)
        elif isinstance(v, float):
            v = f"{v:.4g}"
        lines.append(f"{k:>28s}: {v}")
    return "\n".join(lines)


class Diagnostics(Mapping):
    """Named diagnostic values, read-only, by key (``d["stable"]``) or attribute (``d.stable``).

    Parameters
    ----------
    values : mapping
        Names to values (copied).

    Examples
    --------
    >>> from rcpod.reduction import Diagnostics
    >>> d = Diagnostics({"state_error": 0.01, "stable": True})
    >>> d.stable, d["state_error"], sorted(d)
    (True, 0.01, ['stable', 'state_error'])
    >>> d.stable = False
    Traceback (most recent call last):
    ...
    AttributeError: Diagnostics are read-only.
    """

    __slots__ = ("_values",)

    def __init__(self, values):
        object.__setattr__(self, "_values", dict(values))

    def __getattr__(self, name):
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name, value):
        raise AttributeError("Diagnostics are read-only.")

    def __getitem__(self, key):
        return self._values[key]

    def __iter__(self):
        return iter(self._values)

    def __len__(self):
        return len(self._values)

    def __repr__(self):
        return f"Diagnostics({self._values!r:.200})"

    def to_dict(self):
        """A plain ``dict`` copy.

        Returns
        -------
        dict

        Examples
        --------
        >>> from rcpod.reduction import Diagnostics
        >>> Diagnostics({"finite": True}).to_dict()
        {'finite': True}
        """
        return dict(self._values)

    def summary(self):
        """Human-readable multi-line summary.

        Returns
        -------
        str

        Examples
        --------
        >>> from rcpod.reduction import Diagnostics
        >>> print(Diagnostics({"finite": True}).summary())
                              finite: True
        """
        return _summary(self._values.items())


_STR, _INT, _BOOL = (str,), (int, np.integer), (bool, np.bool_)
_FLOAT, _ARRAY = (float, int, np.floating, np.integer), (np.ndarray,)
#: the type of every field (None is allowed for all but the required ones)
_KINDS = dict(
    method=_STR, sampling=_STR, nonlinearity=_STR, basis=_STR, n_units=_INT, rank=_INT,
    center=_BOOL, readout=_STR, n_snapshots=_INT, holdout=_FLOAT, energy_captured=_FLOAT,
    singular_values=_ARRAY, basis_eigenvalues=_ARRAY, output_weight=_FLOAT, n_points=_INT,
    nonlinear_rank=_INT, nl_fit=_STR, nl_singular_values=_ARRAY, nl_energy_captured=_FLOAT,
    state_error=_FLOAT, max_abs_lifted_state=_FLOAT, finite=_BOOL, diverged=_BOOL,
    jacobian_radius_max=_FLOAT, jacobian_norm_max=_FLOAT, jacobian_radius_median=_FLOAT,
    jacobian_fraction_above_1=_FLOAT, jacobian_unstable=_BOOL, output_error=_FLOAT,
    output_tol=_FLOAT, output_steps=_INT, output_check=_STR, output_diverged=_BOOL,
    stable=_BOOL, warnings=(tuple,), tol=_FLOAT, step_flops=_INT, full_step_flops=_INT,
    candidates=(tuple,))
_REQUIRED = ("method", "nonlinearity", "basis", "n_units", "rank", "center", "readout",
             "n_snapshots", "holdout", "energy_captured", "warnings")


@dataclass(frozen=True, eq=False)
class ReductionReport(Mapping):
    """What a reduction chose and how its result compares with the full model (immutable).

    Read it by attribute (``report.stable``) or as a read-only mapping (``report["stable"]``,
    ``dict(report)``); :meth:`to_dict` gives a plain dict. Fields that do not apply (the DEIM
    fields of a Galerkin reduction, the checks when ``check_stability=False``) are None. Saved
    and loaded with the estimator.

    Parameters
    ----------
    method : str
        The options as one name, e.g. ``"pod-qdeim-linearized"`` (the old method strings).
    sampling : {"deim", "qdeim"} or None
        How the nonlinearity is sampled; None for the Galerkin (POD) reduction.
    nonlinearity : {"full", "remainder", "linearized"}
        What is interpolated: ``tanh(v)``, ``tanh(v) - v`` or ``tanh(v) - D v - e``.
    basis : {"pod", "output-weighted"}
    n_units, rank : int
        ``N`` of the full ESN and ``r`` of the reduced one.
    center : bool
    readout : {"projected", "refit"}
    n_snapshots : int
        Snapshots the bases were built from (held-back steps excluded).
    holdout : float
    energy_captured : float
        Share of the (centred) state snapshots' energy the basis captures.
    singular_values : ndarray, optional
        Of the state snapshots (POD basis).
    basis_eigenvalues : ndarray, optional
        Of ``P / tr P + alpha Q / tr Q`` (output-weighted basis).
    output_weight : float, optional
        ``alpha`` of the output-weighted basis.
    n_points, nonlinear_rank : int, optional
        ``m`` sampling points and the rank of the interpolated snapshots' basis.
    nl_fit : str, optional
    nl_singular_values : ndarray, optional
    nl_energy_captured : float, optional
    state_error, max_abs_lifted_state, finite, diverged, jacobian_radius_max, jacobian_norm_max, \
jacobian_radius_median, jacobian_fraction_above_1, jacobian_unstable : optional
        The trajectory check on the training inputs
        (:func:`rcpod.reduction.check_trajectory`).
    output_error, output_tol, output_steps, output_check, output_diverged : optional
        The output check on the held-back steps
        (:func:`rcpod.reduction.output_check.check_outputs`).
    stable : bool, optional
        States stable and outputs within the tolerance.
    warnings : tuple of str
        What the checks found wrong.
    tol, step_flops, full_step_flops, candidates : optional
        Set by :func:`rcpod.reduction.reduce_to_tolerance`: the tolerance, the counted
        operations per step of the reduced and the full model, and every candidate screened
        (a tuple of dicts) in the order tried.

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.reservoir import ESNRegressor
    >>> from rcpod.reduction import reduce
    >>> X = np.random.default_rng(0).uniform(-0.5, 0.5, (300, 1))
    >>> est = ESNRegressor(n_units=20, washout=10, random_state=0).fit(X, np.roll(X, 1))
    >>> rep = reduce(est, X, sampling="qdeim", rank=8, n_points=16).reduction_report_
    >>> rep.method, rep["n_points"], rep.to_dict()["rank"]
    ('pod-qdeim', 16, 8)
    """

    method: str
    sampling: str | None
    nonlinearity: str
    basis: str
    n_units: int
    rank: int
    center: bool
    readout: str
    n_snapshots: int
    holdout: float
    energy_captured: float
    singular_values: np.ndarray | None = None
    basis_eigenvalues: np.ndarray | None = None
    output_weight: float | None = None
    n_points: int | None = None
    nonlinear_rank: int | None = None
    nl_fit: str | None = None
    nl_singular_values: np.ndarray | None = None
    nl_energy_captured: float | None = None
    state_error: float | None = None
    max_abs_lifted_state: float | None = None
    finite: bool | None = None
    diverged: bool | None = None
    jacobian_radius_max: float | None = None
    jacobian_norm_max: float | None = None
    jacobian_radius_median: float | None = None
    jacobian_fraction_above_1: float | None = None
    jacobian_unstable: bool | None = None
    output_error: float | None = None
    output_tol: float | None = None
    output_steps: int | None = None
    output_check: str | None = None
    output_diverged: bool | None = None
    stable: bool | None = None
    warnings: tuple = ()
    tol: float | None = None
    step_flops: int | None = None
    full_step_flops: int | None = None
    candidates: tuple | None = None

    # identity, not field-wise equality: fields hold arrays
    __eq__ = object.__eq__
    __hash__ = object.__hash__

    def __post_init__(self):
        object.__setattr__(self, "warnings", tuple(self.warnings))
        for name, value in self.to_dict().items():  # also guards what a file claims
            kinds = _KINDS[name]
            if not (isinstance(value, kinds) or (value is None and name not in _REQUIRED)):
                raise TypeError(f"ReductionReport.{name} must be of type "
                                f"{' or '.join(k.__name__ for k in kinds)}, got "
                                f"{type(value).__name__}.")
        if not all(isinstance(w, str) for w in self.warnings):
            raise TypeError("ReductionReport.warnings must hold strings.")
        if self.candidates is not None and not all(isinstance(c, dict)
                                                   for c in self.candidates):
            raise TypeError("ReductionReport.candidates must hold dicts.")

    # -- read-only mapping ---------------------------------------------------------------------
    def __getitem__(self, key):
        if key not in self._names():
            raise KeyError(key)
        return getattr(self, key)

    def __iter__(self):
        return iter(self._names())

    def __len__(self):
        return len(self._names())

    @classmethod
    def _names(cls):
        return tuple(f.name for f in fields(cls))

    def to_dict(self):
        """A plain ``dict`` of every field (arrays not copied).

        Returns
        -------
        dict

        Examples
        --------
        >>> from rcpod.reduction import ReductionReport
        >>> rep = ReductionReport("pod", None, "full", "pod", 20, 5, False, "projected", 100,
        ...                       0.1, 0.99)
        >>> rep.to_dict()["rank"], rep.n_points
        (5, None)
        """
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_dict(cls, values):
        """The report of a :meth:`to_dict` result (e.g. read back from a file).

        Parameters
        ----------
        values : mapping
            Field names to values; names that are not fields raise.

        Returns
        -------
        ReductionReport

        Raises
        ------
        TypeError
            Unknown or missing fields.

        Examples
        --------
        >>> from rcpod.reduction import ReductionReport
        >>> rep = ReductionReport("pod", None, "full", "pod", 20, 5, False, "projected", 100,
        ...                       0.1, 0.99)
        >>> ReductionReport.from_dict(rep.to_dict()).rank
        5
        """
        unknown = set(values) - set(cls._names())
        if unknown:
            raise TypeError(f"values has fields a ReductionReport does not have: "
                            f"{sorted(unknown)}.")
        return cls(**dict(values))

    def summary(self):
        """Human-readable multi-line summary (fields that do not apply left out).

        Returns
        -------
        str

        Examples
        --------
        >>> from rcpod.reduction import ReductionReport
        >>> rep = ReductionReport("pod", None, "full", "pod", 20, 5, False, "projected", 100,
        ...                       0.1, 0.99)
        >>> print(rep.summary().splitlines()[0])
                              method: pod
        """
        return _summary(self.to_dict().items())
