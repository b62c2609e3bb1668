"""Initializers for the recurrent matrix W, the input matrix W_in and the bias of an ESN.

Each W initializer returns an (N, N) matrix with spectral radius ``spectral_radius``:
``"normal"`` / ``"uniform"`` draw a random sparse matrix of the given density and rescale it;
``"orthogonal"`` is a Haar-random orthogonal matrix times rho; ``"ring"`` is the cyclic delay line
(a permutation) times rho. Near-orthogonal reservoirs reach a memory capacity close to N, random
normal ones about N/2 (H. Jaeger, "Short term memory in echo state networks", GMD Report 152,
2001; Strauss et al. 2012).
"""
from __future__ import annotations

import logging
import warnings

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import ArpackNoConvergence, eigs

logger = logging.getLogger(__name__)

__all__ = ["W_INITIALIZERS", "make_recurrent", "make_input", "make_bias", "spectral_radius"]

W_INITIALIZERS = ("normal", "uniform", "orthogonal", "ring")
_DENSE_EIG_LIMIT = 300  # below this a dense eigensolve is fast and exact


def spectral_radius(W):
    """Largest absolute eigenvalue of a dense or sparse square matrix.

    Parameters
    ----------
    W : array or scipy.sparse matrix of shape (n, n)
        Dense up to 300 rows or when not sparse (exact eigensolve); ARPACK otherwise.

    Returns
    -------
    rho : float
        0.0 for an empty matrix.

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.reservoir.initializers import spectral_radius
    >>> spectral_radius(np.diag([0.5, -2.0, 1.0]))
    2.0
    """
    n = W.shape[0]
    if n <= _DENSE_EIG_LIMIT or not sp.issparse(W):
        A = W.toarray() if sp.issparse(W) else np.asarray(W)
        return float(np.max(np.abs(np.linalg.eigvals(A)))) if n else 0.0
    try:
        vals = eigs(W.astype(np.float64), k=1, which="LM", return_eigenvectors=False,
                    maxiter=20 * n, tol=1e-12, v0=np.ones(n))
        return float(np.abs(vals[0]))
    except ArpackNoConvergence:
        logger.info("ARPACK did not converge; falling back to a dense eigensolve (N=%d).", n)
        return float(np.max(np.abs(np.linalg.eigvals(W.toarray()))))


def _sparse_random(n, density, rng, sampler):
    """Random sparse (n, n) CSR matrix with about ``density * n^2`` nonzeros (at least one per row
    is not enforced, as in reservoirpy)."""
    nnz = max(1, int(round(density * n * n)))
    flat = rng.choice(n * n, size=nnz, replace=False)
    rows, cols = np.divmod(flat, n)
    return sp.csr_matrix((sampler(nnz), (rows, cols)), shape=(n, n))


def make_recurrent(n_units, spectral_radius_target, density, w_init, rng):
    """Recurrent matrix W for an ESN (see module docstring). Returns CSR for sparse kinds
    (density < 1 or "ring") and a dense ndarray otherwise.

    Parameters
    ----------
    n_units : int
        Number of reservoir units ``N``.
    spectral_radius_target : float
        Spectral radius of the returned matrix.
    density : float in (0, 1]
        Fraction of nonzero entries (``"normal"`` and ``"uniform"`` only).
    w_init : {"normal", "uniform", "orthogonal", "ring"}
        Kind of matrix (:data:`W_INITIALIZERS`).
    rng : numpy.random.Generator

    Returns
    -------
    W : scipy.sparse.csr_matrix or ndarray of shape (n_units, n_units)

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.reservoir.initializers import make_recurrent, spectral_radius
    >>> W = make_recurrent(20, 0.9, 0.2, "normal", np.random.default_rng(0))
    >>> W.shape, round(spectral_radius(W), 6)
    ((20, 20), 0.9)
    """
    if w_init in ("normal", "uniform"):
        sampler = (rng.standard_normal if w_init == "normal"
                   else (lambda k: rng.uniform(-1.0, 1.0, size=k)))
        if density >= 1.0:
            W = sampler(n_units * n_units).reshape(n_units, n_units)
        else:
            W = _sparse_random(n_units, density, rng, sampler)
        rho = spectral_radius(W)
        if rho == 0.0:
            raise ValueError("the random recurrent matrix has spectral radius 0 (too sparse); "
                             "increase density or n_units.")
        return W * (spectral_radius_target / rho)
    if w_init == "orthogonal":
        Q, R = np.linalg.qr(rng.standard_normal((n_units, n_units)))
        Q *= np.sign(np.diag(R))  # Haar measure (Mezzadri 2007)
        return Q * spectral_radius_target
    if w_init == "ring":
        rows = (np.arange(n_units) + 1) % n_units
        return sp.csr_matrix((np.full(n_units, float(spectral_radius_target)),
                              (rows, np.arange(n_units))), shape=(n_units, n_units))
    raise ValueError(f"w_init must be one of {W_INITIALIZERS}, got {w_init!r}.")


def make_input(n_units, n_inputs, input_scaling, rng):
    """Dense input matrix W_in ~ U(-1, 1) * input_scaling (scalar or one value per input).

    Parameters
    ----------
    n_units, n_inputs : int
        Shape of ``W_in``.
    input_scaling : float or array-like of shape (n_inputs,)
        Scale of each input's column.
    rng : numpy.random.Generator

    Returns
    -------
    W_in : ndarray of shape (n_units, n_inputs)

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.reservoir.initializers import make_input
    >>> W_in = make_input(20, 2, [1.0, 0.1], np.random.default_rng(0))
    >>> W_in.shape, bool(np.all(np.abs(W_in[:, 1]) <= 0.1))
    ((20, 2), True)
    """
    scale = np.broadcast_to(np.asarray(input_scaling, dtype=np.float64), (n_inputs,))
    return rng.uniform(-1.0, 1.0, size=(n_units, n_inputs)) * scale


def make_bias(n_units, bias_scaling, rng):
    """Bias b ~ U(-1, 1) * bias_scaling.

    Parameters
    ----------
    n_units : int
        Length of the bias.
    bias_scaling : float
        Scale of the uniform draw (0 gives a zero bias).
    rng : numpy.random.Generator

    Returns
    -------
    b : ndarray of shape (n_units,)

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.reservoir.initializers import make_bias
    >>> b = make_bias(20, 0.5, np.random.default_rng(0))
    >>> b.shape, bool(np.all(np.abs(b) <= 0.5))
    ((20,), True)
    """
    return rng.uniform(-1.0, 1.0, size=n_units) * float(bias_scaling)


def warn_if_doubtful(spectral_radius_value, leak_rate):
    if spectral_radius_value > 1.5:
        warnings.warn(f"spectral_radius={spectral_radius_value} is far above 1: the reservoir is "
                      "likely not an echo state network (states may be chaotic).", RuntimeWarning,
                      stacklevel=3)
