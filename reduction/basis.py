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

import logging

import numpy as np
import scipy.linalg
import scipy.sparse as sp

from rcpod.reservoir.form import LeakyTanhForm
from rcpod.reservoir.panel_gram import inner_product, one_blas_thread, rows_product
from rcpod.reservoir.validation import check_array, check_int, check_real

from .leading_modes import SUBSPACE_TOL, dense_eigh, panel_product
from .pod import DENSE_GRAM_MAX, energy_rank, pod
from .pod import _leading_eigenpairs

__all__ = ["observability_gramian", "observability_factor", "linearized_jacobian",
           "output_weighted_pod", "output_weighted_pod_factored", "output_weighted_pod_from_gram",
           "FACTOR_TOL"]

logger = logging.getLogger(__name__)

#: Default tolerance of :func:`observability_factor`: the estimated trace of the series' tail,
#: relative to the trace of the factor so far.
FACTOR_TOL = 1e-12


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


def observability_factor(jacobian, output, tol=FACTOR_TOL, max_terms=100000):
    """Low-rank factor ``Z`` of the observability Gramian, ``Q ~ Z Z^T``, from products only.

    ``Q = sum_{j>=0} (J^T)^j C^T C J^j`` (the series solution of ``Q = J^T Q J + C^T C``), so
    ``Z = [C^T, J^T C^T, (J^T)^2 C^T, ...]`` truncated: each term costs one product with the
    (sparse) ``J^T``, no ``N x N`` array is formed. The series stops when the estimated trace
    of its remaining tail -- the last term's trace times ``rho^2 / (1 - rho^2)``, ``rho^2`` the
    ratio of the last two terms' traces (exact for a geometric tail) -- is at most ``tol``
    times the trace so far; then ``Z`` is compressed by a thin SVD, dropping the directions
    that hold together at most ``tol`` of the trace. This is the Smith iteration's series
    (Smith 1968; low-rank form: Penzl 2000, Gugercin, Sorensen & Antoulas 2003) without the
    squaring step, which would need ``J^(2^k)`` densely. The factor is compressed the same way
    whenever it has grown by 256 columns, so it stays thin however many terms the series needs.

    Parameters
    ----------
    jacobian : ndarray or scipy.sparse matrix of shape (N, N)
        ``J``; the series converges iff its spectral radius is below 1.
    output : ndarray of shape (n_outputs, N)
        ``C``.
    tol : float, default=FACTOR_TOL (1e-12)
        Relative trace tolerance of the truncation and of the compression.
    max_terms : int, default=100000
        Raise if the series has not converged after this many terms.

    Returns
    -------
    Z : ndarray of shape (N, q)
        ``Z Z^T`` approximates ``Q`` from below, with ``tr(Q - Z Z^T)`` at most about
        ``(1 + c) tol tr(Q)`` for ``c`` compressions (each drops at most ``tol`` of the trace).

    Raises
    ------
    ValueError
        Shapes do not match, or the series does not converge (``J`` not stable).

    References
    ----------
    .. [1] R. A. Smith, "Matrix equation XA + BX = C", SIAM J. Appl. Math. 16(1), 1968.
    .. [2] T. Penzl, "A cyclic low-rank Smith method for large sparse Lyapunov equations",
       SIAM J. Sci. Comput. 21(4), 2000.
    .. [3] S. Gugercin, D. C. Sorensen, A. C. Antoulas, "A modified low-rank Smith method for
       large-scale Lyapunov equations", Numer. Algorithms 32, 2003.

    Examples
    --------
    >>> import numpy as np
    >>> J, C = np.array([[0.5, 0.1], [0.0, 0.3]]), np.array([[1.0, 2.0]])
    >>> Z = observability_factor(J, C)
    >>> bool(np.allclose(Z @ Z.T, observability_gramian(J, C), rtol=0, atol=1e-10))
    True
    """
    J = jacobian if sp.issparse(jacobian) else check_array("jacobian", jacobian, ndim=2)
    C = check_array("output", output, ndim=2)
    N = J.shape[0]
    if J.shape != (N, N) or C.shape[1] != N:
        raise ValueError(f"jacobian must be square (N, N) and output (n_outputs, N); got "
                         f"{J.shape} and {C.shape}.")
    tol = check_real("tol", tol, low=0, high=1, closed="neither")
    max_terms = check_int("max_terms", max_terms, low=1)
    JT = J.T.tocsr() if sp.issparse(J) else np.ascontiguousarray(J.T)
    Y = np.ascontiguousarray(C.T, dtype=np.float64)
    kept, blocks, n_cols, total, last = np.zeros((N, 0)), [], 0, 0.0, None
    for _ in range(max_terms):
        term = float(np.sum(Y * Y))
        blocks.append(Y)
        n_cols += Y.shape[1]
        total += term
        if not np.isfinite(total):
            break
        if last is not None and last > 0:
            rho2 = term / last
            if rho2 < 1.0 and term * rho2 / (1.0 - rho2) <= tol * total:
                return _compress(np.hstack([kept] + blocks), tol)
        if total == 0.0:
            return np.zeros((N, 1))
        if n_cols > max(256, 2 * kept.shape[1]):   # keep the factor thin: compress as we go
            kept, blocks, n_cols = _compress(np.hstack([kept] + blocks), tol), [], 0
        last = term
        Y = JT @ Y
    raise ValueError(f"the observability series of the linearised ESN did not converge in "
                     f"max_terms={max_terms} terms (its mean Jacobian is not stable, or barely): "
                     f"use the plain POD basis.")


def _compress(Z, tol):
    """``Z`` with the same ``Z Z^T`` up to a dropped trace of at most ``tol`` of the total.

    From the small ``Z^T Z = V diag(s^2) V^T``: ``Z V = U diag(s)``, so the kept factor is
    ``Z V[:, :q]`` (an ``N x c`` SVD would cost as much and gives the same columns)."""
    s2, V = dense_eigh(Z.T @ Z)
    tail = np.concatenate([np.cumsum(s2[::-1])[::-1], [0.0]])
    q = max(1, int(np.argmax(tail <= tol * s2.sum())))
    return np.ascontiguousarray(Z @ V[:, :q])


def _weights(trP, trQ, weight):
    """Scales of ``P`` and ``Q`` in ``M = P / trP + weight Q / trQ`` (0 for an empty part)."""
    return (1.0 / trP if trP > 0 else 0.0), (weight / trQ if weight > 0 and trQ > 0 else 0.0)


def _check_factored(N, factor, rank, weight):
    Z = check_array("factor", factor, ndim=2)
    if Z.shape[0] != N:
        raise ValueError(f"factor must have N={N} rows to match the snapshots, got {Z.shape}.")
    rank = check_int("rank", rank, allow_none=True, high=N)
    return Z, rank, check_real("weight", weight, low=0)


def output_weighted_pod_factored(snapshots, factor, rank=None, energy=None, weight=0.5,
                                 center=False, method="auto"):
    """:func:`output_weighted_pod` from a factor ``Q ~ Z Z^T``, never forming an ``N x N`` array.

    ``M = P / trP + weight Q / trQ = F F^T`` with the stacked, scaled factors
    ``F = [X / sqrt(n trP), sqrt(weight / trQ) Z]`` (``P = X X^T / n``, ``trP = ||X||_F^2 / n``,
    ``trQ = ||Z||_F^2``): the eigenvectors of ``M`` are the left singular vectors of ``F`` and
    its eigenvalues their squares, so this is :func:`rcpod.reduction.pod` of ``F`` (with its
    choice of exact, method-of-snapshots or iterative decomposition).

    Parameters
    ----------
    snapshots : array of shape (N, n_snapshots)
    factor : array of shape (N, q)
        ``Z`` (e.g. from :func:`observability_factor`).
    rank, energy, weight, center
        As in :func:`output_weighted_pod` (``energy`` is a fraction of ``tr M``).
    method : {"auto", "exact", "gram", "randomized"}, default="auto"
        The decomposition of ``F`` (see :func:`rcpod.reduction.pod`).

    Returns
    -------
    modes : ndarray of shape (N, r), orthonormal columns
    eigenvalues : ndarray
        Eigenvalues of ``M``, non-increasing: the ``min(N, n_snapshots + q)`` squared singular
        values of ``F`` for the exact / Gram decompositions, the leading ones for the iterative
        one.

    Examples
    --------
    Same modes as the dense path when ``Z Z^T`` is the Gramian:

    >>> import numpy as np
    >>> X = np.random.default_rng(0).normal(size=(6, 40)) * np.arange(6, 0, -1)[:, None]
    >>> Z = np.random.default_rng(1).normal(size=(6, 2))
    >>> A, la = output_weighted_pod(X, Z @ Z.T, rank=3)
    >>> B, lb = output_weighted_pod_factored(X, Z, rank=3)
    >>> bool(np.allclose(np.abs(A.T @ B), np.eye(3))), bool(np.allclose(la[:3], lb[:3]))
    (True, True)
    """
    X = check_array("snapshots", snapshots, ndim=2)
    N, n = X.shape
    Z, rank, weight = _check_factored(N, factor, rank, weight)
    if rank is None and energy is None:
        raise ValueError("give rank (number of modes) or energy (fraction of the trace to keep).")
    if center:
        X = X - X.mean(axis=1, keepdims=True)
    cP, cQ = _weights(float(np.sum(X * X)) / n, float(np.sum(Z * Z)), weight)
    F = np.hstack([X * np.sqrt(cP / n), Z * np.sqrt(cQ)]) if cQ > 0 else X * np.sqrt(cP / n)
    modes, s = pod(F, rank=rank, energy=energy, method=method)
    return modes, s ** 2


def output_weighted_pod_from_gram(gram, n_snapshots, factor, rank=None, energy=None, weight=0.5,
                                  method="auto", tol=SUBSPACE_TOL, random_state=0):
    """:func:`output_weighted_pod` from the snapshots' Gram matrix (streamed snapshots).

    ``M = G / (n trP) + weight Z Z^T / trQ`` with ``G = X X^T`` (centred if the basis is),
    ``trP = tr G / n``, ``trQ = ||Z||_F^2``; ``M`` is applied to blocks of vectors
    (``G Q`` and ``Z (Z^T Q)``), so beyond the Gram matrix the snapshots already gave no
    ``N x N`` array is formed unless the dense solver is chosen.

    Parameters
    ----------
    gram : ndarray of shape (N, N)
        ``X X^T`` of the state snapshots.
    n_snapshots : int
        ``n``, the number of snapshots behind ``gram``.
    factor : ndarray of shape (N, q)
        ``Z`` with ``Q ~ Z Z^T``.
    rank, energy, weight
        As in :func:`output_weighted_pod`.
    method : {"auto", "gram", "randomized"}, default="auto"
        Dense eigendecomposition of ``M`` (``"gram"``, ``"auto"`` up to order
        :data:`rcpod.reduction.pod.DENSE_GRAM_MAX`) or block subspace iteration with the residual
        check of :func:`rcpod.reduction.leading_modes.subspace_eigh` (``"randomized"``).
    tol, random_state
        Of the subspace iteration.

    Returns
    -------
    modes : ndarray of shape (N, r)
    eigenvalues : ndarray
        All ``N`` (dense) or the leading computed ones.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).normal(size=(6, 40)) * np.arange(6, 0, -1)[:, None]
    >>> Z = np.random.default_rng(1).normal(size=(6, 2))
    >>> A, _ = output_weighted_pod(X, Z @ Z.T, rank=3)
    >>> B, _ = output_weighted_pod_from_gram(X @ X.T, 40, Z, rank=3, method="randomized")
    >>> bool(np.allclose(np.abs(A.T @ B), np.eye(3)))
    True
    """
    G = check_array("gram", gram, ndim=2)
    N = G.shape[0]
    Z, rank, weight = _check_factored(N, factor, rank, weight)
    n = check_int("n_snapshots", n_snapshots, low=1)
    if rank is None and energy is None:
        raise ValueError("give rank (number of modes) or energy (fraction of the trace to keep).")
    return output_weighted_from_products(panel_product(G), float(np.trace(G)), lambda: G, N,
                                         n, Z, rank, energy, weight, method, tol, random_state)


def output_weighted_from_products(apply, trace, dense, n_dofs, n_snapshots, factor, rank,
                                  energy, weight, method="auto", tol=SUBSPACE_TOL,
                                  random_state=0):
    """:func:`output_weighted_pod_from_gram` from products with ``G = X X^T`` (held snapshots).

    ``apply(B)`` returns ``G @ B``, ``trace`` is ``tr G`` and ``dense()`` returns ``G`` itself
    (called only for the dense eigendecomposition); ``n_dofs`` is ``N``, ``factor`` ``Z`` and
    ``n_snapshots`` ``n``. Returns ``(modes, eigenvalues)`` as
    :func:`output_weighted_pod_from_gram`.
    """
    Z, rank, weight = _check_factored(n_dofs, factor, rank, weight)
    if rank is None and energy is None:
        raise ValueError("give rank (number of modes) or energy (fraction of the trace to keep).")
    N = n_dofs
    cP, cQ = _weights(trace / n_snapshots, float(np.sum(Z * Z)), weight)
    cP /= n_snapshots

    def dense_m():
        return cP * dense() + cQ * (Z @ Z.T)

    if method == "gram" or (method == "auto" and N <= DENSE_GRAM_MAX):
        lam, V = dense_eigh(dense_m())
        r = rank if energy is None else energy_rank(np.sqrt(lam), energy)
        r = r if rank is None else min(r, rank)
    else:
        def apply_m(B):
            PB = apply(B)
            with one_blas_thread() as workers:
                ZB = rows_product(Z, inner_product(Z, B, workers), workers)
            return cP * PB + cQ * ZB

        lam, V, r = _leading_eigenpairs(apply_m, N,
                                        cP * trace + cQ * float(np.sum(Z * Z)),
                                        rank, energy, dense_m, tol, random_state)
    return np.ascontiguousarray(V[:, :r]), lam


def output_weighted_dense(gram, n_snapshots, gramian, rank, energy, weight):
    """The dense path of :func:`output_weighted_pod` from the snapshots' Gram ``G = X X^T``
    and a dense Gramian ``Q``: ``(modes, all eigenvalues of M)``."""
    trP, trQ = np.trace(gram) / n_snapshots, np.trace(gramian)
    M = gram / (n_snapshots * trP) if trP > 0 else np.zeros_like(gram)
    if weight > 0 and trQ > 0:
        M = M + weight * gramian / trQ
    lam, V = dense_eigh(0.5 * (M + M.T))
    r = rank if energy is None else energy_rank(np.sqrt(lam), energy)
    return np.ascontiguousarray(V[:, :r if rank is None else min(r, rank)]), lam
