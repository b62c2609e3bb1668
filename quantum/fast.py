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
"""
from __future__ import annotations

import numpy as np
import pennylane as qml

from rcpod.reservoir.validation import check_array, check_int

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
        B, G, D = states.shape
        for step in self.steps:
            if step[0] == "perm":
                states = _apply_gather(states, step[1])
            else:
                _, w, mats = step
                t = states.reshape(B, G, 2 ** w, 2, 2 ** (n - w - 1))
                a, b = t[:, :, :, 0, :], t[:, :, :, 1, :]
                m = mats[None, :, :, :, None, None]  # (1, G, 2, 2, 1, 1)
                out = np.empty(t.shape, dtype=np.complex128)
                out[:, :, :, 0, :] = m[:, :, 0, 0] * a + m[:, :, 0, 1] * b
                out[:, :, :, 1, :] = m[:, :, 1, 0] * a + m[:, :, 1, 1] * b
                states = out.reshape(B, G, D)
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
