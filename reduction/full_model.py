"""The full model a reduction starts from: an initialized ESN, seen through its leaky-tanh form.

The one place in :mod:`rcpod.reduction` that decides whether a reservoir can be reduced.
"""
from __future__ import annotations

import numpy as np
from sklearn.exceptions import NotFittedError

from rcpod.reservoir.base import BaseReservoir

__all__ = ["full_form"]


def full_form(esn, name="esn"):
    """The float64 :class:`~rcpod.reservoir.form.LeakyTanhForm` of a full (unreduced) ESN.

    Parameters
    ----------
    esn : rcpod.reservoir.ESN (or any reservoir whose ``form()`` is a full leaky-tanh form)
    name : str
        Argument name used in error messages.

    Returns
    -------
    LeakyTanhForm
        ``A = W`` (dense or CSR), ``B = W_in``, ``c = b``, all float64 copies.

    Raises
    ------
    TypeError
        ``esn`` has no leaky-tanh form, or its form is already a reduced one.
    NotFittedError
        ``esn`` is not initialized.

    Examples
    --------
    >>> from rcpod.reservoir import ESN
    >>> from rcpod.reduction.full_model import full_form
    >>> full_form(ESN(n_units=10, dtype="float32", random_state=0).initialize(1)).dtype
    dtype('float64')
    """
    if not (isinstance(esn, BaseReservoir) and hasattr(esn, "form")):
        raise TypeError(f"{name} must be a rcpod.reservoir.ESN (leaky tanh echo state network), "
                        f"got {type(esn).__name__}: only ESN reservoirs can be reduced by POD / "
                        f"DEIM.")
    if not hasattr(esn, "n_states_"):
        raise NotFittedError(f"{name} ({type(esn).__name__}) is not initialized; call "
                             f"initialize(n_inputs) or fit the estimator first.")
    form = esn.form()
    if not form.is_full:
        raise TypeError(f"{name} is already a reduced reservoir ({type(esn).__name__}); reduce "
                        f"the full ESN instead.")
    return form.astype(np.float64)
