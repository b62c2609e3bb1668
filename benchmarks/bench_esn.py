"""Benchmark (issue 2): rcpod's ESN against reservoirpy 0.4 on the same reservoirs -- run time of
one series, throughput of 32 series, fit + predict, and the peak memory of a 10^6-step fit.

Usage::

    python benchmarks/bench_esn.py --json esn_bench.json           # full: N = 100 ... 2000
    python benchmarks/bench_esn.py --quick --json esn_quick.json    # smaller sizes, ~1-2 min
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_esn.py ...
        # if those variables are set on this machine: they slow a current OpenBLAS down

What is timed (wall clock; rcpod and reservoirpy runs interleaved, A, B, A, B, ..., so that a
change of machine load hits both; every round gives one ratio). Each ratio is shown as the ratio of
the best times (the headline number), with the median and the spread (min - max) of the per-round
ratios. A goal is MET only if the whole spread reaches it, NOT MET only if the whole spread is
below it, otherwise NOT MEASURABLE (the machine's load made the spread cross the goal); the load
average at start and end is printed and returned. ``--stress N`` starts N busy processes for the
run, to see this on a loaded machine. Calls shorter than ``--min-sample`` seconds are repeated
within one sample (time per call = sample / calls).

* one series: ``Reservoir.run(u)`` (after ``reset()``) against ``ESN.run(u)``, where the ESN is
  ``ESN.from_weights(res.W, res.Win, res.bias, leak_rate=lr)`` of that very reservoirpy
  ``Reservoir`` (1 input, recurrent density 0.1). The largest state difference is reported too.
* 32 series: reservoirpy's run of a (32, T, 1) array, sequentially (``workers=1``) and with joblib
  processes (``workers=-1``), whichever is faster in the first round (both are timed there; the
  later rounds time that mode only), against one batched 3-D ``ESN.run``. For
  large N the series are shortened so that the 32 state arrays stay near 1.5 GB (the step count
  is in the table; the ratio is a per-step throughput).
* fit + predict: ``(Reservoir >> Ridge(ridge)).fit(u, y, warmup)`` then ``run(u)`` against
  ``ReservoirRegressor(ESN.from_weights(...), RidgeReadout(alpha=ridge), washout).fit(u, y)``
  then ``predict(u)``; the largest prediction difference is reported too.
* memory: a freshly exec'd Python process fits ``ESNRegressor(n_units=1000, density=0.1)`` on
  10^6 steps and prints its own peak RSS, read from ``/proc/self/status`` ``VmHWM`` (per address
  space, starts afresh at exec), and the RSS after imports; the parent parses that line.
  ``getrusage`` ``ru_maxrss`` is not used: on Linux a child carries the high-water mark of the
  process it was forked from (inside examples/reproduce.py: the report's own process) across
  fork + exec. reservoirpy stores all states before its
  ridge fit (10^6 x 1000 doubles = 8 GB), which this shared 24 GB machine should not be asked
  for by default: it is measured at ``--rpy-memory-steps`` (default 10^5) steps and extrapolated
  linearly; ``--rpy-memory-steps 1000000`` runs the real thing.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time

import numpy as np

from rcpod.benchmarks import timing as _timing
from rcpod.benchmarks.machine import cpu_model, memory_gb

GOALS = ("one series: >= 3x faster than reservoirpy at N = 100 and never slower at N >= 500; "
         "32 series: >= 8x throughput at N = 500; 10^6-step fit at N = 1000: peak RSS < 1 GB")


# -- machine ------------------------------------------------------------------------------------
def machine_info():
    import numba
    import scipy
    import sklearn
    cpu, mem_gb = cpu_model(), memory_gb()
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


# -- timing -------------------------------------------------------------------------------------
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
    """Time one reservoir size; the row holds best times and ``*_stats`` of the ratios."""
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
    t = _timing.interleaved_times({"rpy": rpy_single, "ours": lambda: esn.run(u)},
                                  args.repeats, min_sample_s=args.min_sample,
                                  budget_s=args.budget)
    row["single_rpy_s"], row["single_ours_s"] = min(t["rpy"]), min(t["ours"])
    row["single_stats"] = _timing.ratio_stats(t["rpy"], t["ours"])
    row["single_speedup"] = row["single_stats"]["best"]
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

    def ours_batch():
        return esn.run(U)
    # round 1: both reservoirpy modes; later rounds: the faster one of round 1 only
    first = _timing.interleaved_times({"rpy_w1": rpy_batch(1), "rpy_wall": rpy_batch(-1),
                                       "ours": ours_batch}, 1, warmup=False)
    mode_key = "rpy_w1" if first["rpy_w1"][0] <= first["rpy_wall"][0] else "rpy_wall"
    later = _timing.interleaved_times({"rpy": rpy_batch(1 if mode_key == "rpy_w1" else -1),
                                       "ours": ours_batch}, args.batch_repeats - 1,
                                      warmup=False, budget_s=args.budget,
                                      min_repeats=args.batch_repeats - 1)
    rpy_times = first[mode_key] + (later["rpy"] if args.batch_repeats > 1 else [])
    ours_times = first["ours"] + (later["ours"] if args.batch_repeats > 1 else [])
    other = "rpy_wall" if mode_key == "rpy_w1" else "rpy_w1"
    best_mode = {mode_key: min(rpy_times), other: first[other][0]}
    row.update({"batch_steps": T32, "batch_rpy_workers1_s": best_mode["rpy_w1"],
                "batch_rpy_workers_all_s": best_mode["rpy_wall"],
                "batch_rpy_s": min(rpy_times),
                "batch_rpy_mode": "workers=1" if mode_key == "rpy_w1" else "workers=-1",
                "batch_ours_s": min(ours_times),
                "batch_stats": _timing.ratio_stats(rpy_times, ours_times)})
    row["batch_speedup"] = row["batch_stats"]["best"]
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
    t = _timing.interleaved_times({"rpy": rpy_fit_predict, "ours": ours_fit_predict},
                                  args.fit_repeats, min_sample_s=args.min_sample,
                                  budget_s=args.budget)
    row.update({"fit_rpy_s": min(t["rpy"]), "fit_ours_s": min(t["ours"]),
                "fit_stats": _timing.ratio_stats(t["rpy"], t["ours"]),
                "max_abs_prediction_diff": float(np.max(np.abs(preds["rpy"][:, 0]
                                                               - preds["ours"])))})
    row["fit_speedup"] = row["fit_stats"]["best"]
    return row


# -- memory (runs in a freshly exec'd child process) --------------------------------------------
def memory_child(which, n_units, steps, seed):
    """Fit on ``steps`` steps in this (fresh) process; print its peak RSS as one JSON line.

    The peak is ``VmHWM`` of this process (:func:`_timing.memory_report`), which starts afresh
    at exec; ``ru_maxrss`` is printed for contrast only (it may hold the parent's peak).
    """
    import gc
    if which == "ours":
        from rcpod.reservoir import ESNRegressor
    else:
        from reservoirpy.nodes import Reservoir, Ridge
    gc.collect()
    base_mb = _timing.current_rss_mb()
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
    print(json.dumps({"which": which, "n_units": n_units, "steps": steps, "fit_s": elapsed,
                      "samples_fitted": int(n_seen), "rss_after_imports_mb": base_mb,
                      "pid": os.getpid(), **_timing.memory_report()}))


def run_memory_child(which, n_units, steps, seed, blas_threads=None):
    """Peak memory of one fit, measured in a freshly exec'd Python process (its own VmHWM)."""
    cmd = [os.path.abspath(__file__), "--memory-child", which, "--memory-units", str(n_units),
           "--memory-steps", str(steps), "--seed", str(seed)]
    if blas_threads:
        cmd += ["--blas-threads", str(blas_threads)]
    result = _timing.run_fresh_python(cmd)
    if "error" in result:
        result.update(which=which, steps=steps)
    return result


# -- report -------------------------------------------------------------------------------------
def _stats(row, name):
    """The ratio statistics of ``name`` (single, batch, fit); one value for rows without."""
    return row.get(f"{name}_stats") or _timing.single_stats(row[f"{name}_speedup"])


def _memory_goal(memory):
    ours = memory.get("ours", {})
    if "peak_rss_mb" not in ours:
        return None
    key = f"fit_{ours['steps']:.0e}_steps_N{ours['n_units']}_<1GB"
    return {"key": key, "label": f"peak RSS of a {ours['steps']:.0e}-step fit, N = "
                                 f"{ours['n_units']}: < 1 GB",
            "verdict": _timing.MET if ours["peak_rss_mb"] < 1024 else _timing.NOT_MET,
            "cells": [f"{ours['peak_rss_mb']:.0f} MB", "", "", 1, "< 1024 MB"]}


def goal_entries(rows, memory, load=None):
    """The goals table's entries: every ratio a goal is about, with its verdict."""
    by_n = {r["n_units"]: r for r in rows}
    out = []
    if 100 in by_n:
        out.append(_timing.goal_entry("single_N100_>=3x", "one series, N = 100: >= 3x",
                                      _stats(by_n[100], "single"), 3.0, load=load))
    for r in rows:
        if r["n_units"] >= 500:
            out.append(_timing.goal_entry("single_N>=500_not_slower",
                                          f"one series, N = {r['n_units']}: never slower",
                                          _stats(r, "single"), 1.0, load=load))
    if 500 in by_n:
        out.append(_timing.goal_entry("batch32_N500_>=8x",
                                      "32 series, N = 500: throughput >= 8x",
                                      _stats(by_n[500], "batch"), 8.0, load=load))
    mem = _memory_goal(memory)
    if mem is not None:
        out.append(mem)
    return out


def goals(rows, memory, load=None):
    """Goal name -> verdict: ``"MET"``, ``"NOT MET"`` or ``"NOT MEASURABLE (...)"``."""
    return _timing.goals_from_entries(goal_entries(rows, memory, load))


def _cell(row, name):
    return _timing.ratio_cell(f"{row[f'{name}_speedup']:.1f}x", row.get(f"{name}_stats"))


def tables(rows, memory, entries=None, load_before=None, load_after=None):
    """The measured numbers as report tables (``{"title", "columns", "rows"}``); with
    ``entries`` (:func:`goal_entries`) also the goals table with spreads and verdicts."""
    speed = {"title": "ESN speed: reservoirpy time / rcpod time on the same reservoirs, wall "
                      "clock, interleaved repeats; times = best; ratio = ratio of the best times "
                      "(median, min-max of the per-round ratios)",
             "columns": ["N", "nnz", "steps", "1 series: reservoirpy s", "rcpod s", "speed-up",
                         "32 series: steps", "reservoirpy s (mode)", "rcpod s",
                         "throughput ratio", "fit+predict: reservoirpy s", "rcpod s",
                         "speed-up", "max abs state diff"],
             "rows": [[r["n_units"], r["nnz"], r["steps"], round(r["single_rpy_s"], 4),
                       round(r["single_ours_s"], 5), _cell(r, "single"),
                       r["batch_steps"], f"{r['batch_rpy_s']:.3f} ({r['batch_rpy_mode']})",
                       round(r["batch_ours_s"], 4), _cell(r, "batch"),
                       round(r["fit_rpy_s"], 4), round(r["fit_ours_s"], 4),
                       _cell(r, "fit"), f"{r['max_abs_state_diff']:.1e}"]
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
    mem = {"title": "Peak memory of one ESN fit (freshly exec'd Python process, its own "
                    "/proc/self/status VmHWM)",
           "columns": ["library", "steps", "N", "peak RSS MB", "RSS after imports MB", "fit s",
                       "note"], "rows": mem_rows}
    out = [speed, mem]
    if entries is not None:
        out.append(_timing.goals_table("Goals", entries, load_before, load_after))
    return out


def markdown(rows, memory, entries=None, load_before=None, load_after=None):
    """The tables of :func:`tables` as markdown text."""
    return "\n\n".join(_timing.markdown_table(t)
                       for t in tables(rows, memory, entries, load_before, load_after))


def command_line(argv):
    """The command that reruns this benchmark alone with the same arguments."""
    args = sys.argv[1:] if argv is None else list(argv)
    return " ".join(["python", "benchmarks/bench_esn.py"] + [str(a) for a in args])


def main(argv=None):
    """Run the benchmark, print its tables and return the results as a dict.

    The dict holds ``tables`` (report tables), ``goals`` (goal name -> verdict: "MET",
    "NOT MET" or "NOT MEASURABLE (...)"), ``goal_entries`` (ratio, median, spread, verdict per
    goal), ``notes``, ``command``, ``machine``, ``load_before`` / ``load_after``, ``results`` (one
    dict per N), ``memory`` and ``config``; with ``--json`` the same dict is written to that file.
    With ``--memory-child`` (internal) it returns None after printing the child's JSON line.
    """
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help="N = 100, 500, 1000 with 2000 steps; memory fit on 2e5 steps")
    ap.add_argument("--sizes", type=int, nargs="+", default=None)
    ap.add_argument("--steps", type=int, default=None)
    ap.add_argument("--repeats", type=int, default=5,
                    help="interleaved rounds of the one-series runs (default 5)")
    ap.add_argument("--fit-repeats", type=int, default=3,
                    help="interleaved rounds of fit + predict (default 3)")
    ap.add_argument("--batch-repeats", type=int, default=3,
                    help="interleaved rounds of the 32-series runs (default 3)")
    ap.add_argument("--min-sample", type=float, default=0.02,
                    help="seconds: shorter calls are repeated within one timing sample")
    ap.add_argument("--budget", type=float, default=60.0,
                    help="seconds after which a measurement stops repeating (after 3 rounds)")
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
    _timing.add_stress_option(ap)
    args = ap.parse_args(argv)
    if min(args.repeats, args.fit_repeats, args.batch_repeats) < 1:
        ap.error("--repeats, --fit-repeats and --batch-repeats must be >= 1")
    if args.blas_threads:
        import scipy.linalg  # noqa: F401  (load every BLAS first: limits apply to loaded ones)
        import sklearn.linear_model  # noqa: F401
        from threadpoolctl import threadpool_limits

        import rcpod.reservoir  # noqa: F401
        threadpool_limits(limits=args.blas_threads, user_api="blas")

    if args.memory_child:
        memory_child(args.memory_child, args.memory_units, args.memory_steps, args.seed)
        return None
    with _timing.Stress(args.stress, args.stress_seconds):
        return _run(args, argv)


def _run(args, argv):
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
    load_before = _timing.load_snapshot()
    print(f"load average before: {_timing.load_text(load_before)}"
          + (f"; --stress {args.stress}: {args.stress} busy processes running" if args.stress
             else ""))
    print(f"config: sizes={sizes}, steps={args.steps}, leak_rate={args.leak_rate}, "
          f"density=0.1, 1 input, ridge={args.ridge}, washout={args.washout}, interleaved "
          f"rounds={args.repeats}/{args.batch_repeats}/{args.fit_repeats} (one series / 32 "
          f"series / fit), seed={args.seed}\n", flush=True)

    # memory first, before any joblib worker exists
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
        print(f"N={n}: " + "; ".join(
            f"{label} {_cell(row, key)}" for label, key in
            (("one series", "single"), ("32 series", "batch"), ("fit+predict", "fit")))
            + f" (load {_timing.load_text(_timing.load_snapshot())})", flush=True)

    load_after = _timing.load_snapshot()
    entries = goal_entries(rows, memory, load=_timing.verdict_load(load_before, load_after))
    met = _timing.goals_from_entries(entries)
    print("\n" + markdown(rows, memory, entries, load_before, load_after) + "\n")
    print(f"load average after: {_timing.load_text(load_after)}")
    print(f"goals ({GOALS}):")
    for k, v in met.items():
        print(f"  {k}: {v}")
    print(_timing.VERDICT_RULE)
    result = {"command": command, "machine": info, "load_before": load_before,
              "load_after": load_after, "stress": args.stress, "goals": met,
              "goal_entries": entries, "results": rows, "memory": memory,
              "config": {k: v for k, v in vars(args).items() if k != "memory_child"},
              "tables": tables(rows, memory, entries, load_before, load_after),
              "notes": [f"Goals: {GOALS}.", _timing.VERDICT_RULE,
                        f"Load average at start {_timing.load_text(load_before)}, at end "
                        f"{_timing.load_text(load_after)}"
                        + (f"; {args.stress} busy processes (--stress) ran during the "
                           "benchmark." if args.stress else ".")]
              + [f"{k}: {v}" for k, v in met.items()]}
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(result, fh, indent=2, default=float)
        print(f"wrote {args.json}")
    return result


if __name__ == "__main__":
    main()
    sys.exit(0)
