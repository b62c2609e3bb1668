"""reduce() judges a reduction by its outputs on held-back training steps, not only its states."""
import numpy as np
import pytest

from rcpod.reservoir import ESNRegressor
from rcpod.reduction import ReductionWarning, reduce
from rcpod.reduction.output_check import check_outputs, split_holdout


@pytest.fixture(scope="module")
def low_energy_readout():
    """A fitted ESN whose readout reads only the state direction of least energy: a rank-10 POD
    keeps the states (relative error < 0.1, well inside the divergence tolerance) and loses the
    whole output."""
    u = np.random.default_rng(0).uniform(-0.5, 0.5, (1200, 1))
    est = ESNRegressor(n_units=40, washout=50, input_scaling=0.5, random_state=0).fit(
        u, np.roll(u[:, 0], 1))
    X = est.reservoir_.run(u)[50:]
    Xc = X - X.mean(axis=0)
    v = np.linalg.svd(Xc, full_matrices=False)[2][-1]
    est.readout_.coef_ = v / np.std(Xc @ v)
    return est, u


def test_output_divergent_reduction_warns_though_states_are_close(low_energy_readout):
    est, u = low_energy_readout
    with pytest.warns(ReductionWarning, match="outputs differ"):
        red = reduce(est, u, method="pod", rank=10, center=True)
    rep = red.reduction_report_
    assert not rep.diverged and not rep.jacobian_unstable and rep.state_error < 0.1
    assert rep.output_error > 0.9 and rep.output_diverged and not rep.stable
    assert rep.output_check == "held-back" and rep.output_steps == round(0.1 * 1150)
    assert any("outputs differ" in w for w in rep.warnings)


def test_accurate_reduction_passes_the_output_check(low_energy_readout):
    est, u = low_energy_readout
    red = reduce(est, u, method="pod", rank=40, center=True)   # full rank: exact
    rep = red.reduction_report_
    assert rep.stable and rep.output_error < 1e-8 and not rep.output_diverged


def test_holdout_zero_checks_in_sample(low_energy_readout):
    est, u = low_energy_readout
    red = reduce(est, u, method="pod", rank=40, holdout=0)
    rep = red.reduction_report_
    assert rep.output_check == "in-sample" and rep.output_steps == 1150 and rep.holdout == 0


def test_split_holdout_layouts():
    u = np.arange(60.0).reshape(30, 2)
    X_fit, y_fit, series, cuts = split_holdout(u, np.arange(30.0), washout=10, fraction=0.25)
    assert cuts == [25] and X_fit[0].shape == (25, 2) and y_fit[0].shape == (25,)
    X_fit, y_fit, series, cuts = split_holdout([u, u[:20]], None, washout=10, fraction=0.25)
    assert cuts == [25, 18] and y_fit is None and len(series) == 2
    X_fit, _, _, cuts = split_holdout(np.stack([u, u]), np.zeros((2, 30, 3)), 10, 0.5)
    assert cuts == [20, 20] and X_fit[1].shape == (20, 2)


@pytest.mark.parametrize("fraction, exc", [(-0.1, ValueError), (1.0, ValueError),
                                           (1.5, ValueError), ("0.1", TypeError),
                                           (True, TypeError), (float("nan"), ValueError)])
def test_bad_holdout(fraction, exc):
    with pytest.raises(exc, match="holdout"):
        split_holdout(np.zeros((30, 1)), None, 5, fraction)


def test_holdout_leaving_nothing_to_reduce():
    with pytest.raises(ValueError, match="series 0 .* holdout"):
        split_holdout(np.zeros((12, 1)), None, 10, 0.9)


def test_check_outputs_flags_non_finite_outputs():
    class Constant:
        def __init__(self, value):
            self.value = value

        def predict(self, X):
            return [np.full((len(x), 1), self.value) for x in X]

    u = [np.zeros((20, 1))]
    out = check_outputs(Constant(1.0), Constant(np.nan), u, [15], washout=5)
    assert out["output_diverged"] and out["output_error"] == np.inf
    same = check_outputs(Constant(1.0), Constant(1.0), u, [15], washout=5)
    assert same["output_error"] == 0 and not same["output_diverged"]
