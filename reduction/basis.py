"""Output-weighted POD: a reduced basis that keeps the state directions the readout looks at.

Plain POD keeps the directions of largest state energy. A trained ESN readout with a small ridge
penalty can rely on directions of tiny energy (on NARMA10 with N = 500 the readout's
coefficient norm is ~1e4 on directions holding ~1e-6 of the energy), which a 50-mode POD basis
drops. The output-weighted basis takes the leading eigenvectors of

    M = P / tr P + alpha Q / tr Q,

where ``P = X X^T / n`` is the (optionally centred) state-snapshot Gramian, the matrix whose
eigenvectors are the POD modes, and ``Q`` the observability Gramian of the ESN linearised
about its training trajectory,

    Q = J^T Q J + C^T C,     J = (1 - a) I + a diag(mean_k(1 - tanh(v[k])^2)) W,

``C`` being the readout's state coefficients: ``x^T Q x`` is the output energy the state ``x``
produces in the linearised model. ``alpha = 0`` gives POD. Both Gramians are normalised by their
trace so that ``alpha`` weighs them on a common scale.

The Gramians are those of balanced truncation (Moore 1981) and its snapshot version, balanced POD
(Willcox & Peraire 2002, Rowley 2005); balancing itself needs an oblique (Petrov-Galerkin)
projection. Summing the normalised Gramians instead keeps the orthonormal Galerkin basis every
reduced reservoir in :mod:`rcpod.reduction.reduced` uses: this combination is a project choice,
measured in examples/reduction_narma10.py.

References
----------
Moore, "Principal component analysis in linear systems: controllability, observability, and
model reduction", IEEE TAC 26(1), 1981; Willcox & Peraire, "Balanced model reduction via the
proper orthogonal decomposition", AIAA J. 40(11), 2002; Rowley, "Model reduction for fluids, using
balanced proper orthogonal decomposition", Int. J. Bifurcation Chaos 15(3), 2005.
"""
from __future__ import annotations

import numpy as np
import scipy.linalg

from rcpod.reservoir.form import LeakyTanhForm
from rcpod.reservoir.validation import check_array, check_int, check_real

from .pod import energy_rank

__all__ = ["observability_gramian", "linearized_jacobian", "output_weighted_pod"]


def linearized_jacobian(W, nonlinear, leak_rate=1.0):
    """Mean step Jacobian ``J = (1 - a) I + a diag(mean_k(1 - f_k^2)) W`` of an ESN.

    Parameters
    ----------
    W : array or sparse matrix of shape (N, N)
        Recurrent weights.
    nonlinear : array of shape (N, n_snapshots)
        Snapshots ``f[k] = tanh(v[k])`` along the trajectory the linearisation averages over.
    leak_rate : float in (0, 1]

    Returns
    -------
    J : ndarray of shape (N, N)

    Examples
    --------
    >>> import numpy as np
    >>> J = linearized_jacobian(0.5 * np.eye(2), np.zeros((2, 3)), leak_rate=0.5)
    >>> J
    array([[0.75, 0.  ],
           [0.  , 0.75]])
    """
    F = check_array("nonlinear", nonlinear, ndim=2)
    N = F.shape[0]
    if W.shape != (N, N):
        raise ValueError(f"W must have shape ({N}, {N}) to match the {N} rows of nonlinear, got "
                         f"{W.shape}.")
    a = check_real("leak_rate", leak_rate, low=0, high=1, closed="right")
    Wd = W.toarray() if hasattr(W, "toarray") else np.asarray(W, dtype=np.float64)
    form = LeakyTanhForm(A=Wd, B=np.zeros((N, 0)), c=np.zeros(N), leak=a)
    return form.state_jacobian_at_slopes(np.mean(1.0 - F ** 2, axis=1))


def observability_gramian(jacobian, output):
    """Observability Gramian ``Q`` of ``x[k+1] = J x[k]``, ``y = C x``: ``Q = J^T Q J + C^T C``.

    Parameters
    ----------
    jacobian : array of shape (N, N)
        ``J``; its spectral radius must be below 1 (otherwise the sum diverges).
    output : array of shape (n_outputs, N)
        ``C``.

    Returns
    -------
    Q : ndarray of shape (N, N), symmetric positive semi-definite.

    Raises
    ------
    ValueError
        Shapes do not match, or ``J`` is not stable (spectral radius >= 1).

    Examples
    --------
    For a scalar system ``Q = c^2 / (1 - j^2)``:

    >>> float(observability_gramian([[0.5]], [[1.0]])[0, 0])
    1.3333333333333333
    """
    J = check_array("jacobian", jacobian, ndim=2)
    C = check_array("output", output, ndim=2)
    N = J.shape[0]
    if J.shape != (N, N) or C.shape[1] != N:
        raise ValueError(f"jacobian must be square (N, N) and output (n_outputs, N); got "
                         f"{J.shape} and {C.shape}.")
    rho = float(np.max(np.abs(np.linalg.eigvals(J))))
    if rho >= 1.0:
        raise ValueError(f"the linearised ESN is not stable (spectral radius of its mean "
                         f"Jacobian {rho:.4f} >= 1): its observability Gramian does not exist; "
                         f"use the plain POD basis.")
    Q = scipy.linalg.solve_discrete_lyapunov(J.T, C.T @ C)
    return 0.5 * (Q + Q.T)


def output_weighted_pod(snapshots, gramian, rank=None, energy=None, weight=0.5, center=False):
    """Leading eigenvectors of ``M = P / tr P + weight Q / tr Q`` (see the module docstring).

    Parameters
    ----------
    snapshots : array of shape (N, n_snapshots)
        State snapshots ``X`` (one per column).
    gramian : array of shape (N, N)
        Output Gramian ``Q`` (e.g. from :func:`observability_gramian`).
    rank : int, optional
        Number of modes ``r``.
    energy : float in (0, 1], optional
        Keep the smallest ``r`` whose eigenvalues of ``M`` capture this fraction of its trace;
        ``rank`` caps it. One of ``rank`` / ``energy`` is required.
    weight : float >= 0, default=0.5
        ``alpha``; 0 gives the POD modes (up to sign).
    center : bool, default=False
        Centre the snapshots before forming ``P``.

    Returns
    -------
    modes : ndarray of shape (N, r), orthonormal columns
    eigenvalues : ndarray of shape (N,)
        All eigenvalues of ``M``, non-increasing.

    Examples
    --------
    With ``weight=0`` the basis spans the POD modes:

    >>> import numpy as np
    >>> from rcpod.reduction import pod
    >>> X = np.random.default_rng(0).normal(size=(6, 40)) * np.arange(6, 0, -1)[:, None]
    >>> Psi, _ = output_weighted_pod(X, np.eye(6), rank=2, weight=0.0)
    >>> Phi, _ = pod(X, rank=2)
    >>> bool(np.allclose(np.abs(Psi.T @ Phi), np.eye(2)))
    True
    """
    X = check_array("snapshots", snapshots, ndim=2)
    N = X.shape[0]
    Q = check_array("gramian", gramian, ndim=2)
    if Q.shape != (N, N):
        raise ValueError(f"gramian must have shape ({N}, {N}) to match snapshots, got {Q.shape}.")
    weight = check_real("weight", weight, low=0)
    if rank is None and energy is None:
        raise ValueError("give rank (number of modes) or energy (fraction of the trace to keep).")
    rank = check_int("rank", rank, allow_none=True)
    if rank is not None and rank > N:
        raise ValueError(f"rank={rank} exceeds the number of degrees of freedom N={N}.")
    if center:
        X = X - X.mean(axis=1, keepdims=True)
    P = X @ X.T / X.shape[1]
    trP, trQ = np.trace(P), np.trace(Q)
    M = P / trP if trP > 0 else np.zeros_like(P)
    if weight > 0 and trQ > 0:
        M = M + weight * Q / trQ
    lam, V = np.linalg.eigh(0.5 * (M + M.T))
    lam, V = np.clip(lam[::-1], 0.0, None), V[:, ::-1]
    r = rank if energy is None else energy_rank(np.sqrt(lam), energy)
    if rank is not None:
        r = min(r, rank)
    return np.ascontiguousarray(V[:, :r]), lam
