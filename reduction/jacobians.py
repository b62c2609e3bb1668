"""Analytic step Jacobians of full and reduced ESNs (for MPC, linearisation, stability checks).

Full ESN ``x[k] = (1-a) x + a tanh(W x + W_in u + b)``, ``t = tanh(W x + W_in u + b)``:

    dx[k]/dx[k-1] = (1-a) I + a diag(1 - t^2) W,      dx[k]/du[k] = a diag(1 - t^2) W_in

Reduced ESN ``z[k] = (1-a) z + a (E h(A z + B u + c) + L z + L_u u + d)``
(:class:`rcpod.reduction.reduced.ReducedReservoir`; ``h' = 1 - t^2`` for ``tanh``, ``-t^2`` for the
stabilised remainder ``tanh(v) - v``):

    dz[k]/dz[k-1] = (1-a) I + a (L + E diag(h'(v)) A),  dz[k]/du[k] = a (L_u + E diag(h'(v)) B)

Both follow by differentiating the update equations (chain rule); the reduced models are those of
:mod:`rcpod.reduction.reduced`, including the stabilised variant of [1]_. Both are the one
formula of :meth:`rcpod.reservoir.form.LeakyTanhForm.jacobians` (the ESN is the form with
``E = I``, ``L = 0``).

References
----------
.. [1] H. Wang, X. Long, X.-X. Liu, "fastESN: Fast Echo State Network", IEEE TNNLS 34(12), 2023
   (stabilised variant).
"""
from __future__ import annotations

import numpy as np

from rcpod.reservoir.base import resolve_reservoir

__all__ = ["jacobian_state", "jacobian_input", "step_jacobians", "leaky_tanh_form"]


def leaky_tanh_form(model, name="model"):
    """The reservoir of ``model`` and its leaky-tanh form in float64.

    Parameters
    ----------
    model : rcpod.reservoir.ESN, ReducedReservoir, or a fitted estimator whose ``reservoir_`` is one
    name : str
        Argument name used in error messages.

    Returns
    -------
    reservoir : the resolved reservoir
    form : rcpod.reservoir.form.LeakyTanhForm, float64

    Raises
    ------
    TypeError
        The reservoir has no leaky-tanh form (it is not an ESN or a reduced ESN).

    Examples
    --------
    >>> from rcpod.reservoir import ESN
    >>> from rcpod.reduction import leaky_tanh_form
    >>> res, form = leaky_tanh_form(ESN(n_units=10, random_state=0).initialize(1))
    >>> form.n_states, str(form.dtype)
    (10, 'float64')
    """
    try:
        res, _ = resolve_reservoir(model, name)
    except TypeError:
        res = None
    if not callable(getattr(res, "form", None)):
        raise TypeError(f"{name} must be a rcpod.reservoir.ESN, a reduced reservoir of "
                        f"rcpod.reduction, or a fitted estimator holding one; got "
                        f"{type(model if res is None else res).__name__}, which has no "
                        f"leaky-tanh form.")
    return res, res.form().astype(np.float64)


def _check_point(res, state, u):
    state = np.asarray(state, dtype=np.float64)
    u = np.asarray(u, dtype=np.float64)
    n, n_in = res.n_states_, res.n_inputs_
    if state.ndim not in (1, 2) or state.shape[-1] != n:
        raise ValueError(f"state must have shape ({n},) or (B, {n}), got {state.shape}.")
    if u.shape != state.shape[:-1] + (n_in,):
        raise ValueError(f"u must have shape {state.shape[:-1] + (n_in,)}, got {u.shape}.")
    if not (np.all(np.isfinite(state)) and np.all(np.isfinite(u))):
        raise ValueError("state and u must be finite (no NaN or infinity).")
    return state, u


def step_jacobians(model, state, u):
    """Both Jacobians of one step at ``(state, u)``.

    Parameters
    ----------
    model : rcpod.reservoir.ESN, ReducedReservoir, or a fitted estimator whose ``reservoir_`` is one
    state : array of shape (n_states,) or (B, n_states)
        The previous state ``x[k-1]`` (or ``z[k-1]``).
    u : array of shape (n_inputs,) or (B, n_inputs)
        The input ``u[k]``.

    Returns
    -------
    J_state : array of shape (n_states, n_states) or (B, n_states, n_states)
    J_input : array of shape (n_states, n_inputs) or (B, n_states, n_inputs)

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.reservoir import ESN
    >>> from rcpod.reduction import step_jacobians
    >>> esn = ESN(n_units=20, random_state=0).initialize(2)
    >>> Js, Ju = step_jacobians(esn, np.zeros(20), np.zeros(2))
    >>> Js.shape, Ju.shape
    ((20, 20), (20, 2))
    >>> step_jacobians(esn, np.zeros((3, 20)), np.zeros((3, 2)))[0].shape   # batch of points
    (3, 20, 20)
    """
    res, form = leaky_tanh_form(model)
    return form.jacobians(*_check_point(res, state, u))


def jacobian_state(model, state, u):
    """``d state[k] / d state[k-1]`` at ``(state, u)``; see :func:`step_jacobians`.

    For a full ESN with sparse ``W`` and a single point the result is still a dense ``(N, N)``
    array.

    Parameters
    ----------
    model : rcpod.reservoir.ESN, ReducedReservoir, or a fitted estimator whose ``reservoir_`` is one
    state : array of shape (n_states,) or (B, n_states)
        The previous state ``x[k-1]`` (or ``z[k-1]``).
    u : array of shape (n_inputs,) or (B, n_inputs)
        The input ``u[k]``.

    Returns
    -------
    J_state : array of shape (n_states, n_states) or (B, n_states, n_states)

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.reservoir import ESN
    >>> from rcpod.reduction import jacobian_state
    >>> esn = ESN(n_units=20, spectral_radius=0.9, random_state=0).initialize(1)
    >>> J = jacobian_state(esn, np.zeros(20), np.zeros(1))   # = W at the origin (no bias, a=1)
    >>> J.shape, round(float(np.max(np.abs(np.linalg.eigvals(J)))), 6)
    ((20, 20), 0.9)
    """
    return step_jacobians(model, state, u)[0]


def jacobian_input(model, state, u):
    """``d state[k] / d u[k]`` at ``(state, u)``; see :func:`step_jacobians`.

    Parameters
    ----------
    model : rcpod.reservoir.ESN, ReducedReservoir, or a fitted estimator whose ``reservoir_`` is one
    state : array of shape (n_states,) or (B, n_states)
        The previous state ``x[k-1]`` (or ``z[k-1]``).
    u : array of shape (n_inputs,) or (B, n_inputs)
        The input ``u[k]``.

    Returns
    -------
    J_input : array of shape (n_states, n_inputs) or (B, n_states, n_inputs)

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.reservoir import ESN
    >>> from rcpod.reduction import jacobian_input
    >>> esn = ESN(n_units=20, random_state=0).initialize(2)
    >>> J = jacobian_input(esn, np.zeros(20), np.zeros(2))   # = W_in at the origin
    >>> J.shape, bool(np.allclose(J, esn.W_in_))
    ((20, 2), True)
    """
    return step_jacobians(model, state, u)[1]
