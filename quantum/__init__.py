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

References
----------
Chen et al., "Reservoir Computing via Quantum Recurrent Neural Networks", arXiv:2211.02612 (2022).
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
