"""Benchmark: per-step time of the C code of :func:`rcpod.reduction.to_c` against the numba
``run()`` and the Python ``step()``, for a full ESN (N = 1000) and its reduction (r = 50).

Usage::

    python benchmarks/bench_c_export.py                  # N=1000, r=50, m=150, 5000 steps
    python benchmarks/bench_c_export.py --quick          # 1000 steps, fewer rounds
    python benchmarks/bench_c_export.py --out FILE.json

Both models (an ESNRegressor fitted to NARMA10, reduced with Q-DEIM, linearised nonlinearity,
output-weighted basis, least-squares DEIM fit) are exported with ``to_c``, compiled with the
system C compiler (``-O2``) and loaded with ctypes. Timed in turns (``timing.interleaved_times``):

* ``C run``: the generated ``<name>_run`` loop over the steps (one ctypes call);
* ``numba run``: the model's ``reservoir_.run`` (rcpod's compiled loop);
* ``C step (ctypes)``: a Python loop of single ``<name>_step`` calls (includes ctypes' overhead,
  what a Python control loop would see);
* ``Python step``: a Python loop of the reservoir's ``step(state, u)``.

Per-step time = time of the call / steps. Ratios are numba / C and Python step / C step, as the
ratio of the best times with the median and spread of the per-round ratios; the comparison
"C run at least as fast as numba run" gets a MET / NOT MET / NOT MEASURABLE verdict from the
spread. The load average at start and end is recorded.
"""
from __future__ import annotations

import argparse
import json
import platform
import tempfile
import warnings

import numpy as np

from rcpod.benchmarks import timing as _timing
from rcpod.benchmarks.machine import cpu_model
from rcpod.reduction import reduce, to_c
from rcpod.reduction.c_export import compile_c, load_c
from rcpod.reservoir import ESNRegressor
from rcpod.reservoir.datasets import narma


def models(n_units, rank, points, seed=0):
    """The fitted full ESN and its accurate reduction."""
    u, y = narma(n=10, length=3100, random_state=seed)
    est = ESNRegressor(n_units=n_units, spectral_radius=0.9, input_scaling=0.05,
                       bias_scaling=0.5, ridge=1e-10, washout=100, random_state=seed)
    est.fit(u[:2100], y[:2100])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        red = reduce(est, u[:2100], y[:2100], sampling="qdeim", nonlinearity="linearized",
                     basis="output-weighted", nl_fit="lstsq", rank=rank, n_points=points)
    return {f"full ESN (N={n_units})": est, f"reduced (r={rank}, m={points})": red}, u


def time_model(model, u, steps, step_calls, repeats, directory, name):
    """Per-step times of the four variants for one model, interleaved."""
    res = model.reservoir_
    src = to_c(model, directory, name=name)
    c = load_c(compile_c(src), src)
    U = np.ascontiguousarray(u[:steps], dtype=np.float64)
    x0 = np.asarray(res.initial_state(), dtype=np.float64)
    err = float(np.max(np.abs(c.run(U, x0) - res.run(U))))
    Us = U[:step_calls]

    def c_steps():
        x = x0
        for uk in Us:
            x = c.step(x, uk)

    def py_steps():
        x = x0
        for uk in Us:
            x = res.step(x, uk)

    fns = {"C run": lambda: c.run(U, x0), "numba run": lambda: res.run(U),
           "C step (ctypes)": c_steps, "Python step": py_steps}
    times = _timing.interleaved_times(fns, repeats, min_sample_s=0.05)
    per_step = {k: _timing.scaled(v, 1.0 / (steps if "run" in k else step_calls))
                for k, v in times.items()}
    return per_step, err


def main(argv=None):
    """Run the benchmark; prints a table and returns the result dict."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n-units", type=int, default=1000)
    parser.add_argument("--rank", type=int, default=50)
    parser.add_argument("--points", type=int, default=150)
    parser.add_argument("--steps", type=int, default=5000)
    parser.add_argument("--step-calls", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", default=None, help="write the results as JSON here")
    args = parser.parse_args(argv)
    if args.quick:
        args.steps, args.repeats = 1000, 7
    before = _timing.load_snapshot()
    mods, u = models(args.n_units, args.rank, args.points)
    rows, entries, results = [], [], {}
    with tempfile.TemporaryDirectory() as tmp:
        for i, (label, model) in enumerate(mods.items()):
            per_step, err = time_model(model, u, args.steps, args.step_calls, args.repeats, tmp,
                                       f"bench_model_{i}")
            vs_numba = _timing.ratio_stats(per_step["numba run"], per_step["C run"])
            vs_py = _timing.ratio_stats(per_step["Python step"], per_step["C step (ctypes)"])
            best = {k: 1e6 * min(v) for k, v in per_step.items()}
            rows.append([label] + [f"{best[k]:.3g}" for k in per_step]
                        + [_timing.ratio_cell(_timing.fmt_x(vs_numba["best"], 2), vs_numba, 2),
                           _timing.ratio_cell(_timing.fmt_x(vs_py["best"], 1), vs_py),
                           f"{err:.1e}"])
            entries.append(_timing.goal_entry(
                f"c_vs_numba_{i}", f"{label}: C run per step at least as fast as numba run",
                vs_numba, 1.0))
            results[label] = dict(per_step_us={k: [1e6 * t for t in v]
                                               for k, v in per_step.items()},
                                  numba_over_c=vs_numba, python_step_over_c_step=vs_py,
                                  max_abs_state_difference=err)
    after = _timing.load_snapshot()
    columns = (["model", "C run [us/step]", "numba run [us/step]", "C step via ctypes [us]",
                "Python step [us]", "numba / C run", "Python step / C step", "max |x_C - x|"])
    table = dict(title="Compiled C (to_c) vs numba run() and Python step(), best per-step "
                       "times", columns=columns, rows=rows)
    goals = _timing.goals_table("Comparison", entries, before, after)
    notes = [f"Machine: {cpu_model()}, {platform.python_version()}; steps {args.steps} per run, "
             f"{args.step_calls} single-step calls per sample, {args.repeats} interleaved rounds.",
             _timing.VERDICT_RULE,
             f"Load average at start {_timing.load_text(before)}, at end "
             f"{_timing.load_text(after)}."]
    for t in (table, goals):
        print(t["title"])
        print(_timing.markdown_table(t))
        print()
    for note in notes:
        print("- " + note)
    result = dict(tables=[table, goals], notes=notes, results=results,
                  goals=_timing.goals_from_entries(entries),
                  load=dict(start=before, end=after))
    if args.out:
        with open(args.out, "w") as fh:
            json.dump(result, fh, indent=1, default=float)
    return result


if __name__ == "__main__":
    main()
