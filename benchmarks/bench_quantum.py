"""Speed of the fast exact quantum reservoirs against PennyLane QNodes.

Run:  python benchmarks/bench_quantum.py  [--quick] [--pl-steps 50] [--pl-windows 3] [--repeats 5]

1. One series: a QLSTM reservoir (4 qubits, 2 layers, 6 circuits) over a 1,000-step series.
   fast backend (compiled loop; and the plain numpy loop) vs the same cell evaluated with one
   PennyLane QNode call per circuit and step on ``default.qubit`` (and ``lightning.qubit``, a
   reference in no goal: one run). The PennyLane runs are timed on a shorter series
   (``--pl-steps``) and scaled per step.
2. Windowed protocol (windows of 4, state reset per window, last step's features) on the paper's
   datasets, all windows of the task: time per window of the fast backend vs PennyLane on
   ``default.qubit`` one window at a time (as in the authors' code; timed on ``--pl-windows``
   windows and scaled) and PennyLane with parameter broadcasting over all windows at once.

Every case times the fast backend and PennyLane in turns (``--repeats`` interleaved rounds; fast
runs after a warm-up, numba compilation excluded, repeated within a sample when shorter than
``--min-sample``). A speed-up is shown as the ratio of the best times with the median and the
spread (min - max) of the per-round ratios; the goal (fast faster than PennyLane everywhere) is
MET only if every per-round ratio exceeds 1x, NOT MET if some case's whole spread is at or below
1x, otherwise NOT MEASURABLE. The machine and the load average at start and end are printed with
the table; ``--stress N`` runs N busy processes alongside, to see this on a loaded machine.
"""
from __future__ import annotations

import argparse
import os
import platform
import sys

import numpy as np

from rcpod.benchmarks import timing as _timing
from rcpod.benchmarks.machine import cpu_model
from rcpod.quantum import QuantumReservoir
from rcpod.quantum.datasets import load_task


def machine():
    model = cpu_model()
    return f"nproc={os.cpu_count()}  CPU: {model}  Python {platform.python_version()}"


def bench_series(args, rows, stats):
    T = 1000
    x = np.random.default_rng(0).uniform(-1, 1, size=(T, 1))
    kw = {"cell": "lstm", "n_qubits": 4, "n_layers": 2, "random_state": 0}
    fast = QuantumReservoir(**kw).initialize(1)

    def numpy_loop():
        fast._force_numpy = True
        try:
            fast.run(x)
        finally:
            fast._force_numpy = False

    n = args.pl_steps
    pl = {}
    for dev in ("default.qubit", "lightning.qubit"):
        pl[dev] = QuantumReservoir(backend="pennylane", device=dev, **kw).initialize(1)
        pl[dev].run(x[:2])  # warm-up
    t = _timing.interleaved_times(
        {"fast": lambda: fast.run(x), "numpy": numpy_loop,
         "default": lambda: pl["default.qubit"].run(x[:n])},
        args.repeats, warmup=["fast", "numpy"], min_sample_s=args.min_sample)
    ref = _timing.scaled(t["default"], T / n)  # PennyLane per series of T steps
    # lightning.qubit: a reference row in no goal, slow: one run after the rounds
    light = _timing.scaled(_timing.interleaved_times(
        {"lightning": lambda: pl["lightning.qubit"].run(x[:n])}, 1, warmup=False)["lightning"],
        T / n)
    case = f"QLSTM, 1 series x {T} steps"
    for label, times in ((f"{case}|fast (compiled numba loop)", t["fast"]),
                         ("|fast (plain numpy loop)", t["numpy"]),
                         (f"|PennyLane default.qubit ({n} steps x {T // n})", ref),
                         (f"|PennyLane lightning.qubit ({n} steps x {T // n}, one run)",
                          light)):
        c, method = label.split("|")
        st = (_timing.ratio_stats(ref, times) if len(times) == len(ref)
              else _timing.single_stats(min(ref) / min(times)))
        rows.append((c, method, min(times), "ms", st["best"]))
        stats.append(st)


def bench_windows(args, rows, stats, tasks, cells):
    for task in tasks:
        t = load_task(task)
        W = np.concatenate([t.X_train, t.X_test])
        nw = W.shape[0]
        for cell in cells:
            kw = {"cell": cell, "n_qubits": 4, "n_layers": 2, "random_state": 0}
            fast = QuantumReservoir(**kw).initialize(1)
            pl = QuantumReservoir(backend="pennylane", **kw).initialize(1)
            pl.run_windows(W[:1])
            k = args.pl_windows
            tt = _timing.interleaved_times(
                {"fast": lambda fast=fast, W=W: fast.run_windows(W),
                 "pl": lambda pl=pl, W=W, k=k: [pl.run_windows(W[i:i + 1]) for i in range(k)],
                 "bc": lambda pl=pl, W=W: pl.run_windows(W)},
                args.repeats, warmup=["fast"], min_sample_s=args.min_sample)
            t_fast = _timing.scaled(tt["fast"], 1.0 / nw)
            t_pl = _timing.scaled(tt["pl"], 1.0 / k)
            t_bc = _timing.scaled(tt["bc"], 1.0 / nw)
            label = f"{task} ({nw} windows of 4)"
            for c, method, times, ref in (
                    (label if cell == cells[0] else "", f"{cell}: fast", t_fast, t_pl),
                    ("", f"{cell}: PennyLane default.qubit, 1 window per run", t_pl, t_pl),
                    ("", f"{cell}: PennyLane default.qubit, broadcast all windows", t_bc, t_pl)):
                st = _timing.ratio_stats(ref, times)
                rows.append((c, method, min(times), "us/w", st["best"]))
                stats.append(st)
            st = _timing.ratio_stats(t_bc, t_fast)
            rows.append(("", f"{cell}: fast vs PennyLane broadcast", None, "", st["best"]))
            stats.append(st)


QUICK = {"pl_steps": 10, "pl_windows": 2, "repeats": 3,
         "tasks": ["damped_oscillator", "narma5"]}
GOALS = ("the fast backend is faster than PennyLane default.qubit (speed-up > 1x) in every case, "
         "including PennyLane with parameter broadcasting over all windows")
GOAL_KEY = "fast_faster_than_pennylane_everywhere"


def _time_str(seconds, unit):
    if seconds is None:
        return ""
    if unit == "us/w":
        return f"{seconds * 1e6:.1f} us/window"
    return f"{seconds * 1e3:.2f} ms" if seconds < 1 else f"{seconds:.1f} s"


def _ratio_str(ratio):
    return f"{ratio:.0f}x" if ratio >= 10 else f"{ratio:.2g}x"


def _stats_of(rows, stats):
    """Per-row ratio statistics; one value per row when none were measured (old rows)."""
    if stats is None:
        return [_timing.single_stats(r[4]) for r in rows]
    return stats


def tables(rows, stats=None, entries=None, load_before=None, load_after=None):
    """The measured rows as report tables (``{"title", "columns", "rows"}``); with ``entries``
    (:func:`goal_entries`) also the goals table with spreads and verdicts."""
    out = [{"title": "Quantum reservoirs: fast exact backend vs PennyLane QNodes (speed-up = "
                     "PennyLane default.qubit time / this method's time; times = best of the "
                     "interleaved rounds; speed-up = ratio of the best times (median, min-max of "
                     "the per-round ratios))",
            "columns": ["case", "method", "time", "speed-up"],
            "rows": [[case, method, _time_str(seconds, unit),
                      _timing.ratio_cell(_ratio_str(ratio), st)]
                     for (case, method, seconds, unit, ratio), st
                     in zip(rows, _stats_of(rows, stats))]}]
    if entries is not None:
        out.append(goals_table(entries, load_before, load_after))
    return out


def goals_table(entries, load_before=None, load_after=None):
    """The goals table: the cases not MET, or (all MET) the case with the smallest per-round
    speed-up -- one goal over every fast row, so one row tells the verdict."""
    shown = [e for e in entries if e["verdict"] != _timing.MET]
    if not shown and entries:
        worst = min(entries, key=lambda e: e["min"])
        shown = [dict(worst, label=f"{worst['label']} (smallest per-round speed-up of "
                                   f"{len(entries)} cases, all MET)")]
    return _timing.goals_table("Goal", shown, load_before, load_after)


def _fast_rows(rows):
    return [i for i, (_c, method, _s, _u, _r) in enumerate(rows)
            if method.startswith("fast") or ": fast" in method]


def goal_entries(rows, stats=None, load=None):
    """One goal entry per fast row (and fast vs broadcast): its speed-up must exceed 1x."""
    stats = _stats_of(rows, stats)
    out = []
    case = ""
    for i, (c, method, _s, _u, _r) in enumerate(rows):
        case = c or case
        if i in _fast_rows(rows):
            out.append(_timing.goal_entry(GOAL_KEY, f"{case}, {method}: > 1x", stats[i], 1.0,
                                          strict=True, load=load))
    return out


def goals(rows, stats=None, load=None):
    """Goal name -> verdict ("MET", "NOT MET", "NOT MEASURABLE (...)"): every fast row (and
    fast vs broadcast) is faster than PennyLane over the whole spread."""
    entries = goal_entries(rows, stats, load)
    if not entries:
        return {GOAL_KEY: _timing.NOT_MET}
    return _timing.goals_from_entries(entries)


def command_line(argv):
    """The command that reruns this benchmark alone with the same arguments."""
    args = sys.argv[1:] if argv is None else list(argv)
    return " ".join(["python", "benchmarks/bench_quantum.py"] + [str(a) for a in args])


def main(argv=None):
    """Run the benchmark, print its table and return the results as a dict.

    The dict holds ``tables`` (report tables), ``goals`` (goal name -> verdict: "MET",
    "NOT MET" or "NOT MEASURABLE (...)"), ``goal_entries``, ``notes``, ``command``, ``machine``,
    ``load_before`` / ``load_after``, ``rows`` (case, method, seconds, unit, speed-up), ``stats``
    (ratio statistics per row) and ``config``.
    """
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true",
                   help=f"smaller run: {QUICK} unless given explicitly")
    p.add_argument("--pl-steps", type=int, default=None, help="default 50 (quick 10)")
    p.add_argument("--pl-windows", type=int, default=None, help="default 3 (quick 2)")
    p.add_argument("--repeats", type=int, default=None,
                   help="interleaved rounds, fast and PennyLane in turns (default 5, quick 3)")
    p.add_argument("--min-sample", type=float, default=0.02,
                   help="seconds: shorter fast runs are repeated within one timing sample")
    p.add_argument("--tasks", nargs="*", default=None,
                   help="default all five paper tasks (quick: damped_oscillator narma5)")
    p.add_argument("--cells", nargs="*", default=["rnn", "lstm", "gru"])
    _timing.add_stress_option(p)
    args = p.parse_args(argv)
    full = {"pl_steps": 50, "pl_windows": 3, "repeats": 5,
            "tasks": ["damped_oscillator", "bessel_j2", "delayed_quantum_control", "narma5",
                      "narma10"]}
    for key, value in (QUICK if args.quick else full).items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    if args.repeats < 1:
        p.error("--repeats must be >= 1")
    with _timing.Stress(args.stress, args.stress_seconds):
        return _run(args, argv)


def _run(args, argv):
    command = command_line(argv)
    info = machine()
    print(f"command: {command}")
    print(info)
    load_before = _timing.load_snapshot()
    print(f"load average before: {_timing.load_text(load_before)}"
          + (f"; --stress {args.stress}: {args.stress} busy processes running" if args.stress
             else ""))
    rows, stats = [], []
    bench_series(args, rows, stats)
    bench_windows(args, rows, stats, args.tasks, args.cells)
    load_after = _timing.load_snapshot()
    print(f"\n{'case':<42} {'method':<52} {'time':>12} {'speed-up (median, min-max)':>30}")
    print("-" * 140)
    for (case, method, seconds, unit, ratio), st in zip(rows, stats):
        if seconds is None:
            tstr = ""
        elif unit == "us/w":
            tstr = f"{seconds * 1e6:9.1f} us/w"
        else:
            tstr = f"{seconds * 1e3:9.2f} ms"
        cell = _timing.ratio_cell(_ratio_str(ratio), st)
        print(f"{case:<42} {method:<52} {tstr:>12} {cell:>30}")
    explain = ("speed-up: PennyLane default.qubit time / this method's time (per series or per "
               "window); 'fast vs PennyLane broadcast' divides the broadcast time by the fast "
               "time.")
    print("\n" + explain)
    entries = goal_entries(rows, stats, load=_timing.verdict_load(load_before, load_after))
    met = _timing.goals_from_entries(entries)
    goal_table = goals_table(entries, load_before, load_after)
    worst = min(range(len(entries)), key=lambda i: entries[i]["min"])
    print("\n" + _timing.markdown_table(goal_table))
    print(f"\nload average after: {_timing.load_text(load_after)}")
    print(f"goals ({GOALS}):")
    for k, v in met.items():
        print(f"  {k}: {v} (smallest per-round speed-up {entries[worst]['min']:.3g}x: "
              f"{entries[worst]['label']})")
    print(_timing.VERDICT_RULE)
    timing = (f"Timings: {args.repeats} interleaved rounds (fast and PennyLane in turns); fast "
              f"runs shorter than {args.min_sample} s repeated within a sample; PennyLane on "
              f"{args.pl_steps} steps / {args.pl_windows} windows per sample, scaled.")
    return {"command": command, "machine": info, "goals": met, "goal_entries": entries,
            "load_before": load_before, "load_after": load_after, "stress": args.stress,
            "config": dict(vars(args)),
            "rows": [list(r) for r in rows], "stats": stats,
            "tables": tables(rows, stats) + [goal_table],
            "notes": [explain, timing, f"Goal: {GOALS}.", _timing.VERDICT_RULE,
                      f"Load average at start {_timing.load_text(load_before)}, at end "
                      f"{_timing.load_text(load_after)}"
                      + (f"; {args.stress} busy processes (--stress) ran during the "
                         "benchmark." if args.stress else ".")]
            + [f"{k}: {v}" for k, v in met.items()]}


if __name__ == "__main__":
    main()
