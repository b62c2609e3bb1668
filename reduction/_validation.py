"""Small validation helpers shared by the reduction algorithms (private)."""
from __future__ import annotations

import numbers

import numpy as np

__all__ = ["check_matrix", "check_positive_int"]


def check_matrix(a, name, *, ndim=2, dtype=np.float64):
    """Return ``a`` as a finite float array with ``ndim`` dimensions, or raise.

    Parameters
    ----------
    a : array_like
    name : str
        Argument name used in error messages.
    ndim : int
        Expected number of dimensions.
    dtype : dtype
        Floating dtype of the returned array.
    """
    arr = np.asarray(a)
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise TypeError(f"{name} must be a numeric array, got dtype {arr.dtype}.")
    if np.iscomplexobj(arr):
        raise TypeError(f"{name} must be real, got complex dtype {arr.dtype}.")
    if arr.ndim != ndim:
        raise ValueError(f"{name} must be a {ndim}-D array, got shape {arr.shape}.")
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {arr.shape}.")
    arr = np.asarray(arr, dtype=dtype)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinity.")
    return arr


def check_positive_int(value, name, *, allow_none=False):
    """Return ``value`` as a positive ``int`` (or ``None`` if allowed), or raise."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be a positive integer{' or None' if allow_none else ''}, "
                        f"got {value!r}.")
    if value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}.")
    return int(value)
