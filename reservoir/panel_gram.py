"""Gram matrices summed block by block in fixed panels, on one BLAS thread per panel.

The ridge readout's normal equations (:mod:`rcpod.reservoir.readout`) and the reduction's
snapshot Grams (:mod:`rcpod.reduction.snapshot_grams`) are both sums ``S += A^T A`` (and
``A^T B``) over blocks of rows ``A`` (time steps x features). They are made here, and not by
one multithreaded BLAS call, for two reasons measured with the OpenBLAS bundled with numpy
(0.3.30 / 0.3.31):

* its multithreaded products and Cholesky factorisation round differently with different thread
  counts, so a result would depend on the machine's core count and load;
* its multithreaded ``dsyrk`` crashes (segfault) for 20,000 features and blocks of 256 rows or
  more (not for 16,000 features or 128 rows; numpy's ``X.T @ X`` calls it too).

So the matrix is cut into panels of :data:`PANEL` rows or columns (fixed, whatever the thread
count), every panel is one one-thread BLAS product, and the panels run on as many Python threads as BLAS had
threads (:func:`one_blas_thread` yields that number): the work is shared and the arithmetic of
every entry is the same for any thread count. Only the upper triangle (with the diagonal) of a
symmetric sum is accumulated; :func:`symmetrize_upper` completes it.
"""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import numpy as np

__all__ = ["PANEL", "one_blas_thread", "panels", "gram_add_upper", "cross_add", "rows_product",
           "inner_product", "outer_add_upper", "outer_add", "symmetrize_upper", "restore_upper"]

#: Column panel width of the block products (panels run in parallel above this many columns).
PANEL = 512

_blas_lock = threading.Lock()
_blas_state = {"depth": 0, "threads": 1, "limiter": None, "controller": None}


def _controller():
    if _blas_state["controller"] is None:
        from threadpoolctl import ThreadpoolController
        _blas_state["controller"] = ThreadpoolController()
    return _blas_state["controller"]


@contextmanager
def one_blas_thread():
    """Run the block with one BLAS thread; yields how many threads BLAS had before (the number
    of Python threads the caller may use instead).

    Nested and concurrent uses share one limit (the first entrant sets it, the last one out
    restores it).

    Examples
    --------
    >>> from rcpod.reservoir.panel_gram import one_blas_thread
    >>> with one_blas_thread() as workers:
    ...     workers >= 1
    True
    """
    with _blas_lock:
        if _blas_state["depth"] == 0:
            blas = _controller().select(user_api="blas")
            _blas_state["threads"] = max([lib.num_threads for lib in blas.lib_controllers]
                                         or [1])
            _blas_state["limiter"] = blas.limit(limits=1)
        _blas_state["depth"] += 1
        threads = _blas_state["threads"]
    try:
        yield threads
    finally:
        with _blas_lock:
            _blas_state["depth"] -= 1
            if _blas_state["depth"] == 0:
                _blas_state["limiter"].restore_original_limits()
                _blas_state["limiter"] = None


def panels(n):
    """The column panels of ``n`` columns, :data:`PANEL` wide.

    Parameters
    ----------
    n : int

    Returns
    -------
    list of (int, int)
        ``[(j0, j1), ...]``, half-open column ranges covering ``0 .. n``.

    Examples
    --------
    >>> from rcpod.reservoir.panel_gram import panels
    >>> panels(1200)
    [(0, 512), (512, 1024), (1024, 1200)]
    """
    return [(j0, min(j0 + PANEL, n)) for j0 in range(0, n, PANEL)]


def _run(jobs, work, workers):
    if workers <= 1 or len(jobs) <= 1:
        for job in jobs:
            work(job)
    else:
        with ThreadPoolExecutor(max_workers=min(workers, len(jobs))) as pool:
            list(pool.map(work, jobs))


def gram_add_upper(S, A, workers):
    """``S[upper] += A^T A`` for ``A`` (k, N), C-contiguous.

    The upper triangle with the diagonal; the strict lower triangle of ``S`` is left stale.
    Block rows of the triangle, :data:`PANEL` rows each, one one-thread BLAS product each, run
    on ``workers`` Python threads (call inside :func:`one_blas_thread`): the result does not
    depend on ``workers`` (132 GFlop/s on two cores of an Intel Xeon for N = 5000 and 838
    rows, against 165 for a two-thread ``dsyrk``).

    Parameters
    ----------
    S : ndarray of shape (N, N)
        Updated in place.
    A : ndarray of shape (k, N)
    workers : int
        Python threads for the panels.

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.reservoir.panel_gram import gram_add_upper, symmetrize_upper
    >>> A = np.arange(6.0).reshape(3, 2)
    >>> S = np.zeros((2, 2))
    >>> gram_add_upper(S, A, workers=1)
    >>> symmetrize_upper(S)
    >>> bool(np.array_equal(S, A.T @ A))
    True
    """
    n = A.shape[1]
    if A.ndim != 2 or S.shape != (n, n):
        raise ValueError(f"gram_add_upper: A must be 2-D (k, N) and S (N, N); got A {A.shape}, "
                         f"S {S.shape}.")
    if n <= PANEL:
        S += A.T @ A
        return

    def panel(bounds):   # a block row of the upper triangle (faster than block columns)
        i0, i1 = bounds
        S[i0:i1, i0:] += A[:, i0:i1].T @ A[:, i0:]

    _run(panels(n), panel, workers)    # largest first


def cross_add(S, A, B, workers):
    """``S += A^T B`` for ``A`` (k, N) and ``B`` (k, M), by column panels of ``B`` (see
    :func:`gram_add_upper`).

    Parameters
    ----------
    S : ndarray of shape (N, M)
        Updated in place.
    A : ndarray of shape (k, N)
    B : ndarray of shape (k, M)
    workers : int
        Python threads for the panels.

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.reservoir.panel_gram import cross_add
    >>> A, B = np.ones((3, 2)), np.arange(3.0)[:, None] * np.ones((3, 4))
    >>> S = np.zeros((2, 4))
    >>> cross_add(S, A, B, workers=2)
    >>> S.tolist()
    [[3.0, 3.0, 3.0, 3.0], [3.0, 3.0, 3.0, 3.0]]
    """
    if A.ndim != 2 or B.ndim != 2 or A.shape[0] != B.shape[0] or \
            S.shape != (A.shape[1], B.shape[1]):
        raise ValueError(f"cross_add: A (k, N), B (k, M) and S (N, M) must match; got A "
                         f"{A.shape}, B {B.shape}, S {S.shape}.")

    def panel(bounds):
        j0, j1 = bounds
        S[:, j0:j1] += A.T @ B[:, j0:j1]

    _run(panels(B.shape[1]), panel, workers)


def rows_product(A, B, workers, out=None):
    """``A @ B`` by row panels of ``A`` (:data:`PANEL` rows, one one-thread BLAS product each,
    on ``workers`` Python threads): the same numbers for any ``workers``.

    Parameters
    ----------
    A : ndarray of shape (n, p)
    B : ndarray of shape (p, q)
    workers : int
        Python threads for the panels (call inside :func:`one_blas_thread`).
    out : ndarray of shape (n, q), optional
        C-contiguous, receives the product (a fresh array by default).

    Returns
    -------
    ndarray of shape (n, q)

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.reservoir.panel_gram import rows_product
    >>> A, B = np.arange(6.0).reshape(3, 2), np.array([[1.0], [2.0]])
    >>> rows_product(A, B, workers=2).ravel().tolist()
    [2.0, 8.0, 14.0]
    """
    if A.ndim != 2 or B.ndim != 2 or A.shape[1] != B.shape[0]:
        raise ValueError(f"rows_product: A (n, p) and B (p, q) must match; got A {A.shape}, "
                         f"B {B.shape}.")
    out = np.empty((A.shape[0], B.shape[1])) if out is None else out

    def panel(bounds):
        i0, i1 = bounds
        np.matmul(A[i0:i1], B, out=out[i0:i1])

    _run(panels(A.shape[0]), panel, workers)
    return out


def inner_product(A, B, workers):
    """``A^T B`` for ``A`` (n, p) and ``B`` (n, q) as the sum, in panel order, of the products
    of their :data:`PANEL`-row panels (computed on ``workers`` Python threads, one BLAS
    thread each): the same numbers for any ``workers``.

    Parameters
    ----------
    A : ndarray of shape (n, p)
    B : ndarray of shape (n, q)
    workers : int

    Returns
    -------
    ndarray of shape (p, q)

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.reservoir.panel_gram import inner_product
    >>> A = np.arange(6.0).reshape(3, 2)
    >>> inner_product(A, A, workers=2).tolist()
    [[20.0, 26.0], [26.0, 35.0]]
    """
    if A.ndim != 2 or B.ndim != 2 or A.shape[0] != B.shape[0]:
        raise ValueError(f"inner_product: A (n, p) and B (n, q) must match; got A {A.shape}, "
                         f"B {B.shape}.")
    rows = panels(A.shape[0])
    if not rows:
        return np.zeros((A.shape[1], B.shape[1]))
    parts = [None] * len(rows)

    def panel(i):
        i0, i1 = rows[i]
        parts[i] = A[i0:i1].T @ B[i0:i1]

    _run(range(len(rows)), panel, workers)
    total = parts[0]
    for part in parts[1:]:
        total += part
    return total


def outer_add_upper(S, c, u):
    """``S[upper] += c * (u u^T)`` panel by panel (no (N, N) temporary); each entry is
    ``c * (u_i * u_j)``, so it is symmetric in u and unchanged by ``u -> -u``.

    Parameters
    ----------
    S : ndarray of shape (N, N)
        Updated in place: the upper triangle and the diagonal (the lower triangle of the
        diagonal panels too).
    c : float
    u : ndarray of shape (N,)

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.reservoir.panel_gram import outer_add_upper
    >>> S = np.zeros((2, 2))
    >>> outer_add_upper(S, 2.0, np.array([1.0, 3.0]))
    >>> np.triu(S).tolist()
    [[2.0, 6.0], [0.0, 18.0]]
    """
    for j0, j1 in panels(S.shape[0]):
        S[:j1, j0:j1] += c * np.multiply.outer(u[:j1], u[j0:j1])


def outer_add(S, alpha, x, y):
    """``S += alpha x y^T`` in place, by row panels (no (N, M) temporary: at N = 20,000 a Gram
    matrix is 3.2 GB).

    Parameters
    ----------
    S : ndarray of shape (N, M)
        Updated in place.
    alpha : float
    x : ndarray of shape (N,)
    y : ndarray of shape (M,)

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.reservoir.panel_gram import outer_add
    >>> S = np.zeros((2, 2))
    >>> outer_add(S, 2.0, np.array([1.0, 3.0]), np.array([1.0, -1.0]))
    >>> S.tolist()
    [[2.0, -2.0], [6.0, -6.0]]
    """
    for i0, i1 in panels(S.shape[0]):
        S[i0:i1] += alpha * np.outer(x[i0:i1], y)


def symmetrize_upper(S):
    """Copy the upper triangle of the square ``S`` into its lower triangle, panel by panel.

    Parameters
    ----------
    S : ndarray of shape (N, N)
        Updated in place.

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.reservoir.panel_gram import symmetrize_upper
    >>> S = np.array([[1.0, 2.0], [0.0, 3.0]])
    >>> symmetrize_upper(S)
    >>> S.tolist()
    [[1.0, 2.0], [2.0, 3.0]]
    """
    n = S.shape[0]
    for j0, j1 in panels(n):
        S[j1:, j0:j1] = S[j0:j1, j1:].T
        tile = S[j0:j1, j0:j1]
        low = np.tril_indices(j1 - j0, -1)
        tile[low] = tile.T[low]


def restore_upper(S, diag):
    """Undo a failed in-place ``dpotrf`` (upper): the strict lower triangle still holds the
    matrix, the diagonal was saved.

    Parameters
    ----------
    S : ndarray of shape (N, N)
        Restored in place.
    diag : ndarray of shape (N,)
        The saved diagonal.

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.reservoir.panel_gram import restore_upper
    >>> S = np.array([[9.0, 9.0], [2.0, 9.0]])      # upper overwritten, lower intact
    >>> restore_upper(S, np.array([1.0, 3.0]))
    >>> S.tolist()
    [[1.0, 2.0], [2.0, 3.0]]
    """
    n = S.shape[0]
    for j0, j1 in panels(n):
        S[j0:j1, j1:] = S[j1:, j0:j1].T
        tile = S[j0:j1, j0:j1]
        up = np.triu_indices(j1 - j0, 1)
        tile[up] = tile.T[up]
    S[np.diag_indices(n)] = diag
