"""Reductor: a fitted ESN estimator plus training inputs in, a reduced estimator out.

:func:`reduce` collects state and nonlinear snapshots of the trained ESN on its training inputs
(after the washout), builds a POD basis, optionally DEIM / Q-DEIM sampling points, the reduced
reservoir, and a readout (projected from the full one, or refitted on the reduced states), and
returns a fitted :class:`rcpod.reservoir.ReservoirRegressor` with the same interface (predict, score,
save / load, memory capacity) whose ``reservoir_`` is the reduced reservoir.

References
----------
.. [1] J. P. Jordanou, E. A. Antonelo, E. Camponogara, E. Gildin, "Investigation of Proper
   Orthogonal Decomposition for Echo State Networks", Neurocomputing, 2023, arXiv:2211.17179.
.. [2] H. Wang, X. Long, X.-X. Liu, "fastESN: Fast Echo State Network", IEEE TNNLS 34(12), 2023.
"""
from __future__ import annotations

import logging
import warnings

import numpy as np
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from rcpod.reservoir.estimators import ReservoirRegressor

from ._esn import esn_weights, is_esn
from ._validation import check_positive_int
from .basis import linearized_jacobian, observability_gramian, output_weighted_pod
from .deim import deim, qdeim
from .diagnostics import ReductionReport, ReductionWarning, check_trajectory
from .output_check import OUTPUT_TOL, check_outputs, split_holdout
from .pod import pod
from .reduced import (DEIMReservoir, LinearizedDEIMReservoir, PODReservoir, ReducedReservoir,
                      StabilizedDEIMReservoir)
from .snapshots import collect_snapshots

__all__ = ["reduce", "METHODS"]

logger = logging.getLogger(__name__)

#: method name -> (reduced class, index selection or None)
METHODS = {
    "pod": (PODReservoir, None),
    "pod-deim": (DEIMReservoir, deim),
    "pod-qdeim": (DEIMReservoir, qdeim),
    "pod-deim-stabilized": (StabilizedDEIMReservoir, deim),
    "pod-qdeim-stabilized": (StabilizedDEIMReservoir, qdeim),
    "pod-deim-linearized": (LinearizedDEIMReservoir, deim),
    "pod-qdeim-linearized": (LinearizedDEIMReservoir, qdeim),
}
_READOUTS = ("projected", "refit")
_BASES = ("pod", "output-weighted")
_NL_FITS = ("interpolation", "lstsq")


def _check_estimator(estimator):
    if not isinstance(estimator, ReservoirRegressor):
        raise TypeError(f"estimator must be a fitted rcpod.reservoir.ReservoirRegressor or ESNRegressor "
                        f"with an ESN reservoir, got {type(estimator).__name__}.")
    if not hasattr(estimator, "readout_") or not hasattr(estimator, "reservoir_"):
        raise NotFittedError(f"This {type(estimator).__name__} is not fitted yet; call fit before "
                             f"reducing it.")
    res = estimator.reservoir_
    if isinstance(res, ReducedReservoir):
        raise TypeError("estimator.reservoir_ is already a reduced reservoir; reduce the full ESN "
                        "estimator instead.")
    if not is_esn(res):
        raise TypeError(f"only ESN reservoirs can be reduced by POD / DEIM; estimator.reservoir_ "
                        f"is a {type(res).__name__}.")
    return res


def _readout_coef(estimator, purpose):
    """The readout's coefficients as a 2-D (n_targets, n_features) float array."""
    ro = estimator.readout_
    if not (hasattr(ro, "coef_") and hasattr(ro, "intercept_")):
        raise TypeError(f"{purpose} needs a linear readout with coef_ and intercept_, got "
                        f"{type(ro).__name__}.")
    return np.atleast_2d(np.asarray(ro.coef_, dtype=np.float64))


def _state_basis(esn, estimator, snaps, rank, energy, center, basis, output_weight):
    """Orthonormal basis ``Psi`` (N, r) and the basis part of the report."""
    X = snaps.states
    if basis == "pod":
        Psi, s = pod(X, rank=rank, energy=energy, center=center)
        s2 = s ** 2
        captured = float(s2[:Psi.shape[1]].sum() / s2.sum()) if s2.sum() > 0 else 1.0
        return Psi, dict(singular_values=s, energy_captured=captured)
    w = esn_weights(esn)
    C = _readout_coef(estimator, "basis='output-weighted'")[:, :w.n_units]
    Q = observability_gramian(linearized_jacobian(w.W, snaps.nonlinear, w.leak_rate), C)
    Psi, lam = output_weighted_pod(X, Q, rank=rank, energy=energy, weight=output_weight,
                                   center=center)
    Xc = X - X.mean(axis=1, keepdims=True) if center else X
    total = float(np.sum(Xc ** 2))
    captured = float(np.sum((Psi.T @ Xc) ** 2) / total) if total > 0 else 1.0
    s = np.linalg.svd(Xc, compute_uv=False)
    return Psi, dict(singular_values=s, energy_captured=captured, basis_eigenvalues=lam,
                     output_weight=float(output_weight))


def _projected_readout(estimator, red):
    """Readout of the reduced model: ``C_x Psi`` on the reduced states, ``c + C_x mean``."""
    ro = estimator.readout_
    one_d = np.ndim(getattr(ro, "coef_", None)) == 1
    C = _readout_coef(estimator, "readout='projected' (use readout='refit' otherwise)")
    n_units = red.n_units_
    Cx, Cu = C[:, :n_units], C[:, n_units:]
    mean = np.asarray(red.mean_, dtype=np.float64)
    Psi = np.asarray(red.modes_, dtype=np.float64)
    new_coef = np.concatenate([Cx @ Psi, Cu], axis=1)
    new_int = np.asarray(ro.intercept_, dtype=np.float64) + Cx @ mean
    new = clone(ro)
    new.coef_ = new_coef[0] if one_d else new_coef
    new.intercept_ = float(np.ravel(new_int)[0]) if np.ndim(ro.intercept_) == 0 else new_int
    new.n_features_in_ = new_coef.shape[1]
    for name in ("n_samples_seen_",):
        if hasattr(ro, name):
            setattr(new, name, getattr(ro, name))
    return new


def reduce(estimator, X_train, y_train=None, *, method="pod-deim", rank=None, energy=None,
           n_points=None, nonlinear_rank=None, center=False, basis="pod", output_weight=0.5,
           nl_fit="interpolation", readout="projected", washout=None, check_stability=True,
           divergence_tol=0.5, holdout=0.1, output_tol=OUTPUT_TOL):
    """Reduce a fitted ESN estimator by POD, POD-DEIM / Q-DEIM or stabilised POD-DEIM.

    Parameters
    ----------
    estimator : fitted ReservoirRegressor (with an ESN reservoir) or ESNRegressor
    X_train : training inputs, any rcpod layout ((T, n_in), (n_series, T, n_in) or a list)
        Used to collect snapshots (each series from the zero state, washout steps dropped).
    y_train : targets, optional
        Needed for ``readout="refit"``.
    method : str, one of :data:`METHODS`
        ``"pod"``: Galerkin projection (:class:`PODReservoir`). ``"pod-deim"`` /
        ``"pod-qdeim"``: POD-DEIM with greedy DEIM / Q-DEIM points (:class:`DEIMReservoir`).
        ``"*-stabilized"``: exact linear part, DEIM of ``tanh(v) - v`` only
        (:class:`StabilizedDEIMReservoir`, fastESN). ``"*-linearized"``: exact per-unit
        linearisation ``D v + e``, DEIM of ``tanh(v) - D v - e`` only
        (:class:`LinearizedDEIMReservoir`).
    rank : int, optional
        Number of POD modes ``r``.
    energy : float in (0, 1], optional
        Keep the smallest ``r`` capturing this fraction of the squared singular values
        (``1 - eps``); with ``rank`` too, ``rank`` caps it. One of ``rank`` / ``energy`` is
        required.
    n_points : int, optional
        Number ``m`` of DEIM sampling points (DEIM methods only); default
        ``min(2 r, N, n_snapshots)``
        (project choice: ``m = r`` is often too few). At most ``N``.
    nonlinear_rank : int, optional
        Number of POD modes of the nonlinear snapshots (DEIM basis); default ``n_points`` (plain
        interpolation). Fewer than ``n_points`` gives the oversampled least-squares DEIM (extra
        points by the GPOD+E rule of Peherstorfer, Drmac & Gugercin 2020).
    center : bool, default=False
        Centre the state snapshots (``x ~ mean + Psi z``).
    basis : {"pod", "output-weighted"}, default="pod"
        State basis ``Psi``: the POD modes of the state snapshots, or the output-weighted modes
        of :func:`rcpod.reduction.basis.output_weighted_pod` (POD Gramian plus ``output_weight`` times
        the observability Gramian of the linearised ESN with the full readout as output; needs
        a linear readout), which keep the low-energy directions a small-ridge readout uses.
    output_weight : float >= 0, default=0.5
        ``alpha`` of the output-weighted basis (ignored for ``basis="pod"``).
    nl_fit : {"interpolation", "lstsq"}, default="interpolation"
        How the DEIM methods map the ``m`` sampled nonlinear values to reduced coordinates:
        (oversampled) interpolation through the POD basis of the nonlinear snapshots, or the
        least-squares fit on the snapshots themselves (:func:`rcpod.reduction.lstsq_weights`; the
        points are still chosen on the nonlinear POD basis).
    readout : {"projected", "refit"}, default="projected"
        ``"projected"``: ``W_out Psi`` (and the unchanged input part when ``include_input``),
        intercept ``c + W_out mean``. ``"refit"``: a clone of the estimator's readout trained
        on the reduced states with ``y_train``.
    washout : int, optional
        Steps per series dropped from the snapshots; default the estimator's washout.
    check_stability : bool, default=True
        Run the reduced model on ``X_train`` and check it against the full one: its states
        (:func:`rcpod.reduction.diagnostics.check_trajectory`) and its outputs on the held-back
        steps (see ``holdout``); warns with ``ReductionWarning`` and sets
        ``reduction_report_["stable"] = False`` if it diverges, its step Jacobian is
        persistently expanding, or its outputs leave the tolerance.
    divergence_tol : float, default=0.5
        Relative state error above which the reduced model counts as diverged.
    holdout : float in [0, 1), default=0.1
        Share of the post-washout steps of every training series held back: left out of the
        snapshots and the readout refit, and used to compare the reduced model's outputs with
        the full model's (:func:`rcpod.reduction.output_check.check_outputs`). ``0`` uses all
        data and compares on the training steps (in-sample).
    output_tol : float, default=0.2
        The reduced model counts as output-divergent when, on the held-back steps, the RMS
        difference between its outputs and the full model's exceeds ``output_tol`` times the
        standard deviation of the full model's outputs (for any output). It then warns with
        ``ReductionWarning`` and ``reduction_report_["stable"]`` is False: ``stable`` means
        stable states *and* outputs within the tolerance.

    Returns
    -------
    ReservoirRegressor
        Fitted; ``reservoir_`` is the reduced reservoir, ``reduction_report_`` a
        :class:`~rcpod.reduction.diagnostics.ReductionReport` (method, ranks, singular values, energy
        captured, training-data stability check).

    Raises
    ------
    TypeError
        ``estimator`` is not a ReservoirRegressor with an ESN reservoir (or is already reduced).
    NotFittedError
        ``estimator`` is not fitted.
    ValueError
        Bad method / readout / ranks (more than ``N`` or than the number of snapshots), NaN inputs.

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.reservoir import ESNRegressor
    >>> from rcpod.reduction import reduce
    >>> X = np.random.default_rng(0).uniform(-0.5, 0.5, (400, 1))
    >>> y = np.roll(X, 2, axis=0)
    >>> est = ESNRegressor(n_units=30, washout=10, random_state=0).fit(X, y)
    >>> red = reduce(est, X, method="pod-deim", rank=10, n_points=20)
    >>> type(red.reservoir_).__name__, red.reservoir_.n_states_, red.predict(X).shape
    ('DEIMReservoir', 10, (400, 1))
    >>> rep = red.reduction_report_
    >>> rep.rank, rep.output_check, rep.stable, bool(rep.output_error < rep.output_tol)
    (10, 'held-back', True, True)
    """
    esn = _check_estimator(estimator)
    if method not in METHODS:
        raise ValueError(f"method must be one of {sorted(METHODS)}, got {method!r}.")
    if readout not in _READOUTS:
        raise ValueError(f"readout must be one of {_READOUTS}, got {readout!r}.")
    if readout == "refit" and y_train is None:
        raise ValueError("readout='refit' needs y_train.")
    if rank is None and energy is None:
        raise ValueError("give rank (number of POD modes) or energy (fraction of the squared "
                         "singular values to keep).")
    washout = estimator.washout if washout is None else washout
    cls, select = METHODS[method]
    if select is None and (n_points is not None or nonlinear_rank is not None):
        raise ValueError(f"n_points / nonlinear_rank apply to the DEIM methods, not {method!r}.")
    n_points = check_positive_int(n_points, "n_points", allow_none=True)
    nonlinear_rank = check_positive_int(nonlinear_rank, "nonlinear_rank", allow_none=True)

    if basis not in _BASES:
        raise ValueError(f"basis must be one of {_BASES}, got {basis!r}.")
    if nl_fit not in _NL_FITS:
        raise ValueError(f"nl_fit must be one of {_NL_FITS}, got {nl_fit!r}.")
    if select is None and nl_fit != "interpolation":
        raise ValueError(f"nl_fit applies to the DEIM methods, not {method!r}.")

    X_fit, y_fit, series, cuts = split_holdout(X_train, y_train, washout, holdout,
                                               n_features=esn.n_inputs_)
    snaps = collect_snapshots(esn, X_fit, washout=washout)
    N = snaps.states.shape[0]
    Psi, basis_report = _state_basis(esn, estimator, snaps, rank, energy, center, basis,
                                     output_weight)
    r = Psi.shape[1]
    mean = snaps.states.mean(axis=1) if center else None
    report = ReductionReport(method=method, basis=basis, n_units=N, rank=r, center=bool(center),
                             readout=readout, n_snapshots=snaps.n_snapshots, **basis_report)
    if select is None:
        red = cls.from_esn(esn, Psi, mean=mean)
    else:
        n_snap = snaps.n_snapshots
        m = min(2 * r, N, n_snap) if n_points is None else n_points
        if m > N:
            raise ValueError(f"n_points={m} exceeds the number of ESN units N={N}.")
        k = m if nonlinear_rank is None else nonlinear_rank
        if k > m:
            raise ValueError(f"nonlinear_rank={k} must not exceed n_points={m}.")
        if k > n_snap:
            raise ValueError(f"the DEIM basis needs nonlinear_rank={k} modes (default: n_points="
                             f"{m}) but there are only n_snapshots={n_snap} snapshots; pass "
                             f"nonlinear_rank <= {n_snap} (oversampled DEIM) or more training "
                             f"data.")
        if cls is LinearizedDEIMReservoir:
            slopes, offsets, nl = snaps.linearization()
        else:
            nl = snaps.remainder if cls is StabilizedDEIMReservoir else snaps.nonlinear
        U, s_nl = pod(nl, rank=k)
        p = select(U, n_points=m)
        fit = dict(mean=mean, nl_snapshots=nl if nl_fit == "lstsq" else None)
        if cls is LinearizedDEIMReservoir:
            red = cls.from_esn(esn, Psi, U, p, slopes, offsets, **fit)
        else:
            red = cls.from_esn(esn, Psi, U, p, **fit)
        s_nl2 = s_nl ** 2
        report.update(n_points=int(m), nonlinear_rank=int(k), nl_fit=nl_fit,
                      nl_singular_values=s_nl,
                      nl_energy_captured=float(s_nl2[:k].sum() / s_nl2.sum())
                      if s_nl2.sum() > 0 else 1.0)
    logger.info("reduced ESN N=%d to r=%d (%s)", N, r, method)

    target_1d = bool(getattr(estimator, "target_1d_", False))
    common = dict(washout=estimator.washout, include_input=estimator.include_input,
                  chunk_size=getattr(estimator, "chunk_size", 10000))
    if readout == "projected":
        model = ReservoirRegressor.from_parts(red, _projected_readout(estimator, red),
                                              target_1d=target_1d, **common)
    else:
        model = ReservoirRegressor(reservoir=red, readout=clone(estimator.readout_), **common)
        model.fit(X_fit, y_fit)
    report.update(holdout=float(holdout))
    if check_stability:
        report.update(check_trajectory(esn, model.reservoir_, series, washout,
                                       divergence_tol=divergence_tol))
        outputs = check_outputs(estimator, model, series, cuts, washout, tol=output_tol)
        report.update(outputs)
        if outputs["output_diverged"]:
            msg = (f"its outputs differ from the full model's by {outputs['output_error']:.3g} "
                   f"(RMS relative to the output's std, {outputs['output_check']} steps) > "
                   f"output_tol={output_tol}.")
            report["warnings"] = list(report["warnings"]) + [msg]
            report["stable"] = False
            warnings.warn("Inaccurate reduced ESN: " + msg + " Try a larger rank / n_points or "
                          "another basis.", ReductionWarning, stacklevel=2)
    model.reduction_report_ = report
    return model
