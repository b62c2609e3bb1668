"""Quantum recurrent reservoirs: PennyLane circuits, QRNN/QLSTM/QGRU cells, fast exact evaluation.

Public API
----------
QuantumReservoir
    QRNN / QLSTM / QGRU reservoir in the rcpod reservoir protocol (``rcpod.reservoir.base``).
QuantumReservoirRegressor
    Series-to-series estimator (quantum reservoir + washout + ridge readout), flat parameters.
vqc, make_qnode, variational_unitary
    The circuit as a PennyLane template, QNode factory, dense variational unitary.
VQCBank
    Fast exact batched evaluation of fixed VQCs.
datasets
    Task generators of the QRNN-RC paper (damped oscillator, Bessel J2, delayed control, NARMA).
RMSpropReadout, train_linear_readout
    The paper's gradient-trained linear readout (RMSprop, mini-batches).
TrainedQuantumRNN
    The fully trained QRNN / QLSTM / QGRU baseline (autograd through the circuits).

The classical pieces of the paper's experiments live in :mod:`rcpod.reservoir`: the windowed
protocol (``WindowFeatures``, ``window_features``) and the random classical RNN / LSTM / GRU
reservoirs (``ClassicalRNNReservoir``).

Vocabulary
----------
Each word has one meaning throughout this package:

=========  =============================  =====================================================
word       values                         meaning
=========  =============================  =====================================================
backend    ``"fast"`` (default)           *how* circuits are evaluated: rcpod's exact
                                          state-vector evaluation (numpy, a compiled numba
                                          loop for exact dense runs; ``pennylane.numpy`` and
                                          autograd in ``TrainedQuantumRNN``)
backend    ``"pennylane"``                PennyLane QNodes (the reference; slow)
device     a PennyLane device name        *where* ``backend="pennylane"`` runs, e.g.
                                          ``"default.qubit"``, ``"lightning.qubit"``
                                          (``TrainedQuantumRNN``: always ``"default.qubit"``,
                                          which backpropagation needs)
method     ``"auto"``, ``"dense"``,       ``VQCBank`` only, a sub-option of ``"fast"``: dense
           ``"gates"``                    unitaries or gate by gate on the state vector
ridge      float >= 0                     ridge strength of an estimator's readout
                                          (``QuantumReservoirRegressor``, as ``ESNRegressor``);
                                          the readout object calls it ``alpha``
                                          (``rcpod.reservoir.RidgeReadout``, sklearn's ``Ridge``)
alpha      float in [0, 1)                in ``RMSprop``, ``RMSpropReadout``,
                                          ``train_linear_readout``, ``TrainedQuantumRNN``:
                                          RMSprop's smoothing constant (PyTorch's name), not a
                                          ridge strength
=========  =============================  =====================================================

Readout measurements (``QuantumReservoir(measurements=...)``): ``"reference"`` (default) reads
the cell's output features built from the ``<Z_i>`` that Chen et al. measure; ``"xyz"`` and
``"xyz+zz"`` add ``<X_i>``, ``<Y_i>``, ``<Z_i>`` on every wire and the ``<Z_i Z_j>`` correlators
of the cell's output circuit (additions of this package), exact or with shots
(:data:`rcpod.quantum.fast.MEASUREMENTS`).

Deprecated (FutureWarning): ``TrainedQuantumRNN(backend="matrix")`` is ``backend="fast"`` and
``backend="qnode"`` is ``backend="pennylane"`` (the names of rcpod 0.1); the paper's NARMA
generator ``datasets.narma`` is ``datasets.narma_qrnn``.

References
----------
Chen et al., "Reservoir Computing via Quantum Recurrent Neural Networks", arXiv:2211.02612 (2022).

Examples
--------
>>> import numpy as np
>>> from rcpod.quantum import QuantumReservoir
>>> fast = QuantumReservoir(n_qubits=3, n_layers=1, random_state=0).initialize(1)
>>> ref = QuantumReservoir(n_qubits=3, n_layers=1, backend="pennylane", device="default.qubit",
...                        random_state=0).initialize(1)
>>> u = np.linspace(-1, 1, 4)[:, None]
>>> bool(np.allclose(fast.run(u), ref.run(u)))
True
"""
from .circuits import make_qnode, variational_unitary, vqc
from .estimators import QuantumReservoirRegressor
from .fast import MAX_DENSE_QUBITS, MAX_FAST_QUBITS, VQCBank
from .readout_training import RMSpropReadout, train_linear_readout
from .reservoir import QuantumReservoir
from .trained import TrainedQuantumRNN
from . import datasets

__all__ = [
    "QuantumReservoir",
    "QuantumReservoirRegressor",
    "VQCBank",
    "MAX_DENSE_QUBITS",
    "MAX_FAST_QUBITS",
    "vqc",
    "make_qnode",
    "variational_unitary",
    "datasets",
    "RMSpropReadout",
    "train_linear_readout",
    "TrainedQuantumRNN",
]
