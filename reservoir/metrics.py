"""Error metrics for reservoir computing benchmarks.

The normalised root mean squared error (NRMSE) is the headline metric of the NARMA and
time-series tables of rcpod::

    NRMSE = sqrt(mean((y_hat - y)^2)) / std(y)        (normalization="std", the default)
    NRMSE = sqrt(mean((y_hat - y)^2)) / (max y - min y)  (normalization="range")

Standard-deviation normalisation is a choice of this project; note that
``reservoirpy.observables.nrmse`` defaults to the min-max range, so always say which one a table
uses. With ``normalization="std"``, predicting the mean of ``y`` gives NRMSE = 1.
"""
from __future__ import annotations

import numpy as np
from sklearn.metrics import make_scorer

from .validation import Options, check_array, check_value

__all__ = ["mse", "rmse", "nrmse", "nrmse_scorer"]

_NORMALIZATIONS = ("std", "range")
_MULTIOUTPUT = ("uniform_average", "raw_values")


def _check_targets(y_true, y_pred):
    """Validate a pair of target arrays and return them as 2-D float arrays (n_samples, n_outputs).

    1-D arrays are one output; arrays with more than two axes (e.g. ``(B, T, n_outputs)``) are
    flattened over all leading axes, so every time step of every series counts as one sample.
    """
    arrays = []
    for name, y in (("y_true", y_true), ("y_pred", y_pred)):
        y = check_array(name, y, allow_empty=True)
        if y.ndim == 0:
            raise ValueError(f"{name} must be an array of samples, got a scalar.")
        arrays.append(y)
    y_true, y_pred = arrays
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true and y_pred must have the same shape, got {y_true.shape} and "
                         f"{y_pred.shape}.")
    if y_true.size == 0:
        raise ValueError("y_true and y_pred are empty; at least one sample is needed.")
    if y_true.ndim == 1:
        return y_true[:, None], y_pred[:, None]
    n_out = y_true.shape[-1]
    return y_true.reshape(-1, n_out), y_pred.reshape(-1, n_out)


def _check_multioutput(multioutput):
    check_value("multioutput", multioutput, [Options(_MULTIOUTPUT)])


def _aggregate(values, multioutput):
    if multioutput == "raw_values":
        return values
    return float(np.mean(values))


def mse(y_true, y_pred, multioutput="uniform_average"):
    """Mean squared error ``mean((y_pred - y_true)^2)`` per output.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,), (n_samples, n_outputs) or (..., n_outputs)
        Targets and predictions; leading axes beyond the last are flattened into samples.
    multioutput : {"uniform_average", "raw_values"}, default="uniform_average"
        Average the per-output errors, or return one value per output.

    Returns
    -------
    float or ndarray of shape (n_outputs,)

    Examples
    --------
    >>> from rcpod.reservoir.metrics import mse
    >>> mse([0.0, 1.0, 2.0], [0.0, 1.0, 5.0])                  # 3^2 / 3
    3.0
    >>> mse([[0.0, 0.0], [0.0, 0.0]], [[1.0, 2.0], [1.0, 2.0]], multioutput="raw_values").tolist()
    [1.0, 4.0]
    >>> mse([1.0, 2.0], [1.0])
    Traceback (most recent call last):
    ...
    ValueError: y_true and y_pred must have the same shape, got (2,) and (1,).
    """
    _check_multioutput(multioutput)
    y_true, y_pred = _check_targets(y_true, y_pred)
    return _aggregate(np.mean((y_pred - y_true) ** 2, axis=0), multioutput)


def rmse(y_true, y_pred, multioutput="uniform_average"):
    """Root mean squared error ``sqrt(mean((y_pred - y_true)^2))`` per output.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,), (n_samples, n_outputs) or (..., n_outputs)
    multioutput : {"uniform_average", "raw_values"}, default="uniform_average"

    Returns
    -------
    float or ndarray of shape (n_outputs,)

    Examples
    --------
    >>> from rcpod.reservoir.metrics import rmse
    >>> rmse([0.0, 0.0, 0.0, 0.0], [1.0, -1.0, 1.0, -1.0])
    1.0
    >>> rmse([[0.0, 0.0], [0.0, 0.0]], [[3.0, 0.0], [3.0, 0.0]], multioutput="raw_values").tolist()
    [3.0, 0.0]
    """
    _check_multioutput(multioutput)
    y_true, y_pred = _check_targets(y_true, y_pred)
    return _aggregate(np.sqrt(np.mean((y_pred - y_true) ** 2, axis=0)), multioutput)


def nrmse(y_true, y_pred, normalization="std", multioutput="uniform_average"):
    """Normalised root mean squared error.

    ``NRMSE_j = sqrt(mean_k (y_pred[k, j] - y_true[k, j])^2) / s_j`` where ``s_j`` is the
    (population, ``ddof=0``) standard deviation of ``y_true[:, j]`` (``normalization="std"``) or
    its range ``max - min`` (``normalization="range"``).

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,), (n_samples, n_outputs) or (..., n_outputs)
        Targets and predictions of the same shape; leading axes beyond the last (e.g. several
        series ``(B, T, n_outputs)``) are flattened into samples.
    normalization : {"std", "range"}, default="std"
        Normaliser of the RMSE of each output.
    multioutput : {"uniform_average", "raw_values"}, default="uniform_average"
        Average the per-output NRMSEs (unweighted), or return one value per output.

    Returns
    -------
    float or ndarray of shape (n_outputs,)

    Raises
    ------
    ValueError
        On shape mismatch, empty input, NaN / infinity, an unknown option, or an output of
        ``y_true`` with zero standard deviation / range (the NRMSE is undefined).

    Notes
    -----
    The std normalisation is this project's choice; reservoirpy's ``nrmse`` uses the min-max
    range by default.

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.reservoir import nrmse
    >>> nrmse(np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 3.0]))
    0.0
    >>> round(float(nrmse(np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 4.0]))), 6)
    0.707107
    """
    check_value("normalization", normalization, [Options(_NORMALIZATIONS)])
    _check_multioutput(multioutput)
    y_true, y_pred = _check_targets(y_true, y_pred)
    err = np.sqrt(np.mean((y_pred - y_true) ** 2, axis=0))
    if normalization == "std":
        scale = np.std(y_true, axis=0)
    else:
        scale = np.ptp(y_true, axis=0)
    # a constant target: relative tolerance against the magnitude of the data
    tiny = np.finfo(np.float64).eps * np.maximum(np.max(np.abs(y_true), axis=0), 1.0)
    bad = np.flatnonzero(scale <= tiny)
    if bad.size:
        what = "standard deviation" if normalization == "std" else "range"
        raise ValueError(f"y_true has zero {what} in output(s) {bad.tolist()}; the NRMSE is "
                         "undefined for a constant target.")
    return _aggregate(err / scale, multioutput)


#: scikit-learn scorer for ``nrmse`` (std normalisation); ``greater_is_better=False``, so
#: ``cross_val_score`` / ``GridSearchCV`` report the negated NRMSE and maximise it.
nrmse_scorer = make_scorer(nrmse, greater_is_better=False)
