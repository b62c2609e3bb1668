"""The reservoir protocol shared by every reservoir in rcpod.

A reservoir is a fixed (untrained) dynamical system. Every reservoir class of the package --
the classical ESN, random classical RNN/LSTM/GRU reservoirs, the quantum reservoirs and the
POD / POD-DEIM reduced ESNs -- subclasses :class:`BaseReservoir` and implements

``initialize(n_inputs)``
    draw / build the fixed weights for ``n_inputs`` input features; sets ``n_inputs_`` and
    ``n_states_`` and returns ``self``. Same ``random_state``, same weights.
``run(inputs, state0=None)``
    ``(T, n_inputs) -> (T, n_states)`` for one series, ``(B, T, n_inputs) -> (B, T, n_states)``
    for a batch of equally long series run together. ``states[..., -1, :]`` is the state to pass
    as ``state0`` to continue the run (chunked runs equal one long run).
``step(state, u)``
    one step, ``(n_states,), (n_inputs,) -> (n_states,)`` or batched ``(B, n_states), (B, n_inputs)``.
``features(states)``
    what a readout sees of the states (default: all of them); e.g. a QLSTM keeps its cell
    state inside the state vector but exposes only its output features.

Reservoirs are scikit-learn ``BaseEstimator`` objects, so they can be cloned and grid-searched as
a nested parameter (``reservoir__spectral_radius``) of :class:`rcpod.reservoir.ReservoirRegressor`.
"""
from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError

__all__ = ["BaseReservoir", "resolve_reservoir"]


def _require_initialized(reservoir):
    # cheaper than sklearn's check_is_fitted: step() sits inside control loops
    if not hasattr(reservoir, "n_states_"):
        raise NotFittedError(f"This {type(reservoir).__name__} is not initialized yet; call "
                             f"initialize(n_inputs) or fit an estimator that uses it.")


class BaseReservoir(BaseEstimator):
    """Base class of every reservoir (see the module docstring for the protocol).

    Subclasses implement :meth:`_initialize`, :meth:`_run` (2-D or batched 3-D inputs,
    already validated) and :meth:`_step`; the public methods validate and dispatch.

    Examples
    --------
    A minimal reservoir, ``x[k] = tanh(0.5 x[k-1] + u[k])`` on one unit per input:

    >>> import numpy as np
    >>> from rcpod.reservoir import BaseReservoir
    >>> class Toy(BaseReservoir):
    ...     def _initialize(self, n_inputs):
    ...         self.n_inputs_ = self.n_states_ = n_inputs
    ...     def _step(self, state, u):
    ...         return np.tanh(0.5 * state + u)
    >>> toy = Toy().initialize(2)
    >>> states = toy.run(np.ones((5, 2)))
    >>> states.shape, bool(np.allclose(toy.step(states[-2], np.ones(2)), states[-1]))
    ((5, 2), True)
    """

    #: dtype the reservoir computes in (subclasses with a ``dtype`` parameter override this)
    def _compute_dtype(self):
        return np.dtype(getattr(self, "dtype", np.float64))

    # -- protocol ----------------------------------------------------------------------------
    def initialize(self, n_inputs):
        """Build the fixed weights for ``n_inputs`` input features and return ``self``."""
        if not isinstance(n_inputs, (int, np.integer)) or n_inputs < 1:
            raise ValueError(f"n_inputs must be a positive integer, got {n_inputs!r}.")
        self._initialize(int(n_inputs))
        return self

    def fit(self, X, y=None):
        """Initialize from data: ``X`` is (T, n_inputs) or (B, T, n_inputs)."""
        X = np.asarray(X)
        if X.ndim not in (2, 3):
            raise ValueError(f"X must be 2-D (T, n_inputs) or 3-D (B, T, n_inputs), got shape {X.shape}.")
        return self.initialize(X.shape[-1])

    def run(self, inputs, state0=None):
        """Run the reservoir over a whole series (or a batch of equally long series).

        Parameters
        ----------
        inputs : array of shape (T, n_inputs) or (B, T, n_inputs)
        state0 : array of shape (n_states,) or (B, n_states), optional
            Initial state; zeros by default.

        Returns
        -------
        states : array of shape (T, n_states) or (B, T, n_states)
        """
        _require_initialized(self)
        inputs = self._check_inputs(inputs)
        batch = inputs.shape[0] if inputs.ndim == 3 else None
        x0 = self._check_state(state0, batch)
        if inputs.shape[-2] == 0:
            return np.zeros(inputs.shape[:-1] + (self.n_states_,), dtype=self._compute_dtype())
        return self._run(inputs, x0)

    def step(self, state, u):
        """One update ``x[k] = F(x[k-1], u[k])``; batched when ``state`` is 2-D."""
        _require_initialized(self)
        dtype = self._compute_dtype()
        u = np.asarray(u, dtype=dtype)
        state = np.asarray(state, dtype=dtype)
        if state.ndim not in (1, 2) or state.shape[-1] != self.n_states_:
            raise ValueError(f"state must have shape (n_states,) or (B, n_states) with n_states="
                             f"{self.n_states_}, got {state.shape}.")
        if u.shape != state.shape[:-1] + (self.n_inputs_,):
            raise ValueError(f"u must have shape {state.shape[:-1] + (self.n_inputs_,)} to match "
                             f"state {state.shape}, got {u.shape}.")
        if not np.isfinite(u).all():
            raise ValueError("u contains NaN or infinity.")
        if not np.isfinite(state).all():   # as run() checks state0
            raise ValueError("state contains NaN or infinity.")
        return self._step(state, u)

    def features(self, states):
        """The part of the states a readout sees (default: all of them)."""
        return states

    @property
    def n_features_out_(self):
        """Number of readout features per time step."""
        _require_initialized(self)
        return self.features(np.zeros((1, self.n_states_))).shape[-1]

    def initial_state(self, n_series=None):
        """Zero state, ``(n_states,)`` or ``(n_series, n_states)``."""
        _require_initialized(self)
        shape = (self.n_states_,) if n_series is None else (n_series, self.n_states_)
        return np.zeros(shape, dtype=self._compute_dtype())

    # -- validation helpers ---------------------------------------------------------------
    def _check_inputs(self, inputs):
        inputs = np.asarray(inputs)
        if inputs.ndim not in (2, 3):
            raise ValueError(f"inputs must be 2-D (T, n_inputs) or 3-D (B, T, n_inputs), got shape "
                             f"{inputs.shape}.")
        if inputs.shape[-1] != self.n_inputs_:
            raise ValueError(f"inputs has {inputs.shape[-1]} features but the reservoir was "
                             f"initialized with n_inputs={self.n_inputs_}.")
        if not np.issubdtype(inputs.dtype, np.number):
            raise TypeError(f"inputs must be numeric, got dtype {inputs.dtype}.")
        inputs = np.ascontiguousarray(inputs, dtype=self._compute_dtype())
        if not np.all(np.isfinite(inputs)):
            raise ValueError("inputs contains NaN or infinity.")
        return inputs

    def _check_state(self, state0, batch):
        dtype = self._compute_dtype()
        if state0 is None:
            return self.initial_state(batch)
        state0 = np.asarray(state0, dtype=dtype)
        if batch is None:
            if state0.shape != (self.n_states_,):
                raise ValueError(f"state0 must have shape ({self.n_states_},), got {state0.shape}.")
        else:
            if state0.shape == (self.n_states_,):
                state0 = np.broadcast_to(state0, (batch, self.n_states_))
            if state0.shape != (batch, self.n_states_):
                raise ValueError(f"state0 must have shape ({batch}, {self.n_states_}) or "
                                 f"({self.n_states_},), got {state0.shape}.")
        if not np.all(np.isfinite(state0)):
            raise ValueError("state0 contains NaN or infinity.")
        return np.array(state0, dtype=dtype, copy=True)

    # -- to implement -----------------------------------------------------------------------
    def _initialize(self, n_inputs):  # pragma: no cover - abstract
        raise NotImplementedError

    def _run(self, inputs, state0):  # pragma: no cover - abstract
        """Default: loop over ``_step``. Subclasses override with a faster path."""
        states = np.empty(inputs.shape[:-1] + (self.n_states_,), dtype=self._compute_dtype())
        x = state0
        for k in range(inputs.shape[-2]):
            x = self._step(x, inputs[..., k, :])
            states[..., k, :] = x
        return states

    def _step(self, state, u):  # pragma: no cover - abstract
        raise NotImplementedError


def resolve_reservoir(model, name="model"):
    """The reservoir of ``model``, and the fitted estimator holding it (or None).

    The one answer to "is this a reservoir or an estimator?" for every function that accepts
    both (Jacobians, CasADi export, diagnostics, reductions).

    Parameters
    ----------
    model : an initialized reservoir, or a fitted estimator with a ``reservoir_``
    name : str, default="model"
        Argument name used in error messages.

    Returns
    -------
    reservoir : BaseReservoir, initialized
    estimator : the estimator, or None when ``model`` is a reservoir

    Raises
    ------
    TypeError
        ``model`` is neither a reservoir nor an estimator holding one.
    NotFittedError
        The reservoir is not initialized, or the estimator not fitted.

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.reservoir import ESN, ESNRegressor
    >>> from rcpod.reservoir.base import resolve_reservoir
    >>> est = ESNRegressor(n_units=10, random_state=0).fit(np.zeros((20, 1)), np.zeros(20))
    >>> res, owner = resolve_reservoir(est)
    >>> type(res).__name__, owner is est
    ('ESN', True)
    >>> resolve_reservoir("esn")
    Traceback (most recent call last):
    ...
    TypeError: model must be a reservoir or a fitted estimator holding one (reservoir_), got str.
    """
    if isinstance(model, BaseReservoir):
        _require_initialized(model)
        return model, None
    if "reservoir_" in getattr(type(model), "_fitted_schema", {}):
        if not hasattr(model, "reservoir_"):
            raise NotFittedError(f"This {type(model).__name__} ({name}) is not fitted yet; call "
                                 f"fit first.")
        _require_initialized(model.reservoir_)
        return model.reservoir_, model
    if isinstance(getattr(model, "reservoir_", None), BaseReservoir):
        _require_initialized(model.reservoir_)
        return model.reservoir_, model
    raise TypeError(f"{name} must be a reservoir or a fitted estimator holding one "
                    f"(reservoir_), got {type(model).__name__}.")
