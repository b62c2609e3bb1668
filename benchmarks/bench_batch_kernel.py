"""The batched sparse ESN kernel: LLVM-IR lanes (``group_kernels()["ir"]`` of
rcpod.reservoir.kernels) against the plain numba loop that is its fallback
(``group_kernels()["plain"]``), interleaved, with bit-identity checked.

    python benchmarks/bench_batch_kernel.py                 # N = 100, 500, 1000; 2000 steps
    python benchmarks/bench_batch_kernel.py --sizes 2000 --steps 500

One group of LANES series over all steps, one thread; best of the interleaved rounds, with the
median and spread of the per-round ratios (plain time / IR time).
"""
from __future__ import annotations

import argparse

import numpy as np

from rcpod.benchmarks import timing as _timing
from rcpod.benchmarks.machine import cpu_model
from rcpod.reservoir import ESN
from rcpod.reservoir import kernels as K


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[100, 500, 1000])
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args(argv)
    before = _timing.load_snapshot()
    print(f"CPU: {cpu_model()}; load {_timing.load_text(before)}; LANES={K.LANES}")
    kernels = K.group_kernels()
    rows = []
    for N in args.sizes:
        esn = ESN(N, random_state=0).initialize(1)
        arrays = K.csr_arrays(esn.W_)
        u = np.random.default_rng(0).uniform(-1, 1, (K.LANES, args.steps, 1))
        outs = {}

        def runner(kernel, name):
            def run():
                out = np.empty((K.LANES, args.steps, N))
                kernel(*arrays, esn.W_in_, esn.bias_, u, np.zeros((N, K.LANES)), 0.0, 1.0,
                       out, 0)
                outs[name] = out
            return run

        ir, plain = runner(kernels["ir"], "ir"), runner(kernels["plain"], "plain")
        times = _timing.interleaved_times({"ir": ir, "plain": plain}, args.repeats)
        t_ir, t_plain = times["ir"], times["plain"]
        stats = _timing.ratio_stats(t_plain, t_ir)
        same = bool(np.array_equal(outs["ir"], outs["plain"]))
        rows.append((N, min(t_ir), min(t_plain), stats, same))
        print(f"N={N}: IR {min(t_ir) * 1e3:.1f} ms, plain {min(t_plain) * 1e3:.1f} ms, plain/IR "
              f"{_timing.ratio_cell(_timing.fmt_x(stats['best']), stats)}, bit-identical {same}")
    print(f"load after: {_timing.load_text(_timing.load_snapshot())}")
    return rows


if __name__ == "__main__":
    main()
