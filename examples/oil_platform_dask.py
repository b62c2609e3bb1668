"""Fit and reduce an ESN of the oil platform on many plant runs, on a Dask cluster.

    python -m rcpod.examples.oil_platform_dask                  # 200 runs on a LocalCluster
    python -m rcpod.examples.oil_platform_dask --runs 400 --hours 12
    python -m rcpod.examples.oil_platform_dask --scheduler tcp://scheduler-host:8786
    python -m rcpod.examples.oil_platform_dask --smoke          # tiny sizes (test suite)

A control engineer identifying a plant from many experiments (wells, days, excitation
campaigns) has a collection of series, not one. Both the ESN's readout and its reduction are sums
over series: the normal equations of the ridge readout (:meth:`rcpod.reservoir.RidgeReadout.statistics`)
and the Gram matrices behind POD and DEIM (:mod:`rcpod.reduction.snapshot_grams`). So each series
is a task on a worker (map) and the driver adds the parts in series order and solves / decomposes
once (reduce), through the same public calls as on one machine:

* the runs are simulated on the workers (``joblib.Parallel``);
* ``ESNRegressor(..., n_jobs=-1).fit(runs_u, runs_y)`` sends one series per task;
* ``reduce(estimator, runs_u, ..., n_jobs=-1)`` streams every series' snapshot Grams on a
  worker and merges them;

all inside ``with joblib.parallel_config(backend="dask"):`` with a ``distributed.Client``
connected. The same fit and reduction are then repeated here without Dask, and the example checks
that the readouts agree to 1e-10 and the reduced models' predictions to 1e-8 (relative).

A remote cluster
----------------
Start a scheduler and workers on the cluster's machines, each with rcpod installed (the same
version as here)::

    dask scheduler                                         # on the scheduler host, port 8786
    dask worker tcp://scheduler-host:8786 --nthreads 1     # on every worker machine

and pass ``--scheduler tcp://scheduler-host:8786`` (or, in your own code,
``Client("tcp://scheduler-host:8786")`` before the ``parallel_config`` block). One thread per
worker process: the compiled ESN loops are single-threaded per series and BLAS threads would
only compete.

Protocol
--------
* Runs: the oil platform with the ``struc2`` PI layer, each from rest at the envelope centre,
  driven by its own APRBS draw (holds 10-60 min) on the five supervisory inputs, sampled at
  60 s, ``--hours`` long; 90 % of the runs train, 10 % test (whole runs held out). Outputs as in
  examples/oil_platform.py (``identification.DEFAULT_OUTPUTS``), inputs min-max scaled to
  [-1, 1] and outputs standardised on the training runs.
* ESN: the identification configuration (``identification.DEFAULT_ESN_CONFIG``: leak 0.1,
  spectral radius 0.8, input to the readout) with ``--units`` units; each series is preceded by
  ``warmup`` steps of its first input (the plant at rest), dropped as the washout.
* Reduction: the output-weighted basis with the linearised-remainder Q-DEIM (the accurate
  variant of examples/reduction_narma10.py), rank ``--rank``, ``2 r`` points, streamed Grams.
* Metric: NRMSE per output on the test runs in free run, mean over outputs.
"""
from __future__ import annotations

import logging
import time
import warnings

import numpy as np
from joblib import Parallel, delayed, parallel_config

from rcpod.examples import _common
from rcpod.examples.report import headline_row
from rcpod.reduction import ReductionWarning, reduce
from rcpod.reservoir import ESNRegressor
from rcpod.reservoir.metrics import nrmse
from rcpod.reservoir.oil_platform import OilPlatform, simulate
from rcpod.reservoir.oil_platform.dataset import envelope_bounds
from rcpod.reservoir.oil_platform.excitation import aprbs
from rcpod.reservoir.oil_platform.identification import (DEFAULT_ESN_CONFIG, DEFAULT_OUTPUTS,
                                                         make_scalers, output_indices,
                                                         with_warmup)

log = logging.getLogger("rcpod.examples.oil_platform_dask")

DT = 60.0
#: APRBS hold times [samples at 60 s]: 10-60 min, as the identification data set
HOLD = (10, 60)
#: reduce() options: the accurate variant (output-weighted basis, linearised remainder, Q-DEIM)
REDUCTION = dict(method="pod-qdeim-linearized", basis="output-weighted", snapshots="streamed")

FULL = dict(runs=200, hours=6.0, units=400, rank=40, workers=2)
QUICK = dict(runs=200, hours=3.0, units=200, rank=30, workers=2)
SMOKE = dict(runs=12, hours=1.0, units=40, rank=8, workers=2)


def simulate_run(seed, hours):
    """One plant run from rest at the envelope centre under its own APRBS draw: ``(u, y)``.

    A run the solver cannot finish (rare, at the envelope's corners) is redrawn with the next
    attempt's seed, as the identification data set does.
    """
    plant = OilPlatform(regulatory="struc2")
    bounds = envelope_bounds(plant)
    center = bounds.mean(axis=1)
    x0 = plant.operating_point(center)
    n = int(round(hours * 3600 / DT))
    for attempt in range(5):
        rng = np.random.default_rng([seed, attempt])
        U = aprbs(n, bounds, HOLD[0], HOLD[1], random_state=rng, start=center)
        r = simulate(plant, U, DT, x0=x0, on_failure="ignore")
        if r.success:
            return r.u, r.y
    raise RuntimeError(f"run {seed}: five APRBS draws failed to simulate.")


def _relative(a, b):
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), np.finfo(float).tiny))


def _fit_and_reduce(u_train, y_train, cfg, warmup, rank, n_jobs):
    """The ESN fitted on every training run and its reduction; ``n_jobs`` None runs here."""
    esn_kw = {k: v for k, v in DEFAULT_ESN_CONFIG.items() if k not in ("warmup",)}
    esn_kw["n_units"] = cfg["units"]
    t0 = time.perf_counter()
    est = ESNRegressor(washout=warmup, n_jobs=n_jobs, **esn_kw).fit(u_train, y_train)
    t_fit = time.perf_counter() - t0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ReductionWarning)
        t0 = time.perf_counter()
        red = reduce(est, u_train, rank=rank, n_jobs=n_jobs, **REDUCTION)
        t_red = time.perf_counter() - t0
    return est, red, t_fit, t_red


def run(cfg, scheduler=None):
    """Simulate, fit and reduce on Dask, repeat locally, compare; returns the results dict."""
    from distributed import Client, LocalCluster

    warmup = int(DEFAULT_ESN_CONFIG["warmup"])
    cluster = None
    if scheduler is None:
        cluster = LocalCluster(n_workers=cfg["workers"], threads_per_worker=1,
                               dashboard_address=None, processes=True)
    res = dict(config=dict(cfg), scheduler=scheduler or "LocalCluster")
    try:
        with Client(scheduler or cluster) as client, parallel_config(backend="dask"):
            res["workers"] = len(client.scheduler_info()["workers"])
            log.info("dask client: %s", client)
            t0 = time.perf_counter()
            runs = Parallel(n_jobs=-1)(delayed(simulate_run)(seed, cfg["hours"])
                                       for seed in range(cfg["runs"]))
            res["simulate_s"] = time.perf_counter() - t0
            n_test = max(1, cfg["runs"] // 10)
            train, test = runs[:-n_test], runs[-n_test:]
            cols = output_indices(OilPlatform(), DEFAULT_OUTPUTS)
            u_scaler, y_scaler = make_scalers([u for u, _ in train], [y[:, cols] for _, y in train])
            prep = [(with_warmup(u_scaler.transform(u), warmup),
                     y_scaler.transform(with_warmup(y[:, cols], warmup))) for u, y in runs]
            u_train, y_train = [p[0] for p in prep[:-n_test]], [p[1] for p in prep[:-n_test]]
            dask_est, dask_red, res["dask_fit_s"], res["dask_reduce_s"] = _fit_and_reduce(
                u_train, y_train, cfg, warmup, cfg["rank"], n_jobs=-1)
    finally:
        if cluster is not None:
            cluster.close()
    est, red, res["local_fit_s"], res["local_reduce_s"] = _fit_and_reduce(
        u_train, y_train, cfg, warmup, cfg["rank"], n_jobs=None)
    res["readout_rel_diff"] = max(_relative(dask_est.readout_.coef_, est.readout_.coef_),
                                  _relative(np.atleast_1d(dask_est.readout_.intercept_),
                                            np.atleast_1d(est.readout_.intercept_)))
    errors = {"full": [], "reduced": []}
    diffs = []
    for u, y in prep[-n_test:]:
        truth = y[warmup:]
        for name, model in (("full", est), ("reduced", red)):
            errors[name].append(nrmse(truth, model.predict(u)[warmup:], multioutput="raw_values"))
        diffs.append(_relative(dask_red.predict(u), red.predict(u)))
    res["reduced_prediction_rel_diff"] = max(diffs)
    res["test_nrmse"] = {k: float(np.mean(v)) for k, v in errors.items()}
    res["n_train_runs"], res["n_test_runs"] = len(train), len(test)
    res["train_steps"] = int(sum(len(u) for u in u_train))
    res["reduced_states"] = int(red.reservoir_.n_states_)
    return res


def summarise(res):
    """The result's table, notes and headline (report conventions of examples/_common.py)."""
    c = res["config"]
    ok = dict(readout=res["readout_rel_diff"] <= 1e-10,
              reduced=res["reduced_prediction_rel_diff"] <= 1e-8)
    rows = [["simulate the runs", f"{res['simulate_s']:.1f} s", "-", "-"],
            [f"ESN fit (N={c['units']})", f"{res['dask_fit_s']:.1f} s",
             f"{res['local_fit_s']:.1f} s",
             f"readout max rel. diff {res['readout_rel_diff']:.1e} (<= 1e-10: "
             f"{'yes' if ok['readout'] else 'NO'})"],
            [f"reduce (r={c['rank']}, {res['reduced_states']} states)",
             f"{res['dask_reduce_s']:.1f} s", f"{res['local_reduce_s']:.1f} s",
             f"predictions max rel. diff {res['reduced_prediction_rel_diff']:.1e} (<= 1e-8: "
             f"{'yes' if ok['reduced'] else 'NO'})"]]
    table = dict(title=f"{c['runs']} oil-platform runs of {c['hours']:g} h "
                       f"({res['n_train_runs']} train, {res['n_test_runs']} test, "
                       f"{res['train_steps']} training steps) on {res['scheduler']} with "
                       f"{res['workers']} workers",
                 columns=["stage", "Dask", "here (no Dask)", "Dask vs here"], rows=rows)
    nrmse_table = dict(title="Test runs, free run (NRMSE, mean over the outputs)",
                       columns=["model", "states", "NRMSE"],
                       rows=[["full ESN", c["units"], res["test_nrmse"]["full"]],
                             ["reduced (OW basis, linearised Q-DEIM)", res["reduced_states"],
                              res["test_nrmse"]["reduced"]]])
    notes = ["Each series is one task: the workers return the readout's centred sums and the "
             "snapshots' centred Gram matrices, added on the driver in series order (pairwise "
             "update) before one solve / one decomposition; 'here' repeats the fit and the "
             "reduction in this process without Dask.",
             "On a 2-core machine a LocalCluster of two workers is slower than one process "
             "(the series and the N x N Gram matrices travel between processes, and the two "
             "workers share the two cores with the driver); the point is that the same calls "
             "run on the workers of any cluster (--scheduler tcp://host:8786)."]
    headline = [headline_row(f"Dask fit + reduce, {c['runs']} oil-platform runs",
                             f"readout {res['readout_rel_diff']:.1e}, reduced "
                             f"{res['reduced_prediction_rel_diff']:.1e}",
                             "relative difference to the local run (goals 1e-10, 1e-8)")]
    return [table, nrmse_table], notes, headline, all(ok.values())


def make_parser():
    parser = _common.make_parser(__doc__.split("\n\n")[0], "results/oil_platform_dask")
    parser.add_argument("--smoke", action="store_true",
                        help="tiny sizes (12 runs of 1 h, N=40): seconds, for tests")
    parser.add_argument("--scheduler", default=None,
                        help="address of a running dask scheduler (default: a LocalCluster)")
    parser.add_argument("--runs", type=int, help="number of plant runs (10 %% are test runs)")
    parser.add_argument("--hours", type=float, help="length of every run [h]")
    parser.add_argument("--units", type=int, help="ESN size N")
    parser.add_argument("--rank", type=int, help="reduced rank r")
    parser.add_argument("--workers", type=int, help="LocalCluster workers")
    return parser


def main(argv=None):
    """Simulate, fit and reduce on Dask and locally; returns the result dict (and results.json)."""
    args = make_parser().parse_args(argv)
    _common.setup_logging()
    logging.getLogger("distributed").setLevel(logging.WARNING)
    cfg = dict(SMOKE if args.smoke else QUICK if args.quick else FULL)
    cfg.update({k: getattr(args, k) for k in ("runs", "hours", "units", "rank", "workers")
                if getattr(args, k) is not None})
    if cfg["runs"] < 2:
        raise ValueError(f"--runs must be at least 2 (one test run is held out), got "
                         f"{cfg['runs']}.")
    out = _common.output_dir(args.out)
    t_start = time.perf_counter()
    res = run(cfg, args.scheduler)
    tables, notes, headline, ok = summarise(res)
    result = dict(command=_common.command_line("oil_platform_dask.py", argv), seeds=[],
                  quick=bool(args.quick), smoke=bool(args.smoke), settings=cfg, tables=tables,
                  notes=notes, figures=[], headline=headline, measurements=res,
                  seconds=time.perf_counter() - t_start)
    _common.finish(out, result)
    if not ok:
        raise SystemExit("the Dask and the local results differ beyond the tolerances")
    return result


if __name__ == "__main__":
    main()
