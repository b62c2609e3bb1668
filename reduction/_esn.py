"""Access to the weights of a full ESN (private): one place that knows the ESN's attribute names."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import NotFittedError

__all__ = ["ESNWeights", "esn_weights", "is_esn"]


@dataclass
class ESNWeights:
    """float64 copies of an ESN's ``W`` (CSR or dense), ``W_in``, ``b`` and leak rate ``a``."""

    W: object
    W_in: np.ndarray
    bias: np.ndarray
    leak_rate: float

    @property
    def n_units(self):
        return self.W.shape[0]

    def rows(self, p):
        """Dense rows ``W[p, :]``."""
        Wp = self.W[p, :]
        return Wp.toarray() if sp.issparse(Wp) else np.asarray(Wp)

    def matmul(self, X):
        """``W @ X`` as a dense array."""
        out = self.W @ X
        return out.toarray() if sp.issparse(out) else np.asarray(out)


def is_esn(obj):
    from rcpod.reservoir.esn import ESN

    return isinstance(obj, ESN)


def esn_weights(esn, name="esn"):
    """Validate that ``esn`` is a fitted :class:`rcpod.reservoir.esn.ESN` and return its weights."""
    if not is_esn(esn):
        raise TypeError(f"{name} must be a rcpod.reservoir.ESN (leaky tanh echo state network), got "
                        f"{type(esn).__name__}. Only ESNs can be reduced by POD / DEIM.")
    if not hasattr(esn, "W_"):
        raise NotFittedError(f"{name} (ESN) is not initialized; call initialize(n_inputs) or fit "
                             f"the estimator first.")
    W = esn.W_
    W = sp.csr_matrix(W, dtype=np.float64) if sp.issparse(W) else np.asarray(W, dtype=np.float64)
    return ESNWeights(W, np.asarray(esn.W_in_, dtype=np.float64),
                      np.asarray(esn.bias_, dtype=np.float64), float(esn.leak_rate))
