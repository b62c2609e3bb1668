"""Output-weighted basis, linearised-remainder DEIM and least-squares DEIM weights."""
import numpy as np
import pytest
import scipy.linalg
from sklearn.base import clone

from rcpod.reduction import (LinearizedDEIMReservoir, StabilizedDEIMReservoir, collect_snapshots,
                       jacobian_state, linearized_jacobian, lstsq_weights, observability_gramian,
                       output_weighted_pod, pod, qdeim, reduce)


@pytest.fixture(scope="module")
def snaps(esn, inputs):
    return collect_snapshots(esn, inputs, washout=20)


def test_linearized_jacobian_is_mean_of_step_jacobians(esn, snaps):
    # J = (1-a) I + a diag(mean(1 - f^2)) W: the average of the exact per-step Jacobians
    W = esn.W_.toarray()
    a = esn.leak_rate
    per_step = [(1 - a) * np.eye(30) + a * (1 - f ** 2)[:, None] * W for f in snaps.nonlinear.T]
    np.testing.assert_allclose(linearized_jacobian(esn.W_, snaps.nonlinear, a),
                               np.mean(per_step, axis=0), atol=1e-14)


def test_observability_gramian_is_the_output_energy_series():
    rng = np.random.default_rng(0)
    J = rng.normal(size=(6, 6))
    J *= 0.8 / np.max(np.abs(np.linalg.eigvals(J)))
    C = rng.normal(size=(2, 6))
    Q = observability_gramian(J, C)
    series = sum(np.linalg.matrix_power(J.T, k) @ C.T @ C @ np.linalg.matrix_power(J, k)
                 for k in range(400))
    np.testing.assert_allclose(Q, series, atol=1e-9)
    np.testing.assert_allclose(Q, J.T @ Q @ J + C.T @ C, atol=1e-10)
    with pytest.raises(ValueError, match="not stable"):
        observability_gramian(1.25 * J / 0.8, C)
    with pytest.raises(ValueError, match="output"):
        observability_gramian(J, C[:, :5])


def test_output_weighted_pod_spans_pod_at_zero_weight_and_full_space_at_full_rank(snaps):
    X = snaps.states
    Q = np.diag(np.arange(30.0))
    for center in (False, True):
        Psi, lam = output_weighted_pod(X, Q, rank=5, weight=0.0, center=center)
        Phi, s = pod(X, rank=5, center=center)
        # same subspace: the principal angles are zero
        np.testing.assert_allclose(scipy.linalg.svdvals(Psi.T @ Phi), 1.0, atol=1e-8)
        np.testing.assert_allclose(lam[:5], s[:5] ** 2 / np.sum(s ** 2), rtol=1e-8)
    Psi, lam = output_weighted_pod(X, Q, rank=30, weight=2.0)
    np.testing.assert_allclose(Psi.T @ Psi, np.eye(30), atol=1e-12)
    assert np.all(np.diff(lam) <= 1e-15) and lam.sum() == pytest.approx(3.0)
    # a heavy output weight pulls the basis toward the output direction
    e = np.zeros(30)
    e[0] = 1.0
    Psi_w, _ = output_weighted_pod(X, np.outer(e, e), rank=3, weight=10.0)
    Psi_0, _ = pod(X, rank=3)
    assert np.linalg.norm(Psi_w.T @ e) > 0.99 > np.linalg.norm(Psi_0.T @ e)
    r_energy = output_weighted_pod(X, Q, energy=0.9, weight=0.5)[0].shape[1]
    assert 1 <= r_energy < 30
    with pytest.raises(ValueError, match="weight"):
        output_weighted_pod(X, Q, rank=3, weight=-1.0)
    with pytest.raises(ValueError, match="gramian"):
        output_weighted_pod(X, Q[:5, :5], rank=3)
    with pytest.raises(ValueError, match="rank"):
        output_weighted_pod(X, Q, rank=31)


def test_linearization_is_the_per_unit_least_squares_line(snaps):
    D, e, G = snaps.linearization()
    for i in (0, 7, 29):
        slope, offset = np.polyfit(snaps.preactivation[i], snaps.nonlinear[i], 1)
        assert D[i] == pytest.approx(slope, rel=1e-10) and e[i] == pytest.approx(offset, abs=1e-12)
    np.testing.assert_allclose(G, snaps.nonlinear - D[:, None] * snaps.preactivation
                               - e[:, None], atol=1e-15)
    np.testing.assert_allclose(G.mean(axis=1), 0.0, atol=1e-13)  # residuals of a fit with offset


@pytest.mark.parametrize("center", [False, True])
def test_linearized_deim_at_full_rank_reproduces_esn(esn, inputs, snaps, center):
    D, e, G = snaps.linearization()
    Psi, _ = pod(snaps.states, rank=30, center=center)
    mean = snaps.states.mean(axis=1) if center else None
    U, _ = pod(G, rank=30)
    red = LinearizedDEIMReservoir.from_esn(esn, Psi, U, qdeim(U), D, e, mean=mean)
    np.testing.assert_allclose(red.lift(red.run(inputs)), esn.run(inputs), atol=1e-10, rtol=0)
    Zn = clone(red).set_params(backend="numpy").initialize(2).run(inputs)
    np.testing.assert_allclose(Zn, red.run(inputs), atol=1e-12)


def test_linearized_with_unit_slope_is_the_stabilized_variant(esn, inputs, snaps):
    # D = I, e = 0 turns tanh(v) - D v - e into fastESN's remainder tanh(v) - v
    Psi, _ = pod(snaps.states, rank=6, center=True)
    mean = snaps.states.mean(axis=1)
    U, _ = pod(snaps.remainder, rank=10)
    p = qdeim(U, n_points=12)
    lin = LinearizedDEIMReservoir.from_esn(esn, Psi, U, p, np.ones(30), np.zeros(30), mean=mean)
    stab = StabilizedDEIMReservoir.from_esn(esn, Psi, U, p, mean=mean)
    np.testing.assert_allclose(lin.run(inputs), stab.run(inputs), atol=1e-11)
    z = stab.run(inputs[:5])[-1]
    np.testing.assert_allclose(jacobian_state(lin, z, inputs[5]),
                               jacobian_state(stab, z, inputs[5]), atol=1e-12)
    with pytest.raises(ValueError, match="slopes"):
        LinearizedDEIMReservoir.from_esn(esn, Psi, U, p, np.ones(29), np.zeros(30))


def test_lstsq_weights(esn, inputs, snaps):
    rng = np.random.default_rng(5)
    S = rng.normal(size=(8, 60))
    T = rng.normal(size=(3, 60))
    p = np.array([6, 1, 3, 0])
    E = lstsq_weights(T, S, p)
    # normal equations of min ||T - E S[p]||: the residual is orthogonal to the sampled rows
    np.testing.assert_allclose((T - E @ S[p]) @ S[p].T, 0.0, atol=1e-10)
    with pytest.raises(ValueError, match="columns"):
        lstsq_weights(T[:, :50], S, p)
    with pytest.raises(ValueError, match="distinct"):
        lstsq_weights(T, S, np.array([1, 1]))
    # never worse on the snapshots than interpolation through their POD basis
    Psi, _ = pod(snaps.states, rank=6)
    U, _ = pod(snaps.nonlinear, rank=9)
    p = qdeim(U)
    F = snaps.nonlinear
    E_int = (Psi.T @ U) @ np.linalg.inv(U[p])
    E_ls = lstsq_weights(Psi.T @ F, F, p)
    assert (np.linalg.norm(Psi.T @ F - E_ls @ F[p])
            <= np.linalg.norm(Psi.T @ F - E_int @ F[p]) + 1e-12)


@pytest.mark.parametrize("method", ["pod-qdeim", "pod-deim-linearized", "pod-qdeim-stabilized"])
def test_reduce_with_lstsq_weights_at_full_rank_reproduces_predictions(fitted, method):
    est, u, _ = fitted
    red = reduce(est, u[:500], method=method, rank=40, n_points=40, nl_fit="lstsq",
                 basis="output-weighted")
    np.testing.assert_allclose(red.predict(u), est.predict(u), atol=1e-8, rtol=0)
    rep = red.reduction_report_
    assert rep.basis == "output-weighted" and rep.nl_fit == "lstsq"
    assert rep.energy_captured == pytest.approx(1.0)


def test_output_weighted_basis_keeps_the_readout_directions(fitted):
    # at r = 15 of 40 the output-weighted basis tracks the full predictions ~5x closer than POD
    # (at r <= 6 on this small model it does not: the readout directions crowd out the dynamics)
    est, u, _ = fitted
    full = est.predict(u)[500:]
    errs = {}
    for basis in ("pod", "output-weighted"):
        red = reduce(est, u[:500], method="pod", rank=15, basis=basis, output_weight=0.5)
        errs[basis] = np.linalg.norm(red.predict(u)[500:] - full)
        assert 0 < red.reduction_report_.energy_captured < 1
    assert errs["output-weighted"] < 0.5 * errs["pod"]


def test_reduce_errors_for_new_options(fitted):
    est, u, _ = fitted
    with pytest.raises(ValueError, match="basis"):
        reduce(est, u[:500], rank=5, basis="balanced")
    with pytest.raises(ValueError, match="nl_fit"):
        reduce(est, u[:500], rank=5, method="pod-deim", nl_fit="exact")
    with pytest.raises(ValueError, match="DEIM methods"):
        reduce(est, u[:500], rank=5, method="pod", nl_fit="lstsq")


def test_linearized_model_saves_and_loads_exactly(tmp_path, fitted):
    from rcpod.reservoir.persistence import load, save
    est, u, _ = fitted
    red = reduce(est, u[:500], method="pod-qdeim-linearized", rank=8, n_points=16,
                 basis="output-weighted", nl_fit="lstsq")
    save(red, tmp_path / "lin.npz")
    back = load(tmp_path / "lin.npz")
    assert type(back.reservoir_) is LinearizedDEIMReservoir
    np.testing.assert_array_equal(back.predict(u), red.predict(u))


def test_bad_input_of_the_array_functions(snaps):
    X = snaps.states.copy()
    X[3, 5] = np.nan
    with pytest.raises(ValueError, match="snapshots contains NaN"):
        output_weighted_pod(X, np.eye(30), rank=3)
    with pytest.raises(ValueError, match="gramian contains NaN"):
        output_weighted_pod(snaps.states, np.full((30, 30), np.inf), rank=3)
    with pytest.raises(ValueError, match="snapshots contains NaN"):
        lstsq_weights(np.zeros((2, snaps.n_snapshots)), X, np.arange(4))
    with pytest.raises(ValueError, match="W must have shape"):
        linearized_jacobian(np.eye(29), snaps.nonlinear)
    with pytest.raises(ValueError, match="leak_rate"):
        linearized_jacobian(np.eye(30), snaps.nonlinear, leak_rate=1.5)
    with pytest.raises(ValueError, match="jacobian contains NaN"):
        observability_gramian(np.full((3, 3), np.nan), np.ones((1, 3)))
