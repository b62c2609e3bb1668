"""Large arrays that are kept: each in its own anonymous memory mapping.

numpy advises the kernel to back every large array with transparent huge pages
(``madvise(MADV_HUGEPAGE)``). Where huge pages cannot be had -- fragmented memory, the kernel's
``defrag`` setting making each fault try a direct compaction first -- every first touch of such
an array stalls: on the 2-core Intel Xeon VM of the benchmarks (``defrag = madvise``, no huge
page ever granted) 3.2 GB of new float64 arrays took 17.5 s to fill through ``np.empty`` and
2.0 s through an anonymous ``mmap``, which gets no such advice. The held blocks of a reduction
(:mod:`rcpod.reduction.held_snapshots`, up to gigabytes, each written once and kept) come from
here; short-lived buffers reused chunk after chunk do not need it.
"""
from __future__ import annotations

import mmap

import numpy as np

__all__ = ["anonymous_empty"]


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
    dims = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    if not all(isinstance(d, (int, np.integer)) and not isinstance(d, bool) and d >= 0
               for d in dims):
        raise ValueError(f"shape must be non-negative integers, got {shape!r}.")
    shape, dtype = tuple(int(d) for d in dims), np.dtype(dtype)
    count = int(np.prod(shape, dtype=np.int64))
    buffer = mmap.mmap(-1, max(1, count * dtype.itemsize))
    return np.frombuffer(buffer, dtype=dtype, count=count).reshape(shape)
