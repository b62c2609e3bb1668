"""POD: projection error identity, energy criterion, validation."""
import numpy as np
import pytest

from rcpod.reduction import energy_rank, pod, projection_error


@pytest.fixture
def snapshots():
    rng = np.random.default_rng(0)
    # decaying spectrum: 20 dofs, 60 snapshots
    Q1, _ = np.linalg.qr(rng.normal(size=(20, 20)))
    Q2, _ = np.linalg.qr(rng.normal(size=(60, 20)))
    s = 2.0 ** -np.arange(20)
    return (Q1 * s) @ Q2.T + 0.3


@pytest.mark.parametrize("r", [1, 3, 7, 20])
@pytest.mark.parametrize("center", [False, True])
def test_projection_error_equals_discarded_energy(snapshots, r, center):
    X = snapshots - snapshots.mean(axis=1, keepdims=True) if center else snapshots
    modes, s = pod(snapshots, rank=r, center=center)
    assert modes.shape == (20, r)
    np.testing.assert_allclose(modes.T @ modes, np.eye(r), atol=1e-12)
    err = projection_error(X, modes)
    np.testing.assert_allclose(err, np.sum(s[r:] ** 2), rtol=1e-9, atol=1e-24)


def test_singular_values_match_numpy(snapshots):
    _, s = pod(snapshots, rank=2)
    np.testing.assert_allclose(s, np.linalg.svd(snapshots, compute_uv=False), rtol=1e-12)
    assert s.shape == (20,)


def test_modes_span_leading_subspace_and_signs_deterministic(snapshots):
    modes, _ = pod(snapshots, rank=4)
    U = np.linalg.svd(snapshots)[0][:, :4]
    # same subspace: projector difference vanishes
    np.testing.assert_allclose(modes @ modes.T, U @ U.T, atol=1e-10)
    idx = np.argmax(np.abs(modes), axis=0)
    assert np.all(modes[idx, np.arange(4)] > 0)
    modes2, _ = pod(snapshots.copy(), rank=4)
    np.testing.assert_array_equal(modes, modes2)


def test_energy_criterion_is_smallest_rank(snapshots):
    _, s = pod(snapshots)
    frac = np.cumsum(s ** 2) / np.sum(s ** 2)
    for energy in (0.5, 0.9, 0.99, 0.999999, frac[5]):
        r = energy_rank(s, energy)
        assert frac[r - 1] >= energy * (1 - 1e-15)
        assert r == 1 or frac[r - 2] < energy
        modes, _ = pod(snapshots, energy=energy)
        assert modes.shape[1] == r
    # rank caps energy
    assert pod(snapshots, energy=0.999999, rank=2)[0].shape[1] == 2


def test_energy_one_keeps_numerical_rank():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(10, 3)) @ rng.normal(size=(3, 50))  # rank 3
    assert pod(X)[0].shape[1] == 3
    # exactly-zero singular values are dropped by energy=1 too
    Z = np.zeros((6, 8))
    Z[:3, :3] = np.diag([3.0, 2.0, 1.0])
    assert pod(Z, energy=1.0)[0].shape[1] == 3


def test_full_rank_square_basis_is_orthogonal(snapshots):
    modes, _ = pod(snapshots, rank=20)
    np.testing.assert_allclose(modes @ modes.T, np.eye(20), atol=1e-12)


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(rank=21), ValueError, "n_dofs=20"),
    (dict(rank=0), ValueError, "rank == 0, must be >= 1"),
    (dict(rank=2.0), TypeError, "rank must be an int"),
    (dict(energy=0.0), ValueError, "energy"),
    (dict(energy=1.5), ValueError, "energy"),
    (dict(energy=float("nan")), ValueError, "energy"),
    (dict(energy="high"), TypeError, "energy"),
])
def test_bad_parameters(snapshots, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        pod(snapshots, **kwargs)


def test_rank_above_number_of_snapshots():
    X = np.random.default_rng(0).normal(size=(30, 5))
    with pytest.raises(ValueError, match="n_snapshots=5"):
        pod(X, rank=6)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nan_snapshots(snapshots, bad):
    X = snapshots.copy()
    X[3, 4] = bad
    with pytest.raises(ValueError, match="NaN"):
        pod(X, rank=2)


def test_bad_shapes():
    with pytest.raises(ValueError, match="2-D"):
        pod(np.ones(5))
    with pytest.raises(ValueError, match="empty"):
        pod(np.ones((5, 0)))
    with pytest.raises(TypeError, match="numeric"):
        pod(np.array([["a", "b"]]))
