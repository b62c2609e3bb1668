"""Selection of interpolation (sampling) indices for the discrete empirical interpolation method.

Pure algorithms over arrays. A *basis* has shape ``(n_dofs, n_basis)`` with linearly
independent (usually orthonormal POD) columns ``U``; the functions return integer row indices
``p`` such that ``f ~ U (P^T U)^+ P^T f`` with ``P = I[:, p]``.

* :func:`deim` -- greedy DEIM (Chaturantabut & Sorensen 2010 [1]_).
* :func:`qdeim` -- Q-DEIM, pivots of a column-pivoted QR of ``U^T`` (Drmac & Gugercin 2016 [2]_).
* ``n_points > n_basis`` (both functions) -- oversampling for a least-squares ("gappy POD")
  reconstruction: after the ``n_basis`` interpolation points, each further point is chosen by the
  deterministic greedy GPOD+E rule of Peherstorfer, Drmac & Gugercin (2020) [3]_: add the row that
  maximises a lower bound on the growth of the smallest eigenvalue of ``(P^T U)^T (P^T U)``
  (i.e. of ``sigma_min(P^T U)``), obtained from eigenvalue perturbation theory with the gap
  between the two smallest eigenvalues.
* :func:`deim_coefficients` -- the matrix ``(P^T U)^{-1}`` (or the pseudo-inverse when
  oversampled) that maps sampled values to basis coefficients.

References
----------
.. [1] S. Chaturantabut, D. C. Sorensen, "Nonlinear model reduction via discrete empirical
   interpolation", SIAM J. Sci. Comput. 32(5), 2010.
.. [2] Z. Drmac, S. Gugercin, "A new selection operator for the discrete empirical interpolation
   method", SIAM J. Sci. Comput. 38(2), 2016.
.. [3] B. Peherstorfer, Z. Drmac, S. Gugercin, "Stability of discrete empirical interpolation and
   gappy proper orthogonal decomposition with randomized and deterministic sampling points", SIAM
   J. Sci. Comput. 42(5), 2020.
"""
from __future__ import annotations

import numpy as np
import scipy.linalg

from rcpod.reservoir.validation import check_array, check_int

__all__ = ["deim", "qdeim", "oversample", "deim_coefficients", "lstsq_weights"]

#: relative size below which a residual / pivot is treated as zero (linearly dependent basis)
_RANK_TOL = 1e-12


def _check_basis(basis, n_points):
    U = check_array("basis", basis, ndim=2)
    n_dofs, n_basis = U.shape
    if n_basis > n_dofs:
        raise ValueError(f"basis must have at most as many columns as rows (shape (n_dofs, "
                         f"n_basis)), got shape {U.shape}.")
    n_points = check_int("n_points", n_points, allow_none=True)
    if n_points is None:
        n_points = n_basis
    if n_points < n_basis:
        raise ValueError(f"n_points={n_points} must be at least the number of basis columns "
                         f"n_basis={n_basis} (fewer points than basis vectors are not unisolvent).")
    if n_points > n_dofs:
        raise ValueError(f"n_points={n_points} exceeds the number of rows n_dofs={n_dofs} of "
                         f"basis.")
    return U, n_points


def deim(basis, n_points=None):
    """Greedy DEIM interpolation indices.

    ``p_1 = argmax |u_1|``; for ``l = 2..m``: solve ``(P^T U_{l-1}) c = P^T u_l``, residual
    ``res = u_l - U_{l-1} c``, ``p_l = argmax |res|``.

    Parameters
    ----------
    basis : array of shape (n_dofs, n_basis)
        Linearly independent columns (e.g. POD modes of nonlinear snapshots).
    n_points : int, optional
        Number of indices; default ``n_basis``. More than ``n_basis`` selects extra points for an
        oversampled least-squares reconstruction with the greedy GPOD+E rule (see
        :func:`oversample`).

    Returns
    -------
    indices : int array of shape (n_points,)
        Distinct row indices, in the order they were selected.

    Raises
    ------
    ValueError
        NaN/inf in ``basis``, more columns than rows, ``n_points`` outside ``[n_basis, n_dofs]``,
        or linearly dependent columns.

    References
    ----------
    .. [1] S. Chaturantabut, D. C. Sorensen, "Nonlinear model reduction via discrete empirical
       interpolation", SIAM J. Sci. Comput. 32(5), 2010, Algorithm 1.

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.reduction import deim, pod
    >>> U, _ = pod(np.random.default_rng(0).normal(size=(30, 40)), rank=5)
    >>> p = deim(U)
    >>> p.shape, len(set(p.tolist()))
    ((5,), 5)
    >>> deim(U, n_points=8).shape        # oversampled (GPOD+E)
    (8,)
    """
    U, n_points = _check_basis(basis, n_points)
    n_basis = U.shape[1]
    scale = np.max(np.abs(U))
    p = [int(np.argmax(np.abs(U[:, 0])))]
    if abs(U[p[0], 0]) <= _RANK_TOL * scale:
        raise ValueError("basis has a zero column; columns must be linearly independent.")
    for l in range(1, n_basis):
        c = np.linalg.solve(U[p, :l], U[p, l])
        res = U[:, l] - U[:, :l] @ c
        i = int(np.argmax(np.abs(res)))
        if abs(res[i]) <= _RANK_TOL * scale * max(1.0, np.linalg.norm(c)):
            raise ValueError(f"basis columns are linearly dependent (column {l} lies in the span "
                             f"of the previous ones); cannot select DEIM indices.")
        p.append(i)
    p = np.asarray(p, dtype=np.intp)
    if n_points > n_basis:
        p = oversample(U, p, n_points)
    return p


def qdeim(basis, n_points=None):
    """Q-DEIM interpolation indices: pivots of a column-pivoted QR factorisation of ``U^T``.

    Parameters
    ----------
    basis : array of shape (n_dofs, n_basis)
        Linearly independent columns.
    n_points : int, optional
        Number of indices; default ``n_basis``. With ``n_points > n_basis`` the first ``n_basis``
        indices are the QR pivots and the remaining ones are added by the greedy GPOD+E rule of
        Peherstorfer, Drmac & Gugercin (2020) (see :func:`oversample`).

    Returns
    -------
    indices : int array of shape (n_points,)

    Raises
    ------
    ValueError
        As :func:`deim`.

    References
    ----------
    .. [1] Z. Drmac, S. Gugercin, "A new selection operator for the discrete empirical
       interpolation method", SIAM J. Sci. Comput. 38(2), 2016 (Q-DEIM).
    .. [2] B. Peherstorfer, Z. Drmac, S. Gugercin, "Stability of discrete empirical interpolation
       and gappy proper orthogonal decomposition with randomized and deterministic sampling
       points", SIAM J. Sci. Comput. 42(5), 2020 (oversampling).

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.reduction import pod, qdeim
    >>> U, _ = pod(np.random.default_rng(0).normal(size=(30, 40)), rank=5)
    >>> p = qdeim(U)
    >>> p.shape, bool(abs(np.linalg.det(U[p])) > 0)
    ((5,), True)
    """
    U, n_points = _check_basis(basis, n_points)
    n_basis = U.shape[1]
    R, piv = scipy.linalg.qr(U.T, mode="r", pivoting=True, check_finite=False)
    diag = np.abs(np.diag(R))
    if diag[n_basis - 1] <= _RANK_TOL * diag[0]:
        raise ValueError("basis columns are linearly dependent (rank-deficient QR of basis.T); "
                         "cannot select Q-DEIM indices.")
    p = np.asarray(piv[:n_basis], dtype=np.intp)
    if n_points > n_basis:
        p = oversample(U, p, n_points)
    return p


def oversample(basis, indices, n_points):
    """Add sampling points to ``indices`` by the greedy GPOD+E rule until there are ``n_points``.

    For the current sample matrix ``U_p = U[p, :]`` (``k x n``, ``k >= n``) with SVD
    ``U_p = Phi S W^T`` let ``g = s_{n-1}^2 - s_n^2`` be the gap of the two smallest eigenvalues
    of ``U_p^T U_p`` and ``b = W^T u_i`` the rotated candidate row ``u_i``. Adding row ``i`` raises
    the smallest eigenvalue by at least
    ``((g + |b|^2) - sqrt((g + |b|^2)^2 - 4 g b_n^2)) / 2``; the row maximising this bound is added
    (for ``n = 1`` the increase is exactly ``b_1^2``).

    Parameters
    ----------
    basis : array of shape (n_dofs, n_basis)
    indices : int array of shape (k,), ``k >= n_basis``
        Initial points such that ``U[indices]`` has full column rank (e.g. DEIM / Q-DEIM points).
    n_points : int
        Total number of points wanted, ``k <= n_points <= n_dofs``.

    Returns
    -------
    indices : int array of shape (n_points,)
        The given indices followed by the added ones.

    References
    ----------
    Peherstorfer, Drmac, Gugercin, SIAM J. Sci. Comput. 42(5), 2020 (Algorithm "GPOD+E" of the
    deterministic oversampling section; see also the authors' public code pehersto/odeim).

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.reduction import oversample, pod, qdeim
    >>> U, _ = pod(np.random.default_rng(0).normal(size=(30, 40)), rank=5)
    >>> p = oversample(U, qdeim(U), 9)
    >>> p.shape, bool(np.all(p[:5] == qdeim(U)))
    ((9,), True)
    """
    U = check_array("basis", basis, ndim=2)
    n_dofs, n_basis = U.shape
    p = list(np.asarray(indices, dtype=np.intp).ravel())
    if len(set(p)) != len(p) or (p and (min(p) < 0 or max(p) >= n_dofs)):
        raise ValueError("indices must be distinct row indices of basis.")
    if len(p) < n_basis:
        raise ValueError(f"need at least n_basis={n_basis} initial indices, got {len(p)}.")
    n_points = check_int("n_points", n_points)
    if not len(p) <= n_points <= n_dofs:
        raise ValueError(f"n_points={n_points} must lie in [{len(p)}, {n_dofs}].")
    taken = np.zeros(n_dofs, dtype=bool)
    taken[p] = True
    while len(p) < n_points:
        _, s, Wt = np.linalg.svd(U[p, :], full_matrices=False)
        b = U @ Wt.T  # rows: W^T u_i for every candidate i
        if n_basis == 1:
            score = b[:, 0] ** 2
        else:
            g = s[-2] ** 2 - s[-1] ** 2
            t = g + np.sum(b * b, axis=1)
            score = t - np.sqrt(np.maximum(t * t - 4.0 * g * b[:, -1] ** 2, 0.0))
        score[taken] = -np.inf
        i = int(np.argmax(score))
        p.append(i)
        taken[i] = True
    return np.asarray(p, dtype=np.intp)


def _check_indices(indices, n_rows, of):
    """``indices`` as a 1-D integer array of distinct row indices of ``of`` (n_rows rows)."""
    p = np.asarray(indices)
    if p.ndim != 1 or not np.issubdtype(p.dtype, np.integer):
        raise TypeError(f"indices must be a 1-D integer array, got {p.dtype} with shape {p.shape}.")
    if len(np.unique(p)) != p.size or p.min() < 0 or p.max() >= n_rows:
        raise ValueError(f"indices must be distinct row indices of {of}.")
    return p


def deim_coefficients(basis, indices):
    """The matrix ``(P^T U)^{-1}`` (``n_points = n_basis``) or ``(P^T U)^+`` (oversampled).

    ``f ~ U @ deim_coefficients(U, p) @ f[p]`` is the DEIM interpolant (exact at ``p``) or, with
    more points than basis columns, the least-squares (gappy POD) reconstruction.

    Parameters
    ----------
    basis : array of shape (n_dofs, n_basis)
    indices : int array of shape (n_points,), ``n_points >= n_basis``

    Returns
    -------
    array of shape (n_basis, n_points)

    Raises
    ------
    ValueError
        Invalid or repeated indices, too few points, or a singular ``P^T U``.

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.reduction import deim, deim_coefficients, pod
    >>> U, _ = pod(np.random.default_rng(0).normal(size=(30, 40)), rank=5)
    >>> p = deim(U)
    >>> f = U @ np.arange(1.0, 6.0)                  # lies in the span of U
    >>> bool(np.allclose(U @ deim_coefficients(U, p) @ f[p], f))
    True
    """
    U = check_array("basis", basis, ndim=2)
    p = _check_indices(indices, U.shape[0], "basis")
    if p.size < U.shape[1]:
        raise ValueError(f"need at least n_basis={U.shape[1]} indices, got {p.size}.")
    PU = U[p, :]
    s = np.linalg.svd(PU, compute_uv=False)
    if s[-1] <= _RANK_TOL * s[0]:
        raise ValueError("P^T U is singular for these indices; choose them with deim() or qdeim().")
    if p.size == U.shape[1]:
        return np.linalg.solve(PU, np.eye(p.size))
    return np.linalg.pinv(PU)


def lstsq_weights(projected, snapshots, indices):
    """Least-squares map from sampled snapshot values to their projection: ``E = T S_p^+``.

    Interpolation (:func:`deim_coefficients`) estimates ``Psi^T f`` from ``f[p]`` through a
    basis; this fits the linear estimator directly on the training snapshots ``S``,
    ``E = argmin_E ||Psi^T S - E S[p]||_F`` (minimum-norm solution), which is never worse on the
    snapshots and, when ``S`` has full row rank and ``p`` holds every row, equals ``Psi^T``.
    A data-fitted operator in the spirit of operator inference; a project choice measured in
    examples/reduction_narma10.py.

    Parameters
    ----------
    projected : array of shape (r, n_snapshots)
        ``T = Psi^T S``.
    snapshots : array of shape (n_dofs, n_snapshots)
        ``S``.
    indices : int array of shape (m,)
        Sampling points ``p``.

    Returns
    -------
    E : ndarray of shape (r, m)

    References
    ----------
    Peherstorfer & Willcox, "Data-driven operator inference for nonintrusive projection-based
    model reduction", Comput. Methods Appl. Mech. Engrg. 306, 2016.

    Examples
    --------
    >>> import numpy as np
    >>> S = np.random.default_rng(0).normal(size=(6, 50))
    >>> Psi = np.linalg.qr(np.random.default_rng(1).normal(size=(6, 2)))[0]
    >>> E = lstsq_weights(Psi.T @ S, S, np.arange(6))       # all points: E = Psi^T
    >>> bool(np.allclose(E, Psi.T))
    True
    """
    T = check_array("projected", projected, ndim=2)
    S = check_array("snapshots", snapshots, ndim=2)
    if T.shape[1] != S.shape[1]:
        raise ValueError(f"projected and snapshots must have the same number of columns "
                         f"(snapshots), got {T.shape} and {S.shape}.")
    p = _check_indices(indices, S.shape[0], "snapshots")
    return np.linalg.lstsq(S[p].T, T.T, rcond=None)[0].T
