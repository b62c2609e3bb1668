"""Random frozen classical RNN / LSTM / GRU reservoirs (baselines of the QRNN-RC experiments).

Equations and initialisation follow PyTorch's ``nn.RNN`` (tanh), ``nn.LSTM`` and ``nn.GRU``
(every weight and bias ``U(-1/sqrt(H), 1/sqrt(H))``), in plain numpy; the weights stay frozen
and only a linear readout learns.

RNN::   h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)
LSTM::  [i, f, g, o] = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh  (then sigmoid, sigmoid, tanh, sigmoid)
        c_t = f * c_{t-1} + i * g ;  h_t = o * tanh(c_t)
GRU::   [r, z] = sigmoid(W_i{r,z} x_t + b_i{r,z} + W_h{r,z} h_{t-1} + b_h{r,z})
        n_t = tanh(W_in x_t + b_in + r * (W_hn h_{t-1} + b_hn)) ;  h_t = (1 - z) * n_t + z * h_{t-1}

References
----------
.. [1] S. Y.-C. Chen, D. Fry, A. Deshmukh, V. Rastunkov, C. Stefanski, "Reservoir Computing via
   Quantum Recurrent Neural Networks", arXiv:2211.02612, 2022 (classical baselines: random frozen
   RNN / LSTM / GRU with the same readout).
.. [2] PyTorch documentation of ``torch.nn.RNN``, ``torch.nn.LSTM``, ``torch.nn.GRU``.
"""
from __future__ import annotations

import numbers

import numpy as np
from sklearn.utils.validation import check_is_fitted

from .base import BaseReservoir
from .validation import Array, Interval, Options, check_params
from .windows import window_features

__all__ = ["ClassicalRNNReservoir"]

_GATES = {"rnn": 1, "lstm": 4, "gru": 3}


def _sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))


class ClassicalRNNReservoir(BaseReservoir):
    """Random frozen classical RNN, LSTM or GRU used as a reservoir.

    Parameters
    ----------
    cell : {"rnn", "lstm", "gru"}, default="rnn"
    hidden_size : int, default=3
        ``H`` (3 matches the hidden size of the 4-qubit quantum cells with a scalar input).
    random_state : int, numpy.random.Generator or None

    Attributes
    ----------
    W_ih_ : array (G*H, n_inputs)
    W_hh_ : array (G*H, H)
    b_ih_, b_hh_ : arrays (G*H,)
        Gate blocks in PyTorch order (LSTM: i, f, g, o; GRU: r, z, n).
    n_inputs_, n_states_ : int
        ``n_states_`` is ``H`` (RNN, GRU) or ``2 H`` (LSTM, state ``[h, c]``); features are ``h``.

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.reservoir import ClassicalRNNReservoir
    >>> res = ClassicalRNNReservoir(cell="lstm", hidden_size=3, random_state=0).initialize(1)
    >>> states = res.run(np.zeros((5, 1)))
    >>> states.shape, res.features(states).shape     # LSTM state = (h, c); features = h
    ((5, 6), (5, 3))
    """

    _parameter_constraints = {
        "cell": [Options(_GATES)],
        "hidden_size": [Interval(numbers.Integral, 1)],
        "random_state": ["random_state"],
    }
    # Gate blocks have G*H rows, G set by ``cell`` (a table shape cannot multiply): checked
    # with the state size in _validate_fitted, on load and before a run.
    _fitted_schema = {
        "W_ih_": [Array(shape=(None, "n_inputs_"))],
        "W_hh_": [Array(shape=(None, "hidden_size"))],
        "b_ih_": [Array(ndim=1)],
        "b_hh_": [Array(ndim=1)],
        "n_inputs_": [Interval(numbers.Integral, 1)],
        "n_states_": [Interval(numbers.Integral, 1)],
    }

    def __init__(self, cell="rnn", hidden_size=3, random_state=None):
        self.cell = cell
        self.hidden_size = hidden_size
        self.random_state = random_state

    def _validate_fitted(self):
        """The weights fit ``cell`` and ``hidden_size`` (``G*H`` gate rows, state ``H`` or
        ``2 H``): what the table cannot express, checked on load and before a run."""
        if not hasattr(self, "W_ih_"):
            return
        H = int(self.hidden_size)
        G = _GATES[self.cell]
        rows = {self.W_ih_.shape[0], self.W_hh_.shape[0], self.b_ih_.shape[0],
                self.b_hh_.shape[0]}
        n_states = 2 * H if self.cell == "lstm" else H
        if rows != {G * H} or self.n_states_ != n_states:
            raise ValueError(f"the weights do not fit a {self.cell} cell of hidden_size={H}: "
                             f"gate rows {sorted(rows)} (expected {G * H}), n_states_="
                             f"{self.n_states_} (expected {n_states}).")

    def _initialize(self, n_inputs):
        check_params(self)
        H = int(self.hidden_size)
        G = _GATES[self.cell]
        rng = np.random.default_rng(self.random_state)
        k = 1.0 / np.sqrt(H)
        self.W_ih_ = rng.uniform(-k, k, size=(G * H, n_inputs))
        self.W_hh_ = rng.uniform(-k, k, size=(G * H, H))
        self.b_ih_ = rng.uniform(-k, k, size=G * H)
        self.b_hh_ = rng.uniform(-k, k, size=G * H)
        self.n_inputs_ = n_inputs
        self.n_states_ = 2 * H if self.cell == "lstm" else H

    def _cell(self, state, pre_x):
        """One update from ``pre_x = W_ih x + b_ih`` (B, G*H)."""
        H = int(self.hidden_size)
        h = state[:, :H]
        pre_h = h @ self.W_hh_.T + self.b_hh_
        if self.cell == "rnn":
            return np.tanh(pre_x + pre_h)
        if self.cell == "lstm":
            a = pre_x + pre_h
            i, f = _sigmoid(a[:, :H]), _sigmoid(a[:, H:2 * H])
            g, o = np.tanh(a[:, 2 * H:3 * H]), _sigmoid(a[:, 3 * H:])
            c = f * state[:, H:] + i * g
            return np.concatenate([o * np.tanh(c), c], axis=1)
        r = _sigmoid(pre_x[:, :H] + pre_h[:, :H])
        z = _sigmoid(pre_x[:, H:2 * H] + pre_h[:, H:2 * H])
        n = np.tanh(pre_x[:, 2 * H:] + r * pre_h[:, 2 * H:])
        return (1.0 - z) * n + z * h

    def _step(self, state, u):
        self._validate_fitted()
        single = state.ndim == 1
        s2, u2 = np.atleast_2d(state), np.atleast_2d(u)
        new = self._cell(s2, u2 @ self.W_ih_.T + self.b_ih_)
        return new[0] if single else new

    def _run(self, inputs, state0):
        self._validate_fitted()
        single = inputs.ndim == 2
        X = inputs[None] if single else inputs
        x = state0[None] if single else state0
        pre = X @ self.W_ih_.T + self.b_ih_  # input projections for the whole sequence
        states = np.empty(X.shape[:-1] + (self.n_states_,))
        for k in range(X.shape[1]):
            x = self._cell(x, pre[:, k])
            states[:, k] = x
        return states[0] if single else states

    def features(self, states):
        """Readout features: the hidden state ``h``."""
        check_is_fitted(self, "n_states_")
        return np.asarray(states)[..., : int(self.hidden_size)]

    def run_windows(self, windows, concat=False):
        """Windowed protocol, see :func:`rcpod.reservoir.windows.window_features`."""
        return window_features(self, windows, concat=concat)
