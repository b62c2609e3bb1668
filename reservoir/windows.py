"""The windowed protocol of the QRNN-RC experiments, for any rcpod reservoir.

Every window ``x = s[i:i+w]`` is fed to the reservoir from the zero state and only the last
step's readout features are kept; all windows are run together as one batch (a window array
``(n_windows, w, n_inputs)`` is the 3-D layout of :mod:`rcpod.reservoir.series`, each window its
own series). The protocol is classical: it serves the quantum reservoirs of :mod:`rcpod.quantum`,
the random RNN / LSTM / GRU reservoirs of :mod:`rcpod.reservoir.recurrent` and the ESN alike.

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
from scipy.sparse import issparse
from sklearn.utils import check_array
from sklearn.utils.validation import check_is_fitted

from .base import BaseReservoir
from .esn import ESN
from .validation import InstanceOf, Interval, check_params

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
    >>> from rcpod.reservoir.windows import check_windows
    >>> check_windows(np.zeros((5, 4), dtype=int)).shape
    (5, 4, 1)
    >>> check_windows(np.zeros((5, 4, 2)), n_inputs=1)
    Traceback (most recent call last):
    ...
    ValueError: windows have 2 input features, expected 1.
    """
    if issparse(windows):
        raise TypeError("windows must be a dense array; sparse input is not supported.")
    arr = np.asarray(windows)
    if arr.dtype.kind in "USV":
        raise TypeError(f"windows must be numeric, got dtype {arr.dtype}.")
    if arr.ndim not in (2, 3):
        raise ValueError(f"windows must have shape (n_windows, w) or (n_windows, w, n_inputs), "
                         f"got {arr.shape}. Reshape your data: a single window of a scalar "
                         f"input is x.reshape(1, -1).")
    if arr.shape[1] == 0:
        raise ValueError(f"windows must have length w >= 1, got w=0: found array with 0 "
                         f"feature(s) (shape={arr.shape}) while a minimum of 1 is required.")
    # sklearn's check_array: rejects complex values, converts object arrays of numbers and
    # gives sklearn's message for zero windows
    windows = check_array(windows, dtype=np.float64, allow_nd=True, ensure_all_finite=False,
                          input_name="windows")
    if not np.all(np.isfinite(windows)):
        raise ValueError("windows contains NaN or infinity.")
    if windows.ndim == 2:
        windows = windows[:, :, None]
    if n_inputs is not None and windows.shape[2] != n_inputs:
        raise ValueError(f"windows have {windows.shape[2]} input features, expected {n_inputs}.")
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
    >>> from rcpod.reservoir import ClassicalRNNReservoir, window_features
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
    reservoir : rcpod.reservoir.base.BaseReservoir or None, default=None
        Cloned and initialized in :meth:`fit`; None means ``ESN()``, as for
        :class:`rcpod.reservoir.ReservoirRegressor`. (Before rcpod 0.2 the default was a
        ``QuantumReservoir``; ``rcpod.reservoir`` does not import ``rcpod.quantum``, so pass
        one explicitly.)
    concat : bool, default=False
        Concatenate the features of all window steps.

    Attributes
    ----------
    reservoir_ : the initialized clone.
    n_features_in_ : int
        ``w * n_inputs`` of the windows seen in :meth:`fit`; :meth:`transform` requires the
        same window length.

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.reservoir import ClassicalRNNReservoir, WindowFeatures
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
        res = ESN() if self.reservoir is None else clone(self.reservoir)
        X3 = check_windows(X)
        self.reservoir_ = res.initialize(X3.shape[2])
        self.n_features_in_ = X3.shape[1] * X3.shape[2]
        return self

    def transform(self, X):
        """Features of each window."""
        check_is_fitted(self, "reservoir_")
        X3 = check_windows(X, self.reservoir_.n_inputs_)
        # the readout after this transformer was fitted on windows of the fit length: a window
        # of another length has other features (and another width when concat=True)
        n_features = X3.shape[1] * X3.shape[2]
        if n_features != self.n_features_in_:
            raise ValueError(f"X has {n_features} features, but WindowFeatures is expecting "
                             f"{self.n_features_in_} features as input (w * n_inputs of the fit "
                             f"windows).")
        return window_features(self.reservoir_, X3, concat=self.concat)
