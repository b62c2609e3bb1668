"""Quantum RNN / LSTM / GRU reservoirs on the package's own benchmarks, at 4 to 12 qubits.

    python examples/quantum_benchmarks.py            # full: 4, 8, 12 qubits, 5 seeds, both inits
    python examples/quantum_benchmarks.py --quick    # 4 and 8 qubits, 2 seeds, short series (~1 min)
    python examples/quantum_benchmarks.py --out DIR  # output directory (default results/quantum_benchmarks)

Protocol (every number a mean +- sample sd over the seeds; seed ``s`` draws the reservoir
weights, the memory-capacity input and the NARMA10 series):

* Quantum reservoirs (:class:`rcpod.quantum.QuantumReservoir`): QRNN, QLSTM, QGRU with ``n``
  qubits, 2 layers, hidden size ``H = n - 1`` (the reference's rule ``H = n_qubits - n_inputs``
  of Chen et al. [1]_, 1 input + 3 hidden at 4 qubits, generalised to ``n``), frozen weights
  ``init="paper"`` (0.01 N(0, 1)) and ``init="uniform"`` (U(0, 2 pi)), exact expectation values
  (fast path: dense unitaries up to 8 qubits, gate by gate at 12). Readout features: the
  reference's (``h``, ``n - 1`` values, for QRNN/QGRU; ``ytilde``, ``n`` values, for QLSTM); and,
  as a separate model, ``measurements="xyz+zz"`` (adds ``<X_i>``, ``<Y_i>``, ``<Z_i>`` and
  ``<Z_i Z_j>`` of the output circuit: an addition of rcpod, not of [1]_).
* Classical reservoirs with the same readout: an ESN (:class:`rcpod.reservoir.ESN`, dense,
  spectral radius 0.9, input scaling 1, leak 1) and the random frozen PyTorch-style
  RNN/LSTM/GRU of the same cell type (:class:`rcpod.reservoir.ClassicalRNNReservoir`), each
  (a) with as many readout features as the quantum reservoir ("same dim") and (b) with as many
  frozen parameters as the quantum circuits have angles, ``n_circuits x 2 x n x 3``
  ("same params": ESN ``N^2 + N``, cell ``G H (H + 3)`` closest).
* Memory capacity (:func:`rcpod.reservoir.memory_capacity`, Jaeger 2001 [2]_): input
  U[-0.8, 0.8] i.i.d., ``k_max`` delays, ridge 1e-8, last 20 % of the rows held out.
* NARMA10 (:func:`rcpod.reservoir.narma`, textbook indices of Atiya & Parlos [3]_, input
  U[0, 0.5]), streaming one long series: the reservoir input is ``4 u - 1`` (in [-1, 1]), readout
  ridge (1e-6) on the features plus the input, washout 100, then train and test in one run;
  test NRMSE (std-normalised). Baseline: the same readout on the input alone (no reservoir).
* Oil-platform identification (the data and scaling of examples/oil_platform.py: 5 supervisory
  inputs in [-1, 1], 7 standardised outputs, train / validation / test runs of 2400 / 600 / 600
  steps, free run from rest after a warm-up of 100 constant-input steps): quantum cells with the
  5 inputs on the first 5 qubits, ``H = n - 5`` (so 8 and 12 qubits), against the same classical
  classes (matched for 5 inputs); ridge readout on features and inputs, ridge chosen on the
  validation split; test NRMSE averaged over the outputs. Baseline: inputs alone.
* Shot noise: the quantum reservoirs (uniform init, reference features) with ``shots`` in
  10^2 .. 10^5 per circuit evaluation (sampled from the exact probabilities with the reservoir's
  seed; the noise feeds back through the recurrence) and exact.
* Per-step time of the fast path and of PennyLane ``lightning.qubit`` at every qubit count
  (``benchmarks/bench_quantum_scale.py``, interleaved rounds, one thread each).
* Win / tie / loss: the better quantum init against the better classical model of a class
  (same dim: ESN or classical cell; same params: ESN or classical cell), per task, cell and
  qubit count; a tie when the means differ by less than the sum of the two seed sds.

References
----------
.. [1] S. Y.-C. Chen, D. Fry, A. Deshmukh, V. Rastunkov, C. Stefanski, "Reservoir Computing via
   Quantum Recurrent Neural Networks", arXiv:2211.02612, 2022.
.. [2] H. Jaeger, "Short term memory in echo state networks", GMD Report 152, 2001.
.. [3] A. F. Atiya, A. G. Parlos, "New results on recurrent network training: unifying the
   algorithms and accelerating convergence", IEEE TNN 11(3), 2000.
"""
from __future__ import annotations

import logging
import time

import numpy as np
from threadpoolctl import threadpool_limits

from rcpod.benchmarks import bench_quantum_scale as scale_bench
from rcpod.benchmarks import timing as _timing
from rcpod.examples import _common
from rcpod.examples.oil_platform import load_data as load_oil_data
from rcpod.examples.quantum_rc import _compare, _ms, classical_params
from rcpod.examples.report import headline_row
from rcpod.quantum import QuantumReservoir
from rcpod.quantum.cells import make_cell
from rcpod.reservoir import (ESN, BaseReservoir, ClassicalRNNReservoir, RidgeReadout,
                             memory_capacity, narma, nrmse)
from rcpod.reservoir.oil_platform.identification import with_warmup

log = logging.getLogger("rcpod.examples.quantum_benchmarks")

CELLS = ("rnn", "lstm", "gru")
N_LAYERS = 2
NARMA_RIDGE = 1e-6
NARMA_WASHOUT = 100
OIL_WARMUP = 100
OIL_RIDGES = (1e-6, 1e-4, 1e-2, 1.0, 100.0)
QUANTUM = ("q_paper", "q_uniform", "q_rich")
CLASSICAL = ("esn_dim", "cell_dim", "esn_par", "cell_par")
LABELS = {"q_paper": "quantum, paper init", "q_uniform": "quantum, uniform init",
          "q_rich": "quantum, uniform, xyz+zz", "esn_dim": "ESN, same dim",
          "cell_dim": "classical cell, same dim", "esn_par": "ESN, same params",
          "cell_par": "classical cell, same params"}

FULL = dict(qubits=(4, 8, 12), seeds=(0, 1, 2, 3, 4), k_max=40, mc_len=1500, narma_train=2000,
            narma_test=1000, rich_qubits=(4, 8, 12), shot_qubits=(4, 8),
            shots=(100, 1000, 10_000, 100_000, None), oil_qubits=(8, 12),
            timing=dict(qubits=[4, 8, 12], layers=[1, 2, 3, 4], repeats=3, steps=60, pl_steps=3))
QUICK = dict(qubits=(4, 8), seeds=(0, 1), k_max=20, mc_len=600, narma_train=600,
             narma_test=300, rich_qubits=(4,), shot_qubits=(4,), shots=(100, 10_000, None),
             oil_qubits=(8,),
             timing=dict(qubits=[4, 8], layers=[2], repeats=2, steps=20, pl_steps=1))


# -- model sizes --------------------------------------------------------------------------------
def quantum_params(cell, n):
    """Frozen circuit angles of a quantum cell: ``n_circuits x N_LAYERS x n x 3``."""
    return make_cell(cell, n, 1).n_circuits * N_LAYERS * n * 3


def n_features(model, cell, n, n_inputs=1):
    """Readout features of a quantum model (reference or xyz+zz)."""
    res = QuantumReservoir(cell=cell, n_qubits=n, n_layers=N_LAYERS,
                           measurements="xyz+zz" if model == "q_rich" else "reference")
    return res.initialize(n_inputs).n_features_out_


def matched_esn(P, n_inputs=1):
    """ESN size whose ``N^2 + N n_inputs`` (dense recurrent and input weights) is closest to P."""
    return min(range(1, 400), key=lambda N: (abs(N * N + N * n_inputs - P), N))


def matched_cell(cell, P, n_inputs=1):
    """Hidden size of a classical cell whose frozen parameter count is closest to P."""
    return min(range(1, 400), key=lambda H: (abs(classical_params(cell, H, n_inputs) - P), H))


def make_reservoir(model, cell, n, seed, shots=None, n_inputs=1):
    """The reservoir of one model for quantum cell ``cell`` at ``n`` qubits."""
    if model in QUANTUM:
        return QuantumReservoir(cell=cell, n_qubits=n, n_layers=N_LAYERS,
                                init="paper" if model == "q_paper" else "uniform",
                                measurements="xyz+zz" if model == "q_rich" else "reference",
                                shots=shots, random_state=seed)
    P = quantum_params(cell, n)
    F = n_features("q_uniform", cell, n, n_inputs)
    if model == "esn_dim":
        return ESN(n_units=F, spectral_radius=0.9, density=1.0, random_state=seed)
    if model == "esn_par":
        return ESN(n_units=matched_esn(P, n_inputs), spectral_radius=0.9, density=1.0,
                   random_state=seed)
    H = F if model == "cell_dim" else matched_cell(cell, P, n_inputs)
    return ClassicalRNNReservoir(cell=cell, hidden_size=H, random_state=seed)


# -- tasks --------------------------------------------------------------------------------------
def run_mc(reservoir, seed, settings):
    """Memory capacity and its curve on a U[-0.8, 0.8] input of ``mc_len`` steps."""
    u = np.random.default_rng(2000 + seed).uniform(-0.8, 0.8, settings["mc_len"])
    mc, curve = memory_capacity(reservoir, settings["k_max"], series=u, return_curve=True)
    return float(mc), curve


def narma_data(seed, settings):
    """NARMA10 input (as fed to the reservoirs, ``4 u - 1``) and target of one seed."""
    total = NARMA_WASHOUT + settings["narma_train"] + settings["narma_test"]
    u, y = narma(10, total, random_state=1000 + seed)
    return 4.0 * u - 1.0, y


def run_narma(reservoir, data, settings):
    """Test NRMSE of a ridge readout on ``[features, input]``, one streamed series (on the
    input alone when ``reservoir`` is None: the no-reservoir baseline)."""
    x, y = data
    if reservoir is None:
        F = x
    else:
        res = reservoir.initialize(1)
        F = np.hstack([res.features(res.run(x)), x])
    a, b = NARMA_WASHOUT, NARMA_WASHOUT + settings["narma_train"]
    readout = RidgeReadout(alpha=NARMA_RIDGE).fit(F[a:b], y[a:b])
    return float(nrmse(y[b:], readout.predict(F[b:])))


def run_model(model, cell, n, seed, settings, shots=None):
    """MC, MC curve, NARMA10 NRMSE, features and run time of one model and seed."""
    t0 = time.perf_counter()
    res = make_reservoir(model, cell, n, seed, shots)
    mc, curve = run_mc(res, seed, settings)
    nr = run_narma(make_reservoir(model, cell, n, seed, shots), narma_data(seed, settings),
                   settings)
    feats = res.initialize(1).n_features_out_
    return dict(mc=mc, curve=curve, nrmse=nr, features=int(feats),
                seconds=time.perf_counter() - t0)


def run_oil_model(model, cell, n, seed, data):
    """Free-run test NRMSE (mean over outputs) on the oil platform; ridge chosen on validation.

    Each split runs from rest after ``OIL_WARMUP`` steps of its constant first input (dropped);
    the readout sees the features and the input.
    """
    res = None if model is None else make_reservoir(model, cell, n, seed, n_inputs=5).initialize(5)
    feats = {}
    for split in ("train", "val", "test"):
        U = with_warmup(data[split]["un"], OIL_WARMUP)
        own = [] if res is None else [res.features(res.run(U))[OIL_WARMUP:]]
        feats[split] = np.hstack(own + [data[split]["un"]])
    ro = RidgeReadout().accumulate(feats["train"], data["train"]["yn"])
    best = None
    for alpha in OIL_RIDGES:
        ro.alpha = alpha
        ro.solve()
        val = float(np.mean(nrmse(data["val"]["yn"], ro.predict(feats["val"]),
                                  multioutput="raw_values")))
        if best is None or val < best[0]:
            test = float(np.mean(nrmse(data["test"]["yn"], ro.predict(feats["test"]),
                                       multioutput="raw_values")))
            best = (val, test, alpha)
    return dict(val=best[0], test=best[1], ridge=best[2],
                features=0 if res is None else int(res.n_features_out_))


def run_oil(settings):
    """Every (qubits, cell, model, seed) of the oil-platform identification."""
    if not settings["oil_qubits"]:
        return {}
    _, data, _, _ = load_oil_data()
    out = {}
    jobs = [(n, cell, model) for n in settings["oil_qubits"] for cell in CELLS
            for model in ("q_paper", "q_uniform") + CLASSICAL]
    out["input only"] = [run_oil_model(None, None, None, None, data)]
    for n, cell, model in _common.progress(jobs, "oil platform"):
        out[(n, cell, model)] = [run_oil_model(model, cell, n, s, data) for s in settings["seeds"]]
        log.info("oil n=%d %s %s: test NRMSE %.3f +- %.3f", n, cell, model,
                 *_ms([r["test"] for r in out[(n, cell, model)]]))
    return out


class NoiseFeatures(BaseReservoir):
    """``n_units`` i.i.d. N(0, 1) features with no memory at all: the estimation floor of the
    memory-capacity protocol (spurious test correlations of a readout fitted to noise).

    Parameters
    ----------
    n_units : int
    random_state : int or None

    Examples
    --------
    >>> NoiseFeatures(3, random_state=0).initialize(1).run(np.zeros((4, 1))).shape
    (4, 3)
    """

    def __init__(self, n_units=3, random_state=None):
        self.n_units = n_units
        self.random_state = random_state

    def _initialize(self, n_inputs):
        self.n_inputs_, self.n_states_ = n_inputs, int(self.n_units)

    def _run(self, inputs, state0):
        rng = np.random.default_rng(self.random_state)
        return rng.standard_normal(inputs.shape[:-1] + (self.n_states_,))


def mc_noise_floor(settings):
    """MC of :class:`NoiseFeatures` for every quantum reference feature count, over the seeds."""
    counts = sorted({n_features(m, c, n) for n in settings["qubits"] for c in CELLS
                     for m in ("q_uniform",)})
    return {F: [run_mc(NoiseFeatures(F, random_state=s), s, settings)[0]
                for s in settings["seeds"]] for F in counts}


def run_grid(settings):
    """Every (qubits, cell, model, seed) of the main grid."""
    out = {}
    jobs = [(n, cell, model) for n in settings["qubits"] for cell in CELLS
            for model in QUANTUM + CLASSICAL
            if model != "q_rich" or n in settings["rich_qubits"]]
    out["input only"] = [dict(nrmse=run_narma(None, narma_data(s, settings), settings))
                         for s in settings["seeds"]]
    for n, cell, model in _common.progress(jobs, "quantum_benchmarks"):
        recs = [run_model(model, cell, n, s, settings) for s in settings["seeds"]]
        out[(n, cell, model)] = recs
        log.info("n=%d %s %s: MC %.2f +- %.2f, NRMSE %.3f +- %.3f (%d features, %.1f s)", n, cell,
                 model, *_ms([r["mc"] for r in recs]), *_ms([r["nrmse"] for r in recs]),
                 recs[0]["features"], sum(r["seconds"] for r in recs))
    return out


def run_shots(settings):
    """MC and NARMA10 of the uniform-init quantum reservoirs against the number of shots."""
    out = {}
    jobs = [(n, cell, shots) for n in settings["shot_qubits"] for cell in CELLS
            for shots in settings["shots"]]
    for n, cell, shots in _common.progress(jobs, "shots"):
        recs = [run_model("q_uniform", cell, n, s, settings, shots) for s in settings["seeds"]]
        out[(n, cell, shots)] = recs
        log.info("n=%d %s shots=%s: MC %.2f, NRMSE %.3f", n, cell, shots,
                 _ms([r["mc"] for r in recs])[0], _ms([r["nrmse"] for r in recs])[0])
    return out


# -- tables -------------------------------------------------------------------------------------
def _pm(values, digits=2):
    m, s = _ms(values)
    return f"{m:.{digits}f} ± {s:.{digits}f}"


def main_tables(grid, settings):
    """MC and NARMA10 tables: rows (qubits, cell), columns the models."""
    models = QUANTUM + CLASSICAL
    tabs = []
    for key, title, digits in (("mc", f"Memory capacity (k_max = {settings['k_max']}, "
                                      f"{settings['mc_len']} input steps)", 2),
                               ("nrmse", "NARMA10 test NRMSE (textbook indices, one streamed "
                                         f"series: washout {NARMA_WASHOUT}, "
                                         f"{settings['narma_train']} train, "
                                         f"{settings['narma_test']} test; ridge on the input "
                                         "alone, no reservoir: "
                                         f"{_pm([r['nrmse'] for r in grid['input only']], 3)})",
                                3)):
        rows = []
        for n in settings["qubits"]:
            for cell in CELLS:
                row = [n, cell]
                for m in models:
                    recs = grid.get((n, cell, m))
                    row.append(_pm([r[key] for r in recs], digits) if recs else "")
                rows.append(row)
        tabs.append({"title": f"{title}; mean ± sd over seeds {list(settings['seeds'])}",
                     "columns": ["qubits", "cell"] + [LABELS[m] for m in models], "rows": rows})
    return tabs


def size_table(grid, settings):
    """Readout features and frozen parameters of every model."""
    rows = []
    for n in settings["qubits"]:
        for cell in CELLS:
            P = quantum_params(cell, n)
            feats = {m: grid[(n, cell, m)][0]["features"] for m in QUANTUM + CLASSICAL
                     if (n, cell, m) in grid}
            rows.append([n, cell, P, feats.get("q_uniform"), feats.get("q_rich", ""),
                         f"N={feats['esn_dim']}", f"N={matched_esn(P)} ({matched_esn(P) ** 2 + matched_esn(P)})",
                         f"H={feats['cell_dim']}",
                         f"H={matched_cell(cell, P)} ({classical_params(cell, matched_cell(cell, P))})"])
    return {"title": "Model sizes: frozen parameters and readout features (same params: "
                     "frozen parameter count in parentheses)",
            "columns": ["qubits", "cell", "quantum angles", "quantum features",
                        "quantum xyz+zz features", "ESN same dim", "ESN same params",
                        "classical cell same dim", "classical cell same params"],
            "rows": rows}


def shots_table(shots_res, settings):
    rows = []
    for n in settings["shot_qubits"]:
        for cell in CELLS:
            for shots in settings["shots"]:
                recs = shots_res[(n, cell, shots)]
                rows.append([n, cell, "exact" if shots is None else f"{shots:.0e}",
                             _pm([r["mc"] for r in recs]), _pm([r["nrmse"] for r in recs], 3)])
    return {"title": "Shot noise: quantum reservoirs (uniform init, reference features) with "
                     "shots per circuit evaluation; mean ± sd over seeds "
                     f"{list(settings['seeds'])}",
            "columns": ["qubits", "cell", "shots", "memory capacity", "NARMA10 NRMSE"],
            "rows": rows}


def _best(grid, n, cell, models, key):
    """The model (of ``models``) with the best mean on ``key`` and its values."""
    lower = key != "mc"
    cands = [(m, [r[key] for r in grid[(n, cell, m)]]) for m in models if (n, cell, m) in grid]
    return min(cands, key=lambda c: np.mean(c[1]) if lower else -np.mean(c[1]))


TASKS = {"mc": "memory capacity", "nrmse": "NARMA10 NRMSE", "test": "oil platform NRMSE"}


def win_tie_lose(grid, settings, oil=None):
    """Better quantum init vs better classical model of a class, per task, cell and qubits.

    Keys ``(class, task)`` with task ``"mc"``, ``"nrmse"`` (NARMA10) and, with ``oil``, ``"test"``
    (oil-platform test NRMSE).
    """
    out = {}
    sources = [("mc", grid, settings["qubits"]), ("nrmse", grid, settings["qubits"])]
    if oil:
        sources.append(("test", oil, settings["oil_qubits"]))
    for cls, models in (("same dim", ("esn_dim", "cell_dim")),
                        ("same params", ("esn_par", "cell_par"))):
        for key, results, qubits in sources:
            tally = {"win": [], "tie": [], "lose": []}
            for n in qubits:
                for cell in CELLS:
                    _, q = _best(results, n, cell, ("q_paper", "q_uniform"), key)
                    _, c = _best(results, n, cell, models, key)
                    # _compare calls lower better: negate the memory capacity
                    res = _compare(q, c) if key != "mc" else _compare([-v for v in q],
                                                                      [-v for v in c])
                    tally[res].append(f"{cell}@{n}")
            out[(cls, key)] = tally
    return out


def wtl_table(wtl):
    rows = [[f"quantum vs classical, {cls}", TASKS[key], len(t["win"]), len(t["tie"]), len(t["lose"]),
             ", ".join(t["win"]) or "-", ", ".join(t["tie"]) or "-"]
            for (cls, key), t in wtl.items()]
    return {"title": "Win / tie / loss of the better quantum init (reference features) against "
                     "the better classical model of a class (tie: means closer than the sum of "
                     "the seed sds), over cells x qubit counts",
            "columns": ["comparison", "task", "wins", "ties", "losses", "won", "tied"],
            "rows": rows}


def oil_table(oil, settings):
    models = ("q_paper", "q_uniform") + CLASSICAL
    rows = [[n, cell] + [_pm([r["test"] for r in oil[(n, cell, m)]], 3) for m in models]
            for n in settings["oil_qubits"] for cell in CELLS]
    return {"title": "Oil platform identification, free-run test NRMSE (mean over the 7 "
                     "outputs; 5 supervisory inputs on the first 5 qubits, hidden size n - 5; "
                     "ridge chosen on the validation split from "
                     f"{list(OIL_RIDGES)}; warm-up {OIL_WARMUP} steps; ridge on the inputs alone, no "
                     f"reservoir: {oil['input only'][0]['test']:.3f}); mean ± sd over seeds "
                     f"{list(settings['seeds'])}",
            "columns": ["qubits", "cell"] + [LABELS[m] for m in models], "rows": rows}


def timing_table_rows(settings):
    """Rows of ``benchmarks/bench_quantum_scale.py`` and the load average at start and end."""
    before = _timing.load_snapshot()
    with threadpool_limits(limits=1):
        rows, _ = scale_bench.run(cells=list(CELLS), **settings["timing"])
    return rows, f"{_timing.load_text(before)} at start, {_timing.load_text(_timing.load_snapshot())} at end"


# -- figures ------------------------------------------------------------------------------------
COLORS = {"q_paper": "tab:blue", "q_uniform": "tab:green", "q_rich": "tab:olive",
          "esn_dim": "tab:orange", "cell_dim": "tab:red", "esn_par": "tab:purple",
          "cell_par": "tab:brown"}


def figures(out, grid, shots_res, settings):
    plt = _common.pyplot()
    if plt is None:
        return []
    files = []
    models = QUANTUM + CLASSICAL
    n_big = max(settings["qubits"])
    fig, axes = plt.subplots(1, 3, figsize=(14, 3.6), sharey=True)
    for ax, cell in zip(axes, CELLS):
        for m in models:
            if (n_big, cell, m) not in grid:
                continue
            curves = np.array([r["curve"] for r in grid[(n_big, cell, m)]])
            ax.plot(np.arange(1, curves.shape[1] + 1), curves.mean(axis=0), color=COLORS[m],
                    label=LABELS[m], ls="-" if m in QUANTUM else "--")
        ax.set_title(f"{cell}, {n_big} qubits")
        ax.set_xlabel("delay d")
    axes[0].set_ylabel("MC_d (mean over seeds)")
    axes[-1].legend(fontsize=7)
    files.append(_common.save_figure(fig, out / "quantum_benchmarks_mc_curves.png"))
    for key, ylabel, name in (("mc", "memory capacity", "mc_vs_qubits"),
                              ("nrmse", "NARMA10 test NRMSE", "nrmse_vs_qubits")):
        fig, axes = plt.subplots(1, 3, figsize=(14, 3.6), sharey=True)
        for ax, cell in zip(axes, CELLS):
            for m in models:
                ns = [n for n in settings["qubits"] if (n, cell, m) in grid]
                if not ns:
                    continue
                stats = [_ms([r[key] for r in grid[(n, cell, m)]]) for n in ns]
                ax.errorbar(ns, [s[0] for s in stats], yerr=[s[1] for s in stats], color=COLORS[m],
                            label=LABELS[m], marker="o", capsize=3,
                            ls="-" if m in QUANTUM else "--")
            ax.set_title(cell)
            ax.set_xlabel("qubits")
            ax.set_xticks(settings["qubits"])
        axes[0].set_ylabel(ylabel)
        axes[-1].legend(fontsize=7)
        files.append(_common.save_figure(fig, out / f"quantum_benchmarks_{name}.png"))
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    top = 10 * max(s for s in settings["shots"] if s is not None)
    for n in settings["shot_qubits"]:
        for cell in CELLS:
            xs = [top if s is None else s for s in settings["shots"]]
            for ax, key in zip(axes, ("mc", "nrmse")):
                stats = [_ms([r[key] for r in shots_res[(n, cell, s)]]) for s in settings["shots"]]
                ax.errorbar(xs, [s[0] for s in stats], yerr=[s[1] for s in stats], marker="o",
                            capsize=3, label=f"{cell}, {n} qubits")
    for ax, ylabel in zip(axes, ("memory capacity", "NARMA10 test NRMSE")):
        ax.set_xscale("log")
        ax.set_xlabel("shots per circuit evaluation (rightmost point = exact)")
        ax.set_ylabel(ylabel)
    axes[0].legend(fontsize=7)
    files.append(_common.save_figure(fig, out / "quantum_benchmarks_mc_vs_shots.png"))
    return files


# -- headline and notes -------------------------------------------------------------------------
def make_headline(grid, wtl, settings, shots_res=None):
    n = max(settings["qubits"])
    best_q = {c: _best(grid, n, c, ("q_paper", "q_uniform"), "mc") for c in CELLS}
    best_c = {c: _best(grid, n, c, CLASSICAL, "mc") for c in CELLS}
    mcq = ", ".join(f"{c} {_pm(v)}" for c, (_, v) in best_q.items())
    mcc = ", ".join(f"{c} {_pm(v)} ({LABELS[m]})" for c, (m, v) in best_c.items())
    rows = [headline_row(f"Memory capacity, quantum reservoirs at {n} qubits (better init, "
                         f"reference features)", mcq, f"best classical: {mcc}")]
    for cls in ("same dim", "same params"):
        text = "; ".join(f"{TASKS[key].split(' NRMSE')[0].replace('memory capacity', 'MC')} "
                         f"{len(t['win'])} / {len(t['tie'])} / {len(t['lose'])}"
                         for (c, key), t in wtl.items() if c == cls)
        rows.append(headline_row(
            f"Quantum vs classical reservoirs of the {cls}: wins / ties / losses over the "
            f"cell x qubit pairs of each task", text,
            "better of ESN and random classical cell, same ridge readout"))
    if shots_res:
        n = max(settings["shot_qubits"])
        top = max(s for s in settings["shots"] if s is not None)
        text = ", ".join(f"{c} {_pm([r['mc'] for r in shots_res[(n, c, top)]])} "
                         f"(exact {_pm([r['mc'] for r in shots_res[(n, c, None)]])})"
                         for c in CELLS)
        rows.append(headline_row(f"Memory capacity with {top:.0e} shots per circuit "
                                 f"evaluation, {n} qubits, uniform init", text,
                                 "exact expectation values (same seeds)"))
    return rows


def make_notes(grid, shots_res, wtl, settings, timing_rows, floor=None, oil=None):
    notes = []
    if floor:
        notes.append("Memory capacity of i.i.d. noise features (no memory at all; the estimation "
                     "floor of this protocol: readouts fitted to noise still correlate a little "
                     "on the test rows): " + ", ".join(f"{F} features {_pm(v)}"
                                                     for F, v in floor.items())
                     + ". A memory capacity at this level is no memory.")
    for (cls, key), t in wtl.items():
        task = TASKS[key]
        notes.append(f"{task}, quantum vs classical of the {cls}: {len(t['win'])} wins "
                     f"({', '.join(t['win']) or 'none'}), {len(t['tie'])} ties, "
                     f"{len(t['lose'])} losses.")
    if oil:
        vals = [np.mean([r["test"] for r in recs]) for k, recs in oil.items() if k != "input only"]
        notes.append(f"Oil platform: every model here lies between {min(vals):.3f} and "
                     f"{max(vals):.3f} test NRMSE, next to {oil['input only'][0]['test']:.3f} for "
                     "the readout on the inputs alone: at these sizes (<= 20 units, <= 12 qubits, "
                     "no leak) no reservoir, quantum or classical, captures the slow plant; the "
                     "ties say 'equally unhelpful'. The tuned ESN of the oil_platform part "
                     "(N = 1000, leak 0.1) is the model that works there.")
    runs = [r for k, recs in grid.items() if isinstance(k, tuple) for r in recs]
    over = [r for r in runs if r["mc"] > r["features"] + 1e-9]
    notes.append(f"Memory capacity never exceeds the number of readout features: "
                 f"{'holds for every run' if not over else f'VIOLATED in {len(over)} runs'} "
                 f"({len(runs)} runs).")
    for n in settings["shot_qubits"]:
        for cell in CELLS:
            ex = _ms([r["mc"] for r in shots_res[(n, cell, None)]])[0]
            lo = min(s for s in settings["shots"] if s is not None)
            hi = max(s for s in settings["shots"] if s is not None)
            notes.append(f"Shots, {cell} at {n} qubits: MC {_ms([r['mc'] for r in shots_res[(n, cell, lo)]])[0]:.2f} "
                         f"at {lo} shots, {_ms([r['mc'] for r in shots_res[(n, cell, hi)]])[0]:.2f} at "
                         f"{hi}, {ex:.2f} exact.")
    if timing_rows:
        slow = max(timing_rows, key=lambda r: r["fast_s"])
        notes.append(f"Largest per-step time of the fast path: {slow['cell']} at {slow['n']} "
                     f"qubits, {slow['L']} layers, {slow['fast_s'] * 1e3:.2f} ms "
                     f"(lightning.qubit {slow['lightning_s'] * 1e3:.1f} ms).")
    notes.append("Quantum weights, MC input and NARMA series share the seed; every model of a "
                 "seed sees the same inputs. Times are on the machine of the report header, "
                 "shared with other jobs.")
    return notes


def _jsonable(grid):
    return {"|".join(map(str, k)) if isinstance(k, tuple) else k: recs
            for k, recs in grid.items()}


def main(argv=None):
    """Run the experiment; returns the result dict (tables, figures, notes, headline)."""
    parser = _common.make_parser(__doc__.split("\n")[0], "results/quantum_benchmarks")
    _common.add_seeds_option(parser)
    args = parser.parse_args(argv)
    args.smoke = False
    _common.setup_logging()
    settings = _common.preset(args, FULL, QUICK, QUICK)
    out = _common.output_dir(args.out)
    t_start = time.perf_counter()
    with threadpool_limits(limits=1):
        grid = run_grid(settings)
        shots_res = run_shots(settings)
        oil = run_oil(settings)
    t_exp = time.perf_counter() - t_start
    timing_rows, load = timing_table_rows(settings)
    timing_tab = scale_bench.table(timing_rows)
    timing_tab["title"] += f"; load average {load}"
    wtl = win_tie_lose(grid, settings, oil)
    tables = main_tables(grid, settings) + [wtl_table(wtl), size_table(grid, settings),
                                            shots_table(shots_res, settings)]
    tables += ([oil_table(oil, settings)] if oil else []) + [timing_tab]
    floor = mc_noise_floor(settings)
    notes = make_notes(grid, shots_res, wtl, settings, timing_rows, floor, oil)
    figs = figures(out, grid, shots_res, settings)
    result = dict(
        command=_common.command_line("quantum_benchmarks.py", argv), seeds=list(settings["seeds"]),
        quick=bool(args.quick), tables=tables, notes=notes, figures=figs,
        headline=make_headline(grid, wtl, settings, shots_res),
        settings={k: v for k, v in settings.items()}, grid=_jsonable(grid),
        shots=_jsonable(shots_res), oil=_jsonable(oil), mc_noise_floor=floor,
        timing_rows=timing_rows, experiment_seconds=t_exp,
        seconds=time.perf_counter() - t_start)
    return _common.finish(out, result)


if __name__ == "__main__":
    main()
