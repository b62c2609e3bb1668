"""Speed of the fast exact quantum reservoirs against PennyLane QNodes.

Run:  python benchmarks/bench_quantum.py  [--quick] [--pl-steps 50] [--pl-windows 3] [--repeats 5]

1. One series: a QLSTM reservoir (4 qubits, 2 layers, 6 circuits) over a 1,000-step series.
   fast backend (compiled loop; and the plain numpy loop) vs the same cell evaluated with one
   PennyLane QNode call per circuit and step on ``default.qubit`` (and ``lightning.qubit``).
   The PennyLane runs are timed on a shorter series (``--pl-steps``) and scaled per step.
2. Windowed protocol (windows of 4, state reset per window, last step's features) on the paper's
   datasets, all windows of the task: time per window of the fast backend vs PennyLane on
   ``default.qubit`` one window at a time (as in the authors' code; timed on ``--pl-windows``
   windows and scaled) and PennyLane with parameter broadcasting over all windows at once.

Fast timings are the best of ``--repeats`` runs after a warm-up (numba compilation excluded);
PennyLane timings are single runs. The machine is printed with the table.
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
import time

import numpy as np


from rcpod.quantum import QuantumReservoir
from rcpod.quantum.datasets import load_task


def machine():
    model = "unknown"
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    load = os.getloadavg() if hasattr(os, "getloadavg") else ("?",)
    return (f"nproc={os.cpu_count()}  CPU: {model}  Python {platform.python_version()}  "
            f"load average at start: {load[0]:.2f}")


def best_of(fn, repeats):
    fn()  # warm-up (compilation, caches)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def once(fn):
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def bench_series(args, rows):
    T = 1000
    x = np.random.default_rng(0).uniform(-1, 1, size=(T, 1))
    kw = dict(cell="lstm", n_qubits=4, n_layers=2, random_state=0)
    fast = QuantumReservoir(**kw).initialize(1)
    t_fast = best_of(lambda: fast.run(x), args.repeats)

    def numpy_loop():
        fast._force_numpy = True
        try:
            fast.run(x)
        finally:
            fast._force_numpy = False

    t_numpy = best_of(numpy_loop, args.repeats)
    n = args.pl_steps
    pl = {}
    for dev in ("default.qubit", "lightning.qubit"):
        res = QuantumReservoir(backend="pennylane", device=dev, **kw).initialize(1)
        res.run(x[:2])  # warm-up
        pl[dev] = once(lambda: res.run(x[:n])) / n * T
    ref = pl["default.qubit"]
    case = f"QLSTM, 1 series x {T} steps"
    rows.append((case, "fast (compiled numba loop)", t_fast, "ms", ref / t_fast))
    rows.append(("", "fast (plain numpy loop)", t_numpy, "ms", ref / t_numpy))
    rows.append(("", f"PennyLane default.qubit ({n} steps x {T // n})", ref, "ms", 1.0))
    rows.append(("", f"PennyLane lightning.qubit ({n} steps x {T // n})", pl["lightning.qubit"], "ms",
                 ref / pl["lightning.qubit"]))


def bench_windows(args, rows, tasks, cells):
    for task in tasks:
        t = load_task(task)
        W = np.concatenate([t.X_train, t.X_test])
        nw = W.shape[0]
        for cell in cells:
            kw = dict(cell=cell, n_qubits=4, n_layers=2, random_state=0)
            fast = QuantumReservoir(**kw).initialize(1)
            t_fast = best_of(lambda: fast.run_windows(W), args.repeats) / nw
            pl = QuantumReservoir(backend="pennylane", **kw).initialize(1)
            pl.run_windows(W[:1])
            k = args.pl_windows
            t_pl = once(lambda: [pl.run_windows(W[i:i + 1]) for i in range(k)]) / k
            t_bc = once(lambda: pl.run_windows(W)) / nw
            label = f"{task} ({nw} windows of 4)"
            rows.append((label if cell == cells[0] else "", f"{cell}: fast", t_fast, "us/w", t_pl / t_fast))
            rows.append(("", f"{cell}: PennyLane default.qubit, 1 window per run", t_pl, "us/w", 1.0))
            rows.append(("", f"{cell}: PennyLane default.qubit, broadcast all windows", t_bc, "us/w",
                         t_pl / t_bc))
            rows.append(("", f"{cell}: fast vs PennyLane broadcast", None, "", t_bc / t_fast))


QUICK = dict(pl_steps=10, pl_windows=2, repeats=2, tasks=["damped_oscillator", "narma5"])
GOALS = ("the fast backend is faster than PennyLane default.qubit (speed-up > 1x) in every case, "
         "including PennyLane with parameter broadcasting over all windows")


def _time_str(seconds, unit):
    if seconds is None:
        return ""
    if unit == "us/w":
        return f"{seconds * 1e6:.1f} us/window"
    return f"{seconds * 1e3:.2f} ms" if seconds < 1 else f"{seconds:.1f} s"


def _ratio_str(ratio):
    return f"{ratio:.0f}x" if ratio >= 10 else f"{ratio:.2g}x"


def tables(rows):
    """The measured rows as report tables (``{"title", "columns", "rows"}``)."""
    return [{"title": "Quantum reservoirs: fast exact backend vs PennyLane QNodes (speed-up = "
                      "PennyLane default.qubit time / this method's time)",
             "columns": ["case", "method", "time", "speed-up"],
             "rows": [[case, method, _time_str(seconds, unit), _ratio_str(ratio)]
                      for case, method, seconds, unit, ratio in rows]}]


def goals(rows):
    """Goal name -> met: every fast row (and fast vs broadcast) is faster than PennyLane."""
    fast = [ratio for _c, method, _s, _u, ratio in rows
            if method.startswith("fast") or ": fast" in method]
    return {"fast_faster_than_pennylane_everywhere": bool(fast) and min(fast) > 1.0}


def command_line(argv):
    """The command that reruns this benchmark alone with the same arguments."""
    args = sys.argv[1:] if argv is None else list(argv)
    return " ".join(["python", "benchmarks/bench_quantum.py"] + [str(a) for a in args])


def main(argv=None):
    """Run the benchmark, print its table and return the results as a dict.

    The dict holds ``tables`` (report tables), ``goals``, ``notes``, ``command``, ``machine``,
    ``rows`` (case, method, seconds, unit, speed-up) and ``config``.
    """
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true",
                   help=f"smaller run: {QUICK} unless given explicitly")
    p.add_argument("--pl-steps", type=int, default=None, help="default 50 (quick 10)")
    p.add_argument("--pl-windows", type=int, default=None, help="default 3 (quick 2)")
    p.add_argument("--repeats", type=int, default=None, help="default 5 (quick 2)")
    p.add_argument("--tasks", nargs="*", default=None,
                   help="default all five paper tasks (quick: damped_oscillator narma5)")
    p.add_argument("--cells", nargs="*", default=["rnn", "lstm", "gru"])
    args = p.parse_args(argv)
    full = dict(pl_steps=50, pl_windows=3, repeats=5,
                tasks=["damped_oscillator", "bessel_j2", "delayed_quantum_control", "narma5",
                       "narma10"])
    for key, value in (QUICK if args.quick else full).items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    command = command_line(argv)
    info = machine()
    print(f"command: {command}")
    print(info)
    rows = []
    bench_series(args, rows)
    bench_windows(args, rows, args.tasks, args.cells)
    print(f"\n{'case':<42} {'method':<52} {'time':>12} {'speed-up':>10}")
    print("-" * 120)
    for case, method, seconds, unit, ratio in rows:
        if seconds is None:
            tstr = ""
        elif unit == "us/w":
            tstr = f"{seconds * 1e6:9.1f} us/w"
        else:
            tstr = f"{seconds * 1e3:9.2f} ms"
        print(f"{case:<42} {method:<52} {tstr:>12} {ratio:>9.0f}x")
    explain = ("speed-up: PennyLane default.qubit time / this method's time (per series or per "
               "window); 'fast vs PennyLane broadcast' divides the broadcast time by the fast "
               "time.")
    print("\n" + explain)
    met = goals(rows)
    print(f"goals ({GOALS}):")
    for k, v in met.items():
        print(f"  {k}: {'MET' if v else 'NOT MET'}")
    timing = (f"Fast timings: best of {args.repeats} runs after a warm-up; PennyLane: single runs "
              f"on {args.pl_steps} steps / {args.pl_windows} windows, scaled.")
    return {"command": command, "machine": info, "goals": met,
            "config": {k: v for k, v in vars(args).items()},
            "rows": [list(r) for r in rows], "tables": tables(rows),
            "notes": [explain, timing, f"Goal: {GOALS}."]
            + [f"{k}: {'MET' if v else 'NOT MET'}" for k, v in met.items()]}


if __name__ == "__main__":
    main()
