"""Accuracy-driven reduction: the cheapest candidate within the tolerance, judged on held-back data."""
import numpy as np
import pytest

from rcpod.reservoir import ESNRegressor
from rcpod.reservoir.persistence import load, save
from rcpod.reduction import reduce, reduce_to_tolerance, step_flops
from rcpod.reduction.tolerance import TANH_FLOPS


@pytest.fixture(scope="module")
def narma_like():
    rng = np.random.default_rng(0)
    u = rng.uniform(0, 0.5, (1500, 1))
    y = 0.3 * np.roll(u, 1) + 0.5 * np.roll(u, 2) * np.roll(u, 3)  # a nonlinear memory task
    est = ESNRegressor(n_units=200, washout=50, bias_scaling=0.5, input_scaling=0.5, ridge=1e-8,
                       random_state=1).fit(u, y)
    return est, u, y


def test_returns_the_cheapest_candidate_within_tolerance(narma_like):
    est, u, _ = narma_like
    red = reduce_to_tolerance(est, u, tol=0.05, ranks=(5, 10, 20, 40))
    rep = red.reduction_report_
    assert rep.tol == 0.05 and rep.output_error <= 0.05 and rep.stable
    cands = list(rep.candidates)
    chosen = cands[-1]
    assert (chosen["rank"], chosen["n_points"]) == (rep.rank, rep.n_points)
    assert chosen["output_error"] <= 0.05 and chosen["step_flops"] == rep.step_flops
    # every candidate tried before was not cheaper-and-good: too inaccurate or unstable
    for c in cands[:-1]:
        assert c["step_flops"] <= chosen["step_flops"]
        assert c["output_error"] > 0.05 or c.get("stable") is False
    # the returned model is exactly what reduce() gives for the chosen options
    again = reduce(est, u, method=rep.method, basis=rep.basis, nl_fit=rep.nl_fit,
                   output_weight=chosen["output_weight"], rank=rep.rank, n_points=rep.n_points,
                   holdout=0.2, output_tol=0.05)
    np.testing.assert_array_equal(again.predict(u), red.predict(u))
    assert rep.step_flops == step_flops(red.reservoir_) < rep.full_step_flops == step_flops(
        est.reservoir_)


def test_a_looser_tolerance_never_costs_more(narma_like):
    est, u, _ = narma_like
    tight = reduce_to_tolerance(est, u, tol=0.02, ranks=(5, 10, 20, 40, 60))
    loose = reduce_to_tolerance(est, u, tol=0.2, ranks=(5, 10, 20, 40, 60))
    assert loose.reduction_report_.step_flops <= tight.reduction_report_.step_flops


def test_impossible_tolerance_raises_with_the_best_error(narma_like):
    est, u, _ = narma_like
    with pytest.raises(ValueError, match=r"no candidate meets tol=1e-12.*smallest held-back"):
        reduce_to_tolerance(est, u, tol=1e-12, ranks=(5, 10))


def test_bad_arguments(narma_like):
    est, u, _ = narma_like
    with pytest.raises(ValueError, match="tol"):
        reduce_to_tolerance(est, u, tol=0)
    with pytest.raises(TypeError, match="tol"):
        reduce_to_tolerance(est, u, tol="0.1")
    with pytest.raises(ValueError, match="variant"):
        reduce_to_tolerance(est, u, variants=[("qdeim", "cubic", "pod", "lstsq", 0.0)])
    with pytest.raises(ValueError, match="holdout"):
        reduce_to_tolerance(est, u, holdout=0)
    with pytest.raises(TypeError, match="estimator"):
        reduce_to_tolerance(object(), u)


def test_report_with_candidates_saves_and_loads(narma_like, tmp_path):
    est, u, _ = narma_like
    red = reduce_to_tolerance(est, u, tol=0.2, ranks=(5, 10, 20))
    back = load(save(red, tmp_path / "m.npz")).reduction_report_
    assert back.candidates == red.reduction_report_.candidates
    assert back.tol == 0.2


def test_step_flops_formula(narma_like):
    est, u, _ = narma_like
    red = reduce(est, u, method="pod-qdeim-linearized", rank=6, n_points=9).reservoir_
    r, m = 6, 9
    assert step_flops(red) == 4 * m * r + 2 * m + 3 * r + TANH_FLOPS * m + 2 * r * r + 2 * r


def test_accepts_a_fitted_reservoirpy_model():
    from reservoirpy.nodes import Reservoir, Ridge
    rng = np.random.default_rng(3)
    u = rng.uniform(0, 0.5, (1200, 1))
    y = 0.3 * np.roll(u, 1) + 0.5 * np.roll(u, 2) * np.roll(u, 3)
    res = Reservoir(units=200, sr=0.9, lr=0.8, input_scaling=0.5, seed=3,
                    bias=rng.uniform(-0.5, 0.5, 200))
    model = res >> Ridge(ridge=1e-8)
    model.fit(u, y, warmup=50)
    red = reduce_to_tolerance(model, u, tol=0.1, washout=50, ranks=(5, 10, 20, 40))
    rep = red.reduction_report_
    assert rep.output_error <= 0.1 and rep.step_flops < rep.full_step_flops


def test_bad_input_is_named(narma_like):
    from sklearn.exceptions import NotFittedError
    est, u, _ = narma_like
    with pytest.raises(NotFittedError, match="not fitted"):
        reduce_to_tolerance(ESNRegressor(n_units=20), u)
    bad = u.copy()
    bad[7, 0] = np.nan
    with pytest.raises(ValueError, match="X_train contains NaN"):
        reduce_to_tolerance(est, bad)
    with pytest.raises(ValueError, match="X_train has 2 features"):
        reduce_to_tolerance(est, np.hstack([u, u]))
    with pytest.raises(ValueError, match="washout"):
        reduce_to_tolerance(est, u, washout=-1)
