"""Tests of rcpod.reservoir.datasets.narma against hand-computed values and an independent loop."""
import numpy as np
import pytest

from rcpod.reservoir.datasets import NARMADivergenceError, narma


def _narma_reference(u, n):
    """Independent NARMA-n: y[t] written in terms of the previous step (t = k + 1), the window
    sum as a dot product over an explicit index list, zero for every y index below n."""
    T = len(u)
    y = np.zeros(T)
    for t in range(n, T):
        past = [t - 1 - i for i in range(n)]  # k, k-1, ..., k-n+1 with k = t-1
        s = float(np.dot(np.ones(n), y[past]))
        y[t] = 0.3 * y[t - 1] + 0.05 * y[t - 1] * s + 1.5 * u[t - n] * u[t - 1] + 0.1
    return y


def test_hand_computed_narma2():
    u = np.array([0.1, 0.2, 0.3, 0.4, 0.5])
    u_out, y = narma(2, 5, inputs=u, discard=0)
    np.testing.assert_array_equal(u_out[:, 0], u)
    # y[0] = y[1] = 0; y[2] = 1.5 u0 u1 + 0.1; y[3] = 0.3 y2 + 0.05 y2 (y2 + y1) + 1.5 u1 u2 + 0.1
    y2 = 1.5 * 0.1 * 0.2 + 0.1
    y3 = 0.3 * 0.13 + 0.05 * 0.13 * 0.13 + 1.5 * 0.2 * 0.3 + 0.1
    y4 = 0.3 * y3 + 0.05 * y3 * (y3 + y2) + 1.5 * 0.3 * 0.4 + 0.1
    np.testing.assert_allclose(y[:, 0], [0.0, 0.0, 0.13, 0.229845, y4], rtol=1e-14, atol=0)
    assert y2 == pytest.approx(0.13) and y3 == pytest.approx(0.229845, abs=1e-15)
    assert y4 == pytest.approx(0.3530889287, abs=1e-10)


def test_narma10_first_steps_explicit():
    # constant input 0.5: y[10] = 1.5 * 0.25 + 0.1, then the window sum enters
    u = np.full(13, 0.5)
    _, y = narma(10, 13, inputs=u, discard=0)
    assert np.all(y[:10] == 0.0)
    y10 = 0.475
    y11 = 0.3 * y10 + 0.05 * y10 * y10 + 0.475
    y12 = 0.3 * y11 + 0.05 * y11 * (y11 + y10) + 0.475
    np.testing.assert_allclose(y[10:, 0], [y10, y11, y12], rtol=1e-14)


@pytest.mark.parametrize("n", [3, 10])
def test_matches_independent_loop(n):
    rng = np.random.default_rng(5)
    u = rng.uniform(0, 0.5, size=700)
    _, y = narma(n, 500, inputs=u, discard=200)
    np.testing.assert_allclose(y[:, 0], _narma_reference(u, n)[200:], rtol=1e-12, atol=1e-15)


def test_shapes_seeds_range_and_discard():
    u, y = narma(10, 1000, random_state=0)
    assert u.shape == (1000, 1) and y.shape == (1000, 1)
    assert u.min() >= 0 and u.max() <= 0.5
    assert 0.0 < y.min() and y.max() < 1.5  # NARMA10 stays in this band
    u2, y2 = narma(10, 1000, random_state=0)
    np.testing.assert_array_equal(y, y2)
    u3, _ = narma(10, 1000, random_state=1)
    assert not np.array_equal(u, u3)
    # discard only drops the head of the same underlying series
    u0, y0 = narma(10, 1200, random_state=0, discard=0)
    np.testing.assert_array_equal(u0[200:], u)
    np.testing.assert_array_equal(y0[200:], y)
    uu, _ = narma(10, 100, random_state=np.random.default_rng(3), input_range=(0.1, 0.3))
    assert uu.min() >= 0.1 and uu.max() <= 0.3


def test_divergence_raises_with_step():
    # a large input drives the quadratic term over the bound
    with pytest.raises(NARMADivergenceError, match=r"NARMA10 diverged at step k=\d+") as info:
        narma(10, 500, random_state=0, input_range=(0.0, 2.0))
    assert isinstance(info.value, RuntimeError)
    assert info.value.step >= 10 and abs(info.value.value) > 10.0
    # the reported step is the first index beyond the bound
    u = np.random.default_rng(0).uniform(0.0, 2.0, size=700)
    y = _narma_reference(u[:info.value.step], 10)
    assert np.all(np.abs(y) <= 10.0)
    # NARMA20 with these constants (no tanh) diverges as well
    with pytest.raises(NARMADivergenceError, match="NARMA20"):
        narma(20, 3000, random_state=0)


@pytest.mark.parametrize("kwargs, match", [
    (dict(n=10, length=0), "length"),
    (dict(length=10, n=0), "^n == 0, must be >= 1"),
    (dict(n=10, length=10, discard=-1), "discard"),
    (dict(n=10, length=10, input_range=(0.5, 0.0)), "input_range"),
    (dict(n=10, length=10, input_range=0.5), "input_range"),
    (dict(n=10, length=10, max_abs=0.0), "max_abs"),
    (dict(n=10, length=10, discard=0, inputs=np.zeros(9)), "inputs must have shape"),
    (dict(n=10, length=3, discard=0, inputs=[0.1, np.nan, 0.2]), "NaN"),
])
def test_bad_parameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        narma(**kwargs)


@pytest.mark.parametrize("kwargs, match", [
    (dict(n=10.0, length=10), "^n must be an int"),
    (dict(n=10, length=True), "^length must be an int"),
    (dict(n=10, length=10, discard="5"), "^discard must be an int"),
    (dict(n=10, length=10, max_abs="10"), "^max_abs must be a finite float"),
    (dict(n=10, length=3, discard=0, inputs=["a", "b", "c"]), "^inputs must be a numeric array"),
])
def test_wrong_types_raise_type_error(kwargs, match):
    with pytest.raises(TypeError, match=match):
        narma(**kwargs)
