"""Benchmark: fitting a large ESN (N = 5,000 by default, 20,000 as an option) on 20,000 NARMA10
steps -- fit time and peak memory, measured in a freshly exec'd child process.

Usage::

    python benchmarks/bench_large_fit.py                      # N = 5000
    python benchmarks/bench_large_fit.py --n-units 20000      # several minutes, ~6 GB
    python benchmarks/bench_large_fit.py --n-units 5000 20000 --json large_fit.json

What is measured. For each N a fresh Python process (``python bench_large_fit.py --child ...``)
imports rcpod, draws NARMA10 (``narma(10, steps, random_state=seed)``) and fits
``ESNRegressor(n_units=N, density=0.1, ridge=1e-6, washout=100, random_state=seed)``
(default ``chunk_size``, default BLAS threads). It reports

* the wall time of ``fit`` and, inside it, of the reservoir initialization (``ESN.initialize``:
  the random sparse W and its spectral radius by ARPACK) and of the final readout solve
  (symmetrization + Cholesky factorization on one BLAS thread);
* its own peak resident memory, ``VmHWM`` from ``/proc/self/status`` (per address space, starts
  afresh at exec; ``ru_maxrss`` is printed for contrast only: on Linux it can carry the high-water
  mark of the process the child was forked from);
* the size of the pickled fitted model (without kept statistics: the readout holds
  ``O(N * n_targets)`` numbers, so the pickle is dominated by the ESN's sparse W, 12 bytes per
  nonzero) and, for contrast, the ``8 N^2`` bytes the normal equations would add;
* the memory model: ``8 N^2`` (the readout's centred scatter matrix, factorized in place at the
  end of ``fit``) + ``8 N chunk_size`` (one chunk of states) + ``2 * 8 N (1024 + 1)`` (the
  readout's block buffer and the centred block's panel products) + the sparse W (12 bytes per
  nonzero, plus the kernel's index copies) + the interpreter and libraries.

The parent prints the command, the machine (CPU model from ``/proc/cpuinfo``, CPUs, memory, load
average before and after each child, BLAS libraries and threads from threadpoolctl) and a table.
Run it alone: check ``uptime`` first (the load average should be below the number of CPUs).
"""
from __future__ import annotations

import argparse
import json
import os
import pickle
import platform
import shlex
import sys
import time

import numpy as np

from rcpod.benchmarks import timing as _timing
from rcpod.benchmarks.machine import cpu_model, memory_gb


def machine_info():
    """CPU model, CPUs, memory, versions and the BLAS libraries (threadpoolctl)."""
    import scipy
    import scipy.linalg  # loads scipy's BLAS, so that threadpoolctl lists it
    cpu, mem_gb = cpu_model(), memory_gb()
    info = {"cpu": cpu, "nproc": len(os.sched_getaffinity(0)), "memory_gb": round(mem_gb, 1),
            "platform": platform.platform(), "python": platform.python_version(),
            "numpy": np.__version__, "scipy": scipy.__version__,
            "env": {k: os.environ.get(k, "unset") for k in
                    ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_CORETYPE",
                     "NUMBA_NUM_THREADS")}}
    try:
        from threadpoolctl import threadpool_info
        info["blas"] = [{k: p.get(k) for k in ("internal_api", "version", "architecture",
                                                "num_threads", "filepath")}
                        for p in threadpool_info() if p.get("user_api") == "blas"]
    except ImportError:
        info["blas"] = "threadpoolctl not installed"
    return info


# -- the measured fit (runs in a freshly exec'd child) -------------------------------------------
def child(n_units, steps, seed, density, ridge, washout, chunk_size, do_pickle):
    """Fit once in this fresh process and print one JSON line (times, peak memory, sizes)."""
    from rcpod.reservoir import ESN, ESNRegressor, RidgeReadout, narma

    phases = {"initialize_s": 0.0, "solve_s": 0.0}

    def timed(cls, name, key):
        original = getattr(cls, name)

        def wrapper(self, *args, **kwargs):
            t = time.perf_counter()
            try:
                return original(self, *args, **kwargs)
            finally:
                phases[key] += time.perf_counter() - t
        setattr(cls, name, wrapper)

    timed(ESN, "initialize", "initialize_s")
    timed(RidgeReadout, "solve", "solve_s")
    base_mb = _timing.current_rss_mb()
    u, y = narma(10, steps, random_state=seed)
    kwargs = {} if chunk_size is None else {"chunk_size": chunk_size}
    model = ESNRegressor(n_units=n_units, density=density, ridge=ridge, washout=washout,
                         random_state=seed, **kwargs)
    t0 = time.perf_counter()
    model.fit(u, y[:, 0])
    fit_s = time.perf_counter() - t0
    mem = _timing.memory_report()
    W = model.reservoir_.W_
    out = {"n_units": n_units, "steps": steps, "density": density, "ridge": ridge,
           "washout": washout, "chunk_size": model.chunk_size, "fit_s": fit_s,
           "initialize_s": phases["initialize_s"], "solve_s": phases["solve_s"],
           "train_s": fit_s - phases["initialize_s"] - phases["solve_s"],
           "samples_fitted": int(model.readout_.n_samples_seen_),
           "W_nnz": int(W.nnz) if hasattr(W, "nnz") else int(W.size),
           "coef_finite": bool(np.all(np.isfinite(model.readout_.coef_))),
           "rss_after_imports_mb": base_mb, "pid": os.getpid(), **mem}
    if do_pickle:
        out["pickle_mb"] = len(pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)) / 2**20
        out["readout_pickle_kb"] = len(pickle.dumps(model.readout_)) / 2**10
    out["normal_equations_mb"] = 8 * n_units ** 2 / 2**20
    out["memory_model_mb"] = memory_model_mb(n_units, model.chunk_size, out["W_nnz"], base_mb)
    print(json.dumps(out))


def memory_model_mb(n, chunk, nnz, base_mb):
    """The stated bound's terms (MB): see the module docstring."""
    terms = {"scatter 8 N^2": 8 * n * n, "one chunk of states 8 N chunk": 8 * n * chunk,
             "block buffers 2 * 8 N (1024 + 1)": 2 * 8 * n * 1025,
             "sparse W and index copies 12 nnz + 4 nnz": 16 * nnz}
    out = {k: v / 2**20 for k, v in terms.items()}
    out["interpreter and libraries (measured after imports)"] = base_mb
    out["total"] = sum(out.values())
    return out


# -- parent ---------------------------------------------------------------------------------------
def run_child(args, n_units):
    cmd = [os.path.abspath(__file__), "--child", "--n-units", str(n_units),
           "--steps", str(args.steps), "--seed", str(args.seed), "--density", str(args.density),
           "--ridge", str(args.ridge), "--washout", str(args.washout)]
    if args.chunk_size is not None:
        cmd += ["--chunk-size", str(args.chunk_size)]
    if not args.pickle:
        cmd += ["--no-pickle"]
    before = _timing.load_snapshot()
    t = time.perf_counter()
    result = _timing.run_fresh_python(cmd, timeout=args.timeout)
    result["child_wall_s"] = time.perf_counter() - t
    result["load_before"], result["load_after"] = before, _timing.load_snapshot()
    result["child_command"] = shlex.join([sys.executable] + cmd)
    return result


def report(results, info, command):
    lines = [f"command: {command}",
             f"machine: {info['cpu']}, {info['nproc']} CPUs, {info['memory_gb']} GB RAM, "
             f"{info['platform']}, Python {info['python']}, numpy {info['numpy']}, "
             f"scipy {info['scipy']}"]
    for b in info.get("blas", []) if isinstance(info.get("blas"), list) else []:
        lines.append(f"BLAS: {b['internal_api']} {b['version']} ({b['architecture']}), "
                     f"{b['num_threads']} threads: {b['filepath']}")
    lines.append("")
    lines.append("| N | steps | fit (s) | of which init (s) | solve (s) | rest: run + "
                 "accumulate (s) | peak RSS (MB, VmHWM) | memory model (MB) | pickle (MB) | "
                 "load before / after |")
    lines.append("|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        if "error" in r:
            lines.append(f"| {r.get('n_units')} | | FAILED: {r['error'][-300:]} |")
            continue
        lines.append(
            f"| {r['n_units']} | {r['steps']} | {r['fit_s']:.1f} | {r['initialize_s']:.1f} | "
            f"{r['solve_s']:.1f} | {r['train_s']:.1f} | {r['peak_rss_mb']:.0f} | "
            f"{r['memory_model_mb']['total']:.0f} | {r.get('pickle_mb', float('nan')):.1f} | "
            f"{_timing.load_text(r['load_before'])} / {_timing.load_text(r['load_after'])} |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n-units", type=int, nargs="+", default=[5000],
                        help="reservoir sizes N (default 5000; 20000 takes minutes)")
    parser.add_argument("--steps", type=int, default=20000)
    parser.add_argument("--density", type=float, default=0.1)
    parser.add_argument("--ridge", type=float, default=1e-6)
    parser.add_argument("--washout", type=int, default=100)
    parser.add_argument("--chunk-size", type=int, default=None,
                        help="ESNRegressor chunk_size (default: the estimator's default)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-pickle", dest="pickle", action="store_false",
                        help="do not measure the pickle size of the fitted model")
    parser.add_argument("--timeout", type=float, default=3600.0)
    parser.add_argument("--json", help="write the results to this file")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.n_units[0], args.steps, args.seed, args.density, args.ridge, args.washout,
              args.chunk_size, args.pickle)
        return 0
    command = shlex.join([sys.executable] + (sys.argv if argv is None else [__file__] + argv))
    info = machine_info()
    results = [run_child(args, n) for n in args.n_units]
    print(report(results, info, command))
    print()
    print(json.dumps({"command": command, "machine": info, "results": results}, indent=1))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"command": command, "machine": info, "results": results}, fh, indent=1)
    return 0 if all("error" not in r for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
