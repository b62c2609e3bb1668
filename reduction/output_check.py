"""Judge a reduction by its outputs on training data held back from the reduction.

:func:`split_holdout` keeps the last fraction of every training series out of the snapshots and
the readout refit; :func:`check_outputs` runs the full and the reduced estimator over the whole
series (so the held-back steps start from the states the models reached before them) and
compares their outputs on the held-back steps. A reduction whose states stay close to the full
ones can still lose the low-energy directions a small-ridge readout amplifies; only the outputs
show that.
"""
from __future__ import annotations

import numpy as np

from rcpod.reservoir.series import as_series, as_targets
from rcpod.reservoir.validation import check_real

__all__ = ["split_holdout", "check_outputs", "outputs_from_states", "OUTPUT_TOL"]

#: Default threshold of :func:`check_outputs`: the largest per-output RMS difference between the
#: reduced and the full model's outputs, relative to the standard deviation of the full
#: model's outputs, on the held-back steps.
OUTPUT_TOL = 0.2


def split_holdout(X, y, washout, fraction, n_features=None):
    """Split every series into a fitting part and a held-back tail.

    Parameters
    ----------
    X : inputs in any rcpod layout
    y : targets laid out like ``X``, or None
    washout : int
        Steps at the start of every series that belong to neither part's statistics.
    fraction : float in [0, 1)
        Share of each series' post-washout steps held back (rounded; at least one step when
        ``fraction > 0``).
    n_features : int, optional
        Expected number of input features.

    Returns
    -------
    X_fit : list of arrays
        The series without their held-back tails.
    y_fit : list of arrays or None
    series : list of arrays
        The whole series (as a list).
    cuts : list of int
        Index of the first held-back step of each series (its length when nothing is held).

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.reduction.output_check import split_holdout
    >>> X_fit, _, series, cuts = split_holdout(np.zeros((110, 1)), None, 10, 0.2)
    >>> X_fit[0].shape, cuts
    ((90, 1), [90])
    """
    fraction = check_real("holdout", fraction, low=0, high=1, closed="left")
    min_length = washout + (2 if fraction > 0 else 1)
    series = as_series(X, name="X_train", n_features=n_features, min_length=min_length)
    ys, one_d = (None, False) if y is None else as_targets(y, series, name="y_train")
    X_fit, y_fit, cuts = [], [], []
    for i, u in enumerate(series.arrays):
        post = len(u) - washout
        held = max(1, int(round(fraction * post))) if fraction > 0 else 0
        if post - held < 1:
            raise ValueError(f"series {i} of X_train has {post} steps after the washout; holding "
                             f"back {held} leaves none to reduce with. Use a smaller holdout.")
        cut = len(u) - held
        X_fit.append(u[:cut])
        cuts.append(cut)
        if ys is not None:
            y_fit.append(ys[i][:cut, 0] if one_d else ys[i][:cut])
    return X_fit, (y_fit if ys is not None else None), list(series.arrays), cuts


def outputs_from_states(estimator, states, inputs):
    """The outputs of a fitted estimator for states its reservoir already computed.

    What ``estimator.predict(inputs)`` gives, without running the reservoir again: the readout
    applied to the reservoir's features of ``states`` (and ``inputs`` with ``include_input``).

    Parameters
    ----------
    estimator : fitted ReservoirRegressor / ESNRegressor
    states : array of shape (T, n_states)
        ``estimator.reservoir_.run(inputs)``.
    inputs : array of shape (T, n_inputs)

    Returns
    -------
    ndarray of shape (T, n_outputs)

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.reservoir import ESNRegressor
    >>> from rcpod.reduction.output_check import outputs_from_states
    >>> u = np.random.default_rng(0).uniform(-0.5, 0.5, (100, 1))
    >>> est = ESNRegressor(n_units=20, random_state=0).fit(u, np.roll(u, 1))
    >>> y = outputs_from_states(est, est.reservoir_.run(u), u)
    >>> bool(np.allclose(y, est.predict(u), rtol=0, atol=1e-12))
    True
    """
    feats = estimator.reservoir_.features(states)
    if estimator.include_input:
        feats = np.concatenate([feats, np.asarray(inputs, dtype=feats.dtype)], axis=-1)
    return np.asarray(estimator.readout_.predict(feats), dtype=np.float64).reshape(len(feats), -1)


def check_outputs(full, reduced, series, cuts, washout, tol=OUTPUT_TOL, full_outputs=None):
    """Compare the outputs of the full and the reduced estimator on the held-back steps.

    Parameters
    ----------
    full, reduced : fitted estimators
    series : list of arrays
        The whole series (:func:`split_holdout`'s third result).
    cuts : list of int
        First held-back step of each series; where nothing is held back (``cut == len``), the
        post-washout training steps are compared instead (an in-sample check).
    washout : int
    tol : float, default=:data:`OUTPUT_TOL`
    full_outputs : list of arrays (T_i, n_outputs), optional
        The full estimator's outputs on ``series``, if already known (:func:`outputs_from_states`);
        otherwise ``full.predict`` computes them.

    Returns
    -------
    dict
        ``output_error`` (the largest per-output RMS difference relative to the standard
        deviation of the full model's output), ``output_tol``, ``output_steps`` (steps
        compared), ``output_check`` (``"held-back"`` or ``"in-sample"``) and
        ``output_diverged`` (error above ``tol`` or not finite).

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.reservoir import ESNRegressor
    >>> from rcpod.reduction.output_check import check_outputs
    >>> u = np.random.default_rng(0).uniform(-0.5, 0.5, (200, 1))
    >>> est = ESNRegressor(n_units=20, washout=10, random_state=0).fit(u, np.roll(u, 1))
    >>> out = check_outputs(est, est, [u], [150], washout=10)
    >>> out["output_error"], out["output_check"], out["output_steps"]
    (0.0, 'held-back', 50)
    """
    held_out = all(c < len(u) for c, u in zip(cuts, series))
    starts = cuts if held_out else [washout] * len(series)
    if full_outputs is None:
        full_outputs = full.predict(series)
    yf = [np.asarray(p, dtype=np.float64).reshape(len(u), -1)[s:]
          for p, u, s in zip(full_outputs, series, starts)]
    yr = [np.asarray(p, dtype=np.float64).reshape(len(u), -1)[s:]
          for p, u, s in zip(reduced.predict(series), series, starts)]
    yf, yr = np.concatenate(yf), np.concatenate(yr)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        sse = np.sum((yr - yf) ** 2, axis=0)
        sst = np.sum((yf - yf.mean(axis=0)) ** 2, axis=0)
        # an output the full model holds constant: compare against its magnitude instead
        scale = np.where(sst > 0, sst, np.maximum(np.sum(yf ** 2, axis=0), 1e-300))
        err = float(np.max(np.sqrt(sse / scale)))
    if not np.isfinite(err):
        err = np.inf
    return {"output_error": err, "output_tol": float(tol), "output_steps": int(len(yf)),
            "output_check": "held-back" if held_out else "in-sample",
            "output_diverged": bool(not err <= tol)}
