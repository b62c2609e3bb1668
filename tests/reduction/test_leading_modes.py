"""Truncated decompositions (method of snapshots, subspace iteration) against the exact SVD, and
the low-rank output-weighted basis against the dense Stein-equation path."""
import numpy as np
import pytest
import scipy.sparse as sp
from scipy.linalg import subspace_angles

from rcpod.reduction import (collect_snapshots, energy_rank, observability_factor,
                             observability_gramian, output_weighted_pod,
                             output_weighted_pod_factored, output_weighted_pod_from_gram, pod,
                             pod_from_gram)
from rcpod.reduction.full_model import full_form
from rcpod.reduction import leading_modes
from rcpod.reduction.leading_modes import panel_product, subspace_eigh, subspace_svd
from rcpod.reservoir import ESN


def _gapped(n_dofs, n_snap, seed=0):
    """Snapshots with singular values 0.85^j, rotated so no coordinate is special: consecutive
    values differ by 15 %, a gap everywhere."""
    rng = np.random.default_rng(seed)
    k = min(n_dofs, n_snap)
    U = np.linalg.qr(rng.normal(size=(n_dofs, k)))[0]
    V = np.linalg.qr(rng.normal(size=(n_snap, k)))[0]
    return (U * 0.85 ** np.arange(k)) @ V.T


@pytest.mark.parametrize("shape", [(60, 400), (400, 60)])
@pytest.mark.parametrize("method", ["gram", "randomized"])
def test_truncated_pod_matches_exact_svd(shape, method):
    X = _gapped(*shape)
    A, s = pod(X, rank=20, method="exact")
    B, t = pod(X, rank=20, method=method)
    # principal angles to the exact subspace and the singular values (gap: s_j / s_j+1 = 1.18);
    # randomized: residual <= 1e-14 s_1^2 and gap (1 - 0.85^2) s_20^2 give angles below ~1e-9
    assert np.max(subspace_angles(A, B)) < 1e-6
    np.testing.assert_allclose(t[:20], s[:20], rtol=1e-9)
    np.testing.assert_allclose(B.T @ B, np.eye(20), atol=1e-12)
    # same deterministic signs, so the modes themselves agree
    np.testing.assert_allclose(B, A, atol=1e-6)


@pytest.mark.parametrize("method", ["gram", "randomized"])
def test_energy_rank_from_the_trace(method):
    X = _gapped(80, 300, seed=1)
    for energy in (0.9, 0.999, 0.99999):
        A, s = pod(X, energy=energy, method="exact")
        B, t = pod(X, energy=energy, method=method)
        assert B.shape == A.shape
        assert np.max(subspace_angles(A, B)) < 1e-6
    # the tail from the trace: only the leading values are needed
    s = np.linalg.svd(X, compute_uv=False)
    total = float(np.sum(X ** 2))
    for energy in (0.5, 0.9, 0.999):
        assert energy_rank(s[:40], energy, total=total) == energy_rank(s, energy)


def test_randomized_caps_rank_and_checks_options():
    X = _gapped(50, 200)
    B, t = pod(X, rank=5, energy=0.99999, method="randomized")
    assert B.shape == (50, 5)
    with pytest.raises(ValueError, match="needs rank or energy"):
        pod(X, method="randomized")
    with pytest.raises(ValueError, match="method"):
        pod(X, rank=3, method="svds")


def test_auto_keeps_the_exact_svd_on_small_problems():
    # bit for bit: "auto" below EXACT_MAX_FLOPS is the exact SVD of rcpod 0.1
    X = np.random.default_rng(3).normal(size=(30, 200))
    A, s = pod(X, rank=7)
    B, t = pod(X, rank=7, method="exact")
    assert np.array_equal(A, B) and np.array_equal(s, t)


def test_pod_from_gram_matches_pod():
    X = _gapped(120, 500, seed=2)
    A, s = pod(X, rank=15, method="exact")
    for method in ("gram", "randomized"):
        B, t = pod_from_gram(X @ X.T, rank=15, method=method)
        assert np.max(subspace_angles(A, B)) < 1e-6
        np.testing.assert_allclose(t[:15], s[:15], rtol=1e-9)
    B, _ = pod_from_gram(X @ X.T, energy=0.999, method="randomized")
    assert B.shape[1] == pod(X, energy=0.999, method="exact")[0].shape[1]
    with pytest.raises(ValueError, match="square"):
        pod_from_gram(X)


def test_subspace_eigh_residual_bound():
    rng = np.random.default_rng(4)
    Q = np.linalg.qr(rng.normal(size=(100, 100)))[0]
    w_true = 0.7 ** np.arange(100)
    A = (Q * w_true) @ Q.T
    w, V, res = subspace_eigh(lambda B: A @ B, 100, 8, tol=1e-12)
    assert res <= 1e-12
    # Bauer-Fike: each Ritz value within res * w_1 of an eigenvalue
    np.testing.assert_allclose(w[:8], w_true[:8], rtol=0, atol=2e-12)
    # Davis-Kahan: angle <= sqrt(k) res w_1 / (w_8 - w_9)
    bound = np.sqrt(8) * res / (w_true[7] - w_true[8])
    assert np.max(subspace_angles(V[:, :8], Q[:, :8])) <= bound


def _deep_spectrum(seed=0):
    """300 x 900 snapshots whose singular values fall geometrically to 1e-6 s_1 at j = 40 and
    are 2 % apart there: the Gram matrix holds s_40^2 - s_41^2 ~ 4e-14 s_1^2, at its rounding
    floor, while the SVD resolves s_40 - s_41 ~ 2e-8 s_1."""
    rng = np.random.default_rng(seed)
    U = np.linalg.qr(rng.normal(size=(300, 80)))[0]
    V = np.linalg.qr(rng.normal(size=(900, 80)))[0]
    s = np.r_[np.logspace(0, -6, 40), 0.98e-6 * 0.5 ** np.arange(40)]
    return (U * s) @ V.T, U, s


def test_subspace_svd_resolves_modes_the_gram_matrix_cannot():
    X, U, s = _deep_spectrum()
    w, Us, res = subspace_svd(lambda B: X @ B, lambda A: X.T @ A, 300, 900, 40)
    assert res <= 1e-14
    np.testing.assert_allclose(np.sqrt(w[:40]), s[:40], rtol=1e-8, atol=2e-16)
    # Wedin: angle <= sqrt(k) res s_1 / (s_k - s_k+1)
    bound = np.sqrt(40) * res / (s[39] - s[40])
    angle = np.max(subspace_angles(Us[:, :40], U[:, :40]))
    assert angle <= max(bound, 1e-12) and angle < 1e-6
    # the same iteration on X X^T stops at the Gram's rounding: the 40th mode is lost
    _, Vg, _ = subspace_eigh(lambda B: X @ (X.T @ B), 300, 40)
    assert np.max(subspace_angles(Vg[:, :40], U[:, :40])) > 100 * angle


def test_subspace_svd_full_width_block_and_rank_deficiency():
    """A block as wide as X's smaller side is the exact SVD; zero singular values are fine."""
    rng = np.random.default_rng(2)
    X = rng.normal(size=(50, 12)) @ rng.normal(size=(12, 30))    # rank 12 of 30
    w, U, res = subspace_svd(lambda B: X @ B, lambda A: X.T @ A, 50, 30, 20)
    s = np.linalg.svd(X, compute_uv=False)
    np.testing.assert_allclose(np.sqrt(w[:12]), s[:12], rtol=1e-12)
    assert np.all(np.sqrt(w[12:20]) < 1e-12 * s[0]) and res < 1e-13
    assert np.allclose(U.T @ U, np.eye(U.shape[1]), atol=1e-13)
    with pytest.raises(ValueError, match="k"):
        subspace_svd(lambda B: X @ B, lambda A: X.T @ A, 50, 30, 31)


def test_subspace_eigh_numbers_do_not_depend_on_the_thread_count():
    """With panel products, the iteration's arithmetic is the same on one or two threads."""
    from threadpoolctl import threadpool_limits
    rng = np.random.default_rng(5)
    Q = np.linalg.qr(rng.normal(size=(1100, 60)))[0]
    A = (Q * 0.8 ** np.arange(60)) @ Q.T
    w2, V2, r2 = subspace_eigh(panel_product(A), 1100, 10)
    with threadpool_limits(limits=1, user_api="blas"):
        w1, V1, r1 = subspace_eigh(panel_product(A), 1100, 10)
    assert np.array_equal(w1, w2) and np.array_equal(V1, V2) and r1 == r2 <= 1e-14


def test_orthonormalisation_by_cholesky_qr_and_its_fallback(monkeypatch):
    """Cholesky QR twice where it is accurate (orthonormal to rounding, the same span as
    Householder QR); Householder QR for zero, non-finite and too ill-conditioned blocks."""
    rng = np.random.default_rng(6)
    calls = []
    householder = leading_modes._householder
    monkeypatch.setattr(leading_modes, "_householder",
                        lambda Y: calls.append(1) or householder(Y))
    U = np.linalg.qr(rng.normal(size=(700, 40)))[0]
    for cond in (1.0, 1e3, 1e6):
        Y = (U * np.logspace(0, -np.log10(cond), 40)) @ np.linalg.qr(rng.normal(size=(40, 40)))[0]
        Q = leading_modes._orth(Y, 2)
        assert np.abs(Q.T @ Q - np.eye(40)).max() < 1e-14
        assert np.max(subspace_angles(Q, U)) < 1e-15 * cond * 100
    assert calls == []
    for bad in (np.c_[U[:, :39], np.zeros(700)], np.c_[U[:, :39], np.full(700, np.nan)],
                U @ np.diag(np.logspace(0, -14, 40)) @ np.linalg.qr(rng.normal(size=(40, 40)))[0]):
        n_calls = len(calls)
        Q = leading_modes._orth(bad, 2)
        assert len(calls) == n_calls + 1
        if np.all(np.isfinite(bad)):
            assert np.abs(Q.T @ Q - np.eye(40)).max() < 1e-14


@pytest.fixture(scope="module")
def linearised():
    """A leaky ESN (sparse W), its snapshots, mean Jacobian (dense and sparse) and a readout."""
    esn = ESN(n_units=150, leak_rate=0.5, spectral_radius=0.9, density=0.1,
              random_state=0).initialize(1)
    u = np.random.default_rng(0).uniform(-0.5, 0.5, (1500, 1))
    snaps = collect_snapshots(esn, u, washout=100)
    form = full_form(esn)
    slopes = np.mean(1.0 - snaps.nonlinear ** 2, axis=1)
    C = np.random.default_rng(1).normal(size=(2, 150))
    return snaps, form, slopes, C


def test_sparse_state_jacobian_equals_dense(linearised):
    snaps, form, slopes, C = linearised
    Js = form.state_jacobian_at_slopes(slopes, sparse=True)
    assert sp.issparse(Js) and Js.nnz < 0.2 * 150 ** 2
    np.testing.assert_array_equal(Js.toarray(), form.state_jacobian_at_slopes(slopes))


def test_observability_factor_matches_stein_solution(linearised):
    snaps, form, slopes, C = linearised
    Q = observability_gramian(form.state_jacobian_at_slopes(slopes), C)
    Z = observability_factor(form.state_jacobian_at_slopes(slopes, sparse=True), C, tol=1e-12)
    assert Z.shape[1] < 150
    # trace tolerance 1e-12 of the truncated series and compressions: entries to ~1e-11
    np.testing.assert_allclose(Z @ Z.T, Q, rtol=0, atol=1e-10 * np.abs(Q).max())
    with pytest.raises(ValueError, match="did not converge"):
        observability_factor(1.2 * np.eye(3), np.ones((1, 3)), max_terms=500)


@pytest.mark.parametrize("method", ["exact", "gram", "randomized"])
def test_factored_output_weighted_basis_matches_dense(linearised, method):
    snaps, form, slopes, C = linearised
    X = snaps.states
    Q = observability_gramian(form.state_jacobian_at_slopes(slopes), C)
    Z = observability_factor(form.state_jacobian_at_slopes(slopes, sparse=True), C)
    for center in (False, True):
        A, la = output_weighted_pod(X, Q, rank=20, center=center)
        B, lb = output_weighted_pod_factored(X, Z, rank=20, center=center, method=method)
        # |ZZ^T - Q| ~ 1e-12 |Q| moves the eigenvalues of M by ~1e-12 and the modes by
        # 1e-12 / relative gap (gap here > 1e-3): both far below the tolerances
        assert np.max(subspace_angles(A, B)) < 1e-6
        np.testing.assert_allclose(lb[:20], la[:20], rtol=1e-8)
        Xc = X - X.mean(axis=1, keepdims=True) if center else X
        C_, lc = output_weighted_pod_from_gram(
            Xc @ Xc.T, X.shape[1], Z, rank=20,
            method="randomized" if method == "randomized" else "gram")
        assert np.max(subspace_angles(A, C_)) < 1e-6
        np.testing.assert_allclose(lc[:20], la[:20], rtol=1e-8)
    A, _ = output_weighted_pod(X, Q, energy=0.99)
    B, _ = output_weighted_pod_factored(X, Z, energy=0.99, method=method)
    assert A.shape == B.shape
