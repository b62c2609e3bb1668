"""scikit-learn estimators: a reservoir, a washout and a trained linear readout.

``ReservoirRegressor`` works with any reservoir of the protocol (:mod:`rcpod.reservoir.base`);
``ESNRegressor`` is the same model with the ESN's parameters flat, for grid searches.

Training runs the reservoir chunk by chunk (``chunk_size`` steps at a time, the state carried
across chunks) and streams the post-washout features of every series into a readout that speaks
the streaming-readout protocol (``reset`` / ``accumulate`` / ``end_series`` / ``solve``, see
:mod:`rcpod.reservoir.readout`), such as the default
:class:`~rcpod.reservoir.readout.RidgeReadout`: a long series never needs its whole state matrix
in memory, and the fitted weights do not depend on ``chunk_size``, on 3-D versus list input or on
fitting the series in one ``fit`` or one ``partial_fit`` each (the readout sees the same rows of
the same series in the same order; the reservoir's states themselves are bit-identical across
chunkings and between a batched 3-D run and per-series runs for a sparse ``W``). Any other
scikit-learn regressor can be the readout; it then sees all post-washout features at once.
"""
from __future__ import annotations

import numbers
from collections.abc import Mapping

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.metrics import r2_score
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted, validate_data

from .series import _is_series_list, as_series, as_targets
from .base import BaseReservoir
from .esn import ESN
from .panel_gram import one_blas_thread
from .readout import STREAMING_PROTOCOL, RidgeReadout, is_streaming_readout
from .validation import Array, InstanceOf, Interval, check_params

__all__ = ["ReservoirRegressor", "ESNRegressor"]

#: The readout keeps one (n_features, n_features) matrix per open series: a 3-D batch is trained
#: in groups of series whose matrices fit in this many bytes (at least one series per group).
TRAIN_GROUP_BYTES = 256 * 2 ** 20
#: What a readout needs besides the streaming-readout protocol to be fitted with ``n_jobs``.
MERGE_METHODS = ("statistics", "merge_statistics")

def _can_stream(model):
    """Whether ``model.partial_fit`` is offered: its readout (the fitted one, else the one
    ``fit`` would make) speaks the streaming-readout protocol."""
    readout = getattr(model, "readout_", None)
    if readout is None:
        try:
            readout = model._make_readout()
        except (TypeError, ValueError):
            return True   # an invalid readout: partial_fit then says what is wrong with it
    return is_streaming_readout(readout)


def _run_chunks(reservoir, u, chunk_size, include_input):
    """``(start, features)`` per chunk of ``chunk_size`` steps of one series (2-D ``u``) or
    one batch of series (3-D ``u``), the state carried across chunks."""
    state = None
    for t0 in range(0, u.shape[-2], chunk_size):
        uc = u[..., t0:t0 + chunk_size, :]
        states = reservoir.run(uc, state0=state)
        state = states[..., -1, :].copy()   # a copy: the chunk's states can then be freed
        feats = reservoir.features(states)
        del states
        if include_input:
            feats = np.concatenate([feats, uc.astype(feats.dtype)], axis=-1)
        yield t0, feats
        del feats   # only one chunk of states alive at a time (N = 20,000: 1.6 GB each)


def _series_statistics(reservoir, readout, u, y, washout, chunk_size, include_input, one_d):
    """The map step of a fit with ``n_jobs``: run one series (2-D ``u``, targets ``y``) through
    ``reservoir`` chunk by chunk, accumulate its post-washout rows in ``readout`` (an unfitted
    clone) as one series and return ``readout.statistics()``. The rows, chunks and blocks are
    those of the sequential fit, so the exported sums are bit-identical to its."""
    readout.reset()
    for t0, feats in _run_chunks(reservoir, u, chunk_size, include_input):
        lo = max(washout - t0, 0)
        f = feats[lo:]
        if f.shape[0]:
            t = y[t0 + lo:t0 + lo + f.shape[0]]
            readout.accumulate(f, t[:, 0] if one_d else t, series=0)
        del feats, f
    readout.end_series(0)
    return readout.statistics()


def _names_source(X):
    """What the feature names are read from: ``X``, or the first series of a list."""
    return X[0] if _is_series_list(X) else X


class ReservoirRegressor(RegressorMixin, BaseEstimator):
    """Reservoir + washout + linear readout, with ``fit`` / ``predict`` / ``score``.

    Parameters
    ----------
    reservoir : BaseReservoir, default=None
        Any reservoir of the protocol; cloned at ``fit``. ``None`` uses ``ESN()``.
    readout : regressor, default=None
        ``None`` uses ``RidgeReadout(alpha=1e-6)`` (streaming normal equations; ``alpha`` is
        the ridge strength that :class:`ESNRegressor` calls ``ridge``). Any
        scikit-learn regressor works; one with the streaming-readout protocol is streamed.
    washout : int, default=0
        Steps discarded at the start of every series before training (and scoring).
    include_input : bool, default=False
        Feed ``[features(x[k]); u[k]]`` to the readout instead of the features alone.
    chunk_size : int, default=10000
        Time steps per chunk when running long series.
    n_jobs : int or None, default=None
        Parallel training over series (map and reduce): with an int, ``fit`` and
        ``partial_fit`` run every series on a joblib worker (``joblib.Parallel(n_jobs)``, so
        the active ``joblib.parallel_config`` backend is used), which accumulates that series'
        readout statistics (:meth:`RidgeReadout.statistics`); they are merged in series order
        (:meth:`RidgeReadout.merge_statistics`) and solved once. The fitted weights equal the
        sequential fit's bit for bit: the readout sees the same rows in the same blocks and
        merges the series in the same order (for a 3-D batch, which the sequential fit runs as
        batched reservoir runs, as far as batched and per-series states agree: bit for bit for
        a sparse ``W``). ``None`` (the default) trains sequentially in this
        process, whatever the joblib configuration. To use a Dask cluster, start a
        ``distributed.Client`` (``Client("tcp://host:8786")`` for a remote scheduler) and fit
        inside ``with joblib.parallel_config(backend="dask"):`` with ``n_jobs=-1``. Needs a
        readout with ``statistics`` / ``merge_statistics`` (the default ``RidgeReadout``).
    random_state : int, Generator or None, default=None
        Seed of the reservoir made at ``fit`` when the reservoir would otherwise be unseeded:
        with ``reservoir=None`` the default is ``ESN(random_state=random_state)``, and a given
        reservoir whose own ``random_state`` parameter is None is cloned with
        ``random_state=random_state``. A reservoir with its own (non-None) ``random_state``, or
        without such a parameter, is cloned unchanged. With ``random_state=None`` nothing is
        seeded (each ``fit`` may draw other reservoir weights).

    Attributes
    ----------
    reservoir_ : the initialized reservoir
    readout_ : the fitted readout
    n_features_in_ : int
    feature_names_in_ : ndarray of str, shape (n_features_in_,)
        The column names of ``X`` at ``fit`` (the first series' for a list of series), only
        when they are all strings (a pandas DataFrame); ``predict``, ``score``,
        ``readout_features`` and ``partial_fit`` then check the names and order of the
        columns as scikit-learn does. Saved and loaded with the model.
    n_targets_ : int

    Notes
    -----
    Input layout: a 2-D array ``(T, n_features)`` is one series; a 3-D array
    ``(n_series, T, n_features)`` or a list of 2-D arrays is several series, each with its own
    washout and started from the zero state. ``predict`` returns one output per input step
    (washout steps included) in the same layout.

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.reservoir import ESN, ReservoirRegressor
    >>> u = np.sin(np.linspace(0, 20, 300))[:, None]
    >>> model = ReservoirRegressor(ESN(n_units=50, random_state=0), washout=20)
    >>> model.fit(u[:-1], u[1:, 0]).predict(u[:-1]).shape
    (299,)
    """

    _parameter_constraints = {
        "reservoir": [None, InstanceOf(BaseReservoir)],
        "readout": [None, InstanceOf(BaseEstimator)],
        "washout": [Interval(numbers.Integral, 0)],
        "include_input": ["boolean"],
        "chunk_size": [Interval(numbers.Integral, 1)],
        "random_state": ESN._parameter_constraints["random_state"],
        "n_jobs": [None, Interval(numbers.Integral)],
    }
    _fitted_schema = {
        "reservoir_": [InstanceOf(BaseReservoir)],
        "readout_": [InstanceOf(BaseEstimator)],
        "n_features_in_": [Interval(numbers.Integral, 1)],
        "n_targets_": [Interval(numbers.Integral, 1)],
        "target_1d_": ["boolean"],
        "reduction_report_": [InstanceOf(Mapping)],
        "feature_names_in_": [Array(kinds="O", shape=("n_features_in_",))],
    }
    _fitted_optional = frozenset({"reduction_report_", "feature_names_in_"})

    def __init__(self, reservoir=None, readout=None, washout=0, include_input=False,
                 chunk_size=10000, random_state=None, n_jobs=None):
        self.reservoir = reservoir
        self.readout = readout
        self.washout = washout
        self.include_input = include_input
        self.chunk_size = chunk_size
        self.random_state = random_state
        self.n_jobs = n_jobs

    # -- construction hooks (ESNRegressor overrides) --------------------------------------------
    def _make_reservoir(self):
        if self.reservoir is None:
            return ESN(random_state=self.random_state)
        if not isinstance(self.reservoir, BaseReservoir):
            raise TypeError(f"reservoir must be a reservoir of the protocol (a "
                            f"rcpod.reservoir.BaseReservoir), got {type(self.reservoir).__name__}.")
        reservoir = clone(self.reservoir)
        params = reservoir.get_params(deep=False)
        if "random_state" in params and params["random_state"] is None:
            reservoir.set_params(random_state=self.random_state)
        return reservoir

    def _make_readout(self):
        if self.readout is None:
            return RidgeReadout()
        if not (hasattr(self.readout, "fit") and hasattr(self.readout, "predict")):
            raise TypeError(f"readout must be a scikit-learn regressor with fit/predict, got "
                            f"{type(self.readout).__name__}.")
        return clone(self.readout)

    def _check_params(self):
        check_params(self)

    def _check_n_features(self, n_features):
        """Hook: raise if the model cannot take ``n_features`` input features (at ``fit``)."""

    def _validate_fitted(self):
        """The fitted parts fit together (checked on load)."""
        if not hasattr(self, "reservoir_"):
            return
        res, readout = self.reservoir_, self.readout_
        if res.n_inputs_ != self.n_features_in_:
            raise ValueError(f"n_features_in_={self.n_features_in_} differs from the "
                             f"reservoir's n_inputs_={res.n_inputs_}.")
        n_feats = res.n_features_out_ + (self.n_features_in_ if self.include_input else 0)
        if getattr(readout, "n_features_in_", n_feats) != n_feats:
            raise ValueError(f"the readout takes {readout.n_features_in_} features, the "
                             f"reservoir gives {n_feats}.")
        coef = getattr(readout, "coef_", None)
        if coef is not None:
            n_targets = 1 if np.ndim(coef) == 1 else np.shape(coef)[0]
            if self.n_targets_ != n_targets or (self.target_1d_ and n_targets != 1):
                raise ValueError(f"n_targets_={self.n_targets_} (target_1d_={self.target_1d_}) "
                                 f"does not match the readout's {n_targets} outputs.")

    @classmethod
    def from_parts(cls, reservoir, readout, washout=0, include_input=False, target_1d=False,
                   chunk_size=10000):
        """A fitted estimator assembled from an initialized reservoir and a fitted readout
        (used by reductions, which build both themselves)."""
        check_is_fitted(reservoir, "n_states_")
        model = ReservoirRegressor(reservoir=reservoir, readout=readout, washout=washout,
                                   include_input=include_input, chunk_size=chunk_size)
        model._check_params()
        model.reservoir_ = reservoir
        model.readout_ = readout
        model.n_features_in_ = reservoir.n_inputs_
        coef = np.atleast_2d(getattr(readout, "coef_", np.zeros((1, 1))))
        model.n_targets_ = 1 if target_1d else int(coef.shape[0])
        model.target_1d_ = bool(target_1d)
        return model

    # -- running the reservoir ------------------------------------------------------------------
    def _feature_chunks(self, reservoir, series):
        """Yield ``(index, start, features)`` per series and chunk of time steps; a 3-D batch
        runs as one batched reservoir run (``index`` is then a slice of series)."""
        if series.layout == "batch":
            groups = [(slice(0, len(series.arrays)), series.batch)]
        else:
            groups = [(i, a) for i, a in enumerate(series.arrays)]
        for index, u in groups:
            for t0, feats in self._chunks(reservoir, u):
                yield index, t0, feats

    def _check_feature_names(self, X, reset):
        """Record (``reset``) or check ``feature_names_in_`` as scikit-learn does."""
        # y="no_validation": only the names are looked at here (a regressor's predict has no y,
        # and as_series validates X itself); ensure_2d=False skips the 2-D n_features check
        validate_data(self, _names_source(X), y="no_validation", reset=reset,
                      skip_check_array=True, ensure_2d=False)

    def _validated_series(self, X, min_length=1):
        self._check_feature_names(X, reset=False)
        n_features = getattr(self, "n_features_in_", None)
        return as_series(X, name="X", n_features=n_features, min_length=min_length,
                         estimator=self)

    # -- scikit-learn interface -----------------------------------------------------------------
    def fit(self, X, y):
        """Run the reservoir over every series and fit the readout after the washout.

        Parameters
        ----------
        X : array (T, n_features), (n_series, T, n_features) or list of (T_i, n_features)
        y : targets in the matching layout, (T,) / (T, n_targets) per series

        Returns
        -------
        self
        """
        return self._fit(X, y, final=True)

    def _fit(self, X, y, final):
        self._check_params()
        self.__dict__.pop("n_features_in_", None)
        series = as_series(X, name="X", min_length=self.washout + 1)
        targets, one_d = as_targets(y, series)
        self._check_n_features(series.arrays[0].shape[1])
        self._check_feature_names(X, reset=True)
        with one_blas_thread():
            # one BLAS thread: the spectral radius (ARPACK) then does not change in its last
            # digits with the thread count, and neither does W nor anything fitted on its states
            reservoir = self._make_reservoir().initialize(series.arrays[0].shape[1])
        readout = self._make_readout()
        if is_streaming_readout(readout):
            readout.reset()
        self._train(reservoir, readout, series, targets, one_d, final=final)
        self.reservoir_ = reservoir
        self.readout_ = readout
        self.n_features_in_ = series.arrays[0].shape[1]
        self.n_targets_ = targets[0].shape[1]
        self.target_1d_ = bool(one_d)
        return self

    @available_if(_can_stream)
    def partial_fit(self, X, y):
        """Add more series to the training data and re-solve the readout.

        Each call's series start from the zero state with their own washout. The readout keeps
        its statistics after ``partial_fit`` (and after ``fit`` only if asked, e.g.
        ``RidgeReadout(keep_statistics=True)`` or ``ESNRegressor(keep_statistics=True)``; also
        through save and load), and ``partial_fit(A); partial_fit(B)`` equals ``fit([A, B])``
        bit for bit (two series also in the other order; more series in another order up to
        rounding, see :class:`~rcpod.reservoir.RidgeReadout`). Offered only with a streaming
        readout (the default ``RidgeReadout``): ``hasattr(model, "partial_fit")`` is False when
        the readout (the fitted one, else ``readout``) lacks the streaming-readout protocol.
        """
        if not hasattr(self, "readout_"):
            self._check_params()
            readout = self._make_readout()
            if not is_streaming_readout(readout):
                raise TypeError(f"partial_fit needs a streaming readout with "
                                f"{'/'.join(STREAMING_PROTOCOL)} (e.g. RidgeReadout), got "
                                f"{type(readout).__name__}.")
            return self._fit(X, y, final=False)
        has_stats = getattr(self.readout_, "has_statistics", None)
        if not is_streaming_readout(self.readout_) or (has_stats is not None and not has_stats()):
            raise ValueError("partial_fit cannot continue this model: its readout kept no "
                             "statistics (fitted with keep_statistics=False, or a "
                             "non-streaming readout). Fit with keep_statistics=True to continue "
                             "later, or refit with fit().")
        series = self._validated_series(X, min_length=self.washout + 1)
        targets, one_d = as_targets(y, series)
        if one_d != self.target_1d_ or targets[0].shape[1] != self.n_targets_:
            raise ValueError(f"y has {targets[0].shape[1]} target(s) (1-D: {one_d}); the model "
                             f"was fitted with {self.n_targets_} (1-D: {self.target_1d_}).")
        self._train(self.reservoir_, self.readout_, series, targets, one_d, final=False)
        return self

    def _train_groups(self, reservoir, series):
        """``(indices, inputs)`` per group of series trained together: one series each, or
        groups of a 3-D batch (run as one batched reservoir run) sized so that the readout's
        open series fit in :data:`TRAIN_GROUP_BYTES`."""
        if series.layout != "batch":
            return [([i], a) for i, a in enumerate(series.arrays)]
        n_feats = reservoir.n_features_out_ + (series.batch.shape[-1] if self.include_input
                                               else 0)
        size = max(1, min(len(series.arrays), TRAIN_GROUP_BYTES // (8 * n_feats ** 2)))
        return [(list(range(lo, min(lo + size, len(series.arrays)))),
                 series.batch[lo:lo + size]) for lo in range(0, len(series.arrays), size)]

    def _chunks(self, reservoir, u):
        """``(start, features)`` per chunk of ``chunk_size`` steps (see :func:`_run_chunks`)."""
        return _run_chunks(reservoir, u, self.chunk_size, self.include_input)

    def _train(self, reservoir, readout, series, targets, one_d, final=True):
        """Feed post-washout features and targets to the readout and (re)fit it.

        A streaming readout gets every series' rows in time order as that series
        (``accumulate(..., series=i)``) and each series is closed in series order
        (``end_series(i)``), whatever the chunk size and layout; the last ``solve`` is
        ``final`` for ``fit`` (the readout may drop statistics it need not keep). With
        ``n_jobs`` the series are mapped to joblib workers instead (:meth:`_train_parallel`)."""
        n_jobs = getattr(self, "n_jobs", None)
        if n_jobs is not None:
            self._train_parallel(reservoir, readout, series, targets, one_d, final, n_jobs)
            return
        if not is_streaming_readout(readout):
            kept_f, kept_y = [], []
            for index, t0, feats in self._feature_chunks(reservoir, series):
                tgt = (np.stack(targets) if isinstance(index, slice) else targets[index])
                lo = max(self.washout - t0, 0)
                f = feats[..., lo:, :]
                if f.shape[-2] == 0:
                    continue
                t = tgt[..., t0 + lo:t0 + lo + f.shape[-2], :]
                kept_f.append(f.reshape(-1, f.shape[-1]))
                kept_y.append(t.reshape(-1, t.shape[-1]))
            Y = np.concatenate(kept_y)
            readout.fit(np.concatenate(kept_f), Y[:, 0] if one_d else Y)
            return
        for indices, u in self._train_groups(reservoir, series):
            for t0, feats in self._chunks(reservoir, u):
                lo = max(self.washout - t0, 0)
                f = feats[..., lo:, :]
                rows = f.shape[-2]
                for j, i in enumerate(indices if rows else []):
                    ti = targets[i][t0 + lo:t0 + lo + rows]
                    readout.accumulate(f if f.ndim == 2 else f[j], ti[:, 0] if one_d else ti,
                                       series=i)
                del feats, f   # before the next chunk is run
            for i in indices:
                readout.end_series(i)
        readout.solve(final=final)

    def _train_parallel(self, reservoir, readout, series, targets, one_d, final, n_jobs):
        """Map: one task per series (:func:`_series_statistics`) on the active joblib backend;
        reduce: merge the exported statistics in series order (results come back in task order),
        then one ``solve``."""
        if not (is_streaming_readout(readout)
                and all(callable(getattr(readout, m, None)) for m in MERGE_METHODS)):
            raise ValueError(f"n_jobs={n_jobs} needs a readout with "
                             f"{'/'.join(STREAMING_PROTOCOL + MERGE_METHODS)} (e.g. "
                             f"RidgeReadout), got {type(readout).__name__}; use n_jobs=None.")
        template = clone(readout)
        tasks = (delayed(_series_statistics)(reservoir, template, u, targets[i], self.washout,
                                             self.chunk_size, self.include_input, one_d)
                 for i, u in enumerate(series.arrays))
        for stats in Parallel(n_jobs=n_jobs, return_as="generator")(tasks):
            readout.merge_statistics(stats)
        readout.solve(final=final)

    def _predict_series(self, series):
        outputs = [[] for _ in series.arrays]
        batch_out = []
        for index, _t0, feats in self._feature_chunks(self.reservoir_, series):
            flat = feats.reshape(-1, feats.shape[-1])
            pred = np.asarray(self.readout_.predict(flat)).reshape(feats.shape[:-1] + (-1,))
            if isinstance(index, slice):
                batch_out.append(pred)
            else:
                outputs[index].append(pred)
        if batch_out:
            full = np.concatenate(batch_out, axis=-2)
            outputs = [full[i] for i in range(full.shape[0])]
        else:
            outputs = [np.concatenate(o, axis=0) for o in outputs]
        if self.target_1d_:
            outputs = [o[:, 0] for o in outputs]
        return outputs

    def predict(self, X):
        """Readout outputs for every time step of every series (zero initial state).

        Returns
        -------
        array (T,) or (T, n_targets) per series, laid out as ``X`` (3-D stacked, list as list).
        """
        check_is_fitted(self, "readout_")
        series = self._validated_series(X)
        return series.reshape_like(self._predict_series(series))

    def readout_features(self, X):
        """Readout features (states, plus the input if ``include_input``) for every time step."""
        check_is_fitted(self, "readout_")
        series = self._validated_series(X)
        out = [[] for _ in series.arrays]
        batch = []
        for index, _t0, feats in self._feature_chunks(self.reservoir_, series):
            (batch if isinstance(index, slice) else out[index]).append(feats)
        if batch:
            full = np.concatenate(batch, axis=-2)
            out = [full[i] for i in range(full.shape[0])]
        else:
            out = [np.concatenate(o, axis=0) for o in out]
        return series.reshape_like(out)

    def score(self, X, y, sample_weight=None):
        """R^2 over all post-washout steps of all series (pooled)."""
        check_is_fitted(self, "readout_")
        series = self._validated_series(X, min_length=self.washout + 1)
        targets, _ = as_targets(y, series)
        preds = self._predict_series(series)
        w = self.washout
        y_true = np.concatenate([t[w:] for t in targets])
        y_pred = np.concatenate([np.asarray(p).reshape(len(p), -1)[w:] for p in preds])
        if sample_weight is not None:
            raise ValueError("sample_weight is not supported for time-series scoring; got a "
                             "non-None sample_weight.")
        return r2_score(y_true, y_pred)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        tags.target_tags.multi_output = True
        return tags


class ESNRegressor(ReservoirRegressor):
    """Echo state network regressor with the ESN's parameters flat (for grid searches).

    Parameters
    ----------
    n_units, spectral_radius, leak_rate, input_scaling, bias_scaling, density, w_init, dtype,
    backend : see :class:`rcpod.reservoir.ESN`
    ridge : float, default=1e-6
        Ridge penalty of the readout: the ``alpha`` of the :class:`RidgeReadout` it trains (and of
        scikit-learn's ``Ridge``). Estimators call it ``ridge``, readouts ``alpha``.
    keep_statistics : bool, default=False
        Keep the readout's accumulated statistics (an n_units^2 matrix) after ``fit`` so that
        ``partial_fit`` can continue it later, also after save and load (see
        :class:`RidgeReadout`). ``partial_fit`` always keeps them.
    washout, include_input, chunk_size : see :class:`ReservoirRegressor`
    random_state : int, Generator or None
        Seed of the reservoir weights.
    n_jobs : int or None, default=None
        Parallel training over series, on the active joblib backend (a Dask cluster inside
        ``joblib.parallel_config(backend="dask")``): see :class:`ReservoirRegressor`.

    References
    ----------
    H. Jaeger, GMD Report 148 (2001); M. Lukosevicius, "A practical guide to applying echo state
    networks" (2012).

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.reservoir import ESNRegressor
    >>> u = np.sin(np.linspace(0, 20, 300))[:, None]
    >>> model = ESNRegressor(n_units=50, washout=20, random_state=0).fit(u[:-1], u[1:, 0])
    >>> bool(model.score(u[:-1], u[1:, 0]) > 0.99)
    True
    """

    _parameter_constraints = {
        **{k: v for k, v in ESN._parameter_constraints.items() if k not in ("W", "W_in", "bias")},
        **{k: v for k, v in ReservoirRegressor._parameter_constraints.items()
           if k not in ("reservoir", "readout", "random_state")},
        "ridge": RidgeReadout._parameter_constraints["alpha"],
        "keep_statistics": RidgeReadout._parameter_constraints["keep_statistics"],
    }

    def __init__(self, n_units=100, spectral_radius=0.9, leak_rate=1.0, input_scaling=1.0,
                 bias_scaling=0.0, density=0.1, w_init="normal", ridge=1e-6, washout=0,
                 include_input=False, dtype="float64", backend="auto", chunk_size=10000,
                 random_state=None, keep_statistics=False, n_jobs=None):
        self.n_units = n_units
        self.spectral_radius = spectral_radius
        self.leak_rate = leak_rate
        self.input_scaling = input_scaling
        self.bias_scaling = bias_scaling
        self.density = density
        self.w_init = w_init
        self.ridge = ridge
        self.washout = washout
        self.include_input = include_input
        self.dtype = dtype
        self.backend = backend
        self.chunk_size = chunk_size
        self.random_state = random_state
        self.keep_statistics = keep_statistics
        self.n_jobs = n_jobs

    def _make_reservoir(self):
        return ESN(n_units=self.n_units, spectral_radius=self.spectral_radius,
                   leak_rate=self.leak_rate, input_scaling=self.input_scaling,
                   bias_scaling=self.bias_scaling, density=self.density, w_init=self.w_init,
                   dtype=self.dtype, backend=self.backend, random_state=self.random_state)

    def _make_readout(self):
        return RidgeReadout(alpha=self.ridge, keep_statistics=self.keep_statistics)
