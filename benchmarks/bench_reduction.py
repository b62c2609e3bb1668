"""Benchmark: per-step cost of a POD-DEIM reduced ESN against the full ESN, and the cost of
CasADi closed-loop evaluations (rollout + Jacobian) of the reduced vs the full step.

Usage::

    python benchmarks/bench_reduction.py                    # N=1000, r=50, m=100
    python benchmarks/bench_reduction.py --quick            # the same with 5000 steps
    python benchmarks/bench_reduction.py --n-units 500 --rank 25 --points 50

Both models are timed in their fastest implementation:

* full ESN: rcpod's compiled CSR loop (``ESN(backend="numba")``) and, as a second candidate, a
  local CSR loop compiled with reassociation allowed (``fastmath``); the faster one counts;
* reduced: ``DEIMReservoir.run`` (compiled loop, A z as contiguous axpy, reassociation allowed).

Per-step time = best of ``--repeats`` runs over ``--steps`` steps, divided by the steps (the input
projections for the whole sequence are part of the timed run for both).
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



def machine_info():
    import numba
    import scipy
    cpu = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
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


def best_time(fn, repeats):
    fn()  # warm-up / compile
    best = np.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


GOAL = "POD-DEIM run() per step >= 20x faster than the full ESN's fastest compiled loop"


def command_line(argv):
    """The command that reruns this benchmark alone with the same arguments."""
    args = sys.argv[1:] if argv is None else list(argv)
    return " ".join(["python", "benchmarks/bench_reduction.py"] + [str(a) for a in args])


def _result(args, argv, info, model, steps, casadi_rows, notes):
    """The result dict: report tables, goals, notes and the raw numbers."""
    step_rows = [[name, round(t * 1e6, 3), f"{ratio:.1f}x" if ratio is not None else ""]
                 for name, t, ratio in steps]
    tables = [{"title": f"Reduced vs full ESN: per-step time of run() over {args.steps} steps "
                        f"(best of {args.repeats}); ratio = full ESN time / this time",
               "columns": ["model", "us per step", "ratio"], "rows": step_rows}]
    if casadi_rows:
        tables.append({"title": f"CasADi {args.horizon}-step rollout + Jacobian dY/dU "
                                "(best of 3 x 20 evaluations)",
                       "columns": ["model", "expression graph", "ms per evaluation"],
                       "rows": [[m, v, round(t * 1e3, 4)] for m, v, t in casadi_rows]})
    return {"command": command_line(argv), "machine": info, "model": model,
            "goals": {"pod_deim_per_step_>=20x": model["deim_ratio"] >= 20.0},
            "config": dict(vars(args)), "tables": tables,
            "notes": notes + [f"Goal: {GOAL}: "
                              + ("MET" if model["deim_ratio"] >= 20.0 else "NOT MET")
                              + f" ({model['deim_ratio']:.1f}x)."]}


def main(argv=None):
    """Run the benchmark, print its numbers and return the results as a dict.

    The dict holds ``tables`` (report tables), ``goals``, ``notes``, ``command``, ``machine``,
    ``model`` (sizes, errors and per-step times) and ``config``.
    """
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help="5000 steps (unless --steps is given)")
    ap.add_argument("--n-units", type=int, default=1000)
    ap.add_argument("--rank", type=int, default=50)
    ap.add_argument("--points", type=int, default=100)
    ap.add_argument("--density", type=float, default=0.1)
    ap.add_argument("--steps", type=int, default=None, help="default 20000 (quick 5000)")
    ap.add_argument("--repeats", type=int, default=5, help="best of this many runs (default 5)")
    ap.add_argument("--horizon", type=int, default=20)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    if args.steps is None:
        args.steps = 5000 if args.quick else 20000
    if args.repeats < 1:
        ap.error("--repeats must be >= 1")

    from rcpod.reservoir import ESNRegressor
    from rcpod.reservoir.datasets import narma
    from rcpod import reduction

    info = machine_info()
    print("command:", command_line(argv))
    print("machine:", info)
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

    # ---- per-step time of a run -----------------------------------------------------------
    uu = np.random.default_rng(1).uniform(0, 0.5, (args.steps, 1))
    esn = est.reservoir_
    T = args.steps
    t_full_rcpod = best_time(lambda: esn.run(uu), args.repeats) / T
    kern = _fast_csr_kernel()
    W = esn.W_
    x0 = np.zeros(N)
    t_full_fast = best_time(lambda: kern(W.indptr, W.indices, W.data,
                                         np.ascontiguousarray(esn.input_projection(uu)), x0,
                                         float(esn.leak_rate)), args.repeats) / T
    ref = esn.run(uu[:500])
    alt = kern(W.indptr, W.indices, W.data, np.ascontiguousarray(esn.input_projection(uu[:500])),
               x0, float(esn.leak_rate))
    assert np.allclose(ref, alt, atol=1e-10), "local CSR kernel disagrees with ESN.run"
    t_full = min(t_full_rcpod, t_full_fast)
    t_deim = best_time(lambda: red.reservoir_.run(uu), args.repeats) / T
    t_pod = best_time(lambda: pod_only.reservoir_.run(uu), args.repeats) / T
    t_lin = best_time(lambda: lin.reservoir_.run(uu), args.repeats) / T
    print("\nper-step time of run() over", T, "steps (best of", args.repeats, "):")
    print(f"  full ESN, rcpod CSR loop      {t_full_rcpod * 1e6:9.2f} us")
    print(f"  full ESN, fastmath CSR loop   {t_full_fast * 1e6:9.2f} us")
    print(f"  POD-Galerkin r={r:<4d}          {t_pod * 1e6:9.2f} us   ratio {t_full / t_pod:6.1f}x")
    print(f"  POD-DEIM r={r} m={m:<4d}        {t_deim * 1e6:9.2f} us   ratio "
          f"{t_full / t_deim:6.1f}x   (goal >= 20x)")
    print(f"  OW lin. Q-DEIM r={r} m={m_lin:<4d}  {t_lin * 1e6:9.2f} us   ratio "
          f"{t_full / t_lin:6.1f}x")

    # ---- python step() calls (protocol overhead) -------------------------------------------
    def loop(res, n=2000):
        s = res.initial_state()
        for k in range(n):
            s = res.step(s, uu[k])
    t_step_full = best_time(lambda: loop(esn), 3) / 2000
    t_step_red = best_time(lambda: loop(red.reservoir_), 3) / 2000
    print(f"\nstep() from Python: full {t_step_full * 1e6:.1f} us, POD-DEIM "
          f"{t_step_red * 1e6:.1f} us, ratio {t_step_full / t_step_red:.1f}x")
    summary = {"n_units": N, "rank": r, "points": m, "density": args.density,
             "nnz": int(est.reservoir_.W_.nnz), "fit_s": t_fit, "reduce_s": t_red,
             "full_nrmse": float(rep.full_nrmse), "reduced_nrmse": float(rep.reduced_nrmse),
             "test_state_error": float(rep.test_state_error), "stable": bool(rep.stable),
             "full_rcpod_step_s": t_full_rcpod, "full_fastmath_step_s": t_full_fast,
             "pod_step_s": t_pod, "deim_step_s": t_deim, "deim_ratio": t_full / t_deim,
             "pod_ratio": t_full / t_pod, "python_step_full_s": t_step_full,
             "python_step_deim_s": t_step_red, "lin_points": m_lin, "lin_step_s": t_lin,
             "lin_ratio": t_full / t_lin, "lin_nrmse": float(rep_lin.reduced_nrmse),
             "lin_stable": bool(rep_lin.stable)}
    steps = [(f"full ESN N={N}, rcpod CSR loop", t_full_rcpod, t_full / t_full_rcpod),
             (f"full ESN N={N}, fastmath CSR loop", t_full_fast, t_full / t_full_fast),
             (f"POD-Galerkin r={r}", t_pod, t_full / t_pod),
             (f"POD-DEIM r={r} m={m}", t_deim, t_full / t_deim),
             (f"output-weighted linearised Q-DEIM, LS weights, r={r} m={m_lin}", t_lin,
              t_full / t_lin),
             (f"step() from Python: full N={N}", t_step_full, None),
             (f"step() from Python: POD-DEIM r={r} m={m}", t_step_red,
              t_step_full / t_step_red)]
    notes = [f"ESN N={N} (density {args.density}, nnz {est.reservoir_.W_.nnz}) fitted on NARMA10 "
             f"(3000 steps, {t_fit:.2f} s), reduced by POD-Q-DEIM r={r} m={m} ({t_red:.2f} s). "
             f"NARMA10 test NRMSE full {rep.full_nrmse:.4f}, reduced {rep.reduced_nrmse:.4f}; "
             f"state error {rep.test_state_error:.2e}; stable {rep.stable}.",
             "Full ESN time = the faster of its two compiled loops; the step() rows time "
             "Python calls of step() (ratio full / reduced)."]

    # ---- CasADi closed loop -----------------------------------------------------------------
    try:
        import casadi as ca
    except ImportError:
        print("\ncasadi not installed: skipping the CasADi benchmark (pip install rcpod[mpc]).")
        notes.append("casadi not installed: CasADi benchmark skipped.")
        return _result(args, argv, info, summary, steps, [], notes)
    H = args.horizon
    print(f"\nCasADi {H}-step rollout (x0, u[0..{H - 1}]) -> y[0..{H - 1}] and dY/dU:")
    results = {}
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
            out = fn(z0, Uv)
            n_eval = 20
            tt = best_time(lambda: [fn(z0, Uv) for _ in range(n_eval)], 3) / n_eval
            results[(name, vname)] = (tt, np.array(out[0]))
            print(f"  {name:9s} {vname:14s} {tt * 1e3:9.3f} ms per rollout + Jacobian")
    best_full = min(v[0] for k, v in results.items() if k[0] == "full")
    best_red = min(v[0] for k, v in results.items() if k[0] == "POD-DEIM")
    y_full = results[("full", "MX")][1]
    y_red = results[("POD-DEIM", "MX")][1]
    y_diff = float(np.max(np.abs(y_full - y_red)))
    print(f"  ratio (best full / best reduced): {best_full / best_red:.1f}x;  "
          f"max |y_full - y_red| over the rollout {y_diff:.2e}")
    summary["casadi_ratio"] = best_full / best_red
    summary["casadi_max_abs_output_diff"] = y_diff
    notes.append(f"CasADi rollout + Jacobian: best full / best reduced = "
                 f"{best_full / best_red:.1f}x; max |y_full - y_red| over the rollout "
                 f"{y_diff:.2e}.")
    casadi_rows = [(k[0], k[1], v[0]) for k, v in results.items()]
    return _result(args, argv, info, summary, steps, casadi_rows, notes)


if __name__ == "__main__":
    main()
