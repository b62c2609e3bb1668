import numpy as np
import pytest
from scipy.integrate import solve_ivp

from rcpod.quantum import datasets as ds


def test_damped_oscillator_matches_tight_ode_solution():
    t, omega = ds.damped_oscillator()
    assert t.shape == (240,) and t[-1] == 20.0 and omega[0] == 3.0
    sol = solve_ivp(lambda _t, y: [y[1], -0.15 * y[1] - 9.81 * np.sin(y[0])], (0, 20), [0.0, 3.0],
                    t_eval=t, rtol=1e-11, atol=1e-12)
    np.testing.assert_allclose(omega, sol.y[1], atol=1e-5)


def test_bessel_and_delayed_control():
    x, j2 = ds.bessel_j2()
    assert x.shape == (256,) and x[0] == 2 and x[-1] == 100
    assert abs(j2[0] - 0.3528340286156377) < 1e-13  # J_2(2)
    x, s = ds.delayed_quantum_control()
    assert len(x) == 2200
    k = np.argmin(np.abs(x - 4.0))
    assert abs(s[k] - np.exp(-4 / 16) - sum(np.exp(-10 * (4 - 2 * n) ** 2) * np.exp(-4 / 16)
                                             for n in range(11) if n != 2)) < 1e-12


@pytest.mark.parametrize("order", [5, 10])
def test_narma_recursion(order):
    u, y = ds.narma_qrnn(order=order)
    assert u.shape == y.shape == (300,) and y[0] == 0.196
    assert np.all((u >= 0) & (u <= 0.2)) and u[0] == 0.1
    for t in range(order, 299):  # away from the zero-padded start, the textbook recursion
        expected = 0.3 * y[t] + 0.05 * y[t] * y[t - order + 1:t + 1].sum() + 1.5 * u[t - order + 1] * u[t] + 0.1
        assert abs(y[t + 1] - expected) < 1e-15
    assert abs(y[1] - (0.3 * 0.196 + 0.05 * 0.196 ** 2 + 0.1)) < 1e-15  # u_{-n+1} = 0


def test_narma_is_a_deprecated_alias_of_narma_qrnn():
    with pytest.warns(FutureWarning, match="narma_qrnn"):
        u, y = ds.narma(order=5, T=50)
    u2, y2 = ds.narma_qrnn(order=5, T=50)
    np.testing.assert_array_equal(u, u2)
    np.testing.assert_array_equal(y, y2)


def test_windows_split_and_scaling():
    s = np.arange(10.0)
    X, y = ds.make_windows(s, window=4)
    assert X.shape == (5, 4, 1)  # len - w - 1, as in the authors' code
    np.testing.assert_array_equal(X[1, :, 0], [1, 2, 3, 4])
    assert y[1] == 5
    Xtr, ytr, Xte, yte = ds.chrono_split(X, y, 0.67)
    assert len(Xtr) == 3 and len(Xte) == 2 and ytr[-1] < yte[0]
    sc = ds.minmax_scale(np.array([2.0, 4.0, 3.0]))
    np.testing.assert_allclose(sc, [-1, 1, 0])
    with pytest.raises(ValueError, match="window"):
        ds.make_windows(s, window=0)
    with pytest.raises(ValueError, match="too short"):
        ds.make_windows(s[:4], window=4)


@pytest.mark.parametrize("name, n_windows", [("damped_oscillator", 235), ("bessel_j2", 251),
                                             ("delayed_quantum_control", 2195), ("narma5", 295),
                                             ("narma10", 295), ("sine", 235)])
def test_load_task(name, n_windows):
    t = ds.load_task(name)
    assert len(t.X_train) == int(0.67 * n_windows) and len(t.X_train) + len(t.X_test) == n_windows
    assert t.X_train.shape[1:] == (4, 1)
    if not name.startswith("narma"):
        allx = np.concatenate([t.X_train[:, 0, 0], t.X_test[:, 0, 0]])
        assert allx.min() == -1.0 and allx.max() <= 1.0
    with pytest.raises(ValueError, match="unknown task"):
        ds.load_task("mackey_glass")
