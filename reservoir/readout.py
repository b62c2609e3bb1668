"""Ridge readout fitted from accumulated normal equations.

Per batch of rows the readout adds ``X^T X``, ``X^T Y``, the column sums and the row count
(map); :meth:`RidgeReadout.partial_fit` and the final solve centre the sums and solve one
symmetric system (reduce), so the result is exact for several series and for streaming data and
never needs the whole state matrix in memory. The intercept is not regularised. This is the same
estimator as reservoirpy's ``Ridge`` (``nodes/ridge.py``) and scikit-learn's ``Ridge`` with
``fit_intercept=True`` (shared/reference/esn_pod_deim.md, "Readout").
"""
from __future__ import annotations

import numbers

import numpy as np
from scipy import linalg
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted, validate_data

__all__ = ["RidgeReadout"]


class RidgeReadout(RegressorMixin, BaseEstimator):
    """Ridge regression ``y = X coef^T + intercept`` from accumulated normal equations.

    Parameters
    ----------
    alpha : float >= 0, default=1e-6
        L2 penalty on the weights (not on the intercept).
    fit_intercept : bool, default=True

    Attributes
    ----------
    coef_ : ndarray (n_targets, n_features), or (n_features,) when fitted on 1-D y
    intercept_ : ndarray (n_targets,) or float
    n_samples_seen_ : int

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.reservoir import RidgeReadout
    >>> X = np.c_[np.arange(10.0), np.arange(10.0) ** 2]; y = X @ [1.0, -2.0] + 3.0
    >>> r = RidgeReadout(alpha=0.0).partial_fit(X[:5], y[:5]).partial_fit(X[5:], y[5:])
    >>> float(np.round(r.intercept_ + r.coef_ @ [1.0, 1.0], 6))
    2.0
    """

    def __init__(self, alpha=1e-6, fit_intercept=True):
        self.alpha = alpha
        self.fit_intercept = fit_intercept

    def _check_params(self):
        if (isinstance(self.alpha, bool) or not isinstance(self.alpha, numbers.Real)
                or not np.isfinite(self.alpha) or self.alpha < 0):
            raise ValueError(f"alpha must be a finite float >= 0, got {self.alpha!r}.")

    # -- map: accumulate sums ------------------------------------------------------------------
    def _reset(self):
        for name in ("_xtx", "_xty", "_xsum", "_ysum", "_n", "_y1d"):
            self.__dict__.pop(name, None)

    def accumulate(self, X, Y):
        """Add the rows of ``X`` (n, n_features) and ``Y`` (n, n_targets) to the normal equations
        (float64 accumulation whatever the input dtype). Does not solve; see :meth:`solve`."""
        X = np.asarray(X, dtype=np.float64)
        Y = np.asarray(Y, dtype=np.float64)
        y1d = Y.ndim == 1
        Y = Y.reshape(len(Y), -1)
        if not hasattr(self, "_xtx"):
            self._check_params()
            p, q = X.shape[1], Y.shape[1]
            self._xtx, self._xty = np.zeros((p, p)), np.zeros((p, q))
            self._xsum, self._ysum, self._n, self._y1d = np.zeros(p), np.zeros(q), 0, y1d
        elif X.shape[1] != self._xtx.shape[0] or Y.shape[1] != self._xty.shape[1]:
            raise ValueError(f"partial data has {X.shape[1]} features / {Y.shape[1]} targets, "
                             f"expected {self._xtx.shape[0]} / {self._xty.shape[1]}.")
        self._xtx += X.T @ X
        self._xty += X.T @ Y
        self._xsum += X.sum(axis=0)
        self._ysum += Y.sum(axis=0)
        self._n += X.shape[0]
        return self

    # -- reduce: one symmetric solve -----------------------------------------------------------
    def solve(self):
        """Solve the accumulated normal equations; sets ``coef_`` and ``intercept_``."""
        if not hasattr(self, "_xtx") or self._n == 0:
            raise ValueError("RidgeReadout.solve: no samples have been accumulated.")
        xtx, xty = self._xtx.copy(), self._xty.copy()
        if self.fit_intercept:
            xm, ym = self._xsum / self._n, self._ysum / self._n
            xtx -= self._n * np.outer(xm, xm)
            xty -= self._n * np.outer(xm, ym)
        xtx[np.diag_indices_from(xtx)] += self.alpha
        try:
            W = linalg.solve(xtx, xty, assume_a="sym")
        except (linalg.LinAlgError, ValueError):
            W = linalg.lstsq(xtx, xty)[0]  # singular system (alpha = 0, rank-deficient X)
        intercept = (ym - xm @ W) if self.fit_intercept else np.zeros(W.shape[1])
        # C order, whatever the solver returned: the BLAS kernel behind predict (and so its
        # rounding) depends on the layout, which must not change through save/load.
        self.coef_ = np.ascontiguousarray(W.T[0] if self._y1d else W.T)
        self.intercept_ = float(intercept[0]) if self._y1d else intercept
        self.n_features_in_ = W.shape[0]
        self.n_samples_seen_ = int(self._n)
        return self

    # -- scikit-learn interface ----------------------------------------------------------------
    def fit(self, X, y):
        """Fit on all rows at once."""
        X, y = validate_data(self, X, y, multi_output=True, y_numeric=True,
                             dtype=[np.float64, np.float32])
        self._reset()
        return self.accumulate(X, y).solve()

    def partial_fit(self, X, y):
        """Add rows and re-solve (the result equals ``fit`` on all rows seen so far)."""
        first = not hasattr(self, "_xtx")
        X, y = validate_data(self, X, y, multi_output=True, y_numeric=True, reset=first,
                             dtype=[np.float64, np.float32])
        return self.accumulate(X, y).solve()

    def predict(self, X):
        check_is_fitted(self, "coef_")
        X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        return X @ np.asarray(self.coef_, dtype=X.dtype).T + np.asarray(self.intercept_,
                                                                        dtype=X.dtype)
