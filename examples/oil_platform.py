"""Identification of the oil platform: ESN, its POD / POD-DEIM reductions and a linear ARX baseline.

    python examples/oil_platform.py              # full grid, N up to 1000, ranks 10-80, 5 seeds
    python examples/oil_platform.py --quick      # small grid (N = 600), ranks 10-40, 2 seeds
    python examples/oil_platform.py --out DIR    # output directory (default results/oil_platform)
    python examples/oil_platform.py --smoke      # tiny sizes on a short data set (test suite)

Protocol
--------
* Data: ``rcpod.reservoir.oil_platform.make_oil_platform_dataset()`` with its defaults (cached on disk):
  the plant with the ``struc2`` PI layer, APRBS on the 5 supervisory inputs (gas-lift rates
  ``w_inj_A/B``, set points of the pressure drops over the production chokes ``dP_valve_A/B_sp``
  and the topside choke ``dP_valve_top_sp``) in the default envelope, holds 10-60 min, 60 s
  sampling; train 40 h (2400 samples), validation 10 h (600), test 10 h (600), three separate
  runs, each started at rest at the envelope centre.
* Outputs (``identification.DEFAULT_OUTPUTS``): bottom-hole pressures ``P_bh_A/B``, tubing-top
  pressures ``P_tt_A/B``, riser inlet ``P_in`` and riser-top ``P_top`` pressures, oil production
  ``w_L_out``. Inputs min-max scaled to [-1, 1] and outputs standardised, both on the training
  split only.
* Every model predicts the outputs in FREE RUN from the supervisory inputs alone (no output
  feedback, no output measurement at all): the ESN starts at rest (``warmup`` steps of the
  constant first input, then dropped), the ARX model at its own equilibrium for the first input.
* Metric: NRMSE per output, RMSE divided by the standard deviation of the true test output
  (``rcpod.reservoir.metrics.nrmse``, std normalisation); "mean" is the unweighted mean over outputs.
* ESN (``ESNRegressor``, density 0.1, W normal, W_in and bias uniform): spectral radius, leak rate,
  input scaling, bias scaling, ``include_input``, ridge and N are chosen on the validation split
  (mean over the grid seeds); the test split is used only for the tables.
* Reductions of the chosen ESN (``rcpod.reduction.reduce``, state snapshots centred, ``n_points = 2r``
  for the DEIM methods): POD, POD-DEIM (greedy), POD-Q-DEIM and stabilised POD-DEIM, readout
  projected from the full one or refitted on the reduced states. A fresh ESN of each reduced size
  gets its own validation grid search.
* ARX: ``identification.ARXModel`` (lagged outputs and inputs, least squares), orders,
  structure (coupled / per output) and ridge chosen by free-run NRMSE on the validation split.
* Time per step: best of 5 runs of the reservoir's state update over the 2700 training inputs
  (``rcpod.reduction.per_step_time``; numba kernels, one BLAS thread), readout not included; ARX: its
  numpy free-run loop (readout included). Speed-up = full ESN time / model time.

Writes ``results.json``, figures (if matplotlib is installed) and ``models/`` with the chosen full
ESN (``full_esn.npz``), its POD-DEIM reduction (``pod_deim.npz``), the scalers and the ARX model,
all via ``rcpod.reservoir.persistence.save`` (load them with
``rcpod.reservoir.oil_platform.identification.load_identified_model(DIR / "models", name)``).
"""
from __future__ import annotations

import itertools
import logging
import time
import warnings

import numpy as np
from scipy.linalg import LinAlgWarning
from threadpoolctl import threadpool_limits


from rcpod.examples import _common
from rcpod.examples.report import headline_row
from rcpod.reduction import ReductionWarning, per_step_time, reduce, reduce_to_tolerance
from rcpod.reservoir import ESN, RidgeReadout
from rcpod.reservoir.metrics import nrmse
from rcpod.reservoir.oil_platform import make_oil_platform_dataset
from rcpod.reservoir.oil_platform.identification import (DEFAULT_ESN_CONFIG, DEFAULT_OUTPUTS,
                                                   ARXModel, fit_identification_esn,
                                                   make_scalers, output_indices, with_warmup)
from rcpod.reservoir.persistence import save

log = logging.getLogger("rcpod.examples.oil_platform")

WARMUP = 300
#: reduction label -> reduce() options; "accurate" is the output-weighted basis with the
#: linearised-remainder Q-DEIM and least-squares DEIM weights (examples/reduction_narma10.py)
METHODS = {"pod": dict(method="pod"), "pod-deim": dict(method="pod-deim"),
           "pod-qdeim": dict(method="pod-qdeim"),
           "pod-deim-stabilized": dict(method="pod-deim-stabilized"),
           "accurate": dict(method="pod-qdeim-linearized", basis="output-weighted",
                            nl_fit="lstsq")}
#: output tolerance of the accuracy-driven reduction (reduce_to_tolerance)
TOL = 0.1
READOUTS = ("projected", "refit")

FULL = dict(
    sizes=(200, 600, 1000), grid_seeds=(0, 1), eval_seeds=(0, 1, 2, 3, 4),
    grid=dict(spectral_radius=(0.8, 0.9, 1.0), leak_rate=(0.05, 0.1, 0.15, 0.3),
              input_scaling=(0.01, 0.03, 0.1, 0.3), bias_scaling=(0.25, 0.5, 1.0)),
    include_input=(False, True), ridges=(1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1),
    ranks=(10, 20, 40, 80), save_rank=40,
    arx=dict(output_lags=(1, 2, 3, 4, 6, 8), input_lags=(1, 2, 3, 5, 10, 20),
             structure=("full", "diagonal"), ridge=(0.0, 1e-2)))
QUICK = dict(
    sizes=(600,), grid_seeds=(0,), eval_seeds=(0, 1),
    grid=dict(spectral_radius=(0.9,), leak_rate=(0.1, 0.15), input_scaling=(0.03, 0.1),
              bias_scaling=(0.5,)),
    include_input=(True,), ridges=(1e-5, 1e-4, 1e-3),
    ranks=(10, 20, 40), save_rank=20,
    arx=dict(output_lags=(2, 4, 6), input_lags=(5, 10), structure=("full",), ridge=(0.0,)))
#: Tiny sizes on a short data set (10 h / 3 h / 3 h), for the test suite only.
SMOKE = dict(
    sizes=(40,), grid_seeds=(0,), eval_seeds=(0,),
    grid=dict(spectral_radius=(0.9,), leak_rate=(0.15,), input_scaling=(0.03,), bias_scaling=(0.5,)),
    include_input=(True,), ridges=(1e-4,), ranks=(5, 10), save_rank=5,
    arx=dict(output_lags=(2,), input_lags=(2, 5), structure=("full",), ridge=(0.0,)),
    dataset=dict(train_hours=10.0, val_hours=3.0, test_hours=3.0))


# -- data ------------------------------------------------------------------------------------------
def load_data(dataset_kwargs=None):
    """Data set, output indices, scalers and the normalised splits."""
    ds = make_oil_platform_dataset(**(dataset_kwargs or {}))
    idx = output_indices(ds, DEFAULT_OUTPUTS)
    u_tr, y_tr = ds.split("train")
    in_sc, out_sc = make_scalers(u_tr, y_tr[:, idx])
    data = {}
    for s in ("train", "val", "test"):
        u, y = ds.split(s)
        data[s] = dict(u=u, y=y[:, idx], un=in_sc.transform(u), yn=out_sc.transform(y[:, idx]))
    return ds, data, in_sc, out_sc


def _scores(y_true, y_pred):
    """Per-output NRMSE (std), or NaNs if the prediction is not finite (diverged)."""
    y_pred = np.asarray(y_pred)
    if not np.all(np.isfinite(y_pred)):
        return np.full(y_true.shape[1], np.nan)
    return nrmse(y_true, y_pred, multioutput="raw_values")


# -- ESN grid search on the validation split -------------------------------------------------------
def esn_grid(data, sizes, settings):
    """Validation NRMSE of every grid point (mean over grid seeds); ranked list of (score, config).

    The reservoir for (N, seed) is drawn once with unit scalings; a grid point rescales W, W_in
    and b, which equals ``ESN(n_units=N, spectral_radius=sr, input_scaling=a, bias_scaling=b,
    random_state=seed)`` up to rounding (the weights come from independent random streams).
    """
    grid, ridges = settings["grid"], settings["ridges"]
    keys = list(grid)
    Ut = with_warmup(data["train"]["un"], WARMUP)
    Uv = with_warmup(data["val"]["un"], WARMUP)
    Yt, Yv = data["train"]["yn"], data["val"]["yn"]
    scores = {}
    for N in _common.progress(sizes, "oil_platform: grid search"):
        for seed in settings["grid_seeds"]:
            base = ESN(n_units=N, spectral_radius=1.0, input_scaling=1.0, bias_scaling=1.0,
                       density=0.1, random_state=seed).initialize(Ut.shape[1])
            for values in itertools.product(*(grid[k] for k in keys)):
                p = dict(zip(keys, values))
                esn = ESN.from_weights(base.W_ * p["spectral_radius"], base.W_in_ * p["input_scaling"],
                                       base.bias_ * p["bias_scaling"], leak_rate=p["leak_rate"])
                Xt, Xv = esn.run(Ut)[WARMUP:], esn.run(Uv)[WARMUP:]
                for inc in settings["include_input"]:
                    Ft = np.hstack([Xt, Ut[WARMUP:]]) if inc else Xt
                    Fv = np.hstack([Xv, Uv[WARMUP:]]) if inc else Xv
                    ro = RidgeReadout().accumulate(Ft, Yt)
                    for alpha in ridges:
                        ro.alpha = alpha
                        ro.solve()
                        pred = Fv @ ro.coef_.T + ro.intercept_
                        s = float(np.mean(_scores(Yv, pred))) if np.all(np.isfinite(pred)) else np.inf
                        key = (N,) + values + (inc, alpha)
                        scores.setdefault(key, []).append(s)
        log.info("grid for N=%d done", N)
    ranked = sorted(((float(np.mean(v)), k) for k, v in scores.items()), key=lambda t: t[0])
    out = []
    for score, k in ranked:
        cfg = dict(n_units=k[0], **dict(zip(keys, k[1:-2])), include_input=bool(k[-2]),
                   ridge=k[-1], density=0.1, warmup=WARMUP)
        out.append((score, cfg))
    return out


# -- ARX baseline ----------------------------------------------------------------------------------
def arx_grid(data, settings):
    """Free-run validation NRMSE of every ARX configuration; ranked list of (score, params)."""
    grid = settings["arx"]
    keys = list(grid)
    res = []
    for values in itertools.product(*(grid[k] for k in keys)):
        p = dict(zip(keys, values))
        try:
            m = ARXModel(**p).fit(data["train"]["un"], data["train"]["yn"])
            pred = m.predict(data["val"]["un"])
            s = float(np.mean(_scores(data["val"]["yn"], pred)))
        except (ValueError, np.linalg.LinAlgError):
            s = np.nan
        res.append((s if np.isfinite(s) else np.inf, p))
    res.sort(key=lambda t: t[0])
    return res


def time_arx(model, u, repeats=5):
    """Best-of-``repeats`` time per step of the ARX free-run simulation."""
    model.predict(u[:10])
    best = np.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        model.predict(u)
        best = min(best, time.perf_counter() - t0)
    return best / len(u)


# -- evaluation ------------------------------------------------------------------------------------
def evaluate(model, data):
    """Validation and test NRMSE per output of an IdentifiedModel (SI units)."""
    return {s: _scores(data[s]["y"], model.predict(data[s]["u"])) for s in ("val", "test")}


def _row(name, dim, sc, t, t_full, extra=""):
    test = sc["test"]
    return dict(model=name, dim=dim, test=test.tolist(), test_mean=float(np.mean(test)),
                val_mean=float(np.mean(sc["val"])), time_per_step=t,
                speedup=(t_full / t) if t else None, note=extra)


def run_reductions(full, data, settings, timing_inputs, t_full):
    """All reductions of the full ESN for every method, rank and readout."""
    Xt = with_warmup(data["train"]["un"], WARMUP)
    Yt = with_warmup(data["train"]["yn"], WARMUP)
    rows, models = [], {}
    for method, r, ro in itertools.product(METHODS, settings["ranks"], READOUTS):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ReductionWarning)
            red = reduce(full.estimator, Xt, Yt, rank=r, center=True, readout=ro,
                         **METHODS[method])
        rep = red.reduction_report_
        model = full.with_estimator(red, reduction=dict(method=rep.method, basis=rep.basis,
                                                        rank=r, readout=ro,
                                                        center=True,
                                                        n_points=rep.get("n_points")))
        sc = evaluate(model, data)
        t = per_step_time(red.reservoir_, timing_inputs)
        note = "" if rep.get("stable", True) else "flagged unstable by reduce()"
        if not np.all(np.isfinite(sc["test"])):
            note = "diverged on test"
        row = _row(method, r, sc, t, t_full, note)
        row.update(readout=ro, n_points=rep.get("n_points"),
                   energy=float(rep["energy_captured"]), stable=bool(rep.get("stable", True)),
                   n_warnings=len(caught))
        rows.append(row)
        models[(method, r, ro)] = model
        log.info("%s r=%d %s: val %.4f test %.4f, %.2f us/step", method, r, ro, row["val_mean"],
                 row["test_mean"], 1e6 * t)
    # the accuracy-driven choice: the cheapest model within TOL on held-back training data
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ReductionWarning)
        try:
            red = reduce_to_tolerance(full.estimator, Xt, tol=TOL)
        except ValueError as exc:  # no reduced model cheaper than the full one meets TOL
            log.info("reduce_to_tolerance(tol=%g): %s", TOL, exc)
            return rows, models
    rep = red.reduction_report_
    model = full.with_estimator(red, reduction=dict(method=rep.method, basis=rep.basis,
                                                    rank=rep.rank, readout="projected",
                                                    n_points=rep.n_points, tol=TOL))
    t = per_step_time(red.reservoir_, timing_inputs)
    row = _row(f"tol={TOL}", rep.rank, evaluate(model, data), t, t_full,
               f"{rep.method}, {rep.basis}, {len(rep.candidates)} candidates")
    row.update(readout="projected", n_points=rep.n_points, energy=float(rep.energy_captured),
               stable=bool(rep.stable), n_warnings=len(caught))
    rows.append(row)
    models[("tol", rep.rank, "projected")] = model
    log.info("reduce_to_tolerance(tol=%g): %s r=%d m=%d, test %.4f", TOL, rep.method, rep.rank,
             rep.n_points, row["test_mean"])
    return rows, models


def run_fresh(ds, data, settings, timing_inputs, t_full):
    """A fresh ESN of each reduced size, with its own validation grid search."""
    rows, configs = [], {}
    for r in settings["ranks"]:
        cfg = esn_grid(data, (r,), settings)[0][1]
        model = fit_identification_esn(ds, dict(cfg, random_state=0))
        sc = evaluate(model, data)
        t = per_step_time(model.estimator.reservoir_, timing_inputs)
        rows.append(_row("fresh ESN", r, sc, t, t_full))
        configs[r] = cfg
        log.info("fresh ESN N=%d: val %.4f test %.4f", r, rows[-1]["val_mean"], rows[-1]["test_mean"])
    return rows, configs


def seed_study(ds, data, config, fresh_config, settings):
    """Mean test NRMSE over reservoir seeds: full ESN, its POD-DEIM at save_rank, fresh ESN."""
    r = settings["save_rank"]
    Xt = with_warmup(data["train"]["un"], WARMUP)
    out = {"full": [], "pod-deim": [], "accurate": [], "fresh": []}
    for s in _common.progress(settings["eval_seeds"], "oil_platform: seeds"):
        full = fit_identification_esn(ds, dict(config, random_state=s))
        out["full"].append(float(np.mean(evaluate(full, data)["test"])))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ReductionWarning)
            for name in ("pod-deim", "accurate"):
                red = reduce(full.estimator, Xt, rank=r, center=True, **METHODS[name])
                out[name].append(float(np.mean(evaluate(full.with_estimator(red), data)["test"])))
        fresh = fit_identification_esn(ds, dict(fresh_config, random_state=s))
        out["fresh"].append(float(np.mean(evaluate(fresh, data)["test"])))
    return out


# -- figures ---------------------------------------------------------------------------------------
_UNITS = {"P_bh_A": ("bar", 1e5), "P_bh_B": ("bar", 1e5), "P_tt_A": ("bar", 1e5),
          "P_tt_B": ("bar", 1e5), "P_in": ("bar", 1e5), "P_top": ("bar", 1e5),
          "w_L_out": ("kg/s", 1.0)}


def _figures(out, data, preds, rows, fresh_rows, full_row, arx_row, svals):
    plt = _common.pyplot()
    if plt is None:
        return []
    names = []
    y = data["test"]["y"]
    t_h = np.arange(1, len(y) + 1) / 60.0
    n = len(DEFAULT_OUTPUTS)
    fig, axes = plt.subplots((n + 1) // 2, 2, figsize=(12, 2.2 * ((n + 1) // 2)), sharex=True)
    axes = axes.ravel()
    styles = {"full ESN": ("tab:red", "-"), "POD-DEIM": ("tab:blue", "--"), "ARX": ("tab:green", ":")}
    for j, name in enumerate(DEFAULT_OUTPUTS):
        unit, scale = _UNITS.get(name, ("", 1.0))
        ax = axes[j]
        ax.plot(t_h, y[:, j] / scale, "k-", lw=1.2, label="plant")
        for label, p in preds.items():
            c, ls = styles[label]
            ax.plot(t_h, p[:, j] / scale, color=c, ls=ls, lw=1, label=label)
        ax.set_ylabel(f"{name} [{unit}]")
    for ax in axes[n:]:
        ax.axis("off")
    axes[0].legend(fontsize=7, ncol=2)
    for ax in axes[max(0, n - 2):n]:
        ax.set_xlabel("test time [h]")
    fig.suptitle("Oil platform, test split, free run from the supervisory inputs")
    fig.tight_layout()
    names.append(_common.save_figure(fig, out / "oil_platform_test_trajectories.png"))

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    for method in METHODS:
        rr = [r for r in rows if r["model"] == method and r["readout"] == "projected"]
        ax1.plot([r["dim"] for r in rr], [r["test_mean"] for r in rr], "o-", label=method)
        ax2.loglog([r["dim"] for r in rr], [1e6 * r["time_per_step"] for r in rr], "o-", label=method)
    ax1.plot([r["dim"] for r in fresh_rows], [r["test_mean"] for r in fresh_rows], "ks--",
             label="fresh ESN (size r)")
    ax2.loglog([r["dim"] for r in fresh_rows], [1e6 * r["time_per_step"] for r in fresh_rows], "ks--",
               label="fresh ESN (size r)")
    ax1.axhline(full_row["test_mean"], color="tab:red", lw=1, label=f"full ESN N={full_row['dim']}")
    ax1.axhline(arx_row["test_mean"], color="tab:green", lw=1, ls=":", label="ARX")
    ax2.axhline(1e6 * full_row["time_per_step"], color="tab:red", lw=1, label="full ESN")
    ax1.set_xlabel("reduced dimension r")
    ax1.set_ylabel("mean test NRMSE (free run)")
    ax1.set_ylim(0, min(1.0, 1.2 * max(r["test_mean"] for r in rows + fresh_rows
                                         if np.isfinite(r["test_mean"]))))
    ax1.set_xticks([r["dim"] for r in fresh_rows])
    ax2.set_xticks([r["dim"] for r in fresh_rows], [str(r["dim"]) for r in fresh_rows])
    ax2.minorticks_off()
    ax2.set_xlabel("reduced dimension r")
    ax2.set_ylabel("state update time per step [us]")
    ax1.legend(fontsize=7)
    ax2.legend(fontsize=7)
    fig.tight_layout()
    names.append(_common.save_figure(fig, out / "oil_platform_reduction.png"))

    fig, ax = plt.subplots(figsize=(6, 4))
    for label, s in svals.items():
        s = np.asarray(s)
        ax.semilogy(np.arange(1, len(s) + 1), s / s[0], label=label)
    ax.set_xlabel("index")
    ax.set_ylabel("singular value / first")
    ax.set_title("Snapshots of the full ESN on the training inputs (centred)")
    ax.legend(fontsize=8)
    names.append(_common.save_figure(fig, out / "oil_platform_singular_values.png"))
    return names


# -- main ------------------------------------------------------------------------------------------
def _kwargs(kw):
    return "defaults" if not kw else ", ".join(f"{k}={v}" for k, v in kw.items())


def _fmt(v):
    return "diverged" if v is None or not np.isfinite(v) else f"{v:.4f}"


def _run(settings, out):
    ds, data, in_sc, out_sc = load_data(settings.get("dataset"))
    timing_inputs = with_warmup(data["train"]["un"], WARMUP)

    t0 = time.perf_counter()
    ranked = esn_grid(data, settings["sizes"], settings)
    config = dict(ranked[0][1])
    log.info("chosen ESN config %s (val %.4f) in %.0f s", config, ranked[0][0], time.perf_counter() - t0)

    full = fit_identification_esn(ds, dict(config, random_state=0))
    t_full = per_step_time(full.estimator.reservoir_, timing_inputs)
    full_row = _row("full ESN", config["n_units"], evaluate(full, data), t_full, t_full)

    arx_ranked = arx_grid(data, settings)
    arx_params = arx_ranked[0][1]
    arx = ARXModel(**arx_params).fit(data["train"]["un"], data["train"]["yn"])

    class _ARXWrap:  # the ARX model between the same scalers, for evaluate()
        @staticmethod
        def predict(u):
            return out_sc.inverse_transform(arx.predict(in_sc.transform(u)))

    t_arx = time_arx(arx, data["test"]["un"])
    na, nb = arx_params["output_lags"], arx_params["input_lags"]
    arx_dim = na * len(DEFAULT_OUTPUTS) + (nb - 1) * len(ds.input_names)
    arx_row = _row("ARX", arx_dim, evaluate(_ARXWrap, data), t_arx, t_full,
                   f"na={na}, nb={nb}, {arx_params['structure']}, ridge={arx_params['ridge']:g}")
    log.info("ARX %s: val %.4f test %.4f", arx_params, arx_row["val_mean"], arx_row["test_mean"])

    red_rows, red_models = run_reductions(full, data, settings, timing_inputs, t_full)
    fresh_rows, fresh_configs = run_fresh(ds, data, settings, timing_inputs, t_full)
    seeds = seed_study(ds, data, config, fresh_configs[settings["save_rank"]], settings)

    # the saved POD-DEIM model: rank save_rank, readout chosen on the validation split
    r_s = settings["save_rank"]
    cand = [r for r in red_rows if r["model"] == "pod-deim" and r["dim"] == r_s]
    best = min(cand, key=lambda r: r["val_mean"] if np.isfinite(r["val_mean"]) else np.inf)
    pod_deim = red_models[("pod-deim", r_s, best["readout"])]
    mdir = out / "models"
    full.save(mdir, "full_esn")
    pod_deim.save(mdir, "pod_deim")
    save(arx, mdir / "arx.npz")

    preds = {"full ESN": full.predict(data["test"]["u"]),
             "POD-DEIM": pod_deim.predict(data["test"]["u"]),
             "ARX": _ARXWrap.predict(data["test"]["u"])}
    svals = {"states": red_models[("pod", settings["ranks"][0], "projected")]
             .estimator.reduction_report_["singular_values"],
             "nonlinear (DEIM)": red_models[("pod-deim", settings["ranks"][-1], "projected")]
             .estimator.reduction_report_["nl_singular_values"]}
    return dict(ds=ds, config=config, ranked=ranked, full_row=full_row, arx_row=arx_row,
                arx=arx, arx_params=arx_params, arx_ranked=arx_ranked, red_rows=red_rows,
                fresh_rows=fresh_rows, fresh_configs=fresh_configs, seeds=seeds,
                saved_readout=best["readout"], preds=preds, svals=svals, data=data)


def main(argv=None):
    """Run the oil-platform identification experiment; returns the result dict."""
    parser = _common.make_parser(__doc__.split("\n\n")[0], "results/oil_platform")
    parser.add_argument("--smoke", action="store_true",
                        help="tiny sizes on a short data set (seconds; for the test suite)")
    args = parser.parse_args(argv)
    _common.setup_logging()
    settings = SMOKE if args.smoke else QUICK if args.quick else FULL
    out = _common.output_dir(args.out)
    t_start = time.perf_counter()
    with warnings.catch_warnings(), threadpool_limits(limits=1, user_api="blas"):
        # small ridge penalties on nearly collinear states only score worse on validation
        warnings.simplefilter("ignore", LinAlgWarning)
        R = _run(settings, out)
    ds, config, data = R["ds"], R["config"], R["data"]

    columns = ["model", "dim", *DEFAULT_OUTPUTS, "mean", "us/step", "speed-up"]

    def line(row, label=None):
        return [label or row["model"], row["dim"], *[_fmt(v) for v in row["test"]],
                _fmt(row["test_mean"]), f"{1e6 * row['time_per_step']:.2f}",
                f"{row['speedup']:.1f}x" if row["speedup"] else ""]

    rows = [line(R["full_row"]), line(R["arx_row"], f"ARX ({R['arx_row']['note']})")]
    rows += [line(r, f"{r['model']} r={r['dim']}" + (f" m={r['n_points']}" if r["n_points"] else "")
                  + (f" ({r['note']})" if r["model"].startswith("tol=") else ""))
             for r in R["red_rows"] if r["readout"] == "projected"]
    rows += [line(r, f"fresh ESN N={r['dim']}") for r in R["fresh_rows"]]
    table1 = dict(title="Oil platform: test NRMSE per output (std-normalised), free run from the "
                        "supervisory inputs; reductions with projected readout; reservoir seed 0",
                  columns=columns, rows=rows)
    t2_rows = []
    for method, r in itertools.product(METHODS, settings["ranks"]):
        pr = {x["readout"]: x for x in R["red_rows"] if x["model"] == method and x["dim"] == r}
        t2_rows.append([method, r, pr["projected"]["n_points"] or "",
                        f"{pr['projected']['energy']:.6f}",
                        _fmt(pr["projected"]["val_mean"]), _fmt(pr["projected"]["test_mean"]),
                        _fmt(pr["refit"]["val_mean"]), _fmt(pr["refit"]["test_mean"]),
                        "yes" if pr["projected"]["stable"] and pr["refit"]["stable"] else "no"])
    table2 = dict(title="Reductions: mean NRMSE (validation / test) with the projected or the "
                        "refitted readout",
                  columns=["method", "r", "m", "POD energy", "val (proj.)", "test (proj.)",
                           "val (refit)", "test (refit)", "stable (reduce check)"],
                  rows=t2_rows)
    sd = R["seeds"]

    def pm(v):
        return f"{np.mean(v):.4f} ± {np.std(v, ddof=1) if len(v) > 1 else 0.0:.4f}"

    table3 = dict(title=f"Mean test NRMSE over reservoir seeds {list(settings['eval_seeds'])} "
                        f"(mean ± sd)",
                  columns=["model", "mean test NRMSE", "per seed"],
                  rows=[[f"full ESN N={config['n_units']}", pm(sd["full"]),
                         ", ".join(f"{v:.4f}" for v in sd["full"])],
                        [f"POD-DEIM r={settings['save_rank']} (projected)", pm(sd["pod-deim"]),
                         ", ".join(f"{v:.4f}" for v in sd["pod-deim"])],
                        [f"accurate (OW lin. Q-DEIM) r={settings['save_rank']} (projected)",
                         pm(sd["accurate"]), ", ".join(f"{v:.4f}" for v in sd["accurate"])],
                        [f"fresh ESN N={settings['save_rank']}", pm(sd["fresh"]),
                         ", ".join(f"{v:.4f}" for v in sd["fresh"])],
                        ["ARX (deterministic)", f"{R['arx_row']['test_mean']:.4f}", ""]])

    full_m, arx_m = R["full_row"]["test_mean"], R["arx_row"]["test_mean"]
    better = int(np.sum(np.array(R["full_row"]["test"]) < np.array(R["arx_row"]["test"])))
    seed_wins = int(np.sum(np.array(sd["full"]) < arx_m))
    notes = [
        f"Data: make_oil_platform_dataset({_kwargs(settings.get('dataset'))}) (struc2 PI layer, "
        f"default envelope, 60 s sampling), train/val/test {len(data['train']['u'])}/{len(data['val']['u'])}/"
        f"{len(data['test']['u'])} samples, cache key {ds.meta.get('cache_key', '')[:12]}.",
        f"Outputs: {', '.join(DEFAULT_OUTPUTS)}; inputs: {', '.join(ds.input_names)}. Free run "
        f"from rest at the first input (ESN: {WARMUP} warm-up steps; ARX: its equilibrium); no "
        f"output measurement is used at any time.",
        "Chosen ESN (validation, mean over grid seeds "
        f"{list(settings['grid_seeds'])}): " + ", ".join(f"{k}={v}" for k, v in config.items())
        + f"; validation mean NRMSE {R['ranked'][0][0]:.4f}.",
        f"ESN vs ARX (seed 0): mean test NRMSE {full_m:.4f} vs {arx_m:.4f} (the ESN's is "
        f"{abs(100 * (arx_m - full_m) / arx_m):.1f} % {'lower' if full_m < arx_m else 'higher'}); "
        f"the ESN is better on "
        f"{better} of {len(DEFAULT_OUTPUTS)} outputs; over seeds {list(settings['eval_seeds'])} "
        f"the full ESN beats the ARX mean in {seed_wins} of {len(sd['full'])}.",
        f"ARX: orders and structure chosen by free-run validation NRMSE over "
        f"{len(R['arx_ranked'])} candidates; chosen {R['arx_params']} (validation "
        f"{R['arx_ranked'][0][0]:.4f}, largest pole modulus {R['arx'].spectral_radius():.4f}).",
        "Reductions: rcpod.reduction.reduce(center=True, n_points=2r for DEIM); 'accurate' = "
        "method='pod-qdeim-linearized', basis='output-weighted', nl_fit='lstsq'; "
        f"'tol={TOL}' = rcpod.reduction.reduce_to_tolerance(tol={TOL}), the cheapest model "
        "(counted flops per step) within the tolerance on held-back training data. Fresh ESNs of "
        "size r tuned on validation with the same grid (their configs in results.json).",
        f"Saved in models/: full_esn (N={config['n_units']}), pod_deim (r={settings['save_rank']}, "
        f"readout '{R['saved_readout']}' chosen on validation), arx, input/output scalers; load "
        f"with rcpod.reservoir.oil_platform.identification.load_identified_model(dir, name).",
        "Times: state update only (rcpod.reduction.per_step_time, best of 5 over the training inputs, "
        "one BLAS thread, shared machine: expect noise of tens of %); ARX: numpy free-run loop.",
    ]
    diff = {k: (DEFAULT_ESN_CONFIG.get(k), v) for k, v in config.items()
            if DEFAULT_ESN_CONFIG.get(k) != v}
    if diff:
        notes.append(f"The chosen configuration differs from identification.DEFAULT_ESN_CONFIG in "
                     f"(default, chosen): {diff}.")
    figures = _figures(out, data, R["preds"], R["red_rows"], R["fresh_rows"], R["full_row"],
                       R["arx_row"], R["svals"])
    # headline: cells of the seed table (NRMSE) and of the first table (speed-up)
    r_s, (s_full, s_red, s_acc, s_fresh, s_arx) = settings["save_rank"], table3["rows"]
    red_line = next(row for row in rows if row[0].startswith(f"pod-deim r={r_s} "))
    seeds_txt = f"mean of {len(DEFAULT_OUTPUTS)} outputs, seeds {list(settings['eval_seeds'])}"
    headline = [
        headline_row(f"Oil platform free-run test NRMSE, full ESN N={config['n_units']} "
                     f"({seeds_txt})", s_full[1], f"ARX ({R['arx_row']['note']}): {s_arx[1]}"),
        headline_row(f"Oil platform free-run test NRMSE, POD-DEIM reduced ESN r={r_s}", s_red[1],
                     f"full ESN: {s_full[1]}; accurate (OW lin. Q-DEIM) r={r_s}: {s_acc[1]}; "
                     f"fresh ESN N={r_s}: {s_fresh[1]}"),
        headline_row(f"State update speed-up, {red_line[0]} vs full ESN (seed 0)", red_line[-1],
                     f"full ESN N={config['n_units']}: {rows[0][-2]} us/step"),
    ]
    result = dict(
        command=_common.command_line("oil_platform.py", argv), seeds=list(settings["eval_seeds"]),
        quick=bool(args.quick), smoke=bool(args.smoke), tables=[table1, table2, table3], notes=notes, figures=figures,
        headline=headline,
        config=dict(config, random_state=0), outputs=list(DEFAULT_OUTPUTS),
        inputs=list(ds.input_names), warmup=WARMUP,
        esn_top10=[dict(val_nrmse=s, **c) for s, c in R["ranked"][:10]],
        arx=dict(params=R["arx_params"], A=R["arx"].A_, B=R["arx"].B_, c=R["arx"].c_,
                 top10=[dict(val_nrmse=s, **p) for s, p in R["arx_ranked"][:10]]),
        full=R["full_row"], arx_result=R["arx_row"], reductions=R["red_rows"],
        fresh=R["fresh_rows"], fresh_configs={str(k): v for k, v in R["fresh_configs"].items()},
        seed_study=sd, saved_models=dict(dir="models", full_esn="full_esn", pod_deim="pod_deim",
                                         pod_deim_rank=settings["save_rank"],
                                         pod_deim_readout=R["saved_readout"], arx="arx.npz"),
        dataset=dict(cache_key=ds.meta.get("cache_key"), dt=ds.dt,
                     settings=ds.meta.get("settings", {}).get("hours")),
        settings={k: v for k, v in settings.items()},
        seconds=time.perf_counter() - t_start)
    return _common.finish(out, result)


if __name__ == "__main__":
    main()
