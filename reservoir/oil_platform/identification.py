"""Black-box identification of the oil platform from its supervisory inputs.

Reusable pieces of ``examples/oil_platform.py`` (and of the MPC example, which reuses the model):

* :class:`Scaler` -- affine input / output normalisation fitted on training data
  (``"standard"``: zero mean, unit variance; ``"minmax"``: onto a range such as ``[-1, 1]``);
* :class:`ARXModel` -- the linear baseline: least squares on lagged outputs and lagged inputs,
  simulated in *free run* (its own past predictions fed back, never the measured outputs), with
  its affine state-space form for MPC;
* :class:`IdentifiedModel` and :func:`fit_identification_esn` -- an ESN (or any estimator of
  the reservoir protocol, e.g. a POD-DEIM reduction) between the scalers, predicting the outputs
  in free run from the supervisory inputs alone;
* :data:`DEFAULT_ESN_CONFIG` and :data:`DEFAULT_OUTPUTS` -- the configuration chosen on the
  validation split by ``examples/oil_platform.py`` (its ``results.json`` records the search).

Initial condition ("at rest"). Every split of
:func:`~rcpod.reservoir.oil_platform.make_oil_platform_dataset` starts with the plant at the steady state
of its first input ``u[0]``. The models are started the same way and with no output measurement:
the ESN is run for ``warmup`` steps on the constant input ``u[0]`` before the series (and those
steps are dropped; during training they are the estimator's washout), the ARX model starts at its
own equilibrium for ``u[0]``.

Time convention of the data set: ``y[k]`` is the output at the end of the interval in which
``u[k]`` was held, so both models have a direct feed-through of ``u[k]``.

References
----------
.. [1] L. Ljung, *System Identification: Theory for the User*, 2nd ed., Prentice Hall, 1999,
   sections 4.2 (ARX) and 7.3 (least squares; simulation vs. prediction error).
.. [2] J. P. Jordanou, E. A. Antonelo, E. Camponogara, "Echo state networks for practical nonlinear
   model predictive control of unknown dynamic systems", IEEE TNNLS 33(6), 2022 (ESN models of
   oil-production plants from their supervisory inputs).
.. [3] E. Jahanshahi, D. Krishnamoorthy, A. Codas, B. Foss, S. Skogestad, "Plantwide control of an
   oil production network", Computers & Chemical Engineering, 2020 (the plant).
.. [4] J. P. Jordanou, E. A. Antonelo, E. Camponogara, E. Gildin, "Investigation of Proper
   Orthogonal Decomposition for Echo State Networks", Neurocomputing, 2023, arXiv:2211.17179 (ESN
   and POD-reduced ESN models of an oil platform with two wells and one riser).
"""
from __future__ import annotations

import json
import logging
import numbers
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from ..series import as_series, as_targets
from ..validation import Array, InstanceOf, Interval, Options, check_array, check_int, check_params

__all__ = ["DEFAULT_OUTPUTS", "DEFAULT_ESN_CONFIG", "Scaler", "ARXModel", "IdentifiedModel",
           "fit_identification_esn", "make_scalers", "output_indices", "with_warmup",
           "load_identified_model"]

logger = logging.getLogger(__name__)

#: Outputs identified by default: both bottom-hole pressures, both tubing-top pressures, the
#: riser inlet and riser-top pressures and the oil (liquid) production.
DEFAULT_OUTPUTS = ("P_bh_A", "P_bh_B", "P_tt_A", "P_tt_B", "P_in", "P_top", "w_L_out")

#: ESN configuration chosen on the validation split of the default data set (60 s sampling,
#: ``struc2`` envelope) by ``python examples/oil_platform.py``; the ESN parameters are those of
#: :class:`rcpod.reservoir.ESNRegressor`, ``warmup`` is the number of rest steps before a series.
#: Inputs are min-max scaled to [-1, 1] on the training data, outputs standardised.
#: Validation mean NRMSE 0.1785 (mean of reservoir seeds 0, 1); test 0.1858 for seed 0.
DEFAULT_ESN_CONFIG = dict(n_units=1000, spectral_radius=0.8, leak_rate=0.1, input_scaling=0.03,
                          bias_scaling=0.5, density=0.1, ridge=1e-4, include_input=True,
                          warmup=300, random_state=0)

_SCALER_METHODS = ("standard", "minmax")
_STRUCTURES = ("full", "diagonal")
_ESN_KEYS = ("n_units", "spectral_radius", "leak_rate", "input_scaling", "bias_scaling",
             "density", "w_init", "ridge", "include_input", "dtype", "random_state")


# -- normalisation ---------------------------------------------------------------------------------
class Scaler(TransformerMixin, BaseEstimator):
    """Affine per-column normalisation ``X_s = (X - offset_) / scale_`` fitted on training data.

    Parameters
    ----------
    method : {"standard", "minmax"}, default="standard"
        ``"standard"``: ``offset_`` the mean and ``scale_`` the (population) standard deviation.
        ``"minmax"``: the training minimum / maximum are mapped onto ``feature_range``.
    feature_range : (float, float), default=(-1, 1)
        Target range of ``"minmax"``.

    Attributes
    ----------
    offset_, scale_ : ndarray of shape (n_features,)
        A constant column gets ``scale_ = 1`` (it is only shifted).
    n_features_in_ : int

    Notes
    -----
    Accepts one 2-D array ``(n_samples, n_features)``, a 3-D array or a list of 2-D arrays
    (several series, pooled for ``fit``); ``transform`` keeps the layout.

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.reservoir.oil_platform.identification import Scaler
    >>> X = np.array([[0.0, 5.0], [10.0, 5.0]])
    >>> Scaler("minmax").fit(X).transform([[0.0, 5.0], [5.0, 5.0], [10.0, 5.0]]).tolist()
    [[-1.0, 0.0], [0.0, 0.0], [1.0, 0.0]]
    >>> sc = Scaler("standard").fit([[1.0], [3.0]])
    >>> sc.offset_.tolist(), sc.scale_.tolist(), sc.inverse_transform([[1.0]]).tolist()
    ([2.0], [1.0], [[3.0]])
    """

    # feature_range is a pair low < high: checked in fit (a table entry cannot compare them)
    _parameter_constraints = {
        "method": [Options(_SCALER_METHODS)],
        "feature_range": [InstanceOf(tuple, list, np.ndarray)],
    }
    _fitted_schema = {
        "offset_": [Array(shape=("n_features_in_",))],
        "scale_": [Array(shape=("n_features_in_",))],
        "n_features_in_": [Interval(numbers.Integral, 1)],
    }

    def __init__(self, method="standard", feature_range=(-1.0, 1.0)):
        self.method = method
        self.feature_range = feature_range

    def fit(self, X, y=None):
        """Fit offset and scale on ``X`` (all series pooled)."""
        check_params(self)
        A = np.concatenate(as_series(X, estimator=self).arrays)
        if self.method == "standard":
            offset, scale = A.mean(axis=0), A.std(axis=0)
            scale = np.where(scale > 0, scale, 1.0)
        else:
            try:
                lo, hi = (float(v) for v in self.feature_range)
            except (TypeError, ValueError):
                raise ValueError(f"feature_range must be a pair (low, high), got "
                                 f"{self.feature_range!r}.") from None
            if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
                raise ValueError(f"feature_range must satisfy low < high, got {self.feature_range!r}.")
            xmin, xmax = A.min(axis=0), A.max(axis=0)
            span = xmax - xmin
            scale = np.where(span > 0, span / (hi - lo), 1.0)
            offset = np.where(span > 0, xmin - lo * scale, xmin - 0.5 * (lo + hi))
        self.offset_, self.scale_ = offset, scale
        self.n_features_in_ = A.shape[1]
        return self

    def _apply(self, X, fn):
        check_is_fitted(self, "scale_")
        series = as_series(X, n_features=self.n_features_in_, estimator=self)
        return series.reshape_like([fn(a) for a in series.arrays])

    def transform(self, X):
        """``(X - offset_) / scale_``."""
        return self._apply(X, lambda a: (a - self.offset_) / self.scale_)

    def inverse_transform(self, X):
        """``X_s * scale_ + offset_``."""
        return self._apply(X, lambda a: a * self.scale_ + self.offset_)


def make_scalers(u_train, y_train):
    """The normalisation used throughout: inputs min-max to [-1, 1], outputs standardised.

    Parameters
    ----------
    u_train : array (T, n_inputs) or list of such arrays
        Training inputs (several series are pooled).
    y_train : array (T, n_outputs) or list of such arrays
        Training outputs.

    Returns
    -------
    (Scaler, Scaler)
        Fitted input and output scalers.

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.reservoir.oil_platform.identification import make_scalers
    >>> u, y = np.array([[0.0], [1.0], [4.0]]), np.array([[1.0], [2.0], [3.0]])
    >>> u_scaler, y_scaler = make_scalers(u, y)
    >>> u_scaler.transform(u).ravel().tolist()
    [-1.0, -0.5, 1.0]
    >>> y_s = y_scaler.transform(y)
    >>> round(float(y_s.mean()), 6), round(float(y_s.std()), 6)
    (0.0, 1.0)
    """
    return (Scaler("minmax", (-1.0, 1.0)).fit(u_train), Scaler("standard").fit(y_train))


def output_indices(dataset, outputs=DEFAULT_OUTPUTS):
    """Column indices of ``outputs`` (names) in ``dataset.output_names``.

    Parameters
    ----------
    dataset : OilPlatformDataset
        Or any object with an ``output_names`` sequence.
    outputs : str or sequence of str, default :data:`DEFAULT_OUTPUTS`
        Output names to select.

    Returns
    -------
    list of int

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> from rcpod.reservoir.oil_platform import OUTPUT_NAMES
    >>> from rcpod.reservoir.oil_platform.identification import output_indices
    >>> ds = SimpleNamespace(output_names=OUTPUT_NAMES)      # stands in for a data set
    >>> output_indices(ds), output_indices(ds, "P_in")
    ([0, 1, 2, 3, 6, 7, 9], [6])
    >>> output_indices(ds, ("P_out",))
    Traceback (most recent call last):
    ...
    ValueError: outputs must be a non-empty selection of (...), unknown: ['P_out'].
    """
    names = tuple(dataset.output_names)
    if isinstance(outputs, str):
        outputs = (outputs,)
    missing = [o for o in outputs if o not in names]
    if missing or len(outputs) == 0:
        raise ValueError(f"outputs must be a non-empty selection of {names}, unknown: {missing}.")
    return [names.index(o) for o in outputs]


def with_warmup(u, n_warmup):
    """``u`` preceded by ``n_warmup`` copies of ``u[0]`` (the plant at rest before the series).

    Parameters
    ----------
    u : array of shape (T, n_inputs)
        Series with at least one row.
    n_warmup : int >= 0
        Number of copies of ``u[0]`` prepended.

    Returns
    -------
    ndarray of shape (n_warmup + T, n_inputs)

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.reservoir.oil_platform.identification import with_warmup
    >>> with_warmup(np.array([[1.0, 2.0], [3.0, 4.0]]), 2).tolist()
    [[1.0, 2.0], [1.0, 2.0], [1.0, 2.0], [3.0, 4.0]]
    """
    u = check_array("u", u, ndim=2)
    n_warmup = check_int("n_warmup", n_warmup, low=0)
    return np.concatenate([np.repeat(u[:1], n_warmup, axis=0), u])


# -- ARX baseline ----------------------------------------------------------------------------------
class ARXModel(RegressorMixin, BaseEstimator):
    """Linear MIMO ARX model, fitted by (ridge) least squares and simulated in free run.

    ``y[k] = sum_{i=1}^{na} A_i y[k-i] + sum_{j=0}^{nb-1} B_j u[k-j] + c``    (Ljung 1999, 4.2)

    Parameters
    ----------
    output_lags : int >= 0, default=2
        ``na``, number of past outputs.
    input_lags : int >= 1, default=2
        ``nb``, number of inputs ``u[k], ..., u[k-nb+1]`` (``u[k]`` included: direct feed-through).
    structure : {"full", "diagonal"}, default="full"
        ``"full"``: every output regresses on the past of all outputs (coupled MIMO ARX).
        ``"diagonal"``: each output only on its own past (``A_i`` diagonal; one MISO ARX per
        output).
    ridge : float >= 0, default=0.0
        Ridge penalty on the coefficients (not the intercept); 0 is ordinary least squares.

    Attributes
    ----------
    A_ : ndarray (na, n_outputs, n_outputs)
    B_ : ndarray (nb, n_outputs, n_inputs)
    c_ : ndarray (n_outputs,)
    n_inputs_, n_outputs_ : int
    targets_1d_ : bool
        ``y`` was one 1-D series (one output): :meth:`predict` returns 1-D series as well.

    Notes
    -----
    ``fit`` minimises the one-step prediction error (measured outputs as regressors);
    ``predict`` simulates: the past outputs are the model's own predictions. Inputs and outputs
    are one 2-D array each, or lists of 2-D arrays (several series, regressors built per series).

    Examples
    --------
    Data of ``y[k] = 0.5 y[k-1] + u[k]`` give back its coefficients and its gain of 2:

    >>> import numpy as np
    >>> from rcpod.reservoir.oil_platform.identification import ARXModel
    >>> u = np.random.default_rng(0).uniform(size=(50, 1))
    >>> y = np.zeros((50, 1))
    >>> for k in range(50):
    ...     y[k] = 0.5 * y[k - 1] + u[k] if k else u[k]
    >>> arx = ARXModel(output_lags=1, input_lags=1).fit(u, y)
    >>> round(float(arx.A_[0, 0, 0]), 6), round(float(arx.B_[0, 0, 0]), 6)
    (0.5, 1.0)
    >>> round(float(arx.steady_state([1.0])[0]), 6), round(arx.spectral_radius(), 6)
    (2.0, 0.5)
    """

    _parameter_constraints = {
        "output_lags": [Interval(numbers.Integral, 0)],
        "input_lags": [Interval(numbers.Integral, 1)],
        "structure": [Options(_STRUCTURES)],
        "ridge": [Interval(numbers.Real, 0)],
    }
    # The lag dimensions are not tied to output_lags / input_lags: predict reads them from the
    # arrays (a model whose parameters were changed after fit still saves and loads as fitted).
    _fitted_schema = {
        "A_": [Array(shape=(None, "n_outputs_", "n_outputs_"))],
        "B_": [Array(shape=(None, "n_outputs_", "n_inputs_"))],
        "c_": [Array(shape=("n_outputs_",))],
        "n_inputs_": [Interval(numbers.Integral, 1)],
        "n_outputs_": [Interval(numbers.Integral, 1)],
        "n_features_in_": [Interval(numbers.Integral, 1)],
        "targets_1d_": ["boolean"],
    }
    # absent in models fitted before it existed: read as False (2-D outputs)
    _fitted_optional = frozenset({"targets_1d_"})

    def __init__(self, output_lags=2, input_lags=2, structure="full", ridge=0.0):
        self.output_lags = output_lags
        self.input_lags = input_lags
        self.structure = structure
        self.ridge = ridge

    def _check_params(self):
        check_params(self)
        return int(self.output_lags), int(self.input_lags)

    @staticmethod
    def _regressors(u, y, na, nb):
        """Rows ``[y[k-1], ..., y[k-na], u[k], ..., u[k-nb+1]]`` for ``k >= max(na, nb-1)``."""
        k0 = max(na, nb - 1)
        T = u.shape[0]
        cols = [y[k0 - i:T - i] for i in range(1, na + 1)]
        cols += [u[k0 - j:T - j] for j in range(nb)]
        return np.hstack(cols), y[k0:]

    def fit(self, X, y):
        """Least-squares fit on inputs ``X`` (T, n_inputs) and outputs ``y`` (T, n_outputs)."""
        na, nb = self._check_params()
        series = as_series(X, estimator=self)
        us = series.arrays
        # one output may come as 1-D series; predict then returns 1-D series too
        ys, targets_1d = as_targets(y, series)
        k0 = max(na, nb - 1)
        parts = [self._regressors(u, yy, na, nb) for u, yy in zip(us, ys) if u.shape[0] > k0]
        if not parts:
            raise ValueError(f"the series are too short for output_lags={na}, input_lags={nb}: "
                             f"the longest has {max(u.shape[0] for u in us)} sample(s), at least "
                             f"{k0 + 1} are needed.")
        Phi = np.concatenate([p[0] for p in parts])
        Y = np.concatenate([p[1] for p in parts])
        n_u, n_y = us[0].shape[1], ys[0].shape[1]
        # least squares needs as many rows as parameters; a ridge penalty makes any count solvable
        if self.ridge == 0 and Phi.shape[0] < Phi.shape[1] + 1:
            raise ValueError(f"{Phi.shape[0]} regression rows are too few for "
                             f"{Phi.shape[1] + 1} parameters per output.")
        theta = np.zeros((Phi.shape[1], n_y))
        c = np.zeros(n_y)
        for j in range(n_y) if self.structure == "diagonal" else [None]:
            if j is None:
                cols = np.arange(Phi.shape[1])
                tgt = Y
            else:
                cols = np.concatenate([np.arange(na) * n_y + j, np.arange(na * n_y, Phi.shape[1])])
                tgt = Y[:, [j]]
            coef, icpt = self._solve(Phi[:, cols], tgt)
            if j is None:
                theta[:], c[:] = coef, icpt
            else:
                theta[cols, j], c[j] = coef[:, 0], icpt[0]
        # C order (np.stack of transposed views is neither C nor F): the layout, and so the
        # BLAS rounding of predict, must be the one a saved and loaded model has.
        self.A_ = np.ascontiguousarray(np.stack([theta[i * n_y:(i + 1) * n_y].T
                                                 for i in range(na)])) if na else \
            np.zeros((0, n_y, n_y))
        off = na * n_y
        self.B_ = np.ascontiguousarray(np.stack([theta[off + j * n_u:off + (j + 1) * n_u].T
                                                 for j in range(nb)]))
        self.c_ = c
        self.n_inputs_, self.n_outputs_ = n_u, n_y
        self.n_features_in_ = n_u
        self.targets_1d_ = bool(targets_1d)
        return self

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True   # MIMO: y is (T, n_outputs)
        return tags

    def _solve(self, Phi, Y):
        pm, ym = Phi.mean(axis=0), Y.mean(axis=0)
        P, T = Phi - pm, Y - ym
        if self.ridge == 0:
            coef = np.linalg.lstsq(P, T, rcond=None)[0]
        else:
            G = P.T @ P
            G[np.diag_indices_from(G)] += self.ridge
            coef = np.linalg.solve(G, P.T @ T)
        return coef, ym - pm @ coef

    # -- simulation -------------------------------------------------------------------------------
    def steady_state(self, u0):
        """Equilibrium output for the constant input ``u0``:
        ``(I - sum A_i)^{-1} (sum B_j u0 + c)``."""
        check_is_fitted(self, "B_")
        u0 = check_array("u0", u0).reshape(-1)
        if u0.shape != (self.n_inputs_,):
            raise ValueError(f"u0 must be a vector of length {self.n_inputs_}, got shape "
                             f"{np.shape(u0)}.")
        M = np.eye(self.n_outputs_) - self.A_.sum(axis=0)
        rhs = self.B_.sum(axis=0) @ u0 + self.c_
        try:
            return np.linalg.solve(M, rhs)
        except np.linalg.LinAlgError as exc:
            raise ValueError("the ARX model has no unique equilibrium (a pole at 1).") from exc

    def predict(self, X, y_init=None, u_init=None):
        """Free-run simulation: outputs fed back from the model's own predictions.

        Parameters
        ----------
        X : array (T, n_inputs)
        y_init : array (na, n_outputs), optional
            Outputs before the series, oldest first (``y[-na], ..., y[-1]``). Default: the
            model's equilibrium for ``X[0]`` (at rest).
        u_init : array (nb - 1, n_inputs), optional
            Inputs before the series, oldest first. Default: ``X[0]`` repeated.

        Returns
        -------
        ndarray (T, n_outputs)
            Non-finite values (an unstable model) are returned as they come; check them.
        """
        check_is_fitted(self, "B_")
        series = as_series(X, estimator=self)
        if series.arrays[0].shape[1] != self.n_inputs_:
            raise ValueError(f"X has {series.arrays[0].shape[1]} features, but ARXModel is "
                             f"expecting {self.n_inputs_} features as input (the inputs it was "
                             f"fitted on).")
        if series.layout != "single":
            return series.reshape_like([self.predict(a) for a in series.arrays])
        u = series.arrays[0]
        na, nb, n_y = self.A_.shape[0], self.B_.shape[0], self.n_outputs_
        y0 = np.tile(self.steady_state(u[0]), (na, 1)) if y_init is None else np.asarray(
            y_init, dtype=np.float64)
        u0 = np.repeat(u[:1], nb - 1, axis=0) if u_init is None else np.asarray(u_init, dtype=np.float64)
        if y0.shape != (na, n_y) or u0.shape != (nb - 1, self.n_inputs_):
            raise ValueError(f"y_init must have shape ({na}, {n_y}) and u_init ({nb - 1}, "
                             f"{self.n_inputs_}), got {y0.shape} and {u0.shape}.")
        up = np.concatenate([u0, u])
        T = u.shape[0]
        # input part for all steps at once: sum_j B_j u[k-j] + c
        drive = np.tile(self.c_, (T, 1))
        for j in range(nb):
            drive += up[nb - 1 - j:nb - 1 - j + T] @ self.B_[j].T
        Acat = np.concatenate(list(self.A_), axis=1) if na else np.zeros((n_y, 0))  # (n_y, na n_y)
        hist = y0[::-1].reshape(-1).copy()  # [y[k-1], ..., y[k-na]]
        out = np.empty((T, n_y))
        with np.errstate(over="ignore", invalid="ignore"):
            for k in range(T):
                yk = Acat @ hist + drive[k]
                out[k] = yk
                if na:
                    hist[n_y:] = hist[:-n_y]
                    hist[:n_y] = yk
        return out[:, 0] if getattr(self, "targets_1d_", False) else out

    def predict_one_step(self, X, y):
        """One-step-ahead predictions from *measured* past outputs (``k >= max(na, nb-1)``;
        earlier rows are NaN)."""
        check_is_fitted(self, "B_")
        series = as_series(X, n_features=self.n_inputs_, estimator=self)
        if series.layout != "single":
            raise ValueError("predict_one_step takes one series: X of shape (T, n_inputs).")
        (yy,), y1d = as_targets(y, series)
        u = series.arrays[0]
        na, nb = self.A_.shape[0], self.B_.shape[0]
        Phi, _ = self._regressors(u, yy, na, nb)
        theta = np.concatenate([*(a.T for a in self.A_), *(b.T for b in self.B_)])
        out = np.full(yy.shape, np.nan)
        out[max(na, nb - 1):] = Phi @ theta + self.c_
        return out[:, 0] if y1d else out

    def to_state_space(self):
        """Affine state-space form ``x+ = A x + B u + e``, ``y = C x + D u + c``.

        State ``x[k] = [y[k-1], ..., y[k-na], u[k-1], ..., u[k-nb+1]]``; the output of step
        ``k`` is ``y[k] = C x[k] + D u[k] + c`` (the form of
        :func:`rcpod.reduction.mpc.state_space_function`).

        Returns
        -------
        dict with keys ``A, B, C, D, state_offset, output_offset``.
        """
        check_is_fitted(self, "B_")
        na, nb, n_y, n_u = self.A_.shape[0], self.B_.shape[0], self.n_outputs_, self.n_inputs_
        ny_s, nu_s = na * n_y, (nb - 1) * n_u
        n_x = ny_s + nu_s
        C = np.zeros((n_y, n_x))
        for i in range(na):
            C[:, i * n_y:(i + 1) * n_y] = self.A_[i]
        for j in range(1, nb):
            C[:, ny_s + (j - 1) * n_u:ny_s + j * n_u] = self.B_[j]
        D = self.B_[0].copy()
        A = np.zeros((n_x, n_x))
        B = np.zeros((n_x, n_u))
        e = np.zeros(n_x)
        if na:
            A[:n_y] = C
            B[:n_y] = D
            e[:n_y] = self.c_
            A[n_y:ny_s, :ny_s - n_y] = np.eye(ny_s - n_y)
        if nb > 1:
            B[ny_s:ny_s + n_u] = np.eye(n_u)
            A[ny_s + n_u:, ny_s:n_x - n_u] = np.eye(nu_s - n_u)
        return dict(A=A, B=B, C=C, D=D, state_offset=e, output_offset=self.c_.copy())

    def spectral_radius(self):
        """Largest pole modulus of the ARX model (< 1: stable in free run)."""
        ss = self.to_state_space()
        na, n_y = self.A_.shape[0], self.n_outputs_
        if na == 0:
            return 0.0
        return float(np.max(np.abs(np.linalg.eigvals(ss["A"][:na * n_y, :na * n_y]))))


# -- the ESN between the scalers -------------------------------------------------------------------
@dataclass
class IdentifiedModel:
    """A reservoir estimator (full or reduced ESN) between the input and output scalers.

    ``predict(u)`` takes supervisory inputs in SI units (T, 5) and returns the selected outputs
    in SI units (T, n_outputs), in free run from rest at ``u[0]`` (``warmup`` steps of constant
    ``u[0]`` first, then dropped).

    Attributes
    ----------
    estimator : fitted ReservoirRegressor (ESNRegressor, or the result of rcpod.reduction.reduce)
    input_scaler, output_scaler : fitted :class:`Scaler`
    output_names : tuple of str
    warmup : int
    config : dict
        The configuration it was built with (informational).

    Examples
    --------
    Built by hand around a small ESN (normally by :func:`fit_identification_esn`):

    >>> import numpy as np
    >>> from rcpod.reservoir import ESNRegressor
    >>> from rcpod.reservoir.oil_platform.identification import (IdentifiedModel, make_scalers,
    ...                                                    with_warmup)
    >>> u = np.random.default_rng(0).uniform(size=(100, 5))
    >>> y = u[:, :2] * [1.0, 2.0]
    >>> u_scaler, y_scaler = make_scalers(u, y)
    >>> est = ESNRegressor(n_units=30, washout=10, random_state=0).fit(
    ...     with_warmup(u_scaler.transform(u), 10), with_warmup(y_scaler.transform(y), 10))
    >>> model = IdentifiedModel(est, u_scaler, y_scaler, ("P_in", "P_top"), warmup=10)
    >>> model.predict(u).shape, model.rest_state(u[0]).shape
    ((100, 2), (30,))
    """

    estimator: object
    input_scaler: Scaler
    output_scaler: Scaler
    output_names: tuple
    warmup: int
    config: dict = field(default_factory=dict)

    def predict_normalized(self, u_norm):
        """Normalised outputs for normalised inputs (warm-up included and dropped)."""
        pred = self.estimator.predict(with_warmup(u_norm, self.warmup))
        return np.asarray(pred).reshape(len(pred), -1)[self.warmup:]

    def predict(self, u):
        """Outputs (SI units) in free run for the inputs ``u`` (SI units), from rest at ``u[0]``."""
        u = np.asarray(u, dtype=np.float64)
        return self.output_scaler.inverse_transform(
            self.predict_normalized(self.input_scaler.transform(u)))

    def rest_state(self, u0):
        """Reservoir state at rest for the constant input ``u0`` (SI units): the state after
        ``warmup`` steps of ``u0`` from the zero state (the initial state of ``predict``)."""
        u0 = np.asarray(u0, dtype=np.float64).reshape(1, -1)
        un = self.input_scaler.transform(u0)
        res = self.estimator.reservoir_
        return np.asarray(res.run(np.repeat(un, max(self.warmup, 1), axis=0)))[-1]

    def with_estimator(self, estimator, **config):
        """The same scalers and warm-up around another estimator (e.g. a reduction)."""
        return IdentifiedModel(estimator, self.input_scaler, self.output_scaler, self.output_names,
                               self.warmup, {**self.config, **config})

    def save(self, directory, name):
        """Write ``<directory>/<name>.npz`` (the estimator, :func:`rcpod.reservoir.persistence.save`),
        ``input_scaler.npz``, ``output_scaler.npz`` and ``<name>.json`` (outputs, warm-up,
        config). Returns the estimator's path."""
        from rcpod.reservoir.persistence import save
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        path = save(self.estimator, directory / f"{name}.npz")
        save(self.input_scaler, directory / "input_scaler.npz")
        save(self.output_scaler, directory / "output_scaler.npz")
        meta = dict(output_names=list(self.output_names), warmup=int(self.warmup),
                    config=self.config, input_scaler="input_scaler.npz",
                    output_scaler="output_scaler.npz", estimator=path.name)
        (directory / f"{name}.json").write_text(json.dumps(meta, indent=1, default=_jsonable))
        return path


def _jsonable(obj):
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def load_identified_model(directory, name="full_esn"):
    """Load an :class:`IdentifiedModel` written by :meth:`IdentifiedModel.save`
    (e.g. ``load_identified_model("results/oil_platform/models", "pod_deim")``).

    Parameters
    ----------
    directory : str or pathlib.Path
        Directory given to :meth:`IdentifiedModel.save`.
    name : str, default="full_esn"
        Name given to :meth:`IdentifiedModel.save` (``<name>.json`` is read).

    Returns
    -------
    IdentifiedModel

    Examples
    --------
    >>> import numpy as np, tempfile
    >>> from rcpod.reservoir import ESNRegressor
    >>> from rcpod.reservoir.oil_platform.identification import (IdentifiedModel, load_identified_model,
    ...                                                    make_scalers)
    >>> u = np.random.default_rng(0).uniform(size=(60, 5))
    >>> u_scaler, y_scaler = make_scalers(u, u[:, :1])
    >>> est = ESNRegressor(n_units=20, washout=5, random_state=0).fit(u_scaler.transform(u),
    ...                                                              y_scaler.transform(u[:, :1]))
    >>> model = IdentifiedModel(est, u_scaler, y_scaler, ("P_in",), warmup=5)
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = model.save(tmp, "esn")
    ...     copy = load_identified_model(tmp, "esn")
    >>> copy.output_names, bool(np.array_equal(copy.predict(u), model.predict(u)))
    (('P_in',), True)
    """
    from rcpod.reservoir.persistence import load
    directory = Path(directory)
    meta = json.loads((directory / f"{name}.json").read_text())
    return IdentifiedModel(load(directory / meta["estimator"]), load(directory / meta["input_scaler"]),
                           load(directory / meta["output_scaler"]), tuple(meta["output_names"]),
                           int(meta["warmup"]), meta.get("config", {}))


def fit_identification_esn(dataset, config=None, outputs=DEFAULT_OUTPUTS, splits=("train",)):
    """Fit an ESN predicting ``outputs`` in free run from the supervisory inputs of ``dataset``.

    Parameters
    ----------
    dataset : OilPlatformDataset
        From :func:`rcpod.reservoir.oil_platform.make_oil_platform_dataset`.
    config : dict, optional
        :class:`rcpod.reservoir.ESNRegressor` parameters plus ``warmup`` (rest steps before each
        series, used as the washout); missing keys are taken from :data:`DEFAULT_ESN_CONFIG`.
    outputs : sequence of str, default :data:`DEFAULT_OUTPUTS`
    splits : sequence of {"train", "val", "test"}, default ("train",)
        Splits trained on (each a separate series started at rest). The scalers are fitted on
        the same splits.

    Returns
    -------
    IdentifiedModel

    Examples
    --------
    On a hand-made data set (random inputs, outputs a linear map of them; real data sets come
    from :func:`rcpod.reservoir.oil_platform.make_oil_platform_dataset`) with a small ESN:

    >>> import numpy as np
    >>> from rcpod.reservoir.metrics import nrmse
    >>> from rcpod.reservoir.oil_platform import OUTPUT_NAMES, OilPlatform, OilPlatformDataset
    >>> from rcpod.reservoir.oil_platform.identification import fit_identification_esn, output_indices
    >>> rng, plant = np.random.default_rng(0), OilPlatform()
    >>> M, arrays = rng.normal(size=(5, 13)), {}
    >>> for split in ("train", "val", "test"):
    ...     arrays[f"u_{split}"] = u = rng.uniform(size=(200, 5))
    ...     arrays[f"y_{split}"], arrays[f"x_{split}"] = u @ M, np.zeros((200, 21))
    >>> ds = OilPlatformDataset(dt=60.0, input_names=plant.input_names,
    ...                         input_units=plant.input_units, output_names=OUTPUT_NAMES,
    ...                         output_units=plant.output_units, state_names=plant.state_names,
    ...                         **arrays)
    >>> model = fit_identification_esn(ds, config=dict(n_units=50, warmup=20),
    ...                                outputs=("P_in", "P_top"))
    >>> pred = model.predict(ds.u_test)
    >>> pred.shape, bool(nrmse(ds.y_test[:, output_indices(ds, ("P_in", "P_top"))], pred) < 0.01)
    ((200, 2), True)
    """
    from rcpod.reservoir.estimators import ESNRegressor
    cfg = dict(DEFAULT_ESN_CONFIG)
    if config is not None:
        unknown = set(config) - set(_ESN_KEYS) - {"warmup"}
        if unknown:
            raise ValueError(f"config has unknown keys {sorted(unknown)}; expected keys of "
                             f"{_ESN_KEYS + ('warmup',)}.")
        cfg.update(config)
    warmup = check_int("config['warmup']", cfg["warmup"])
    if isinstance(splits, str) or not splits:
        raise ValueError(f"splits must be a non-empty sequence of split names, got {splits!r}.")
    idx = output_indices(dataset, outputs)
    pairs = [dataset.split(s) for s in splits]
    us = [u for u, _ in pairs]
    ys = [y[:, idx] for _, y in pairs]
    in_scaler, out_scaler = make_scalers(us, ys)
    X = [with_warmup(u, warmup) for u in in_scaler.transform(us)]
    Y = [with_warmup(y, warmup) for y in out_scaler.transform(ys)]
    est = ESNRegressor(washout=warmup, **{k: v for k, v in cfg.items() if k in _ESN_KEYS})
    est.fit(X if len(X) > 1 else X[0], Y if len(Y) > 1 else Y[0])
    logger.info("fitted identification ESN (N=%s) on %s", cfg["n_units"], list(splits))
    return IdentifiedModel(est, in_scaler, out_scaler, tuple(outputs), warmup, cfg)
