"""Compiled (numba) loops of the reduced-ESN recurrence (private).

All reduced reservoirs of :mod:`rcpod.reduction.reduced` share the update

    v    = A z[k-1] + (B u[k] + c)                        (m)    [A passed transposed, (r, m)]
    h    = tanh(v)            or   tanh(v) - v  (remainder)
    z[k] = (1 - a) z[k-1] + a ( E h + L z[k-1] + (L_u u[k] + d) )

The input terms in parentheses are computed for the whole sequence by the caller (one matrix
product), so the loop holds only the sequential part. All three products (``A z``, ``E h``,
``L z``) are accumulated as contiguous axpy updates over the rows of the *transposed* operators
(``A^T``, ``E^T``, ``L^T`` in C order), which LLVM vectorises without reassociating sums, and
``tanh`` is the vectorisable :func:`rcpod.reservoir.vector_tanh.scalar_tanh` (within 2 ulp of numpy's).
No ``fastmath``: reassociation would cancel the rounding trick inside ``_tanh``. Results differ
from the numpy reference by rounding only; the plain numpy reference these are
tested against is ``ReducedReservoir._run_numpy``.
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

from rcpod.reservoir.vector_tanh import scalar_tanh as _tanh

__all__ = ["run_reduced", "run_reduced_batch"]


@njit(cache=True, nogil=True, inline="always", error_model="numpy")
def _advance(AT, ET, LT, has_lin, remainder, pnl, plin, z, h, zn, keep, leak):
    r, m = AT.shape
    h[:] = pnl
    for j in range(r):  # h += A z as axpy updates over contiguous rows of A^T
        zj = z[j]
        for i in range(m):
            h[i] += AT[j, i] * zj
    if remainder:  # two branch-free loops, so that the vectorised tanh vectorises
        for i in range(m):
            h[i] = _tanh(h[i]) - h[i]
    else:
        for i in range(m):
            h[i] = _tanh(h[i])
    for i in range(r):
        zn[i] = plin[i]
    for j in range(m):  # zn += E h, again as axpy updates (rows of E^T)
        hj = h[j]
        for i in range(r):
            zn[i] += ET[j, i] * hj
    if has_lin:
        for j in range(r):
            zj = z[j]
            for i in range(r):
                zn[i] += LT[j, i] * zj
    for i in range(r):
        zn[i] = keep * z[i] + leak * zn[i]


@njit(cache=True, nogil=True, error_model="numpy")
def run_reduced(AT, ET, LT, has_lin, remainder, proj_nl, proj_lin, z0, leak):
    """One series. AT (r, m) = A^T, proj_nl (T, m), proj_lin (T, r), z0 (r,) -> states (T, r)."""
    T = proj_nl.shape[0]
    r, m = AT.shape
    out = np.empty((T, r), dtype=proj_nl.dtype)
    keep = proj_nl.dtype.type(1.0) - leak
    z = z0.copy()
    h = np.empty(m, dtype=proj_nl.dtype)
    for t in range(T):
        _advance(AT, ET, LT, has_lin, remainder, proj_nl[t], proj_lin[t], z, h, out[t], keep, leak)
        z[:] = out[t]
    return out


@njit(cache=True, nogil=True, parallel=True, error_model="numpy")
def run_reduced_batch(AT, ET, LT, has_lin, remainder, proj_nl, proj_lin, z0, leak):
    """Several series, one thread per series. proj_nl (B, T, m), proj_lin (B, T, r), z0 (B, r)."""
    nb, T, _ = proj_nl.shape
    r, m = AT.shape
    out = np.empty((nb, T, r), dtype=proj_nl.dtype)
    keep = proj_nl.dtype.type(1.0) - leak
    for b in prange(nb):
        z = z0[b].copy()
        h = np.empty(m, dtype=proj_nl.dtype)
        for t in range(T):
            _advance(AT, ET, LT, has_lin, remainder, proj_nl[b, t], proj_lin[b, t], z, h,
                     out[b, t], keep, leak)
            z[:] = out[b, t]
    return out
