"""Benchmark: per-step cost of a POD-DEIM reduced ESN against the full ESN, and the cost of
CasADi closed-loop evaluations (rollout + Jacobian) of the reduced vs the full step.

Usage::

    python benchmarks/bench_reduction.py                    # N=1000, r=50, m=100
    python benchmarks/bench_reduction.py --quick            # the same with 5000 steps
    python benchmarks/bench_reduction.py --n-units 500 --rank 25 --points 50

Both models are timed in their fastest implementation:

* full ESN: rcpod's compiled CSR loop (``ESN(backend="numba")``) and, as a second candidate, a
  local CSR loop compiled with reassociation allowed (``fastmath``); the faster one counts;
* reduced: ``DEIMReservoir.run`` (compiled loop, row sums over row-aligned operators,
  reassociation allowed).

All run() variants are timed in turns (full rcpod loop, full fastmath loop, POD-DEIM, POD,
linearised Q-DEIM; ``--repeats`` rounds), runs shorter than ``--min-sample`` seconds repeated
within a sample. Per-step time = time of a run over ``--steps`` steps divided by the steps (the
input projections for the whole sequence are part of the timed run for both); the full ESN time
of a round is the faster of its two loops in that round. A ratio is shown as the ratio of the
best times with the median and the spread (min - max) of the per-round ratios; the goal is MET
only if the whole spread reaches 20x, NOT MET only if all of it is below, otherwise NOT
MEASURABLE (the machine's load made the spread cross the goal). The load average at start and
end is recorded; ``--stress N`` runs N busy processes alongside, to see this on a loaded machine.
The kernel table times the reduced loop in float64 and float32, one series and one series per
core (batched), against two limits measured in the same run: the counted flops
(:func:`rcpod.reduction.step_flops`) at the rate of a one-thread GEMM of the same dtype (what one
core can reach on dense, cache-resident work), and the operator bytes every step reads (A, E,
L, B, c, L_u, d: they do not fit in registers, so each step streams them from the cache).
The CasADi part builds ``(x0, u[0..H-1]) -> (y[0..H-1])`` for an H-step rollout and its Jacobian
with respect to the input sequence (what a single-shooting MPC evaluates each iteration).
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
import time

import numpy as np

from rcpod.benchmarks import timing as _timing
from rcpod.benchmarks.machine import cpu_model


def machine_info():
    import numba
    import scipy
    cpu = cpu_model()
    info = {"python": platform.python_version(), "platform": platform.platform(), "cpu": cpu,
            "cores": os.cpu_count(), "numpy": np.__version__, "scipy": scipy.__version__,
            "numba": numba.__version__,
            "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "unset")}
    try:
        import casadi
        info["casadi"] = casadi.__version__
    except ImportError:
        info["casadi"] = "not installed"
    return info


def _fast_csr_kernel():
    from numba import njit

    @njit(cache=True, nogil=True, fastmath={"reassoc", "contract", "nsz", "arcp"})
    def run_csr_fast(indptr, indices, data, proj, x0, leak):
        T, N = proj.shape
        out = np.empty_like(proj)
        keep = 1.0 - leak
        x = x0.copy()
        for t in range(T):
            for i in range(N):
                s = 0.0
                for k in range(indptr[i], indptr[i + 1]):
                    s += data[k] * x[indices[k]]
                out[t, i] = keep * x[i] + leak * np.tanh(s + proj[t, i])
            x[:] = out[t]
        return out

    return run_csr_fast


GOAL = "POD-DEIM run() per step >= 20x faster than the full ESN's fastest compiled loop"
GOAL_KEY = "pod_deim_per_step_>=20x"


def command_line(argv):
    """The command that reruns this benchmark alone with the same arguments."""
    args = sys.argv[1:] if argv is None else list(argv)
    return " ".join(["python", "benchmarks/bench_reduction.py"] + [str(a) for a in args])


def _result(args, argv, info, model, steps, casadi_rows, notes, entries, loads):
    """The result dict: report tables, goals, notes and the raw numbers."""
    step_rows = [[name, round(min(times) * 1e6, 3), round(_median(times) * 1e6, 3),
                  _timing.ratio_cell(f"{stats['best']:.1f}x", stats) if stats else ""]
                 for name, times, stats in steps]
    tables = [{"title": f"Reduced vs full ESN: per-step time of run() over {args.steps} steps, "
                        f"{args.repeats} interleaved rounds; ratio = full ESN time / this time: "
                        "ratio of the best times (median, min-max of the per-round ratios)",
               "columns": ["model", "us per step", "us per step (median)", "ratio"],
               "rows": step_rows}]
    if casadi_rows:
        tables.append({"title": f"CasADi {args.horizon}-step rollout + Jacobian dY/dU "
                                f"({args.casadi_repeats} interleaved rounds x 20 evaluations)",
                       "columns": ["model", "expression graph", "ms per evaluation",
                                   "ms per evaluation (median)"],
                       "rows": [[m, v, round(min(t) * 1e3, 4), round(_median(t) * 1e3, 4)]
                                for m, v, t in casadi_rows]})
    tables.append(_timing.goals_table("Goal", entries, *loads))
    goals = _timing.goals_from_entries(entries)
    deim_text = _timing.ratio_cell(_timing.fmt_x(model["deim_ratio"]), model["deim_ratio_stats"])
    return {"command": command_line(argv), "machine": info, "model": model,
            "goals": goals, "goal_entries": entries, "load_before": loads[0],
            "load_after": loads[1], "stress": args.stress,
            "config": dict(vars(args)), "tables": tables,
            "notes": notes + [_timing.VERDICT_RULE,
                              f"Load average at start {_timing.load_text(loads[0])}, at end "
                              f"{_timing.load_text(loads[1])}"
                              + (f"; {args.stress} busy processes (--stress) ran during the "
                                 "benchmark." if args.stress else "."),
                              f"Goal: {GOAL}: {goals[GOAL_KEY]}; ratio {deim_text}."]
            + [f"{k}: {v}" for k, v in goals.items()]}


def _median(values):
    return float(np.median(values))


def gemm_rate(dtype, n=512, repeats=5):
    """Flop rate (flop/s) of a one-thread ``n x n`` GEMM in ``dtype``: best of ``repeats``."""
    from threadpoolctl import threadpool_limits
    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal((n, n)).astype(dtype) for _ in range(2))
    best = np.inf
    with threadpool_limits(1):
        a @ b
        for _ in range(repeats):
            t0 = time.perf_counter()
            a @ b
            best = min(best, time.perf_counter() - t0)
    return 2.0 * n ** 3 / best


def kernel_rows(reservoir, inputs, repeats, min_sample):
    """Per-step time of the reduced loop in float64 / float32, one series and one series per
    numba thread, with the achieved flop rate against the one-thread GEMM rate (the counted-flop
    limit) and the operator bytes streamed per step."""
    import numba
    from sklearn.base import clone
    from rcpod import reduction
    threads = numba.get_num_threads()
    T = inputs.shape[0]
    batch = np.stack([inputs] * threads)
    flops = reduction.step_flops(reservoir)
    fns, meta = {}, {}
    for dt in ("float64", "float32"):
        res = clone(reservoir).set_params(dtype=dt).initialize(reservoir.n_inputs_)
        u1, ub = inputs.astype(dt), batch.astype(dt)
        fns[(dt, 1)] = lambda res=res, u1=u1: res.run(u1)
        fns[(dt, threads)] = lambda res=res, ub=ub: res.run(ub)
        nbytes = sum(M.nbytes for M in (res.A_, res.E_, res.L_ if res.has_linear_ else None,
                                         res.B_, res.c_, res.Lu_, res.d_) if M is not None)
        meta[dt] = (gemm_rate(np.dtype(dt)), nbytes)
    times = _timing.interleaved_times(fns, repeats, min_sample_s=min_sample)
    rows = []
    for (dt, n_series), ts in times.items():
        per_step = min(ts) / (T * n_series)  # per step of one series
        rate, nbytes = meta[dt]
        limit = flops / (rate * min(n_series, threads))
        rows.append([dt, n_series, round(per_step * 1e6, 3), round(flops / per_step / 1e9, 2),
                     round(rate / 1e9, 1), round(limit * 1e6, 3), f"{per_step / limit:.1f}x",
                     round(nbytes / 1024, 1), round(nbytes / (per_step * n_series) / 1e9, 1)])
    return rows, flops


KERNEL_COLUMNS = ["dtype", "series (threads)", "us per step and series", "GFlop/s",
                  "GEMM GFlop/s (1 thread)", "counted-flop limit us", "distance to limit",
                  "operator KiB", "operator GB/s per core"]


def main(argv=None):
    """Run the benchmark, print its numbers and return the results as a dict.

    The dict holds ``tables`` (report tables), ``goals`` (goal name -> verdict: "MET",
    "NOT MET" or "NOT MEASURABLE (...)"), ``goal_entries`` (best and median ratio, spread,
    verdict), ``notes``, ``command``, ``machine``, ``load_before`` / ``load_after``, ``model``
    (sizes, errors, per-step times and ratio statistics) and ``config``.
    """
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help="5000 steps (unless --steps is given)")
    ap.add_argument("--n-units", type=int, default=1000)
    ap.add_argument("--rank", type=int, default=50)
    ap.add_argument("--points", type=int, default=100)
    ap.add_argument("--density", type=float, default=0.1)
    ap.add_argument("--steps", type=int, default=None, help="default 20000 (quick 5000)")
    ap.add_argument("--repeats", type=int, default=5,
                    help="interleaved rounds of the run() timings (default 5)")
    ap.add_argument("--casadi-repeats", type=int, default=3,
                    help="interleaved rounds of the CasADi timings (default 3)")
    ap.add_argument("--min-sample", type=float, default=0.05,
                    help="seconds: shorter runs are repeated within one timing sample")
    ap.add_argument("--horizon", type=int, default=20)
    ap.add_argument("--seed", type=int, default=0)
    _timing.add_stress_option(ap)
    args = ap.parse_args(argv)
    if args.steps is None:
        args.steps = 5000 if args.quick else 20000
    if args.repeats < 1 or args.casadi_repeats < 1:
        ap.error("--repeats and --casadi-repeats must be >= 1")
    with _timing.Stress(args.stress, args.stress_seconds):
        return _run(args, argv)


def _run(args, argv):
    from rcpod import reduction
    from rcpod.reservoir import ESNRegressor
    from rcpod.reservoir.datasets import narma

    info = machine_info()
    print("command:", command_line(argv))
    print("machine:", info)
    load_before = _timing.load_snapshot()
    print(f"load average before: {_timing.load_text(load_before)}"
          + (f"; --stress {args.stress}: {args.stress} busy processes running" if args.stress
             else ""))
    N, r, m = args.n_units, args.rank, args.points
    u, y = narma(10, 4000, random_state=args.seed)
    t0 = time.perf_counter()
    est = ESNRegressor(n_units=N, spectral_radius=0.9, leak_rate=0.5, input_scaling=0.5,
                       bias_scaling=0.1, density=args.density, ridge=1e-7, washout=100,
                       random_state=args.seed).fit(u[:3000], y[:3000])
    t_fit = time.perf_counter() - t0
    t0 = time.perf_counter()
    red = reduction.reduce(est, u[:3000], method="pod-qdeim", rank=r, n_points=m, center=True)
    t_red = time.perf_counter() - t0
    pod_only = reduction.reduce(est, u[:3000], method="pod", rank=r, center=True,
                                check_stability=False)
    rep = reduction.diagnose(est, red, u[3000:], y[3000:], timing_steps=0, warn=False)
    m_lin = min(3 * r, N)
    lin = reduction.reduce(est, u[:3000], method="pod-qdeim-linearized", rank=r, n_points=m_lin,
                           basis="output-weighted", nl_fit="lstsq", center=True,
                           check_stability=False)
    rep_lin = reduction.diagnose(est, lin, u[3000:], y[3000:], timing_steps=0, warn=False)
    print(f"\nESN N={N} (density {args.density}, nnz {est.reservoir_.W_.nnz}), POD-Q-DEIM r={r} "
          f"m={m}; fit {t_fit:.2f} s, reduce {t_red:.2f} s")
    print(f"  NARMA10 test NRMSE full {rep.full_nrmse:.4f}  reduced {rep.reduced_nrmse:.4f}; "
          f"state error {rep.test_state_error:.2e}; stable {rep.stable}; "
          f"Jacobian spectral radius max {rep.jacobian_radius_max:.3f}")
    print(f"  output-weighted linearised Q-DEIM (LS weights) r={r} m={m_lin}: test NRMSE "
          f"{rep_lin.reduced_nrmse:.4f}, stable {rep_lin.stable}")

    # ---- per-step time of a run: all models timed in turns, round by round ------------------
    uu = np.random.default_rng(1).uniform(0, 0.5, (args.steps, 1))
    esn = est.reservoir_
    T = args.steps
    kern = _fast_csr_kernel()
    W = esn.W_
    x0 = np.zeros(N)
    ref = esn.run(uu[:500])
    alt = kern(W.indptr, W.indices, W.data, np.ascontiguousarray(esn.input_projection(uu[:500])),
               x0, float(esn.leak_rate))
    assert np.allclose(ref, alt, atol=1e-10), "local CSR kernel disagrees with ESN.run"
    t = _timing.interleaved_times(
        {"full_rcpod": lambda: esn.run(uu),
         "full_fast": lambda: kern(W.indptr, W.indices, W.data,
                                   np.ascontiguousarray(esn.input_projection(uu)), x0,
                                   float(esn.leak_rate)),
         "deim": lambda: red.reservoir_.run(uu),
         "pod": lambda: pod_only.reservoir_.run(uu),
         "lin": lambda: lin.reservoir_.run(uu)},
        args.repeats, min_sample_s=args.min_sample)
    t = {k: _timing.scaled(v, 1.0 / T) for k, v in t.items()}
    t_full = _timing.per_round_min(t["full_rcpod"], t["full_fast"])  # the faster loop per round
    st = {k: _timing.ratio_stats(t_full, t[k]) for k in t}
    print("\nper-step time of run() over", T, "steps (best and median of", args.repeats,
          "interleaved rounds; ratio = full / this: best (median, min-max per round)):")
    for label, k, extra in (("full ESN, rcpod CSR loop", "full_rcpod", ""),
                            ("full ESN, fastmath CSR loop", "full_fast", ""),
                            (f"POD-Galerkin r={r}", "pod", ""),
                            (f"POD-DEIM r={r} m={m}", "deim", "   (goal >= 20x)"),
                            (f"OW lin. Q-DEIM r={r} m={m_lin}", "lin", "")):
        ratio = (f"   ratio {_timing.ratio_cell(_timing.fmt_x(st[k]['best']), st[k])}"
                 if k not in ("full_rcpod", "full_fast") else "")
        print(f"  {label:<30} {min(t[k]) * 1e6:9.2f} us  (median {_median(t[k]) * 1e6:9.2f})"
              f"{ratio}{extra}")

    # ---- distance to the counted-flop limit --------------------------------------------------
    flops_full, flops_deim = reduction.step_flops(esn), reduction.step_flops(red.reservoir_)
    limit = flops_full / flops_deim
    print(f"\ncounted flops per step (rcpod.reduction.step_flops): full {flops_full}, POD-DEIM "
          f"{flops_deim}: counted ratio {limit:.1f}x; measured {st['deim']['best']:.1f}x = "
          f"{st['deim']['best'] / limit:.2f} x the counted ratio. Achieved: full "
          f"{flops_full / min(t_full) / 1e9:.2f} GFlop/s, POD-DEIM "
          f"{flops_deim / min(t['deim']) / 1e9:.2f} GFlop/s")

    # ---- the reduced kernels against the counted-flop limit --------------------------------
    krows, kflops = kernel_rows(red.reservoir_, uu, args.repeats, args.min_sample)
    print(f"\nreduced loop (POD-DEIM r={r} m={m}, {kflops} counted "
          "flops per step) against the counted-flop limit (the counted flops at a one-thread "
          "GEMM's rate of the same dtype, measured now):")
    print("  " + " | ".join(KERNEL_COLUMNS))
    for row in krows:
        print("  " + " | ".join(str(c) for c in row))

    # ---- python step() calls (protocol overhead) -------------------------------------------
    def loop(res, n=2000):
        s = res.initial_state()
        for k in range(n):
            s = res.step(s, uu[k])
    ts = _timing.interleaved_times({"full": lambda: loop(esn),
                                    "red": lambda: loop(red.reservoir_)}, args.repeats)
    ts = {k: _timing.scaled(v, 1.0 / 2000) for k, v in ts.items()}
    st_step = _timing.ratio_stats(ts["full"], ts["red"])
    print(f"\nstep() from Python: full {min(ts['full']) * 1e6:.1f} us, POD-DEIM "
          f"{min(ts['red']) * 1e6:.1f} us, ratio "
          f"{_timing.ratio_cell(_timing.fmt_x(st_step['best']), st_step)}")
    t_full_rcpod, t_full_fast = min(t["full_rcpod"]), min(t["full_fast"])
    summary = {"n_units": N, "rank": r, "points": m, "density": args.density,
               "nnz": int(est.reservoir_.W_.nnz), "fit_s": t_fit, "reduce_s": t_red,
               "full_nrmse": float(rep.full_nrmse), "reduced_nrmse": float(rep.reduced_nrmse),
               "test_state_error": float(rep.test_state_error), "stable": bool(rep.stable),
               "full_rcpod_step_s": t_full_rcpod, "full_fastmath_step_s": t_full_fast,
               "pod_step_s": min(t["pod"]), "deim_step_s": min(t["deim"]),
               "deim_ratio": st["deim"]["best"], "deim_ratio_stats": st["deim"],
               "pod_ratio": st["pod"]["best"], "pod_ratio_stats": st["pod"],
               "python_step_full_s": min(ts["full"]), "python_step_deim_s": min(ts["red"]),
               "python_step_ratio_stats": st_step, "lin_points": m_lin,
               "lin_step_s": min(t["lin"]), "lin_ratio": st["lin"]["best"],
               "lin_ratio_stats": st["lin"], "lin_nrmse": float(rep_lin.reduced_nrmse),
               "lin_stable": bool(rep_lin.stable), "step_flops_full": flops_full,
               "step_flops_deim": flops_deim, "counted_ratio": limit,
               "kernel_columns": KERNEL_COLUMNS, "kernel_rows": krows,
               "step_times_s": {k: v for k, v in t.items()}}
    steps = [(f"full ESN N={N}, rcpod CSR loop", t["full_rcpod"], st["full_rcpod"]),
             (f"full ESN N={N}, fastmath CSR loop", t["full_fast"], st["full_fast"]),
             (f"POD-Galerkin r={r}", t["pod"], st["pod"]),
             (f"POD-DEIM r={r} m={m}", t["deim"], st["deim"]),
             (f"output-weighted linearised Q-DEIM, LS weights, r={r} m={m_lin}", t["lin"],
              st["lin"]),
             (f"step() from Python: full N={N}", ts["full"], None),
             (f"step() from Python: POD-DEIM r={r} m={m}", ts["red"], st_step)]
    notes = [f"ESN N={N} (density {args.density}, nnz {est.reservoir_.W_.nnz}) fitted on NARMA10 "
             f"(3000 steps, {t_fit:.2f} s), reduced by POD-Q-DEIM r={r} m={m} ({t_red:.2f} s). "
             f"NARMA10 test NRMSE full {rep.full_nrmse:.4f}, reduced {rep.reduced_nrmse:.4f}; "
             f"state error {rep.test_state_error:.2e}; stable {rep.stable}.",
             "Full ESN time = the faster of its two compiled loops in each round; the step() "
             "rows time Python calls of step() (ratio full / reduced)."]

    def finish(casadi_rows):
        load_after = _timing.load_snapshot()
        entries = [_timing.goal_entry(GOAL_KEY, f"POD-DEIM r={r} m={m} run() per step vs the "
                                                "full ESN: >= 20x", st["deim"], 20.0,
                                      load=_timing.verdict_load(load_before, load_after))]
        result = _result(args, argv, info, summary, steps, casadi_rows, notes, entries,
                         (load_before, load_after))
        result["tables"].insert(1, {
            "title": f"Reduced loop POD-DEIM r={r} m={m} against the counted-flop limit "
                     f"({flops_deim} flops per step at a one-thread GEMM's rate, same dtype); "
                     "batched: one series per numba thread, time per step of one series",
            "columns": KERNEL_COLUMNS, "rows": krows})
        print("\n" + _timing.markdown_table(result["tables"][-1]))
        print(f"\nload average after: {_timing.load_text(load_after)}")
        print(f"goal ({GOAL}): {result['goals'][GOAL_KEY]}")
        print(_timing.VERDICT_RULE)
        return result

    # ---- CasADi closed loop -----------------------------------------------------------------
    try:
        import casadi as ca
    except ImportError:
        print("\ncasadi not installed: skipping the CasADi benchmark (pip install rcpod[mpc]).")
        notes.append("casadi not installed: CasADi benchmark skipped.")
        return finish([])
    H = args.horizon
    print(f"\nCasADi {H}-step rollout (x0, u[0..{H - 1}]) -> y[0..{H - 1}] and dY/dU:")
    funcs, outputs = {}, {}
    n_eval = 20
    for name, model in (("full", est), ("POD-DEIM", red)):
        f = reduction.to_casadi(model)
        n = model.reservoir_.n_states_
        x0s, U = ca.MX.sym("x0", n), ca.MX.sym("U", 1, H)
        x, ys = x0s, []
        for k in range(H):
            x, yk = f(x, U[:, k])
            ys.append(yk)
        Y = ca.horzcat(*ys)
        roll = ca.Function("roll", [x0s, U], [Y, ca.jacobian(Y, U)])
        z0 = model.reservoir_.run(u[:200])[-1]  # state after a warm-up on measured inputs
        Uv = uu[:H, 0][None, :]
        variants = {"MX": roll}
        if n <= 200:
            variants["SX (expanded)"] = roll.expand()
        for vname, fn in variants.items():
            outputs[(name, vname)] = np.array(fn(z0, Uv)[0])
            funcs[(name, vname)] = (lambda fn=fn, z0=z0, Uv=Uv:
                                    [fn(z0, Uv) for _ in range(n_eval)])
    tc = _timing.interleaved_times(funcs, args.casadi_repeats)
    tc = {k: _timing.scaled(v, 1.0 / n_eval) for k, v in tc.items()}
    for (name, vname), times in tc.items():
        print(f"  {name:9s} {vname:14s} {min(times) * 1e3:9.3f} ms per rollout + Jacobian "
              f"(median {_median(times) * 1e3:.3f})")
    best_full = _timing.per_round_min(*[v for k, v in tc.items() if k[0] == "full"])
    best_red = _timing.per_round_min(*[v for k, v in tc.items() if k[0] == "POD-DEIM"])
    st_ca = _timing.ratio_stats(best_full, best_red)
    y_diff = float(np.max(np.abs(outputs[("full", "MX")] - outputs[("POD-DEIM", "MX")])))
    ca_text = _timing.ratio_cell(_timing.fmt_x(st_ca["best"]), st_ca)
    print(f"  ratio (best full / best reduced): {ca_text};  "
          f"max |y_full - y_red| over the rollout {y_diff:.2e}")
    summary["casadi_ratio"] = st_ca["best"]
    summary["casadi_ratio_stats"] = st_ca
    summary["casadi_max_abs_output_diff"] = y_diff
    notes.append(f"CasADi rollout + Jacobian: best full / best reduced = {ca_text}; "
                 f"max |y_full - y_red| over the rollout {y_diff:.2e}.")
    return finish([(k[0], k[1], v) for k, v in tc.items()])


if __name__ == "__main__":
    main()
