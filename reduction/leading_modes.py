"""Leading eigenpairs of symmetric positive semi-definite operators, without a full decomposition.

Pure algorithms over arrays and callables. POD only keeps the leading modes of a snapshot matrix
``X`` (N, T), i.e. the leading eigenvectors of its Gram matrix ``X X^T``; so do the DEIM basis and
the output-weighted basis (the leading eigenvectors of a sum of scaled Gram matrices). Two ways
to get them here:

* :func:`dense_eigh`: the method of snapshots (Sirovich 1987) -- a dense symmetric eigensolver
  (LAPACK ``syevd``) on the smaller Gram matrix, ``min(N, T)`` square. Exact up to rounding in
  the eigenvalues ``s_j^2``: a singular value ``s_j`` comes out with an absolute error of about
  ``eps s_1^2 / s_j`` (so those below ``sqrt(eps) s_1`` are not resolved) and a mode with an
  angle error of about ``eps s_1^2 / gap_j`` (``gap_j`` the distance of ``s_j^2`` to the rest of
  the spectrum).
* :func:`subspace_svd`: the same iteration on ``X`` itself, given its products ``X B`` and
  ``X^T A``, orthonormalised between the two (Halko, Martinsson & Tropp 2011, Algorithm 4.4),
  with the Rayleigh-Ritz step an SVD: it never forms the square ``X X^T`` and resolves a mode
  to ``eps s_1 / (s_j - s_j+1)`` as the exact SVD does, where an iteration on the Gram matrix
  (and the method of snapshots) stops at ``eps s_1^2 / (s_j^2 - s_j+1^2)``: for a DEIM mode at
  ``s_j ~ 1e-6 s_1`` that is the difference between an angle of ~1e-8 and one of ~1e-3.
* :func:`subspace_eigh`: block subspace iteration with Rayleigh-Ritz (randomized start,
  Halko, Martinsson & Tropp 2011, Algorithms 4.4 / 5.3; Saad 2011, ch. 5) on an operator given
  only by its product with a block of vectors (``Q -> X (X^T Q)``, ``Q -> G Q``, or a sum of
  such). It stops on an accuracy check, not on a fixed number of power steps: the residual of
  every wanted Ritz pair, ``||A v_j - w_j v_j||``, at most ``tol * w_1``. By the Davis-Kahan
  theorem the angle between the computed and the exact span of the leading ``k`` eigenvectors is
  then at most ``sqrt(k) tol w_1 / (w_k - w_{k+1})`` (Saad 2011, Thm. 4.11), and each eigenvalue
  is within ``tol w_1`` of an exact one (Bauer-Fike for symmetric matrices).

References
----------
.. [1] L. Sirovich, "Turbulence and the dynamics of coherent structures, part I", Quart. Appl.
   Math. 45(3), 1987 (method of snapshots).
.. [2] N. Halko, P.-G. Martinsson, J. A. Tropp, "Finding structure with randomness: probabilistic
   algorithms for constructing approximate matrix decompositions", SIAM Review 53(2), 2011.
.. [3] Y. Saad, "Numerical Methods for Large Eigenvalue Problems", 2nd ed., SIAM, 2011.
"""
from __future__ import annotations

import logging

import numpy as np
import scipy.linalg

from rcpod.reservoir.panel_gram import inner_product, one_blas_thread, rows_product
from rcpod.reservoir.validation import check_int, check_real

__all__ = ["dense_eigh", "subspace_eigh", "subspace_svd", "panel_product", "SUBSPACE_TOL"]

logger = logging.getLogger(__name__)

#: Default residual tolerance of :func:`subspace_eigh`, relative to the largest eigenvalue: near
#: the rounding floor, because ESN snapshot spectra have relative gaps ``(w_r - w_r+1) / w_1`` of
#: 1e-8 and below at r = 50 (NARMA10, N = 500), and the angle bound is ``tol / gap``; where the
#: floor is not reached the iteration stops when the residual stalls.
SUBSPACE_TOL = 1e-14


def dense_eigh(gram):
    """All eigenpairs of a symmetric PSD matrix, largest first, eigenvalues clipped at 0.

    Parameters
    ----------
    gram : ndarray of shape (n, n)
        Symmetric (only the lower triangle is read).

    Returns
    -------
    eigenvalues : ndarray of shape (n,), non-increasing, non-negative
    eigenvectors : ndarray of shape (n, n), orthonormal columns

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.reduction.leading_modes import dense_eigh
    >>> w, V = dense_eigh(np.diag([1.0, 3.0, 2.0]))
    >>> w
    array([3., 2., 1.])
    """
    w, V = scipy.linalg.eigh(gram, driver="evd", check_finite=False)
    return np.clip(w[::-1], 0.0, None), V[:, ::-1]


def _householder(Y):
    return np.linalg.qr(Y, mode="reduced")[0]


def _orth(Y, workers):
    """Orthonormal basis of the columns of ``Y`` (n, l), n >= l, by Cholesky QR twice on the
    columns scaled to unit norm (Yamamoto, Nakatsukasa, Yanagisawa & Fukaya 2015); Householder
    QR when that cannot be trusted.

    The subspace iteration's blocks ``A V`` have columns close to ``w_j v_j``: scaled, they
    are nearly orthonormal, and two Cholesky passes (panel products at the BLAS's GEMM rate,
    on ``workers`` threads) replace LAPACK's Householder QR (2-3x the time on one thread,
    and unsafe on two threads of a busy machine). The first pass brings any block of condition
    number below ``~1e7`` close to orthonormal; the second is then accurate to rounding
    (orthogonality ``O(eps)``) as long as the first left ``||Q_1^T Q_1 - I||_F <= 1/2``, which
    is checked. Zero, non-finite or too ill-conditioned blocks (the Cholesky factorisation
    fails or the check does not hold) take Householder QR.
    """
    norms = np.sqrt(np.einsum("ij,ij->j", Y, Y))
    if not (np.all(norms > 0) and np.all(np.isfinite(norms))):
        return _householder(Y)
    Q = Y / norms
    eye = np.eye(Y.shape[1])
    for second in (False, True):
        M = inner_product(Q, Q, workers)
        if second and np.linalg.norm(M - eye) > 0.5:
            return _householder(Y)
        try:
            R = scipy.linalg.cholesky(M, lower=False, check_finite=False)
        except np.linalg.LinAlgError:
            return _householder(Y)
        Q = rows_product(Q, scipy.linalg.solve_triangular(R, eye, lower=False,
                                                          check_finite=False), workers)
    return Q


def _start_block(n, l, random_state, start):
    """``l`` Gaussian vectors of length ``n`` (seeded), the first ones replaced by ``start``."""
    Y = np.random.default_rng(random_state).standard_normal((n, l))
    if start is not None:
        start = np.asarray(start)
        if start.ndim != 2 or start.shape[0] != n or not np.isfinite(start).all():
            raise ValueError(f"start must be a finite (n, l') array with n={n} rows, got shape "
                             f"{start.shape}" + ("" if start.ndim != 2 or start.shape[0] != n
                                                 else " with NaN or infinity") + ".")
        m = min(l, start.shape[1])
        Y[:, :m] = start[:, :m]
    return Y


def _product(name, func, block, rows):
    """``func(block)``, checked: a finite float array of shape (rows, block columns); a silent
    NaN would stall the iteration and return NaN modes."""
    if not callable(func):
        raise TypeError(f"{name} must be a callable, got {type(func).__name__}.")
    out = np.asarray(func(block))
    if out.shape != (rows, block.shape[1]):
        raise ValueError(f"{name} must return an array of shape ({rows}, {block.shape[1]}) for "
                         f"a block of shape {block.shape}, got {out.shape}.")
    if not np.isfinite(out).all():
        raise ValueError(f"{name} returned NaN or infinity.")
    return out


def _residual(R, top):
    """The largest column norm of ``R`` relative to ``top`` (the largest Ritz value)."""
    return float(np.max(np.linalg.norm(R, axis=0)) / max(top, np.finfo(np.float64).tiny))


def _iterate(step, Y, tol, max_iter):
    """The subspace iteration's loop: ``Q = orth(Y)``, then ``step(Q)`` gives ``(residual,
    next block, finish)`` until the residual is at most ``tol``, has not improved over 20 steps
    (rounding floor) or ``max_iter`` steps were taken; returns ``(finish(workers), residual)``.
    Everything between the caller's products runs as one-thread BLAS products of fixed row
    panels on Python threads (:mod:`rcpod.reservoir.panel_gram`): the same numbers for any
    thread count, and no multithreaded LAPACK (whose QR of a 5000 x 150 block took 0.75 s
    against 0.05 s on one thread with two threads on a busy 2-core machine)."""
    with one_blas_thread() as workers:
        Q = _orth(Y, workers)
    best, stale = np.inf, 0
    for it in range(1, max_iter + 1):
        res, block, finish = step(Q)
        if res <= tol:
            break
        if res < 0.9 * best:
            best, stale = res, 0
        else:
            stale += 1
            if stale >= 20:
                logger.info("subspace iteration stalled at residual %.3g > tol=%.3g after %d "
                            "steps (rounding floor)", res, tol, it)
                break
        with one_blas_thread() as workers:
            Q = _orth(block, workers)
    else:
        logger.warning("subspace iteration stopped after max_iter=%d steps at residual %.3g > "
                       "tol=%.3g", max_iter, res, tol)
    with one_blas_thread() as workers:
        return finish(workers), res


def panel_product(M):
    """``Q -> M @ Q`` by row panels of ``M`` on one BLAS thread each
    (:func:`rcpod.reservoir.panel_gram.rows_product`): the operator of a Gram matrix for
    :func:`subspace_eigh`, the same numbers for any thread count.

    Parameters
    ----------
    M : ndarray of shape (n, n)
        C-contiguous float64 (e.g. a Gram matrix ``X X^T``).

    Returns
    -------
    callable
        ``apply(Q)``: ``M @ Q`` for a block ``Q`` of shape (n, l).

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.reduction.leading_modes import panel_product
    >>> panel_product(np.eye(2) * 3.0)(np.ones((2, 1))).ravel().tolist()
    [3.0, 3.0]
    """
    M = np.asarray(M)
    if M.ndim != 2 or M.shape[0] != M.shape[1]:
        raise ValueError(f"M must be a square (n, n) array, got shape {M.shape}.")

    def apply(Q):
        with one_blas_thread() as workers:
            return rows_product(M, Q, workers)
    return apply


def subspace_svd(matvec, rmatvec, n_rows, n_cols, k, *, tol=SUBSPACE_TOL, oversample=None,
                 max_iter=300, random_state=0, start=None):
    """Leading ``k`` singular values and left singular vectors of ``X`` by block subspace
    iteration on ``X`` itself.

    ``l = k + oversample`` vectors: ``P = X^T Q``, ``P = Q_P R`` (orthonormal ``Q_P``), the SVD
    ``R = A S C^T`` gives the Ritz triplets ``u_j = Q C e_j``, ``s_j``, ``v_j = Q_P A e_j``
    (with ``X^T u_j = s_j v_j`` exactly), then ``Q <- orth(X V)`` (Halko, Martinsson & Tropp
    2011, Algorithm 4.4, orthonormalised after each product; the Rayleigh-Ritz step of
    Algorithm 5.1). It stops when ``max_{j<k} ||X v_j - s_j u_j|| <= tol s_1`` (then each
    ``(u_j, s_j, v_j)`` is an exact singular triplet of a matrix within ``tol s_1`` of ``X``,
    and by Wedin's theorem the angle to the leading ``k`` left singular vectors is at most
    ``sqrt(k) tol s_1 / (s_k - s_k+1)``), when that has not improved over 20 iterations
    (rounding floor), or after ``max_iter`` iterations.

    Parameters
    ----------
    matvec : callable
        ``matvec(B)`` returns ``X @ B`` for ``B`` of shape (n_cols, l).
    rmatvec : callable
        ``rmatvec(A)`` returns ``X.T @ A`` for ``A`` of shape (n_rows, l).
    n_rows, n_cols : int
        Shape of ``X``.
    k : int
        Number of singular triplets wanted, ``1 <= k <= min(n_rows, n_cols)``.
    tol : float, default=SUBSPACE_TOL (1e-14)
        Residual tolerance relative to ``s_1``.
    oversample : int, optional
        Extra vectors; default ``max(10, k)`` (``l`` capped at ``min(n_rows, n_cols)``).
    max_iter : int, default=300
    random_state : int or numpy Generator, default=0
        Seed of the Gaussian start.
    start : ndarray of shape (n_rows, l'), optional
        Vectors to start from; completed by Gaussian ones.

    Returns
    -------
    eigenvalues : ndarray of shape (l,)
        ``s_j^2`` (the eigenvalues of ``X X^T``), non-increasing (the first ``k`` checked).
    eigenvectors : ndarray of shape (n_rows, l)
        The left singular vectors ``u_j``, orthonormal.
    residual : float
        ``max_{j<k} ||X v_j - s_j u_j|| / s_1`` at the end.

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.reduction.leading_modes import subspace_svd
    >>> X = np.diag(0.5 ** np.arange(40))[:, :30]
    >>> w, U, res = subspace_svd(lambda B: X @ B, lambda A: X.T @ A, 40, 30, 3)
    >>> np.round(np.sqrt(w[:3]), 12), bool(res <= 1e-14)
    (array([1.  , 0.5 , 0.25]), True)
    """
    n_rows = check_int("n_rows", n_rows, low=1)
    n_cols = check_int("n_cols", n_cols, low=1)
    k = check_int("k", k, low=1, high=min(n_rows, n_cols))
    tol = check_real("tol", tol, low=0, closed="neither")
    p = max(10, k) if oversample is None else check_int("oversample", oversample, low=0)
    l = min(n_rows, n_cols, k + p)

    def step(Q):   # X^T, orthonormalise, SVD Rayleigh-Ritz, X
        P = np.ascontiguousarray(_product("rmatvec", rmatvec, Q, n_cols))
        with one_blas_thread() as workers:
            QP = _orth(P, workers)
            A, sv, Ct = np.linalg.svd(inner_product(QP, P, workers))
            C = np.ascontiguousarray(Ct.T)
            V = rows_product(QP, A, workers)
            Uk = rows_product(Q, np.ascontiguousarray(C[:, :k]), workers)
        XV = np.ascontiguousarray(_product("matvec", matvec, V, n_rows))
        res = _residual(XV[:, :k] - Uk * sv[:k], sv[0])
        return res, XV, lambda workers: (sv ** 2, rows_product(Q, C, workers))

    (w, U), res = _iterate(step, _start_block(n_rows, l, random_state, start), tol, max_iter)
    return w, U, res


def subspace_eigh(apply, n, k, *, tol=SUBSPACE_TOL, oversample=None, max_iter=300,
                  random_state=0, start=None):
    """Leading ``k`` eigenpairs of a symmetric PSD operator by block subspace iteration.

    ``l = k + oversample`` vectors are iterated (``Q <- orth(A Q)``) from a Gaussian start; after
    every product the Rayleigh-Ritz step (eigenpairs of ``Q^T A Q``) gives the Ritz pairs and
    their residuals at no extra product. The iteration stops when the largest residual of the
    first ``k`` pairs is at most ``tol`` times the largest Ritz value, or when it has not
    improved over 20 iterations (rounding floor), or after ``max_iter`` products.

    Parameters
    ----------
    apply : callable
        ``apply(Q)`` returns ``A @ Q`` for a block ``Q`` of shape (n, l). Best made of panel
        products on one BLAS thread (:func:`panel_product`): the steps between products run
        so, and a multithreaded BLAS product leaves its threads spinning while they work (0.6
        of 3.3 s at N = 5,000, k = 100).
    n : int
        Order of ``A``.
    k : int
        Number of eigenpairs wanted, ``1 <= k <= n``.
    tol : float, default=SUBSPACE_TOL (1e-14)
        Residual tolerance relative to the largest eigenvalue (see the module docstring for the
        angle and eigenvalue bounds it gives).
    oversample : int, optional
        Extra vectors; default ``max(10, k)`` (capped at ``n - k``). Each step shrinks the
        error of pair ``j`` by about ``w_{l+1} / w_j``: with ``oversample = k = 100`` the leading
        modes of an ESN's linearised-remainder Gram (N = 5,000) took 20 steps and 3.7 s
        against 32 steps and 5.1 s with ``k // 2``.
    max_iter : int, default=300
    random_state : int or numpy Generator, default=0
        Seed of the Gaussian start (the result is deterministic for a given seed).
    start : ndarray of shape (n, l'), optional
        Vectors to start from (e.g. a previous, smaller run); completed by Gaussian ones.

    Returns
    -------
    eigenvalues : ndarray of shape (l,), non-increasing (the first ``k`` checked)
    eigenvectors : ndarray of shape (n, l), orthonormal columns
    residual : float
        ``max_{j<k} ||A v_j - w_j v_j|| / w_1`` at the end.

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.reduction.leading_modes import subspace_eigh
    >>> A = np.diag(0.5 ** np.arange(40))
    >>> w, V, res = subspace_eigh(lambda Q: A @ Q, 40, 3)
    >>> np.round(w[:3], 12), bool(res <= 1e-14)
    (array([1.  , 0.5 , 0.25]), True)
    """
    n = check_int("n", n, low=1)
    k = check_int("k", k, low=1, high=n)
    tol = check_real("tol", tol, low=0, closed="neither")
    p = max(10, k) if oversample is None else check_int("oversample", oversample, low=0)
    l = min(n, k + p)

    def step(Q):   # A, Rayleigh-Ritz
        AQ = _product("apply", apply, Q, n)
        with one_blas_thread() as workers:
            H = inner_product(Q, AQ, workers)
            w, S = np.linalg.eigh(0.5 * (H + H.T))
            w, S = w[::-1], np.ascontiguousarray(S[:, ::-1])
            AV = rows_product(AQ, S, workers)
            Vk = rows_product(Q, np.ascontiguousarray(S[:, :k]), workers)
        res = _residual(AV[:, :k] - Vk * w[:k], w[0])
        return res, AV, lambda workers: (np.clip(w, 0.0, None), rows_product(Q, S, workers))

    (w, V), res = _iterate(step, _start_block(n, l, random_state, start), tol, max_iter)
    return w, V, res
