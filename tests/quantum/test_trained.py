"""Fully trained QRNN/QLSTM/QGRU: values against the frozen reservoir, gradients against finite
differences and against PennyLane QNode backpropagation, and a few training steps."""
import numpy as np
import pytest

from rcpod.quantum import QuantumReservoir
from rcpod.quantum.cells import make_cell
from rcpod.quantum.circuits import variational_unitary
from rcpod.quantum.trained import (TrainedQuantumRNN, cnot_permutation, differentiable_unitary,
                             model_loss, model_loss_and_grad)


def _windows(n, w=4, seed=0):
    s = np.sin(np.linspace(0, 6, n + w + 1))
    X = np.stack([s[i:i + w] for i in range(n)])[:, :, None]
    return X, s[w:n + w]


def test_unitary_equals_qml_matrix():
    w = np.random.default_rng(0).uniform(0, 2 * np.pi, (2, 4, 3))
    U = differentiable_unitary(w, cnot_permutation(4))
    np.testing.assert_allclose(U, variational_unitary(w), atol=1e-13)


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_untrained_model_is_the_reservoir(cell):
    X, y = _windows(6)
    model = TrainedQuantumRNN(cell=cell, init="uniform", epochs=0, random_state=4).fit(X, y)
    res = QuantumReservoir(cell=cell, init="uniform", random_state=4).initialize(1)
    np.testing.assert_array_equal(model.initial_weights_, res.weights_)
    np.testing.assert_allclose(model.features(X), res.run_windows(X), atol=1e-13)
    assert model.train_mse_.shape == (1,)


@pytest.mark.parametrize("cell,n_layers,coords", [("rnn", 1, None), ("gru", 1, 8), ("lstm", 1, 8)])
def test_gradient_matches_finite_differences(cell, n_layers, coords):
    rng = np.random.default_rng(1)
    c = make_cell(cell, 3, 1)
    X = rng.uniform(-1, 1, (3, 2, 1))
    y = rng.uniform(-1, 1, 3)
    W = rng.uniform(0, 2 * np.pi, (c.n_circuits, n_layers, 3, 3))
    coef = rng.normal(size=c.n_features)
    b = np.array(0.2)
    loss, (gW, gc, gb) = model_loss_and_grad(c, W, coef, b, X, y)
    assert loss == pytest.approx(float(model_loss(c, W, coef, b, X, y)), rel=1e-14)
    f = lambda W_, c_, b_: float(model_loss(c, W_, c_, b_, X, y))  # noqa: E731
    h = 1e-6
    idx = list(np.ndindex(W.shape))
    if coords is not None:
        idx = [idx[i] for i in rng.choice(len(idx), coords, replace=False)]
    for i in idx:
        Wp, Wm = W.copy(), W.copy()
        Wp[i] += h
        Wm[i] -= h
        assert gW[i] == pytest.approx((f(Wp, coef, b) - f(Wm, coef, b)) / (2 * h), abs=1e-8)
    for j in range(len(coef)):
        cp, cm = coef.copy(), coef.copy()
        cp[j] += h
        cm[j] -= h
        assert gc[j] == pytest.approx((f(W, cp, b) - f(W, cm, b)) / (2 * h), abs=1e-8)
    assert gb == pytest.approx((f(W, coef, b + h) - f(W, coef, b - h)) / (2 * h), abs=1e-8)


def test_matrix_backend_gradient_equals_qnode_backprop():
    rng = np.random.default_rng(2)
    c = make_cell("gru", 4, 1)
    X = rng.uniform(-1, 1, (2, 2, 1))
    y = rng.uniform(-1, 1, 2)
    W = rng.uniform(0, 2 * np.pi, (3, 1, 4, 3))
    coef, b = rng.normal(size=3), np.array(-0.1)
    l1, g1 = model_loss_and_grad(c, W, coef, b, X, y, backend="matrix")
    l2, g2 = model_loss_and_grad(c, W, coef, b, X, y, backend="qnode")
    assert l1 == pytest.approx(l2, abs=1e-13)
    for a, q in zip(g1, g2):
        np.testing.assert_allclose(a, q, atol=1e-12)


@pytest.mark.parametrize("old, new", [("matrix", "fast"), ("qnode", "pennylane")])
def test_0_1_backend_names_are_deprecated_aliases(old, new):
    rng = np.random.default_rng(3)
    c = make_cell("rnn", 2, 1)
    X, y = rng.uniform(-1, 1, (3, 2, 1)), rng.uniform(-1, 1, 3)
    W, coef = rng.uniform(0, 2 * np.pi, (1, 1, 2, 3)), rng.normal(size=1)
    with pytest.warns(FutureWarning, match=f"backend='{new}'"):
        l_old, g_old = model_loss_and_grad(c, W, coef, 0.1, X, y, backend=old)
    l_new, g_new = model_loss_and_grad(c, W, coef, 0.1, X, y, backend=new)
    assert l_old == l_new
    for a, b in zip(g_old, g_new):
        np.testing.assert_array_equal(a, b)
    if new == "fast":   # the estimator: same model, one warning per fit
        Xw, yw = _windows(4)
        kw = dict(n_qubits=2, n_layers=1, epochs=1, random_state=0)
        with pytest.warns(FutureWarning) as caught:
            m_old = TrainedQuantumRNN(backend=old, **kw).fit(Xw, yw)
        assert len([w for w in caught if issubclass(w.category, FutureWarning)]) == 1
        np.testing.assert_array_equal(m_old.weights_, TrainedQuantumRNN(**kw).fit(Xw, yw).weights_)


def test_a_few_epochs_reduce_the_loss():
    X, y = _windows(30)
    m = TrainedQuantumRNN(cell="rnn", n_layers=1, epochs=3, random_state=0)
    m.fit(X[:20], y[:20], eval_set=(X[20:], y[20:]))
    assert m.n_iter_ == 3 and m.train_mse_.shape == m.test_mse_.shape == (4,)
    assert m.train_mse_[-1] < 0.5 * m.train_mse_[0]
    assert not np.array_equal(m.weights_, m.initial_weights_)  # the circuits were trained too
    assert m.test_mse_[-1] == pytest.approx(np.mean((m.predict(X[20:]) - y[20:]) ** 2), rel=1e-12)


def test_bad_parameters():
    X, y = _windows(5)
    with pytest.raises(ValueError, match="cell"):
        TrainedQuantumRNN(cell="transformer").fit(X, y)
    with pytest.raises(ValueError, match="backend"):
        TrainedQuantumRNN(backend="gpu").fit(X, y)
    with pytest.raises(ValueError, match="y must have shape"):
        TrainedQuantumRNN(epochs=0).fit(X, y[:3])
    with pytest.raises(ValueError, match="NaN"):
        TrainedQuantumRNN(epochs=0).fit(np.full_like(X, np.nan), y)
