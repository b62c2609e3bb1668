"""Fast exact evaluation of banks of VQCs with fixed (frozen) variational weights.

In a reservoir the variational part of every circuit is fixed, so a VQC is
``psi = U_var @ phi(v)`` with ``phi(v)`` the product state left by the encoding block
(Hadamard, ``RY(arctan v_i)``, ``RZ(arctan v_i^2)`` on each wire) and ``U_var`` the unitary of the
variational layers. Then ``<Z_i> = sum_k |psi_k|^2 s_ik`` with ``s_ik = +1`` if bit ``i`` of ``k``
(wire 0 = most significant bit, PennyLane's order) is 0 and ``-1`` otherwise.

Two exact methods (the ``method`` of :class:`VQCBank`, a sub-option of ``backend="fast"``),
chosen per bank:

``"dense"`` (default up to :data:`MAX_DENSE_QUBITS` qubits)
    ``U_var`` is taken once from PennyLane (``qml.matrix`` of
    :func:`rcpod.quantum.circuits.variational_layers`); the unitaries of all circuits that share an
    input are stacked, so one complex matrix product evaluates every circuit of a cell stage for
    every series in the batch.
``"gates"`` (larger qubit counts, up to :data:`MAX_FAST_QUBITS`)
    The gates of the variational block are read from the PennyLane tape and applied one by one on
    the state vector (consecutive CNOTs merged into one index permutation, ``Rot`` as a 2x2 matrix
    on its wire), ``O(L n 2^n)`` per circuit instead of ``O(4^n)``, without the dense unitary.

Readout measurements beyond ``<Z_i>`` (:data:`MEASUREMENTS`: ``<X_i>``, ``<Y_i>``, ``<Z_i Z_j>``)
are computed from the final state vector (:func:`pauli_expvals`) or sampled in three measurement
settings (:func:`sample_pauli_expvals`).

Finite shots are modelled by drawing, for each circuit and series, ``shots`` samples of the
computational-basis outcome from the exact probabilities (a multinomial draw, as a device would
measure every wire of the same shots) and averaging the ``+-1`` eigenvalues.

This evaluation scheme is a choice of this package (exact for frozen weights, tested against the
PennyLane QNodes); the circuit is that of [1]_ and [2]_ (see :mod:`rcpod.quantum.circuits`).

References
----------
.. [1] S. Y.-C. Chen, D. Fry, A. Deshmukh, V. Rastunkov, C. Stefanski, "Reservoir Computing via
   Quantum Recurrent Neural Networks", arXiv:2211.02612, 2022.
.. [2] S. Y.-C. Chen, S. Yoo, Y.-L. L. Fang, "Quantum Long Short-Term Memory", arXiv:2009.01783,
   2020.
.. [3] K. Fujii, K. Nakajima, "Harnessing disordered-ensemble quantum dynamics for machine
   learning", Phys. Rev. Applied 8, 024030, 2017 (a quantum reservoir read out through the
   expectation values of every qubit, not of a few).
"""
from __future__ import annotations

import functools

import numpy as np
import pennylane as qml

from rcpod.reservoir.validation import check_array, check_int

from . import _kernels
from .circuits import check_weights, variational_layers, variational_unitary

__all__ = [
    "MAX_DENSE_QUBITS",
    "MAX_FAST_QUBITS",
    "encode_qubits",
    "product_states",
    "z_signs",
    "expvals_from_probabilities",
    "sample_expvals",
    "VQCBank",
    "dense_unitaries",
    "MEASUREMENTS",
    "observable_labels",
    "pauli_expvals",
    "sample_pauli_expvals",
]

#: Largest qubit count for which ``method="auto"`` builds dense unitaries (2^n x 2^n each).
#: (``method`` is the fast backend's sub-option, see the vocabulary table of :mod:`rcpod.quantum`.)
MAX_DENSE_QUBITS = 8
#: Up to this many qubits the dense unitary is ``qml.matrix`` of the variational block; above it
#: (where ``qml.matrix`` gets slow) it is assembled by applying the block's gates, read from the
#: same PennyLane tape, to the identity.
QML_MATRIX_QUBITS = 6
#: Largest qubit count the fast backend accepts (state vectors of 2^20 complex128 = 16 MiB per
#: circuit and series); use ``backend="pennylane"`` beyond.
MAX_FAST_QUBITS = 20

_SQRT_HALF = np.sqrt(0.5)


def encode_qubits(v, xp=np):
    """Single-qubit states left by the encoding block.

    ``RZ(b) RY(a) H |0> = [e^{-ib/2} (cos(a/2) - sin(a/2)), e^{ib/2} (cos(a/2) + sin(a/2))] / sqrt(2)``
    with ``a = arctan(v)``, ``b = arctan(v^2)``.

    Parameters
    ----------
    v : array of shape (..., n)
    xp : module, default=numpy
        Array namespace: ``numpy``, or ``pennylane.numpy`` to differentiate through the encoding
        (:mod:`rcpod.quantum.trained`).

    Returns
    -------
    q : complex array of shape (..., n, 2)

    Examples
    --------
    ``v = 0`` leaves ``|+>``; every encoded qubit is normalised:

    >>> import numpy as np
    >>> from rcpod.quantum.fast import encode_qubits
    >>> q = encode_qubits(np.array([0.0, 1.0]))
    >>> q.shape, np.round(q[0].real, 4).tolist()
    ((2, 2), [0.7071, 0.7071])
    >>> bool(np.allclose((np.abs(q) ** 2).sum(axis=-1), 1.0))
    True
    """
    if xp is np:
        v = np.asarray(v, dtype=np.float64)
    half_a = 0.5 * xp.arctan(v)
    half_b = 0.5 * xp.arctan(v * v)
    c, s = xp.cos(half_a), xp.sin(half_a)
    ph = xp.cos(half_b) - 1j * xp.sin(half_b)  # e^{-ib/2}
    return xp.stack([ph * ((c - s) * _SQRT_HALF), xp.conj(ph) * ((c + s) * _SQRT_HALF)], axis=-1)


def product_states(v, xp=np):
    """Encoded product states ``kron(q_0, ..., q_{n-1})`` (wire 0 most significant).

    Parameters
    ----------
    v : array of shape (B, n)
    xp : module, default=numpy
        Array namespace, as in :func:`encode_qubits`.

    Returns
    -------
    phi : complex array of shape (B, 2**n)

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.quantum.fast import product_states
    >>> phi = product_states(np.zeros((1, 2)))            # |+>|+>: uniform amplitudes
    >>> phi.shape, np.round(phi.real, 3).tolist()
    ((1, 4), [[0.5, 0.5, 0.5, 0.5]])
    """
    q = encode_qubits(v, xp)
    phi = q[:, 0, :]
    for i in range(1, q.shape[1]):
        phi = (phi[:, :, None] * q[:, i, None, :]).reshape(phi.shape[0], -1)
    return phi


def z_signs(n_qubits):
    """Eigenvalues of ``Z_i`` on the basis states: array (2**n, n) of +-1 (float64).

    Parameters
    ----------
    n_qubits : int
        Number of wires ``n``; wire 0 is the most significant bit of the basis index.

    Returns
    -------
    signs : float64 array of shape (2**n, n)

    Examples
    --------
    >>> from rcpod.quantum.fast import z_signs
    >>> z_signs(2).tolist()                                # |00>, |01>, |10>, |11>
    [[1.0, 1.0], [1.0, -1.0], [-1.0, 1.0], [-1.0, -1.0]]
    """
    k = np.arange(2 ** n_qubits)[:, None]
    bits = (k >> (n_qubits - 1 - np.arange(n_qubits))[None, :]) & 1
    return (1 - 2 * bits).astype(np.float64)


def expvals_from_probabilities(probs, signs):
    """``<Z_i> = sum_k p_k s_ik``: (..., 2**n) x (2**n, n) -> (..., n).

    Parameters
    ----------
    probs : array of shape (..., 2**n)
        Outcome probabilities of the basis states.
    signs : array of shape (2**n, n)
        From :func:`z_signs`.

    Returns
    -------
    z : array of shape (..., n)

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.quantum.fast import expvals_from_probabilities, z_signs
    >>> expvals_from_probabilities(np.array([0.0, 1.0, 0.0, 0.0]), z_signs(2)).tolist()   # |01>
    [1.0, -1.0]
    >>> expvals_from_probabilities(np.array([0.5, 0.0, 0.0, 0.5]), z_signs(2)).tolist()   # Bell
    [0.0, 0.0]
    """
    return probs @ signs


def sample_expvals(probs, signs, shots, rng):
    """Shot-noise estimates of ``<Z_i>`` from exact probabilities.

    Parameters
    ----------
    probs : array of shape (..., 2**n)
        Exact outcome probabilities.
    signs : array of shape (2**n, n)
        From :func:`z_signs`.
    shots : int >= 1
        Number of shots per circuit evaluation.
    rng : numpy.random.Generator

    Returns
    -------
    z : array of shape (..., n)
        ``counts @ signs / shots`` with ``counts ~ Multinomial(shots, probs)``.

    Examples
    --------
    A basis state is measured without noise; a uniform distribution gives estimates near 0:

    >>> import numpy as np
    >>> from rcpod.quantum.fast import sample_expvals, z_signs
    >>> rng = np.random.default_rng(0)
    >>> sample_expvals(np.array([0.0, 1.0, 0.0, 0.0]), z_signs(2), 100, rng).tolist()
    [1.0, -1.0]
    >>> z = sample_expvals(np.full((5, 4), 0.25), z_signs(2), 1000, rng)
    >>> z.shape, bool(np.abs(z).max() < 0.2)
    ((5, 2), True)
    """
    shots = check_int("shots", shots)
    p = np.clip(probs, 0.0, None)
    p = p / p.sum(axis=-1, keepdims=True)
    counts = rng.multinomial(shots, p)
    return (counts @ signs) / float(shots)


#: Readout measurement sets (the ``measurements`` of :class:`rcpod.quantum.QuantumReservoir`).
#: ``"reference"``: only the ``<Z_i>`` the cells of [1]_ measure; ``"xyz"``: also ``<X_i>``,
#: ``<Y_i>``, ``<Z_i>`` on every wire; ``"xyz+zz"``: also ``<Z_i Z_j>`` for ``i < j``. The last
#: two are additions of this package, not defined by [1]_: quantum reservoir computing reads
#: many expectation values out ([3]_); the exact set (X, Y, Z and ZZ) is this package's choice.
MEASUREMENTS = ("reference", "xyz", "xyz+zz")


def _check_measurements(measurements):
    """The extra measurement sets (``"reference"`` has no Pauli observables of its own)."""
    allowed = MEASUREMENTS[1:]
    if measurements not in allowed:
        raise ValueError(f"measurements must be one of {list(allowed)}, got {measurements!r}.")
    return measurements


def observable_labels(n_qubits, measurements):
    """Names of the Pauli observables measured by ``measurements``, in feature order.

    Parameters
    ----------
    n_qubits : int
    measurements : {"xyz", "xyz+zz"}
        ``X_0..X_{n-1}, Y_0..Y_{n-1}, Z_0..Z_{n-1}``, then (``"xyz+zz"``) ``Z_iZ_j`` for
        ``i < j`` in lexicographic order.

    Returns
    -------
    labels : list of str
        ``3 n`` labels, plus ``n (n - 1) / 2`` for ``"xyz+zz"``.

    Examples
    --------
    >>> from rcpod.quantum.fast import observable_labels
    >>> observable_labels(2, "xyz+zz")
    ['X0', 'X1', 'Y0', 'Y1', 'Z0', 'Z1', 'Z0Z1']
    """
    _check_measurements(measurements)
    labels = [f"{p}{i}" for p in "XYZ" for i in range(n_qubits)]
    if measurements == "xyz+zz":
        labels += [f"Z{i}Z{j}" for i in range(n_qubits) for j in range(i + 1, n_qubits)]
    return labels


@functools.lru_cache(maxsize=32)
def _signs(n_qubits):
    """``z_signs``, ``Z_i Z_j`` signs (i < j) and ``(-i)^popcount`` phases of the basis states,
    read-only and cached: every step of a run needs them."""
    s = z_signs(n_qubits)
    i, j = np.triu_indices(n_qubits, k=1)
    zz = s[:, i] * s[:, j]
    pop = ((1 - s).sum(axis=1) / 2).astype(np.int64)  # number of 1 bits
    phase = (-1j) ** pop
    for a in (s, zz, phase):
        a.flags.writeable = False
    return s, zz, phase


def _hadamard_all(psi, n):
    """``H^{(x)n} psi`` on the last axis (2**n), a fast Walsh-Hadamard transform."""
    lead = psi.shape[:-1]
    for w in range(n):
        t = psi.reshape(lead + (2 ** w, 2, 2 ** (n - w - 1)))
        a, b = t[..., 0, :], t[..., 1, :]
        psi = np.stack([a + b, a - b], axis=-2).reshape(lead + (2 ** n,)) * _SQRT_HALF
    return psi


def _sdag_all(psi, n):
    """``S^dagger`` on every wire: amplitude ``k`` times ``(-i)^popcount(k)``."""
    return psi * _signs(n)[2]


def pauli_expvals(psi, measurements):
    """Exact Pauli expectation values of state vectors.

    ``<X_i> = 2 Re sum conj(a) b`` and ``<Y_i> = 2 Im sum conj(a) b`` over the amplitude pairs
    ``(a, b)`` that differ only in bit ``i`` (``a`` with the bit 0); ``<Z_i>`` and ``<Z_i Z_j>``
    from the basis probabilities.

    Parameters
    ----------
    psi : complex array of shape (..., 2**n)
        State vectors (wire 0 most significant, PennyLane's order).
    measurements : {"xyz", "xyz+zz"}
        Which observables (see :func:`observable_labels` for the order).

    Returns
    -------
    values : array of shape (..., n_observables)

    Examples
    --------
    ``|+>|0>``: ``<X_0> = 1``, ``<Z_1> = 1``, the rest 0:

    >>> import numpy as np
    >>> from rcpod.quantum.fast import pauli_expvals
    >>> psi = np.array([1, 0, 1, 0]) / np.sqrt(2)
    >>> np.round(pauli_expvals(psi, "xyz+zz"), 12).tolist()
    [1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0]
    """
    _check_measurements(measurements)
    psi = np.asarray(psi, dtype=np.complex128)
    n = int(round(np.log2(psi.shape[-1])))
    lead = psi.shape[:-1]
    xs, ys = [], []
    for w in range(n):
        t = psi.reshape(lead + (2 ** w, 2, 2 ** (n - w - 1)))
        c = np.einsum("...ik,...ik->...", t[..., 0, :].conj(), t[..., 1, :])
        xs.append(2.0 * c.real)
        ys.append(2.0 * c.imag)
    probs = psi.real ** 2 + psi.imag ** 2
    signs, zz, _ = _signs(n)
    parts = [np.stack(xs, axis=-1), np.stack(ys, axis=-1), probs @ signs]
    if measurements == "xyz+zz":
        parts.append(probs @ zz)
    return np.concatenate(parts, axis=-1)


def _basis_counts(psi, shots, rng):
    p = psi.real ** 2 + psi.imag ** 2
    p = np.clip(p, 0.0, None)
    return rng.multinomial(shots, p / p.sum(axis=-1, keepdims=True)) / float(shots)


def sample_pauli_expvals(psi, measurements, shots, rng):
    """Shot-noise estimates of :func:`pauli_expvals`, as a device would measure them.

    Three measurement settings of ``shots`` shots each, every wire measured in the same basis:
    the computational (Z) basis gives ``<Z_i>`` and ``<Z_i Z_j>`` from the same shots; the X
    basis (``H`` on every wire first) gives ``<X_i>``; the Y basis (``S^dagger`` then ``H``)
    gives ``<Y_i>``. Each setting draws ``Multinomial(shots, p)`` from the exact outcome
    probabilities ``p`` of the rotated state.

    Parameters
    ----------
    psi : complex array of shape (..., 2**n)
    measurements : {"xyz", "xyz+zz"}
    shots : int >= 1
        Shots per measurement setting.
    rng : numpy.random.Generator

    Returns
    -------
    values : array of shape (..., n_observables)
        In the order of :func:`observable_labels`.

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.quantum.fast import sample_pauli_expvals
    >>> psi = np.array([1, 0, 1, 0]) / np.sqrt(2)           # |+>|0>: X_0 and Z_1 are certain
    >>> v = sample_pauli_expvals(psi, "xyz", 1000, np.random.default_rng(0))
    >>> v[[0, 5]].tolist(), bool(np.abs(v[[1, 2, 3, 4]]).max() < 0.2)
    ([1.0, 1.0], True)
    """
    _check_measurements(measurements)
    shots = check_int("shots", shots)
    psi = np.asarray(psi, dtype=np.complex128)
    n = int(round(np.log2(psi.shape[-1])))
    signs, zz, _ = _signs(n)
    fz = _basis_counts(psi, shots, rng)
    fx = _basis_counts(_hadamard_all(psi, n), shots, rng)
    fy = _basis_counts(_hadamard_all(_sdag_all(psi, n), n), shots, rng)
    parts = [fx @ signs, fy @ signs, fz @ signs]
    if measurements == "xyz+zz":
        parts.append(fz @ zz)
    return np.concatenate(parts, axis=-1)


def _apply_gather(state, index):
    return np.take(state, index, axis=-1)


def _permutation_of(matrix):
    """Local gather index of a permutation matrix, or None if it is not one."""
    m = np.asarray(matrix)
    if not np.all((m == 0) | (m == 1)):
        return None
    if not (np.all(m.sum(axis=0) == 1) and np.all(m.sum(axis=1) == 1)):
        return None
    return np.argmax(m, axis=1)  # (m s)_i = s_{perm[i]}


def _apply_local(tensor, wires, n, local_fn):
    """Apply ``local_fn`` to the trailing 2^k axis of ``tensor`` (..., 2, ..., 2) on ``wires``."""
    lead = tensor.ndim - n
    axes = [lead + w for w in wires]
    k = len(wires)
    t = np.moveaxis(tensor, axes, list(range(tensor.ndim - k, tensor.ndim)))
    shape = t.shape
    t = local_fn(t.reshape(shape[:-k] + (2 ** k,)))
    t = t.reshape(shape)
    return np.moveaxis(t, list(range(tensor.ndim - k, tensor.ndim)), axes)


class _GateProgram:
    """Gate-by-gate program of the variational block for a stack of G circuits.

    Steps are ``("perm", index (2**n,))`` for runs of permutation gates (the CNOT rings) shared
    by all circuits, and ``("single", wire, mats (G, 2, 2))`` for one-qubit gates.
    """

    def __init__(self, weights):
        G, _, n, _ = weights.shape
        self.n = n
        tapes = [qml.tape.make_qscript(variational_layers)(weights[g], list(range(n))) for g in range(G)]
        op_lists = [t.operations for t in tapes]
        n_ops = len(op_lists[0])
        steps = []
        pending = None  # index tensor of a run of permutations
        for j in range(n_ops):
            ops = [ol[j] for ol in op_lists]
            wires = [int(w) for w in ops[0].wires]
            mats = np.stack([np.asarray(qml.matrix(op), dtype=np.complex128) for op in ops])
            perm = _permutation_of(mats[0]) if np.all(mats == mats[0]) else None
            if perm is not None:
                if pending is None:
                    pending = np.arange(2 ** n).reshape((2,) * n)
                pending = _apply_local(pending, wires, n, lambda t, p=perm: t[..., p])
                continue
            if pending is not None:
                steps.append(("perm", pending.reshape(-1)))
                pending = None
            if len(wires) != 1:  # pragma: no cover - the VQC only has CNOTs and Rot
                raise NotImplementedError(f"gate {ops[0].name} on {len(wires)} wires is not supported.")
            steps.append(("single", wires[0], mats))
        if pending is not None:
            steps.append(("perm", pending.reshape(-1)))
        self.steps = steps

    def apply(self, states):
        """states (B, G, 2**n) -> U_g states[:, g] for every circuit g."""
        n = self.n
        owned = False  # gathers return new arrays; the input is never written
        for step in self.steps:
            if step[0] == "perm":
                states = _apply_gather(states, step[1])
                owned = True
            else:
                if not owned:  # the first gate writes into a private copy, then in place
                    states = np.array(states, dtype=np.complex128, order="C")
                    owned = True
                _, w, mats = step
                _kernels.apply_single_qubit(states, w, mats, n)
        return states


def dense_unitaries(weights, use_qml_matrix=None):
    """Dense variational unitaries of a stack of circuits.

    Parameters
    ----------
    weights : array of shape (G, L, n, 3)
    use_qml_matrix : bool or None
        ``qml.matrix`` of :func:`rcpod.quantum.circuits.variational_layers` (default up to
        :data:`QML_MATRIX_QUBITS` qubits) or the tape's gates applied to the identity.

    Returns
    -------
    U : complex array of shape (G, 2**n, 2**n)

    Examples
    --------
    Both constructions give the same unitaries:

    >>> import numpy as np
    >>> from rcpod.quantum.fast import dense_unitaries
    >>> w = np.random.default_rng(0).uniform(0, np.pi, (3, 1, 2, 3))   # 3 circuits, 2 qubits
    >>> U = dense_unitaries(w)
    >>> U.shape, bool(np.allclose(U, dense_unitaries(w, use_qml_matrix=False)))
    ((3, 4, 4), True)
    """
    weights = np.asarray(weights, dtype=np.float64)
    n = weights.shape[2]
    if use_qml_matrix is None:
        use_qml_matrix = n <= QML_MATRIX_QUBITS
    if use_qml_matrix:
        return np.stack([variational_unitary(w) for w in weights])
    G, D = weights.shape[0], 2 ** n
    basis = np.broadcast_to(np.eye(D, dtype=np.complex128)[:, None, :], (D, G, D))
    cols = _GateProgram(weights).apply(basis)  # cols[b, g] = U_g e_b
    return np.ascontiguousarray(cols.transpose(1, 2, 0))


class VQCBank:
    """A fixed bank of ``G`` VQCs on ``n`` qubits, evaluated exactly and in batches.

    Parameters
    ----------
    weights : array of shape (G, L, n, 3)
        Frozen weights of the ``G`` circuits.
    groups : sequence of sequences of int
        Circuits evaluated together on the same input (e.g. the four gate circuits of a QLSTM).
    method : {"auto", "dense", "gates"}, default="auto"
        How the fast backend applies the variational block: dense unitaries or gate by gate on
        the state vector (module docstring); ``"auto"``: dense up to :data:`MAX_DENSE_QUBITS`
        qubits, gate by gate above.

    Raises
    ------
    ValueError
        If ``n`` exceeds :data:`MAX_FAST_QUBITS` or the method is unknown.

    Examples
    --------
    The bank agrees with the PennyLane QNode of the same circuit:

    >>> import numpy as np
    >>> from rcpod.quantum import VQCBank, make_qnode
    >>> w = np.random.default_rng(0).uniform(0, np.pi, (2, 1, 3, 3))   # 2 circuits, 1 layer, 3 qubits
    >>> bank = VQCBank(w, [[0, 1]])
    >>> x = np.array([0.1, 0.2, 0.3])
    >>> z = bank.expvals(0, x[None, :])
    >>> z.shape
    (1, 2, 3)
    >>> bool(np.allclose(z[0, 0], [float(e) for e in make_qnode(3)(x, w[0])]))
    True
    """

    def __init__(self, weights, groups, method="auto"):
        weights = check_array("weights", weights, allow_empty=True)
        if weights.ndim != 4:
            raise ValueError(f"weights must have shape (n_circuits, n_layers, n_qubits, 3), got {weights.shape}.")
        for g in range(weights.shape[0]):
            check_weights(weights[g])
        n = weights.shape[2]
        if n > MAX_FAST_QUBITS:
            raise ValueError(f"n_qubits={n} exceeds the fast backend's limit of {MAX_FAST_QUBITS} "
                             f"qubits (state vectors of 2**n amplitudes); use backend='pennylane'.")
        if method not in ("auto", "dense", "gates"):
            raise ValueError(f"method must be 'auto', 'dense' or 'gates', got {method!r}.")
        if method == "auto":
            method = "dense" if n <= MAX_DENSE_QUBITS else "gates"
        if method == "dense" and n > 12:
            raise ValueError(f"method='dense' needs a 2**n x 2**n unitary per circuit; n_qubits={n} is "
                             f"too large (at most 12), use method='gates'.")
        self.weights = weights
        self.n_qubits = n
        self.dim = 2 ** n
        self.method = method
        self.signs = z_signs(n)
        self.groups = [tuple(int(i) for i in grp) for grp in groups]
        for grp in self.groups:
            if not grp or min(grp) < 0 or max(grp) >= weights.shape[0]:
                raise ValueError(f"invalid circuit group {grp} for {weights.shape[0]} circuits.")
        if method == "dense":
            self.unitaries = dense_unitaries(weights)  # (G, D, D)
            # per group: (D, G_grp*D) so that psi = phi @ UT gives all circuits at once
            self._group_ut = [np.ascontiguousarray(
                np.concatenate([self.unitaries[g].T for g in grp], axis=1)) for grp in self.groups]
        else:
            self.unitaries = None
            self._group_prog = [_GateProgram(weights[list(grp)]) for grp in self.groups]

    def states(self, group, v):
        """Final state vectors, complex array (B, G_grp, 2**n), of the circuits of ``group``."""
        phi = product_states(v)
        G = len(self.groups[group])
        if self.method == "dense":
            return (phi @ self._group_ut[group]).reshape(phi.shape[0], G, self.dim)
        st = np.broadcast_to(phi[:, None, :], (phi.shape[0], G, self.dim))
        return self._group_prog[group].apply(st)

    def probabilities(self, group, v):
        """Outcome probabilities, array (B, G_grp, 2**n)."""
        psi = self.states(group, v)
        return psi.real ** 2 + psi.imag ** 2

    def expvals(self, group, v, shots=None, rng=None):
        """``<Z_i>`` on every wire for the circuits of ``group``.

        Parameters
        ----------
        group : int
            Index into ``groups``.
        v : array of shape (B, n)
            Circuit inputs (one value per wire).
        shots : int or None
            ``None`` for exact values, else shot-noise estimates (needs ``rng``).
        rng : numpy.random.Generator, optional

        Returns
        -------
        z : array of shape (B, G_grp, n)
        """
        probs = self.probabilities(group, v)
        if shots is None:
            return probs @ self.signs
        if rng is None:
            raise ValueError("rng is required when shots is not None.")
        return sample_expvals(probs, self.signs, shots, rng)

    def measure(self, group, v, measurements, circuit, shots=None, rng=None):
        """``<Z_i>`` of the group's circuits and the Pauli observables of one of them.

        The Z values of circuit ``circuit`` (position in the group) are the ``<Z_i>`` block of
        its Pauli observables, so with shots both come from the same Z-basis shots, as on a
        device; the group's other circuits are measured as in :meth:`expvals`.

        Parameters
        ----------
        group : int
        v : array of shape (B, n)
        measurements : {"xyz", "xyz+zz"}
            See :func:`observable_labels`.
        circuit : int
            Position in the group of the circuit whose observables are returned.
        shots : int or None
            ``None``: exact; else shots per measurement setting (:func:`sample_pauli_expvals`).
        rng : numpy.random.Generator, optional
            Needed with shots.

        Returns
        -------
        z : array of shape (B, G_grp, n)
        observables : array of shape (B, n_observables)

        Examples
        --------
        >>> import numpy as np
        >>> from rcpod.quantum import VQCBank
        >>> bank = VQCBank(np.random.default_rng(0).uniform(0, 6, (2, 1, 3, 3)), [[0, 1]])
        >>> z, obs = bank.measure(0, np.zeros((4, 3)), "xyz+zz", circuit=1)
        >>> z.shape, obs.shape, bool(np.allclose(obs[:, 6:9], z[:, 1]))
        ((4, 2, 3), (4, 12), True)
        """
        psi = self.states(group, v)
        n = self.n_qubits
        if shots is None:
            probs = psi.real ** 2 + psi.imag ** 2
            z = probs @ self.signs
            obs = pauli_expvals(psi[:, circuit], measurements)
        else:
            if rng is None:
                raise ValueError("rng is required when shots is not None.")
            probs = psi.real ** 2 + psi.imag ** 2
            z = sample_expvals(probs, self.signs, shots, rng)
            obs = sample_pauli_expvals(psi[:, circuit], measurements, shots, rng)
        z[:, circuit] = obs[:, 2 * n:3 * n]
        return z, obs
