"""Compiled (numba) loops of the leaky-tanh ESN recurrence.

Only the recurrence ``W x[k-1]`` is sequential; callers pass ``proj = W_in u[k] + b`` computed for
the whole sequence in one matrix product. All arithmetic stays in the dtype of the arrays passed
(float32 runs in float32). The plain numpy reference these are tested against is
``reservoir.esn.ESN._run_numpy``.
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

__all__ = ["run_csr", "run_csr_batch", "run_dense"]


@njit(cache=True, nogil=True)
def run_csr(indptr, indices, data, proj, x0, leak):
    """One series, sparse W in CSR form. proj (T, N), x0 (N,) -> states (T, N)."""
    T, N = proj.shape
    out = np.empty_like(proj)
    one = proj.dtype.type(1.0)
    keep = one - leak
    x = x0.copy()
    for t in range(T):
        row = out[t]
        for i in range(N):
            s = data.dtype.type(0.0)
            for k in range(indptr[i], indptr[i + 1]):
                s += data[k] * x[indices[k]]
            row[i] = keep * x[i] + leak * np.tanh(s + proj[t, i])
        x[:] = row
    return out


@njit(cache=True, nogil=True)
def run_dense(W, proj, x0, leak):
    """One series, dense W (C order). proj (T, N), x0 (N,) -> states (T, N)."""
    T, N = proj.shape
    out = np.empty_like(proj)
    one = proj.dtype.type(1.0)
    keep = one - leak
    x = x0.copy()
    for t in range(T):
        row = out[t]
        for i in range(N):
            s = W.dtype.type(0.0)
            for j in range(N):
                s += W[i, j] * x[j]
            row[i] = keep * x[i] + leak * np.tanh(s + proj[t, i])
        x[:] = row
    return out


@njit(cache=True, nogil=True, parallel=True)
def run_csr_batch(indptr, indices, data, proj, x0, leak):
    """Several series at once, sparse W. proj (B, T, N), x0 (B, N) -> states (B, T, N).

    The state is kept as (N, B) so the innermost loop runs over contiguous series (SIMD);
    rows are split over threads.
    """
    B, T, N = proj.shape
    out = np.empty_like(proj)
    one = proj.dtype.type(1.0)
    keep = one - leak
    x = np.ascontiguousarray(x0.T)
    xn = np.empty_like(x)
    for t in range(T):
        for i in prange(N):
            s = np.zeros(B, dtype=proj.dtype)
            for k in range(indptr[i], indptr[i + 1]):
                w = data[k]
                xj = x[indices[k]]
                for b in range(B):
                    s[b] += w * xj[b]
            for b in range(B):
                xn[i, b] = keep * x[i, b] + leak * np.tanh(s[b] + proj[b, t, i])
        x, xn = xn, x
        for b in range(B):
            for i in range(N):
                out[b, t, i] = x[i, b]
    return out
