"""Memory capacity of POD, POD-DEIM and stabilised POD-DEIM reductions of an ESN.

    python examples/reduction_memory_capacity.py          # full: N=100, r = 10, 20, 50; 10 seeds
    python examples/reduction_memory_capacity.py --quick  # m = 2r only; 3 seeds
    python examples/reduction_memory_capacity.py --smoke  # tiny sizes, seconds (for the tests)
    python examples/reduction_memory_capacity.py --out D  # results/reduction_memory_capacity

Protocol (memory capacity of Jaeger [1]_; POD-Galerkin and POD-DEIM reductions of a trained ESN
as in Jordanou et al. [2]_, who judge reduced ESNs by their memory capacity; DEIM [3]_, Q-DEIM
[4]_, stabilised POD-DEIM [5]_):

* Full model: rcpod ``ESN(n_units=100, w_init="normal", density=1, spectral_radius=0.9,
  leak_rate=1, no bias, random_state=s)`` in the two regimes of examples/memory_capacity.py:
  near-linear (input scaling 0.01, MC ridge 1e-10) and nonlinear (input scaling 1, ridge 1e-8).
* Reduction needs training inputs of the kind the model will see: the full ESN (as an
  ``ESNRegressor`` trained on the memory task of that series, washout ``k_max``) is driven by an
  i.i.d. ``U[-0.8, 0.8]`` series of ``10 k_max`` samples (seed ``200 + s``);
  :func:`rcpod.reduction.reduce` (centred snapshots) builds POD-Galerkin, POD-DEIM (greedy points),
  POD-QDEIM and stabilised POD-DEIM models of rank ``r`` with ``m`` in ``{r, 2r}`` points.
* Memory capacity: :func:`rcpod.reservoir.memory.memory_capacity` on a *fresh* ``U[-0.8, 0.8]``
  series of ``20 N`` samples (seed ``100 + s``, the series of examples/memory_capacity.py), with
  ``k_max = 2N`` for every model (full, reduced, fresh), readouts refitted on each model's own
  states (the projected readout of ``reduce`` is not used), washout ``k_max``, 20 % held out.
* Baselines: the full ESN; a fresh ESN of ``r`` units (same configuration); and the *POD subspace
  bound*: MC of readouts on the exact projections ``Psi^T (x - mean)`` of the full states (what an
  ``r``-dimensional linear function of the full trajectory retains). ``MC <= r`` for any model
  with an ``r``-dimensional state.

Writes ``results.json`` and ``reduction_memory_capacity.png`` (if matplotlib is installed) into the
output directory and prints the tables.

References
----------
.. [1] H. Jaeger, "Short term memory in echo state networks", GMD Report 152, 2001.
.. [2] J. P. Jordanou, E. A. Antonelo, E. Camponogara, E. Gildin, "Investigation of Proper
   Orthogonal Decomposition for Echo State Networks", Neurocomputing, 2023, arXiv:2211.17179.
.. [3] S. Chaturantabut, D. C. Sorensen, "Nonlinear model reduction via discrete empirical
   interpolation", SIAM J. Sci. Comput. 32(5), 2010.
.. [4] Z. Drmac, S. Gugercin, "A new selection operator for the discrete empirical interpolation
   method", SIAM J. Sci. Comput. 38(2), 2016.
.. [5] H. Wang, X. Long, X.-X. Liu, "fastESN: Fast Echo State Network", IEEE TNNLS 34(12), 2023.
"""
from __future__ import annotations

import logging
import time
import warnings

import numpy as np
from scipy.linalg import LinAlgWarning
from threadpoolctl import threadpool_limits


from rcpod.examples import _common
from rcpod.examples.report import headline_row
from rcpod.reduction import ReductionWarning, pod, reduce
from rcpod.reservoir import ESN, ESNRegressor
from rcpod.reservoir.base import BaseReservoir
from rcpod.reservoir.memory import memory_capacity, memory_capacity_task

log = logging.getLogger("rcpod.examples.reduction_memory_capacity")

REGIMES = {
    "near-linear": dict(esn=dict(spectral_radius=0.9, input_scaling=0.01), ridge=1e-10),
    "nonlinear": dict(esn=dict(spectral_radius=0.9, input_scaling=1.0), ridge=1e-8),
}
COMMON = dict(w_init="normal", density=1.0, leak_rate=1.0, bias_scaling=0.0)
METHODS = ("pod", "pod-deim", "pod-qdeim", "pod-deim-stabilized")
LABELS = {"pod": "POD", "pod-deim": "POD-DEIM", "pod-qdeim": "POD-QDEIM",
          "pod-deim-stabilized": "stab. POD-DEIM"}

FULL = dict(n_units=100, ranks=(10, 20, 50), m_factors=(1, 2), seeds=tuple(range(10)))
QUICK = dict(FULL, m_factors=(2,), seeds=(0, 1, 2))
SMOKE = dict(n_units=20, ranks=(5,), m_factors=(2,), seeds=(0,))


class ProjectedStates(BaseReservoir):
    """The full ESN's own trajectory, read out through ``Psi^T (x - mean)`` (``r`` features).

    Not a reduced model: it measures how much memory an ``r``-dimensional linear image of the
    exact full trajectory keeps (the POD subspace bound for the reduced models).

    Parameters
    ----------
    esn : rcpod.reservoir.ESN, initialized
    modes : array of shape (N, r)
    mean : array of shape (N,)
    """

    def __init__(self, esn=None, modes=None, mean=None):
        self.esn = esn
        self.modes = modes
        self.mean = mean

    def _compute_dtype(self):
        return np.dtype(np.float64)

    def _initialize(self, n_inputs):
        if n_inputs != self.esn.n_inputs_:
            raise ValueError(f"n_inputs must be {self.esn.n_inputs_}, got {n_inputs}.")
        self.n_inputs_, self.n_states_ = n_inputs, self.esn.n_states_

    def _run(self, inputs, state0):
        return np.asarray(self.esn.run(inputs, state0=state0), dtype=np.float64)

    def _step(self, state, u):
        return np.asarray(self.esn.step(state, u), dtype=np.float64)

    def features(self, states):
        return (np.asarray(states) - self.mean) @ self.modes


def _quiet_reduce(full, X, **kw):
    """:func:`rcpod.reduction.reduce` with its stability warnings counted instead of printed."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ReductionWarning)
        model = reduce(full, X, **kw)
    return model, sum(issubclass(w.category, ReductionWarning) for w in caught)


def run_seed(seed, regime, st):
    """MC of the full ESN, the fresh ESNs, the POD bound and every reduction for one seed."""
    N = st["n_units"]
    k_max = 2 * N
    params = REGIMES[regime]
    ridge = params["ridge"]
    u_train = np.random.default_rng(200 + seed).uniform(-0.8, 0.8, 10 * k_max)
    u_mc = np.random.default_rng(100 + seed).uniform(-0.8, 0.8, 20 * N)
    X, Y = memory_capacity_task(u_train, k_max)
    full = ESNRegressor(n_units=N, washout=k_max, ridge=ridge, random_state=seed, **COMMON,
                        **params["esn"]).fit(X, Y)

    def mc(model):
        with np.errstate(all="ignore"):
            states_ok = np.all(np.isfinite(model.reservoir_.run(u_mc[:, None]) if hasattr(
                model, "reservoir_") else model.run(u_mc[:, None])))
        if not states_ok:
            return 0.0, False
        return memory_capacity(model, k_max, series=u_mc, ridge=ridge), True

    out = dict(seed=seed, regime=regime, full=mc(full)[0], fresh={}, bound={}, reduced=[])
    states = np.asarray(full.reservoir_.run(X))[k_max:]
    mean = states.mean(axis=0)
    for r in st["ranks"]:
        fresh = ESN(n_units=r, random_state=seed, **COMMON, **params["esn"]).initialize(1)
        out["fresh"][r] = mc(fresh)[0]
        Psi, _ = pod((states - mean).T, rank=r)
        out["bound"][r] = mc(ProjectedStates(full.reservoir_, Psi, mean).initialize(1))[0]
        for method in METHODS:
            ms = [None] if method == "pod" else sorted({min(f * r, N) for f in st["m_factors"]})
            for m in ms:
                kw = dict(method=method, rank=r, center=True, readout="projected")
                if m is not None:
                    kw["n_points"] = m
                model, n_warn = _quiet_reduce(full, X, **kw)
                value, finite = mc(model)
                out["reduced"].append(dict(method=method, r=r, m=m, mc=value, finite=finite,
                                           stable=bool(model.reduction_report_.get("stable", True)),
                                           warnings=n_warn))
    return out


def summarise(records, st):
    """One table per regime: MC (mean ± sd over seeds) of every model against r."""
    ranks = st["ranks"]
    seeds = list(st["seeds"])

    def pm(values):
        v = np.asarray(values, dtype=float)
        return f"{v.mean():.2f} ± {v.std(ddof=1) if v.size > 1 else 0.0:.2f}"

    tables, agg = [], {}
    for regime in REGIMES:
        recs = [p for p in records if p["regime"] == regime]
        full = [p["full"] for p in recs]
        rows = [[f"full ESN N={st['n_units']}"] + [pm(full)] * len(ranks)]
        agg[regime] = dict(full=full, fresh={r: [p["fresh"][r] for p in recs] for r in ranks},
                           bound={r: [p["bound"][r] for p in recs] for r in ranks}, reduced={})
        rows.append(["fresh ESN N=r"] + [pm(agg[regime]["fresh"][r]) for r in ranks])
        keys = []
        for d in recs[0]["reduced"]:
            f = None if d["m"] is None else d["m"] / d["r"]
            key = (d["method"], f)
            if key not in keys:
                keys.append(key)
        for method, f in keys:
            cells, raw = [], {}
            for r in ranks:
                ds = [d for p in recs for d in p["reduced"] if d["method"] == method and d["r"] == r
                      and (d["m"] is None if f is None else d["m"] == min(round(f * r),
                                                                           st["n_units"]))]
                vals = [d["mc"] for d in ds]
                raw[r] = vals
                bad = sum(not (d["stable"] and d["finite"]) for d in ds)
                cells.append(pm(vals) + (f" ({bad} unstable)" if bad else ""))
            name = LABELS[method] + ("" if f is None else ", m=r" if f == 1 else f", m={f:g}r")
            agg[regime]["reduced"][name] = raw
            rows.append([name] + cells)
        rows.append(["POD subspace bound (readout on Psi^T (x - mean))"]
                    + [pm(agg[regime]["bound"][r]) for r in ranks])
        params = REGIMES[regime]
        tables.append(dict(
            title=f"Memory capacity, {regime} ESN (input scaling {params['esn']['input_scaling']}, "
                  f"sr {params['esn']['spectral_radius']}, MC ridge {params['ridge']:g}), "
                  f"k_max = 2N = {2 * st['n_units']}, mean ± sd over seeds {seeds}",
            columns=["model"] + [f"r = {r}" for r in ranks], rows=rows))
    return tables, agg


def figure(out, st, agg):
    plt = _common.pyplot()
    if plt is None:
        return []
    ranks = np.asarray(st["ranks"])
    fig, axes = plt.subplots(1, len(REGIMES), figsize=(11, 4), sharey=True)
    for ax, regime in zip(np.atleast_1d(axes), REGIMES):
        a = agg[regime]
        for name, raw in a["reduced"].items():
            ax.errorbar(ranks, [np.mean(raw[r]) for r in ranks],
                        yerr=[np.std(raw[r]) for r in ranks], fmt="o-", capsize=3, alpha=0.85,
                        label=name)
        ax.errorbar(ranks, [np.mean(a["fresh"][r]) for r in ranks],
                    yerr=[np.std(a["fresh"][r]) for r in ranks], fmt="k^:", capsize=3,
                    label="fresh ESN N=r")
        ax.plot(ranks, [np.mean(a["bound"][r]) for r in ranks], "kx--", label="POD subspace bound")
        ax.axhline(np.mean(a["full"]), color="k", lw=1, label=f"full ESN N={st['n_units']}")
        ax.plot(ranks, ranks, color="grey", lw=0.8, ls=":", label="MC = r")
        ax.set_xlabel("reduced dimension r")
        ax.set_title(f"{regime} ESN")
    np.atleast_1d(axes)[0].set_ylabel(f"memory capacity (k_max = {2 * st['n_units']})")
    np.atleast_1d(axes)[-1].legend(fontsize=7)
    return [_common.save_figure(fig, out / "reduction_memory_capacity.png")]


def make_parser():
    parser = _common.make_parser(__doc__.split("\n\n")[0], "results/reduction_memory_capacity")
    parser.add_argument("--smoke", action="store_true",
                        help="tiny sizes (N=20, r=5, one seed): a few seconds, for tests")
    return _common.add_seeds_option(parser)


def main(argv=None):
    """Run the memory capacity reduction experiment; returns the result dict (and results.json)."""
    args = make_parser().parse_args(argv)
    _common.setup_logging()
    logging.getLogger("rcpod.reduction").setLevel(logging.WARNING)  # one INFO line per reduce() call
    st = _common.preset(args, FULL, QUICK, SMOKE)
    out = _common.output_dir(args.out)
    t_start = time.perf_counter()
    records = []
    with warnings.catch_warnings(), threadpool_limits(limits=1, user_api="blas"):
        warnings.simplefilter("ignore", LinAlgWarning)
        for regime in REGIMES:
            for seed in st["seeds"]:
                records.append(run_seed(seed, regime, st))
            log.info("%s regime done (%.1f s)", regime, time.perf_counter() - t_start)
    tables, agg = summarise(records, st)
    N = st["n_units"]
    notes = [
        f"Full ESN: rcpod ESN(n_units={N}, w_init='normal', density=1, spectral_radius=0.9, "
        "leak_rate=1, no bias, random_state=seed) with the regime's input scaling (the 'ESN "
        "normal' rows of examples/memory_capacity.py; same series, so the same numbers).",
        f"Reduction: rcpod.reduction.reduce(center=True) on the states of a U[-0.8, 0.8] series of "
        f"{20 * N} samples (seed 200 + s, washout {2 * N}); MC measured on a fresh series "
        f"(seed 100 + s, {20 * N} samples), k_max = {2 * N} for every model, readouts refitted "
        "on each model's states (rcpod.reservoir.memory.memory_capacity).",
        "'unstable': reduce()'s training-data check failed (state error > 0.5, lifted state "
        "outside [-2, 2], or step Jacobian spectral radius > 1 at most sampled steps) or the "
        "reduced trajectory was not finite (its MC is then counted as 0).",
        "With m = N points DEIM samples every unit: POD-DEIM then equals POD-Galerkin up to "
        "rounding" + (f" (here m = 2r at r = {N // 2})." if N // 2 in st["ranks"] else "."),
        "MC estimates carry a small positive finite-sample bias (about k_max / test rows = 0.5).",
    ]
    figs = figure(out, st, agg)
    # headline: the largest rank whose DEIM really samples (2r < N), table cells as shown
    r = max([k for k in st["ranks"] if 2 * k < N] or st["ranks"])
    headline = []
    for regime, table in zip(REGIMES, tables):
        cells = {row[0]: row[1 + list(st["ranks"]).index(r)] for row in table["rows"]}
        headline.append(headline_row(
            f"Memory capacity, POD-DEIM reduced ESN r={r} (m=2r) of an N={N} ESN, {regime}",
            cells["POD-DEIM, m=2r"], f"full ESN N={N}: {cells[f'full ESN N={N}']}; fresh ESN "
                                     f"N={r}: {cells['fresh ESN N=r']}; bound MC <= {r}"))
    result = dict(command=_common.command_line("reduction_memory_capacity.py", argv),
                  seeds=list(st["seeds"]), quick=bool(args.quick), smoke=bool(args.smoke),
                  settings=st, regimes=REGIMES, tables=tables, notes=notes, figures=figs,
                  headline=headline,
                  summary=agg, per_seed=records, seconds=time.perf_counter() - t_start)
    return _common.finish(out, result)


if __name__ == "__main__":
    main()
