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

from rcpod.reservoir.validation import check_array, check_int

__all__ = ["pod", "energy_rank", "projection_error"]

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


def energy_rank(singular_values, energy):
    """Smallest rank whose modes capture at least the fraction ``energy`` of the energy.

    Returns the smallest ``r`` with ``sum_{j<=r} s_j^2 / sum_j s_j^2 >= energy``
    (``energy = 1 - eps`` for a tolerance ``eps`` on the discarded energy). The discarded tail
    ``sum_{j>r} s_j^2`` is summed from the small end, so ``energy=1`` keeps exactly the modes
    with non-zero singular value.

    Parameters
    ----------
    singular_values : array of shape (k,)
        Non-negative, non-increasing singular values.
    energy : float in (0, 1]

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
    total = s2.sum()
    if total == 0.0:
        return 1
    # tail[r] = sum_{j >= r} s_j^2 (0-based), tail[k] = 0
    tail = np.concatenate([np.cumsum(s2[::-1])[::-1], [0.0]])
    allowed = (1.0 - energy) * total
    return max(1, int(np.argmax(tail <= allowed)))


def pod(snapshots, rank=None, energy=None, center=False):
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

    Returns
    -------
    modes : array of shape (n_dofs, r)
        Orthonormal POD modes, signs fixed so that the largest-magnitude entry of each mode is
        positive (deterministic output).
    singular_values : array of shape (min(n_dofs, n_snapshots),)
        **All** singular values of the (centred) snapshot matrix, non-increasing; the first ``r``
        belong to the returned modes, the rest were discarded. Use them to judge the decay.

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
    if rank is not None:
        if rank > n_dofs:
            raise ValueError(f"rank={rank} exceeds the snapshot dimension n_dofs={n_dofs} "
                             f"(snapshots must have shape (n_dofs, n_snapshots)).")
        if rank > n_snap:
            raise ValueError(f"rank={rank} exceeds the number of snapshots n_snapshots={n_snap} "
                             f"(snapshots must have shape (n_dofs, n_snapshots)).")
    if center:
        X = X - X.mean(axis=1, keepdims=True)
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
    modes = U[:, :r]
    # deterministic signs: largest |entry| of each mode positive
    idx = np.argmax(np.abs(modes), axis=0)
    signs = np.sign(modes[idx, np.arange(r)])
    signs[signs == 0] = 1.0
    modes = np.ascontiguousarray(modes * signs)
    return modes, s


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
