"""Per-step time of the quantum reservoirs at 4 to 12 qubits: fast exact path vs lightning.qubit.

Run:  python benchmarks/bench_quantum_scale.py  [--quick] [--qubits 4 8 12] [--layers 1 2 3 4]
                                                [--repeats 3] [--steps 100] [--pl-steps 4]

For every qubit count ``n``, cell (QRNN, QLSTM, QGRU; hidden size ``n - 1``, the reference's rule
``H = n_qubits - n_inputs`` generalised) and layer count ``L``, one reservoir (``init="uniform"``,
seed 0) runs one series of random inputs:

* ``fast``: rcpod's exact path as ``QuantumReservoir`` picks it (``VQCBank(method="auto")``:
  dense unitaries and a compiled loop up to 8 qubits, gate by gate on the state vector above);
* ``fast, xyz+zz``: the same with the richer readout measurements (``measurements="xyz+zz"``,
  numpy loop);
* ``lightning.qubit``: the same cell with one PennyLane QNode call per circuit and step on
  ``lightning.qubit`` (``backend="pennylane"``), timed on ``--pl-steps`` steps.

Times are per step of one series (all circuits of the cell). The three are timed in turns over
``--repeats`` interleaved rounds (``rcpod.benchmarks.timing``); the speed-up is lightning's time
over the fast time, as the ratio of the best times with the median and spread of the per-round
ratios. Both sides run on one thread (``OMP_NUM_THREADS=1`` unless set, before PennyLane
loads, and ``threadpool_limits(1)`` for BLAS): on a shared 2-core machine lightning's OpenMP
threads otherwise spin against the other jobs (measured here: ~50 ms instead of ~4 ms per
4-qubit QNode call). Goal: the fast path is faster than lightning.qubit at every size (MET only if every
per-round ratio exceeds 1x). The machine and the load average at start and end are printed.
"""
from __future__ import annotations

import argparse
import os
import platform
import sys

os.environ.setdefault("OMP_NUM_THREADS", "1")  # before lightning's OpenMP runtime starts

import numpy as np
from threadpoolctl import threadpool_limits

from rcpod.benchmarks import timing as _timing
from rcpod.benchmarks.machine import cpu_model
from rcpod.quantum import QuantumReservoir

GOAL_KEY = "fast_faster_than_lightning_every_size"
FULL = {"qubits": [4, 8, 12], "layers": [1, 2, 3, 4], "cells": ["rnn", "lstm", "gru"],
        "repeats": 3, "steps": 100, "pl_steps": 4}
QUICK = {"qubits": [4, 8, 12], "layers": [2], "cells": ["rnn", "lstm", "gru"], "repeats": 3,
         "steps": 40, "pl_steps": 2}


def machine():
    """One line: CPU count, model and Python version."""
    return f"nproc={os.cpu_count()}  CPU: {cpu_model()}  Python {platform.python_version()}"


def cases(qubits, layers, cells):
    """(n, L, cell) of every case: all cells at L=2 for every n, all L for QRNN at every n."""
    out = [(n, 2, c) for n in qubits for c in cells if 2 in layers]
    out += [(n, L, "rnn") for n in qubits for L in layers if L != 2]
    return sorted(set(out), key=lambda t: (t[0], t[2], t[1]))


def time_case(n, L, cell, steps, pl_steps, repeats, min_sample=0.05):
    """Per-step times (lists over rounds) of fast, fast xyz+zz and lightning.qubit."""
    x = np.random.default_rng(0).uniform(-1, 1, size=(steps, 1))
    kw = dict(cell=cell, n_qubits=n, n_layers=L, init="uniform", random_state=0)
    fast = QuantumReservoir(**kw).initialize(1)
    rich = QuantumReservoir(measurements="xyz+zz", **kw).initialize(1)
    light = QuantumReservoir(backend="pennylane", device="lightning.qubit", **kw).initialize(1)
    light.run(x[:1])  # device and QNode set-up
    t = _timing.interleaved_times(
        {"fast": lambda: fast.run(x), "rich": lambda: rich.run(x),
         "light": lambda: light.run(x[:pl_steps])},
        repeats, warmup=["fast", "rich"], min_sample_s=min_sample)
    return {"fast": _timing.scaled(t["fast"], 1.0 / steps),
            "rich": _timing.scaled(t["rich"], 1.0 / steps),
            "light": _timing.scaled(t["light"], 1.0 / pl_steps),
            "method": fast._ensure_runtime()["bank"].method}


def _us(seconds):
    if seconds < 1e-5:
        return f"{seconds * 1e6:.2f} us"
    return f"{seconds * 1e6:.0f} us" if seconds < 1e-2 else f"{seconds * 1e3:.1f} ms"


def run(qubits, layers, cells, repeats, steps, pl_steps, progress=None):
    """Time every case; returns ``rows`` (dicts) and goal ``entries``.

    Parameters
    ----------
    qubits, layers, cells : lists
        Sizes and cells (see :func:`cases`).
    repeats, steps, pl_steps : int
        Interleaved rounds, fast steps and lightning steps per timing sample.
    progress : callable, optional
        Wraps the case list (e.g. a tqdm bar).

    Returns
    -------
    rows : list of dict
        ``n, L, cell, method, fast_s, rich_s, lightning_s`` (best per-step times) and the
        speed-up statistics ``speedup`` (lightning / fast) and ``speedup_rich``.
    entries : list of dict
        Goal entries (fast faster than lightning, strict > 1x).
    """
    rows, entries = [], []
    todo = cases(qubits, layers, cells)
    for n, L, cell in (progress(todo) if progress else todo):
        t = time_case(n, L, cell, steps, pl_steps, repeats)
        st = _timing.ratio_stats(t["light"], t["fast"])
        st_rich = _timing.ratio_stats(t["light"], t["rich"])
        rows.append({"n": n, "L": L, "cell": cell, "method": t["method"],
                     "fast_s": min(t["fast"]), "rich_s": min(t["rich"]),
                     "lightning_s": min(t["light"]), "speedup": st, "speedup_rich": st_rich})
        entries.append(_timing.goal_entry(GOAL_KEY, f"{cell} n={n} L={L}: fast vs lightning",
                                          st, 1.0, strict=True))
    return rows, entries


def table(rows):
    """The report table of :func:`run`'s rows."""
    return {"title": "Quantum reservoirs, per-step time of one series (all circuits of the cell): "
                     "fast exact path vs PennyLane lightning.qubit (speed-up = lightning time / "
                     "fast time: best (median, min-max of the interleaved rounds))",
            "columns": ["qubits", "layers", "cell", "fast method", "fast", "fast, xyz+zz",
                        "lightning.qubit", "speed-up", "speed-up, xyz+zz"],
            "rows": [[r["n"], r["L"], r["cell"], r["method"], _us(r["fast_s"]), _us(r["rich_s"]),
                      _us(r["lightning_s"]),
                      _timing.ratio_cell(_timing.fmt_x(r["speedup"]["best"]), r["speedup"]),
                      _timing.ratio_cell(_timing.fmt_x(r["speedup_rich"]["best"]),
                                         r["speedup_rich"])]
                     for r in rows]}


def main(argv=None):
    """Run the benchmark, print its tables and return them as a dict (``tables``, ``goals``,
    ``rows``, ``command``, ``machine``, ``load_before`` / ``load_after``, ``config``)."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help=f"defaults {QUICK}")
    p.add_argument("--qubits", type=int, nargs="*", default=None)
    p.add_argument("--layers", type=int, nargs="*", default=None)
    p.add_argument("--cells", nargs="*", default=None)
    p.add_argument("--repeats", type=int, default=None)
    p.add_argument("--steps", type=int, default=None, help="fast steps per sample")
    p.add_argument("--pl-steps", type=int, default=None, help="lightning steps per sample")
    args = p.parse_args(argv)
    for key, value in (QUICK if args.quick else FULL).items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    command = " ".join(["python", "benchmarks/bench_quantum_scale.py"]
                       + [str(a) for a in (sys.argv[1:] if argv is None else argv)])
    info = machine()
    print(f"command: {command}\n{info}")
    before = _timing.load_snapshot()
    print(f"load average before: {_timing.load_text(before)}")
    with threadpool_limits(limits=1):
        rows, entries = run(args.qubits, args.layers, args.cells, args.repeats, args.steps,
                            args.pl_steps)
    after = _timing.load_snapshot()
    load = _timing.verdict_load(before, after)
    for e in entries:
        e["verdict"] = _timing.verdict(e, e["goal"], load=load, strict=True)
    goals = _timing.goals_from_entries(entries)
    shown = [e for e in entries if e["verdict"] != _timing.MET] or \
        [min(entries, key=lambda e: e["min"])]
    tabs = [table(rows), _timing.goals_table("Goal: fast faster than lightning.qubit at every "
                                             "size (cases not MET, or the smallest speed-up)",
                                             shown, before, after)]
    for tab in tabs:
        print("\n" + _timing.markdown_table(tab))
    print(f"\nload average after: {_timing.load_text(after)}")
    for k, v in goals.items():
        print(f"{k}: {v}")
    print(_timing.VERDICT_RULE)
    return {"command": command, "machine": info, "load_before": before, "load_after": after,
            "config": dict(vars(args)), "rows": rows, "goals": goals, "tables": tabs}


if __name__ == "__main__":
    main()
