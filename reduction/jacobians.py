"""Analytic step Jacobians of full and reduced ESNs (for MPC, linearisation, stability checks).

Full ESN ``x[k] = (1-a) x + a tanh(W x + W_in u + b)``, ``t = tanh(W x + W_in u + b)``:

    dx[k]/dx[k-1] = (1-a) I + a diag(1 - t^2) W,      dx[k]/du[k] = a diag(1 - t^2) W_in

Reduced ESN ``z[k] = (1-a) z + a (E h(A z + B u + c) + L z + L_u u + d)``
(:class:`rcpod.reduction.reduced.ReducedReservoir`; ``h' = 1 - t^2`` for ``tanh``, ``-t^2`` for the
stabilised remainder ``tanh(v) - v``):

    dz[k]/dz[k-1] = (1-a) I + a (L + E diag(h'(v)) A),  dz[k]/du[k] = a (L_u + E diag(h'(v)) B)

Both follow by differentiating the update equations (chain rule); the reduced models are those of
:mod:`rcpod.reduction.reduced`, including the stabilised variant of [1]_.

References
----------
.. [1] H. Wang, X. Long, X.-X. Liu, "fastESN: Fast Echo State Network", IEEE TNNLS 34(12), 2023
   (stabilised variant).
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.utils.validation import check_is_fitted

from rcpod.reservoir.base import BaseReservoir

from ._esn import esn_weights, is_esn
from .reduced import ReducedReservoir

__all__ = ["jacobian_state", "jacobian_input", "step_jacobians"]


def _resolve(model):
    """An ESN or reduced reservoir from a reservoir or a fitted estimator."""
    if not isinstance(model, BaseReservoir) and hasattr(model, "reservoir_"):
        model = model.reservoir_
    if not isinstance(model, BaseReservoir) and hasattr(type(model), "fit"):
        check_is_fitted(model, "reservoir_")
    if is_esn(model) or isinstance(model, ReducedReservoir):
        check_is_fitted(model, "n_states_")
        return model
    raise TypeError(f"model must be a rcpod.reservoir.ESN, a reduced reservoir of rcpod.reduction, or a "
                    f"fitted estimator holding one; got {type(model).__name__}.")


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


def _esn_parts(esn, x, u):
    w = esn_weights(esn)
    v = (w.W @ x.T).T + u @ w.W_in.T + w.bias
    dh = 1.0 - np.tanh(v) ** 2
    return w, dh


def _reduced_parts(red, z, u):
    f64 = lambda a: np.asarray(a, dtype=np.float64)  # noqa: E731
    A, B, c = f64(red.A_), f64(red.B_), f64(red.c_)
    t = np.tanh(z @ A.T + u @ B.T + c)
    dh = -t * t if red.remainder_ else 1.0 - t * t
    return A, B, f64(red.E_), dh


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
    res = _resolve(model)
    s, u = _check_point(res, state, u)
    a = float(res.leak_rate)
    n = res.n_states_
    eye = np.eye(n)
    if is_esn(res):
        w, dh = _esn_parts(res, s, u)
        W = w.W.toarray() if sp.issparse(w.W) else w.W
        Js = (1.0 - a) * eye + a * dh[..., :, None] * W
        Ju = a * dh[..., :, None] * w.W_in
        return Js, Ju
    A, B, E, dh = _reduced_parts(res, s, u)
    EdA = (E * dh[..., None, :]) @ A
    EdB = (E * dh[..., None, :]) @ B
    Js = (1.0 - a) * eye + a * EdA
    Ju = a * EdB
    if res.has_linear_:
        Js = Js + a * np.asarray(res.L_, dtype=np.float64)
    Ju = Ju + a * np.asarray(res.Lu_, dtype=np.float64)
    return Js, Ju


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
    res = _resolve(model)
    s, uu = _check_point(res, state, u)
    if is_esn(res) and s.ndim == 1:
        w, dh = _esn_parts(res, s, uu)
        a = float(res.leak_rate)
        DW = w.W.multiply(dh[:, None]).toarray() if sp.issparse(w.W) else dh[:, None] * w.W
        return (1.0 - a) * np.eye(res.n_states_) + a * DW
    return step_jacobians(res, s, uu)[0]


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
