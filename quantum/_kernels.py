"""Compiled (numba) sequence loops of the quantum cells (dense exact evaluation) and the
single-qubit gate kernel of the gate-by-gate method.

An execution engine, not a definition: each kernel runs a whole batch of series through a cell
with the equations of :meth:`rcpod.quantum.cells.QuantumCell.step` (their one definition) and
the circuit evaluation of :class:`rcpod.quantum.fast.VQCBank` (product state of the encoding,
stacked precomputed unitaries, ``<Z_i>`` from probabilities). They remove the per-step Python and
numpy call overhead, which dominates at 4 qubits; the test suite checks them
against ``QuantumCell.step``. The cell equations are those of [1]_ and [2]_.

References
----------
.. [1] S. Y.-C. Chen, D. Fry, A. Deshmukh, V. Rastunkov, C. Stefanski, "Reservoir Computing via
   Quantum Recurrent Neural Networks", arXiv:2211.02612, 2022 (QRNN, QLSTM and QGRU reservoirs).
.. [2] S. Y.-C. Chen, S. Yoo, Y.-L. L. Fang, "Quantum Long Short-Term Memory", arXiv:2009.01783,
   2020 (QLSTM cell and its VQC).
"""
from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["run_sequence", "apply_single_qubit"]

_SQRT_HALF = np.sqrt(0.5)


@njit(cache=True)
def _encode(v, n, phi):
    """Product state of the encoding block for input v (n,) into phi (2**n,) complex."""
    phi[0] = 1.0
    size = 1
    for i in range(n):
        half_a = 0.5 * np.arctan(v[i])
        half_b = 0.5 * np.arctan(v[i] * v[i])
        c = np.cos(half_a)
        s = np.sin(half_a)
        ph = complex(np.cos(half_b), -np.sin(half_b))
        q0 = ph * ((c - s) * _SQRT_HALF)
        q1 = ph.conjugate() * ((c + s) * _SQRT_HALF)
        # kron(phi[:size], q) in place, from the end
        for k in range(size - 1, -1, -1):
            a = phi[k]
            phi[2 * k] = a * q0
            phi[2 * k + 1] = a * q1
        size *= 2


@njit(cache=True)
def _expvals(Ur, Ui, phi, signs, n_circ, D, n, psr, psi, out):
    """out[g, i] = sum_k |(U_g phi)_k|^2 signs[k, i].

    ``Ur + 1j * Ui`` has shape (D, n_circ*D): column block ``g`` is ``U_g^T``, so that the inner
    loop runs over contiguous memory without a reduction (vectorisable without fast-math).
    ``psr``, ``psi`` are work arrays of length n_circ*D.
    """
    GD = n_circ * D
    for k in range(GD):
        psr[k] = 0.0
        psi[k] = 0.0
    for j in range(D):
        a = phi[j].real
        b = phi[j].imag
        for k in range(GD):
            ur = Ur[j, k]
            ui = Ui[j, k]
            psr[k] += ur * a - ui * b
            psi[k] += ur * b + ui * a
    for g in range(n_circ):
        for i in range(n):
            out[g, i] = 0.0
        for k in range(D):
            prob = psr[g * D + k] ** 2 + psi[g * D + k] ** 2
            for i in range(n):
                out[g, i] += prob * signs[k, i]


@njit(cache=True)
def _sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))


@njit(cache=True)
def _run_rnn(X, S0, U0r, U0i, signs, n, H):
    B, T, n_in = X.shape
    D = 2 ** n
    out = np.empty((B, T, H))
    phi = np.empty(D, dtype=np.complex128)
    psr = np.empty(6 * D)
    psi = np.empty(6 * D)
    v = np.zeros(n)
    z = np.empty((1, n))
    for b in range(B):
        h = S0[b].copy()
        for t in range(T):
            v[:] = 0.0
            v[:n_in] = X[b, t]
            v[n_in:n_in + H] = h
            _encode(v, n, phi)
            _expvals(U0r, U0i, phi, signs, 1, D, n, psr, psi, z)
            for i in range(H):
                h[i] = np.tanh(z[0, i])
            out[b, t] = h
    return out


@njit(cache=True)
def _run_lstm(X, S0, U0r, U0i, U1r, U1i, signs, n, H):
    B, T, n_in = X.shape
    D = 2 ** n
    out = np.empty((B, T, H + 2 * n))
    phi = np.empty(D, dtype=np.complex128)
    psr = np.empty(6 * D)
    psi = np.empty(6 * D)
    v = np.zeros(n)
    m = np.empty(n)
    z = np.empty((4, n))
    z2 = np.empty((2, n))
    for b in range(B):
        h = S0[b, :H].copy()
        c = S0[b, H:H + n].copy()
        for t in range(T):
            v[:] = 0.0
            v[:n_in] = X[b, t]
            v[n_in:n_in + H] = h
            _encode(v, n, phi)
            _expvals(U0r, U0i, phi, signs, 4, D, n, psr, psi, z)
            for i in range(n):
                f = _sigmoid(z[0, i])
                ig = _sigmoid(z[1, i])
                g = np.tanh(z[2, i])
                o = _sigmoid(z[3, i])
                c[i] = f * c[i] + ig * g
                m[i] = o * np.tanh(c[i])
            _encode(m, n, phi)
            _expvals(U1r, U1i, phi, signs, 2, D, n, psr, psi, z2)
            for i in range(H):
                h[i] = z2[0, i]
            out[b, t, :H] = h
            out[b, t, H:H + n] = c
            out[b, t, H + n:] = z2[1]
    return out


@njit(cache=True)
def _run_gru(X, S0, U0r, U0i, U1r, U1i, signs, n, H):
    B, T, n_in = X.shape
    D = 2 ** n
    out = np.empty((B, T, H))
    phi = np.empty(D, dtype=np.complex128)
    psr = np.empty(6 * D)
    psi = np.empty(6 * D)
    v = np.zeros(n)
    z = np.empty((2, n))
    z2 = np.empty((1, n))
    upd = np.empty(H)
    for b in range(B):
        h = S0[b].copy()
        for t in range(T):
            v[:] = 0.0
            v[:n_in] = X[b, t]
            v[n_in:n_in + H] = h
            _encode(v, n, phi)
            _expvals(U0r, U0i, phi, signs, 2, D, n, psr, psi, z)
            for i in range(H):
                upd[i] = _sigmoid(z[1, i])
                v[n_in + i] = _sigmoid(z[0, i]) * h[i]
            _encode(v, n, phi)
            _expvals(U1r, U1i, phi, signs, 1, D, n, psr, psi, z2)
            for i in range(H):
                h[i] = upd[i] * h[i] + (1.0 - upd[i]) * np.tanh(z2[0, i])
            out[b, t] = h
    return out


@njit(cache=True)
def apply_single_qubit(states, wire, mats, n):
    """In place: ``states[b, g]`` <- 2x2 ``mats[g]`` on ``wire`` (wire 0 most significant).

    The engine of the gate-by-gate method (``rcpod.quantum.fast``), tested through it against
    the PennyLane QNodes; ``states`` is C-contiguous complex (B, G, 2**n).
    """
    B, G, D = states.shape
    stride = 1 << (n - wire - 1)
    for b in range(B):
        for g in range(G):
            m00, m01 = mats[g, 0, 0], mats[g, 0, 1]
            m10, m11 = mats[g, 1, 0], mats[g, 1, 1]
            for hi in range(0, D, 2 * stride):
                for k in range(hi, hi + stride):
                    a = states[b, g, k]
                    c = states[b, g, k + stride]
                    states[b, g, k] = m00 * a + m01 * c
                    states[b, g, k + stride] = m10 * a + m11 * c


def _stacked(bank, group):
    """Transposed unitaries of a group side by side, (D, G*D), as C-contiguous real and imag parts."""
    ut = np.concatenate([bank.unitaries[g].T for g in bank.groups[group]], axis=1)
    return np.ascontiguousarray(ut.real), np.ascontiguousarray(ut.imag)


def run_sequence(cell, bank, X, S0):
    """Run ``X`` (B, T, n_in) from ``S0`` (B, n_states) through ``cell`` with compiled loops.

    Parameters
    ----------
    cell : rcpod.quantum.cells.QuantumCell
    bank : rcpod.quantum.fast.VQCBank
        Must use the dense method.
    X : float array (B, T, n_in)
    S0 : float array (B, n_states)

    Returns
    -------
    states : array (B, T, n_states)
    """
    cache = bank.__dict__.setdefault("_kernel_unitaries", {})
    for gi in range(len(bank.groups)):
        if gi not in cache:
            cache[gi] = _stacked(bank, gi)
    X = np.ascontiguousarray(X, dtype=np.float64)
    S0 = np.ascontiguousarray(S0, dtype=np.float64)
    n, H = cell.n_qubits, cell.hidden_size
    if cell.name == "rnn":
        return _run_rnn(X, S0, *cache[0], bank.signs, n, H)
    if cell.name == "lstm":
        return _run_lstm(X, S0, *cache[0], *cache[1], bank.signs, n, H)
    if cell.name == "gru":
        return _run_gru(X, S0, *cache[0], *cache[1], bank.signs, n, H)
    raise ValueError(f"no compiled kernel for cell {cell.name!r}.")  # pragma: no cover
