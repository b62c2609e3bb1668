"""DEIM, Q-DEIM and oversampled point selection."""
import numpy as np
import pytest
import scipy.linalg

from rcpod.reduction import deim, deim_coefficients, oversample, pod, qdeim


@pytest.fixture
def basis():
    rng = np.random.default_rng(0)
    t = np.linspace(0, 1, 80)
    # smooth parametrised snapshots (Chaturantabut & Sorensen style)
    F = np.array([np.sin(np.pi * mu * t) * np.exp(-mu * t) for mu in rng.uniform(1, 6, 200)]).T
    U, _ = pod(F, rank=8)
    return U


def _deim_reference(U):
    """Textbook greedy DEIM written independently: residual of the interpolant by lstsq with an
    explicit selection matrix."""
    n, m = U.shape
    P = np.zeros((n, 0))
    p = []
    for l in range(m):
        u = U[:, l]
        if l == 0:
            res = u
        else:
            c = np.linalg.lstsq(P.T @ U[:, :l], P.T @ u, rcond=None)[0]
            res = u - U[:, :l] @ c
        i = int(np.argmax(np.abs(res)))
        p.append(i)
        e = np.zeros((n, 1))
        e[i] = 1
        P = np.hstack([P, e])
    return np.array(p)


def test_deim_matches_textbook_greedy(basis):
    np.testing.assert_array_equal(deim(basis), _deim_reference(basis))


def test_qdeim_are_qr_pivots(basis):
    p = qdeim(basis)
    _, _, piv = scipy.linalg.qr(basis.T, pivoting=True)
    np.testing.assert_array_equal(p, piv[:8])


@pytest.mark.parametrize("select", [deim, qdeim])
def test_interpolation_exact_at_indices(basis, select):
    p = select(basis)
    assert len(np.unique(p)) == 8
    f = np.random.default_rng(1).normal(size=80)  # arbitrary vector, not in span(U)
    interp = basis @ deim_coefficients(basis, p) @ f[p]
    np.testing.assert_allclose(interp[p], f[p], rtol=1e-10, atol=1e-12)
    # and exact everywhere for vectors in span(U)
    g = basis @ np.arange(1.0, 9.0)
    np.testing.assert_allclose(basis @ deim_coefficients(basis, p) @ g[p], g, atol=1e-10)


def test_permutation_basis_indices():
    # columns are unit vectors e_5, e_2, e_7: every selection must return exactly those rows
    U = np.zeros((10, 3))
    U[5, 0] = U[2, 1] = U[7, 2] = 1.0
    np.testing.assert_array_equal(deim(U), [5, 2, 7])
    assert set(qdeim(U)) == {2, 5, 7}


@pytest.mark.parametrize("select", [deim, qdeim])
def test_oversampling(basis, select):
    p8 = select(basis)
    p20 = select(basis, n_points=20)
    assert p20.shape == (20,) and len(np.unique(p20)) == 20
    np.testing.assert_array_equal(p20[:8], p8)  # first the interpolation points
    smin = lambda p: np.linalg.svd(basis[p], compute_uv=False)[-1]  # noqa: E731
    # adding rows never lowers sigma_min; GPOD+E beats random extra points on average
    assert smin(p20) >= smin(p8) - 1e-14
    rng = np.random.default_rng(0)
    rest = np.setdiff1d(np.arange(80), p8)
    rand = [smin(np.concatenate([p8, rng.choice(rest, 12, replace=False)])) for _ in range(50)]
    assert smin(p20) > np.median(rand)
    # least-squares reconstruction is exact in span(U)
    g = basis @ np.linspace(-1, 1, 8)
    np.testing.assert_allclose(basis @ deim_coefficients(basis, p20) @ g[p20], g, atol=1e-10)


def test_oversampling_one_column_picks_largest_entries():
    u = np.array([[0.1], [0.9], [-0.3], [0.5], [-0.7]])
    p = oversample(u, [1], 3)
    np.testing.assert_array_equal(p, [1, 4, 3])


@pytest.mark.parametrize("select", [deim, qdeim])
def test_bad_inputs(basis, select):
    with pytest.raises(ValueError, match="n_points"):
        select(basis, n_points=81)
    with pytest.raises(ValueError, match="at least"):
        select(basis, n_points=5)
    bad = basis.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        select(bad)
    with pytest.raises(ValueError, match="columns"):
        select(np.ones((3, 4)))
    dep = np.column_stack([basis[:, :3], basis[:, 0] + basis[:, 1]])
    with pytest.raises(ValueError, match="linearly dependent"):
        select(dep)


def test_deim_coefficients_errors(basis):
    with pytest.raises(ValueError, match="distinct"):
        deim_coefficients(basis, np.array([0, 0, 1, 2, 3, 4, 5, 6]))
    with pytest.raises(ValueError, match="at least"):
        deim_coefficients(basis, np.array([0, 1]))
    with pytest.raises(TypeError, match="integer"):
        deim_coefficients(basis, np.arange(8.0))
