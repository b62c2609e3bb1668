"""The compiled loops of rcpod.quantum._kernels against the one definition of the cell equations,
:meth:`rcpod.quantum.cells.QuantumCell.step` evaluated by the dense :class:`VQCBank`."""
import numpy as np
import pytest

from rcpod.quantum import _kernels
from rcpod.quantum.cells import init_weights, make_cell
from rcpod.quantum.fast import VQCBank


@pytest.mark.parametrize("name, n_qubits, n_inputs, hidden", [
    ("rnn", 4, 1, None), ("rnn", 5, 2, 2), ("lstm", 4, 1, None), ("lstm", 5, 2, 2),
    ("gru", 4, 1, None), ("gru", 5, 2, 2)])
def test_kernel_equals_cell_step(name, n_qubits, n_inputs, hidden):
    cell = make_cell(name, n_qubits, n_inputs, hidden)
    rng = np.random.default_rng(n_qubits + n_inputs)
    bank = VQCBank(init_weights(cell.n_circuits, 2, n_qubits, "uniform", rng), cell.groups,
                   method="dense")
    X = rng.normal(scale=1.5, size=(3, 6, n_inputs))
    S0 = rng.uniform(-0.5, 0.5, size=(3, cell.n_states))   # not the zero state: every term counts
    states = _kernels.run_sequence(cell, bank, X, S0)
    s = S0
    for t in range(X.shape[1]):
        s = cell.step(bank.expvals, s, X[:, t])
        np.testing.assert_allclose(states[:, t], s, rtol=0, atol=1e-13)
