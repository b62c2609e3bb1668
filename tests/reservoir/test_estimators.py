"""ReservoirRegressor / ESNRegressor: layouts, scikit-learn integration, bad input."""
import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LinearRegression
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from rcpod.reservoir import ESN, ESNRegressor, ReservoirRegressor


def _task(T=400, seed=0):
    u = np.random.default_rng(seed).uniform(-1, 1, (T, 1))
    y = np.roll(u[:, 0], 2) * 0.8
    return u, y


def test_fit_predict_single_series_learns_delay():
    u, y = _task()
    model = ESNRegressor(n_units=60, washout=20, random_state=0).fit(u, y)
    assert model.predict(u).shape == (400,)
    assert model.score(u, y) > 0.99


def test_layouts_2d_3d_list_agree():
    rng = np.random.default_rng(1)
    U = rng.uniform(-1, 1, (3, 150, 2))
    Y = np.stack([np.tanh(u @ [1.0, -0.5]) for u in U])
    m3 = ESNRegressor(n_units=30, washout=10, random_state=0).fit(U, Y)
    ml = ESNRegressor(n_units=30, washout=10, random_state=0).fit(list(U), list(Y))
    np.testing.assert_allclose(m3.readout_.coef_, ml.readout_.coef_, rtol=1e-8, atol=1e-10)
    p3, pl = m3.predict(U), ml.predict(list(U))
    assert p3.shape == (3, 150) and isinstance(pl, list) and pl[0].shape == (150,)
    np.testing.assert_allclose(p3, np.stack(pl), rtol=1e-8, atol=1e-10)
    # each series of a batch predicts as if alone (zero state, own washout)
    np.testing.assert_allclose(m3.predict(U[1]), p3[1], atol=1e-12)
    # multi-output targets
    m2 = ESNRegressor(n_units=30, washout=10, random_state=0).fit(U[0], np.c_[Y[0], -Y[0]])
    assert m2.predict(U[0]).shape == (150, 2)


def test_series_of_different_lengths():
    rng = np.random.default_rng(2)
    X = [rng.uniform(-1, 1, (T, 1)) for T in (50, 80, 120)]
    y = [np.roll(x[:, 0], 1) for x in X]
    model = ESNRegressor(n_units=20, washout=5, random_state=0).fit(X, y)
    out = model.predict(X)
    assert [o.shape[0] for o in out] == [50, 80, 120]


def test_chunked_fit_equals_unchunked():
    u, y = _task(1000)
    a = ESNRegressor(n_units=40, washout=30, random_state=0, chunk_size=10000).fit(u, y)
    b = ESNRegressor(n_units=40, washout=30, random_state=0, chunk_size=77).fit(u, y)
    np.testing.assert_allclose(a.readout_.coef_, b.readout_.coef_, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(a.predict(u), b.predict(u), atol=1e-10)


def test_any_regressor_as_readout_and_include_input():
    u, y = _task()
    m = ReservoirRegressor(ESN(30, random_state=0), readout=LinearRegression(), washout=10,
                           include_input=True).fit(u, y)
    assert m.readout_.coef_.shape == (31,)
    assert m.score(u, y) > 0.95


def test_from_weights_reservoir_survives_clone_in_estimator():
    esn = ESN(25, random_state=3).initialize(1)
    given = ESN.from_weights(esn.W_, esn.W_in_, esn.bias_)
    u, y = _task()
    m = ReservoirRegressor(given, washout=10).fit(u, y)
    assert (m.reservoir_.W_ != esn.W_).nnz == 0


def test_pipeline_and_grid_search_with_time_series_split():
    u, y = _task(600)
    pipe = make_pipeline(StandardScaler(), ESNRegressor(n_units=30, washout=20, random_state=0))
    search = GridSearchCV(pipe, {"esnregressor__spectral_radius": [0.5, 0.9],
                                 "esnregressor__ridge": [1e-6, 1e-2]},
                          cv=TimeSeriesSplit(n_splits=3), n_jobs=2)
    search.fit(u, y)
    assert search.best_score_ > 0.9
    assert set(search.best_params_) == {"esnregressor__spectral_radius", "esnregressor__ridge"}
    # nested reservoir parameters of the generic estimator are searchable too
    gen = GridSearchCV(ReservoirRegressor(ESN(20, random_state=0), washout=20),
                       {"reservoir__leak_rate": [0.5, 1.0]}, cv=TimeSeriesSplit(2))
    assert gen.fit(u, y).best_params_["reservoir__leak_rate"] in (0.5, 1.0)


def test_float32_estimator():
    u, y = _task()
    m = ESNRegressor(n_units=30, washout=10, dtype="float32", random_state=0).fit(u, y)
    assert m.reservoir_.run(u).dtype == np.float32
    assert m.score(u, y) > 0.95


@pytest.mark.parametrize("X, match", [
    (np.full((50, 1), np.nan), "NaN"),
    (np.r_[np.zeros((49, 1)), [[np.inf]]], "infinity"),
    (np.zeros(50), "2D array"),
    (np.zeros((2, 3, 4, 1)), "dim"),
])
def test_bad_X_at_fit(X, match):
    with pytest.raises(ValueError, match=match):
        ESNRegressor(n_units=10, washout=5).fit(X, np.zeros(50))


def test_bad_input_at_predict_and_unfitted():
    u, y = _task()
    with pytest.raises(NotFittedError):
        ESNRegressor().predict(u)
    m = ESNRegressor(n_units=10, washout=5, random_state=0).fit(u, y)
    with pytest.raises(ValueError, match="features"):
        m.predict(np.zeros((10, 2)))
    with pytest.raises(ValueError, match="NaN"):
        m.predict(np.full((10, 1), np.nan))


def test_series_shorter_than_washout():
    with pytest.raises(ValueError, match="washout"):
        ESNRegressor(n_units=10, washout=50).fit(np.zeros((30, 1)), np.zeros(30))
    with pytest.raises(ValueError, match="series 1"):
        ESNRegressor(n_units=10, washout=20).fit([np.zeros((30, 1)), np.zeros((10, 1))],
                                                 [np.zeros(30), np.zeros(10)])


@pytest.mark.parametrize("params, match", [
    (dict(n_units=-5), "n_units"), (dict(leak_rate=0.0), "leak_rate"),
    (dict(leak_rate=2.0), "leak_rate"), (dict(density=0.0), "density"),
    (dict(density=1.5), "density"), (dict(washout=-1), "washout"),
    (dict(ridge=-1.0), "alpha"), (dict(chunk_size=0), "chunk_size"),
])
def test_invalid_parameters(params, match):
    u, y = _task(100)
    with pytest.raises(ValueError, match=match):
        ESNRegressor(**params).fit(u, y)


def test_targets_mismatch():
    u, y = _task(100)
    with pytest.raises(ValueError, match="time steps"):
        ESNRegressor(n_units=10).fit(u, y[:50])
    with pytest.raises(TypeError, match="reservoir"):
        ReservoirRegressor(reservoir="esn").fit(u, y)


def test_partial_fit_equals_fit_on_all_series():
    rng = np.random.default_rng(7)
    A, B = rng.uniform(-1, 1, (200, 1)), rng.uniform(-1, 1, (150, 1))
    yA, yB = np.roll(A[:, 0], 1), np.roll(B[:, 0], 1)
    both = ESNRegressor(n_units=30, washout=10, random_state=0).fit([A, B], [yA, yB])
    inc = ESNRegressor(n_units=30, washout=10, random_state=0).partial_fit(A, yA)
    inc.partial_fit(B, yB)
    np.testing.assert_allclose(inc.readout_.coef_, both.readout_.coef_, rtol=1e-9, atol=1e-12)
    with pytest.raises(ValueError, match="target"):
        inc.partial_fit(B, np.c_[yB, yB])
    with pytest.raises(TypeError, match="streaming"):
        ReservoirRegressor(ESN(10), readout=LinearRegression()).partial_fit(A, yA)
