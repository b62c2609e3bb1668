"""reduce() at scale: time and peak memory of a rank-50 reduction against the number of units N.

    python -m rcpod.examples.reduction_scale             # N = 1k, 2k, 5k, 10k, 20k (about an hour)
    python -m rcpod.examples.reduction_scale --quick     # N = 1k, 2k (a few minutes)
    python -m rcpod.examples.reduction_scale --smoke     # N = 200, 400 (test suite)

Protocol (``benchmarks/bench_reduction_scale.py scale``, whose children this runs)
-------------------------------------------------------------------------------
* NARMA10, seed 0, long enough for 20,000 snapshots after the washout (100 steps) and the
  held-back 10 %; ``ESNRegressor(n_units=N, ridge=1e-6, washout=100, random_state=0)`` with
  W of 100 nonzeros per row on average (density ``100 / N``, 0.1 at N = 1000: the sparse recipe
  of large reservoirs), fitted and saved by one fresh process per N.
* Per method, a fresh process loads the model and times one ``reduce(..., rank=50)`` with the
  default options: ``pod-deim`` (POD basis, DEIM with m = 100) and the accurate variant
  ``pod-qdeim-linearized`` with ``basis="output-weighted"``. Its peak resident memory
  (``VmHWM``) is that process's: loading, the streamed snapshot Grams (at N = 20,000, where the
  20,000 snapshots are no more than N, the held run instead: ``snapshots="auto"``), the bases
  and the checks.
  At N = 5000 the rows with the package's default density 0.1 (500 nonzeros per row) are
  added: there one run of the full ESN over the 22,300 steps is a large share of the time.
* One repetition per cell (minutes each): no spread. The machine and its load are in the
  report's header and in the notes.
"""
from __future__ import annotations

import logging
import time


from rcpod.benchmarks import bench_reduction_scale as bench
from rcpod.benchmarks import timing
from rcpod.examples import _common
from rcpod.examples.report import headline_row

log = logging.getLogger("rcpod.examples.reduction_scale")

#: nonzeros per row of W (density 100 / N)
IN_DEGREE = 100
FULL = dict(n_units=(1000, 2000, 5000, 10000, 20000), dense_at=(5000,))
QUICK = dict(n_units=(1000, 2000), dense_at=())
SMOKE = dict(n_units=(200, 400), dense_at=())
LABELS = {"pod-deim": "POD-DEIM", "ow-pod-qdeim-lin": "OW basis, linearised Q-DEIM"}


def measure(st):
    """The rows of the benchmark: fixed in-degree at every N, density 0.1 where asked."""
    rows = bench.scale(st["n_units"], list(bench.SCALE_METHODS), in_degree=IN_DEGREE)
    if st["dense_at"]:
        rows += bench.scale(st["dense_at"], list(bench.SCALE_METHODS), density=0.1)
    return rows


def _table(rows):
    body = []
    for r in rows:
        if "error" in r:
            body.append([r["n_units"], "-", LABELS.get(r.get("method"), "fit"), "error", "-",
                         "-", r["error"][-120:]])
            continue
        goal = bench.SCALE_GOALS.get(r["n_units"])
        # one run has no spread: it can say under / over the goal, not MET
        verdict = "-" if goal is None else (
            "under" if r["reduce_s"] < goal[0] and r["peak_rss_mb"] < goal[1] else "over")
        body.append([r["n_units"], f"{r['nnz'] / r['n_units']:.0f}", LABELS[r["method"]],
                     f"{r['reduce_s']:.1f}", f"{r['peak_rss_mb']:.0f}", f"{r['fit_s']:.1f}",
                     verdict if goal is None else
                     f"{verdict} (< {goal[0]:.0f} s, < {goal[1] / 1024:.0f} GB)"])
    return dict(title="Rank-50 reduction of an N-unit ESN, 20,000 snapshots",
                columns=["N", "nonzeros / unit", "method", "reduce s", "peak MB", "fit s",
                         "goal"], rows=body)


def figure(out, rows):
    plt = _common.pyplot()
    if plt is None:
        return []
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    for method, label in LABELS.items():
        sel = sorted((r for r in rows if "error" not in r and r["method"] == method
                      and round(r["nnz"] / r["n_units"]) == IN_DEGREE),
                     key=lambda r: r["n_units"])
        if not sel:
            continue
        n = [r["n_units"] for r in sel]
        axes[0].plot(n, [r["reduce_s"] for r in sel], "o-", label=label)
        axes[1].plot(n, [r["peak_rss_mb"] / 1024 for r in sel], "o-", label=label)
    for ax, ylabel in zip(axes, ("reduce() time [s]", "peak resident memory [GB]")):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("ESN units N (100 nonzeros per row)")
        ax.set_ylabel(ylabel)
        ax.grid(True, which="both", alpha=0.3)
    for n, (sec, mb) in bench.SCALE_GOALS.items():
        axes[0].plot([n], [sec], "k_", ms=14, mew=2)
        axes[1].plot([n], [mb / 1024], "k_", ms=14, mew=2)
    axes[0].legend(title="goal: black bar", fontsize=8)
    fig.suptitle("rank 50, 20,000 snapshots (one run per point)")
    return [_common.save_figure(fig, out / "reduction_scale.png")]


def make_parser():
    parser = _common.make_parser(__doc__.split("\n\n")[0], "results/reduction_scale")
    parser.add_argument("--smoke", action="store_true", help="N = 200, 400 (seconds)")
    return parser


def main(argv=None):
    """Run the scaling benchmark's children; returns the result dict (and results.json)."""
    args = make_parser().parse_args(argv)
    _common.setup_logging()
    st = dict(SMOKE if args.smoke else QUICK if args.quick else FULL)
    out = _common.output_dir(args.out)
    t_start = time.perf_counter()
    load_before = timing.load_text(timing.load_snapshot())
    rows = measure(st)
    load_after = timing.load_text(timing.load_snapshot())
    notes = [f"Load average before / after the runs: {load_before} / {load_after}.",
             "Every cell is one run in a fresh process (no spread, so the goal column says "
             "under / over, not MET); `python benchmarks/bench_reduction_scale.py scale "
             "--n-units N --repeat 3` repeats a cell and judges by its slowest run. The peak "
             "memory is that process's VmHWM (loading the saved model and the data included, "
             "the fit not).",
             "snapshots='auto' holds the snapshot matrices while they take under 1 GB (N = "
             "1000 here: the results of rcpod 0.1, bit for bit, hence its larger peak), "
             "streams their Gram matrices above (N = 2000 - 10,000), and holds the run itself "
             "where its blocks take no more memory than the Gram they replace (N = 20,000, "
             "20,002 snapshots: rcpod.reduction.held_snapshots).",
             "The time includes one run of the full ESN over the 22,300 training steps, made "
             "chunk by chunk on numba's threads where W has 2 * 10^5 nonzeros or more "
             "(rcpod.reservoir.threaded_csr), the snapshot Gram matrices (N^2 per step) or the "
             "products with the held run (4 N l per step and product of l vectors), the "
             "leading eigenvectors and the checks. The streamed linearised variant needs two "
             "N^2-per-step Grams (states, then the remainder tanh(v) - D v once the slopes D "
             "are known) and, where the preactivations take over 1 GB (N > 6,700 here), a "
             "second run of the ESN."]
    verdicts = bench.scale_verdicts(rows)
    headline = [headline_row(f"reduce() N={n} ({per_unit:.0f} nonzeros/unit), "
                             f"{LABELS[method]}", text.split(" (goal ", 1)[0],
                             "goal " + text.split(" (goal ", 1)[1].rstrip(")"))
                for n, per_unit, method, text in verdicts[:4]]
    result = dict(command=_common.command_line("reduction_scale.py", argv), seeds=[],
                  quick=bool(args.quick), smoke=bool(args.smoke), settings=st,
                  tables=[_table(rows)], notes=notes, figures=figure(out, rows),
                  headline=headline, rows=rows, seconds=time.perf_counter() - t_start)
    return _common.finish(out, result)


if __name__ == "__main__":
    main()
