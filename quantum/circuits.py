"""The variational quantum circuit (VQC) of the quantum RNN / LSTM / GRU reservoirs, in PennyLane.

PennyLane is the *definition* of the circuit: the fast exact evaluator in :mod:`rcpod.quantum.fast`
takes the variational unitary from :func:`variational_unitary` (``qml.matrix`` of
:func:`variational_layers`) and is tested against the QNodes built by :func:`make_qnode`.

Circuit on ``n`` qubits with ``L`` layers and input ``v`` in R^n (one entry per wire):

1. Hadamard on every wire;
2. encoding on wire ``i``: ``RY(arctan(v_i))`` then ``RZ(arctan(v_i**2))``;
3. ``L`` times: ``CNOT(i, (i+1) mod n)`` for ``i = 0..n-1``; then ``CNOT(i, (i+2) mod n)`` for
   ``i = 0..n-1``; then ``Rot(w[l,i,0], w[l,i,1], w[l,i,2])`` on every wire;
4. ``<Z_i>`` on the first ``n_out`` wires.

(choice) With ``n = 2`` the second-neighbour ring ``CNOT(i, (i+2) mod 2) = CNOT(i, i)`` is not a
valid gate and is skipped.

References
----------
.. [1] S. Y.-C. Chen, D. Fry, A. Deshmukh, V. Rastunkov, C. Stefanski, "Reservoir Computing via
   Quantum Recurrent Neural Networks", arXiv:2211.02612, 2022.
.. [2] S. Y.-C. Chen, S. Yoo, Y.-L. L. Fang, "Quantum Long Short-Term Memory", arXiv:2009.01783,
   2020 (the VQC).
.. [3] Authors' code, github.com/ycchen1989/FederatedQLSTM, ``metaquantum/CircuitComponents.py``
   (``VQCVariationalLoadingFlex`` with ``hadamard_gate=True, more_entangle=True``).
"""
from __future__ import annotations

import numpy as np
import pennylane as qml

from rcpod.reservoir.validation import check_array, check_int

__all__ = [
    "encoding_block",
    "variational_layers",
    "vqc",
    "entangler_pairs",
    "variational_unitary",
    "make_device",
    "make_qnode",
    "pauli_observables",
    "available_devices",
    "check_weights",
]


def entangler_pairs(n_qubits):
    """(control, target) pairs of one entangling layer, in gate order.

    Parameters
    ----------
    n_qubits : int

    Returns
    -------
    pairs : list of tuple of int
        ``(i, (i+1) mod n)`` for all ``i`` then ``(i, (i+2) mod n)`` for all ``i``; pairs whose
        control equals the target (n <= 2) are dropped. Empty for one qubit.

    Examples
    --------
    >>> from rcpod.quantum.circuits import entangler_pairs
    >>> entangler_pairs(3)
    [(0, 1), (1, 2), (2, 0), (0, 2), (1, 0), (2, 1)]
    >>> entangler_pairs(2), entangler_pairs(1)
    ([(0, 1), (1, 0)], [])
    """
    pairs = []
    for step in (1, 2):
        for i in range(n_qubits):
            j = (i + step) % n_qubits
            if j != i:
                pairs.append((i, j))
    return pairs


def encoding_block(inputs, wires):
    """Angle encoding: ``H``, ``RY(arctan v_i)``, ``RZ(arctan v_i^2)`` on every wire.

    Parameters
    ----------
    inputs : array of shape (n,) or (B, n)
        One value per wire; a leading batch axis uses PennyLane parameter broadcasting.
    wires : sequence of wire labels, length n

    Examples
    --------
    >>> import numpy as np
    >>> import pennylane as qml
    >>> from rcpod.quantum.circuits import encoding_block
    >>> with qml.tape.QuantumTape() as tape:
    ...     encoding_block(np.array([1.0]), wires=[0])
    >>> [op.name for op in tape.operations]
    ['Hadamard', 'RY', 'RZ']
    >>> [round(float(op.parameters[0]), 4) for op in tape.operations[1:]]   # arctan(1) = pi/4
    [0.7854, 0.7854]
    """
    wires = list(wires)
    for k, w in enumerate(wires):
        v = inputs[..., k]
        qml.Hadamard(wires=w)
        qml.RY(qml.math.arctan(v), wires=w)
        qml.RZ(qml.math.arctan(v ** 2), wires=w)


def variational_layers(weights, wires):
    """``L`` layers of two CNOT rings followed by ``Rot`` on every wire.

    Parameters
    ----------
    weights : array of shape (L, n, 3)
        ``weights[l, i] = (phi, theta, omega)`` of ``qml.Rot`` on wire ``i`` in layer ``l``.
    wires : sequence of wire labels, length n

    Examples
    --------
    >>> import numpy as np
    >>> import pennylane as qml
    >>> from rcpod.quantum.circuits import variational_layers
    >>> with qml.tape.QuantumTape() as tape:
    ...     variational_layers(np.zeros((2, 3, 3)), wires=[0, 1, 2])
    >>> names = [op.name for op in tape.operations]
    >>> names.count("CNOT"), names.count("Rot")        # 2 layers x (6 CNOTs + 3 Rot)
    (12, 6)
    """
    wires = list(wires)
    n = len(wires)
    pairs = entangler_pairs(n)
    for layer in range(weights.shape[0]):
        for c, t in pairs:
            qml.CNOT(wires=[wires[c], wires[t]])
        for k, w in enumerate(wires):
            qml.Rot(weights[layer, k, 0], weights[layer, k, 1], weights[layer, k, 2], wires=w)


def vqc(inputs, weights, wires):
    """The whole VQC (encoding then variational layers) as a PennyLane template.

    A plain function of ``(inputs, weights, wires)`` that queues gates, so it can be used inside
    any QNode and drawn with ``qml.draw`` (see :func:`make_qnode`).

    Parameters
    ----------
    inputs : array of shape (n,) or (B, n)
        One value per wire (see :func:`encoding_block`); a leading batch axis broadcasts.
    weights : array of shape (L, n, 3)
        Rotation angles of the variational layers (see :func:`variational_layers`).
    wires : sequence of wire labels, length n

    Examples
    --------
    >>> import numpy as np
    >>> import pennylane as qml
    >>> from rcpod.quantum import vqc
    >>> dev = qml.device("default.qubit", wires=2)
    >>> @qml.qnode(dev)
    ... def circuit(x, w):
    ...     vqc(x, w, wires=[0, 1])
    ...     return qml.expval(qml.PauliZ(0))
    >>> bool(abs(float(circuit(np.array([0.1, 0.2]), np.zeros((1, 2, 3))))) <= 1)
    True
    """
    encoding_block(inputs, wires)
    variational_layers(weights, wires)


def check_weights(weights, n_qubits=None):
    """Validate a weight array of shape (L, n, 3) and return it as float64.

    Parameters
    ----------
    weights : array-like of shape (L, n, 3)
        Rotation angles, ``L >= 1`` layers, all finite.
    n_qubits : int, optional
        Expected ``n``; not checked when None.

    Returns
    -------
    weights : float64 array of shape (L, n, 3)

    Raises
    ------
    ValueError
        On a wrong shape, a wrong number of qubits or a non-finite value.

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.quantum.circuits import check_weights
    >>> check_weights(np.zeros((1, 2, 3), dtype=np.float32), n_qubits=2).dtype
    dtype('float64')
    >>> check_weights(np.zeros((2, 3)))
    Traceback (most recent call last):
    ...
    ValueError: weights must have shape (n_layers, n_qubits, 3) with n_layers >= 1, got (2, 3).
    """
    weights = check_array("weights", weights, allow_empty=True)
    if weights.ndim != 3 or weights.shape[-1] != 3 or weights.shape[0] < 1:
        raise ValueError(f"weights must have shape (n_layers, n_qubits, 3) with n_layers >= 1, "
                         f"got {weights.shape}.")
    if n_qubits is not None and weights.shape[1] != n_qubits:
        raise ValueError(f"weights has {weights.shape[1]} qubits, expected {n_qubits}.")
    return weights


def variational_unitary(weights):
    """Dense unitary of :func:`variational_layers`, computed by ``qml.matrix``.

    Parameters
    ----------
    weights : array of shape (L, n, 3)

    Returns
    -------
    U : complex array of shape (2**n, 2**n)
        In PennyLane's wire order (wire 0 is the most significant bit of the basis index).

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.quantum import variational_unitary
    >>> U = variational_unitary(np.random.default_rng(0).uniform(0, np.pi, (1, 2, 3)))
    >>> U.shape, bool(np.allclose(U.conj().T @ U, np.eye(4)))
    ((4, 4), True)
    """
    weights = check_weights(weights)
    n = weights.shape[1]
    return np.asarray(qml.matrix(variational_layers, wire_order=list(range(n)))(weights, list(range(n))),
                      dtype=np.complex128)


def available_devices():
    """Names of the PennyLane devices installed (``qml.plugin_devices``).

    Returns
    -------
    names : list of str
        Sorted device names.

    Examples
    --------
    >>> from rcpod.quantum.circuits import available_devices
    >>> "default.qubit" in available_devices()
    True
    """
    return sorted(getattr(qml, "plugin_devices", {}))


def make_device(device, n_qubits, seed=None):
    """Create a PennyLane device by name, raising a clear ``ValueError`` for unknown names.

    Parameters
    ----------
    device : str
        PennyLane device name, e.g. ``"default.qubit"`` or ``"lightning.qubit"``.
    n_qubits : int
    seed : int or None
        Passed to devices that accept a ``seed`` (for sampling with shots).

    Returns
    -------
    device : pennylane.devices.Device

    Examples
    --------
    >>> from rcpod.quantum.circuits import make_device
    >>> make_device("default.qubit", 2).wires.tolist()
    [0, 1]
    >>> make_device("no.such.device", 2)
    Traceback (most recent call last):
    ...
    ValueError: Unknown PennyLane device 'no.such.device'; installed devices: ...
    """
    if not isinstance(device, str):
        raise TypeError(f"device must be a PennyLane device name (str), got {type(device).__name__}.")
    known = available_devices()
    if known and device not in known:
        raise ValueError(f"Unknown PennyLane device {device!r}; installed devices: {', '.join(known)}.")
    try:
        if seed is not None:
            try:
                return qml.device(device, wires=n_qubits, seed=seed)
            except TypeError:
                pass
        return qml.device(device, wires=n_qubits)
    except qml.exceptions.DeviceError as exc:
        raise ValueError(f"Could not create PennyLane device {device!r}: {exc}") from exc


def pauli_observables(n_qubits, measurements):
    """PennyLane observables of a readout measurement set, in feature order.

    Parameters
    ----------
    n_qubits : int
    measurements : {"xyz", "xyz+zz"}
        ``X_i``, ``Y_i``, ``Z_i`` on every wire, then (``"xyz+zz"``) ``Z_i Z_j`` for ``i < j``;
        additions of this package to the ``<Z_i>`` of the reference circuit (see
        :data:`rcpod.quantum.fast.MEASUREMENTS`).

    Returns
    -------
    observables : list of pennylane operators

    Examples
    --------
    >>> from rcpod.quantum.circuits import pauli_observables
    >>> len(pauli_observables(3, "xyz")), len(pauli_observables(3, "xyz+zz"))
    (9, 12)
    """
    if measurements not in ("xyz", "xyz+zz"):
        raise ValueError(f"measurements must be 'xyz' or 'xyz+zz', got {measurements!r}.")
    obs = ([qml.PauliX(i) for i in range(n_qubits)] + [qml.PauliY(i) for i in range(n_qubits)]
           + [qml.PauliZ(i) for i in range(n_qubits)])
    if measurements == "xyz+zz":
        obs += [qml.PauliZ(i) @ qml.PauliZ(j) for i in range(n_qubits)
                for j in range(i + 1, n_qubits)]
    return obs


def make_qnode(n_qubits, n_out=None, device="default.qubit", shots=None, seed=None,
               measurements="reference"):
    """QNode ``(inputs, weights) -> (<Z_0>, ..., <Z_{n_out-1}>)`` of the VQC.

    Parameters
    ----------
    n_qubits : int
        Number of wires (>= 1).
    n_out : int, optional
        Number of measured wires (the first ``n_out``); all wires by default.
    device : str, default="default.qubit"
        PennyLane device name.
    shots : int or None, default=None
        ``None`` for exact expectation values, else the number of measurement shots.
    seed : int or None
        Seed of the device's sampler (devices that accept one).
    measurements : {"reference", "xyz", "xyz+zz"}, default="reference"
        ``"reference"``: the ``<Z_i>`` of the first ``n_out`` wires (arXiv:2211.02612); else the
        observables of :func:`pauli_observables` (``n_out`` is then ignored).

    Returns
    -------
    qnode : pennylane.QNode
        Call as ``qnode(inputs, weights)`` with ``inputs`` (n_qubits,) or (B, n_qubits) and
        ``weights`` (L, n_qubits, 3); returns a tuple of expectation values (arrays of
        shape (B,) when batched). Draw it with ``qml.draw(qnode)(inputs, weights)``.

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.quantum import make_qnode
    >>> qnode = make_qnode(2)
    >>> out = qnode(np.array([0.1, 0.2]), np.zeros((1, 2, 3)))
    >>> len(out), bool(all(abs(float(e)) <= 1 for e in out))
    (2, True)
    """
    n_qubits = check_int("n_qubits", n_qubits)
    n_out = n_qubits if n_out is None else check_int("n_out", n_out, high=n_qubits)
    shots = check_int("shots", shots, allow_none=True)
    dev = make_device(device, n_qubits, seed=seed)
    wires = list(range(n_qubits))

    observables = ([qml.PauliZ(w) for w in wires[:n_out]] if measurements == "reference"
                   else pauli_observables(n_qubits, measurements))

    @qml.qnode(dev)
    def circuit(inputs, weights):
        vqc(inputs, weights, wires)
        return tuple(qml.expval(o) for o in observables)

    if shots is not None:
        circuit = qml.set_shots(circuit, shots=int(shots))
    return circuit
