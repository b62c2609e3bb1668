"""Benchmark: reduce() at scale -- time and peak memory of the truncated / streamed paths against
the exact one, the memory of reducing a model fitted on 10^6 steps, and the accuracy kept.

Usage::

    python benchmarks/bench_reduction_scale.py scale                  # N = 2000, 5000
    python benchmarks/bench_reduction_scale.py scale --n-units 2000 --exact   # + the exact path
    python benchmarks/bench_reduction_scale.py long                   # N = 1000, 10^6 steps
    python benchmarks/bench_reduction_scale.py accuracy --seeds 0 1 2 # NARMA10, N = 500, r = 50

What is measured.

* ``scale``: for each N a freshly exec'd child draws NARMA10 (``narma(10, ...)``, seed 0) long
  enough for 20,000 snapshots after the washout (100) and the held-back 10 %, fits
  ``ESNRegressor(n_units=N, density=d, ridge=1e-6, washout=100, random_state=0)`` and saves it;
  then, per method, another fresh child loads it and times one ``reduce(..., rank=50)`` --
  ``pod-deim`` (POD basis) and ``pod-qdeim-linearized`` with ``basis="output-weighted"`` (the
  accurate variant) -- with the default options (``decomposition="auto"``,
  ``snapshots="auto"``: at these sizes the snapshots are streamed into Gram matrices and the
  output-weighted basis uses the low-rank Gramian factor). The reducing child's ``VmHWM``
  (peak resident memory of the process, from ``/proc/self/status``) is the reduction's own
  (plus loading the model and the data; the fit ran elsewhere). The density is ``0.1``
  (``--density``, the package's default) or ``K / N`` with ``--in-degree K`` (K nonzeros per
  row on average: the sparse recipe of large reservoirs, whose full run does not grow as
  ``N^2``). ``--exact`` adds the rcpod 0.1 path (``decomposition="exact",
  snapshots="matrix"``) for ``pod-deim`` as the peer, measured in the same run. One repetition
  each (minutes per run): no spread; the load average before and after each child is printed.
  ``--json FILE`` keeps the rows (examples/reduction_scale.py makes the report's table and
  figure from them).
* ``long``: a child fits ``ESNRegressor(n_units=1000, density=0.1)`` on 10^6 NARMA10 steps
  (inputs from [0, 0.4]: with [0, 0.5] every draw tried diverged; streamed fit), prints the peak after the fit, then reduces it (``pod-deim``, r = 50, default
  options, streamed) and prints the peak after the reduction. Goal: under 1 GB.
* ``accuracy``: the configuration of examples/reduction_narma10.py (N = 500, its seeds, r = 50,
  m = 100, centred, projected readout) reduced with ``decomposition="exact"`` and with the
  truncated decompositions (``"gram"``, ``"randomized"``), streamed snapshots and held
  snapshots (their products, ``decomposition="randomized"``: the path of ``T <~ N``); prints the
  test NRMSE of each and its relative difference to the exact one, and the largest principal
  angle between the truncated and the exact state basis together with the basis's relative
  spectral gap at r (``(w_r - w_r+1) / w_1`` of the eigenvalues ``w`` of ``X X^T`` or of
  ``M``), which bounds the angle an exact computation in floating point can reach.

The parent prints the command, the machine (CPU, CPUs, memory, BLAS) and the load.
"""
from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import time

import numpy as np

from rcpod.benchmarks import timing
from rcpod.benchmarks.machine import cpu_model, memory_gb

WASHOUT = 100
SNAPSHOTS = 20000
HOLDOUT = 0.1
#: method label -> reduce() keyword arguments (rank 50; DEIM with m = 2r by default)
SCALE_METHODS = {
    "pod-deim": dict(method="pod-deim"),
    "ow-pod-qdeim-lin": dict(method="pod-qdeim-linearized", basis="output-weighted"),
}
EXACT = dict(decomposition="exact", snapshots="matrix")
#: NARMA10 with inputs in [0, 0.5] diverges within 10^6 steps for every seed tried (20); the
#: long run draws them from [0, 0.4]
LONG_INPUT_RANGE = (0.0, 0.4)


def _load():
    return timing.load_text(timing.load_snapshot())


def _narma(steps, seed=0, input_range=(0.0, 0.5)):
    """NARMA10 of ``steps`` samples; the next seeds (``seed + 1000 k``, as
    examples/reduction_narma10.py does) if a draw diverges."""
    from rcpod.reservoir.datasets import NARMADivergenceError, narma
    for attempt in range(20):
        try:
            u, y = narma(n=10, length=steps, random_state=seed + 1000 * attempt, discard=200,
                         input_range=input_range)
            return u, y[:, 0]
        except NARMADivergenceError:
            continue
    raise RuntimeError(f"no convergent NARMA10 draw of {steps} steps from seed {seed}")


# -- children (fresh processes) ------------------------------------------------------------------
def _scale_data():
    steps = WASHOUT + int(np.ceil(SNAPSHOTS / (1 - HOLDOUT))) + 1
    return _narma(steps)


def child_fit(n_units, density, path):
    """Fit the full ESN and save it; print one JSON line (time, peak memory)."""
    from rcpod.reservoir import ESNRegressor
    from rcpod.reservoir.persistence import save
    u, y = _scale_data()
    t0 = time.perf_counter()
    est = ESNRegressor(n_units=n_units, density=density, ridge=1e-6, washout=WASHOUT,
                       random_state=0).fit(u, y)
    t_fit = time.perf_counter() - t0
    save(est, path)
    print(json.dumps(dict(n_units=n_units, density=density, nnz=int(est.reservoir_.W_.nnz),
                          fit_s=t_fit, fit_peak_mb=timing.peak_rss_mb())))


def child_scale(path, method, exact):
    """Load the saved full ESN, reduce it once; print one JSON line (time, peak memory)."""
    import warnings

    from rcpod.reduction import reduce
    from rcpod.reservoir.persistence import load
    est = load(path)
    u, _ = _scale_data()
    kw = dict(SCALE_METHODS[method], rank=50, **(EXACT if exact else {}))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        red = reduce(est, u, **kw)
        t_red = time.perf_counter() - t0
    rep = red.reduction_report_
    print(json.dumps(dict(method=method, exact=exact, reduce_s=t_red,
                          n_snapshots=rep.n_snapshots, output_error=rep.output_error,
                          stable=rep.stable, **timing.memory_report())))


def scale(n_units, methods, exact=False, density=0.1, in_degree=None, workdir=None,
          repeat=1):
    """Fit once per N (a child), reduce ``repeat`` times per method (a child each); the rows
    as dicts. With ``workdir`` the fitted models stay there and are reused by later calls."""
    import tempfile
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        where = tmp if workdir is None else workdir
        os.makedirs(where, exist_ok=True)
        for n in n_units:
            d = density if in_degree is None else min(1.0, in_degree / n)
            path = os.path.join(where, f"esn_{n}_{d:.6g}.npz")
            info = path[:-4] + ".json"
            if os.path.exists(info) and os.path.exists(path):
                with open(info) as fh:
                    fit = json.load(fh)
            else:
                fit, before, after = _run_child(["fit", n, d, path])
                if "error" in fit:
                    rows.append(dict(n_units=n, density=d, error=fit["error"]))
                    print(f"{n:>6} fit ERROR {fit['error'][-300:]}", flush=True)
                    continue
                with open(info, "w") as fh:
                    json.dump(fit, fh)
            runs = [(m, False) for m in methods] + ([("pod-deim", True)] if exact else [])
            for method, ex in runs:
                for k in range(repeat):
                    out, before, after = _run_child(["scale", path, method, int(ex)])
                    row = dict(fit, **out, repeat=k, load_before=before, load_after=after)
                    rows.append(row)
                    if "error" in out:
                        print(f"{n:>6} {method:18} ERROR {out['error'][-300:]}", flush=True)
                        continue
                    print(f"{n:>6} {fit['nnz'] / n:9.0f} {method:18} "
                          f"{'exact' if ex else 'new':7} {fit['fit_s']:7.1f} "
                          f"{out['reduce_s']:9.1f} {out['peak_rss_mb']:8.0f}  "
                          f"{before} -> {after}", flush=True)
    return rows


#: the goals of issue "reduction at scale": N -> (seconds, MB) for every method
SCALE_GOALS = {5000: (30.0, 2048.0), 20000: (180.0, 6144.0)}


def scale_verdicts(rows):
    """``(N, nnz per unit, method, verdict text)`` per configuration with a goal; with
    repeats the slowest and largest run decides (a spread that crosses the goal is NOT MET)."""
    groups = {}
    for r in rows:
        if SCALE_GOALS.get(r["n_units"]) and "error" not in r and not r.get("exact"):
            groups.setdefault((r["n_units"], r["nnz"] / r["n_units"], r["method"]), []).append(r)
    out = []
    for (n, per_unit, method), rs in groups.items():
        goal = SCALE_GOALS[n]
        t = sorted(r["reduce_s"] for r in rs)
        mb = max(r["peak_rss_mb"] for r in rs)
        ok = t[-1] < goal[0] and mb < goal[1]
        if len(t) == 1:   # no spread: under / over, not a verdict
            times, verdict = f"{t[0]:.1f} s", ("under it in one run (no spread; --repeat 3 "
                                               "for a verdict)" if ok else "over it")
        else:
            times = f"{np.median(t):.1f} s (min {t[0]:.1f}, max {t[-1]:.1f}, {len(t)} runs)"
            verdict = "MET" if ok else "NOT MET"
        out.append((n, per_unit, method,
                    f"reduce {times}, peak {mb:.0f} MB (goal < {goal[0]:.0f} s and < "
                    f"{goal[1] / 1024:.0f} GB: {verdict}; load "
                    f"{rs[0]['load_before']} -> {rs[-1]['load_after']})"))
    return out


def child_long(n_units, steps):
    import warnings

    from rcpod.reduction import reduce
    from rcpod.reservoir import ESNRegressor
    u, y = _narma(steps, input_range=LONG_INPUT_RANGE)
    t0 = time.perf_counter()
    est = ESNRegressor(n_units=n_units, density=0.1, ridge=1e-6, washout=WASHOUT,
                       random_state=0).fit(u, y)
    t_fit = time.perf_counter() - t0
    fit_peak = timing.peak_rss_mb()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        red = reduce(est, u, method="pod-deim", rank=50)
        t_red = time.perf_counter() - t0
    rep = red.reduction_report_
    print(json.dumps(dict(n_units=n_units, steps=steps, fit_s=t_fit, reduce_s=t_red,
                          fit_peak_mb=fit_peak, input_mb=u.nbytes / 2 ** 20,
                          n_snapshots=rep.n_snapshots, output_error=rep.output_error,
                          output_check=rep.output_check, **timing.memory_report())))


def _run_child(args):
    before = _load()
    out = timing.run_fresh_python([os.path.abspath(__file__), "--child", *map(str, args)])
    return out, before, _load()


# -- accuracy (in process) -------------------------------------------------------------------
def accuracy(seeds):
    """NARMA10 N = 500, r = 50: NRMSE and principal angles of truncated vs exact bases."""
    import warnings

    from scipy.linalg import subspace_angles

    from rcpod.reduction import reduce
    from rcpod.reservoir import ESNRegressor
    from rcpod.reservoir.metrics import nrmse
    config = dict(spectral_radius=0.9, input_scaling=0.05, bias_scaling=0.5, leak_rate=1.0,
                  density=0.1, include_input=True, ridge=1e-10)
    variants = {"pod-deim": dict(method="pod-deim", n_points=100),
                "pod-qdeim": dict(method="pod-qdeim", n_points=100),
                "ow-pod": dict(method="pod", basis="output-weighted"),
                "ow-qdeim-lin": dict(method="pod-qdeim-linearized", basis="output-weighted",
                                     n_points=100)}
    options = {"gram": dict(decomposition="gram", snapshots="matrix"),
               "randomized": dict(decomposition="randomized", snapshots="matrix"),
               "streamed": dict(snapshots="streamed"),
               "held": dict(snapshots="held", decomposition="randomized")}
    rows = []
    for seed in seeds:
        u, y = _narma(WASHOUT + 3000, seed)
        end = WASHOUT + 2000
        full = ESNRegressor(n_units=500, washout=WASHOUT, random_state=seed, **config).fit(
            u[:end], y[:end])
        for name, kw in variants.items():
            models = {}
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                for opt, okw in [("exact", dict(decomposition="exact", snapshots="matrix"))] + \
                        list(options.items()):
                    models[opt] = reduce(full, u[:end], rank=50, center=True, **kw, **okw)
            ex = models["exact"]
            rep = ex.reduction_report_
            w = (rep.singular_values ** 2 if rep.basis_eigenvalues is None
                 else rep.basis_eigenvalues)
            gap = float((w[49] - w[50]) / w[0])
            e0 = float(nrmse(y[end:], ex.predict(u)[end:]))
            for opt in options:
                m = models[opt]
                e = float(nrmse(y[end:], m.predict(u)[end:]))
                ang = float(np.max(subspace_angles(ex.reservoir_.modes_, m.reservoir_.modes_)))
                rows.append(dict(seed=seed, variant=name, option=opt, nrmse_exact=e0, nrmse=e,
                                 rel_diff=abs(e - e0) / e0, max_angle=ang, rel_gap=gap))
                print(f"seed {seed} {name:13s} {opt:10s} NRMSE {e0:.6f} -> {e:.6f} "
                      f"(rel {abs(e - e0) / e0:.1e}), max angle {ang:.1e}, rel. gap at r "
                      f"{gap:.1e}", flush=True)
    worst = max(r["rel_diff"] for r in rows)
    print(f"\nworst NRMSE relative difference {worst:.2e} (goal 1e-3): "
          f"{'MET' if worst <= 1e-3 else 'NOT MET'}")
    # an exact computation in float64 resolves an angle of about eps * w_1 / gap; judge the
    # angle goal where that is below 1e-8 (gap > ~1e-8)
    gapped = [r for r in rows if r["rel_gap"] > 1e-8]
    if gapped:
        worst_a = max(r["max_angle"] for r in gapped)
        print(f"largest principal angle where the spectrum has a gap (rel. gap > 1e-8, "
              f"{len(gapped)} of {len(rows)}): {worst_a:.2e} (goal 1e-6): "
              f"{'MET' if worst_a < 1e-6 else 'NOT MET'}")
    rest = [r for r in rows if r["rel_gap"] <= 1e-8]
    if rest:
        print(f"no gap (rel. gap <= 1e-8) in {len(rest)} cases; their largest angle "
              f"{max(r['max_angle'] for r in rest):.2e}")
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("what", choices=("scale", "long", "accuracy"))
    parser.add_argument("--n-units", type=int, nargs="+", default=[2000, 5000])
    parser.add_argument("--methods", nargs="+", default=list(SCALE_METHODS))
    parser.add_argument("--density", type=float, default=0.1, help="density of W (scale)")
    parser.add_argument("--in-degree", type=int, default=None,
                        help="nonzeros per row of W instead of --density (scale)")
    parser.add_argument("--workdir", default=None,
                        help="keep the fitted models here and reuse them (scale)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="reductions per (N, method), for the spread (scale)")
    parser.add_argument("--exact", action="store_true",
                        help="also run the exact rcpod 0.1 path for pod-deim (slow)")
    parser.add_argument("--steps", type=int, default=10 ** 6)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--json")
    args = parser.parse_args(argv)
    print("command:", shlex.join([sys.executable] + sys.argv))
    print(f"machine: {cpu_model()}, {len(os.sched_getaffinity(0))} CPUs, "
          f"{memory_gb():.1f} GiB; load before: {_load()}", flush=True)
    results = []
    if args.what == "accuracy":
        results = accuracy(args.seeds)
    elif args.what == "long":
        out, before, after = _run_child(["long", 1000, args.steps])
        results.append(dict(out, load_before=before, load_after=after))
        print(json.dumps(out))
        if "error" not in out:
            print(f"N = 1000, {args.steps} steps: fit {out['fit_s']:.1f} s (peak "
                  f"{out['fit_peak_mb']:.0f} MB, input {out['input_mb']:.0f} MB), reduce "
                  f"{out['reduce_s']:.1f} s, peak after reduce {out['peak_rss_mb']:.0f} MB "
                  f"(goal < 1024 MB: {'MET' if out['peak_rss_mb'] < 1024 else 'NOT MET'}); "
                  f"load {before} -> {after}")
    else:
        print(f"{'N':>6} {'nnz/unit':>9} {'method':18} {'path':7} {'fit s':>7} {'reduce s':>9} "
              f"{'peak MB':>8}  load before -> after")
        results = scale(args.n_units, args.methods, args.exact, args.density, args.in_degree,
                        args.workdir, args.repeat)
        new = {(r["n_units"], r["method"]): r for r in results
               if "error" not in r and not r["exact"]}
        for r in results:
            if "error" not in r and r["exact"] and (r["n_units"], "pod-deim") in new:
                ratio = r["reduce_s"] / new[(r["n_units"], "pod-deim")]["reduce_s"]
                print(f"N = {r['n_units']} pod-deim: exact / new reduce time = {ratio:.1f}x "
                      f"(one run each, same machine and session)")
        for n, per_unit, method, text in scale_verdicts(results):
            print(f"N = {n} ({per_unit:.0f} nonzeros per unit) {method}: {text}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(results, fh, indent=1)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        kind, rest = sys.argv[2], sys.argv[3:]
        if kind == "fit":
            child_fit(int(rest[0]), float(rest[1]), rest[2])
        elif kind == "scale":
            child_scale(rest[0], rest[1], bool(int(rest[2])))
        else:
            child_long(int(rest[0]), int(rest[1]))
    else:
        main()
