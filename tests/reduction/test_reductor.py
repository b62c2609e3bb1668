"""The reductor: full-rank exactness of whole estimators, readouts, reports, errors."""
import warnings

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from rcpod.reservoir import BaseReservoir, ESNRegressor, ReservoirRegressor
from rcpod.reservoir.memory import memory_capacity
from rcpod.reservoir.persistence import load, save
from rcpod.reduction import (METHODS, DEIMReservoir, LinearizedDEIMReservoir, PODReservoir,
                       ReductionWarning, StabilizedDEIMReservoir, energy_rank, reduce)


@pytest.mark.parametrize("method", sorted(METHODS))
@pytest.mark.parametrize("center", [False, True])
def test_full_rank_reproduces_predictions(fitted, method, center):
    est, u, _ = fitted
    kw = {} if method == "pod" else dict(n_points=40)
    red = reduce(est, u[:500], method=method, rank=40, center=center, **kw)
    assert isinstance(red, ReservoirRegressor) and red.reservoir_.n_states_ == 40
    np.testing.assert_allclose(red.predict(u), est.predict(u), atol=1e-10, rtol=0)
    X = est.reservoir_.run(u)
    np.testing.assert_allclose(red.reservoir_.lift(red.reservoir_.run(u)), X, atol=1e-10, rtol=0)
    rep = red.reduction_report_
    assert rep.stable and rep.state_error < 1e-10 and rep.energy_captured == pytest.approx(1.0)
    assert rep.jacobian_radius_max < 1.0


def test_classes_per_method(fitted):
    est, u, _ = fitted
    expect = {"pod": PODReservoir, "pod-deim": DEIMReservoir, "pod-qdeim": DEIMReservoir,
              "pod-deim-stabilized": StabilizedDEIMReservoir,
              "pod-qdeim-stabilized": StabilizedDEIMReservoir,
              "pod-deim-linearized": LinearizedDEIMReservoir,
              "pod-qdeim-linearized": LinearizedDEIMReservoir}
    assert set(expect) == set(METHODS)
    for method, cls in expect.items():
        red = reduce(est, u[:500], method=method, rank=10, check_stability=False)
        assert type(red.reservoir_) is cls
        if method != "pod":
            assert red.reservoir_.n_points_ == 20  # default m = 2 r
            assert red.reduction_report_.nonlinear_rank == 20


@pytest.mark.parametrize("center", [False, True])
def test_refit_readout_at_full_rank_equals_full_model(fitted, center):
    # ridge with an unpenalised intercept is invariant under z = Psi^T (x - mean), Psi orthogonal
    est, u, y = fitted
    red = reduce(est, u[:500], y[:500], method="pod-qdeim", rank=40, n_points=40,
                 center=center, readout="refit", holdout=0)
    np.testing.assert_allclose(red.predict(u), est.predict(u), atol=1e-7)


def test_include_input_and_one_dimensional_target():
    rng = np.random.default_rng(2)
    u = rng.uniform(-1, 1, (400, 1))
    y = np.roll(u[:, 0], 3) + 0.5 * u[:, 0]
    est = ESNRegressor(n_units=30, leak_rate=0.9, bias_scaling=0.1, include_input=True,
                       washout=30, random_state=0).fit(u, y)
    red = reduce(est, u, method="pod-deim", rank=30, n_points=30)
    p = red.predict(u)
    assert p.shape == (400,) and red.include_input
    np.testing.assert_allclose(p, est.predict(u), atol=1e-10)
    red = reduce(est, u, y, method="pod-deim", rank=12, readout="refit")
    assert red.score(u, y) > 0.9


def test_reduced_model_is_accurate_and_stable_below_full_rank(fitted):
    est, u, y = fitted
    with pytest.warns(ReductionWarning, match="outputs differ"):
        red = reduce(est, u[:500], method="pod-qdeim-stabilized", rank=20, n_points=30,
                     center=True)
    rep = red.reduction_report_
    assert not rep.diverged and not rep.jacobian_unstable and rep.state_error < 0.05
    assert red.reservoir_.n_states_ == 20
    assert abs(red.score(u[500:], y[500:]) - est.score(u[500:], y[500:])) < 0.1
    # ... yet its outputs are not the full model's (R^2 0.45 either way, errors elsewhere): the
    # held-back check says so, and it predicts the deviation on unseen data
    test_dev = np.sqrt(np.sum((red.predict(u)[500:] - est.predict(u)[500:]) ** 2, axis=0)
                       / np.sum((est.predict(u)[500:] - est.predict(u)[500:].mean(0)) ** 2,
                                axis=0)).max()
    assert rep.output_check == "held-back" and rep.output_steps == 45
    assert not rep.stable and rep.output_error > rep.output_tol
    assert abs(rep.output_error - test_dev) < 0.25 * test_dev


def test_energy_criterion_sets_rank(fitted):
    est, u, _ = fitted
    red = reduce(est, u[:500], method="pod", energy=0.99999, center=True)
    rep = red.reduction_report_
    assert rep.rank == energy_rank(rep.singular_values, 0.99999)
    assert rep.energy_captured >= 0.99999
    red = reduce(est, u[:500], method="pod", energy=0.99999, rank=3, center=True)
    assert red.reservoir_.n_states_ == 3


def test_several_series_and_washout(fitted):
    est, u, _ = fitted
    kw = dict(method="pod-deim", rank=10, holdout=0, check_stability=False)
    red_list = reduce(est, [u[:250], u[250:500]], **kw)
    red_batch = reduce(est, np.stack([u[:250], u[250:500]]), **kw)
    assert red_list.reduction_report_.n_snapshots == 2 * (250 - est.washout)
    np.testing.assert_allclose(red_list.predict(u[500:]), red_batch.predict(u[500:]), atol=1e-10)


def test_memory_capacity_and_persistence(tmp_path):
    rng = np.random.default_rng(0)
    u = rng.uniform(-0.8, 0.8, (600, 1))
    est = ESNRegressor(n_units=20, spectral_radius=0.9, input_scaling=0.1, washout=20,
                       random_state=0).fit(u, np.roll(u[:, 0], 1))
    full_rank = reduce(est, u, method="pod-deim", rank=20, n_points=20)
    mc_full = memory_capacity(est, k_max=40, random_state=1)
    assert memory_capacity(full_rank, k_max=40, random_state=1) == pytest.approx(mc_full, abs=1e-6)
    small = reduce(est, u, method="pod", rank=5)
    assert memory_capacity(small, k_max=40, random_state=1) <= 5.5
    path = save(small, tmp_path / "reduced.npz")
    back = load(path)
    np.testing.assert_array_equal(back.predict(u), small.predict(u))
    assert back.reduction_report_["rank"] == 5


def test_unstable_reduction_is_reported():
    rng = np.random.default_rng(0)
    u = rng.uniform(-1, 1, (600, 1))
    # spectral radius 1.5, leak 1: a chaotic full ESN that few modes cannot follow
    est = ESNRegressor(n_units=50, spectral_radius=1.5, input_scaling=0.1, density=0.3,
                       washout=50, random_state=0).fit(u, np.roll(u[:, 0], 1))
    with pytest.warns(ReductionWarning) as record:
        red = reduce(est, u, method="pod-deim-stabilized", rank=5, n_points=5)
    assert any("diverges" in str(w.message) for w in record)
    rep = red.reduction_report_
    assert not rep.stable and rep.diverged and rep.warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        quiet = reduce(est, u, method="pod", rank=3, check_stability=False)
    assert quiet.reduction_report_.stable is None and quiet.reduction_report_.state_error is None


class _OtherReservoir(BaseReservoir):
    def _initialize(self, n_inputs):
        self.n_inputs_, self.n_states_ = n_inputs, 3

    def _step(self, state, u):
        return np.tanh(state + u.sum(axis=-1, keepdims=True))


def test_errors(fitted):
    est, u, y = fitted
    with pytest.raises(NotFittedError):
        reduce(ESNRegressor(n_units=10), u, rank=2)
    with pytest.raises(TypeError, match="ReservoirRegressor"):
        reduce(object(), u, rank=2)
    other = ReservoirRegressor(_OtherReservoir()).fit(u[:100], y[:100])
    with pytest.raises(TypeError, match="only ESN"):
        reduce(other, u[:100], rank=2)
    red = reduce(est, u[:500], method="pod", rank=5)
    with pytest.raises(TypeError, match="already"):
        reduce(red, u[:500], rank=2)
    with pytest.raises(ValueError, match="n_dofs=40"):
        reduce(est, u[:500], rank=41)
    with pytest.raises(ValueError, match="n_snapshots=10"):
        reduce(est, u[:60], rank=11, holdout=0)  # washout 50 leaves 10 snapshots
    with pytest.raises(ValueError, match="n_points=41"):
        reduce(est, u[:500], method="pod-deim", rank=5, n_points=41)
    with pytest.raises(ValueError, match="n_snapshots=10"):
        reduce(est, u[:60], method="pod-deim", rank=5, n_points=12, holdout=0)
    with pytest.raises(ValueError, match="nonlinear_rank"):
        reduce(est, u[:500], method="pod-deim", rank=5, n_points=8, nonlinear_rank=9)
    bad = u[:500].copy()
    bad[10, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        reduce(est, bad, rank=5)
    with pytest.raises(ValueError, match="method"):
        reduce(est, u[:500], method="balanced", rank=5)
    with pytest.raises(ValueError, match="readout"):
        reduce(est, u[:500], rank=5, readout="lasso")
    with pytest.raises(ValueError, match="y_train"):
        reduce(est, u[:500], rank=5, readout="refit")
    with pytest.raises(ValueError, match="rank"):
        reduce(est, u[:500])
    with pytest.raises(ValueError, match="DEIM methods"):
        reduce(est, u[:500], method="pod", rank=5, n_points=10)
    with pytest.raises(ValueError, match="features"):
        reduce(est, u[:500, :1], rank=5)
