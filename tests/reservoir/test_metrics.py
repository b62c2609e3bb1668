"""Tests of rcpod.reservoir.metrics against closed forms, scikit-learn and reservoirpy."""
import numpy as np
import pytest
from reservoirpy.observables import nrmse as rpy_nrmse
from sklearn.dummy import DummyRegressor
from sklearn.linear_model import LinearRegression
from sklearn.metrics import mean_squared_error
from sklearn.model_selection import cross_val_score

from rcpod.reservoir.metrics import mse, nrmse, nrmse_scorer, rmse


def test_nrmse_closed_form():
    y = np.array([0.0, 1.0, 2.0, 3.0])  # std = sqrt(1.25), range 3
    p = y + np.array([1.0, -1.0, 1.0, -1.0])  # rmse = 1
    assert nrmse(y, p) == pytest.approx(1 / np.sqrt(1.25), rel=1e-14)
    assert nrmse(y, p, normalization="range") == pytest.approx(1 / 3, rel=1e-14)
    assert rmse(y, p) == pytest.approx(1.0)
    assert mse(y, p) == pytest.approx(1.0)


def test_predicting_the_mean_gives_one():
    y = np.random.default_rng(0).normal(size=200)
    assert nrmse(y, np.full_like(y, y.mean())) == pytest.approx(1.0, rel=1e-12)
    assert nrmse(y, y) == 0.0


def test_matches_reservoirpy_range_and_sklearn_mse():
    rng = np.random.default_rng(1)
    y = rng.normal(size=(100, 3))
    p = y + 0.1 * rng.normal(size=(100, 3))
    np.testing.assert_allclose(nrmse(y, p, normalization="range", multioutput="raw_values"),
                               rpy_nrmse(y, p, norm="minmax", dimensionwise=True), rtol=1e-12)
    np.testing.assert_allclose(mse(y, p, multioutput="raw_values"),
                               mean_squared_error(y, p, multioutput="raw_values"), rtol=1e-12)


def test_multioutput():
    rng = np.random.default_rng(2)
    y = rng.normal(size=(50, 2)) * np.array([1.0, 10.0])
    p = y + rng.normal(size=(50, 2))
    raw = nrmse(y, p, multioutput="raw_values")
    assert raw.shape == (2,)
    for j in range(2):
        assert raw[j] == pytest.approx(np.sqrt(np.mean((p[:, j] - y[:, j]) ** 2)) / y[:, j].std())
    assert nrmse(y, p) == pytest.approx(raw.mean())
    # 1-D and (n, 1) give the same value; 3-D is flattened over series and time
    assert nrmse(y[:, 0], p[:, 0]) == pytest.approx(nrmse(y[:, :1], p[:, :1]))
    assert nrmse(y.reshape(5, 10, 2), p.reshape(5, 10, 2)) == pytest.approx(nrmse(y, p))


@pytest.mark.parametrize("bad, match", [
    ((np.zeros(3), np.zeros(4)), "same shape"),
    ((np.array([1.0, np.nan]), np.zeros(2)), "y_true contains NaN"),
    ((np.array([1.0, 2.0]), np.array([0.0, np.inf])), "y_pred contains NaN"),
    ((np.ones(5), np.zeros(5)), "zero standard deviation"),
    ((np.array([]), np.array([])), "empty"),
])
def test_bad_input(bad, match):
    with pytest.raises(ValueError, match=match):
        nrmse(*bad)


def test_bad_options():
    y = np.arange(4.0)
    with pytest.raises(ValueError, match="normalization"):
        nrmse(y, y, normalization="var")
    with pytest.raises(ValueError, match="multioutput"):
        nrmse(y, y, multioutput="variance_weighted")
    with pytest.raises(ValueError, match="zero range"):
        nrmse(np.ones(3), np.ones(3), normalization="range")
    with pytest.raises(TypeError, match="numeric"):
        nrmse(np.array(["a", "b"]), np.array(["a", "b"]))


def test_scorer_is_negated_nrmse():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(60, 2))
    y = X @ np.array([1.0, -2.0]) + 0.3 * rng.normal(size=60)
    model = LinearRegression().fit(X, y)
    assert nrmse_scorer(model, X, y) == pytest.approx(-nrmse(y, model.predict(X)))
    good = cross_val_score(LinearRegression(), X, y, cv=3, scoring=nrmse_scorer).mean()
    dummy = cross_val_score(DummyRegressor(), X, y, cv=3, scoring=nrmse_scorer).mean()
    assert good > dummy  # greater is better after negation
    assert dummy < -0.9


def test_complex_targets_and_wrong_option_types_raise_type_error():
    y = np.ones(3) + 1j
    with pytest.raises(TypeError, match="^y_true must be real"):
        nrmse(y, y)
    with pytest.raises(TypeError, match="^normalization must be one of"):
        nrmse(np.arange(3.0), np.arange(3.0), normalization=None)
