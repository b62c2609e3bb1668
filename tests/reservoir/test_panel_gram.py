"""Panel Gram sums: the same numbers for any number of Python threads, equal to A^T A."""
import numpy as np

from rcpod.reservoir.panel_gram import (PANEL, cross_add, gram_add_upper, inner_product,
                                        one_blas_thread, rows_product, symmetrize_upper)


def test_panel_sums_do_not_depend_on_the_workers():
    rng = np.random.default_rng(0)
    n = 2 * PANEL + 37
    A, B = rng.normal(size=(90, n)), rng.normal(size=(90, PANEL + 5))
    results = []
    for workers in (1, 2, 3):
        S, C = np.zeros((n, n)), np.zeros((n, PANEL + 5))
        with one_blas_thread():
            for _ in range(2):   # two blocks, as a stream adds them
                gram_add_upper(S, A, workers)
                cross_add(C, A, B, workers)
        symmetrize_upper(S)
        results.append((S, C))
    for S, C in results[1:]:
        assert np.array_equal(S, results[0][0]) and np.array_equal(C, results[0][1])
    S, C = results[0]
    np.testing.assert_allclose(S, 2 * A.T @ A, rtol=1e-12, atol=1e-10)
    np.testing.assert_allclose(C, 2 * A.T @ B, rtol=1e-12, atol=1e-10)
    assert np.array_equal(S, S.T)


def test_row_panel_products_do_not_depend_on_the_workers():
    rng = np.random.default_rng(2)
    n = 2 * PANEL + 37
    A, B, C = rng.normal(size=(n, 30)), rng.normal(size=(30, 7)), rng.normal(size=(n, 7))
    with one_blas_thread():
        prods = [rows_product(A, B, w) for w in (1, 2, 3)]
        inners = [inner_product(A, C, w) for w in (1, 2, 3)]
        out = np.full((n, 7), np.nan)
        assert rows_product(A, B, 2, out=out) is out
    for P, I in zip(prods[1:], inners[1:]):
        assert np.array_equal(P, prods[0]) and np.array_equal(I, inners[0])
    assert np.array_equal(out, prods[0])
    np.testing.assert_allclose(prods[0], A @ B, rtol=1e-13, atol=1e-12)
    np.testing.assert_allclose(inners[0], A.T @ C, rtol=1e-13, atol=1e-11)
    assert np.array_equal(inner_product(A[:0], C[:0], 2), np.zeros((30, 7)))


def test_full_matrix_helpers_across_panels_and_shape_errors():
    import pytest

    from rcpod.reservoir.panel_gram import outer_add
    rng = np.random.default_rng(1)
    n = PANEL + 9
    B = rng.normal(size=(n, n))
    x, y = rng.normal(size=n), rng.normal(size=n)
    S = B.copy()
    outer_add(S, -0.5, x, y)
    np.testing.assert_allclose(S, B - 0.5 * np.outer(x, y), rtol=0, atol=1e-14)
    with pytest.raises(ValueError, match="gram_add_upper"):
        gram_add_upper(np.zeros((3, 3)), np.zeros((5, 4)), 1)
    with pytest.raises(ValueError, match="cross_add"):
        cross_add(np.zeros((4, 2)), np.zeros((5, 4)), np.zeros((6, 2)), 1)
    with pytest.raises(ValueError, match="rows_product"):
        rows_product(np.zeros((4, 3)), np.zeros((4, 2)), 1)
    with pytest.raises(ValueError, match="inner_product"):
        inner_product(np.zeros((4, 3)), np.zeros((5, 2)), 1)
