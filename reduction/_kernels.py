"""Compiled (numba) loops of the reduced-ESN recurrence (private).

All reduced reservoirs of :mod:`reduction.reduced` share the update

    v    = A z[k-1] + (B u[k] + c)                        (m)    [A passed transposed, (r, m)]
    h    = tanh(v)            or   tanh(v) - v  (remainder)
    z[k] = (1 - a) z[k-1] + a ( E h + L z[k-1] + (L_u u[k] + d) )

The input terms in parentheses are computed for the whole sequence by the caller (one matrix
product), so the loop holds only the sequential part. ``A z`` is accumulated column by column
(``A^T`` in C order, contiguous axpy updates) and the products with ``E`` and ``L`` are row dot
products; reassociation is allowed (``fastmath`` without the no-NaN/no-inf assumptions, so a
diverging model still shows up as inf/NaN), which lets LLVM vectorise the loops; results differ
from the numpy reference by rounding only. The plain numpy reference these are
tested against is ``ReducedReservoir._run_numpy``.
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

__all__ = ["run_reduced", "run_reduced_batch"]


_FASTMATH = {"reassoc", "contract", "nsz", "arcp"}


@njit(cache=True, nogil=True, inline="always", fastmath=_FASTMATH)
def _advance(AT, E, L, has_lin, remainder, pnl, plin, z, h, zn, keep, leak):
    r, m = AT.shape
    h[:] = pnl
    for j in range(r):
        zj = z[j]
        for i in range(m):
            h[i] += AT[j, i] * zj
    for i in range(m):
        s = h[i]
        t = np.tanh(s)
        h[i] = t - s if remainder else t
    for i in range(r):
        acc = plin[i]
        for j in range(m):
            acc += E[i, j] * h[j]
        if has_lin:
            for j in range(r):
                acc += L[i, j] * z[j]
        zn[i] = keep * z[i] + leak * acc


@njit(cache=True, nogil=True, fastmath=_FASTMATH)
def run_reduced(AT, E, L, has_lin, remainder, proj_nl, proj_lin, z0, leak):
    """One series. AT (r, m) = A^T, proj_nl (T, m), proj_lin (T, r), z0 (r,) -> states (T, r)."""
    T = proj_nl.shape[0]
    r, m = AT.shape
    out = np.empty((T, r), dtype=proj_nl.dtype)
    keep = proj_nl.dtype.type(1.0) - leak
    z = z0.copy()
    h = np.empty(m, dtype=proj_nl.dtype)
    for t in range(T):
        _advance(AT, E, L, has_lin, remainder, proj_nl[t], proj_lin[t], z, h, out[t], keep, leak)
        z[:] = out[t]
    return out


@njit(cache=True, nogil=True, parallel=True, fastmath=_FASTMATH)
def run_reduced_batch(AT, E, L, has_lin, remainder, proj_nl, proj_lin, z0, leak):
    """Several series, one thread per series. proj_nl (B, T, m), proj_lin (B, T, r), z0 (B, r)."""
    nb, T, _ = proj_nl.shape
    r, m = AT.shape
    out = np.empty((nb, T, r), dtype=proj_nl.dtype)
    keep = proj_nl.dtype.type(1.0) - leak
    for b in prange(nb):
        z = z0[b].copy()
        h = np.empty(m, dtype=proj_nl.dtype)
        for t in range(T):
            _advance(AT, E, L, has_lin, remainder, proj_nl[b, t], proj_lin[b, t], z, h,
                     out[b, t], keep, leak)
            z[:] = out[b, t]
    return out
