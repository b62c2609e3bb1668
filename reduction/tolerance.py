"""Accuracy-driven reduction: the cheapest reduced ESN whose outputs stay within a tolerance.

:func:`reduce_to_tolerance` tries reduced models in order of their counted cost per step --
rank ``r``, number of points ``m``, state basis (plain POD or output-weighted with weight
``alpha``) and the interpolated nonlinearity -- and returns the first whose outputs on training
data held back from the reduction stay within ``tol`` of the full model's. The tolerance is
never checked on test data: the held-back tail of every training series (``holdout``) plays
the part of a validation set. The basis, the nonlinear snapshots and their decompositions are
computed once (per output weight) and truncated per candidate, so a search costs little more
than a few reductions; the chosen model is then built by :func:`rcpod.reduction.reduce` with the
chosen options (so it is the very model those options give) and must pass its checks too.

The cost model counts floating-point operations of one step of a reduced model, ``v = A z + B
u + c`` (``2 m r + 2 m n_u``), ``E h(v)`` (``2 r m``), the linear part ``L z + L_u u + d``
(``2 r^2 + 2 r n_u``), the leak (``3 r``) and ``m`` evaluations of tanh counted as
:data:`TANH_FLOPS` operations each (the branch-free Cephes-based tanh of
:mod:`rcpod.reservoir.vector_tanh` takes about that many); the full ESN costs ``2 nnz(W) + 2 N
n_u + 3 N`` plus ``N`` tanh. The choice of options is a project method; the reduced models are
those of :mod:`rcpod.reduction.reduced` (POD-DEIM after Jordanou et al. 2023 and fastESN, Wang et
al. 2023).

References
----------
.. [1] J. P. Jordanou, E. A. Antonelo, E. Camponogara, E. Gildin, "Investigation of Proper
   Orthogonal Decomposition for Echo State Networks", Neurocomputing, 2023, arXiv:2211.17179.
.. [2] H. Wang, X. Long, X.-X. Liu, "fastESN: Fast Echo State Network", IEEE TNNLS 34(12), 2023.
"""
from __future__ import annotations

import dataclasses
import logging
import math
import warnings

import numpy as np
import scipy.sparse as sp

from rcpod.reservoir.validation import check_int, check_real

from .diagnostics import ReductionWarning
from .full_model import full_form
from .output_check import OUTPUT_TOL, check_outputs, outputs_from_states, split_holdout
from .pod import pod
from .reduced import ReducedReservoir
from .reductor import (SAMPLINGS, _as_estimator, _check_estimator, _projected_model,
                       _state_basis, method_name, reduce)
from .snapshots import snapshots_from_states

__all__ = ["reduce_to_tolerance", "step_flops", "TANH_FLOPS", "DEFAULT_VARIANTS"]

logger = logging.getLogger(__name__)

#: floating-point operations one tanh evaluation is counted as
TANH_FLOPS = 20
#: the variants a search tries by default: (sampling, nonlinearity, basis, nl_fit, output weight)
DEFAULT_VARIANTS = (
    ("qdeim", "full", "pod", "interpolation", 0.0),
    ("qdeim", "linearized", "pod", "lstsq", 0.0),
    ("qdeim", "linearized", "output-weighted", "lstsq", 0.1),
    ("qdeim", "linearized", "output-weighted", "lstsq", 0.5),
    ("qdeim", "linearized", "output-weighted", "lstsq", 2.0),
    ("qdeim", "linearized", "output-weighted", "lstsq", 10.0),
)
_DEFAULT_RANKS = (5, 10, 15, 20, 25, 30, 40, 50, 60, 80, 100, 120, 150, 200, 250, 300, 400)
_DEFAULT_POINT_FACTORS = (1.0, 1.5, 2.0, 3.0)


def step_flops(reservoir):
    """Counted floating-point operations of one step (see the module docstring).

    Parameters
    ----------
    reservoir : rcpod.reservoir.ESN or a reduced reservoir, initialized

    Returns
    -------
    int

    Examples
    --------
    >>> from rcpod.reservoir import ESN
    >>> from rcpod.reduction.tolerance import step_flops
    >>> esn = ESN(n_units=100, density=0.1, random_state=0).initialize(1)
    >>> step_flops(esn) == 2 * esn.W_.nnz + 2 * 100 + 3 * 100 + 20 * 100
    True
    """
    form = reservoir.form()
    n, m, n_u = form.n_states, form.n_points, form.n_inputs
    if form.E is None:
        nnz = form.A.nnz if sp.issparse(form.A) else int(np.count_nonzero(form.A))
        return int(2 * nnz + 2 * m * n_u + 3 * n + TANH_FLOPS * m)
    return _reduced_flops(n, m, n_u, form.L is not None)


def _reduced_flops(r, m, n_u, linear):
    return int(4 * m * r + 2 * m * n_u + 3 * r + TANH_FLOPS * m
               + (2 * r * r + 2 * r * n_u if linear else 2 * r * n_u))


class _Search:
    """What every candidate shares: the full run, the snapshots, and cached decompositions."""

    def __init__(self, estimator, esn, X_train, y_train, washout, holdout):
        self.estimator, self.esn, self.washout = estimator, esn, washout
        self.form = full_form(esn, name="estimator.reservoir_")
        self.X_fit, self.y_fit, self.series, self.cuts = split_holdout(
            X_train, y_train, washout, holdout, n_features=esn.n_inputs_)
        states = [esn.run(u) for u in self.series]
        self.snaps = snapshots_from_states(self.form, self.series, states, washout,
                                           stops=self.cuts)
        self.full_outputs = [outputs_from_states(estimator, x, u)
                             for x, u in zip(states, self.series)]
        self._bases, self._nl = {}, {}

    @property
    def max_size(self):
        return min(self.form.n_states, self.snaps.n_snapshots)

    def basis(self, basis, weight, rank):
        key = (basis, weight)
        if key not in self._bases or self._bases[key].shape[1] < rank:
            self._bases[key], _ = _state_basis(self.form, self.estimator, self.snaps,
                                               self.max_size, None, False, basis, weight,
                                               "auto")
        return np.ascontiguousarray(self._bases[key][:, :rank])

    def nonlinear(self, cls, k):
        if cls not in self._nl or self._nl[cls][1].shape[1] < k:
            G, extra = cls.interpolated_snapshots(self.snaps)
            U, _ = pod(G, rank=self.max_size)
            self._nl[cls] = (G, U, extra)
        G, U, extra = self._nl[cls]
        return G, np.ascontiguousarray(U[:, :k]), extra

    def output_error(self, variant, rank, n_points):
        """Output error on the held-back steps of the candidate, built from the caches."""
        sampling, nonlinearity, basis, nl_fit, weight = variant
        cls = ReducedReservoir.variants[(True, nonlinearity)]
        Psi = self.basis(basis, weight, rank)
        G, U, extra = self.nonlinear(cls, n_points)
        p = SAMPLINGS[sampling](U, n_points=n_points)
        with np.errstate(all="ignore"):
            red = cls.from_esn(self.esn, Psi, U, p,
                               nl_snapshots=G if nl_fit == "lstsq" else None, **extra)
            model = _projected_model(self.estimator, red)
            out = check_outputs(self.estimator, model, self.series, self.cuts, self.washout,
                                full_outputs=self.full_outputs)
        return out["output_error"]


def _candidates(search, ranks, point_factors, variants, max_flops):
    n_u, top = search.form.n_inputs, search.max_size
    seen, cands = set(), []
    for r in ranks:
        if r > top:
            continue
        for f in point_factors:
            m = min(int(math.ceil(f * r)), top)
            for v in variants:
                if (r, m, v) in seen:
                    continue
                seen.add((r, m, v))
                cost = _reduced_flops(r, m, n_u, v[1] != "full")
                if cost < max_flops:  # a reduced model must be cheaper than the full one
                    cands.append((cost, r, m, v))
    # cheapest first; equal costs in the order the variants were given
    order = {v: i for i, v in enumerate(variants)}
    cands.sort(key=lambda c: (c[0], c[1], order[c[3]]))
    return cands


def _check_variants(variants):
    out = []
    for v in variants:
        if not (isinstance(v, tuple) and len(v) == 5):
            raise ValueError(f"variants must be 5-tuples (sampling, nonlinearity, basis, nl_fit, "
                             f"output_weight), got {v!r}.")
        sampling, nonlinearity, basis, nl_fit, weight = v
        if sampling not in SAMPLINGS or (True, nonlinearity) not in ReducedReservoir.variants:
            raise ValueError(f"variant {v!r}: sampling must be one of {tuple(SAMPLINGS)} and "
                             f"nonlinearity one of the sampled reductions.")
        if basis not in ("pod", "output-weighted") or nl_fit not in ("interpolation", "lstsq"):
            raise ValueError(f"variant {v!r}: basis must be 'pod' or 'output-weighted', nl_fit "
                             f"'interpolation' or 'lstsq'.")
        out.append((sampling, nonlinearity, basis, nl_fit,
                    check_real("output_weight", weight, low=0)))
    if not out:
        raise ValueError("variants must not be empty.")
    return tuple(out)


def reduce_to_tolerance(estimator, X_train, y_train=None, *, tol=OUTPUT_TOL, holdout=0.2,
                        ranks=None, point_factors=None, variants=DEFAULT_VARIANTS, washout=None,
                        max_candidates=None):
    """The cheapest reduced model whose outputs stay within ``tol`` of the full model's.

    Parameters
    ----------
    estimator : fitted ReservoirRegressor / ESNRegressor with an ESN reservoir
        (or a fitted reservoirpy model, converted by :func:`rcpod.reservoir.from_reservoirpy`
        with washout 0 unless ``washout`` is given)
    X_train : training inputs (any rcpod layout)
    y_train : targets, optional
        Not needed: the candidates keep the full model's (projected) readout.
    tol : float > 0, default=0.2
        Largest accepted output error on the held-back steps: the RMS difference between the
        reduced and the full model's outputs relative to the standard deviation of the full
        model's outputs (per output, the largest), as
        :func:`rcpod.reduction.output_check.check_outputs` computes it.
    holdout : float in (0, 1), default=0.2
        Share of every training series' post-washout steps held back from the snapshots and
        used to judge the candidates.
    ranks : sequence of int, optional
        State dimensions ``r`` to try (default 5 .. 400, capped at ``N`` and the number of
        snapshots). Only candidates whose counted step is cheaper than the full ESN's are
        tried.
    point_factors : sequence of float, optional
        Numbers of points ``m = ceil(factor r)`` to try per rank (default 1, 1.5, 2, 3).
    variants : sequence of 5-tuples, default=:data:`DEFAULT_VARIANTS`
        ``(sampling, nonlinearity, basis, nl_fit, output_weight)`` as in
        :func:`rcpod.reduction.reduce`.
    washout : int, optional
        Default: the estimator's.
    max_candidates : int, optional
        Stop after screening this many candidates (default: all).

    Returns
    -------
    ReservoirRegressor
        Fitted, as :func:`rcpod.reduction.reduce` returns it for the chosen options; its
        ``reduction_report_`` also holds ``tol``, ``step_flops`` / ``full_step_flops`` and
        ``candidates``: every screened candidate (rank, n_points, method, basis, output
        weight, counted flops, held-back output error) in the order tried.

    Raises
    ------
    ValueError
        No candidate meets the tolerance (the message gives the smallest error reached and
        the candidate that reached it), or invalid arguments.

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.reservoir import ESNRegressor
    >>> from rcpod.reduction import reduce_to_tolerance
    >>> X = np.random.default_rng(0).uniform(-0.5, 0.5, (800, 1))
    >>> est = ESNRegressor(n_units=60, washout=50, random_state=0).fit(X, np.roll(X, 2))
    >>> red = reduce_to_tolerance(est, X, tol=0.05)
    >>> rep = red.reduction_report_
    >>> bool(rep.output_error <= 0.05), rep.step_flops < rep.full_step_flops
    (True, True)
    """
    estimator = _as_estimator(estimator)   # a fitted reservoirpy model is converted first
    esn = _check_estimator(estimator)
    tol = check_real("tol", tol, low=0, closed="neither")
    holdout = check_real("holdout", holdout, low=0, high=1, closed="neither")
    washout = estimator.washout if washout is None else check_int("washout", washout, low=0)
    ranks = tuple(check_int("ranks", r) for r in (_DEFAULT_RANKS if ranks is None else ranks))
    point_factors = tuple(check_real("point_factors", f, low=1)
                          for f in (_DEFAULT_POINT_FACTORS if point_factors is None
                                    else point_factors))
    variants = _check_variants(variants)
    max_candidates = check_int("max_candidates", max_candidates, allow_none=True)

    search = _Search(estimator, esn, X_train, y_train, washout, holdout)
    full_flops = step_flops(esn)
    tried, best = [], None
    for cost, r, m, v in _candidates(search, ranks, point_factors, variants, full_flops):
        if max_candidates is not None and len(tried) >= max_candidates:
            break
        err = search.output_error(v, r, m)
        sampling, nonlinearity, basis, nl_fit, weight = v
        row = dict(rank=r, n_points=m, method=method_name(sampling, nonlinearity), basis=basis,
                   nl_fit=nl_fit, output_weight=weight, step_flops=cost,
                   output_error=float(err))
        tried.append(row)
        if best is None or err < best["output_error"]:
            best = row
        if not err <= tol:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ReductionWarning)
            model = reduce(estimator, X_train, y_train, sampling=sampling,
                           nonlinearity=nonlinearity, basis=basis, nl_fit=nl_fit,
                           output_weight=weight,
                           rank=r, n_points=m, washout=washout, holdout=holdout,
                           output_tol=tol)
        rep = model.reduction_report_
        row["stable"] = bool(rep.stable)
        if rep.stable and rep.output_error <= tol:
            logger.info("tolerance %.3g met by %s r=%d m=%d (%d of %d flops per step)", tol,
                        rep.method, r, m, cost, full_flops)
            model.reduction_report_ = dataclasses.replace(
                rep, tol=tol, step_flops=int(cost), full_step_flops=int(full_flops),
                candidates=tuple(tried))
            return model
    raise ValueError(
        f"no candidate meets tol={tol}: the smallest held-back output error reached was "
        f"{best['output_error']:.3g} ({best['method']}, {best['basis']} basis, rank "
        f"{best['rank']}, n_points {best['n_points']}) after {len(tried)} candidates. Allow a "
        f"larger tol, larger ranks, or more training data." if best else
        f"no candidate fits: every rank in {ranks} exceeds the model size / snapshots "
        f"({search.max_size}) or gives a step no cheaper than the full ESN's "
        f"({full_flops} flops).")
