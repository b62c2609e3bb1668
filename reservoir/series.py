"""How time series are laid out, said once for every estimator and algorithm of rcpod.

* a 2-D array ``(n_timesteps, n_features)`` is one series;
* a 3-D array ``(n_series, n_timesteps, n_features)`` is several equally long series;
* a list (or tuple) of 2-D arrays is several series of any lengths.

Targets follow the inputs: per series ``(n_timesteps,)`` or ``(n_timesteps, n_targets)``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.utils import check_array

__all__ = ["SeriesSet", "as_series", "as_targets"]


@dataclass
class SeriesSet:
    """Validated input series, as returned by :func:`as_series`.

    Parameters
    ----------
    arrays : list of ndarray (n_timesteps_i, n_features)
        The series, each a 2-D float array.
    layout : {"single", "batch", "list"}
        How they came in: one 2-D array, one 3-D array, or a list of 2-D arrays.
    batch : ndarray (n_series, n_timesteps, n_features) or None, default=None
        The C-contiguous 3-D array when ``layout`` is "batch" (so equally long series can run as
        one batch); None otherwise.

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.reservoir.series import as_series
    >>> s = as_series([np.zeros((4, 2)), np.zeros((6, 2))])
    >>> s.layout, s.lengths
    ('list', [4, 6])
    >>> s.reshape_like([a.sum(axis=1) for a in s.arrays])      # outputs laid out as the inputs
    [array([0., 0., 0., 0.]), array([0., 0., 0., 0., 0., 0.])]
    """

    arrays: list
    layout: str
    batch: np.ndarray | None = None

    @property
    def lengths(self):
        """Number of time steps of every series (list of int)."""
        return [a.shape[0] for a in self.arrays]

    def reshape_like(self, outputs):
        """Lay out per-series ``outputs`` (list of arrays) as the inputs were laid out: the one
        array for "single", stacked for "batch", a list for "list"."""
        if self.layout == "single":
            return outputs[0]
        if self.layout == "batch":
            return np.stack(outputs)
        return list(outputs)


def _check_finite(a, name):
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} contains NaN or infinity.")


def _to_float(a, name, dtype):
    a = np.asarray(a)
    if a.dtype == object or not (np.issubdtype(a.dtype, np.number) or a.dtype == bool):
        try:
            a = a.astype(np.float64)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"{name} must be numeric, got dtype {a.dtype}.") from exc
    if np.iscomplexobj(a):
        raise TypeError(f"{name} must be real-valued, got complex data.")
    return np.asarray(a, dtype=dtype)


def _is_series_list(X):
    """A list of 2-D arrays is several series; a list of rows is one 2-D array."""
    return (isinstance(X, (list, tuple)) and len(X) > 0
            and all(getattr(a, "ndim", None) == 2 for a in X))


def as_series(X, name="X", n_features=None, dtype=np.float64, min_length=1, estimator=None):
    """Validate input series in any of the accepted layouts (see the module docstring).

    Every array goes through scikit-learn's ``check_array`` (dense, real, finite), so bad input
    gets its messages; a 1-D array is refused with a hint to reshape it.

    Parameters
    ----------
    X : array-like (T, n_features), (B, T, n_features) or list of (T_i, n_features)
    name : str, default="X"
        Argument name used in error messages.
    n_features : int, optional
        Expected number of features (e.g. ``n_features_in_`` of a fitted model).
    dtype : numpy dtype, default=float64
    min_length : int, default=1
        Each series must have at least this many time steps.
    estimator : object, optional
        Named in error messages.

    Returns
    -------
    SeriesSet

    Raises
    ------
    ValueError
        A 1-D or 4-D array, an empty list, NaN or infinity, series with different numbers of
        features, a series shorter than ``min_length``, or not ``n_features`` features.
    TypeError
        Sparse or non-numeric input.

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.reservoir.series import as_series
    >>> as_series(np.zeros((5, 2))).layout
    'single'
    >>> s = as_series(np.zeros((3, 5, 2)))
    >>> s.layout, len(s.arrays), s.batch.shape
    ('batch', 3, (3, 5, 2))
    >>> as_series(np.zeros(5))
    Traceback (most recent call last):
    ...
    ValueError: X is 1-D with shape (5,). Reshape your data: a single series of one feature is ...
    """
    if X is None:
        raise ValueError(f"{name} is None; expected an array of time series.")
    if _is_series_list(X):
        arrays = [check_array(a, dtype=dtype, input_name=f"{name}[{i}]", ensure_min_samples=1)
                  for i, a in enumerate(X)]
        layout, batch = "list", None
    else:
        if isinstance(X, (list, tuple)) and len(X) == 0:
            raise ValueError(f"{name} is an empty list; expected at least one series.")
        nd = 2 if hasattr(X, "tocsr") else np.asarray(X).ndim
        if nd == 1:
            # not sklearn's reshape(1, -1) hint: a 1-D array is a series of one feature, not a
            # single sample of T features
            T = np.shape(X)[0]
            raise ValueError(f"{name} is 1-D with shape ({T},). Reshape your data: a single "
                             f"series of one feature is {name}.reshape(-1, 1) (n_timesteps, "
                             f"n_features); several features per step need a 2-D {name} "
                             f"(n_timesteps, n_features).")
        a = check_array(X, dtype=dtype, allow_nd=nd == 3, input_name=name, ensure_min_samples=1,
                        accept_sparse=False)
        if a.ndim == 2:
            arrays, layout, batch = [a], "single", None
        elif a.ndim == 3:
            arrays, layout, batch = list(a), "batch", np.ascontiguousarray(a)
        else:
            raise ValueError(f"{name} must be 2-D (n_timesteps, n_features), 3-D (n_series, "
                             f"n_timesteps, n_features) or a list of 2-D arrays; got an array "
                             f"with shape {a.shape}.")
    n0 = arrays[0].shape[1]
    for i, a in enumerate(arrays):
        if a.shape[1] != n0:
            raise ValueError(f"all series of {name} must have the same number of features; "
                             f"series 0 has {n0}, series {i} has {a.shape[1]}.")
        if a.shape[0] < min_length:
            raise ValueError(f"{name}: series {i} has {a.shape[0]} time step(s) "
                             f"(n_samples={a.shape[0]}); at least {min_length} required "
                             f"(the washout plus one).")
    if n_features is not None and n0 != n_features:
        who = type(estimator).__name__ if estimator is not None else "the model"
        raise ValueError(f"{name} has {n0} features, but {who} is expecting {n_features} "
                         f"features as input.")
    return SeriesSet(arrays, layout, batch)


def as_targets(y, series, name="y", dtype=np.float64):
    """Validate targets against already validated input ``series``.

    Parameters
    ----------
    y : array-like or list of array-like
        Per series ``(n_timesteps,)`` or ``(n_timesteps, n_targets)``, in the layout of the
        inputs: one array for one series, a 2-D ``(n_series, n_timesteps)`` or 3-D array for a
        3-D input, a list for a list.
    series : SeriesSet
        The validated inputs (:func:`as_series`).
    name : str, default="y"
        Argument name used in error messages.
    dtype : numpy dtype, default=float64

    Returns
    -------
    targets : list of ndarray (n_timesteps_i, n_targets)
        One 2-D array per series.
    one_d : bool
        Whether the targets were 1-D per series (so predictions can be returned 1-D too).

    Raises
    ------
    ValueError
        Missing targets, another layout or length than the inputs, NaN or infinity.
    TypeError
        Non-numeric or complex targets.

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.reservoir.series import as_series, as_targets
    >>> X = as_series([np.zeros((4, 1)), np.zeros((6, 1))])
    >>> targets, one_d = as_targets([np.arange(4.0), np.arange(6.0)], X)
    >>> [t.shape for t in targets], one_d
    ([(4, 1), (6, 1)], True)
    >>> as_targets(np.zeros(5), as_series(np.zeros((4, 1))))
    Traceback (most recent call last):
    ...
    ValueError: y: series 0 has 5 time steps but X has 4.
    """
    if y is None:
        raise ValueError(f"requires y to be passed, but the target {name} is None.")
    if series.layout == "list":
        if not isinstance(y, (list, tuple)) or len(y) != len(series.arrays):
            raise ValueError(f"{name} must be a list of {len(series.arrays)} target arrays, one "
                             f"per series of X.")
        ys = [_to_float(t, f"{name}[{i}]", dtype) for i, t in enumerate(y)]
    elif series.layout == "batch":
        a = _to_float(y, name, dtype)
        if a.ndim not in (2, 3) or a.shape[0] != len(series.arrays):
            raise ValueError(f"{name} must have shape (n_series, n_timesteps[, n_targets]) = "
                             f"({len(series.arrays)}, {series.lengths[0]}, ...) for 3-D X, got "
                             f"{a.shape}.")
        ys = list(a)
    else:
        a = _to_float(y, name, dtype)
        if a.ndim not in (1, 2):
            raise ValueError(f"{name} must be 1-D (n_timesteps,) or 2-D (n_timesteps, n_targets) "
                             f"for 2-D X, got shape {a.shape}.")
        ys = [a]
    one_d = ys[0].ndim == 1
    out = []
    for i, (t, T) in enumerate(zip(ys, series.lengths)):
        if t.ndim != ys[0].ndim or t.ndim not in (1, 2):
            raise ValueError(f"{name}: every target series must be 1-D or 2-D alike; series {i} "
                             f"has shape {t.shape}.")
        if t.shape[0] != T:
            raise ValueError(f"{name}: series {i} has {t.shape[0]} time steps but X has {T}.")
        _check_finite(t, name)
        out.append(t.reshape(T, -1))
    n_t = out[0].shape[1]
    if n_t == 0 or any(t.shape[1] != n_t for t in out):
        raise ValueError(f"{name}: every target series needs the same (>= 1) number of targets.")
    return out, one_d
