"""RidgeReadout against reservoirpy's Ridge, scikit-learn's Ridge and the closed form."""
import numpy as np
import pytest
from reservoirpy.nodes import Reservoir, Ridge
from sklearn.linear_model import Ridge as SkRidge

from rcpod.reservoir import ESN, ESNRegressor, ReservoirRegressor, RidgeReadout


def _data(seed=0, n=500, p=30, q=2):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    Y = X @ rng.standard_normal((p, q)) + 0.1 * rng.standard_normal((n, q)) + 3.0
    return X, Y


def test_matches_sklearn_ridge_with_unpenalised_intercept():
    X, Y = _data()
    ours = RidgeReadout(alpha=2.5).fit(X, Y)
    ref = SkRidge(alpha=2.5).fit(X, Y)
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-10)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, rtol=1e-10)


def test_streaming_equals_batch():
    X, Y = _data(1)
    batch = RidgeReadout(alpha=0.1).fit(X, Y)
    stream = RidgeReadout(alpha=0.1)
    for lo in range(0, 500, 73):
        stream.partial_fit(X[lo:lo + 73], Y[lo:lo + 73])
    np.testing.assert_allclose(stream.coef_, batch.coef_, rtol=1e-10)
    np.testing.assert_allclose(stream.intercept_, batch.intercept_, rtol=1e-10)
    assert stream.n_samples_seen_ == 500


def test_one_d_targets_give_one_d_coef():
    X, Y = _data(2, q=1)
    r = RidgeReadout().fit(X, Y[:, 0])
    assert r.coef_.shape == (30,) and isinstance(r.intercept_, float)
    assert r.predict(X).shape == (500,)


def test_readout_weights_equal_reservoirpy_ridge_on_reservoir_states():
    """Same reservoir (reservoirpy's W, Win), same states, same ridge: same readout."""
    res = Reservoir(150, sr=0.9, lr=0.5, seed=4)
    rng = np.random.default_rng(4)
    u = rng.uniform(-1, 1, (1200, 1))
    y = np.roll(u, 3, axis=0)
    states = res.run(u)
    ridge = Ridge(ridge=1e-4).fit(states[100:], y[100:])
    ours = ReservoirRegressor(ESN.from_weights(res.W, res.Win, res.bias, leak_rate=0.5),
                              readout=RidgeReadout(alpha=1e-4), washout=100).fit(u, y)
    W_ref = np.asarray(ridge.Wout).T
    rel = np.abs(ours.readout_.coef_ - W_ref).max() / np.abs(W_ref).max()
    assert rel < 1e-5
    np.testing.assert_allclose(ours.readout_.intercept_, np.ravel(ridge.bias), rtol=1e-5,
                               atol=1e-8 * np.abs(W_ref).max())


def test_several_series_equal_pooled_normal_equations():
    """Fitting on a list of series equals a ridge on the pooled post-washout states."""
    rng = np.random.default_rng(5)
    series = [rng.uniform(-1, 1, (T, 1)) for T in (120, 200, 90)]
    targets = [np.sin(3 * s[:, 0]) for s in series]
    model = ESNRegressor(n_units=40, washout=15, ridge=1e-3, random_state=0,
                         chunk_size=37).fit(series, targets)
    esn = model.reservoir_
    F = np.vstack([esn.run(s)[15:] for s in series])
    Y = np.concatenate([t[15:] for t in targets])
    ref = SkRidge(alpha=1e-3).fit(F, Y)
    np.testing.assert_allclose(model.readout_.coef_, ref.coef_, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("alpha", [-1.0, float("nan"), "a"])
def test_invalid_alpha(alpha):
    with pytest.raises(ValueError, match="alpha"):
        RidgeReadout(alpha=alpha).fit(np.ones((5, 2)), np.ones(5))


def test_solve_without_data():
    with pytest.raises(ValueError, match="no samples"):
        RidgeReadout().solve()
