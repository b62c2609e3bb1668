"""Large arrays that are kept: each in its own anonymous memory mapping.

numpy advises the kernel to back every large array with transparent huge pages
(``madvise(MADV_HUGEPAGE)``). Where huge pages cannot be had -- fragmented memory, the kernel's
``defrag`` setting making each fault try a direct compaction first -- every first touch of such
an array stalls: on the 2-core Intel Xeon VM of the benchmarks (``defrag = madvise``, no huge
page ever granted) 3.2 GB of new float64 arrays took 17.5 s to fill through ``np.empty`` and
2.0 s through an anonymous ``mmap``, which gets no such advice. The held blocks of a reduction
(:mod:`rcpod.reduction.held_snapshots`, up to gigabytes, each written once and kept) come from
here, and so do, through :func:`large_empty` / :func:`large_zeros`, the arrays of
:data:`LARGE_BYTES` and more that a run or a reduction makes once and fills: the streamed
``N x N`` Gram matrices (200 MB at N = 5,000: 0.74 s to fill from ``np.zeros`` against
0.11 s), the chunk buffers, the states of a long run. Smaller arrays come from numpy, whose
memory glibc reuses, and so do large arrays made again and again (the states of repeated
batch runs): a fresh mapping pays its page faults every time, while numpy's may come back
with huge pages (32 series of N = 500 ran at 6.3x reservoirpy's throughput from mappings,
9.8x from numpy).
"""
from __future__ import annotations

import mmap

import numpy as np

__all__ = ["anonymous_empty", "large_empty", "large_zeros", "LARGE_BYTES"]

#: arrays of at least this many bytes come from an anonymous mapping in :func:`large_empty` and
#: :func:`large_zeros`: glibc maps every allocation this large afresh anyway
LARGE_BYTES = 32 * 2 ** 20


def _dims(shape):
    """``shape`` as a tuple of non-negative ints, or a ValueError naming it."""
    dims = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    if not all(isinstance(d, (int, np.integer)) and not isinstance(d, bool) and d >= 0
               for d in dims):
        raise ValueError(f"shape must be non-negative integers, got {shape!r}.")
    return tuple(int(d) for d in dims)


def anonymous_empty(shape, dtype=np.float64):
    """An uninitialised C-contiguous array in an anonymous mapping of its own (freed with it).

    Parameters
    ----------
    shape : int or tuple of int
        Non-negative.
    dtype : numpy dtype, default=float64

    Returns
    -------
    ndarray
        Writable, C-contiguous, page-aligned; its memory goes back to the system when the
        array and its views are gone.

    Examples
    --------
    >>> import numpy as np
    >>> a = anonymous_empty((3, 4))
    >>> a[:] = 1.0
    >>> a.shape, a.flags.c_contiguous, a.flags.writeable, float(a.sum())
    ((3, 4), True, True, 12.0)
    """
    shape, dtype = _dims(shape), np.dtype(dtype)
    count = int(np.prod(shape, dtype=np.int64))
    buffer = mmap.mmap(-1, max(1, count * dtype.itemsize))
    return np.frombuffer(buffer, dtype=dtype, count=count).reshape(shape)


def large_empty(shape, dtype=np.float64):
    """An uninitialised C-contiguous array: :func:`anonymous_empty` from :data:`LARGE_BYTES`,
    ``np.empty`` below.

    Parameters
    ----------
    shape : int or tuple of int
    dtype : numpy dtype, default=float64

    Returns
    -------
    ndarray

    Examples
    --------
    >>> large_empty((2, 3)).shape
    (2, 3)
    """
    dims = _dims(shape)
    if int(np.prod(dims, dtype=np.int64)) * np.dtype(dtype).itemsize >= LARGE_BYTES:
        return anonymous_empty(dims, dtype)
    return np.empty(dims, dtype)


def large_zeros(shape, dtype=np.float64, order="C"):
    """An array of zeros; from :data:`LARGE_BYTES` in an anonymous mapping, whose pages the
    operating system hands out zero-filled (so nothing is written until it is used).

    Parameters
    ----------
    shape : int or tuple of int
    dtype : numpy dtype, default=float64
    order : {"C", "F"}, default="C"

    Returns
    -------
    ndarray
        C- or F-contiguous.

    Examples
    --------
    >>> z = large_zeros((2, 3), order="F")
    >>> z.flags.f_contiguous, float(z.sum())
    (True, 0.0)
    """
    if order not in ("C", "F"):
        raise ValueError(f"order must be 'C' or 'F', got {order!r}.")
    dims = _dims(shape)
    if int(np.prod(dims, dtype=np.int64)) * np.dtype(dtype).itemsize < LARGE_BYTES:
        return np.zeros(dims, dtype, order=order)
    if order == "F":
        return anonymous_empty(dims[::-1], dtype).T
    return anonymous_empty(dims, dtype)
