"""Benchmark (issue 2): rcpod's ESN against reservoirpy 0.4 on the same reservoirs -- run time of
one series, throughput of 32 series, fit + predict, and the peak memory of a 10^6-step fit.

Usage::

    python benchmarks/bench_esn.py --json esn_bench.json           # full: N = 100 ... 2000
    python benchmarks/bench_esn.py --quick --json esn_quick.json    # smaller sizes, ~1-2 min
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_esn.py ...
        # if those variables are set on this machine: they slow a current OpenBLAS down

What is timed (wall clock, best of ``--repeats`` runs, rcpod and reservoirpy runs interleaved so
that a change of machine load hits both):

* one series: ``Reservoir.run(u)`` (after ``reset()``) against ``ESN.run(u)``, where the ESN is
  ``ESN.from_weights(res.W, res.Win, res.bias, leak_rate=lr)`` of that very reservoirpy
  ``Reservoir`` (1 input, recurrent density 0.1). The largest state difference is reported too.
* 32 series: reservoirpy's run of a (32, T, 1) array, sequentially (``workers=1``) and with joblib
  processes (``workers=-1``), whichever is faster, against one batched 3-D ``ESN.run``. For
  large N the series are shortened so that the 32 state arrays stay near 1.5 GB (the step count
  is in the table; the ratio is a per-step throughput).
* fit + predict: ``(Reservoir >> Ridge(ridge)).fit(u, y, warmup)`` then ``run(u)`` against
  ``ReservoirRegressor(ESN.from_weights(...), RidgeReadout(alpha=ridge), washout).fit(u, y)``
  then ``predict(u)``; the largest prediction difference is reported too.
* memory: a fresh subprocess fits ``ESNRegressor(n_units=1000, density=0.1)`` on 10^6 steps and
  reports its own peak RSS (``getrusage(RUSAGE_SELF).ru_maxrss``) and the RSS after imports; the
  parent also reads ``getrusage(RUSAGE_CHILDREN)``. reservoirpy stores all states before its
  ridge fit (10^6 x 1000 doubles = 8 GB), which this shared 24 GB machine should not be asked
  for by default: it is measured at ``--rpy-memory-steps`` (default 10^5) steps and extrapolated
  linearly; ``--rpy-memory-steps 1000000`` runs the real thing.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time

import numpy as np


GOALS = ("one series: >= 3x faster than reservoirpy at N = 100 and never slower at N >= 500; "
         "32 series: >= 8x throughput at N = 500; 10^6-step fit at N = 1000: peak RSS < 1 GB")


# -- machine ------------------------------------------------------------------------------------
def machine_info():
    import numba
    import scipy
    import sklearn
    cpu = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo") as fh:
            cpu = next(line.split(":", 1)[1].strip() for line in fh
                       if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    try:
        with open("/proc/meminfo") as fh:
            mem_gb = int(fh.readline().split()[1]) / 2**20
    except (OSError, ValueError, IndexError):
        mem_gb = float("nan")
    info = {"cpu": cpu, "nproc": len(os.sched_getaffinity(0)), "memory_gb": round(mem_gb, 1),
            "platform": platform.platform(), "python": platform.python_version(),
            "numpy": np.__version__, "scipy": scipy.__version__, "numba": numba.__version__,
            "scikit-learn": sklearn.__version__, "numba_threads": numba.get_num_threads(),
            "env": {k: os.environ.get(k, "unset") for k in
                    ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OMP_NUM_THREADS",
                     "NUMBA_NUM_THREADS")}}
    try:
        import reservoirpy
        info["reservoirpy"] = reservoirpy.__version__
    except ImportError:
        info["reservoirpy"] = "not installed"
    try:
        from threadpoolctl import threadpool_info
        info["blas"] = [{k: p.get(k) for k in ("internal_api", "version", "architecture",
                                                "num_threads")} for p in threadpool_info()]
    except ImportError:
        info["blas"] = "threadpoolctl not installed"
    return info


def load_average():
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except OSError:
        return None


# -- timing -------------------------------------------------------------------------------------
def interleaved_best(fns, repeats, budget_s):
    """Best wall time of each callable in ``fns`` (dict name -> fn), run in turns.

    Stops after ``repeats`` rounds, or earlier (after at least one) once ``budget_s`` is spent.
    """
    best = {k: np.inf for k in fns}
    start = time.perf_counter()
    for _ in range(repeats):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            best[name] = min(best[name], time.perf_counter() - t0)
        if time.perf_counter() - start > budget_s:
            break
    return best


def make_pair(n_units, lr, seed):
    """A reservoirpy Reservoir and the rcpod ESN with its W, Win and bias."""
    from reservoirpy.nodes import Reservoir

    from rcpod.reservoir import ESN
    res = Reservoir(n_units, lr=lr, sr=0.9, rc_connectivity=0.1, input_connectivity=0.1,
                    seed=seed)
    res.initialize(np.zeros((1, 1)))
    esn = ESN.from_weights(res.W, res.Win, res.bias, leak_rate=lr)
    return res, esn


def task(T, seed):
    """Input u (T, 1) uniform in [-1, 1] and target y = a nonlinear mix of delayed inputs."""
    u = np.random.default_rng(seed).uniform(-1, 1, (T, 1))
    y = np.tanh(np.roll(u[:, 0], 3) + 0.5 * np.roll(u[:, 0], 7) ** 2)
    return u, y


def bench_size(n_units, args):
    from reservoirpy.nodes import Reservoir, Ridge

    from rcpod.reservoir import ReservoirRegressor, RidgeReadout
    res, esn = make_pair(n_units, args.leak_rate, args.seed)
    T = args.steps
    u, y = task(T, args.seed)
    row = {"n_units": n_units, "nnz": int(res.W.nnz), "steps": T}

    # warm-up (compilation of every kernel used below)
    esn.run(u[:10])
    esn.run(np.zeros((32, 5, 1)))

    # one series
    def rpy_single():
        res.reset()
        return res.run(u)
    t = interleaved_best({"rpy": rpy_single, "ours": lambda: esn.run(u)},
                         args.repeats, args.budget)
    row["single_rpy_s"], row["single_ours_s"] = t["rpy"], t["ours"]
    row["single_speedup"] = t["rpy"] / t["ours"]
    row["max_abs_state_diff"] = float(np.max(np.abs(rpy_single() - esn.run(u))))

    # 32 series
    T32 = int(min(T, max(100, args.batch_bytes // (32 * n_units * 8))))
    U = np.random.default_rng(args.seed + 1).uniform(-1, 1, (32, T32, 1))
    res.run(U[:2, :5], workers=-1)  # start the joblib process pool before timing

    def rpy_batch(workers):
        def run():
            res.reset()
            return res.run(U, workers=workers)
        return run
    t = interleaved_best({"rpy_w1": rpy_batch(1), "rpy_wall": rpy_batch(-1),
                          "ours": lambda: esn.run(U)}, args.batch_repeats, args.budget)
    mode = "workers=1" if t["rpy_w1"] <= t["rpy_wall"] else "workers=-1"
    row.update({"batch_steps": T32, "batch_rpy_workers1_s": t["rpy_w1"],
                "batch_rpy_workers_all_s": t["rpy_wall"], "batch_rpy_s": min(t["rpy_w1"],
                                                                             t["rpy_wall"]),
                "batch_rpy_mode": mode, "batch_ours_s": t["ours"]})
    row["batch_speedup"] = row["batch_rpy_s"] / row["batch_ours_s"]
    check = esn.run(U[:3, :200])
    res.reset()
    row["batch_max_abs_state_diff"] = float(np.max(np.abs(np.asarray(res.run(U[:3, :200]))
                                                          - check)))

    # fit + predict
    preds = {}

    def rpy_fit_predict():
        node = Reservoir(W=res.W, Win=res.Win, bias=res.bias, lr=args.leak_rate)
        model = node >> Ridge(ridge=args.ridge)
        model.fit(u, y[:, None], warmup=args.washout)
        model.reset()
        preds["rpy"] = model.run(u)

    def ours_fit_predict():
        model = ReservoirRegressor(esn, RidgeReadout(alpha=args.ridge), washout=args.washout)
        preds["ours"] = model.fit(u, y).predict(u)
    t = interleaved_best({"rpy": rpy_fit_predict, "ours": ours_fit_predict},
                         args.repeats, args.budget)
    row.update({"fit_rpy_s": t["rpy"], "fit_ours_s": t["ours"],
                "fit_speedup": t["rpy"] / t["ours"],
                "max_abs_prediction_diff": float(np.max(np.abs(preds["rpy"][:, 0]
                                                               - preds["ours"])))})
    return row


# -- memory (runs in a child process) -----------------------------------------------------------
def memory_child(which, n_units, steps, seed):
    """Fit on ``steps`` steps in this (fresh) process; print peak RSS as one JSON line."""
    import gc
    if which == "ours":
        from rcpod.reservoir import ESNRegressor
    else:
        from reservoirpy.nodes import Reservoir, Ridge
    gc.collect()
    base_kb = _current_rss_kb()
    u, y = task(steps, seed)
    t0 = time.perf_counter()
    if which == "ours":
        model = ESNRegressor(n_units=n_units, spectral_radius=0.9, density=0.1, washout=100,
                             random_state=seed).fit(u, y)
        n_seen = model.readout_.n_samples_seen_
    else:
        model = Reservoir(n_units, sr=0.9, rc_connectivity=0.1, seed=seed) >> Ridge(ridge=1e-6)
        model.fit(u, y[:, None], warmup=100)
        n_seen = steps - 100
    elapsed = time.perf_counter() - t0
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"which": which, "n_units": n_units, "steps": steps, "fit_s": elapsed,
                      "samples_fitted": int(n_seen), "rss_after_imports_mb": base_kb / 1024,
                      "peak_rss_mb": peak_kb / 1024}))


def _current_rss_kb():
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def run_memory_child(which, n_units, steps, seed, blas_threads=None):
    cmd = [sys.executable, os.path.abspath(__file__), "--memory-child", which,
           "--memory-units", str(n_units), "--memory-steps", str(steps), "--seed", str(seed)]
    if blas_threads:
        cmd += ["--blas-threads", str(blas_threads)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return {"which": which, "steps": steps, "error": done.stderr.strip()[-2000:]}
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["ru_maxrss_children_mb"] = (
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)
    return result


# -- report -------------------------------------------------------------------------------------
def goals(rows, memory):
    by_n = {r["n_units"]: r for r in rows}
    out = {}
    if 100 in by_n:
        out["single_N100_>=3x"] = by_n[100]["single_speedup"] >= 3.0
    big = [r for r in rows if r["n_units"] >= 500]
    if big:
        out["single_N>=500_not_slower"] = all(r["single_speedup"] >= 1.0 for r in big)
    if 500 in by_n:
        out["batch32_N500_>=8x"] = by_n[500]["batch_speedup"] >= 8.0
    ours = memory.get("ours", {})
    if "peak_rss_mb" in ours:
        key = f"fit_{ours['steps']:.0e}_steps_N{ours['n_units']}_<1GB"
        out[key] = ours["peak_rss_mb"] < 1024
    return out


def markdown(rows, memory):
    lines = ["| N | nnz | 1 series: reservoirpy s | rcpod s | speed-up | 32 series: steps "
             "| reservoirpy s (mode) | rcpod s | throughput ratio | fit+predict: reservoirpy s "
             "| rcpod s | speed-up | max abs state diff |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(
            f"| {r['n_units']} | {r['nnz']} | {r['single_rpy_s']:.3f} | {r['single_ours_s']:.4f} "
            f"| **{r['single_speedup']:.1f}x** | {r['batch_steps']} | {r['batch_rpy_s']:.2f} "
            f"({r['batch_rpy_mode']}) | {r['batch_ours_s']:.3f} | **{r['batch_speedup']:.1f}x** "
            f"| {r['fit_rpy_s']:.3f} | {r['fit_ours_s']:.3f} | **{r['fit_speedup']:.1f}x** "
            f"| {r['max_abs_state_diff']:.1e} |")
    lines += ["", "| peak memory of a fit | steps | N | peak RSS MB | RSS after imports MB "
              "| fit s | note |", "|---|---:|---:|---:|---:|---:|---|"]
    for name, m in memory.items():
        if "error" in m:
            lines.append(f"| {name} | {m['steps']} | | | | | failed: "
                         f"{m['error'].splitlines()[-1] if m['error'] else '?'} |")
        elif "peak_rss_mb" in m:
            lines.append(f"| {name} | {m['steps']} | {m['n_units']} | {m['peak_rss_mb']:.0f} "
                         f"| {m['rss_after_imports_mb']:.0f} | {m['fit_s']:.1f} "
                         f"| {m.get('note', '')} |")
    return "\n".join(lines)


def tables(rows, memory):
    """The measured numbers as report tables (``{"title", "columns", "rows"}``)."""
    speed = {"title": "ESN speed: reservoirpy time / rcpod time on the same reservoirs (best of "
                      "repeats, wall clock)",
             "columns": ["N", "nnz", "steps", "1 series: reservoirpy s", "rcpod s", "speed-up",
                         "32 series: steps", "reservoirpy s (mode)", "rcpod s",
                         "throughput ratio", "fit+predict: reservoirpy s", "rcpod s",
                         "speed-up", "max abs state diff"],
             "rows": [[r["n_units"], r["nnz"], r["steps"], round(r["single_rpy_s"], 4),
                       round(r["single_ours_s"], 5), f"{r['single_speedup']:.1f}x",
                       r["batch_steps"], f"{r['batch_rpy_s']:.3f} ({r['batch_rpy_mode']})",
                       round(r["batch_ours_s"], 4), f"{r['batch_speedup']:.1f}x",
                       round(r["fit_rpy_s"], 4), round(r["fit_ours_s"], 4),
                       f"{r['fit_speedup']:.1f}x", f"{r['max_abs_state_diff']:.1e}"]
                      for r in rows]}
    mem_rows = []
    for name, m in memory.items():
        if "error" in m:
            err = m["error"].splitlines()[-1] if m["error"] else "?"
            mem_rows.append([name, m["steps"], "", "", "", "", f"failed: {err}"])
        elif "peak_rss_mb" in m:
            mem_rows.append([name, m["steps"], m["n_units"], round(m["peak_rss_mb"]),
                             round(m["rss_after_imports_mb"]), round(m["fit_s"], 1),
                             m.get("note", "")])
    mem = {"title": "Peak memory of one ESN fit (fresh subprocess, getrusage ru_maxrss)",
           "columns": ["library", "steps", "N", "peak RSS MB", "RSS after imports MB", "fit s",
                       "note"], "rows": mem_rows}
    return [speed, mem]


def command_line(argv):
    """The command that reruns this benchmark alone with the same arguments."""
    args = sys.argv[1:] if argv is None else list(argv)
    return " ".join(["python", "benchmarks/bench_esn.py"] + [str(a) for a in args])


def main(argv=None):
    """Run the benchmark, print its tables and return the results as a dict.

    The dict holds ``tables`` (report tables), ``goals`` (goal name -> met), ``notes``,
    ``command``, ``machine``, ``results`` (one dict per N), ``memory`` and ``config``; with
    ``--json`` the same dict is written to that file. With ``--memory-child`` (internal) it
    returns None after printing the child's JSON line.
    """
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help="N = 100, 500, 1000 with 2000 steps; memory fit on 2e5 steps")
    ap.add_argument("--sizes", type=int, nargs="+", default=None)
    ap.add_argument("--steps", type=int, default=None)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--batch-repeats", type=int, default=2)
    ap.add_argument("--budget", type=float, default=60.0,
                    help="seconds after which a measurement stops repeating")
    ap.add_argument("--batch-bytes", type=float, default=1.5e9,
                    help="caps the steps of the 32-series runs: 32 * steps * N * 8 <= this")
    ap.add_argument("--leak-rate", type=float, default=0.5)
    ap.add_argument("--ridge", type=float, default=1e-6)
    ap.add_argument("--washout", type=int, default=100)
    ap.add_argument("--memory-units", type=int, default=1000)
    ap.add_argument("--memory-steps", type=int, default=None)
    ap.add_argument("--rpy-memory-steps", type=int, default=None,
                    help="steps of reservoirpy's memory fit (0: skip); default 1e5 (2e4 quick)")
    ap.add_argument("--blas-threads", type=int, default=None,
                    help="limit BLAS threads (threadpoolctl) for everything timed, both "
                         "libraries; on a loaded machine a 2-thread OpenBLAS can make the "
                         "ridge solve of both 50x slower")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", default=None, help="write all numbers to this JSON file")
    ap.add_argument("--memory-child", choices=["ours", "reservoirpy"], help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.blas_threads:
        import scipy.linalg  # noqa: F401  (load every BLAS first: limits apply to loaded ones)
        import sklearn.linear_model  # noqa: F401
        from threadpoolctl import threadpool_limits

        import rcpod.reservoir  # noqa: F401
        threadpool_limits(limits=args.blas_threads, user_api="blas")

    if args.memory_child:
        memory_child(args.memory_child, args.memory_units, args.memory_steps, args.seed)
        return None

    sizes = args.sizes or ([100, 500, 1000] if args.quick else [100, 500, 1000, 2000])
    args.steps = args.steps or (2000 if args.quick else 10000)
    if args.quick:
        args.batch_bytes = min(args.batch_bytes, 2.6e8)
    mem_steps = args.memory_steps or (200_000 if args.quick else 1_000_000)
    rpy_mem_steps = (args.rpy_memory_steps if args.rpy_memory_steps is not None
                     else (20_000 if args.quick else 100_000))

    info = machine_info()
    command = command_line(argv)
    print(f"# ESN benchmark: rcpod vs reservoirpy\ncommand: {command}")
    print(f"machine: {info['cpu']}, nproc={info['nproc']}, {info['memory_gb']} GB; "
          f"{info['platform']}")
    print("versions: " + ", ".join(f"{k} {info[k]}" for k in
                                   ("python", "numpy", "scipy", "numba", "scikit-learn",
                                    "reservoirpy")))
    print(f"BLAS: {info['blas']}; numba threads: {info['numba_threads']}; env: {info['env']}; "
          f"--blas-threads: {args.blas_threads or 'not limited'}")
    load_before = load_average()
    print(f"load average before: {load_before}")
    print(f"config: sizes={sizes}, steps={args.steps}, leak_rate={args.leak_rate}, "
          f"density=0.1, 1 input, ridge={args.ridge}, washout={args.washout}, "
          f"repeats={args.repeats}/{args.batch_repeats} (best of), seed={args.seed}\n",
          flush=True)

    # memory first, before any joblib worker exists (they would count as children too)
    memory = {"ours": run_memory_child("ours", args.memory_units, mem_steps, args.seed,
                                       args.blas_threads)}
    if rpy_mem_steps:
        m = run_memory_child("reservoirpy", args.memory_units, rpy_mem_steps, args.seed,
                             args.blas_threads)
        if "peak_rss_mb" in m and rpy_mem_steps < mem_steps:
            states = m["peak_rss_mb"] - m["rss_after_imports_mb"]
            m["extrapolated_peak_rss_mb"] = (m["rss_after_imports_mb"]
                                             + states * mem_steps / rpy_mem_steps)
            m["note"] = (f"not run at {mem_steps:.0e} steps (stores all states, "
                         f"{mem_steps * args.memory_units * 8 / 1e9:.0f} GB); linear "
                         f"extrapolation: {m['extrapolated_peak_rss_mb'] / 1024:.1f} GB")
        memory["reservoirpy"] = m
    for name, m in memory.items():
        print(f"memory {name}: {m}", flush=True)

    rows = []
    for n in sizes:
        row = bench_size(n, args)
        rows.append(row)
        print(f"N={n}: one series {row['single_speedup']:.1f}x, 32 series "
              f"{row['batch_speedup']:.1f}x, fit+predict {row['fit_speedup']:.1f}x "
              f"(load {load_average()})", flush=True)

    load_after = load_average()
    met = goals(rows, memory)
    print("\n" + markdown(rows, memory) + "\n")
    print(f"load average after: {load_after}")
    print(f"goals ({GOALS}):")
    for k, v in met.items():
        print(f"  {k}: {'MET' if v else 'NOT MET'}")
    result = {"command": command, "machine": info, "load_average_before": load_before,
              "load_average_after": load_after, "goals": met, "results": rows,
              "memory": memory, "config": {k: v for k, v in vars(args).items()
                                           if k != "memory_child"},
              "tables": tables(rows, memory),
              "notes": [f"Goals: {GOALS}."] + [f"{k}: {'MET' if v else 'NOT MET'}"
                                                 for k, v in met.items()]}
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(result, fh, indent=2, default=float)
        print(f"wrote {args.json}")
    return result


if __name__ == "__main__":
    main()
    sys.exit(0)
