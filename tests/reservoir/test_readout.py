"""RidgeReadout against reservoirpy's Ridge, scikit-learn's Ridge and the closed form; its
streamed accumulation does not depend on how the rows are cut, nor on the BLAS thread count."""
import pickle

import numpy as np
import pytest
from reservoirpy.nodes import Reservoir, Ridge
from sklearn.linear_model import Ridge as SkRidge
from threadpoolctl import threadpool_limits

from rcpod.reservoir import ESN, ESNRegressor, ReservoirRegressor, RidgeReadout
from rcpod.reservoir.persistence import load, save
from rcpod.reservoir.readout import BLOCK_ROWS, PANEL


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


@pytest.mark.parametrize("alpha, error", [(-1.0, ValueError), (float("nan"), ValueError),
                                          ("a", TypeError), (None, TypeError)])
def test_invalid_alpha(alpha, error):
    with pytest.raises(error, match="alpha"):
        RidgeReadout(alpha=alpha).fit(np.ones((5, 2)), np.ones(5))


def test_solve_without_data():
    with pytest.raises(ValueError, match="no samples"):
        RidgeReadout().solve()


# -- streamed, centred accumulation -------------------------------------------------------------
def _pieces(X, Y, size):
    return [(X[lo:lo + size], Y[lo:lo + size]) for lo in range(0, len(X), size)]


@pytest.mark.parametrize("p", [30, PANEL + 88])   # one product / column panels
def test_matches_sklearn_with_and_without_intercept(p):
    X0, Y = _data(3, n=2500, p=p)
    # far from centred with an intercept (centring makes it well conditioned); centred without
    for fit_intercept, X in ((True, X0 + 50.0), (False, X0)):
        ours = RidgeReadout(alpha=0.7, fit_intercept=fit_intercept).fit(X, Y)
        ref = SkRidge(alpha=0.7, fit_intercept=fit_intercept).fit(X, Y)
        np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(ours.intercept_, ref.intercept_, rtol=1e-10, atol=1e-10)


def test_large_offset_small_ridge_keeps_its_digits():
    """Uncentred sums lose the digits the mean shares with the data (here 8 of them); the
    centred accumulation agrees with scikit-learn (which centres the whole X first)."""
    rng = np.random.default_rng(4)
    X = rng.standard_normal((5000, 20)) + 1e4
    y = X @ rng.standard_normal(20) + 0.01 * rng.standard_normal(5000)
    ours = RidgeReadout(alpha=1e-8).fit(X, y)
    ref = SkRidge(alpha=1e-8).fit(X, y)
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-9)


@pytest.mark.parametrize("p", [40, PANEL + 88])
def test_pieces_do_not_change_the_bits(p):
    """Fixed blocks of BLOCK_ROWS rows per series: pieces of any size give the same sums."""
    X, Y = _data(5, n=3 * BLOCK_ROWS + 77, p=p)
    ref = RidgeReadout(alpha=1e-3, keep_statistics=True).fit(X, Y)
    for size in (7, 100, BLOCK_ROWS, BLOCK_ROWS + 1, len(X)):
        r = RidgeReadout(alpha=1e-3)
        for xp, yp in _pieces(X, Y, size):
            r.accumulate(xp, yp)
        r.solve()
        np.testing.assert_array_equal(r.coef_, ref.coef_)
        np.testing.assert_array_equal(r.intercept_, ref.intercept_)
        np.testing.assert_array_equal(r.scatter_xx_, ref.scatter_xx_)
        assert r.n_samples_seen_ == len(X)


@pytest.mark.parametrize("p", [40, PANEL + 88])
def test_blas_thread_count_does_not_change_the_bits(p):
    X, Y = _data(6, n=2 * BLOCK_ROWS + 5, p=p)
    fits = []
    for threads in (1, 2):
        with threadpool_limits(threads, user_api="blas"):
            fits.append(RidgeReadout(alpha=1e-6, keep_statistics=True).fit(X, Y))
    np.testing.assert_array_equal(fits[0].coef_, fits[1].coef_)
    np.testing.assert_array_equal(fits[0].scatter_xx_, fits[1].scatter_xx_)


def test_series_are_merged_in_order_and_two_commute():
    X, Y = _data(7, n=3000)
    parts = [(X[:900], Y[:900]), (X[900:2100], Y[900:2100]), (X[2100:], Y[2100:])]

    def fit(order):
        r = RidgeReadout(alpha=1e-4)
        for i in order:
            r.accumulate(*parts[i], series=i)
            r.end_series(i)
        return r.solve()

    np.testing.assert_array_equal(fit([0, 1]).coef_, fit([1, 0]).coef_)   # commutative
    a, b = fit([0, 1, 2]), fit([2, 0, 1])                               # not associative
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-10, atol=1e-13)
    # interleaved pieces of open series = one series after the other, closed in the same order
    r = RidgeReadout(alpha=1e-4)
    for lo in range(0, 1200, 150):
        for i in (0, 1, 2):
            xs, ys = parts[i]
            r.accumulate(xs[lo:lo + 150], ys[lo:lo + 150], series=i)
    for i in (0, 1, 2):
        r.end_series(i)
    np.testing.assert_array_equal(r.solve().coef_, a.coef_)


def test_partial_fit_pieces_equal_series_of_the_protocol():
    X, Y = _data(8)
    inc = RidgeReadout(alpha=0.1)
    proto = RidgeReadout(alpha=0.1)
    for i, (xp, yp) in enumerate(_pieces(X, Y, 73)):
        inc.partial_fit(xp, yp)
        proto.accumulate(xp, yp, series=i).end_series(i)
    np.testing.assert_array_equal(inc.coef_, proto.solve().coef_)


def test_solve_again_with_another_alpha():
    """Accumulate once, solve for several penalties (the statistics survive ``solve``)."""
    X, Y = _data(9)
    r = RidgeReadout().accumulate(X, Y)
    for alpha in (1e-3, 10.0, 1e-3):
        r.alpha = alpha
        r.solve()
        np.testing.assert_array_equal(r.coef_, RidgeReadout(alpha=alpha).fit(X, Y).coef_)


def test_fit_drops_statistics_unless_kept():
    X, Y = _data(10, p=300)
    lean = RidgeReadout().fit(X, Y)
    assert not lean.has_statistics() and not hasattr(lean, "scatter_xx_")
    assert len(pickle.dumps(lean)) < 8 * 300 * 2 * 4 + 4096   # O(n_features * n_targets)
    kept = RidgeReadout(keep_statistics=True).fit(X, Y)
    assert kept.scatter_xx_.shape == (300, 300) and kept.scatter_xx_.flags.f_contiguous
    np.testing.assert_array_equal(kept.scatter_xx_, kept.scatter_xx_.T)
    assert len(pickle.dumps(kept)) > 8 * 300 ** 2
    np.testing.assert_array_equal(lean.coef_, kept.coef_)
    with pytest.raises(ValueError, match="keep_statistics"):
        lean.partial_fit(X, Y)
    with pytest.raises(ValueError, match="keep_statistics"):
        lean.accumulate(X, Y)
    lean.reset().accumulate(X, Y)   # a reset starts over


def test_kept_statistics_survive_save_and_load(tmp_path):
    X, Y = _data(11)
    a = RidgeReadout(alpha=1e-3, keep_statistics=True).fit(X[:300], Y[:300])
    b = load(save(a, tmp_path / "r.npz"))
    for name in ("feature_mean_", "target_mean_", "scatter_xx_", "scatter_xy_"):
        np.testing.assert_array_equal(getattr(b, name), getattr(a, name))
    a.partial_fit(X[300:], Y[300:])
    b.partial_fit(X[300:], Y[300:])
    np.testing.assert_array_equal(b.coef_, a.coef_)
    lean = load(save(RidgeReadout().fit(X, Y), tmp_path / "lean.npz"))
    assert not lean.has_statistics()


def test_partial_fit_checks_features_and_target_dimensions():
    X, Y = _data(12)
    r = RidgeReadout().partial_fit(X[:100], Y[:100, 0])
    with pytest.raises(ValueError, match="features"):
        r.partial_fit(X[100:, :5], Y[100:, 0])
    with pytest.raises(ValueError, match="1-D"):
        r.accumulate(X[100:], Y[100:, :1])
