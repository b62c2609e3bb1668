"""Shared helpers of the quantum tests: an independent PennyLane reference of the circuit.

The reference circuit is written here from the published description of the VQC (Chen et al.,
arXiv:2211.02612; Chen, Yoo, Fang, arXiv:2009.01783; authors' code ycchen1989/FederatedQLSTM,
``metaquantum/CircuitComponents.py``) directly with PennyLane gates, independently of
``rcpod.quantum.circuits``.
"""
import numpy as np
import pennylane as qml
import pytest


def reference_qnode(n_qubits, device="default.qubit", paulis=False):
    """QNode(v (n,), w (L, n, 3)) -> array (n,) of <Z_i>, written from the reference text.

    ``paulis=True``: the richer readout instead, ``[X_i..., Y_i..., Z_i..., Z_iZ_j (i<j)...]``.
    """
    dev = qml.device(device, wires=n_qubits)
    n = n_qubits
    observables = ([qml.PauliZ(i) for i in range(n)] if not paulis else
                   [qml.PauliX(i) for i in range(n)] + [qml.PauliY(i) for i in range(n)]
                   + [qml.PauliZ(i) for i in range(n)]
                   + [qml.PauliZ(i) @ qml.PauliZ(j) for i in range(n) for j in range(i + 1, n)])

    @qml.qnode(dev)
    def circuit(v, w):
        for i in range(n_qubits):
            qml.Hadamard(wires=i)
            qml.RY(np.arctan(v[i]), wires=i)
            qml.RZ(np.arctan(v[i] ** 2), wires=i)
        for layer in range(w.shape[0]):
            for i in range(n_qubits):
                if (i + 1) % n_qubits != i:
                    qml.CNOT(wires=[i, (i + 1) % n_qubits])
            for i in range(n_qubits):
                if (i + 2) % n_qubits != i:
                    qml.CNOT(wires=[i, (i + 2) % n_qubits])
            for i in range(n_qubits):
                qml.Rot(w[layer, i, 0], w[layer, i, 1], w[layer, i, 2], wires=i)
        return [qml.expval(o) for o in observables]

    return lambda v, w: np.array(circuit(np.asarray(v, float), np.asarray(w, float)), dtype=float)


@pytest.fixture(scope="session")
def ref_qnode():
    cache = {}

    def get(n):
        if n not in cache:
            cache[n] = reference_qnode(n)
        return cache[n]

    return get
