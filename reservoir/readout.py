"""Ridge readout fitted from streamed, centred normal equations.

The readout never needs the whole state matrix: rows arrive in pieces (:meth:`RidgeReadout.accumulate`)
and only their count, means and *centred* sums of products are kept. The result does not depend
on how the rows are cut into pieces:

* Every series (a run of consecutive rows, see "The streaming-readout protocol" below) is cut into
  fixed blocks of :data:`BLOCK_ROWS` rows counted from its own first row, whatever the pieces
  ``accumulate`` is given (a partial block is buffered until it is full or the series ends).
* Each block is centred at its own mean and merged into the series' running count, means and
  centred sums with the pairwise update of Chan, Golub and LeVeque [1]_: for two groups ``a`` and
  ``b`` with ``d = mean_b - mean_a``,
  ``S = S_a + S_b + (n_a n_b / (n_a + n_b)) d d^T`` and
  ``mean = (n_a mean_a + n_b mean_b) / (n_a + n_b)``; the correction term is the
  extra row ``sqrt(n_a n_b / n) d`` appended to the centred block, so one product does both.
* A series, once ended, is merged into the total by the same update, in the order the series
  end (series order for :class:`~rcpod.reservoir.ReservoirRegressor`).

So the same series give the same blocks and the same sequence of floating-point operations, hence
bit-identical sums, whether they come in chunks of 7 or 10,000 rows, as a 3-D batch or as a list,
in one ``fit`` or one ``partial_fit`` per series. Summing uncentred ``X^T X`` instead and
centring at the end (``X^T X - n m m^T``) loses the digits the mean shares with the data; with a
small ridge those lost digits are amplified into weights that changed with the chunk size.

Thread count. Every BLAS call of the readout runs with one BLAS thread (threadpoolctl), because
OpenBLAS's multithreaded products and Cholesky factorization round differently with different
thread counts (measured with the bundled OpenBLAS 0.3.30/0.3.31: multithreaded ``dgemm`` and
``dpotrf`` results changed between 1 and 2 threads), and its multithreaded ``dsyrk`` crashes
(segfault) for 20,000 features and blocks of 256 rows or more. For more than
:data:`~rcpod.reservoir.panel_gram.PANEL` features the block products are split into fixed
panels that run in parallel Python threads (as many as BLAS threads were allowed), each a
one-thread BLAS call (:mod:`rcpod.reservoir.panel_gram`): the work is shared, the arithmetic of
every panel is fixed, so the sums are the same for any thread count.
The final Cholesky factorization runs on one thread (LAPACK ``dpotrf``): its cost,
``n_features^3 / 3`` flops once per fit, is the price of a thread-count-independent result.

Centring semantics. With ``fit_intercept=True`` the weights solve
``(S_xx + alpha I) W = S_xy`` with the centred sums ``S_xx = sum (x - mean_x)(x - mean_x)^T`` and
``S_xy = sum (x - mean_x)(y - mean_y)^T``, and ``intercept = mean_y - mean_x W``: the intercept is
not regularised. This is scikit-learn's ``Ridge(fit_intercept=True)`` (which centres X and y the
same way) and reservoirpy's ``Ridge`` (``nodes/ridge.py``, a bias column with an unpenalised
weight, which is the same estimator). With ``fit_intercept=False`` the uncentred sums
``S_xx + n mean_x mean_x^T`` and ``S_xy + n mean_x mean_y^T`` are solved and the intercept is 0.

The streaming-readout protocol
------------------------------
:class:`~rcpod.reservoir.ReservoirRegressor` streams features into any readout that has these
four methods (otherwise it collects all features and calls ``fit``):

``reset()``
    Forget all statistics and the fit (start of ``fit``).
``accumulate(X, Y, series=0)``
    Add rows to the open series ``series`` (any hashable key; opened on first use). Several
    series may be open at once (the rows of a 3-D batch arrive chunk by chunk for every series).
``end_series(series=0)``
    Close a series: flush its partial block and merge it into the total. Series are merged in
    the order they are closed.
``solve(final=False)``
    Close any open series (in the order they were opened) and solve; sets ``coef_`` and
    ``intercept_``. ``final=True`` (the end of a ``fit``) lets the readout free statistics it
    was not asked to keep.

Map and reduce over series: :meth:`RidgeReadout.statistics` exports what a readout has
accumulated and :meth:`RidgeReadout.merge_statistics` merges it into another readout as one more
closed series (the same update as ``end_series``). Series accumulated apart (on workers) and
merged in series order give bit for bit the statistics of accumulating them in that order here;
``ReservoirRegressor(n_jobs=...)`` fits that way.

References
----------
.. [1] T. F. Chan, G. H. Golub, R. J. LeVeque, "Updating formulae and a pairwise algorithm for
   computing sample variances", Stanford report STAN-CS-79-773 (1979); and "Algorithms for
   computing the sample variance: analysis and recommendations", The American Statistician
   37(3), 242-247 (1983).
"""
from __future__ import annotations

import math
import numbers
from collections.abc import Mapping

import numpy as np
from scipy import linalg
from scipy.linalg import lapack
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from .anonymous_arrays import large_zeros
from .panel_gram import (PANEL, gram_add_upper, one_blas_thread, outer_add_upper, panels,
                         restore_upper, symmetrize_upper)
from .validation import Array, Interval, check_params

__all__ = ["RidgeReadout", "BLOCK_ROWS", "PANEL", "STREAMING_PROTOCOL", "is_streaming_readout"]

#: Rows per block: every series is cut into blocks of this many rows from its first row.
BLOCK_ROWS = 1024

_STAT_NAMES = ("feature_mean_", "target_mean_", "scatter_xx_", "scatter_xy_")
#: The keys of :meth:`RidgeReadout.statistics`.
_EXPORTED = ("n_samples", "feature_mean", "target_mean", "scatter_xx", "scatter_xy", "targets_1d")

#: The methods of the streaming-readout protocol (see the module docstring).
STREAMING_PROTOCOL = ("reset", "accumulate", "end_series", "solve")


def is_streaming_readout(readout):
    """Whether ``readout`` speaks the streaming-readout protocol (:data:`STREAMING_PROTOCOL`).

    Callers stream rows through these methods and never touch a readout's statistics.

    Parameters
    ----------
    readout : object
        A readout (any scikit-learn regressor).

    Returns
    -------
    bool

    Examples
    --------
    >>> from sklearn.linear_model import Ridge
    >>> from rcpod.reservoir.readout import RidgeReadout, is_streaming_readout
    >>> is_streaming_readout(RidgeReadout()), is_streaming_readout(Ridge())
    (True, False)
    """
    return all(callable(getattr(readout, name, None)) for name in STREAMING_PROTOCOL)


class _Series:
    """An open series: running count, means and centred sums, and its partial block."""

    def __init__(self, p, q):
        self.n = 0
        self.mx, self.my = np.zeros(p), np.zeros(q)
        self.sxx = large_zeros((p, p), order="F")   # 200 MB at p = 5,000: no stalls
        self.sxy = np.zeros((p, q))
        self.bx = np.empty((BLOCK_ROWS + 1, p))     # + 1: the row of Chan's correction term
        self.by = np.empty((BLOCK_ROWS + 1, q))
        self.m = 0                                   # rows in the partial block

    def flush(self, workers):
        """Merge the buffered rows (one block) into the running sums."""
        m = self.m
        if m == 0:
            return
        bx, by = self.bx, self.by
        bmx, bmy = bx[:m].mean(axis=0), by[:m].mean(axis=0)
        bx[:m] -= bmx
        by[:m] -= bmy
        k = m
        if self.n:
            w = math.sqrt(self.n * m / (self.n + m))
            bx[m] = w * (bmx - self.mx)
            by[m] = w * (bmy - self.my)
            k = m + 1
        gram_add_upper(self.sxx, bx[:k], workers)
        self.sxy += bx[:k].T @ by[:k]
        n = self.n + m
        if self.n:
            self.mx = (self.n * self.mx + m * bmx) / n
            self.my = (self.n * self.my + m * bmy) / n
        else:
            self.mx, self.my = bmx, bmy
        self.n, self.m = n, 0


class RidgeReadout(RegressorMixin, BaseEstimator):
    """Ridge regression ``y = X coef^T + intercept`` from streamed, centred normal equations.

    The result does not depend on how the rows are cut (chunk sizes, 3-D batch or list of
    series, one ``partial_fit`` per series, BLAS thread count): see the module docstring for the
    blocked pairwise accumulation, the centring semantics (those of scikit-learn's ``Ridge`` and
    reservoirpy's ``Ridge``) and the streaming-readout protocol (:meth:`reset`,
    :meth:`accumulate`, :meth:`end_series`, :meth:`solve`) that
    :class:`~rcpod.reservoir.ReservoirRegressor` uses.

    Parameters
    ----------
    alpha : float >= 0, default=1e-6
        L2 penalty on the weights (not on the intercept), named as in scikit-learn's ``Ridge``.
        Estimators call the same number ``ridge``: ``ESNRegressor(ridge=r)`` trains
        ``RidgeReadout(alpha=r)``.
    fit_intercept : bool, default=True
    keep_statistics : bool, default=False
        Keep the accumulated statistics (the ``scatter_xx_`` matrix is n_features^2 numbers)
        after ``fit``, so that :meth:`partial_fit` (or ``ReservoirRegressor.partial_fit``) can
        continue the fit, also after saving and loading. ``partial_fit`` and a direct
        :meth:`solve` always keep them. Without them a fitted readout holds only
        ``O(n_features * n_targets)`` numbers.

    Attributes
    ----------
    coef_ : ndarray (n_targets, n_features), or (n_features,) when fitted on 1-D y
    intercept_ : ndarray (n_targets,) or float
    n_features_in_ : int
    n_samples_seen_ : int
        Rows accumulated.
    feature_mean_ : ndarray (n_features,)
        Mean of the rows (only while the statistics are kept).
    target_mean_ : ndarray (n_targets,)
    scatter_xx_ : ndarray (n_features, n_features), Fortran order
        ``sum (x - mean_x)(x - mean_x)^T`` over all rows, symmetric after :meth:`solve`.
    scatter_xy_ : ndarray (n_features, n_targets)
        ``sum (x - mean_x)(y - mean_y)^T``.

    Notes
    -----
    Memory: one ``(n_features, n_features)`` matrix for the total and one per open series
    (a fit on one series needs one; on several series, or a 3-D batch, the estimator keeps a few
    open), plus a ``(BLOCK_ROWS + 1, n_features)`` block per open series. With
    ``keep_statistics=False`` the final solve factorizes the total in place.

    Order of series: merging two groups is commutative in floating point (the update above is
    symmetric in ``a`` and ``b``), but not associative; so ``partial_fit`` of two series in
    either order gives the same weights bit for bit, while three or more series in another order
    give the same weights only up to rounding (amplified by the conditioning of the system, as
    any rounding is). The same series in the same order always give the same bits.

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.reservoir import RidgeReadout
    >>> X = np.c_[np.arange(10.0), np.arange(10.0) ** 2]; y = X @ [1.0, -2.0] + 3.0
    >>> r = RidgeReadout(alpha=0.0).partial_fit(X[:5], y[:5]).partial_fit(X[5:], y[5:])
    >>> float(np.round(r.intercept_ + r.coef_ @ [1.0, 1.0], 6))
    2.0
    """

    _parameter_constraints = {"alpha": [Interval(numbers.Real, 0)],
                              "fit_intercept": ["boolean"],
                              "keep_statistics": ["boolean"]}
    _fitted_schema = {
        "coef_": [Array(shape=("n_features_in_",)), Array(shape=(None, "n_features_in_"))],
        "intercept_": [Interval(numbers.Real), Array(ndim=1)],
        "n_features_in_": [Interval(numbers.Integral, 1)],
        "n_samples_seen_": [Interval(numbers.Integral, 1)],
        "feature_mean_": [Array(shape=("n_features_in_",))],
        "target_mean_": [Array(ndim=1)],
        "scatter_xx_": [Array(shape=("n_features_in_", "n_features_in_"))],
        "scatter_xy_": [Array(shape=("n_features_in_", None))],
        "feature_names_in_": [Array(kinds="O", shape=("n_features_in_",))],
    }
    _fitted_optional = frozenset(_STAT_NAMES) | {"feature_names_in_"}

    def __init__(self, alpha=1e-6, fit_intercept=True, keep_statistics=False):
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.keep_statistics = keep_statistics

    def _check_params(self):
        check_params(self)

    def _validate_fitted(self):
        if hasattr(self, "coef_"):
            coef, intercept = np.asarray(self.coef_), np.asarray(self.intercept_)
            want = () if coef.ndim == 1 else (coef.shape[0],)
            if intercept.shape != want:
                raise ValueError(f"intercept_ must have shape {want} for coef_ of shape "
                                 f"{coef.shape}, got {intercept.shape}.")
        present = [k for k in _STAT_NAMES if k in vars(self)]
        if present and len(present) != len(_STAT_NAMES):
            raise ValueError(f"the kept statistics are incomplete: "
                             f"{sorted(set(_STAT_NAMES) - set(present))} missing.")
        if present:
            q = self.target_mean_.shape[0]
            if self.scatter_xy_.shape[1] != q:
                raise ValueError(f"scatter_xy_ has {self.scatter_xy_.shape[1]} columns, "
                                 f"target_mean_ {q} entries.")
            if hasattr(self, "coef_"):
                n_targets = 1 if np.ndim(self.coef_) == 1 else np.shape(self.coef_)[0]
                if n_targets != q:
                    raise ValueError(f"the kept statistics have {q} targets, coef_ {n_targets}.")
            if not self.scatter_xx_.flags.f_contiguous:
                raise ValueError("scatter_xx_ must be in Fortran order.")

    # -- the streaming-readout protocol ----------------------------------------------------------
    def reset(self):
        """Forget the statistics, the open series and the fit."""
        for name in _STAT_NAMES + ("coef_", "intercept_", "n_samples_seen_", "_open", "_y1d"):
            self.__dict__.pop(name, None)
        return self

    def _reset(self):   # the name used by rcpod 0.1
        return self.reset()

    def has_statistics(self):
        """Whether :meth:`accumulate` can continue this fit (statistics kept or being built)."""
        return hasattr(self, "scatter_xx_") or bool(self.__dict__.get("_open"))

    def _shape(self):
        """(n_features, n_targets) the statistics have, or None before any row."""
        if hasattr(self, "scatter_xx_"):
            return self.scatter_xx_.shape[0], self.scatter_xy_.shape[1]
        for s in self.__dict__.get("_open", {}).values():
            return s.sxx.shape[0], s.sxy.shape[1]
        return None

    def accumulate(self, X, Y, series=0):
        """Add rows to the open series ``series`` (float64 statistics whatever the input dtype).

        Parameters
        ----------
        X : array (n_rows, n_features)
        Y : array (n_rows,) or (n_rows, n_targets)
        series : hashable, default=0
            Key of the series the rows continue (opened on first use); see the module
            docstring. Does not solve; see :meth:`solve`.

        Returns
        -------
        self
        """
        X = np.asarray(X)
        Y = np.asarray(Y)
        y1d = Y.ndim == 1
        Y = Y[:, None] if y1d else Y
        if X.ndim != 2 or Y.ndim != 2 or X.shape[0] != Y.shape[0]:
            raise ValueError(f"accumulate needs X (n, n_features) and Y (n,) or (n, n_targets) "
                             f"with the same n; got {X.shape} and {np.shape(Y)}.")
        shape = self._shape()
        if shape is None:
            if hasattr(self, "coef_"):
                raise ValueError("this RidgeReadout was fitted without keeping its statistics "
                                 "(keep_statistics=False), so the fit cannot be continued; call "
                                 "reset() or fit() to start a new one.")
            self._check_params()
            self._y1d = y1d
        else:
            if (X.shape[1], Y.shape[1]) != shape:
                raise ValueError(f"partial data has {X.shape[1]} features / {Y.shape[1]} "
                                 f"targets, expected {shape[0]} / {shape[1]}.")
            if y1d != self._targets_1d():
                raise ValueError(f"y is {'1-D' if y1d else '2-D'} but the readout was fitted "
                                 f"on {'1-D' if self._targets_1d() else '2-D'} targets.")
        open_series = self.__dict__.setdefault("_open", {})
        s = open_series.get(series)
        if s is None:
            s = open_series[series] = _Series(X.shape[1], Y.shape[1])
        with one_blas_thread() as workers:
            i, n = 0, X.shape[0]
            while i < n:
                r = min(BLOCK_ROWS - s.m, n - i)
                s.bx[s.m:s.m + r] = X[i:i + r]
                s.by[s.m:s.m + r] = Y[i:i + r]
                s.m += r
                i += r
                if s.m == BLOCK_ROWS:
                    s.flush(workers)
        return self

    def _targets_1d(self):
        if "_y1d" in self.__dict__:
            return self._y1d
        return np.ndim(getattr(self, "coef_", np.zeros((1, 1)))) == 1

    def end_series(self, series=0):
        """Close the open series ``series``: flush its partial block and merge it into the
        total (a no-op for a key that is not open)."""
        s = self.__dict__.get("_open", {}).pop(series, None)
        if s is None:
            return self
        with one_blas_thread() as workers:
            s.flush(workers)
            if s.n == 0:
                return self
            self._merge_total(s.n, s.mx, s.my, s.sxx, s.sxy)
        return self

    def _merge_total(self, nb, mxb, myb, sxx, sxy):
        """Merge a group's count, means and centred sums (upper triangle of ``sxx`` used) into
        the total by the pairwise update; the first group becomes the total (no copy)."""
        if not hasattr(self, "scatter_xx_"):
            self.n_samples_seen_ = nb
            self.feature_mean_, self.target_mean_ = mxb, myb
            self.scatter_xx_, self.scatter_xy_ = sxx, sxy
            return
        na = self.n_samples_seen_
        n = na + nb
        c = na * nb / n
        dx, dy = mxb - self.feature_mean_, myb - self.target_mean_
        S, Sxy = self.scatter_xx_, self.scatter_xy_
        for j0, j1 in panels(S.shape[0]):
            S[:j1, j0:j1] += sxx[:j1, j0:j1]
        outer_add_upper(S, c, dx)
        Sxy += sxy
        Sxy += c * np.multiply.outer(dx, dy)
        self.feature_mean_ = (na * self.feature_mean_ + nb * mxb) / n
        self.target_mean_ = (na * self.target_mean_ + nb * myb) / n
        self.n_samples_seen_ = n

    # -- exporting and merging statistics (map-reduce over series) -----------------------------
    def statistics(self):
        """The accumulated statistics, as a dictionary of copies, for :meth:`merge_statistics`.

        Open series are closed first (in the order they were opened, as :meth:`solve` does).
        A readout that accumulates some series (on a worker, say) exports them with this method;
        another readout merges them with :meth:`merge_statistics`.

        Returns
        -------
        dict
            ``n_samples`` (int), ``feature_mean`` (n_features,), ``target_mean`` (n_targets,),
            ``scatter_xx`` (n_features, n_features, symmetric, Fortran order), ``scatter_xy``
            (n_features, n_targets) -- the centred sums of the module docstring -- and
            ``targets_1d`` (bool: the rows' targets were 1-D).

        Raises
        ------
        ValueError
            If no rows have been accumulated (or the statistics were not kept).

        Examples
        --------
        >>> import numpy as np
        >>> from rcpod.reservoir import RidgeReadout
        >>> X = np.arange(12.0).reshape(6, 2) ** 1.5; y = X @ [1.0, -1.0]
        >>> stats = RidgeReadout().accumulate(X, y).statistics()
        >>> stats["n_samples"], stats["scatter_xx"].shape, stats["targets_1d"]
        (6, (2, 2), True)
        """
        for key in list(self.__dict__.get("_open", {})):
            self.end_series(key)
        if not hasattr(self, "scatter_xx_"):
            raise ValueError("RidgeReadout.statistics: no statistics (no rows accumulated, or "
                             "fitted with keep_statistics=False).")
        with one_blas_thread():
            symmetrize_upper(self.scatter_xx_)
        return {"n_samples": int(self.n_samples_seen_),
                "feature_mean": self.feature_mean_.copy(),
                "target_mean": self.target_mean_.copy(),
                "scatter_xx": self.scatter_xx_.copy(order="F"),
                "scatter_xy": self.scatter_xy_.copy(),
                "targets_1d": bool(self._targets_1d())}

    def merge_statistics(self, statistics):
        """Merge another readout's statistics (from :meth:`statistics`) as one more closed
        series.

        The merge is the pairwise update of the module docstring, the one :meth:`end_series`
        makes: statistics exported one series each and merged in series order give the total
        of accumulating those series here in that order, bit for bit. This is how
        ``ReservoirRegressor(n_jobs=...)`` fits: the series are mapped to workers (each
        accumulates and exports one series), their statistics merged here in series order, and
        one :meth:`solve` follows. Does not solve.

        Parameters
        ----------
        statistics : dict
            As returned by :meth:`statistics` (same numbers of features and targets, and the
            same 1-D or 2-D targets, as the rows this readout has seen).

        Returns
        -------
        self

        Examples
        --------
        Two halves accumulated apart and merged give the fit on both halves as two series:

        >>> import numpy as np
        >>> from rcpod.reservoir import RidgeReadout
        >>> X = np.random.default_rng(0).normal(size=(40, 3)); y = X @ [1.0, 2.0, 3.0] + 0.5
        >>> parts = [RidgeReadout().accumulate(X[:25], y[:25]).statistics(),
        ...          RidgeReadout().accumulate(X[25:], y[25:]).statistics()]
        >>> merged = RidgeReadout()
        >>> for part in parts:
        ...     merged = merged.merge_statistics(part)
        >>> whole = RidgeReadout().accumulate(X[:25], y[:25], series=0).end_series(0)
        >>> whole = whole.accumulate(X[25:], y[25:], series=1).solve()
        >>> bool(np.array_equal(merged.solve().coef_, whole.coef_))
        True
        """
        if not isinstance(statistics, Mapping):
            raise TypeError(f"statistics must be the dict of RidgeReadout.statistics(), got "
                            f"{type(statistics).__name__}.")
        missing = sorted(set(_EXPORTED) - set(statistics))
        if missing:
            raise ValueError(f"statistics lacks {missing} (expected the dict of "
                             f"RidgeReadout.statistics()).")
        nb = statistics["n_samples"]
        if not isinstance(nb, numbers.Integral) or isinstance(nb, bool) or nb < 0:
            raise ValueError(f"statistics['n_samples'] must be an int >= 0, got {nb!r}.")
        mx = np.array(statistics["feature_mean"], dtype=np.float64)
        my = np.array(statistics["target_mean"], dtype=np.float64)
        sxx = np.array(statistics["scatter_xx"], dtype=np.float64, order="F")
        sxy = np.array(statistics["scatter_xy"], dtype=np.float64)
        p, q = mx.shape[0] if mx.ndim == 1 else -1, my.shape[0] if my.ndim == 1 else -1
        if p < 1 or q < 1 or sxx.shape != (p, p) or sxy.shape != (p, q):
            raise ValueError(f"statistics have inconsistent shapes: feature_mean {mx.shape}, "
                             f"target_mean {my.shape}, scatter_xx {sxx.shape}, scatter_xy "
                             f"{sxy.shape}.")
        y1d = bool(statistics["targets_1d"])
        shape = self._shape()
        if shape is None:
            if hasattr(self, "coef_"):
                raise ValueError("this RidgeReadout was fitted without keeping its statistics "
                                 "(keep_statistics=False), so no statistics can be merged into "
                                 "it; call reset() first.")
            self._check_params()
            self._y1d = y1d
        elif (p, q) != shape:
            raise ValueError(f"statistics have {p} features / {q} targets, this readout "
                             f"{shape[0]} / {shape[1]}.")
        elif y1d != self._targets_1d():
            raise ValueError(f"statistics are of {'1-D' if y1d else '2-D'} targets, this "
                             f"readout's of {'1-D' if self._targets_1d() else '2-D'} targets.")
        if nb == 0:
            return self
        with one_blas_thread():
            self._merge_total(int(nb), mx, my, sxx, sxy)
        return self

    def solve(self, final=False):
        """Close the open series and solve for ``coef_`` and ``intercept_``.

        Parameters
        ----------
        final : bool, default=False
            The last solve of a ``fit``: with ``keep_statistics=False`` the statistics are then
            factorized in place and dropped. Otherwise they are kept (symmetric ``scatter_xx_``),
            so the readout can be solved again (another ``alpha``) or continued.

        Returns
        -------
        self
        """
        for key in list(self.__dict__.get("_open", {})):
            self.end_series(key)
        self.__dict__.pop("_open", None)
        if not hasattr(self, "scatter_xx_"):
            raise ValueError("RidgeReadout.solve: no samples have been accumulated.")
        self._check_params()
        release = final and not self.keep_statistics
        n, mx, my = self.n_samples_seen_, self.feature_mean_, self.target_mean_
        with one_blas_thread():
            symmetrize_upper(self.scatter_xx_)
            A = self.scatter_xx_ if release else self.scatter_xx_.copy(order="F")
            B = self.scatter_xy_.copy()
            if not self.fit_intercept:   # uncentred sums: X^T X = S + n m m^T
                for j0, j1 in panels(A.shape[0]):
                    A[:, j0:j1] += n * np.multiply.outer(mx, mx[j0:j1])
                B += n * np.multiply.outer(mx, my)
            if release:
                for name in _STAT_NAMES:
                    del self.__dict__[name]
            A[np.diag_indices_from(A)] += self.alpha
            W = _solve_spd(A, B)
            del A
            intercept = (my - mx @ W) if self.fit_intercept else np.zeros(W.shape[1])
        y1d = self._targets_1d()
        self.__dict__.pop("_y1d", None)
        # C order, whatever the solver returned: the BLAS kernel behind predict (and so its
        # rounding) depends on the layout, which must not change through save/load.
        self.coef_ = np.ascontiguousarray(W.T[0] if y1d else W.T)
        self.intercept_ = float(intercept[0]) if y1d else intercept
        self.n_features_in_ = W.shape[0]
        if not release:
            self._y1d = y1d
        return self

    # -- scikit-learn interface ----------------------------------------------------------------
    def fit(self, X, y):
        """Fit on all rows at once (one series)."""
        self.reset()
        X, y = validate_data(self, X, y, multi_output=True, y_numeric=True,
                             dtype=[np.float64, np.float32])
        return self.accumulate(X, y).solve(final=True)

    def partial_fit(self, X, y):
        """Add rows (as one more series) and re-solve; the statistics are kept.

        The result equals ``fit`` on all rows seen so far up to rounding, and bit for bit the
        protocol calls ``accumulate(X_i, y_i, series=i); end_series(i)`` for the same pieces.
        """
        first = not self.has_statistics()
        if first and hasattr(self, "coef_"):
            raise ValueError("this RidgeReadout was fitted without keeping its statistics "
                             "(keep_statistics=False), so partial_fit cannot continue it; use "
                             "keep_statistics=True or refit.")
        X, y = validate_data(self, X, y, multi_output=True, y_numeric=True, reset=first,
                             dtype=[np.float64, np.float32])
        return self.accumulate(X, y, series="partial_fit").solve()

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True   # one solve gives every target's weights
        return tags

    def predict(self, X):
        check_is_fitted(self, "coef_")
        X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        return X @ np.asarray(self.coef_, dtype=X.dtype).T + np.asarray(self.intercept_,
                                                                        dtype=X.dtype)


def _solve_spd(A, B):
    """Solve ``A W = B`` for symmetric A (Fortran order, both triangles valid; overwritten):
    Cholesky, or least squares if A is not positive definite (``alpha = 0`` and rank-deficient
    data)."""
    diag = A.diagonal().copy()
    c, info = lapack.dpotrf(A, lower=0, clean=0, overwrite_a=1)
    if info == 0:
        W, info = lapack.dpotrs(c, B, lower=0)
        if info == 0:
            return W
    if c is A:
        restore_upper(A, diag)
    return linalg.lstsq(A, B)[0]
