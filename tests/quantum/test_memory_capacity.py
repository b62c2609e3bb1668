"""Memory capacity of the quantum reservoirs: the bound MC <= readout features, and the same
number as the package's routine on the same features, computed independently (scikit-learn)."""
import numpy as np
import pytest
from sklearn.linear_model import Ridge

from rcpod.quantum import QuantumReservoir
from rcpod.reservoir import BaseReservoir, memory_capacity
from rcpod.reservoir.memory import memory_capacity_task

K_MAX, T = 30, 900


class Replay(BaseReservoir):
    """A 'reservoir' whose states are recorded features (what an ESN hands the routine)."""

    def __init__(self, recorded=None):
        self.recorded = recorded

    def _initialize(self, n_inputs):
        self.n_inputs_, self.n_states_ = n_inputs, self.recorded.shape[1]

    def _run(self, inputs, state0):
        assert inputs.shape[0] == self.recorded.shape[0]
        return self.recorded.copy()


class DelayLine(BaseReservoir):
    """x_t = (u_t, u_{t-1}, ..., u_{t-F+1}): MC = F - 1 exactly (delays 1..F-1)."""

    def __init__(self, n_units=5):
        self.n_units = n_units

    def _initialize(self, n_inputs):
        self.n_inputs_, self.n_states_ = n_inputs, self.n_units

    def _step(self, state, u):
        return np.concatenate([u, state[..., :-1]], axis=-1)


def _series(seed):
    return np.random.default_rng(seed).uniform(-0.8, 0.8, T)


def _sklearn_mc(features, u, ridge=1e-8, test_size=0.2):
    """The memory capacity written out with scikit-learn's Ridge and numpy's corrcoef."""
    _, targets = memory_capacity_task(u, K_MAX)
    n_rows = u.shape[0] - K_MAX
    test = int(round(u.shape[0] * test_size))
    split = n_rows - test
    total = 0.0
    for d in range(K_MAX):
        model = Ridge(alpha=ridge, fit_intercept=True).fit(features[K_MAX:split], targets[K_MAX:split, d])
        total += np.corrcoef(model.predict(features[split:]), targets[split:, d])[0, 1] ** 2
    return total


QUANTUM = [dict(cell=c, init=i, measurements=m) for c in ("rnn", "lstm", "gru")
           for i, m in (("paper", "reference"), ("uniform", "reference"), ("uniform", "xyz+zz"))]


@pytest.mark.parametrize("kw", QUANTUM, ids=lambda kw: "-".join(kw.values()))
def test_memory_capacity_bounded_and_equal_to_independent_computation(kw):
    res = QuantumReservoir(n_qubits=3, n_layers=2, random_state=1, **kw).initialize(1)
    u = _series(2)
    mc, curve = memory_capacity(res, K_MAX, series=u, return_curve=True)
    n_feat = res.n_features_out_
    assert K_MAX > n_feat                       # the bound, not k_max, is what limits MC
    assert 0 < mc <= n_feat and np.all((curve >= 0) & (curve <= 1))
    inputs, _ = memory_capacity_task(u, K_MAX)
    feats = res.features(res.run(inputs))
    # same features into the routine (as an ESN's states would go in) -> the same number
    assert memory_capacity(Replay(feats), K_MAX, series=u) == pytest.approx(mc, abs=1e-12)
    # and an independent implementation of the protocol agrees
    assert _sklearn_mc(feats, u) == pytest.approx(mc, rel=1e-6, abs=1e-8)


def test_bound_is_reached_by_a_delay_line():
    """The routine can come up to the bound (so MC <= features above is a real check)."""
    u = _series(3)
    mc = memory_capacity(DelayLine(n_units=6), K_MAX, series=u)
    assert 6 - 1 - 1e-6 < mc <= 6
