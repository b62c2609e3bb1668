"""Reductor: a fitted ESN estimator plus training inputs in, a reduced estimator out.

:func:`reduce` is an orchestration in the shape of pyMOR's reductors: it runs the trained ESN
once over the training inputs, takes state and nonlinear snapshots after the washout (the
held-back tails left out), builds the state basis, the sampling points of the snapshots the
reduced class declares it interpolates, the reduced reservoir through the class's one
``from_esn``, and a readout (projected from the full one, or refitted on the reduced states),
checks the result on the same full-ESN run, and returns a fitted
:class:`rcpod.reservoir.ReservoirRegressor` with the same interface (predict, score, save / load,
memory capacity) whose ``reservoir_`` is the reduced reservoir. Its options are orthogonal
(``sampling``, ``nonlinearity``, ``basis``, ``nl_fit``, ``readout``); the method strings of rcpod
0.1 are aliases of the first two.

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
from rcpod.reservoir.reservoirpy_bridge import from_reservoirpy, is_reservoirpy_object
from rcpod.reservoir.validation import Options, check_int, check_real, check_value

from .basis import observability_factor, observability_gramian
from .deim import deim, qdeim
from .diagnostics import ReductionWarning, trajectory_report
from .full_model import full_form
from .output_check import OUTPUT_TOL, check_outputs, outputs_from_states, split_holdout
from .pod import POD_METHODS
from .reduced import ReducedReservoir
from .report import ReductionReport
from .held_snapshots import hold_snapshots, holds_by_default, kept_snapshots
from .snapshot_grams import check_windows, stream_snapshot_grams, streams_by_default
from .snapshots import snapshots_from_states

__all__ = ["reduce", "METHODS", "SAMPLINGS", "NONLINEARITIES", "method_name"]

logger = logging.getLogger(__name__)

#: how the nonlinearity is sampled: name -> index selection (None: no sampling, Galerkin POD)
SAMPLINGS = {"deim": deim, "qdeim": qdeim}
#: what is interpolated: tanh(v), the remainder tanh(v) - v (fastESN), or tanh(v) - D v - e
NONLINEARITIES = ("full", "remainder", "linearized")
_SUFFIX = {"full": "", "remainder": "-stabilized", "linearized": "-linearized"}
#: the method strings of rcpod 0.1 -> (sampling, nonlinearity); aliases of the two options
METHODS = {"pod": (None, "full")}
METHODS.update({f"pod-{s}{_SUFFIX[n]}": (s, n) for s in SAMPLINGS for n in NONLINEARITIES})
_DEFAULT_OPTIONS = ("deim", "full")


def method_name(sampling, nonlinearity):
    """The method string of ``(sampling, nonlinearity)``, e.g. ``"pod-qdeim-linearized"``.

    Parameters
    ----------
    sampling : {"deim", "qdeim"} or None
    nonlinearity : {"full", "remainder", "linearized"}

    Returns
    -------
    str

    Examples
    --------
    >>> from rcpod.reduction import method_name
    >>> method_name("deim", "remainder"), method_name(None, "full")
    ('pod-deim-stabilized', 'pod')
    """
    return "pod" if sampling is None else f"pod-{sampling}{_SUFFIX[nonlinearity]}"


def _options(method, sampling, nonlinearity):
    """``(sampling, nonlinearity)`` from the method alias or the two options."""
    if method is not None:
        check_value("method", method, [Options(tuple(METHODS))])
        if (sampling, nonlinearity) not in (_DEFAULT_OPTIONS, METHODS[method]):
            raise ValueError(f"method={method!r} is an alias of sampling={METHODS[method][0]!r}, "
                             f"nonlinearity={METHODS[method][1]!r}; give either method or "
                             f"sampling / nonlinearity, not both.")
        return METHODS[method]
    check_value("sampling", sampling, [None, Options(tuple(SAMPLINGS))])
    check_value("nonlinearity", nonlinearity, [Options(NONLINEARITIES)])
    if sampling is None and nonlinearity != "full":
        raise ValueError(f"nonlinearity={nonlinearity!r} splits the nonlinearity for sampling; "
                         f"it needs sampling='deim' or 'qdeim' (sampling=None is the Galerkin "
                         f"POD reduction of the full tanh).")
    return sampling, nonlinearity


def _as_estimator(estimator):
    """A reservoirpy model converted by :func:`rcpod.reservoir.from_reservoirpy` (washout 0),
    anything else unchanged (then checked by :func:`_check_estimator`)."""
    return from_reservoirpy(estimator) if is_reservoirpy_object(estimator) else estimator


def _check_estimator(estimator):
    """The estimator's ESN, after checking it can be reduced."""
    if not isinstance(estimator, ReservoirRegressor):
        raise TypeError(f"estimator must be a fitted rcpod.reservoir.ReservoirRegressor or "
                        f"ESNRegressor with an ESN reservoir, got {type(estimator).__name__}.")
    if not hasattr(estimator, "readout_") or not hasattr(estimator, "reservoir_"):
        raise NotFittedError(f"This {type(estimator).__name__} is not fitted yet; call fit before "
                             f"reducing it.")
    return estimator.reservoir_


def _readout_coef(estimator, purpose):
    """The readout's coefficients as a 2-D (n_targets, n_features) float array."""
    ro = estimator.readout_
    if not (hasattr(ro, "coef_") and hasattr(ro, "intercept_")):
        raise TypeError(f"{purpose} needs a linear readout with coef_ and intercept_, got "
                        f"{type(ro).__name__}.")
    return np.atleast_2d(np.asarray(ro.coef_, dtype=np.float64))


#: ``decomposition="auto"`` solves the dense Stein equation of the output-weighted basis up to
#: this N (O(N^3), about a second), and uses the low-rank factor of the Gramian above
DENSE_GRAMIAN_MAX = 1000


def _state_basis(form, estimator, snaps, rank, energy, center, basis, output_weight,
                 decomposition="auto"):
    """Orthonormal basis ``Psi`` (N, r) and the basis fields of the report; ``snaps`` is a
    snapshot matrix or streamed Gram matrices (both speak the same basis methods)."""
    if basis == "pod":
        Psi, s, total = snaps.state_basis(rank, energy, center, decomposition)
        captured = float(np.sum(s[:Psi.shape[1]] ** 2) / total) if total > 0 else 1.0
        return Psi, dict(singular_values=s, energy_captured=captured)
    C = _readout_coef(estimator, "basis='output-weighted'")[:, :form.n_states]
    slopes = snaps.mean_slopes()
    if decomposition == "exact" or (decomposition == "auto"
                                    and form.n_states <= DENSE_GRAMIAN_MAX):
        gramian = dict(gramian=observability_gramian(form.state_jacobian_at_slopes(slopes), C))
    else:   # Q ~ Z Z^T from the sparse mean Jacobian: no N x N array
        gramian = dict(factor=observability_factor(
            form.state_jacobian_at_slopes(slopes, sparse=True), C))
    Psi, lam, captured = snaps.output_weighted_basis(rank, energy, output_weight, center,
                                                     method=decomposition, **gramian)
    return Psi, dict(energy_captured=captured, basis_eigenvalues=lam,
                     output_weight=float(output_weight))


def _sampled_reservoir(cls, esn, snaps, Psi, mean, select, n_points, nonlinear_rank, nl_fit,
                       decomposition="auto"):
    """The sampled reduced reservoir and the sampling fields of the report."""
    N, n_snap, r = Psi.shape[0], snaps.n_snapshots, Psi.shape[1]
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
    U, s_nl, total, extra, G = snaps.interpolated_basis(cls, k, decomposition)
    p = select(U, n_points=m)
    red = cls.from_esn(esn, Psi, U, p, mean=mean, nl_snapshots=G if nl_fit == "lstsq" else None,
                       **extra)
    return red, dict(n_points=int(m), nonlinear_rank=int(k), nl_fit=nl_fit,
                     nl_singular_values=s_nl,
                     nl_energy_captured=float(np.sum(s_nl[:k] ** 2) / total)
                     if total > 0 else 1.0)


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


def _estimator_settings(estimator):
    """The full estimator's settings a reduced estimator keeps."""
    return dict(washout=estimator.washout, include_input=estimator.include_input,
                chunk_size=getattr(estimator, "chunk_size", 10000))


def _projected_model(estimator, red):
    """The fitted reduced estimator with the projected readout (``readout="projected"``)."""
    return ReservoirRegressor.from_parts(
        red, _projected_readout(estimator, red),
        target_1d=bool(getattr(estimator, "target_1d_", False)), **_estimator_settings(estimator))


def _checks(estimator, model, series, cuts, washout, full_states, divergence_tol, output_tol):
    """Trajectory and output checks of the reduced model, on the full ESN's states run once."""
    checks = trajectory_report(full_states, model.reservoir_, series, washout,
                               divergence_tol=divergence_tol).to_dict()
    full_outputs = [outputs_from_states(estimator, x, u) for x, u in zip(full_states, series)]
    checks.update(check_outputs(estimator, model, series, cuts, washout, tol=output_tol,
                                full_outputs=full_outputs))
    if checks["output_diverged"]:
        msg = (f"its outputs differ from the full model's by {checks['output_error']:.3g} "
               f"(RMS relative to the output's std, {checks['output_check']} steps) > "
               f"output_tol={output_tol}.")
        checks["warnings"] = checks["warnings"] + (msg,)
        checks["stable"] = False
        warnings.warn("Inaccurate reduced ESN: " + msg + " Try a larger rank / n_points or "
                      "another basis.", ReductionWarning, stacklevel=3)
    return checks


def _snapshot_mode(snapshots, n_jobs, nl_fit, esn, form, series, cuts, washout, nonlinearity,
                   chunk_size):
    """``"matrix"``, ``"streamed"`` or ``"held"``: the ``snapshots`` option, ``"auto"``
    resolved (see :func:`reduce`)."""
    if n_jobs is not None:
        return "streamed"
    if snapshots != "auto":
        return snapshots
    if nl_fit == "lstsq" or not streams_by_default(form.n_states, series, washout):
        return "matrix"
    kept = kept_snapshots(series, washout, cuts)
    return "held" if holds_by_default(esn, kept, nonlinearity, chunk_size) else "streamed"


def reduce(estimator, X_train, y_train=None, *, method=None, sampling="deim", nonlinearity="full",
           basis="pod", rank=None, energy=None, n_points=None, nonlinear_rank=None, center=False,
           output_weight=0.5, nl_fit="interpolation", readout="projected", washout=None,
           check_stability=True, divergence_tol=0.5, holdout=0.1, output_tol=OUTPUT_TOL,
           decomposition="auto", snapshots="auto", n_jobs=None):
    """Reduce a fitted ESN estimator by POD, POD-DEIM / Q-DEIM or stabilised POD-DEIM.

    Parameters
    ----------
    estimator : fitted ReservoirRegressor (with an ESN reservoir) or ESNRegressor
        Or a fitted reservoirpy model, converted by :func:`rcpod.reservoir.from_reservoirpy` (its
        washout is 0: reservoirpy keeps none; pass ``washout`` to drop a transient).
    X_train : training inputs, any rcpod layout ((T, n_in), (n_series, T, n_in) or a list)
        Used to collect snapshots (each series from the zero state, washout steps dropped).
    y_train : targets, optional
        Needed for ``readout="refit"``.
    method : str, optional
        One name for ``sampling`` and ``nonlinearity`` (the method strings of rcpod 0.1, all
        kept; :data:`METHODS`): ``"pod"`` is ``sampling=None``; ``"pod-deim"`` /
        ``"pod-qdeim"`` are ``sampling="deim"`` / ``"qdeim"``; the suffix ``"-stabilized"``
        is ``nonlinearity="remainder"`` and ``"-linearized"`` is
        ``nonlinearity="linearized"``. Give either ``method`` or the two options.
    sampling : {"deim", "qdeim"} or None, default="deim"
        How the nonlinearity is sampled: greedy DEIM or pivoted-QR Q-DEIM points, or None for
        the Galerkin projection (:class:`PODReservoir`, ``tanh`` on all ``N`` units).
    nonlinearity : {"full", "remainder", "linearized"}, default="full"
        What the sampled reduction interpolates: ``tanh(v)`` (:class:`DEIMReservoir`), the
        remainder ``tanh(v) - v`` with the linear part exact (fastESN,
        :class:`StabilizedDEIMReservoir`), or ``tanh(v) - D v - e`` with an exact per-unit
        linearisation (:class:`LinearizedDEIMReservoir`). Each reduced class declares its
        ``variant = (sampled, nonlinearity)``; a new variant is one new class.
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
    decomposition : {"auto", "exact", "gram", "randomized"}, default="auto"
        How the leading modes of the state and nonlinear snapshots are computed
        (:func:`rcpod.reduction.pod`: exact SVD, method of snapshots, or block subspace iteration
        checked against a residual tolerance); ``"auto"`` keeps the exact SVD on small problems
        (bit for bit the results of rcpod 0.1) and picks by shape above. For
        ``basis="output-weighted"``, ``"exact"`` (and ``"auto"`` up to N = 1000) solves the dense
        Stein equation of the Gramian; otherwise a low-rank factor of it comes from the sparse
        mean Jacobian (:func:`rcpod.reduction.observability_factor`) and no ``N x N`` array is
        formed beyond streamed Gram matrices.
    snapshots : {"auto", "matrix", "streamed", "held"}, default="auto"
        ``"matrix"`` holds the ``N x T`` snapshot matrices (and the full ESN's states for the
        checks); ``"streamed"`` runs the full ESN chunk by chunk and keeps only the snapshots'
        Gram matrices (:mod:`rcpod.reduction.snapshot_grams`): memory ``O(N^2)`` plus a chunk,
        whatever the number of steps (``nonlinearity="linearized"`` streams twice, the second
        time from the first pass's preactivations when they take at most 1 GB, and frees the
        state Gram before the remainder's); ``"held"`` runs it chunk by chunk once and keeps
        one ``N x T`` array (the preactivations, or the states; two at a leak rate below 1
        with a nonlinearity of their own), from which every basis comes by products
        (:mod:`rcpod.reduction.held_snapshots`): no ``N x N`` array, the fastest way when
        ``T <~ N``. The checks of both then run on windows of the held-back steps (each
        window from the zero state, the washout dropped, at most ``10^7 / N`` steps in all).
        ``"auto"``: ``"matrix"`` while the matrices take at most 1 GB (or ``nl_fit="lstsq"``,
        which needs them: ``"streamed"`` / ``"held"`` then raise), above that ``"held"`` when
        its array takes no more memory than the streamed Grams
        (:func:`rcpod.reduction.held_snapshots.holds_by_default`), else ``"streamed"``.
    n_jobs : int or None, default=None
        ``None`` runs everything here. An int streams the snapshots (as ``"streamed"``) with one
        task per training series on the active joblib backend and merges the per-series Gram
        matrices here, in series order, before the one decomposition
        (:func:`rcpod.reduction.snapshot_grams.stream_snapshot_grams`); the reduced model is
        the local streamed one up to rounding. For a Dask cluster, start a
        ``distributed.Client`` (``Client("tcp://host:8786")`` for a remote scheduler) and call
        ``reduce(..., n_jobs=-1)`` inside ``with joblib.parallel_config(backend="dask"):``.
        Needs ``snapshots`` "auto" or "streamed" and ``nl_fit="interpolation"``; the checks and
        ``readout="refit"`` run here.

    Returns
    -------
    ReservoirRegressor
        Fitted; ``reservoir_`` is the reduced reservoir, ``reduction_report_`` a
        :class:`~rcpod.reduction.ReductionReport` (options, ranks, singular values, energy
        captured, training-data stability and output checks).

    Raises
    ------
    TypeError
        ``estimator`` is not a ReservoirRegressor with an ESN reservoir (or is already reduced);
        an option of the wrong type.
    NotFittedError
        ``estimator`` is not fitted.
    ValueError
        Bad method / options / readout / ranks (more than ``N`` or than the number of
        snapshots), ``method`` together with other ``sampling`` / ``nonlinearity``, NaN inputs.

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
    estimator = _as_estimator(estimator)
    esn = _check_estimator(estimator)
    form = full_form(esn, name="estimator.reservoir_")
    sampling, nonlinearity = _options(method, sampling, nonlinearity)
    cls = ReducedReservoir.variants[(sampling is not None, nonlinearity)]
    check_value("basis", basis, [Options(("pod", "output-weighted"))])
    check_value("nl_fit", nl_fit, [Options(("interpolation", "lstsq"))])
    check_value("readout", readout, [Options(("projected", "refit"))])
    if readout == "refit" and y_train is None:
        raise ValueError("readout='refit' needs y_train.")
    if rank is None and energy is None:
        raise ValueError("give rank (number of POD modes) or energy (fraction of the squared "
                         "singular values to keep).")
    if sampling is None and (n_points is not None or nonlinear_rank is not None
                             or nl_fit != "interpolation"):
        raise ValueError("n_points, nonlinear_rank and nl_fit apply to the DEIM methods "
                         "(sampling='deim' or 'qdeim'), not to the Galerkin POD.")
    n_points = check_int("n_points", n_points, allow_none=True)
    nonlinear_rank = check_int("nonlinear_rank", nonlinear_rank, allow_none=True)
    washout = estimator.washout if washout is None else check_int("washout", washout, low=0)
    check_value("decomposition", decomposition, [Options(POD_METHODS)])
    check_value("snapshots", snapshots, [Options(("auto", "matrix", "streamed", "held"))])
    divergence_tol = check_real("divergence_tol", divergence_tol, low=0, closed="neither")
    n_jobs = check_int("n_jobs", n_jobs, low=None, allow_none=True)
    if n_jobs is not None and (snapshots in ("matrix", "held") or nl_fit == "lstsq"):
        raise ValueError(f"n_jobs={n_jobs} merges streamed Gram matrices; it cannot be combined "
                         f"with snapshots={snapshots!r} / nl_fit={nl_fit!r}, which keep the "
                         f"snapshots in this process.")
    if nl_fit == "lstsq" and snapshots in ("streamed", "held"):
        raise ValueError(f"nl_fit='lstsq' fits the snapshot matrix itself; snapshots="
                         f"{snapshots!r} keeps only Gram matrices or the run's blocks: use "
                         f"snapshots='matrix' (or 'auto').")

    # snapshots -> basis -> points -> reduced class -> readout -> report; the full ESN runs once
    X_fit, y_fit, series, cuts = split_holdout(X_train, y_train, washout, holdout,
                                               n_features=esn.n_inputs_)
    interpolated = None if sampling is None else nonlinearity
    chunk_size = getattr(estimator, "chunk_size", 10000)
    mode = _snapshot_mode(snapshots, n_jobs, nl_fit, esn, form, series, cuts, washout,
                          interpolated, chunk_size)
    full_states = None   # the matrix path's full run; the others run bounded windows for checks
    if mode == "streamed":   # Gram matrices only: the snapshot and state matrices are never held
        snaps = stream_snapshot_grams(esn, series, washout, stops=cuts, nonlinearity=interpolated,
                                      chunk_size=chunk_size, n_jobs=n_jobs)
    elif mode == "held":     # the run's blocks, no N x N array
        snaps = hold_snapshots(esn, series, washout, stops=cuts, nonlinearity=interpolated,
                               chunk_size=chunk_size)
    else:
        full_states = [esn.run(u) for u in series]
        snaps = snapshots_from_states(form, series, full_states, washout, stops=cuts)
    Psi, fields = _state_basis(form, estimator, snaps, rank, energy, center, basis,
                               output_weight, decomposition)
    mean = snaps.mean_state() if center else None
    if mode == "streamed" and nonlinearity == "linearized":
        snaps.release_state_gram()   # its second pass streams another N x N Gram
    if sampling is None:
        red = cls.from_esn(esn, Psi, mean=mean)
    else:
        red, nl_fields = _sampled_reservoir(cls, esn, snaps, Psi, mean, SAMPLINGS[sampling],
                                            n_points, nonlinear_rank, nl_fit, decomposition)
        fields.update(nl_fields)
    name = method_name(sampling, nonlinearity)
    logger.info("reduced ESN N=%d to r=%d (%s)", form.n_states, Psi.shape[1], name)

    if readout == "projected":
        model = _projected_model(estimator, red)
    else:
        model = ReservoirRegressor(reservoir=red, readout=clone(estimator.readout_),
                                   **_estimator_settings(estimator))
        model.fit(X_fit, y_fit)
    if check_stability:
        if full_states is None:   # bounded windows of the held-back steps, each from zero
            series, cuts = check_windows(series, cuts, washout, form.n_states)
            full_states = [esn.run(u) for u in series]
        fields.update(_checks(estimator, model, series, cuts, washout, full_states,
                              divergence_tol, output_tol))
    model.reduction_report_ = ReductionReport(
        method=name, sampling=sampling, nonlinearity=nonlinearity, basis=basis,
        n_units=form.n_states, rank=Psi.shape[1], center=bool(center), readout=readout,
        n_snapshots=snaps.n_snapshots, holdout=float(holdout), **fields)
    return model
