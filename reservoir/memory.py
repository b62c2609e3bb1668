"""Short-term memory capacity (Jaeger 2001) of any reservoir of the protocol.

For each delay ``d = 1 .. k_max`` a linear readout ``y_d[k] ~ u[k-d]`` is trained on the reservoir
states driven by an i.i.d. input ``u``; ``MC_d`` is the squared correlation between ``y_d`` and
``u[k-d]`` on held-out data, and ``MC = sum_d MC_d <= N`` for an N-dimensional state
(H. Jaeger, "Short term memory in echo state networks", GMD Report 152, 2001).

The protocol is exactly that of ``reservoirpy.observables.memory_capacity`` (reservoirpy 0.4), so
that the two give the same numbers on the same weights and series:

* default input ``u ~ U[-0.8, 0.8]`` i.i.d., of length ``10 k_max``;
* rows ``t = k_max .. T-1`` (every delayed target ``u[t-d]`` exists): the reservoir is driven by
  ``u[k_max:]`` from the zero state, so the first ``k_max`` samples only serve as targets;
* the last ``test_len = round(test_size * T)`` rows (``test_size`` a float) or ``test_size`` rows
  (an int) are the test set; the reservoir runs on without reset from train into test;
* the first ``washout`` (default ``k_max``) training states are discarded;
* one ridge readout with an unregularised intercept (centred normal equations, reservoirpy's
  ``Ridge(ridge=...)``) fits all ``k_max`` delays at once, as a multi-output regression, because
  the states are the same for every delay;
* ``MC_d = corrcoef(prediction_d, u[t-d])^2`` on the test rows.
"""
from __future__ import annotations

import logging
import numbers

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from sklearn.base import clone

from .base import BaseReservoir, resolve_reservoir
from .validation import Interval, check_allocation, check_array, check_int, check_real, check_value

__all__ = ["memory_capacity", "memory_capacity_task", "task_reservoir"]

logger = logging.getLogger(__name__)


def task_reservoir(reservoir, n_inputs=1):
    """Return an initialized reservoir of the protocol for ``n_inputs`` inputs.

    Accepts a :class:`~rcpod.reservoir.base.BaseReservoir` (initialized or not; an uninitialized one is
    cloned and the clone initialized, so the caller's object is left untouched) or a fitted
    estimator exposing ``reservoir_`` (``ReservoirRegressor``, ``ESNRegressor``).

    Parameters
    ----------
    reservoir : BaseReservoir or fitted ReservoirRegressor / ESNRegressor
        The reservoir, or the estimator holding it.
    n_inputs : int, default=1
        Number of inputs the reservoir must take.

    Returns
    -------
    BaseReservoir
        Initialized for ``n_inputs`` inputs.

    Raises
    ------
    TypeError
        If ``reservoir`` is neither a reservoir nor an estimator holding one.
    ValueError
        If it is already initialized for another number of inputs.

    Examples
    --------
    >>> from rcpod.reservoir import ESN
    >>> from rcpod.reservoir.memory import task_reservoir
    >>> esn = ESN(n_units=10, random_state=0)
    >>> res = task_reservoir(esn)
    >>> res is esn, res.n_inputs_, res.n_states_          # an initialized clone
    (False, 1, 10)
    >>> task_reservoir(ESN(n_units=10, random_state=0).initialize(2))
    Traceback (most recent call last):
    ...
    ValueError: the reservoir was initialized with n_inputs=2; the memory capacity task has 1 input.
    """
    if isinstance(reservoir, BaseReservoir) and not hasattr(reservoir, "n_states_"):
        return clone(reservoir).initialize(n_inputs)
    reservoir, _ = resolve_reservoir(reservoir, name="reservoir")
    if reservoir.n_inputs_ != n_inputs:
        raise ValueError(f"the reservoir was initialized with n_inputs={reservoir.n_inputs_}; the "
                         f"memory capacity task has {n_inputs} input.")
    return reservoir


def memory_capacity_task(series, k_max):
    """Inputs and delayed targets of the memory capacity task.

    Parameters
    ----------
    series : ndarray of shape (T,)
    k_max : int

    Returns
    -------
    inputs : ndarray of shape (T - k_max, 1)
        ``u[t]`` for ``t = k_max .. T-1``.
    targets : ndarray of shape (T - k_max, k_max)
        ``targets[j, d-1] = u[k_max + j - d]``.

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.reservoir.memory import memory_capacity_task
    >>> inputs, targets = memory_capacity_task(np.arange(6.0), k_max=2)
    >>> inputs[:, 0].tolist(), targets.tolist()        # targets: u delayed by 1 and 2
    ([2.0, 3.0, 4.0, 5.0], [[1.0, 0.0], [2.0, 1.0], [3.0, 2.0], [4.0, 3.0]])
    """
    window = sliding_window_view(series, k_max + 1)[:, ::-1]  # row j: u[j+k_max], ..., u[j]
    return np.ascontiguousarray(window[:, :1]), np.ascontiguousarray(window[:, 1:])


def _squared_correlation(pred, target):
    """Column-wise squared Pearson correlation; 0 where a column is constant."""
    pc = pred - pred.mean(axis=0)
    tc = target - target.mean(axis=0)
    cov = np.einsum("ij,ij->j", pc, tc)
    var = np.einsum("ij,ij->j", pc, pc) * np.einsum("ij,ij->j", tc, tc)
    out = np.zeros(pred.shape[1])
    ok = var > 0
    if not np.all(ok):
        logger.warning("memory_capacity: %d delay(s) have a constant prediction or target on the "
                       "test set; their MC_d is set to 0.", int(np.sum(~ok)))
    out[ok] = cov[ok] ** 2 / var[ok]
    return out


def memory_capacity(reservoir, k_max=None, *, series=None, test_size=0.2, ridge=1e-8,
                    washout=None, random_state=None, return_curve=False):
    """Short-term memory capacity ``MC = sum_{d=1}^{k_max} MC_d`` of a reservoir.

    Follows the protocol of ``reservoirpy.observables.memory_capacity`` (see the module docstring):
    on the same weights, series and ridge the per-delay values agree to rounding.

    Parameters
    ----------
    reservoir : BaseReservoir or fitted ReservoirRegressor / ESNRegressor
        Any reservoir of the protocol, initialized (with one input) or not (then a clone is
        initialized with ``n_inputs=1``); for an estimator its ``reservoir_`` is used (its readout
        and ``include_input`` are ignored: only the reservoir features are read out).
    k_max : int, optional
        Largest delay; default ``2 * n_states`` (the rule of thumb ``k_max >= 2N``).
    series : array-like of shape (T,) or (T, 1), optional
        Input sequence; default ``U[-0.8, 0.8]`` i.i.d. of length ``10 * k_max`` drawn with
        ``random_state``.
    test_size : float in (0, 1) or int, default=0.2
        Fraction of ``T`` (rounded) or number of final rows held out for the correlations.
    ridge : float, default=1e-8
        Ridge penalty of the readout, the ``alpha`` of its :class:`RidgeReadout` (absolute, on
        un-standardised features; the intercept is not penalised). The default is small because ``T >> N`` in this task; for near-linear
        reservoirs driven with a tiny input scaling the states are small, so lower it further
        (it must stay well below ``T`` times the variance of the weakest state direction).
    washout : int, optional
        Training states discarded at the start; default ``k_max`` (as reservoirpy).
    random_state : int, numpy.random.Generator or None
        Seed of the default input series (``numpy.random.default_rng`` semantics).
    return_curve : bool, default=False
        Also return the per-delay values.

    Returns
    -------
    mc : float
        Total memory capacity, in ``[0, k_max]``; ``<= n_states`` up to estimation noise.
    curve : ndarray of shape (k_max,)
        Only if ``return_curve``: ``curve[d-1] = MC_d``.

    Raises
    ------
    ValueError
        On a non-finite or wrongly shaped series, ``k_max < 1``, a bad ``test_size`` / ``ridge`` /
        ``washout`` value, or a series too short for the washout and the test set.
    TypeError
        If ``reservoir`` is neither a reservoir nor an estimator with ``reservoir_``, or
        ``k_max``, ``washout``, ``test_size``, ``ridge`` or ``series`` is not a number (array)
        of the right kind.

    References
    ----------
    .. [1] H. Jaeger, "Short term memory in echo state networks", GMD Report 152, 2001 (memory
       capacity, ``MC <= N``).
    .. [2] reservoirpy 0.4, ``reservoirpy/observables.py`` (``memory_capacity``), whose protocol
       this reproduces.

    Examples
    --------
    >>> from rcpod.reservoir import ESN, memory_capacity
    >>> mc = memory_capacity(ESN(n_units=20, random_state=0), 10, random_state=0)
    >>> bool(0 < mc <= 10)
    True
    """
    from .readout import RidgeReadout  # local import: readout is independent of this module

    reservoir = task_reservoir(reservoir, n_inputs=1)
    if k_max is None:
        k_max = 2 * int(reservoir.n_states_)
    k_max = check_int("k_max", k_max)
    n_steps = 10 * k_max if series is None else np.size(series)
    check_allocation(8 * n_steps * (k_max + int(reservoir.n_states_) + 1), "k_max",
                     f"the {k_max} delay targets and the states of {n_steps} steps")
    ridge = check_real("ridge", ridge, low=0)
    washout = k_max if washout is None else check_int("washout", washout, low=0)
    # an int counts test rows, a float the fraction of T
    check_value("test_size", test_size, [Interval(numbers.Integral, 1),
                                         Interval(numbers.Real, 0, 1, closed="neither")])

    if series is None:
        rng = np.random.default_rng(random_state)
        u = rng.uniform(-0.8, 0.8, size=10 * k_max)
    else:
        u = check_array("series", series)
        if u.ndim == 2 and u.shape[1] == 1:
            u = u[:, 0]
        if u.ndim != 1:
            raise ValueError(f"series must have shape (T,) or (T, 1), got {np.shape(series)}.")
    T = u.shape[0]

    test_len = int(test_size) if isinstance(test_size, numbers.Integral) else \
        int(round(T * test_size))
    n_rows = T - k_max
    n_train = n_rows - test_len - washout
    if test_len < 2 or n_train < 2:
        raise ValueError(
            f"series too short: T={T} gives {max(n_rows, 0)} rows after the k_max={k_max} delays, "
            f"of which {test_len} test rows (need >= 2) and {max(n_train, 0)} training rows after "
            f"washout={washout} (need >= 2). Use T >= k_max + washout + test rows + training rows "
            f"(the default is 10 * k_max).")
    if n_train < reservoir.n_features_out_:
        logger.warning("memory_capacity: only %d training rows for %d features; the readout is "
                       "underdetermined and relies on the ridge penalty.", n_train,
                       reservoir.n_features_out_)

    inputs, targets = memory_capacity_task(u, k_max)
    states = reservoir.run(inputs)  # train and test in one run: no reset in between
    feats = np.asarray(reservoir.features(states), dtype=np.float64)
    split = n_rows - test_len
    readout = RidgeReadout(alpha=ridge, fit_intercept=True)
    readout.fit(feats[washout:split], targets[washout:split])
    pred = np.asarray(readout.predict(feats[split:])).reshape(test_len, k_max)
    curve = _squared_correlation(pred, targets[split:])
    total = float(np.sum(curve))
    logger.debug("memory_capacity: MC=%.4f over k_max=%d delays (N=%d).", total, k_max,
                 reservoir.n_states_)
    return (total, curve) if return_curve else total
