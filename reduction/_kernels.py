"""Compiled (numba) loops of the reduced-ESN recurrence (private).

All reduced reservoirs of :mod:`rcpod.reduction.reduced` share the update of the leaky-tanh form
(:class:`rcpod.reservoir.form.LeakyTanhForm`)

    v    = A z[k-1] + (B u[k] + c)                        (m)
    h    = tanh(v)            or   tanh(v) - v  (remainder)
    z[k] = (1 - a) z[k-1] + a ( E h + L z[k-1] + (L_u u[k] + d) )

The input terms in parentheses are computed in the loop, step by step (``m n_u + r n_u``
multiply-adds): one matrix product over the whole sequence before the loop made two fresh
``(T, m)`` and ``(T, r)`` arrays, whose allocation and first touch cost more than the products
(run() at r = 50, m = 100, one input: 1.75 -> 1.42 us per step on a 2-core AVX-512 Xeon). All
products (``A z``, ``E h``, ``L z`` and the input terms) are row-times-vector sums over the
C-ordered operators in :func:`_rows_dot`, compiled with reassociation so that each row sum
vectorises (about 1.6x faster than contiguous axpy updates over the transposed operators). The
operators come from :func:`padded_operator`: every row starts on a 32-byte boundary, so that no
vector load straddles two cache lines (the loop is bound by its loads: a step took 1.53-1.57 us
against 1.73-1.89 us with numpy's 16-byte-aligned rows, the same sums to the bit, since the
zero padding is never read). ``tanh`` is the vectorisable
:func:`rcpod.reservoir.vector_tanh.scalar_tanh` (within 2 ulp of numpy's) in a loop compiled
*without* fastmath, since reassociation would cancel the rounding trick inside it.
Results differ from the numpy reference by rounding only; the plain numpy reference these are
tested against is the form's :meth:`~rcpod.reservoir.form.LeakyTanhForm.run`.
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

from rcpod.reservoir.vector_tanh import scalar_tanh as _tanh

__all__ = ["padded_operator", "run_reduced", "run_reduced_batch"]

#: Row starts of :func:`padded_operator` are multiples of this many bytes (one AVX2 vector).
ROW_ALIGN = 32
_BASE_ALIGN = 64  # one cache line


def padded_operator(M, dtype):
    """``M`` (2-D) as a C-ordered ``dtype`` array whose rows start on ``ROW_ALIGN``-byte
    boundaries: the buffer starts on a cache line, each row is zero-padded to a multiple of
    ``ROW_ALIGN`` bytes. The compiled loops read only the first ``len(x)`` entries of a row.

    >>> import numpy as np
    >>> P = padded_operator(np.ones((3, 5)), np.float64)
    >>> P.shape, P.ctypes.data % 64, P.strides[0] % 32, float(P[:, :5].sum()), float(P[:, 5:].sum())
    ((3, 8), 0, 0, 15.0, 0.0)
    """
    M = np.asarray(M)
    dtype = np.dtype(dtype)
    n, k = M.shape
    per_row = ROW_ALIGN // dtype.itemsize
    width = max(per_row, -(-k // per_row) * per_row)
    raw = np.zeros(n * width * dtype.itemsize + _BASE_ALIGN, dtype=np.uint8)
    start = (-raw.ctypes.data) % _BASE_ALIGN
    out = raw[start:start + n * width * dtype.itemsize].view(dtype).reshape(n, width)
    out[:, :k] = M
    return out


@njit(cache=True, nogil=True, fastmath={"reassoc", "contract"}, error_model="numpy")
def _rows_dot(M, x, init, out):
    """``out[i] = init[i] + sum_{j < len(x)} M[i, j] x[j]``; each row sum reassociated
    (vectorised). ``M`` may have more columns (padding) than ``x`` has entries."""
    n = M.shape[0]
    k = x.shape[0]
    for i in range(n):
        s = init[i]
        for j in range(k):
            s += M[i, j] * x[j]
        out[i] = s


@njit(cache=True, nogil=True, inline="always", error_model="numpy")
def _advance(A, E, L, B, c, Lu, d, has_lin, remainder, u, z, h, zn, keep, leak):
    m = h.shape[0]
    r = z.shape[0]
    _rows_dot(B, u, c, h)         # B u + c
    _rows_dot(A, z, h, h)         # + A z, in place: row i reads h[i] before writing it
    if remainder:  # two branch-free loops, so that the vectorised tanh vectorises
        for i in range(m):
            h[i] = _tanh(h[i]) - h[i]
    else:
        for i in range(m):
            h[i] = _tanh(h[i])
    _rows_dot(Lu, u, d, zn)       # L_u u + d
    _rows_dot(E, h, zn, zn)
    if has_lin:
        _rows_dot(L, z, zn, zn)
    for i in range(r):
        zn[i] = keep * z[i] + leak * zn[i]


@njit(cache=True, nogil=True, error_model="numpy")
def run_reduced(A, E, L, B, c, Lu, d, has_lin, remainder, inputs, z0, leak):
    """One series. A (m, >= r), E (r, >= m), L (r, >= r), B (m, >= n_u), Lu (r, >= n_u)
    C-ordered (:func:`padded_operator`), c (m,), d (r,); inputs (T, n_u), z0 (r,) -> states
    (T, r)."""
    T = inputs.shape[0]
    m, r = c.shape[0], z0.shape[0]
    out = np.empty((T, r), dtype=inputs.dtype)
    keep = inputs.dtype.type(1.0) - leak
    z = z0.copy()
    h = np.empty(m, dtype=inputs.dtype)
    for t in range(T):
        _advance(A, E, L, B, c, Lu, d, has_lin, remainder, inputs[t], z, h, out[t], keep, leak)
        z[:] = out[t]
    return out


@njit(cache=True, nogil=True, parallel=True, error_model="numpy")
def run_reduced_batch(A, E, L, B, c, Lu, d, has_lin, remainder, inputs, z0, leak):
    """Several series, one thread per series. inputs (nb, T, n_u), z0 (nb, r)."""
    nb, T, _ = inputs.shape
    m, r = c.shape[0], z0.shape[1]
    out = np.empty((nb, T, r), dtype=inputs.dtype)
    keep = inputs.dtype.type(1.0) - leak
    for b in prange(nb):
        z = z0[b].copy()
        h = np.empty(m, dtype=inputs.dtype)
        for t in range(T):
            _advance(A, E, L, B, c, Lu, d, has_lin, remainder, inputs[b, t], z, h, out[b, t],
                     keep, leak)
            z[:] = out[b, t]
    return out
