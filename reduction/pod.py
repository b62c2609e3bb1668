"""Proper orthogonal decomposition (POD) of a snapshot matrix.

A pure algorithm over arrays: snapshots in, orthonormal modes and singular values out.

Convention (fixed for the whole ``reduction`` package): a snapshot matrix has shape
``(n_dofs, n_snapshots)`` -- one snapshot per **column**, ``X = [x[1] ... x[T]]`` as in the
POD-Galerkin reduction of trained ESNs of Jordanou et al. (2023, see :func:`pod`). Reservoir
states come out of ``reservoir.run`` as ``(T, N)``; pass ``states.T``.
"""
from __future__ import annotations

import logging
import numbers

import numpy as np
import scipy.linalg

from rcpod.reservoir.validation import Options, check_array, check_int, check_value

from .leading_modes import (SUBSPACE_TOL, dense_eigh, panel_product, subspace_eigh,
                            subspace_svd)

__all__ = ["pod", "pod_from_gram", "pod_from_products", "energy_rank", "projection_error",
           "POD_METHODS", "EXACT_MAX_FLOPS", "DENSE_GRAM_MAX"]

#: the decompositions :func:`pod` can use ("auto" picks one by shape)
POD_METHODS = ("auto", "exact", "gram", "randomized")
#: ``method="auto"`` keeps the exact SVD while ``N * T * min(N, T)`` is at most this (about a
#: second of ``gesdd``): small problems give bit for bit the results of rcpod 0.1.
EXACT_MAX_FLOPS = 1e10
#: ``method="auto"`` eigendecomposes a Gram matrix densely up to this order, and iterates on
#: it (or on ``X`` itself) above (the dense solver is O(n^3): 9 s at n = 5000 on 2 cores).
DENSE_GRAM_MAX = 3000

logger = logging.getLogger(__name__)


def _check_energy(energy):
    if energy is None:
        return None
    if isinstance(energy, bool) or not isinstance(energy, numbers.Real):
        raise TypeError(f"energy must be a real number in (0, 1] or None, got {energy!r}.")
    energy = float(energy)
    if not (0.0 < energy <= 1.0):  # also rejects NaN
        raise ValueError(f"energy must lie in (0, 1] (fraction of the squared singular values to "
                         f"keep, i.e. 1 - eps), got {energy!r}.")
    return energy


def energy_rank(singular_values, energy, total=None):
    """Smallest rank whose modes capture at least the fraction ``energy`` of the energy.

    Returns the smallest ``r`` with ``sum_{j<=r} s_j^2 / sum_j s_j^2 >= energy``
    (``energy = 1 - eps`` for a tolerance ``eps`` on the discarded energy). The discarded tail
    ``sum_{j>r} s_j^2`` is summed from the small end, so ``energy=1`` keeps exactly the modes
    with non-zero singular value.

    Parameters
    ----------
    singular_values : array of shape (k,)
        Non-negative, non-increasing singular values (all of them, or only the leading ones
        when ``total`` is given).
    energy : float in (0, 1]
    total : float, optional
        The total energy ``sum_j s_j^2 = ||X||_F^2`` (the trace of the Gram matrix), when only
        the leading singular values are known. The tail is then ``total - sum_{j<=r} s_j^2``;
        if the given values do not reach ``energy``, their number is returned.

    Returns
    -------
    rank : int, at least 1.

    References
    ----------
    .. [1] J. P. Jordanou, E. A. Antonelo, E. Camponogara, E. Gildin, "Investigation of Proper
       Orthogonal Decomposition for Echo State Networks", Neurocomputing, 2023, arXiv:2211.17179.

    Examples
    --------
    >>> from rcpod.reduction import energy_rank
    >>> energy_rank([3.0, 2.0, 1.0, 0.1], energy=0.9)
    2
    """
    energy = _check_energy(energy)
    if energy is None:
        raise ValueError("energy must be given.")
    s2 = np.asarray(singular_values, dtype=np.float64) ** 2
    if total is not None:
        r = _partial_energy_rank(s2, energy, float(total))
        return s2.size if r is None else r
    total = s2.sum()
    if total == 0.0:
        return 1
    # tail[r] = sum_{j >= r} s_j^2 (0-based), tail[k] = 0
    tail = np.concatenate([np.cumsum(s2[::-1])[::-1], [0.0]])
    allowed = (1.0 - energy) * total
    return max(1, int(np.argmax(tail <= allowed)))


def _partial_energy_rank(s2, energy, total):
    """Smallest ``r`` with ``total - sum_{j<=r} s2_j <= (1 - energy) total``; None if the given
    leading ``s2`` do not reach it."""
    if total <= 0.0:
        return 1
    tail = total - np.concatenate([[0.0], np.cumsum(s2)])
    ok = np.flatnonzero(tail <= (1.0 - energy) * total)
    return max(1, int(ok[0])) if ok.size else None


def _fix_signs(modes):
    """Deterministic signs: the largest-magnitude entry of each mode positive (a copy)."""
    r = modes.shape[1]
    idx = np.argmax(np.abs(modes), axis=0)
    signs = np.sign(modes[idx, np.arange(r)])
    signs[signs == 0] = 1.0
    return np.ascontiguousarray(modes * signs)


def _leading_eigenpairs(apply, n, total, rank, energy, dense, tol, random_state, factor=None):
    """Leading eigenpairs of a PSD operator of trace ``total``, as many as ``rank`` / ``energy``
    ask: ``(eigenvalues, vectors, r)`` with at least ``r`` columns. ``dense()`` gives the whole
    matrix for the dense fallback when more than half the spectrum is wanted. With ``factor =
    (matvec, rmatvec, n_cols)``, the products with ``X`` of the operator ``X X^T``, the
    iteration is :func:`subspace_svd` on ``X`` (``apply`` and ``dense`` unused: a block as
    wide as ``X``'s smaller side makes its Rayleigh-Ritz step the exact SVD)."""
    top = n if factor is None else min(n, factor[2])
    k = rank if rank is not None else min(top, 32)
    start = None
    while True:
        if 2 * k > top and factor is None:
            w, V = dense_eigh(dense())
            r = rank if energy is None else energy_rank(np.sqrt(w), energy)
            return w, V, (r if rank is None else min(r, rank))
        if factor is None:
            w, V, _ = subspace_eigh(apply, n, k, tol=tol, random_state=random_state,
                                    start=start)
        else:
            w, V, _ = subspace_svd(factor[0], factor[1], n, factor[2], k, tol=tol,
                                   random_state=random_state, start=start)
        if energy is None:
            return w, V, rank
        r = _partial_energy_rank(w[:k], energy, total)
        if r is None and k >= top:   # the whole spectrum (rounding kept the sum below it)
            r = top
        if r is not None or (rank is not None and k >= rank):
            return w, V, rank if r is None else (r if rank is None else min(r, rank))
        k, start = min(top, 2 * k), V


def pod_from_gram(gram, rank=None, energy=None, method="auto", tol=SUBSPACE_TOL,
                  random_state=0):
    """POD modes from the Gram matrix ``G = X X^T`` of the snapshots (never ``X`` itself).

    The left singular vectors of ``X`` are the eigenvectors of ``X X^T`` and its eigenvalues the
    squared singular values; this is what streamed snapshots give
    (:mod:`rcpod.reduction.snapshot_grams`), which never hold ``X``.

    Parameters
    ----------
    gram : ndarray of shape (N, N)
        Symmetric positive semi-definite ``X X^T`` (centred if the POD is).
    rank : int, optional
        Number of modes ``r``.
    energy : float in (0, 1], optional
        As in :func:`pod` (the total energy is the trace of ``gram``); ``rank`` caps it. One of
        ``rank`` / ``energy`` is required.
    method : {"auto", "gram", "randomized"}, default="auto"
        ``"gram"``: dense eigendecomposition (all eigenvalues); ``"randomized"``: block subspace
        iteration with the residual check of :func:`rcpod.reduction.leading_modes.subspace_eigh`
        (leading eigenvalues only); ``"auto"``: dense up to order :data:`DENSE_GRAM_MAX`.
    tol : float, default=1e-14
        Residual tolerance of the subspace iteration (relative to ``s_1^2``).
    random_state : int or Generator, default=0
        Start of the subspace iteration.

    Returns
    -------
    modes : ndarray of shape (N, r)
        Orthonormal, signs as in :func:`pod`.
    singular_values : ndarray
        Square roots of the computed eigenvalues: all ``N`` (dense) or the leading ones.

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.reduction import pod, pod_from_gram
    >>> X = np.random.default_rng(0).normal(size=(30, 200)) * 0.8 ** np.arange(30)[:, None]
    >>> A, s = pod(X, rank=4, method="exact")
    >>> B, t = pod_from_gram(X @ X.T, rank=4, method="randomized")
    >>> bool(np.allclose(A, B, atol=1e-8)), bool(np.allclose(s[:4], t[:4]))
    (True, True)
    """
    G = check_array("gram", gram, ndim=2)
    n = G.shape[0]
    if G.shape != (n, n):
        raise ValueError(f"gram must be square (N, N), got shape {G.shape}.")
    return pod_from_products(panel_product(G), n, float(np.trace(G)), lambda: G, rank=rank,
                             energy=energy, method=method, tol=tol, random_state=random_state)


def pod_from_products(apply, n, total, dense, rank=None, energy=None, method="auto",
                      tol=SUBSPACE_TOL, random_state=0, factor=None):
    """POD modes from the products of the snapshots' Gram matrix ``G = X X^T`` with blocks of
    vectors (:func:`pod_from_gram` without ``G``, e.g. ``Q -> X (X^T Q)`` over held blocks).

    Parameters
    ----------
    apply : callable
        ``apply(Q)`` returns ``G @ Q`` for a block ``Q`` of shape (n, l).
    n : int
        Order of ``G`` (the number of degrees of freedom).
    total : float
        ``tr G``, the total energy.
    dense : callable
        ``dense()`` returns ``G`` itself, for the dense eigendecomposition (``method="gram"``,
        ``"auto"`` up to order :data:`DENSE_GRAM_MAX`, or more than half the spectrum wanted).
    rank, energy, method, tol, random_state
        As in :func:`pod_from_gram`.
    factor : tuple, optional
        ``(matvec, rmatvec, n_snapshots)``: the products ``X @ B`` and ``X.T @ A`` with the
        snapshots themselves. The iteration then runs on ``X``
        (:func:`rcpod.reduction.leading_modes.subspace_svd`), which resolves the modes as the
        exact SVD does (``eps s_1 / gap`` against the Gram matrix's ``eps s_1^2 / gap``).

    Returns
    -------
    modes, singular_values
        As :func:`pod_from_gram`.

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.reduction import pod_from_gram
    >>> X = np.random.default_rng(0).normal(size=(30, 200)) * 0.8 ** np.arange(30)[:, None]
    >>> A, s = pod_from_gram(X @ X.T, rank=4, method="randomized")
    >>> B, t = pod_from_products(lambda Q: X @ (X.T @ Q), 30, float(np.sum(X * X)),
    ...                          lambda: X @ X.T, rank=4, method="randomized")
    >>> bool(np.allclose(A, B, atol=1e-8)), bool(np.allclose(s[:4], t[:4]))
    (True, True)
    """
    check_value("method", method, [Options(("auto", "gram", "randomized"))])
    rank = check_int("rank", rank, allow_none=True, high=n)
    energy = _check_energy(energy)
    if rank is None and energy is None:
        raise ValueError("give rank (number of modes) or energy (fraction of the trace to keep).")
    if factor is not None:
        if not (isinstance(factor, tuple) and len(factor) == 3 and callable(factor[0])
                and callable(factor[1])):
            raise TypeError(f"factor must be a tuple (matvec, rmatvec, n_snapshots) of two "
                            f"callables and an int, got {factor!r}.")
        factor = factor[:2] + (check_int("factor's n_snapshots", factor[2], low=1),)
    if method == "gram" or (method == "auto" and n <= DENSE_GRAM_MAX):
        w, V = dense_eigh(dense())
        r = rank if energy is None else energy_rank(np.sqrt(w), energy)
        r = r if rank is None else min(r, rank)
    else:
        w, V, r = _leading_eigenpairs(apply, n, total, rank, energy, dense, tol, random_state,
                                      factor)
    return _fix_signs(V[:, :r]), np.sqrt(w)


def _choose_method(n_dofs, n_snap, rank, energy):
    """``method="auto"``: exact SVD while cheap, then the method of snapshots, then iteration."""
    small = min(n_dofs, n_snap)
    if float(n_dofs) * n_snap * small <= EXACT_MAX_FLOPS:
        return "exact"
    if small <= DENSE_GRAM_MAX or (rank is None and energy is None):
        return "gram"
    return "randomized"


def _pod_truncated(X, rank, energy, method, tol, random_state):
    """Modes and singular values by subspace iteration on ``X`` itself (``"randomized"``) or by
    the method of snapshots (``"gram"``: the dense eigendecomposition of the smaller of
    ``X X^T`` / ``X^T X``)."""
    n_dofs, n_snap = X.shape
    if method != "gram":   # never X X^T: the modes resolved as the exact SVD resolves them
        w, U, r = _leading_eigenpairs(None, n_dofs, float(np.sum(X * X)), rank, energy, None,
                                      tol, random_state,
                                      (lambda B: X @ B, lambda A: X.T @ A, n_snap))
        return U[:, :r], np.sqrt(w)
    left = n_dofs <= n_snap   # eigenvectors of X X^T are the modes themselves
    w, V = dense_eigh(X @ X.T if left else X.T @ X)
    if energy is not None:
        r = energy_rank(np.sqrt(w), energy)
        r = r if rank is None else min(r, rank)
    elif rank is not None:
        r = rank
    else:
        s = np.sqrt(w)
        r = max(1, int(np.sum(s > np.sqrt(max(X.shape) * np.finfo(np.float64).eps) * s[0])))
    s = np.sqrt(w)
    if left:
        return V[:, :r], s
    if s[r - 1] <= 0.0:
        raise ValueError(f"the snapshots have numerical rank below rank={r}; ask for fewer "
                         f"modes.")
    U = X @ (V[:, :r] / s[:r])
    Qr, R = np.linalg.qr(U)   # re-orthonormalise (U^T U = I only to about eps s_1^2 / s_r^2)
    return Qr * np.sign(np.diag(R)), s


def pod(snapshots, rank=None, energy=None, center=False, method="auto", tol=SUBSPACE_TOL,
        random_state=0):
    """POD modes of a snapshot matrix by a thin SVD.

    ``X = Psi Sigma V^T``; the modes are the first ``r`` left singular vectors, orthonormal
    (``Psi_r^T Psi_r = I``), and ``||X - Psi_r Psi_r^T X||_F^2 = sum_{j>r} s_j^2``.

    Parameters
    ----------
    snapshots : array of shape (n_dofs, n_snapshots)
        One snapshot per column (``X = [x[1] ... x[T]]``); e.g. ``states.T`` for reservoir states
        of shape ``(T, N)``. Must be finite.
    rank : int, optional
        Number of modes ``r``; at most ``min(n_dofs, n_snapshots)``.
    energy : float in (0, 1], optional
        Fraction of the squared singular values to keep (``1 - eps``): the smallest ``r`` with
        ``sum_{j<=r} s_j^2 / sum_j s_j^2 >= energy``. If ``rank`` is given too, the smaller of
        the two ranks is used (``rank`` acts as a cap). If neither is given, all modes with a
        singular value above ``max(shape) * eps * s_1`` are kept (numerical rank).
    center : bool, default False
        Subtract the mean snapshot ``X.mean(axis=1)`` before the SVD. The caller keeps the mean
        (the reduced state then represents ``x ~ mean + Psi z``). Without centring the first
        mode carries the mean and an energy criterion saturates almost at once.
    method : {"auto", "exact", "gram", "randomized"}, default="auto"
        The decomposition. ``"exact"``: the thin SVD (LAPACK ``gesdd``), all singular values
        to full accuracy. ``"gram"``: the method of snapshots, a dense eigendecomposition of the
        smaller of ``X X^T`` / ``X^T X``; singular values below about ``sqrt(eps) s_1`` are not
        resolved (they come from ``s^2``) and, without ``rank`` / ``energy``, the numerical
        rank uses that threshold. ``"randomized"``: block subspace iteration on the smaller
        Gram operator (applied as ``X (X^T Q)``, never formed) until every kept mode has a
        residual below ``tol s_1^2`` (see :mod:`rcpod.reduction.leading_modes` for the angle
        and eigenvalue bounds this gives); needs ``rank`` or ``energy`` (the discarded energy is
        the trace ``||X||_F^2`` minus the kept part). ``"auto"``: ``"exact"`` while
        ``n_dofs * n_snapshots * min(n_dofs, n_snapshots) <= EXACT_MAX_FLOPS`` (so small
        problems give the same bits as before), then ``"gram"`` while ``min(n_dofs,
        n_snapshots) <= DENSE_GRAM_MAX``, then ``"randomized"``.
    tol : float, default=1e-14
        Residual tolerance of ``"randomized"``.
    random_state : int or Generator, default=0
        Start vectors of ``"randomized"`` (deterministic for a given seed).

    Returns
    -------
    modes : array of shape (n_dofs, r)
        Orthonormal POD modes, signs fixed so that the largest-magnitude entry of each mode is
        positive (deterministic output).
    singular_values : array
        Non-increasing. ``"exact"`` and ``"gram"``: **all** ``min(n_dofs, n_snapshots)``
        singular values of the (centred) snapshot matrix; the first ``r`` belong to the returned
        modes, the rest were discarded. Use them to judge the decay. ``"randomized"``: only the
        leading ones it computed (at least ``r``).

    Raises
    ------
    ValueError
        NaN/inf in ``snapshots``, ``rank`` larger than ``n_dofs`` or than ``n_snapshots``,
        ``energy`` outside (0, 1].

    References
    ----------
    .. [1] J. P. Jordanou, E. A. Antonelo, E. Camponogara, E. Gildin, "Investigation of Proper
       Orthogonal Decomposition for Echo State Networks", Neurocomputing, 2023, arXiv:2211.17179
       (POD of ESN states).

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.reduction import pod
    >>> X = np.random.default_rng(0).normal(size=(20, 3)) @ np.random.default_rng(1).normal(size=(3, 50))
    >>> modes, s = pod(X, energy=0.999999)
    >>> modes.shape, s.shape
    ((20, 3), (20,))
    >>> bool(np.allclose(modes.T @ modes, np.eye(3)))
    True
    """
    X = check_array("snapshots", snapshots, ndim=2)
    n_dofs, n_snap = X.shape
    rank = check_int("rank", rank, allow_none=True)
    energy = _check_energy(energy)
    check_value("method", method, [Options(POD_METHODS)])
    if method == "randomized" and rank is None and energy is None:
        raise ValueError("method='randomized' needs rank or energy (it computes leading modes "
                         "only).")
    if rank is not None:
        if rank > n_dofs:
            raise ValueError(f"rank={rank} exceeds the snapshot dimension n_dofs={n_dofs} "
                             f"(snapshots must have shape (n_dofs, n_snapshots)).")
        if rank > n_snap:
            raise ValueError(f"rank={rank} exceeds the number of snapshots n_snapshots={n_snap} "
                             f"(snapshots must have shape (n_dofs, n_snapshots)).")
    if center:
        X = X - X.mean(axis=1, keepdims=True)
    if method == "auto":
        method = _choose_method(n_dofs, n_snap, rank, energy)
    if method != "exact":
        modes, s = _pod_truncated(X, rank, energy, method, tol, random_state)
        return _fix_signs(modes), s
    try:
        U, s, _ = scipy.linalg.svd(X, full_matrices=False, lapack_driver="gesdd",
                                   check_finite=False)
    except np.linalg.LinAlgError:  # pragma: no cover - gesdd rarely fails to converge
        logger.info("gesdd did not converge; falling back to gesvd.")
        U, s, _ = scipy.linalg.svd(X, full_matrices=False, lapack_driver="gesvd",
                                   check_finite=False)

    if energy is not None:
        r = energy_rank(s, energy)
        if rank is not None:
            r = min(r, rank)
    elif rank is not None:
        r = rank
    else:
        tol = max(X.shape) * np.finfo(np.float64).eps * (s[0] if s.size else 0.0)
        r = max(1, int(np.sum(s > tol)))
    return _fix_signs(U[:, :r]), s


def projection_error(snapshots, modes):
    """Squared Frobenius error ``||X - Psi Psi^T X||_F^2`` of projecting onto orthonormal modes.

    Parameters
    ----------
    snapshots : array of shape (n_dofs, n_snapshots)
    modes : array of shape (n_dofs, r), orthonormal columns

    Returns
    -------
    float

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.reduction import pod, projection_error
    >>> X = np.random.default_rng(0).normal(size=(10, 30))
    >>> modes, s = pod(X, rank=4)
    >>> bool(np.isclose(projection_error(X, modes), np.sum(s[4:] ** 2)))
    True
    """
    X = check_array("snapshots", snapshots, ndim=2)
    Psi = check_array("modes", modes, ndim=2)
    if Psi.shape[0] != X.shape[0]:
        raise ValueError(f"modes has {Psi.shape[0]} rows but snapshots has {X.shape[0]}.")
    R = X - Psi @ (Psi.T @ X)
    return float(np.sum(R * R))
