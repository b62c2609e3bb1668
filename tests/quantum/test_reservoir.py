import numpy as np
import pytest
from sklearn.base import clone

from rcpod.quantum import QuantumReservoir
from rcpod.quantum.cells import init_weights
from rcpod.quantum.fast import MAX_FAST_QUBITS


def _sig(x):
    return 1.0 / (1.0 + np.exp(-x))


def reference_features(cell, X, W, n, H, Q):
    """Cells written from the reference text with one QNode call per circuit (independent code)."""
    n_in = X.shape[1]
    h, c = np.zeros(H), np.zeros(n)
    pad = np.zeros(n - n_in - H)
    out = []
    for x in X:
        v = np.concatenate([x, h, pad])
        if cell == "rnn":
            h = np.tanh(Q(v, W[0])[:H])
            out.append(h)
        elif cell == "lstm":
            f, i = _sig(Q(v, W[0])), _sig(Q(v, W[1]))
            g, o = np.tanh(Q(v, W[2])), _sig(Q(v, W[3]))
            c = f * c + i * g
            m = o * np.tanh(c)
            h = Q(m, W[4])[:H]
            out.append(Q(m, W[5]))
        else:
            r, z = _sig(Q(v, W[0])[:H]), _sig(Q(v, W[1])[:H])
            cand = np.tanh(Q(np.concatenate([x, r * h, pad]), W[2])[:H])
            h = z * h + (1 - z) * cand
            out.append(h)
    return np.array(out)


def _run(res, X, numpy_path=False):
    res._force_numpy = numpy_path  # private switch: the plain numpy reference loop
    try:
        return res.run(X)
    finally:
        res._force_numpy = False


# each cell, every qubit count 2..8, layer counts cycling through 1..4
GRID = [(cell, n, (n + k) % 4 + 1) for k, cell in enumerate(["rnn", "lstm", "gru"]) for n in range(2, 9)]


@pytest.mark.parametrize("cell, n, L", GRID)
def test_fast_backend_equals_pennylane_qnodes(cell, n, L, ref_qnode):
    rng = np.random.default_rng(n * 10 + L)
    X = rng.normal(scale=1.5, size=(2, 3, 1))
    res = QuantumReservoir(cell=cell, n_qubits=n, n_layers=L, init="uniform", random_state=n).initialize(1)
    H = n - 1
    ref = np.stack([reference_features(cell, X[b], res.weights_, n, H, ref_qnode(n)) for b in range(2)])
    for numpy_path in (False, True):
        feats = res.features(_run(res, X, numpy_path))
        np.testing.assert_allclose(feats, ref, atol=1e-10, rtol=0)


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_pennylane_backend_equals_fast_and_padding(cell, ref_qnode):
    """Two inputs, hidden size below n_qubits - n_inputs (zero-padded wire), paper init."""
    X = np.random.default_rng(0).normal(size=(4, 2))
    kw = dict(cell=cell, n_qubits=5, n_layers=2, hidden_size=2, random_state=3)
    fast = QuantumReservoir(**kw).initialize(2)
    pl = QuantumReservoir(backend="pennylane", **kw).initialize(2)
    np.testing.assert_array_equal(fast.weights_, pl.weights_)
    a, b = fast.run(X), pl.run(X)
    np.testing.assert_allclose(a, b, atol=1e-10, rtol=0)
    ref = reference_features(cell, X, fast.weights_, 5, 2, ref_qnode(5))
    np.testing.assert_allclose(fast.features(a), ref, atol=1e-10, rtol=0)


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_batched_chunked_and_step_runs_agree(cell):
    res = QuantumReservoir(cell=cell, init="uniform", random_state=1).initialize(1)
    X = np.random.default_rng(1).normal(size=(3, 12, 1))
    full = res.run(X)
    for b in range(3):
        np.testing.assert_allclose(res.run(X[b]), full[b], atol=1e-13)
    first = res.run(X[:, :5])
    np.testing.assert_allclose(res.run(X[:, 5:], state0=first[:, -1]), full[:, 5:], atol=1e-13)
    s = res.initial_state()
    for k in range(12):
        s = res.step(s, X[0, k])
        np.testing.assert_allclose(s, full[0, k], atol=1e-13)
    np.testing.assert_allclose(res.step(full[:, 3], X[:, 4]), full[:, 4], atol=1e-13)


def test_state_layout_and_features():
    X = np.random.default_rng(2).normal(size=(6, 1))
    lstm = QuantumReservoir(cell="lstm").initialize(1)
    assert lstm.n_states_ == 3 + 4 + 4 and lstm.n_features_out_ == 4
    st = lstm.run(X)
    np.testing.assert_array_equal(lstm.features(st), st[:, 7:])
    assert np.all(np.abs(st[:, :3]) <= 1) and np.all(np.abs(st[:, 7:]) <= 1)
    rnn = QuantumReservoir(cell="rnn").initialize(1)
    assert rnn.n_states_ == 3 and rnn.n_features_out_ == 3
    gru = QuantumReservoir(cell="gru", n_qubits=6).initialize(2)
    assert gru.n_states_ == 4 and gru.weights_.shape == (3, 2, 6, 3)


def test_weights_are_seeded_and_initialised_as_documented():
    a = QuantumReservoir(cell="lstm", random_state=5).initialize(1)
    b = clone(a).initialize(1)
    np.testing.assert_array_equal(a.weights_, b.weights_)
    assert a.weights_.shape == (6, 2, 4, 3)
    assert not np.array_equal(a.weights_, QuantumReservoir(cell="lstm", random_state=6).initialize(1).weights_)
    np.testing.assert_array_equal(a.weights_, init_weights(6, 2, 4, "paper", np.random.default_rng(5)))
    big = init_weights(6, 10, 8, "paper", np.random.default_rng(0))  # 1440 draws
    assert abs(big.std() - 0.01) < 0.001 and abs(big.mean()) < 0.001
    uni = init_weights(6, 10, 8, "uniform", np.random.default_rng(0))
    assert uni.min() >= 0 and uni.max() < 2 * np.pi and abs(uni.mean() - np.pi) < 0.25  # 5 sigma


def test_run_windows_resets_state_per_window():
    res = QuantumReservoir(cell="gru", init="uniform", random_state=2).initialize(1)
    W = np.random.default_rng(3).normal(size=(5, 4, 1))
    feats = res.run_windows(W)
    assert feats.shape == (5, 3)
    for i in range(5):
        np.testing.assert_allclose(feats[i], res.features(res.run(W[i]))[-1], atol=1e-14)
    np.testing.assert_allclose(res.run_windows(W[:, :, 0]), feats)  # 2-D windows: scalar input
    cat = res.run_windows(W, concat=True)
    assert cat.shape == (5, 12)
    np.testing.assert_allclose(cat[:, -3:], feats)


def test_shots_mode_converges_and_is_reproducible():
    X = np.random.default_rng(4).normal(size=(2, 5, 1))
    exact = QuantumReservoir(cell="lstm", init="uniform", random_state=0).initialize(1).run(X)
    errs = []
    for shots in (100, 1_000_000):
        res = QuantumReservoir(cell="lstm", init="uniform", shots=shots, random_state=0).initialize(1)
        noisy = res.run(X)
        np.testing.assert_array_equal(noisy, clone(res).initialize(1).run(X))  # same seed, same noise
        errs.append(np.abs(noisy - exact).max())
    assert errs[1] < 0.01 and errs[0] > 10 * errs[1]


def test_pennylane_backend_with_shots_runs_close_to_exact():
    X = np.random.default_rng(5).normal(size=(3, 1))
    kw = dict(cell="rnn", init="uniform", random_state=0)
    exact = QuantumReservoir(**kw).initialize(1).run(X)
    noisy = QuantumReservoir(backend="pennylane", shots=50_000, **kw).initialize(1).run(X)
    assert 0 < np.abs(noisy - exact).max() < 0.05


def test_paper_protocol_matches_reference_numbers():
    """Reference notes: QRNN test MSE (closed-form readout) 3.0e-4 damped oscillator, 3.6e-5 NARMA10."""
    from sklearn.linear_model import LinearRegression

    from rcpod.quantum.datasets import load_task

    for task, expected in (("damped_oscillator", 3.0e-4), ("narma10", 3.6e-5)):
        t = load_task(task)
        mses = []
        for seed in range(3):
            res = QuantumReservoir(cell="rnn", random_state=seed).initialize(1)
            lr = LinearRegression().fit(res.run_windows(t.X_train), t.y_train)
            mses.append(np.mean((lr.predict(res.run_windows(t.X_test)) - t.y_test) ** 2))
        assert expected / 3 < np.mean(mses) < expected * 3, (task, mses)


# -- bad input -------------------------------------------------------------------------------
def test_too_few_qubits_for_the_cell():
    with pytest.raises(ValueError, match="too small"):
        QuantumReservoir(n_qubits=1).initialize(1)
    with pytest.raises(ValueError, match="too small"):
        QuantumReservoir(cell="lstm", n_qubits=3).initialize(3)
    with pytest.raises(ValueError, match="hidden_size"):
        QuantumReservoir(n_qubits=4, hidden_size=4).initialize(1)


@pytest.mark.parametrize("backend", ["fast", "pennylane"])
def test_unknown_device(backend):
    with pytest.raises(ValueError, match="Unknown PennyLane device 'default.qubitt'"):
        QuantumReservoir(backend=backend, device="default.qubitt").initialize(1)


def test_non_finite_inputs():
    res = QuantumReservoir(cell="lstm").initialize(1)
    for bad in (np.nan, np.inf, -np.inf):
        X = np.zeros((4, 1))
        X[2, 0] = bad
        with pytest.raises(ValueError, match="NaN or infinity"):
            res.run(X)
        with pytest.raises(ValueError, match="NaN or infinity"):
            res.run_windows(X[None])
        with pytest.raises(ValueError, match="NaN or infinity"):
            res.step(res.initial_state(), np.array([bad]))
    with pytest.raises(ValueError, match="state0"):
        res.run(np.zeros((3, 1)), state0=np.full(res.n_states_, np.nan))


def test_windows_shorter_than_one_and_bad_shapes():
    res = QuantumReservoir().initialize(1)
    with pytest.raises(ValueError, match="w >= 1"):
        res.run_windows(np.zeros((5, 0, 1)))
    with pytest.raises(ValueError, match="w >= 1"):
        res.run_windows(np.zeros((5, 0)))
    with pytest.raises(ValueError, match="n_windows"):
        res.run_windows(np.zeros(5))
    with pytest.raises(ValueError, match="input features"):
        res.run_windows(np.zeros((5, 4, 2)))
    with pytest.raises(TypeError, match="numeric"):
        res.run_windows(np.array([["a"]]))


def test_too_many_qubits_for_fast_backend():
    with pytest.raises(ValueError, match="exceeds the fast backend's limit"):
        QuantumReservoir(n_qubits=MAX_FAST_QUBITS + 1).initialize(1)


@pytest.mark.parametrize("param, value, error", [
    ("cell", "transformer", ValueError), ("init", "zeros", ValueError),
    ("backend", "qiskit", ValueError), ("n_layers", 0, ValueError), ("shots", 0, ValueError),
    ("n_qubits", 2.5, TypeError), ("device", 3, TypeError),
])
def test_invalid_parameters(param, value, error):
    with pytest.raises(error, match=param):
        QuantumReservoir(**{param: value}).initialize(1)


def test_not_initialized():
    from sklearn.exceptions import NotFittedError
    with pytest.raises(NotFittedError):
        QuantumReservoir().run(np.zeros((3, 1)))
    with pytest.raises(NotFittedError):
        QuantumReservoir().run_windows(np.zeros((3, 4, 1)))


@pytest.mark.parametrize("kw", [dict(cell="lstm", init="uniform"), dict(cell="gru", shots=1000),
                                dict(cell="lstm", shots=100, measurements="xyz+zz")])
def test_save_load_roundtrip(tmp_path, kw):
    from rcpod.reservoir.persistence import load, save

    res = QuantumReservoir(random_state=4, **kw).initialize(1)
    X = np.random.default_rng(6).normal(size=(7, 1))
    path = save(res, tmp_path / "q.npz")
    loaded = load(path)
    np.testing.assert_array_equal(loaded.weights_, res.weights_)
    np.testing.assert_array_equal(loaded.run(X), res.run(X))  # same sampler seed with shots


def test_estimator_save_load_roundtrip(tmp_path):
    from rcpod.reservoir.persistence import load, save

    from rcpod.quantum.estimators import QuantumReservoirRegressor

    u = np.sin(np.linspace(0, 10, 120))[:, None]
    model = QuantumReservoirRegressor(cell="lstm", washout=5, random_state=0).fit(u[:-1], u[1:, 0])
    loaded = load(save(model, tmp_path / "m.npz"))
    np.testing.assert_allclose(loaded.predict(u[:-1]), model.predict(u[:-1]), atol=1e-12)
