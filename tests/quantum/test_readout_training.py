"""RMSprop readout training: PyTorch's update equations by hand, convergence to least squares."""
import numpy as np
import pytest

from rcpod.quantum.readout_training import (RMSprop, RMSpropReadout, minibatches, mse_linear_grad,
                                      train_linear_readout)

X2 = np.array([[1.0, 2.0], [3.0, -1.0]])
Y2 = np.array([1.0, 0.0])


def test_two_steps_by_hand():
    # full batch, no shuffle: two RMSprop(lr=0.01, alpha=0.99, eps=1e-8) steps from a fixed start
    res = train_linear_readout(X2, Y2, epochs=2, batch_size=2, shuffle=False,
                               init_coef=[0.5, -0.5], init_intercept=0.1, random_state=0)
    # step 1: residuals [-1.4, 2.1]; MSE gradient 2/2 R^T X = [4.9, -4.9], bias 0.7;
    # v1 = 0.01 g^2, so each parameter moves by lr * g / (0.1 |g| + eps) ~ 0.1 sign(g)
    g1 = np.array([4.9, -4.9, 0.7])
    theta1 = np.array([0.5, -0.5, 0.1]) - 0.01 * g1 / (np.sqrt(0.01 * g1 ** 2) + 1e-8)
    np.testing.assert_allclose(theta1, [0.4, -0.4, 0.0], atol=1e-7)  # eps shifts it ~1e-8
    # step 2: residuals ~[-1.4, 1.6] -> gradient ~[3.4, -4.4], bias ~0.2 (exactly from theta1)
    r2 = X2 @ theta1[:2] + theta1[2] - Y2
    g2 = np.array([r2 @ X2[:, 0], r2 @ X2[:, 1], r2.sum()])
    np.testing.assert_allclose(g2, [3.4, -4.4, 0.2], atol=1e-6)
    v2 = 0.99 * 0.01 * g1 ** 2 + 0.01 * g2 ** 2
    theta2 = theta1 - 0.01 * g2 / (np.sqrt(v2) + 1e-8)
    np.testing.assert_allclose(np.r_[res.coef[0], res.intercept], theta2, rtol=0, atol=1e-12)
    assert res.n_steps == 2
    # learning curve entries are whole-set MSEs of the start and of each epoch's parameters
    assert res.train_mse[0] == pytest.approx(np.mean([1.4 ** 2, 2.1 ** 2]))
    assert res.train_mse[1] == pytest.approx(np.mean([1.4 ** 2, 1.6 ** 2]), abs=1e-7)
    pred = X2 @ theta2[:2] + theta2[2]
    assert res.train_mse[2] == pytest.approx(np.mean((pred - Y2) ** 2), rel=1e-12)


def _torch_rmsprop_reference(theta, grad_fn, steps, lr, alpha, eps, wd, mu, centered):
    """The algorithm box of torch.optim.RMSprop, written out scalar by scalar."""
    theta = list(theta)
    v = [0.0] * len(theta)
    b = [0.0] * len(theta)
    gave = [0.0] * len(theta)
    for _ in range(steps):
        g = list(grad_fn(np.array(theta)))
        for k in range(len(theta)):
            gk = g[k] + wd * theta[k] if wd != 0 else g[k]
            v[k] = alpha * v[k] + (1 - alpha) * gk * gk
            vt = v[k]
            if centered:
                gave[k] = gave[k] * alpha + (1 - alpha) * gk
                vt = vt - gave[k] ** 2
            if mu > 0:
                b[k] = mu * b[k] + gk / (np.sqrt(vt) + eps)
                theta[k] = theta[k] - lr * b[k]
            else:
                theta[k] = theta[k] - lr * gk / (np.sqrt(vt) + eps)
    return np.array(theta)


@pytest.mark.parametrize("wd,mu,centered", [(0.0, 0.0, False), (0.1, 0.9, False),
                                            (0.0, 0.5, True), (0.05, 0.0, True)])
def test_rmsprop_matches_torch_algorithm(wd, mu, centered):
    A = np.array([[2.0, -1.0, 0.5], [0.3, 1.5, -2.0]])
    t = np.array([1.0, -0.5])
    grad_fn = lambda th: A.T @ (A @ th - t)  # noqa: E731
    theta0 = np.array([0.2, -0.1, 0.7])
    expected = _torch_rmsprop_reference(theta0, grad_fn, 5, 0.05, 0.9, 1e-3, wd, mu, centered)
    p = theta0.copy()
    opt = RMSprop([p], lr=0.05, alpha=0.9, eps=1e-3, weight_decay=wd, momentum=mu,
                  centered=centered)
    for _ in range(5):
        opt.step([grad_fn(p)])
    np.testing.assert_allclose(p, expected, rtol=1e-13, atol=1e-15)


def test_mse_gradient_matches_finite_differences():
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(7, 3)), rng.normal(size=(7, 2))
    W, b = rng.normal(size=(2, 3)), rng.normal(size=2)
    _, gW, gb = mse_linear_grad(X, Y, W, b)
    h = 1e-6
    for (i, j) in [(0, 0), (1, 2)]:
        Wp, Wm = W.copy(), W.copy()
        Wp[i, j] += h
        Wm[i, j] -= h
        fd = (mse_linear_grad(X, Y, Wp, b)[0] - mse_linear_grad(X, Y, Wm, b)[0]) / (2 * h)
        assert gW[i, j] == pytest.approx(fd, rel=1e-6)
    bp = b.copy()
    bp[1] += h
    fd = (mse_linear_grad(X, Y, W, bp)[0] - mse_linear_grad(X, Y, W, b)[0]) / h
    assert gb[1] == pytest.approx(fd, rel=1e-4)


def test_converges_to_least_squares():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(40, 3))
    y = X @ np.array([0.4, -0.3, 0.2]) + 0.1 + 0.05 * rng.normal(size=40)
    res = train_linear_readout(X, y, epochs=400, lr=0.003, random_state=2)
    A = np.c_[X, np.ones(len(X))]
    sol = np.linalg.lstsq(A, y, rcond=None)[0]
    np.testing.assert_allclose(np.r_[res.coef[0], res.intercept], sol, atol=2e-3)
    opt_mse = np.mean((A @ sol - y) ** 2)
    assert res.train_mse[-1] == pytest.approx(opt_mse, rel=1e-2)
    assert res.train_mse[-1] < 1e-2 * res.train_mse[0]


def test_minibatches_like_dataloader():
    rng = np.random.default_rng(0)
    batches = minibatches(23, 10, True, rng)
    assert [len(b) for b in batches] == [10, 10, 3]
    assert sorted(np.concatenate(batches).tolist()) == list(range(23))
    assert np.concatenate(minibatches(5, 2, False, rng)).tolist() == [0, 1, 2, 3, 4]


def test_estimator_and_eval_set():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(30, 2))
    y = X @ [0.5, -0.2] + 0.1
    r = RMSpropReadout(epochs=5, random_state=0).fit(X[:20], y[:20], eval_set=(X[20:], y[20:]))
    assert r.coef_.shape == (2,) and isinstance(r.intercept_, float)
    assert r.train_mse_.shape == r.test_mse_.shape == (6,)
    assert r.test_mse_[-1] == pytest.approx(np.mean((r.predict(X[20:]) - y[20:]) ** 2))
    # same seed, same result; the initial layer is nn.Linear's U(-1/sqrt(p), 1/sqrt(p))
    r2 = RMSpropReadout(epochs=5, random_state=0).fit(X[:20], y[:20])
    np.testing.assert_array_equal(r.coef_, r2.coef_)
    r0 = train_linear_readout(X, y, epochs=0, random_state=5)
    assert np.all(np.abs(r0.coef) <= 1 / np.sqrt(2)) and r0.train_mse.shape == (1,)


def test_bad_input():
    with pytest.raises(ValueError, match="NaN"):
        train_linear_readout(np.array([[np.nan, 1.0]]), [1.0])
    with pytest.raises(ValueError, match="y_train"):
        train_linear_readout(X2, [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="together"):
        train_linear_readout(X2, Y2, X_test=X2)
    with pytest.raises(ValueError, match="alpha"):
        RMSprop([np.zeros(2)], alpha=1.0)
    with pytest.raises(ValueError, match="epochs"):
        train_linear_readout(X2, Y2, epochs=-1)
    with pytest.raises(ValueError, match="grads"):
        RMSprop([np.zeros(2)]).step([np.zeros(3)])
