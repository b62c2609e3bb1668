"""Tests of rcpod.reservoir.memory.memory_capacity: against reservoirpy, the bound MC <= N, the known
near-orthogonal / random contrast, and input validation."""
import numpy as np
import pytest
from reservoirpy.mat_gen import bernoulli
from reservoirpy.nodes import Reservoir, Ridge
from reservoirpy.observables import memory_capacity as rpy_memory_capacity
from sklearn.exceptions import NotFittedError

from rcpod.reservoir import ESN, ESNRegressor, ReservoirRegressor
from rcpod.reservoir.base import BaseReservoir
from rcpod.reservoir.memory import memory_capacity, memory_capacity_task

# near-linear reservoir: tiny input scaling keeps tanh in its linear range; rho = 0.9 keeps the
# aliasing of u[k-d] with u[k-d-N] in a ring small (rho^N); a tiny ridge, since the states are small
NEAR_LINEAR = dict(spectral_radius=0.9, input_scaling=1e-2)
NEAR_LINEAR_RIDGE = 1e-10


class DelayLine(BaseReservoir):
    """Shift register x[k] = (u[k], u[k-1], ..., u[k-N+1]): a reservoir of the protocol (default
    ``_run`` loop) whose memory is known exactly: MC_d = 1 for d < N and ~0 beyond."""

    def __init__(self, n_units=5):
        self.n_units = n_units

    def _initialize(self, n_inputs):
        self.n_inputs_, self.n_states_ = n_inputs, self.n_units

    def _step(self, state, u):
        return np.concatenate([u[..., :1], state[..., :-1]], axis=-1)


def _rpy_pair(units, sr, input_scaling, lr, bias, seed):
    """A reservoirpy Reservoir >> Ridge model and our ESN on the same weights."""
    res = Reservoir(units, sr=sr, lr=lr, input_scaling=input_scaling, bias=bias, seed=seed)
    res.initialize(np.zeros((1, 1)))  # draw the weights once; the model copy reuses them
    esn = ESN.from_weights(res.W, res.Win, res.bias, leak_rate=lr)
    return res, esn


@pytest.mark.parametrize("units, sr, input_scaling, lr, bias, k_max, test_size, ridge", [
    (30, 0.9, 0.5, 1.0, 0.0, 60, 0.2, 1e-6),
    (40, 0.8, 1.0, 0.6, bernoulli, 50, 0.25, 1e-5),
    (20, 0.95, 0.2, 1.0, bernoulli, 30, 150, 1e-6),
])
def test_matches_reservoirpy_per_delay(units, sr, input_scaling, lr, bias, k_max, test_size,
                                       ridge):
    res, esn = _rpy_pair(units, sr, input_scaling, lr, bias, seed=7)
    series = np.random.default_rng(11).uniform(-0.8, 0.8, size=(10 * k_max, 1))
    ref = rpy_memory_capacity(res >> Ridge(ridge=ridge), k_max, as_list=True, series=series,
                              test_size=test_size)
    total, curve = memory_capacity(esn, k_max, series=series, test_size=test_size, ridge=ridge,
                                   return_curve=True)
    assert curve.shape == (k_max,)
    np.testing.assert_allclose(curve, ref, rtol=0, atol=1e-5)
    assert total == pytest.approx(np.sum(ref), abs=1e-4)
    assert 1.0 < total < units


def test_default_series_matches_reservoirpy_seed():
    res, esn = _rpy_pair(25, 0.9, 0.5, 1.0, 0.0, seed=3)
    ref = rpy_memory_capacity(res >> Ridge(ridge=1e-6), 50, as_list=True, seed=5)
    curve = memory_capacity(esn, 50, ridge=1e-6, random_state=5, return_curve=True)[1]
    np.testing.assert_allclose(curve, ref, atol=1e-5)


def test_task_layout():
    u = np.arange(10.0)
    inputs, targets = memory_capacity_task(u, 3)
    np.testing.assert_array_equal(inputs[:, 0], u[3:])
    for d in (1, 2, 3):
        np.testing.assert_array_equal(targets[:, d - 1], u[3 - d:10 - d])


@pytest.mark.parametrize("w_init", ["orthogonal", "normal"])
def test_bound_mc_le_n(w_init):
    # long test set: the positive bias of estimated squared correlations is ~ k_max / test_len
    N, k_max = 10, 30
    series = np.random.default_rng(0).uniform(-0.8, 0.8, size=12000)
    esn = ESN(n_units=N, w_init=w_init, density=1.0, random_state=1, **NEAR_LINEAR)
    mc, curve = memory_capacity(esn, k_max, series=series, test_size=0.5,
                                ridge=NEAR_LINEAR_RIDGE, return_curve=True)
    assert np.all((curve >= 0) & (curve <= 1))
    assert mc <= N + k_max / 6000 * 3
    if w_init == "orthogonal":
        assert mc > 0.9 * N  # and the bound is nearly reached


@pytest.mark.parametrize("N", [20, 50])
@pytest.mark.parametrize("w_init", ["ring", "orthogonal"])
def test_near_orthogonal_reaches_n(N, w_init):
    esn = ESN(n_units=N, w_init=w_init, random_state=0, **NEAR_LINEAR)
    mc = memory_capacity(esn, 2 * N, series=np.random.default_rng(1).uniform(-0.8, 0.8, 40 * N),
                         ridge=NEAR_LINEAR_RIDGE)
    assert 0.9 * N <= mc <= 1.02 * N


def test_random_normal_about_half_n():
    N = 50
    series = np.random.default_rng(2).uniform(-0.8, 0.8, 40 * N)
    kw = dict(series=series, ridge=NEAR_LINEAR_RIDGE)
    normal = np.mean([memory_capacity(ESN(n_units=N, density=1.0, random_state=s,
                                          **NEAR_LINEAR), 2 * N, **kw) for s in range(3)])
    ortho = memory_capacity(ESN(n_units=N, w_init="orthogonal", random_state=0, **NEAR_LINEAR),
                            2 * N, **kw)
    assert 0.35 * N <= normal <= 0.75 * N
    assert normal < ortho - 0.15 * N


def test_nonlinear_reservoir_loses_memory():
    N = 30
    series = np.random.default_rng(3).uniform(-0.8, 0.8, 40 * N)
    linear = memory_capacity(ESN(n_units=N, w_init="ring", random_state=0, **NEAR_LINEAR),
                             series=series, ridge=NEAR_LINEAR_RIDGE)
    saturated = memory_capacity(ESN(n_units=N, w_init="ring", spectral_radius=0.9,
                                    input_scaling=3.0, random_state=0), series=series)
    assert saturated < linear - 5


def test_delay_line_closed_form():
    N, k_max = 8, 16
    series = np.random.default_rng(6).uniform(-0.8, 0.8, 4000)
    mc, curve = memory_capacity(DelayLine(N), k_max, series=series, return_curve=True)
    np.testing.assert_allclose(curve[:N - 1], 1.0, atol=1e-9)  # exact recall of u[k-1..k-N+1]
    assert np.all(curve[N - 1:] < 0.01)  # nothing beyond: i.i.d. input, only sampling noise
    assert mc == pytest.approx(N - 1, abs=0.05)


def test_accepts_uninitialized_reservoir_and_estimators():
    series = np.random.default_rng(4).uniform(-0.8, 0.8, 800)
    esn = ESN(n_units=20, random_state=0)
    mc_a = memory_capacity(esn, 40, series=series)
    assert not hasattr(esn, "n_states_")  # the caller's object is not initialized
    mc_b = memory_capacity(ESN(n_units=20, random_state=0).initialize(1), 40, series=series)
    assert mc_a == pytest.approx(mc_b, abs=1e-12)
    u = series[:300, None]
    est = ESNRegressor(n_units=20, random_state=0, washout=10).fit(u[:-1], u[1:, 0])
    assert memory_capacity(est, 40, series=series) == pytest.approx(mc_a, abs=1e-12)
    est2 = ReservoirRegressor(ESN(n_units=20, random_state=0)).fit(u[:-1], u[1:, 0])
    assert memory_capacity(est2, 40, series=series) == pytest.approx(mc_a, abs=1e-12)
    # default k_max = 2 N, default series of length 10 k_max
    mc, curve = memory_capacity(esn, random_state=0, return_curve=True)
    assert curve.shape == (40,)
    assert mc == memory_capacity(esn, 40, random_state=0)


def test_bad_input():
    esn = ESN(n_units=10, random_state=0)
    good = np.random.default_rng(0).uniform(-0.8, 0.8, 400)
    with pytest.raises(ValueError, match="k_max"):
        memory_capacity(esn, 0, series=good)
    with pytest.raises(ValueError, match="NaN"):
        memory_capacity(esn, 20, series=np.r_[good[:-1], np.nan])
    with pytest.raises(ValueError, match="too short"):
        memory_capacity(esn, 20, series=good[:50])
    with pytest.raises(ValueError, match=r"shape \(T,\) or \(T, 1\)"):
        memory_capacity(esn, 20, series=good.reshape(200, 2))
    with pytest.raises(ValueError, match="test_size"):
        memory_capacity(esn, 20, series=good, test_size=1.5)
    with pytest.raises(ValueError, match="ridge"):
        memory_capacity(esn, 20, series=good, ridge=-1.0)
    with pytest.raises(ValueError, match="n_inputs=2"):
        memory_capacity(ESN(n_units=10, random_state=0).initialize(2), 20, series=good)
    with pytest.raises(TypeError, match="reservoir must be"):
        memory_capacity(np.eye(3), 20, series=good)
    with pytest.raises(NotFittedError):
        memory_capacity(ESNRegressor(n_units=10), 20, series=good)


@pytest.mark.parametrize("kwargs, match", [
    (dict(k_max=20.0), "^k_max must be an int"),
    (dict(washout="5"), "^washout must be an int"),
    (dict(test_size=True), "^test_size must be an int .* or a finite float"),
    (dict(ridge="1e-8"), "^ridge must be a finite float"),
    (dict(series=np.array(["a"] * 400)), "^series must be a numeric array"),
])
def test_wrong_types_raise_type_error(kwargs, match):
    args = dict(k_max=20, series=np.random.default_rng(0).uniform(-0.8, 0.8, 400)) | kwargs
    with pytest.raises(TypeError, match=match):
        memory_capacity(ESN(n_units=10, random_state=0), **args)
