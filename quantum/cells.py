"""Quantum RNN, LSTM and GRU cells built from VQCs: the one definition of their equations.

A cell is described independently of how its circuits are evaluated: :meth:`QuantumCell.step`
takes an ``evaluate(group, v)`` callable returning ``<Z_i>`` on every wire, shape
``(B, n_circuits_in_group, n_qubits)``, for the circuits of one *group* (circuits that read the
same input and can be evaluated in one batched operation). The fast exact backend
(:class:`rcpod.quantum.fast.VQCBank`), PennyLane QNodes and the differentiable evaluators of
:mod:`rcpod.quantum.trained` all provide such a callable.

The equations are written once, against an array namespace ``xp`` (``numpy`` for the frozen
reservoirs, ``pennylane.numpy`` when :mod:`rcpod.quantum.trained` differentiates through them
with autograd): :meth:`QuantumCell.step` uses only ``xp.tanh``, ``xp.zeros``,
``xp.concatenate``, slicing and arithmetic, and never updates an array in place. The compiled
loops of the private ``rcpod.quantum._kernels`` are a second execution engine of the same
equations, tested against :meth:`QuantumCell.step`.

Notation: ``x_t`` input (n_in), ``h`` hidden state (H), ``n`` qubits with ``n >= n_in + H``;
the circuit input is ``v_t = [x_t ; h_{t-1} ; 0...]`` (x on the first wires, zero padding on
unused wires), ``VQC_k(v)[:m]`` the first ``m`` measured wires.

QRNN  (1 circuit)::

    h_t = tanh(VQC_1(v_t)[:H])

QLSTM (6 circuits, as in the authors' ``VQLSTM``; ``c`` and ``ytilde`` have ``n`` entries)::

    f = sigmoid(VQC_1(v_t)), i = sigmoid(VQC_2(v_t)), g = tanh(VQC_3(v_t)), o = sigmoid(VQC_4(v_t))
    c_t = f * c_{t-1} + i * g ;  m_t = o * tanh(c_t)
    h_t = VQC_5(m_t)[:H] ;  ytilde_t = VQC_6(m_t)

QGRU  (3 circuits)::

    r = sigmoid(VQC_1(v_t)[:H]), z = sigmoid(VQC_2(v_t)[:H])
    n_t = tanh(VQC_3([x_t ; r * h_{t-1}])[:H]) ;  h_t = z * h_{t-1} + (1 - z) * n_t

QRNN and QLSTM follow [1]_, [2]_ and the authors' code [3]_. QGRU is the standard GRU with each
affine map replaced by a VQC; it was not checked against the exact form of [1]_.

References
----------
.. [1] S. Y.-C. Chen, D. Fry, A. Deshmukh, V. Rastunkov, C. Stefanski, "Reservoir Computing via
   Quantum Recurrent Neural Networks", arXiv:2211.02612, 2022.
.. [2] S. Y.-C. Chen, S. Yoo, Y.-L. L. Fang, "Quantum Long Short-Term Memory", arXiv:2009.01783,
   2020 (QLSTM cell).
.. [3] Authors' code, github.com/ycchen1989/FederatedQLSTM, ``lstm_base_class.py`` (``VQLSTM``).
"""
from __future__ import annotations

import numpy as np

from rcpod.reservoir.validation import check_int

__all__ = ["QuantumCell", "QRNNCell", "QLSTMCell", "QGRUCell", "make_cell", "init_weights", "CELLS"]


def _sigmoid(x, xp):
    """Logistic function through ``tanh`` (no overflow for large ``|x|``)."""
    return 0.5 * (1.0 + xp.tanh(0.5 * x))


def init_weights(n_circuits, n_layers, n_qubits, init, rng):
    """Draw the frozen circuit weights once.

    Parameters
    ----------
    n_circuits, n_layers, n_qubits : int
    init : {"paper", "uniform"}
        ``"paper"``: ``0.01 * N(0, 1)`` as in the authors' code; ``"uniform"``: ``U(0, 2 pi)``.
    rng : numpy.random.Generator

    Returns
    -------
    weights : array of shape (n_circuits, n_layers, n_qubits, 3)

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.quantum.cells import init_weights
    >>> w = init_weights(6, 2, 4, "paper", np.random.default_rng(0))
    >>> w.shape, bool(np.abs(w).max() < 0.1)             # small angles: 0.01 N(0, 1)
    ((6, 2, 4, 3), True)
    >>> init_weights(1, 1, 2, "zeros", np.random.default_rng(0))
    Traceback (most recent call last):
    ...
    ValueError: init must be 'paper' or 'uniform', got 'zeros'.
    """
    shape = (n_circuits, n_layers, n_qubits, 3)
    if init == "paper":
        return 0.01 * rng.standard_normal(shape)
    if init == "uniform":
        return rng.uniform(0.0, 2.0 * np.pi, size=shape)
    raise ValueError(f"init must be 'paper' or 'uniform', got {init!r}.")


class QuantumCell:
    """Base description of a quantum recurrent cell.

    Parameters
    ----------
    n_qubits : int
        Qubits per circuit.
    n_inputs : int
        Input features per time step.
    hidden_size : int or None
        Hidden size ``H``; ``n_qubits - n_inputs`` by default. Needs ``n_inputs + H <= n_qubits``.

    Examples
    --------
    The circuit input puts ``x`` on the first wires, ``h`` next and zeros on unused wires:

    >>> import numpy as np
    >>> from rcpod.quantum.cells import QRNNCell
    >>> cell = QRNNCell(n_qubits=4, n_inputs=1, hidden_size=2)
    >>> cell.circuit_input(np.array([[0.5]]), np.array([[0.1, 0.2]])).tolist()
    [[0.5, 0.1, 0.2, 0.0]]
    >>> QRNNCell(n_qubits=1, n_inputs=1)
    Traceback (most recent call last):
    ...
    ValueError: n_qubits=1 is too small for the rnn cell: ...
    """

    name = "base"
    n_circuits = 0
    #: circuits evaluated together (same input)
    groups = ()
    #: (group, position in the group) of the circuit that gives the cell's output features; the
    #: extra readout measurements of :class:`rcpod.quantum.QuantumReservoir` are taken on it
    output_circuit = (0, 0)

    def __init__(self, n_qubits, n_inputs, hidden_size=None):
        n_inputs = check_int("n_inputs", n_inputs)
        n_qubits = check_int("n_qubits", n_qubits)
        if n_qubits < n_inputs + 1:
            raise ValueError(f"n_qubits={n_qubits!r} is too small for the {self.name} cell: it needs "
                             f"n_inputs + hidden_size qubits, at least {n_inputs + 1} for "
                             f"n_inputs={n_inputs} (one input wire per feature, >= 1 hidden wire).")
        if hidden_size is None:
            hidden_size = n_qubits - n_inputs
        hidden_size = check_int("hidden_size", hidden_size)
        if n_inputs + hidden_size > n_qubits:
            raise ValueError(f"n_qubits={n_qubits} is too small for n_inputs={n_inputs} plus "
                             f"hidden_size={hidden_size}; need n_qubits >= {n_inputs + hidden_size}.")
        self.n_qubits = int(n_qubits)
        self.n_inputs = int(n_inputs)
        self.hidden_size = int(hidden_size)

    # -- layout -----------------------------------------------------------------------------
    @property
    def n_states(self):
        """Length of the state vector (everything the cell carries)."""
        return self.hidden_size

    def features(self, states):
        """What the readout sees of the states."""
        return states

    @property
    def n_features(self):
        return self.hidden_size

    def circuit_input(self, x, h, xp=np):
        """``v = [x ; h ; 0...]``, shape (B, n_qubits) (``xp``: array namespace)."""
        pad = self.n_qubits - x.shape[-1] - h.shape[-1]
        parts = [x, h] + ([xp.zeros(x.shape[:-1] + (pad,))] if pad else [])
        return xp.concatenate(parts, axis=-1)

    def step(self, evaluate, state, x, xp=np):  # pragma: no cover - abstract
        """One step: ``state (B, n_states), x (B, n_inputs) -> new state (B, n_states)``.

        ``evaluate(group, v)`` gives ``<Z>`` of the group's circuits, (B, n_in_group, n_qubits);
        ``xp`` is the array namespace (``numpy`` or ``pennylane.numpy``).
        """
        raise NotImplementedError


class QRNNCell(QuantumCell):
    """QRNN cell ``h_t = tanh(VQC(v_t)[:H])`` (one circuit).

    Parameters: see :class:`QuantumCell`.

    Examples
    --------
    One step from the zero state, circuits evaluated by the exact :class:`rcpod.quantum.fast.VQCBank`:

    >>> import numpy as np
    >>> from rcpod.quantum.cells import QRNNCell, init_weights
    >>> from rcpod.quantum.fast import VQCBank
    >>> cell = QRNNCell(n_qubits=3, n_inputs=1)
    >>> w = init_weights(cell.n_circuits, 1, 3, "paper", np.random.default_rng(0))
    >>> bank = VQCBank(w, cell.groups)
    >>> h = cell.step(bank.expvals, np.zeros((2, cell.n_states)), np.ones((2, 1)))
    >>> h.shape, bool(np.all(np.abs(h) < 1))
    ((2, 2), True)
    """

    name = "rnn"
    n_circuits = 1
    groups = ((0,),)

    def step(self, evaluate, state, x, xp=np):
        H = self.hidden_size
        z = evaluate(0, self.circuit_input(x, state, xp))
        return xp.tanh(z[:, 0, :H])


class QLSTMCell(QuantumCell):
    """QLSTM cell with six circuits; state ``[h (H), c (n), ytilde (n)]``, features ``ytilde``.

    Parameters: see :class:`QuantumCell`.

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.quantum.cells import QLSTMCell, init_weights
    >>> from rcpod.quantum.fast import VQCBank
    >>> cell = QLSTMCell(n_qubits=3, n_inputs=1)          # H = 2, state 2 + 3 + 3
    >>> cell.n_circuits, cell.groups, cell.n_states, cell.n_features
    (6, ((0, 1, 2, 3), (4, 5)), 8, 3)
    >>> bank = VQCBank(init_weights(6, 1, 3, "paper", np.random.default_rng(0)), cell.groups)
    >>> state = cell.step(bank.expvals, np.zeros((2, 8)), np.ones((2, 1)))
    >>> state.shape, cell.features(state).shape
    ((2, 8), (2, 3))
    """

    name = "lstm"
    n_circuits = 6
    groups = ((0, 1, 2, 3), (4, 5))
    output_circuit = (1, 1)  # VQC_6, which gives ytilde

    @property
    def n_states(self):
        return self.hidden_size + 2 * self.n_qubits

    def features(self, states):
        return states[..., self.hidden_size + self.n_qubits:]

    @property
    def n_features(self):
        return self.n_qubits

    def step(self, evaluate, state, x, xp=np):
        H, n = self.hidden_size, self.n_qubits
        h, c = state[:, :H], state[:, H:H + n]
        z = evaluate(0, self.circuit_input(x, h, xp))
        f, i = _sigmoid(z[:, 0], xp), _sigmoid(z[:, 1], xp)
        g, o = xp.tanh(z[:, 2]), _sigmoid(z[:, 3], xp)
        c = f * c + i * g
        m = o * xp.tanh(c)
        z2 = evaluate(1, m)
        return xp.concatenate([z2[:, 0, :H], c, z2[:, 1]], axis=1)


class QGRUCell(QuantumCell):
    """QGRU cell with three circuits (reset, update, candidate); state and features ``h``.

    Parameters: see :class:`QuantumCell`.

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.quantum.cells import QGRUCell, init_weights
    >>> from rcpod.quantum.fast import VQCBank
    >>> cell = QGRUCell(n_qubits=3, n_inputs=1)
    >>> bank = VQCBank(init_weights(3, 1, 3, "paper", np.random.default_rng(0)), cell.groups)
    >>> h = cell.step(bank.expvals, np.zeros((2, cell.n_states)), np.ones((2, 1)))
    >>> h.shape, bool(np.all(np.abs(h) < 1))
    ((2, 2), True)
    """

    name = "gru"
    n_circuits = 3
    groups = ((0, 1), (2,))
    output_circuit = (1, 0)  # the candidate circuit VQC_3

    def step(self, evaluate, state, x, xp=np):
        H = self.hidden_size
        z = evaluate(0, self.circuit_input(x, state, xp))
        r, u = _sigmoid(z[:, 0, :H], xp), _sigmoid(z[:, 1, :H], xp)
        cand = xp.tanh(evaluate(1, self.circuit_input(x, r * state, xp))[:, 0, :H])
        return u * state + (1.0 - u) * cand


CELLS = {"rnn": QRNNCell, "lstm": QLSTMCell, "gru": QGRUCell}


def make_cell(cell, n_qubits, n_inputs, hidden_size=None):
    """Cell description by name (``"rnn"``, ``"lstm"`` or ``"gru"``).

    Parameters
    ----------
    cell : {"rnn", "lstm", "gru"}
        Cell type (a key of :data:`CELLS`).
    n_qubits, n_inputs : int
        Qubits per circuit and input features per step.
    hidden_size : int or None, default=None
        ``n_qubits - n_inputs`` when None.

    Returns
    -------
    QuantumCell

    Examples
    --------
    >>> from rcpod.quantum.cells import make_cell
    >>> cell = make_cell("lstm", n_qubits=4, n_inputs=1)
    >>> type(cell).__name__, cell.hidden_size, cell.n_states
    ('QLSTMCell', 3, 11)
    >>> make_cell("transformer", 4, 1)
    Traceback (most recent call last):
    ...
    ValueError: cell must be one of ['gru', 'lstm', 'rnn'], got 'transformer'.
    """
    if cell not in CELLS:
        raise ValueError(f"cell must be one of {sorted(CELLS)}, got {cell!r}.")
    return CELLS[cell](n_qubits, n_inputs, hidden_size)
