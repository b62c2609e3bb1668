"""The quantum_benchmarks part: size matching, win/tie/loss and headline on a synthetic grid."""
import pytest

from rcpod.examples import quantum_benchmarks as qb
from rcpod.examples.report import headline_rows


def test_matched_sizes_follow_the_parameter_counts():
    # QRNN, 4 qubits, 2 layers: 1 circuit x 2 x 4 x 3 = 24 angles; QLSTM 6 circuits: 144
    assert qb.quantum_params("rnn", 4) == 24 and qb.quantum_params("lstm", 12) == 432
    assert qb.matched_esn(24) == 4                      # 4^2 + 4 = 20 is closest to 24
    assert qb.matched_cell("rnn", 24) == 4              # 1 x 4 x (4 + 3) = 28
    assert qb.n_features("q_uniform", "lstm", 8) == 8 and qb.n_features("q_uniform", "gru", 8) == 7
    assert qb.n_features("q_rich", "rnn", 4) == 3 + 12 + 6


def _grid(q_mc, c_mc):
    settings = dict(qubits=(4,), seeds=(0, 1))
    grid = {}
    for cell in qb.CELLS:
        for m in qb.QUANTUM + qb.CLASSICAL:
            base = q_mc[cell] if m in qb.QUANTUM else c_mc[cell]
            grid[(4, cell, m)] = [dict(mc=base + d, nrmse=1.0 / (base + 1) + d / 100, features=3,
                                       curve=[0.0]) for d in (-0.05, 0.05)]
    return grid, settings


def test_win_tie_lose_and_headline():
    grid, settings = _grid({"rnn": 3.0, "lstm": 1.0, "gru": 2.0},
                           {"rnn": 1.0, "lstm": 3.0, "gru": 2.02})
    wtl = qb.win_tie_lose(grid, settings)
    mc = wtl[("same dim", "mc")]
    assert mc["win"] == ["rnn@4"] and mc["lose"] == ["lstm@4"] and mc["tie"] == ["gru@4"]
    nr = wtl[("same params", "nrmse")]     # lower NRMSE where MC is higher in this grid
    assert nr["win"] == ["rnn@4"] and "lstm@4" in nr["lose"]
    rows = qb.make_headline(grid, wtl, settings)
    assert len(rows) == 3
    headline_rows({"parts": {"quantum_benchmarks": {"result": {"headline": rows}}}})  # valid
    assert "MC 1 / 1 / 1" in rows[1]["value"]


@pytest.mark.parametrize("preset", [qb.QUICK, qb.FULL])
def test_presets_cover_the_shot_range_and_exact(preset):
    assert None in preset["shots"] and 100 in preset["shots"]
    assert set(preset["rich_qubits"]) <= set(preset["qubits"])
    assert set(preset["shot_qubits"]) <= set(preset["qubits"])
