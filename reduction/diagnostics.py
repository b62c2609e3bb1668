"""Diagnostics of a reduced ESN against its full model.

* singular value decay and energy captured by the POD basis (stored by :func:`rcpod.reduction.reduce`),
* state error ``||lift(z) - x|| / ||x||`` and output error (NRMSE of the reduced predictions against
  the full model's, and against targets when given) on held-out inputs,
* per-step run time of the full and the reduced reservoir and their ratio,
* a stability indicator: spectral radius of the reduced step Jacobian
  ``dz[k]/dz[k-1]`` along the reduced trajectory (formulas in :mod:`rcpod.reduction.jacobians`),
* a divergence check (non-finite or unbounded reduced trajectory, or a state error of the order
  of the states themselves) that warns with :class:`ReductionWarning`.

The full ESN's states always satisfy ``|x_i| <= 1`` (convex combinations of ``tanh`` values from
``x[0] = 0``); a lifted reduced state far outside that box has left the full model's attractor.
"""
from __future__ import annotations

import logging
import time
import warnings

import numpy as np

from rcpod.reservoir.series import as_series, as_targets
from rcpod.reservoir.metrics import nrmse

from .jacobians import step_jacobians
from .report import Diagnostics

__all__ = ["ReductionWarning", "jacobian_spectral_radii", "check_trajectory", "per_step_time",
           "diagnose"]

logger = logging.getLogger(__name__)

#: lifted states per block of the state-error sum (a 5,000-unit window of 2,000 steps lifted at
#: once took 1.4 s, mostly for its fresh 80 MB)
_LIFT_ROWS = 256
#: lifted states beyond this magnitude count as diverged (full ESN states lie in [-1, 1])
STATE_BOUND = 2.0


class ReductionWarning(UserWarning):
    """A reduced model looks unstable or diverges from its full model.

    Emitted by :func:`check_trajectory` (and so by :func:`diagnose` and :func:`rcpod.reduction.reduce`);
    turn it into an error with ``warnings.simplefilter("error", ReductionWarning)``.

    Examples
    --------
    A rank-1 POD basis cannot follow a 20-unit ESN: the check flags the divergence.

    >>> import warnings
    >>> import numpy as np
    >>> from rcpod.reservoir import ESN
    >>> from rcpod.reduction import PODReservoir, ReductionWarning, check_trajectory, pod
    >>> esn = ESN(n_units=20, random_state=0).initialize(1)
    >>> u = np.random.default_rng(0).uniform(-0.5, 0.5, (50, 1))
    >>> red = PODReservoir.from_esn(esn, pod(esn.run(u).T, rank=1)[0])
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     report = check_trajectory(esn, red, u)
    >>> any(issubclass(w.category, ReductionWarning) for w in caught), report["diverged"]
    (True, True)
    """


def jacobian_spectral_radii(model, states_prev, inputs, return_norms=False):
    """Spectral radius (and optionally 2-norm) of the step Jacobian ``d state[k] / d state[k-1]``.

    Parameters
    ----------
    model : rcpod.reservoir.ESN, ReducedReservoir or a fitted estimator holding one
    states_prev : array of shape (n, n_states)
        Previous states ``x[k-1]``.
    inputs : array of shape (n, n_inputs)
        Inputs ``u[k]``.
    return_norms : bool, default=False
        Also return the spectral norms ``||J||_2`` (``< 1`` everywhere means a contraction).

    Returns
    -------
    radii : array of shape (n,)
    norms : array of shape (n,), only if ``return_norms``

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.reservoir import ESN
    >>> from rcpod.reduction import jacobian_spectral_radii
    >>> esn = ESN(n_units=20, spectral_radius=0.9, random_state=0).initialize(1)
    >>> radii = jacobian_spectral_radii(esn, np.zeros((3, 20)), np.zeros((3, 1)))
    >>> radii.shape, bool(np.allclose(radii, 0.9))
    ((3,), True)
    """
    states_prev = np.atleast_2d(states_prev)
    inputs = np.atleast_2d(inputs)
    radii = np.empty(states_prev.shape[0])
    norms = np.empty(states_prev.shape[0])
    chunk = max(1, int(2e7 // max(1, states_prev.shape[1] ** 2)))
    for i in range(0, states_prev.shape[0], chunk):
        J, _ = step_jacobians(model, states_prev[i:i + chunk], inputs[i:i + chunk])
        radii[i:i + chunk] = np.max(np.abs(np.linalg.eigvals(J)), axis=-1)
        if return_norms:
            norms[i:i + chunk] = np.linalg.norm(J, ord=2, axis=(-2, -1))
    return (radii, norms) if return_norms else radii


def _sample_points(n, max_points):
    if n <= max_points:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, max_points).round().astype(int))


def check_trajectory(full_reservoir, reduced, X, washout=0, *, divergence_tol=0.5,
                     max_jacobian_points=100, persistent_fraction=0.5, warn=True):
    """Run the full and the reduced reservoir on ``X``; check the reduced one stays close and stable.

    Parameters
    ----------
    full_reservoir : rcpod.reservoir.ESN, initialized
    reduced : ReducedReservoir, initialized from ``full_reservoir``
    X : inputs in any rcpod layout
    washout : int
        Steps per series left out of the error and the Jacobian statistics.
    divergence_tol : float, default=0.5
        The reduced model counts as diverged when the relative state error
        ``||lift(z) - x||_F / ||x||_F`` exceeds this, when a lifted state leaves ``[-2, 2]``, or
        when the trajectory is not finite.
    max_jacobian_points : int, default=100
        Steps (evenly spaced) at which the spectral radius of the reduced step Jacobian is computed;
        fewer for large reduced states (cost ``O(r^3)`` each).
    persistent_fraction : float, default=0.5
        The Jacobian test fails when more than this fraction of the sampled steps have spectral
        radius > 1 (locally expanding dynamics persistently, unlike the contracting full ESN).
    warn : bool, default=True
        Emit a :class:`ReductionWarning` if a check fails.

    Returns
    -------
    Diagnostics
        Keys ``state_error``, ``max_abs_lifted_state``, ``finite``, ``diverged``,
        ``jacobian_radius_max``, ``jacobian_norm_max``, ``jacobian_radius_median``,
        ``jacobian_fraction_above_1``,
        ``jacobian_unstable``, ``stable``, ``warnings``.

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.reservoir import ESN
    >>> from rcpod.reduction import PODReservoir, check_trajectory, pod
    >>> esn = ESN(n_units=20, random_state=0).initialize(1)
    >>> u = np.random.default_rng(0).uniform(-0.5, 0.5, (50, 1))
    >>> red = PODReservoir.from_esn(esn, pod(esn.run(u).T, rank=20)[0])
    >>> out = check_trajectory(esn, red, u)
    >>> out["finite"], out["diverged"], bool(out["state_error"] < 1e-8)
    (True, False, True)
    """
    series = as_series(X, name="X", n_features=reduced.n_inputs_, min_length=washout + 1)
    runs = [series.batch] if series.layout == "batch" else series.arrays
    return trajectory_report([full_reservoir.run(u) for u in runs], reduced, runs, washout,
                             divergence_tol=divergence_tol,
                             max_jacobian_points=max_jacobian_points,
                             persistent_fraction=persistent_fraction, warn=warn)


def trajectory_report(full_states, reduced, runs, washout=0, *, divergence_tol=0.5,
                      max_jacobian_points=100, persistent_fraction=0.5, warn=True):
    """:func:`check_trajectory` on validated inputs whose full-ESN states are already known.

    Parameters
    ----------
    full_states : list of arrays
        The full ESN's states on each entry of ``runs`` (from the zero state).
    reduced : ReducedReservoir
    runs : list of arrays (T_i, n_inputs) or (B, T, n_inputs)
        Validated inputs.
    washout, divergence_tol, max_jacobian_points, persistent_fraction, warn
        As in :func:`check_trajectory`.

    Returns
    -------
    Diagnostics
        As :func:`check_trajectory`.

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.reservoir import ESN
    >>> from rcpod.reduction import PODReservoir, pod
    >>> from rcpod.reduction.diagnostics import trajectory_report
    >>> esn = ESN(n_units=20, random_state=0).initialize(1)
    >>> u = np.random.default_rng(0).uniform(-0.5, 0.5, (50, 1))
    >>> X = esn.run(u)
    >>> red = PODReservoir.from_esn(esn, pod(X.T, rank=20)[0])
    >>> bool(trajectory_report([X], red, [u])["state_error"] < 1e-8)
    True
    """
    num = den = 0.0
    max_abs, finite = 0.0, True
    zs_prev, us = [], []
    with np.errstate(over="ignore", invalid="ignore"):
        for u, xf in zip(runs, full_states):
            xf = np.asarray(xf, dtype=np.float64)[..., washout:, :]
            z = np.asarray(reduced.run(u), dtype=np.float64)
            z0 = reduced.initial_state(u.shape[0] if u.ndim == 3 else None)
            zprev = np.concatenate([np.asarray(z0, dtype=np.float64)[..., None, :], z[..., :-1, :]],
                                   axis=-2)
            if not np.all(np.isfinite(z)):
                finite = False
                continue
            zk = z[..., washout:, :].reshape(-1, z.shape[-1])
            xf = xf.reshape(-1, xf.shape[-1])
            for k0 in range(0, len(zk), _LIFT_ROWS):   # no N x T temporaries
                xr = reduced.lift(zk[k0:k0 + _LIFT_ROWS])
                max_abs = max(max_abs, float(np.max(np.abs(xr))))
                xr -= xf[k0:k0 + _LIFT_ROWS]
                num += float(np.einsum("ij,ij->", xr, xr))
            den += float(np.einsum("ij,ij->", xf, xf))
            zs_prev.append(zprev[..., washout:, :].reshape(-1, z.shape[-1]))
            us.append(np.asarray(u)[..., washout:, :].reshape(-1, u.shape[-1]))
    err = float(np.sqrt(num / den)) if den > 0 else (0.0 if num == 0 else np.inf)
    diverged = (not finite) or max_abs > STATE_BOUND or not err <= divergence_tol
    report = dict(state_error=err if finite else np.inf, max_abs_lifted_state=max_abs,
                  finite=finite, diverged=bool(diverged))
    if finite and zs_prev:
        zp, uu = np.concatenate(zs_prev), np.concatenate(us)
        r = reduced.n_states_
        n_pts = min(max_jacobian_points, max(5, int(2e8 // r ** 3)))
        idx = _sample_points(zp.shape[0], n_pts)
        rho, nrm = jacobian_spectral_radii(reduced, zp[idx], uu[idx], return_norms=True)
        frac = float(np.mean(rho > 1.0))
        report.update(jacobian_radius_max=float(rho.max()),
                      jacobian_norm_max=float(nrm.max()),
                      jacobian_radius_median=float(np.median(rho)),
                      jacobian_fraction_above_1=frac,
                      jacobian_unstable=bool(frac > persistent_fraction))
    else:
        report.update(jacobian_radius_max=np.nan, jacobian_norm_max=np.nan,
                      jacobian_radius_median=np.nan,
                      jacobian_fraction_above_1=np.nan, jacobian_unstable=True)
    msgs = []
    if diverged:
        msgs.append(f"the reduced trajectory diverges from the full ESN (relative state error "
                    f"{report['state_error']:.3g} > {divergence_tol}, max |lifted state| "
                    f"{max_abs:.3g}, finite={finite}).")
    if report["jacobian_unstable"] and finite:
        msgs.append(f"the reduced step Jacobian has spectral radius > 1 at "
                    f"{100 * report['jacobian_fraction_above_1']:.0f}% of the checked steps "
                    f"(max {report['jacobian_radius_max']:.3g}): the reduced model is locally "
                    f"expanding where the full ESN contracts.")
    report["stable"] = not (diverged or report["jacobian_unstable"])
    report["warnings"] = tuple(msgs)
    if warn:
        for m in msgs:
            warnings.warn("Unstable reduced ESN: " + m + " Try another rank / n_points / method "
                          "(or centring) and check the full ESN is not chaotic.",
                          ReductionWarning, stacklevel=3)
    return Diagnostics(report)


#: Upper bound of ``repeats`` in :func:`per_step_time` (a bound, so a typo cannot hang a run).
MAX_REPEATS = 1000


def per_step_time(reservoir, inputs, repeats=5):
    """Best-of-``repeats`` wall time of ``reservoir.run(inputs)`` divided by the number of steps.

    One untimed run first (compilation of numba kernels, caches).

    Parameters
    ----------
    reservoir : an initialized reservoir
    inputs : array of shape (T, n_inputs)
    repeats : int in [1, 1000], default=5
        Timed runs; the best one counts.

    Returns
    -------
    float, seconds per step.

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.reservoir import ESN
    >>> from rcpod.reduction import per_step_time
    >>> t = per_step_time(ESN(n_units=20, random_state=0).initialize(1), np.zeros((50, 1)), repeats=2)
    >>> bool(t > 0)
    True
    """
    if (isinstance(repeats, bool) or not isinstance(repeats, (int, np.integer))
            or not 1 <= repeats <= MAX_REPEATS):
        raise ValueError(f"repeats must be an integer in [1, {MAX_REPEATS}], got {repeats!r}.")
    inputs = np.asarray(inputs)
    reservoir.run(inputs[: min(len(inputs), 10)])
    best = np.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        reservoir.run(inputs)
        best = min(best, time.perf_counter() - t0)
    return best / inputs.shape[-2]


def _pooled_outputs(model, series, washout):
    preds = model.predict(series)
    preds = [preds] if not isinstance(preds, list) and np.ndim(preds) < 3 else list(preds)
    return np.concatenate([np.asarray(p).reshape(len(p), -1)[washout:] for p in preds])


def diagnose(full_estimator, reduced_estimator, X_test, y_test=None, *, washout=None,
             timing_steps=2000, divergence_tol=0.5, warn=True):
    """Diagnostic report of a reduced estimator against its full model on held-out inputs.

    Parameters
    ----------
    full_estimator : fitted ReservoirRegressor / ESNRegressor with an ESN reservoir
    reduced_estimator : the estimator returned by :func:`rcpod.reduction.reduce` for it
    X_test : held-out inputs (any rcpod layout)
    y_test : held-out targets, optional
    washout : int, optional
        Default: the estimator's washout.
    timing_steps : int, default=2000
        Length of the random input series used to time a run step (0 to skip timing).
    divergence_tol : float
        See :func:`check_trajectory`.
    warn : bool
        Warn (:class:`ReductionWarning`) if the reduced model diverges or looks unstable.

    Returns
    -------
    Diagnostics
        The reduction's own report (:meth:`ReductionReport.to_dict`: singular values, energy
        captured, ranks) updated with
        ``test_state_error``, ``test_output_error`` (NRMSE of reduced vs full predictions,
        std of the full predictions as normaliser), ``full_nrmse`` / ``reduced_nrmse`` (against
        ``y_test``), ``time_per_step_full`` / ``time_per_step_reduced`` (s) and ``speedup``,
        and the stability keys of :func:`check_trajectory`.

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.reservoir import ESNRegressor
    >>> from rcpod.reduction import diagnose, reduce
    >>> X = np.random.default_rng(0).uniform(-0.5, 0.5, (100, 1))
    >>> y = np.roll(X, 2, axis=0)
    >>> est = ESNRegressor(n_units=30, washout=10, random_state=0).fit(X, y)
    >>> red = reduce(est, X, method="pod", rank=30)   # full rank: reproduces the ESN
    >>> rep = diagnose(est, red, X, y, timing_steps=0)
    >>> rep["finite"], bool(rep["test_output_error"] < 1e-6)
    (True, True)
    """
    full = full_estimator.reservoir_
    red = reduced_estimator.reservoir_
    washout = full_estimator.washout if washout is None else washout
    own = getattr(reduced_estimator, "reduction_report_", None)
    report = dict(own.to_dict() if hasattr(own, "to_dict") else (own or {}))
    traj = check_trajectory(full, red, X_test, washout, divergence_tol=divergence_tol, warn=warn)
    for k, v in traj.items():
        report["test_" + k if k in ("state_error", "warnings") else k] = v
    series = as_series(X_test, name="X_test", n_features=red.n_inputs_, min_length=washout + 1)
    Xs = series.batch if series.layout == "batch" else series.arrays
    if traj["finite"]:
        yf = _pooled_outputs(full_estimator, Xs, washout)
        yr = _pooled_outputs(reduced_estimator, Xs, washout)
        report["test_output_error"] = (float(nrmse(yf, yr)) if np.all(np.std(yf, axis=0) > 0)
                                       else float(np.sqrt(np.mean((yf - yr) ** 2))))
        if y_test is not None:
            targets, _ = as_targets(y_test, series, name="y_test")
            yt = np.concatenate([t[washout:] for t in targets])
            report["full_nrmse"] = float(nrmse(yt, yf))
            report["reduced_nrmse"] = float(nrmse(yt, yr))
    else:
        report["test_output_error"] = np.inf
    if timing_steps:
        u = np.random.default_rng(0).uniform(-0.5, 0.5, (int(timing_steps), red.n_inputs_))
        tf, tr = per_step_time(full, u), per_step_time(red, u)
        report.update(time_per_step_full=tf, time_per_step_reduced=tr, speedup=tf / tr)
    return Diagnostics(report)
