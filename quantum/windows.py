"""The windowed protocol of the QRNN-RC experiments, for any rcpod reservoir.

Every window ``x = s[i:i+w]`` is fed to the reservoir from the zero state and only the last
step's readout features are kept; all windows are run together as one batch.

References
----------
.. [1] S. Y.-C. Chen, D. Fry, A. Deshmukh, V. Rastunkov, C. Stefanski, "Reservoir Computing via
   Quantum Recurrent Neural Networks", arXiv:2211.02612, 2022 (windowed protocol).
.. [2] Authors' code, github.com/ycchen1989/FederatedQLSTM (``VQLSTM.forward`` with zero initial
   ``h``, ``c`` and ``seq[-1]``).
"""
from __future__ import annotations

import numbers

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.utils.validation import check_is_fitted

from rcpod.reservoir.base import BaseReservoir
from rcpod.reservoir.validation import InstanceOf, Interval, check_params

__all__ = ["check_windows", "window_features", "WindowFeatures"]


def check_windows(windows, n_inputs=None):
    """Validate windows and return them as a float array (n_windows, w, n_inputs).

    A 2-D array (n_windows, w) is read as windows of a scalar input.

    Parameters
    ----------
    windows : array-like of shape (n_windows, w) or (n_windows, w, n_inputs)
        Numeric and finite, with at least one window of length >= 1.
    n_inputs : int, optional
        Expected number of input features; not checked when None.

    Returns
    -------
    windows : float64 array of shape (n_windows, w, n_inputs)

    Raises
    ------
    TypeError
        If ``windows`` is not numeric.
    ValueError
        On a wrong shape, a wrong feature count or a non-finite value.

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.quantum.windows import check_windows
    >>> check_windows(np.zeros((5, 4), dtype=int)).shape
    (5, 4, 1)
    >>> check_windows(np.zeros((5, 4, 2)), n_inputs=1)
    Traceback (most recent call last):
    ...
    ValueError: windows have 2 input features, expected 1.
    """
    windows = np.asarray(windows)
    if not np.issubdtype(windows.dtype, np.number):
        raise TypeError(f"windows must be numeric, got dtype {windows.dtype}.")
    if windows.ndim == 2:
        windows = windows[:, :, None]
    if windows.ndim != 3:
        raise ValueError(f"windows must have shape (n_windows, w) or (n_windows, w, n_inputs), "
                         f"got {windows.shape}.")
    if windows.shape[0] < 1:
        raise ValueError("windows must contain at least one window.")
    if windows.shape[1] < 1:
        raise ValueError(f"windows must have length w >= 1, got w={windows.shape[1]}.")
    if n_inputs is not None and windows.shape[2] != n_inputs:
        raise ValueError(f"windows have {windows.shape[2]} input features, expected {n_inputs}.")
    windows = np.asarray(windows, dtype=np.float64)
    if not np.all(np.isfinite(windows)):
        raise ValueError("windows contains NaN or infinity.")
    return windows


def window_features(reservoir, windows, concat=False):
    """Features of each window run from the zero state (all windows in one batched run).

    Parameters
    ----------
    reservoir : rcpod.reservoir.base.BaseReservoir
        An initialized reservoir.
    windows : array of shape (n_windows, w, n_inputs) or (n_windows, w)
    concat : bool, default=False
        Return all ``w`` steps' features concatenated instead of the last step's only.

    Returns
    -------
    features : array of shape (n_windows, n_features) or (n_windows, w * n_features)

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.quantum import ClassicalRNNReservoir, window_features
    >>> res = ClassicalRNNReservoir(cell="gru", hidden_size=3, random_state=0).initialize(1)
    >>> window_features(res, np.zeros((7, 4, 1))).shape     # 7 windows of length 4
    (7, 3)
    """
    check_is_fitted(reservoir, "n_states_")
    windows = check_windows(windows, reservoir.n_inputs_)
    states = reservoir.run(windows)
    if concat:
        feats = reservoir.features(states)
        return feats.reshape(feats.shape[0], -1)
    return reservoir.features(states[:, -1, :])


class WindowFeatures(TransformerMixin, BaseEstimator):
    """Transformer: windows (n_windows, w[, n_inputs]) -> last-step reservoir features.

    Use it in a pipeline with a linear regressor to reproduce the paper's protocol, e.g.
    ``make_pipeline(WindowFeatures(QuantumReservoir(cell="lstm")), Ridge(alpha=1e-8))``.

    Parameters
    ----------
    reservoir : rcpod.reservoir.base.BaseReservoir
        Cloned and initialized in :meth:`fit`.
    concat : bool, default=False
        Concatenate the features of all window steps.

    Attributes
    ----------
    reservoir_ : the initialized clone.
    n_features_in_ : int
        ``w * n_inputs`` of the windows seen in :meth:`fit`.

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.quantum import ClassicalRNNReservoir, WindowFeatures
    >>> tf = WindowFeatures(ClassicalRNNReservoir(hidden_size=3, random_state=0))
    >>> tf.fit_transform(np.zeros((7, 4, 1))).shape
    (7, 3)
    """

    _parameter_constraints = {
        "reservoir": [None, InstanceOf(BaseReservoir)],
        "concat": ["boolean"],
    }
    _fitted_schema = {
        "reservoir_": [InstanceOf(BaseReservoir)],
        "n_features_in_": [Interval(numbers.Integral, 1)],
    }

    def __init__(self, reservoir=None, concat=False):
        self.reservoir = reservoir
        self.concat = concat

    def fit(self, X, y=None):
        """Initialize a clone of ``reservoir`` for the windows' input width."""
        check_params(self)
        if self.reservoir is None:
            from .reservoir import QuantumReservoir
            res = QuantumReservoir()
        else:
            res = clone(self.reservoir)
        X3 = check_windows(X)
        self.reservoir_ = res.initialize(X3.shape[2])
        self.n_features_in_ = X3.shape[1] * X3.shape[2]
        return self

    def transform(self, X):
        """Features of each window."""
        check_is_fitted(self, "reservoir_")
        return window_features(self.reservoir_, X, concat=self.concat)
