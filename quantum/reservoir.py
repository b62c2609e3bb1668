"""Quantum RNN / LSTM / GRU reservoirs (QRNN-RC) in the rcpod reservoir protocol.

As in [1]_, the circuits keep their random initial weights and only a final linear layer is
trained; cells, circuit and protocol are documented in :mod:`rcpod.quantum.cells`,
:mod:`rcpod.quantum.circuits` and :mod:`rcpod.reservoir.windows`.

References
----------
.. [1] S. Y.-C. Chen, D. Fry, A. Deshmukh, V. Rastunkov, C. Stefanski, "Reservoir Computing via
   Quantum Recurrent Neural Networks", arXiv:2211.02612, 2022.
"""
from __future__ import annotations

import logging
import numbers

import numpy as np
from sklearn.utils.validation import check_is_fitted

from rcpod.reservoir.base import BaseReservoir
from rcpod.reservoir.validation import Array, InstanceOf, Interval, Options, check_params
from rcpod.reservoir.windows import window_features

from . import _kernels
from .cells import make_cell, init_weights, CELLS
from .circuits import available_devices, make_qnode
from .fast import MAX_FAST_QUBITS, MEASUREMENTS, VQCBank, observable_labels

logger = logging.getLogger(__name__)

__all__ = ["QuantumReservoir"]


#: ``shot_seed_`` is drawn by ``rng.integers(2 ** 62)``
_SHOT_SEED_END = 2 ** 62


class QuantumReservoir(BaseReservoir):
    """Reservoir made of a quantum recurrent cell whose circuits keep their random weights.

    Parameters
    ----------
    cell : {"rnn", "lstm", "gru"}, default="rnn"
        QRNN (1 circuit), QLSTM (6 circuits) or QGRU (3 circuits); see :mod:`rcpod.quantum.cells`.
    n_qubits : int, default=4
        Qubits per circuit; at least ``n_inputs + 1``.
    n_layers : int, default=2
        Variational layers per circuit.
    hidden_size : int or None, default=None
        Hidden size ``H``; ``n_qubits - n_inputs`` by default (3 for the paper's 4 qubits and a
        scalar input).
    init : {"paper", "uniform"}, default="paper"
        Frozen weights ``0.01 N(0, 1)`` (authors' code; nearly a fixed parity map) or
        ``U(0, 2 pi)`` (a genuinely random circuit).
    backend : {"fast", "pennylane"}, default="fast"
        How the circuits are evaluated (the vocabulary table of :mod:`rcpod.quantum`).
        ``"fast"``: exact state-vector evaluation (:class:`rcpod.quantum.fast.VQCBank` with
        ``method="auto"``: dense unitaries up to ``MAX_DENSE_QUBITS``, gate by gate above), all
        circuits of a cell stage and all series batched; exact dense runs use a compiled (numba)
        sequence loop. ``"pennylane"``: one QNode call per circuit and step on ``device`` (slow;
        the reference).
    device : str, default="default.qubit"
        Where ``backend="pennylane"`` runs: a PennyLane device name (validated for both
        backends).
    shots : int or None, default=None
        ``None``: exact expectation values. Otherwise each ``<Z_i>`` is estimated from ``shots``
        measurements (fast backend: multinomial sampling from the exact probabilities; PennyLane:
        the device's sampler); the noise feeds back through the recurrence. The sampler is
        seeded at ``initialize``: repeated runs draw fresh noise, re-initializing replays it.
        With ``measurements`` other than ``"reference"`` the extra observables take ``shots``
        shots per measurement setting (Z, X and Y basis;
        :func:`rcpod.quantum.fast.sample_pauli_expvals`).
    measurements : {"reference", "xyz", "xyz+zz"}, default="reference"
        What the readout sees. ``"reference"``: the cell's output features of [1]_ (``h`` for
        QRNN/QGRU, ``ytilde`` for QLSTM), built from the ``<Z_i>`` the reference
        measures. ``"xyz"`` (an addition of this package): also ``<X_i>``, ``<Y_i>``, ``<Z_i>`` on
        every wire of the cell's output circuit (QRNN: its circuit; QLSTM: ``VQC_6``; QGRU: the
        candidate circuit ``VQC_3``), ``3 n`` more features; ``"xyz+zz"`` (an addition): also the
        ``n (n - 1) / 2`` correlators ``<Z_i Z_j>``. The extra values ride along at the end of the
        state vector; the recurrence uses only the cell's own ``<Z_i>``.
    random_state : int, numpy.random.Generator or None
        Seeds the weights (and the shot sampler). Same seed, same reservoir.

    Attributes
    ----------
    weights_ : array of shape (n_circuits, n_layers, n_qubits, 3)
        Frozen circuit weights.
    shot_seed_ : int
        Seed of the shot sampler (drawn from ``random_state``).
    cell_ : rcpod.quantum.cells.QuantumCell
        The cell description (layout of the state vector), a read-only property.
    n_inputs_, n_states_ : int
        ``n_states_`` is ``H`` for QRNN/QGRU and ``H + 2 n_qubits`` for QLSTM (``[h, c, ytilde]``),
        plus the extra observables of ``measurements``.

    Notes
    -----
    :meth:`features` returns what a readout sees: ``h`` for QRNN/QGRU, ``ytilde`` for QLSTM.
    :meth:`run_windows` implements the paper's protocol (state reset per window, last step only).

    References
    ----------
    Chen et al., arXiv:2211.02612 (2022); Chen, Yoo, Fang, arXiv:2009.01783 (2020).

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.quantum import QuantumReservoir
    >>> res = QuantumReservoir(cell="rnn", n_qubits=3, n_layers=1, random_state=0).initialize(1)
    >>> states = res.run(np.zeros((5, 1)))
    >>> states.shape == (5, res.n_states_), bool(np.all(np.abs(states) <= 1))
    (True, True)
    """

    # n_qubits >= n_inputs + hidden_size and the fast backend's qubit limit depend on other
    # values: checked by _validate_params / make_cell, and against the fitted state in
    # _ensure_runtime (circuit count and state size of the cell).
    _parameter_constraints = {
        "cell": [Options(CELLS)],
        "n_qubits": [Interval(numbers.Integral, 1)],
        "n_layers": [Interval(numbers.Integral, 1)],
        "hidden_size": [None, Interval(numbers.Integral, 1)],
        "init": [Options({"paper", "uniform"})],
        "backend": [Options({"fast", "pennylane"})],
        "device": [InstanceOf(str)],
        "shots": [None, Interval(numbers.Integral, 1)],
        "measurements": [Options(MEASUREMENTS)],
        "random_state": ["random_state"],
    }
    _fitted_schema = {
        "weights_": [Array(shape=(None, None, "n_qubits", 3))],
        "shot_seed_": [Interval(numbers.Integral, 0, _SHOT_SEED_END, closed="left")],
        "n_inputs_": [Interval(numbers.Integral, 1)],
        "n_states_": [Interval(numbers.Integral, 1)],
    }

    def __init__(self, cell="rnn", n_qubits=4, n_layers=2, hidden_size=None, init="paper",
                 backend="fast", device="default.qubit", shots=None, measurements="reference",
                 random_state=None):
        self.cell = cell
        self.n_qubits = n_qubits
        self.n_layers = n_layers
        self.hidden_size = hidden_size
        self.init = init
        self.backend = backend
        self.device = device
        self.shots = shots
        self.measurements = measurements
        self.random_state = random_state

    # -- construction ---------------------------------------------------------------------
    def _validate_params(self):
        check_params(self)
        # what the table cannot express: the installed devices and the fast backend's limit
        known = available_devices()
        if known and self.device not in known:
            raise ValueError(f"Unknown PennyLane device {self.device!r}; installed devices: {', '.join(known)}.")
        if self.backend == "fast" and self.n_qubits > MAX_FAST_QUBITS:
            raise ValueError(f"n_qubits={self.n_qubits} exceeds the fast backend's limit of "
                             f"{MAX_FAST_QUBITS} qubits; use backend='pennylane'.")

    def _initialize(self, n_inputs):
        self._validate_params()
        cell = make_cell(self.cell, int(self.n_qubits), n_inputs, self.hidden_size)
        rng = np.random.default_rng(self.random_state)
        self.weights_ = init_weights(cell.n_circuits, int(self.n_layers), cell.n_qubits, self.init, rng)
        self.shot_seed_ = int(rng.integers(_SHOT_SEED_END))
        self.n_inputs_ = n_inputs
        self.n_states_ = cell.n_states + self._n_observables(cell)
        self.__dict__.pop("_runtime", None)
        self._ensure_runtime()
        logger.debug("QuantumReservoir(%s): %d circuits, %d qubits, %d layers, backend=%s",
                     self.cell, cell.n_circuits, cell.n_qubits, self.n_layers, self.backend)

    def _n_observables(self, cell):
        """Number of extra readout observables (0 for ``measurements="reference"``)."""
        if self.measurements == "reference":
            return 0
        return len(observable_labels(cell.n_qubits, self.measurements))

    def _validate_fitted(self):
        """The fitted state fits the cell (circuit count, state size): what the table cannot
        state, checked on load and before the first run. Returns the cell (None if unfitted)."""
        if not hasattr(self, "weights_"):
            return None
        cell = make_cell(self.cell, int(self.n_qubits), int(self.n_inputs_), self.hidden_size)
        n_states = cell.n_states + self._n_observables(cell)
        if self.weights_.shape[0] != cell.n_circuits or self.n_states_ != n_states:
            raise ValueError(f"weights_ {self.weights_.shape} and n_states_={self.n_states_} do "
                             f"not fit the {self.cell} cell ({cell.n_circuits} circuits, "
                             f"{n_states} states with measurements={self.measurements!r}).")
        return cell

    def _ensure_runtime(self):
        """Build (once) the private runtime objects from the public fitted state.

        The cell description, the fast :class:`~rcpod.quantum.fast.VQCBank` or the PennyLane QNodes,
        and the shot sampler are rebuilt from ``weights_`` and ``shot_seed_``, so a reservoir
        restored by :mod:`rcpod.reservoir.persistence` (which keeps only public fitted attributes)
        runs identically.
        """
        rt = self.__dict__.get("_runtime")
        if rt is not None:
            return rt
        check_is_fitted(self, "weights_")
        cell = self._validate_fitted()
        rt = {"cell": cell, "bank": None, "qnodes": None,
              "shot_rng": np.random.default_rng(self.shot_seed_)}
        if self.backend == "fast":
            rt["bank"] = VQCBank(self.weights_, cell.groups)
        else:
            out_group, out_pos = cell.output_circuit
            out = cell.groups[out_group][out_pos]
            rt["qnodes"] = [make_qnode(cell.n_qubits, device=self.device, shots=self.shots,
                                       seed=None if self.shots is None else self.shot_seed_ + g,
                                       measurements=self.measurements if g == out else "reference")
                            for g in range(cell.n_circuits)]
        self._runtime = rt
        return rt

    @property
    def cell_(self):
        """The cell description (:class:`rcpod.quantum.cells.QuantumCell`): layout of the states."""
        return self._ensure_runtime()["cell"]

    # -- circuit evaluation -----------------------------------------------------------------
    def _evaluate(self, group, v, observables=None):
        """``<Z>`` on every wire, (B, n_circuits_in_group, n_qubits), for one circuit group.

        With a dict ``observables`` and extra ``measurements``, the output circuit's group also
        stores the extra observables (B, n_observables) under ``"values"``.
        """
        rt = self._ensure_runtime()
        cell = rt["cell"]
        out_group, out_pos = cell.output_circuit
        extra = observables is not None and self.measurements != "reference" and group == out_group
        if rt["bank"] is not None:
            if extra:
                z, observables["values"] = rt["bank"].measure(
                    group, v, self.measurements, out_pos, shots=self.shots, rng=rt["shot_rng"])
                return z
            return rt["bank"].expvals(group, v, shots=self.shots, rng=rt["shot_rng"])
        n = cell.n_qubits
        out = []
        for pos, g in enumerate(cell.groups[group]):
            arg = v[0] if v.shape[0] == 1 else v
            vals = np.stack([np.asarray(e, dtype=np.float64)
                             for e in rt["qnodes"][g](arg, self.weights_[g])], axis=-1)
            vals = vals.reshape(v.shape[0], -1)
            if group == out_group and pos == out_pos and self.measurements != "reference":
                if extra:
                    observables["values"] = vals
                vals = vals[:, 2 * n:3 * n]  # the <Z_i> block
            out.append(vals)
        return np.stack(out, axis=1)

    def _cell_step(self, state, x):
        """One step of the cell on the cell's part of the state, plus the extra observables."""
        cell = self._ensure_runtime()["cell"]
        if self.measurements == "reference":
            return cell.step(self._evaluate, state, x)
        observables = {}
        new = cell.step(lambda g, v: self._evaluate(g, v, observables), state[:, :cell.n_states], x)
        return np.concatenate([new, observables["values"]], axis=1)

    def _use_kernel(self):
        """Compiled loop for exact dense runs; ``_force_numpy = True`` selects the numpy
        reference loop (used by the tests and the benchmark)."""
        bank = self._ensure_runtime()["bank"]
        return bank is not None and self.shots is None and bank.method == "dense" \
            and self.measurements == "reference" and not getattr(self, "_force_numpy", False)

    # -- protocol ----------------------------------------------------------------------------
    def _step(self, state, u):
        single = state.ndim == 1
        s2 = np.atleast_2d(state)
        u2 = np.atleast_2d(u)
        new = self._cell_step(s2, u2)
        return new[0] if single else new

    def _run(self, inputs, state0):
        single = inputs.ndim == 2
        X = inputs[None] if single else inputs
        x = state0[None] if single else state0
        if self._use_kernel():
            states = _kernels.run_sequence(self.cell_, self._runtime["bank"], X, x)
        else:
            states = np.empty(X.shape[:-1] + (self.n_states_,))
            for k in range(X.shape[1]):
                x = self._cell_step(x, X[:, k, :])
                states[:, k, :] = x
        return states[0] if single else states

    def features(self, states):
        """Readout features: ``h`` for QRNN/QGRU, ``ytilde`` for QLSTM, then the extra
        observables of ``measurements`` (if any)."""
        check_is_fitted(self, "n_states_")
        states = np.asarray(states)
        cell = self.cell_
        own = cell.features(states[..., :cell.n_states])
        if self.measurements == "reference":
            return own
        return np.concatenate([own, states[..., cell.n_states:]], axis=-1)

    def run_windows(self, windows, concat=False):
        """Paper protocol: reset the state for every window and keep the last step's features.

        Parameters
        ----------
        windows : array of shape (n_windows, w, n_inputs), or (n_windows, w) for scalar inputs
        concat : bool, default=False
            If True return the features of every step of the window concatenated
            (``w * n_features``) instead of the last step's only.

        Returns
        -------
        features : array of shape (n_windows, n_features) (or (n_windows, w * n_features))
        """
        return window_features(self, windows, concat=concat)
