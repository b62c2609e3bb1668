"""ReservoirRegressor / ESNRegressor: layouts, scikit-learn integration, bad input, and fits
that do not depend on how the data is cut (chunks, layout, partial_fit, BLAS threads)."""
import pickle

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LinearRegression
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from rcpod.reservoir import ESN, ESNRegressor, ReservoirRegressor, RidgeReadout, narma
from rcpod.reservoir import estimators as estimators_module
from rcpod.reservoir.persistence import load, save


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
    np.testing.assert_array_equal(a.readout_.coef_, b.readout_.coef_)
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
    (np.zeros(50), r"1-D with shape \(50,\).*reshape\(-1, 1\)"),
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
    (dict(ridge=-1.0), "ridge"), (dict(chunk_size=0), "chunk_size"),
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
    np.testing.assert_array_equal(inc.readout_.coef_, both.readout_.coef_)
    rev = ESNRegressor(n_units=30, washout=10, random_state=0).partial_fit(B, yB)
    np.testing.assert_array_equal(rev.partial_fit(A, yA).readout_.coef_, both.readout_.coef_)
    with pytest.raises(ValueError, match="target"):
        inc.partial_fit(B, np.c_[yB, yB])
    # partial_fit is offered only with a streaming readout (test_partial_fit_only_with_...)
    with pytest.raises(AttributeError, match="partial_fit"):
        ReservoirRegressor(ESN(10), readout=LinearRegression()).partial_fit(A, yA)


# -- the fit does not depend on how the data is cut ---------------------------------------------
def _narma(T=20000):
    u, y = narma(10, T, random_state=0)
    return u, y[:, 0]


_SMALL_RIDGE = dict(n_units=100, ridge=1e-8, washout=50, random_state=0)


def test_states_are_bit_identical_across_chunks_and_batch():
    """The premise of the invariances below (sparse W): chunked runs, a batched 3-D run and
    per-series runs give the same states bit for bit."""
    u, _ = _narma(3000)
    esn = ESN(n_units=60, random_state=0).initialize(1)
    full = esn.run(u)
    parts, state = [], None
    for t0 in range(0, len(u), 7):
        parts.append(esn.run(u[t0:t0 + 7], state0=state))
        state = parts[-1][-1]
    np.testing.assert_array_equal(np.vstack(parts), full)
    U = u.reshape(3, 1000, 1)
    np.testing.assert_array_equal(esn.run(U), np.stack([esn.run(x) for x in U]))


def test_weights_do_not_depend_on_chunk_size_layout_partial_fit_or_threads():
    """NARMA10, ridge 1e-8: bit-identical weights (they differed by up to 1e-2 relative with
    uncentred sums)."""
    u, y = _narma()
    ref = ESNRegressor(**_SMALL_RIDGE, chunk_size=len(u)).fit(u, y).readout_
    for chunk in (7, 100, 1000):
        m = ESNRegressor(**_SMALL_RIDGE, chunk_size=chunk).fit(u, y)
        np.testing.assert_array_equal(m.readout_.coef_, ref.coef_)
        np.testing.assert_array_equal(m.readout_.intercept_, ref.intercept_)
    U, Y = u.reshape(4, 5000, 1), y.reshape(4, 5000)
    m3 = ESNRegressor(**_SMALL_RIDGE, chunk_size=999).fit(U, Y).readout_
    ml = ESNRegressor(**_SMALL_RIDGE).fit(list(U), list(Y)).readout_
    np.testing.assert_array_equal(m3.coef_, ml.coef_)
    inc = ESNRegressor(**_SMALL_RIDGE, chunk_size=333)
    for x, t in zip(U, Y):
        inc.partial_fit(x, t)
    np.testing.assert_array_equal(inc.readout_.coef_, ml.coef_)
    fits = []
    for threads in (1, 2):
        with threadpool_limits(threads, user_api="blas"):
            fits.append(ESNRegressor(**_SMALL_RIDGE, chunk_size=5000).fit(u, y).readout_.coef_)
    np.testing.assert_array_equal(fits[0], ref.coef_)
    np.testing.assert_array_equal(fits[1], ref.coef_)


def test_batch_trained_in_groups_equals_one_batch(monkeypatch):
    rng = np.random.default_rng(3)
    U = rng.uniform(0, 0.5, (5, 400, 2))
    Y = np.stack([np.tanh(x @ [1.0, -0.5]) for x in U])
    kw = dict(n_units=30, washout=10, random_state=0, include_input=True, chunk_size=64)
    whole = ESNRegressor(**kw).fit(U, Y)
    monkeypatch.setattr(estimators_module, "TRAIN_GROUP_BYTES", 2 * 8 * 32 ** 2)  # 2 per group
    grouped = ESNRegressor(**kw).fit(U, Y)
    np.testing.assert_array_equal(grouped.readout_.coef_, whole.readout_.coef_)
    listed = ESNRegressor(**kw).fit(list(U), list(Y))
    np.testing.assert_array_equal(listed.readout_.coef_, whole.readout_.coef_)


def test_keep_statistics_save_load_and_continue(tmp_path):
    u, y = _narma(3000)
    A, B = (u[:1800], y[:1800]), (u[1800:], y[1800:])
    both = ESNRegressor(n_units=50, washout=20, random_state=0).fit([A[0], B[0]], [A[1], B[1]])
    kept = ESNRegressor(n_units=50, washout=20, random_state=0, keep_statistics=True).fit(*A)
    loaded = load(save(kept, tmp_path / "kept.npz"))
    loaded.partial_fit(*B)
    kept.partial_fit(*B)
    np.testing.assert_array_equal(loaded.readout_.coef_, both.readout_.coef_)
    np.testing.assert_array_equal(kept.readout_.coef_, both.readout_.coef_)
    np.testing.assert_array_equal(loaded.predict(u), both.predict(u))
    # partial_fit keeps the statistics whatever keep_statistics says; so do save and load
    inc = ESNRegressor(n_units=50, washout=20, random_state=0).partial_fit(*A)
    inc = load(save(inc, tmp_path / "inc.npz")).partial_fit(*B)
    np.testing.assert_array_equal(inc.readout_.coef_, both.readout_.coef_)


def test_fitted_model_without_statistics_is_small_and_cannot_continue(tmp_path):
    u, y = _narma(2000)
    N = 200
    lean = ESNRegressor(n_units=N, washout=20, random_state=0).fit(u, y)
    kept = ESNRegressor(n_units=N, washout=20, random_state=0, keep_statistics=True).fit(u, y)
    np.testing.assert_array_equal(lean.readout_.coef_, kept.readout_.coef_)
    assert len(pickle.dumps(lean.readout_)) < 8 * N * 4 + 4096          # O(N * n_targets)
    extra = len(pickle.dumps(kept)) - len(pickle.dumps(lean))
    assert 8 * N ** 2 <= extra < 8 * N ** 2 + 8 * N * 8 + 4096           # the N x N matrix
    size = save(lean, tmp_path / "lean.npz").stat().st_size
    assert save(kept, tmp_path / "kept.npz").stat().st_size - size >= 8 * N ** 2
    with pytest.raises(ValueError, match="keep_statistics"):
        lean.partial_fit(u, y)
    with pytest.raises(ValueError, match="keep_statistics"):
        load(tmp_path / "lean.npz").partial_fit(u, y)


@pytest.mark.slow
@pytest.mark.parametrize("config", [{}, dict(leak_rate=0.1, input_scaling=0.1, bias_scaling=0.5)],
                         ids=["default", "slow-biased-states"])
def test_narma10_1e5_steps_n300_bit_identical(config):
    """The tracker's case: N = 300, ridge 1e-8, 10^5 NARMA10 steps (the uncentred sums gave
    weights up to 92 % apart between chunk sizes in the second configuration)."""
    u, y = _narma(100_000)
    kw = dict(n_units=300, ridge=1e-8, washout=100, random_state=0, **config)
    ref = ESNRegressor(**kw, chunk_size=len(u)).fit(u, y).readout_.coef_
    for chunk in (7, 1000):
        np.testing.assert_array_equal(ESNRegressor(**kw, chunk_size=chunk).fit(u, y)
                                      .readout_.coef_, ref)
    U, Y = u.reshape(4, -1, 1), y.reshape(4, -1)
    ml = ESNRegressor(**kw).fit(list(U), list(Y)).readout_.coef_
    np.testing.assert_array_equal(ESNRegressor(**kw).fit(U, Y).readout_.coef_, ml)
    with threadpool_limits(1, user_api="blas"):
        np.testing.assert_array_equal(ESNRegressor(**kw).fit(u, y).readout_.coef_, ref)


# -- scikit-learn conventions: random_state, partial_fit, feature names, 1-D X -------------------
def test_reservoir_regressor_random_state_seeds_an_unseeded_reservoir():
    u, y = _task(120)
    a = ReservoirRegressor(washout=5, random_state=0).fit(u, y)
    b = ReservoirRegressor(washout=5, random_state=0).fit(u, y)
    assert a.reservoir_.random_state == 0
    np.testing.assert_array_equal(a.predict(u), b.predict(u))
    # a given reservoir without a seed gets it, in the clone only
    res = ESN(n_units=20)
    model = ReservoirRegressor(res, random_state=4).fit(u, y)
    assert model.reservoir_.random_state == 4 and res.random_state is None
    np.testing.assert_array_equal(
        model.reservoir_.W_.toarray(),
        ESN(n_units=20, random_state=4).initialize(1).W_.toarray())
    # a reservoir with its own seed keeps it
    assert ReservoirRegressor(ESN(n_units=20, random_state=3),
                              random_state=4).fit(u, y).reservoir_.random_state == 3
    # random_state=None seeds nothing
    assert ReservoirRegressor(ESN(n_units=20)).fit(u, y).reservoir_.random_state is None
    assert ReservoirRegressor().get_params()["random_state"] is None
    with pytest.raises((TypeError, ValueError), match="random_state"):
        ReservoirRegressor(random_state="seed").fit(u, y)


def test_esn_regressor_random_state_unchanged():
    u, y = _task(120)
    model = ESNRegressor(n_units=20, random_state=2).fit(u, y)
    np.testing.assert_array_equal(
        model.reservoir_.W_.toarray(), ESN(n_units=20, random_state=2).initialize(1).W_.toarray())


def test_partial_fit_only_with_a_streaming_readout():
    u, y = _task(100)
    assert hasattr(ReservoirRegressor(), "partial_fit")
    assert hasattr(ESNRegressor(), "partial_fit")
    lin = ReservoirRegressor(ESN(n_units=10, random_state=0), readout=LinearRegression())
    assert not hasattr(lin, "partial_fit")
    assert not hasattr(lin.fit(u, y), "partial_fit")
    # an invalid readout: partial_fit is offered and says what is wrong
    with pytest.raises(TypeError, match="readout"):
        ReservoirRegressor(readout=object()).partial_fit(u, y)


def test_feature_names_recorded_and_checked():
    pd = pytest.importorskip("pandas")
    u, y = _task(120)
    u = np.c_[u, u ** 2]
    df = pd.DataFrame(u, columns=["flow", "pressure"])
    model = ReservoirRegressor(ESN(n_units=20, random_state=0), washout=5).fit(df, y)
    assert model.feature_names_in_.dtype == object
    assert list(model.feature_names_in_) == ["flow", "pressure"]
    assert model.predict(df).shape == (120,)
    for bad in (df[["pressure", "flow"]], df.rename(columns={"flow": "rate"})):
        for method in (model.predict, model.readout_features):
            with pytest.raises(ValueError, match="feature names"):
                method(bad)
        with pytest.raises(ValueError, match="feature names"):
            model.score(bad, y)
        with pytest.raises(ValueError, match="feature names"):
            ReservoirRegressor(ESN(n_units=20, random_state=0)).partial_fit(df, y).partial_fit(
                bad, y)
    with pytest.warns(UserWarning, match="fitted with feature names"):
        model.predict(u)
    # a list of DataFrames: the names of the first series
    listed = ReservoirRegressor(ESN(n_units=20, random_state=0)).fit([df, df], [y, y])
    assert list(listed.feature_names_in_) == ["flow", "pressure"]
    # refitting on an array forgets the names; fitted on an array, a DataFrame warns
    model.fit(u, y)
    assert not hasattr(model, "feature_names_in_")
    with pytest.warns(UserWarning, match="fitted without feature names"):
        model.predict(df)


def test_feature_names_are_saved_and_checked_after_load(tmp_path):
    pd = pytest.importorskip("pandas")
    u, y = _task(120)
    u = np.c_[u, u ** 2]
    df = pd.DataFrame(u, columns=["flow", "pressure"])
    model = ESNRegressor(n_units=20, washout=5, random_state=0).fit(df, y)
    loaded = load(save(model, tmp_path / "m.npz"))
    assert loaded.feature_names_in_.dtype == object
    assert list(loaded.feature_names_in_) == ["flow", "pressure"]
    np.testing.assert_array_equal(loaded.predict(df), model.predict(df))
    with pytest.raises(ValueError, match="feature names"):
        loaded.predict(df[["pressure", "flow"]])
    # a forged file with names of the wrong count or type is refused
    from rcpod.reservoir import _savefile
    from rcpod.reservoir.persistence import ModelFileError
    path = tmp_path / "m.npz"
    raw, arrays, _ = _savefile.read(path)
    import json
    for bad in (["flow"], [1, 2]):
        meta = json.loads(raw)
        meta["model"]["fitted"]["feature_names_in_"] = {"__strarray__": bad}
        _savefile.write(tmp_path / "bad.npz", meta, arrays)
        with pytest.raises(ModelFileError, match="feature_names_in_|strings"):
            load(tmp_path / "bad.npz")


def test_one_d_x_gets_a_time_series_hint():
    u, y = _task(50)
    for X in (u[:, 0], list(u[:, 0])):
        with pytest.raises(ValueError, match=r"1-D with shape \(50,\).*reshape\(-1, 1\)"):
            ReservoirRegressor(ESN(n_units=10, random_state=0)).fit(X, y)
    model = ESNRegressor(n_units=10, random_state=0).fit(u, y)
    with pytest.raises(ValueError, match=r"reshape\(-1, 1\) \(n_timesteps, n_features\)"):
        model.predict(u[:, 0])


def test_ridge_on_the_estimator_is_alpha_on_the_readout():
    # one number, two names (estimator layer: ridge; readout layer: alpha, as sklearn's Ridge)
    u = np.sin(np.linspace(0, 20, 200))[:, None]
    model = ESNRegressor(n_units=20, ridge=0.25, washout=10, random_state=0).fit(u[:-1], u[1:, 0])
    assert isinstance(model.readout_, RidgeReadout) and model.readout_.alpha == 0.25
    same = ReservoirRegressor(ESN(n_units=20, random_state=0), RidgeReadout(alpha=0.25),
                              washout=10).fit(u[:-1], u[1:, 0])
    np.testing.assert_array_equal(model.readout_.coef_, same.readout_.coef_)
