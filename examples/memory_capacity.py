"""Memory capacity (Jaeger 2001) of ESNs with ring, orthogonal, random normal and random uniform
recurrent matrices, and of reservoirpy's default reservoir.

    python examples/memory_capacity.py               # full: N = 20, 50, 100; 5 seeds
    python examples/memory_capacity.py --quick       # N = 20, 50; 3 seeds
    python examples/memory_capacity.py --out DIR     # default results/memory_capacity

Protocol: ``rcpod.reservoir.memory.memory_capacity`` (the protocol of
``reservoirpy.observables.memory_capacity``): ``k_max = 2N``, input ``U[-0.8, 0.8]`` i.i.d. of
length ``10 k_max`` (series seed ``100 + s`` for reservoir seed ``s``), washout ``k_max``, the last
20 % of the rows held out, one ridge readout for all delays, ``MC_d`` = squared correlation on the
held-out rows. The theory bound is ``MC <= N`` (estimates carry a small positive bias of about
``k_max / test rows`` = 0.5 from finite-sample correlations).

Two regimes of rcpod's ``ESN`` (density 1 for the random kinds, leak rate 1, no bias):

* near-linear: ``input_scaling=0.01``, ``spectral_radius=0.9``, ridge ``1e-10`` -- where a
  near-orthogonal W (ring, orthogonal) approaches ``MC = N`` and a random W reaches about N/2;
  (At N = 100 the factor ``0.9^d`` shrinks the longest delays to about 3e-5 of the input, the
  level of tanh's residual nonlinearity at this input scaling, so MC/N drops to about 0.92; with
  ``spectral_radius=0.95`` a ring reaches 0.99 -- measured on seed 0, not part of the table.)
* nonlinear: ``input_scaling=1``, ``spectral_radius=0.9``, ridge ``1e-8`` (tanh saturation costs
  memory).

reservoirpy: ``Reservoir(units=N, seed=s)`` with all its defaults (sr 1, lr 1, input scaling 1,
connectivity 0.1, Bernoulli W_in) and ``Ridge(ridge=1e-8)``, measured with reservoirpy's own
``memory_capacity`` on the same series.

Writes ``results.json`` and ``memory_capacity_curves.png`` (if matplotlib is installed).
"""
from __future__ import annotations

import logging
import time

import numpy as np


from rcpod.examples import _common
from rcpod.examples.report import headline_row
from rcpod.reservoir import ESN
from rcpod.reservoir.memory import memory_capacity

log = logging.getLogger("rcpod.examples.memory_capacity")

FULL = dict(sizes=(20, 50, 100), seeds=(0, 1, 2, 3, 4))
QUICK = dict(sizes=(20, 50), seeds=(0, 1, 2))
KINDS = ("ring", "orthogonal", "normal", "uniform")
REGIMES = {
    "near-linear": dict(esn=dict(spectral_radius=0.9, input_scaling=0.01), ridge=1e-10),
    "nonlinear": dict(esn=dict(spectral_radius=0.9, input_scaling=1.0), ridge=1e-8),
}
RPY_RIDGE = 1e-8


def esn_curve(kind, regime, N, seed, series):
    params = REGIMES[regime]
    esn = ESN(n_units=N, w_init=kind, density=1.0, random_state=seed, **params["esn"])
    return memory_capacity(esn, 2 * N, series=series, ridge=params["ridge"], return_curve=True)[1]


def reservoirpy_curve(N, seed, series):
    from reservoirpy.nodes import Reservoir, Ridge
    from reservoirpy.observables import memory_capacity as rpy_memory_capacity
    model = Reservoir(units=N, seed=seed) >> Ridge(ridge=RPY_RIDGE)
    return np.asarray(rpy_memory_capacity(model, 2 * N, as_list=True, series=series[:, None]))


def _figure(out, curves, N):
    plt = _common.pyplot()
    if plt is None:
        return []
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), sharey=True)
    d = np.arange(1, 2 * N + 1)
    for ax, regime in zip(axes, REGIMES):
        for kind in KINDS:
            ax.plot(d, np.mean(curves[(regime, kind, N)], axis=0), label=f"ESN {kind}")
        ax.plot(d, np.mean(curves[("reservoirpy", "default", N)], axis=0), "k--",
                label="reservoirpy default")
        ax.axvline(N, color="grey", lw=0.8, ls=":")
        ax.set_xlabel("delay d")
        ax.set_title(f"{regime} ESN, N={N}")
    axes[0].set_ylabel("MC_d (mean over seeds)")
    axes[1].legend(fontsize=7)
    return [_common.save_figure(fig, out / "memory_capacity_curves.png")]


def main(argv=None):
    """Run the memory capacity experiment; returns the result dict (also in results.json)."""
    parser = _common.make_parser(__doc__.split("\n\n")[0], "results/memory_capacity")
    args = parser.parse_args(argv)
    _common.setup_logging()
    settings = QUICK if args.quick else FULL
    out = _common.output_dir(args.out)
    t_start = time.perf_counter()

    curves = {}
    for N in _common.progress(settings["sizes"], "memory_capacity: sizes"):
        series = {s: np.random.default_rng(100 + s).uniform(-0.8, 0.8, 20 * N)
                  for s in settings["seeds"]}
        for regime in REGIMES:
            for kind in KINDS:
                curves[(regime, kind, N)] = np.array(
                    [esn_curve(kind, regime, N, s, series[s]) for s in settings["seeds"]])
        curves[("reservoirpy", "default", N)] = np.array(
            [reservoirpy_curve(N, s, series[s]) for s in settings["seeds"]])
        log.info("N=%d done", N)

    columns = ["reservoir", "regime"] + [f"MC (N={N})" for N in settings["sizes"]] \
        + [f"MC/N (N={N})" for N in settings["sizes"]]
    rows, raw = [], []
    labels = [(regime, kind) for regime in REGIMES for kind in KINDS] + [("reservoirpy", "default")]
    for regime, kind in labels:
        name = "reservoirpy Reservoir" if regime == "reservoirpy" else f"ESN {kind}"
        totals = {N: curves[(regime, kind, N)].sum(axis=1) for N in settings["sizes"]}
        rows.append([name, "defaults" if regime == "reservoirpy" else regime]
                    + [f"{totals[N].mean():.2f} ± {totals[N].std(ddof=1):.2f}"
                       for N in settings["sizes"]]
                    + [f"{totals[N].mean() / N:.3f}" for N in settings["sizes"]])
        for N in settings["sizes"]:
            raw.append(dict(reservoir=name, regime=regime, N=N, mc=totals[N],
                            curve_mean=curves[(regime, kind, N)].mean(axis=0)))
    table = dict(title=f"Memory capacity, k_max = 2N, mean ± sd over seeds "
                       f"{list(settings['seeds'])}", columns=columns, rows=rows)
    notes = [
        "Protocol of reservoirpy.observables.memory_capacity: u ~ U[-0.8, 0.8] of length 10 k_max "
        "(seed 100 + s), washout k_max, last 20 % held out; bound MC <= N.",
        "ESN: density 1, leak 1, no bias; near-linear: sr 0.9, input scaling 0.01, ridge 1e-10; "
        "nonlinear: sr 0.9, input scaling 1, ridge 1e-8.",
        f"reservoirpy: Reservoir(units=N, seed=s) defaults (sr 1, lr 1, input scaling 1, "
        f"connectivity 0.1) >> Ridge(ridge={RPY_RIDGE:g}), reservoirpy's memory_capacity.",
    ]
    figures = _figure(out, curves, max(settings["sizes"]))
    sizes = list(settings["sizes"])
    i_mc = 2 + sizes.index(max(sizes))  # columns of the largest N: MC, then MC/N
    i_ratio = i_mc + len(sizes)
    rpy = rows[labels.index(("reservoirpy", "default"))]
    headline = [headline_row(f"Memory capacity MC/N, ESN ring, {regime} regime, N={max(sizes)}",
                             f"{row[i_ratio]} (MC {row[i_mc]})",
                             f"bound 1 (MC <= N); reservoirpy defaults: {rpy[i_ratio]} "
                             f"(MC {rpy[i_mc]})")
                for (regime, kind), row in zip(labels, rows) if kind == "ring"]
    result = dict(command=_common.command_line("memory_capacity.py", argv),
                  seeds=list(settings["seeds"]), quick=bool(args.quick), tables=[table],
                  notes=notes, figures=figures, headline=headline, raw=raw,
                  seconds=time.perf_counter() - t_start)
    _common.save_json(out / "results.json", result)
    print(_common.format_table(columns, rows))
    for note in notes:
        print("- " + note)
    print(f"results written to {out}")
    return result


if __name__ == "__main__":
    main()
