"""Diagnostic report of a reduced model against the full one."""
import numpy as np
import pytest

from rcpod.reduction import (Diagnostics, ReducedReservoir, ReductionReport, ReductionWarning,
                             check_trajectory, diagnose, jacobian_spectral_radii, jacobian_state,
                             per_step_time, reduce)


def test_diagnose_report(fitted):
    est, u, y = fitted
    red = reduce(est, u[:500], method="pod-qdeim", rank=20, n_points=40, center=True)
    rep = diagnose(est, red, u[500:], y[500:], timing_steps=300)
    assert isinstance(rep, Diagnostics) and isinstance(red.reduction_report_, ReductionReport)
    for key in ("singular_values", "energy_captured", "test_state_error", "test_output_error",
                "full_nrmse", "reduced_nrmse", "time_per_step_full", "time_per_step_reduced",
                "speedup", "jacobian_radius_max", "stable"):
        assert key in rep, key
    assert rep.stable and rep.test_state_error < 0.05
    # output error is measured against the full model's predictions
    yf, yr = est.predict(u[500:])[50:], red.predict(u[500:])[50:]
    expected = np.mean(np.sqrt(np.mean((yf - yr) ** 2, axis=0)) / np.std(yf, axis=0))
    assert rep.test_output_error == pytest.approx(expected, rel=1e-12)
    assert rep.time_per_step_full > 0 and rep.speedup > 0
    assert "test_state_error" in rep.summary()


def test_full_rank_diagnosis_is_exact(fitted):
    est, u, y = fitted
    red = reduce(est, u[:500], method="pod", rank=40)
    rep = diagnose(est, red, [u[500:600], u[600:]], [y[500:600], y[600:]], timing_steps=0)
    assert rep.test_state_error < 1e-10 and rep.test_output_error < 1e-9
    assert rep.full_nrmse == pytest.approx(rep.reduced_nrmse, abs=1e-9)
    assert "speedup" not in rep


def test_spectral_radii_match_eigenvalues(fitted):
    est, u, _ = fitted
    red = reduce(est, u[:500], method="pod-deim", rank=10)
    Z = red.reservoir_.run(u[:20])
    rho, nrm = jacobian_spectral_radii(red, Z[:-1], u[1:20], return_norms=True)
    for k in (0, 9, 18):
        J = jacobian_state(red, Z[k], u[k + 1])
        assert rho[k] == pytest.approx(np.max(np.abs(np.linalg.eigvals(J))), rel=1e-12)
        assert nrm[k] == pytest.approx(np.linalg.svd(J, compute_uv=False)[0], rel=1e-12)
    assert np.all(nrm >= rho - 1e-12)


def test_divergence_detected(fitted):
    est, u, _ = fitted
    red = reduce(est, u[:500], method="pod-deim", rank=10, holdout=0).reservoir_
    # blow up the interpolation weights: the reduced map becomes expanding
    p = red.get_params()
    p["nl_weights"] = red.E_ * 30.0
    bad = ReducedReservoir(**p).initialize(2)
    with pytest.warns(ReductionWarning):
        rep = check_trajectory(est.reservoir_, bad, u[:300], 50)
    assert rep.diverged and not rep.stable and rep.jacobian_unstable
    assert rep.jacobian_fraction_above_1 > 0.5
    ok = check_trajectory(est.reservoir_, red, u[:300], 50, warn=False)
    assert ok.stable and not ok.warnings


def test_per_step_time_positive(esn, inputs):
    assert 0 < per_step_time(esn, inputs[:100], repeats=2) < 1.0
