"""scikit-learn estimator for quantum reservoirs with flat parameters.

``QuantumReservoirRegressor`` is :class:`rcpod.reservoir.ReservoirRegressor` with a
:class:`rcpod.quantum.QuantumReservoir` and a ridge readout whose parameters are flat, so they can be
grid-searched directly (``cell``, ``n_qubits``, ``init``, ``ridge``, ...). It maps series to
series (one prediction per time step). For the paper's windowed protocol (reset per window,
last step only) use :class:`rcpod.reservoir.WindowFeatures` in a pipeline with a linear regressor.

References
----------
Chen et al., "Reservoir Computing via Quantum Recurrent Neural Networks", arXiv:2211.02612 (2022).
"""
from __future__ import annotations

import numbers

from rcpod.reservoir.estimators import ReservoirRegressor
from rcpod.reservoir.readout import RidgeReadout
from rcpod.reservoir.validation import Interval

from .reservoir import QuantumReservoir

__all__ = ["QuantumReservoirRegressor"]


class QuantumReservoirRegressor(ReservoirRegressor):
    """Quantum recurrent reservoir + washout + ridge readout.

    Parameters
    ----------
    cell, n_qubits, n_layers, hidden_size, init, backend, device, shots, measurements :
        See :class:`rcpod.quantum.QuantumReservoir`. A cell needs one wire per input feature plus
        its hidden wires: ``fit`` raises a ValueError naming ``n_qubits`` and the number of
        features when ``n_qubits < n_features + (hidden_size or 1)`` (scikit-learn has no tag
        for a maximum number of features).
    ridge : float, default=1e-6
        Ridge penalty of the readout (the ``alpha`` of its :class:`rcpod.reservoir.RidgeReadout`;
        ``ridge`` as in :class:`rcpod.reservoir.ESNRegressor`).
    washout, include_input, chunk_size :
        See :class:`rcpod.reservoir.ReservoirRegressor`.
    random_state : int, Generator or None
        Seed of the frozen circuit weights (and of the shot sampler).

    Attributes
    ----------
    reservoir_ : QuantumReservoir
    readout_ : RidgeReadout

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.quantum.estimators import QuantumReservoirRegressor
    >>> u = np.sin(np.linspace(0, 20, 300))[:, None]
    >>> model = QuantumReservoirRegressor(cell="gru", init="uniform", washout=10, random_state=0)
    >>> model.fit(u[:-1], u[1:, 0]).predict(u[:-1]).shape
    (299,)
    """

    _parameter_constraints = {
        **QuantumReservoir._parameter_constraints,
        **{k: v for k, v in ReservoirRegressor._parameter_constraints.items()
           if k not in ("reservoir", "readout", "random_state", "n_jobs")},
        "ridge": [Interval(numbers.Real, 0)],   # RidgeReadout's alpha
    }

    def __init__(self, cell="rnn", n_qubits=4, n_layers=2, hidden_size=None, init="paper",
                 backend="fast", device="default.qubit", shots=None, ridge=1e-6, washout=0,
                 include_input=False, chunk_size=10000, random_state=None,
                 measurements="reference"):
        self.cell = cell
        self.n_qubits = n_qubits
        self.n_layers = n_layers
        self.hidden_size = hidden_size
        self.init = init
        self.backend = backend
        self.device = device
        self.shots = shots
        self.measurements = measurements
        self.ridge = ridge
        self.washout = washout
        self.include_input = include_input
        self.chunk_size = chunk_size
        self.random_state = random_state

    def _make_reservoir(self):
        return QuantumReservoir(cell=self.cell, n_qubits=self.n_qubits, n_layers=self.n_layers,
                                hidden_size=self.hidden_size, init=self.init, backend=self.backend,
                                device=self.device, shots=self.shots,
                                measurements=self.measurements, random_state=self.random_state)

    def _make_readout(self):
        return RidgeReadout(alpha=self.ridge)

    def _check_n_features(self, n_features):
        hidden = 1 if self.hidden_size is None else int(self.hidden_size)
        need = n_features + hidden
        if self.n_qubits < need:
            what = ("at least one hidden wire" if self.hidden_size is None
                    else f"hidden_size={self.hidden_size} hidden wires")
            raise ValueError(f"{type(self).__name__}(n_qubits={self.n_qubits}) cannot take X with "
                             f"{n_features} features: the {self.cell} cell needs one input wire "
                             f"per feature plus {what}, i.e. n_qubits >= {need}.")
