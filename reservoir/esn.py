"""Leaky-integrator tanh echo state network reservoir.

    x[k] = (1 - a) x[k-1] + a tanh( W x[k-1] + W_in u[k] + b )

(Jaeger 2001, see the references of :class:`ESN`; the leaky form as in reservoirpy's
``Reservoir``).
"""
from __future__ import annotations

import numbers

import numpy as np
import scipy.sparse as sp
from sklearn.utils.validation import check_is_fitted

from . import kernels
from .base import BaseReservoir, _require_initialized
from .form import LeakyTanhForm
from .initializers import (W_INITIALIZERS, make_bias, make_input, make_recurrent,
                           warn_if_doubtful)
from .threaded_csr import run_csr_series as _run_csr_series
from .validation import Array, Interval, Options, Sparse, check_allocation, check_params

__all__ = ["ESN"]

_BACKENDS = ("auto", "numba", "numpy")
#: batches of at least this many series run in SIMD groups (smaller: one series at a time)
_MIN_GROUPED_BATCH = 3


#: the ways a float dtype may be given: names, numpy dtypes and scalar types
FLOAT_DTYPES = ("float32", "float64", np.dtype("float32"), np.dtype("float64"), np.float32,
                np.float64)


def _check_dtype(dtype):
    dt = np.dtype(dtype)
    if dt not in (np.float32, np.float64):
        raise ValueError(f"dtype must be 'float32' or 'float64', got {dtype!r}.")
    return dt


def _check_given_weights(W, W_in, bias):
    """Validate user-given ESN matrices; returns float64 (W dense or CSR, W_in dense, bias)."""
    if W is None or W_in is None:
        raise ValueError("W and W_in must be given together (bias is optional).")
    W = sp.csr_matrix(W, dtype=np.float64) if sp.issparse(W) else np.asarray(W, dtype=float)
    if W.ndim != 2 or W.shape[0] != W.shape[1]:
        raise ValueError(f"W must be a square (N, N) matrix, got shape {W.shape}.")
    n = W.shape[0]
    W_in = W_in.toarray() if sp.issparse(W_in) else np.asarray(W_in, dtype=float)
    if W_in.ndim != 2 or W_in.shape[0] != n:
        raise ValueError(f"W_in must have shape (N, n_inputs) with N={n}, got {W_in.shape}.")
    bias = np.zeros(n) if bias is None else np.asarray(bias, dtype=float)
    if bias.size == n:
        bias = bias.reshape(n)
    elif bias.size == 1:
        bias = np.full(n, float(bias.reshape(-1)[0]))
    else:
        raise ValueError(f"bias must be a scalar or have N={n} entries, got shape {bias.shape}.")
    for name, arr in (("W", W.data if sp.issparse(W) else W), ("W_in", W_in), ("bias", bias)):
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{name} contains NaN or infinity.")
    return W, W_in, bias


class ESN(BaseReservoir):
    """Echo state network reservoir (leaky tanh), speaking the reservoir protocol.

    Parameters
    ----------
    n_units : int, default=100
        Number of reservoir units N.
    spectral_radius : float, default=0.9
        Spectral radius rho the recurrent matrix W is rescaled to.
    leak_rate : float in (0, 1], default=1.0
        Leak rate a.
    input_scaling : float or array of shape (n_inputs,), default=1.0
        W_in ~ U(-1, 1) * input_scaling.
    bias_scaling : float, default=0.0
        b ~ U(-1, 1) * bias_scaling.
    density : float in (0, 1], default=0.1
        Fraction of nonzero entries of W for the random initializers (1 gives a dense W).
    w_init : {"normal", "uniform", "orthogonal", "ring"}, default="normal"
        Recurrent matrix initializer (see :mod:`rcpod.reservoir.initializers`).
    dtype : {"float64", "float32"}, default="float64"
        Every array and every operation of a run is in this dtype.
    backend : {"auto", "numba", "numpy"}, default="auto"
        "numba" compiled loops (the default via "auto") or the plain numpy reference loop.
    random_state : int, numpy Generator or None
        Seed of the weights; same seed, same reservoir.
    W, W_in, bias : arrays, optional
        Given matrices instead of random ones (see :meth:`from_weights`); W (N, N) dense or
        sparse, W_in (N, n_inputs), bias (N,). ``n_units``, ``spectral_radius``, ``density``,
        ``w_init``, ``input_scaling`` and ``bias_scaling`` are then not used.

    Attributes
    ----------
    W_ : ndarray or scipy.sparse.csr_matrix of shape (N, N)
    W_in_ : ndarray of shape (N, n_inputs)
    bias_ : ndarray of shape (N,)
    n_inputs_, n_states_ : int

    References
    ----------
    .. [1] H. Jaeger, "The echo state approach to analysing and training recurrent neural
       networks", GMD Report 148, 2001.

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.reservoir import ESN
    >>> esn = ESN(n_units=50, spectral_radius=0.9, random_state=0).initialize(n_inputs=1)
    >>> esn.run(np.zeros((10, 1))).shape
    (10, 50)
    """

    _parameter_constraints = {
        "n_units": [Interval(numbers.Integral, 1)],
        "spectral_radius": [Interval(numbers.Real, 0)],
        "leak_rate": [Interval(numbers.Real, 0, 1, closed="right")],
        "input_scaling": [Interval(numbers.Real), Array(ndim=1)],
        "bias_scaling": [Interval(numbers.Real)],
        "density": [Interval(numbers.Real, 0, 1, closed="right")],
        "w_init": [Options(W_INITIALIZERS)],
        "dtype": [Options(FLOAT_DTYPES)],
        "backend": [Options(_BACKENDS)],
        "random_state": ["random_state"],
        "W": [None, Array(ndim=2), Sparse()],
        "W_in": [None, Array(ndim=2)],
        "bias": [None, Interval(numbers.Real), Array(ndim=1)],
    }
    _fitted_schema = {
        "W_": [Array(shape=("n_states_", "n_states_")), Sparse(shape=("n_states_", "n_states_"))],
        "W_in_": [Array(shape=("n_states_", "n_inputs_"))],
        "bias_": [Array(shape=("n_states_",))],
        "n_inputs_": [Interval(numbers.Integral, 1)],
        "n_states_": [Interval(numbers.Integral, 1)],
    }

    def __init__(self, n_units=100, spectral_radius=0.9, leak_rate=1.0, input_scaling=1.0,
                 bias_scaling=0.0, density=0.1, w_init="normal", dtype="float64",
                 backend="auto", random_state=None, W=None, W_in=None, bias=None):
        self.W = W
        self.W_in = W_in
        self.bias = bias
        self.n_units = n_units
        self.spectral_radius = spectral_radius
        self.leak_rate = leak_rate
        self.input_scaling = input_scaling
        self.bias_scaling = bias_scaling
        self.density = density
        self.w_init = w_init
        self.dtype = dtype
        self.backend = backend
        self.random_state = random_state

    # -- parameters ---------------------------------------------------------------------------
    def _validate_params(self):
        check_params(self)

    def _validate_fitted(self):
        if self.W is None and getattr(self, "n_states_", self.n_units) != self.n_units:
            raise ValueError(f"n_states_={self.n_states_} differs from n_units={self.n_units}.")

    def _compute_dtype(self):
        # cached: called on every step
        if getattr(self, "_dtype_cache", (None,))[0] != self.dtype:
            self._dtype_cache = (self.dtype, _check_dtype(self.dtype))
        return self._dtype_cache[1]

    def _initialize(self, n_inputs):
        self._validate_params()
        if self.W is not None or self.W_in is not None:
            W, W_in, bias = _check_given_weights(self.W, self.W_in, self.bias)
            if W_in.shape[1] != n_inputs:
                raise ValueError(f"the given W_in has {W_in.shape[1]} input columns but there are "
                                 f"{n_inputs} inputs.")
            self._set_weights(W, W_in, bias)
            return
        scaling = np.asarray(self.input_scaling, dtype=float)
        if scaling.ndim == 1 and scaling.shape[0] != n_inputs:
            raise ValueError(f"input_scaling has {scaling.shape[0]} entries but there are "
                             f"{n_inputs} inputs.")
        warn_if_doubtful(self.spectral_radius, self.leak_rate)
        n = int(self.n_units)
        nnz = {"ring": n, "orthogonal": n * n}.get(self.w_init, self.density * n * n)
        check_allocation(int(16 * nnz), "n_units", f"the recurrent matrix of {n} units")
        check_allocation(8 * n * int(n_inputs), "n_inputs", f"W_in of {n} units x {n_inputs} inputs")
        rng = np.random.default_rng(self.random_state)
        # One child stream per matrix, so changing n_inputs leaves W unchanged.
        rng_w, rng_in, rng_b = rng.spawn(3)
        W = make_recurrent(self.n_units, self.spectral_radius, self.density, self.w_init, rng_w)
        self._set_weights(W, make_input(self.n_units, n_inputs, scaling, rng_in),
                          make_bias(self.n_units, self.bias_scaling, rng_b))

    def _set_weights(self, W, W_in, bias):
        dt = self._compute_dtype()
        if sp.issparse(W):
            W = sp.csr_matrix(W, dtype=dt)
            W.sort_indices()
        else:
            W = np.ascontiguousarray(W, dtype=dt)
        self.W_ = W
        self.W_in_ = np.ascontiguousarray(W_in, dtype=dt)
        self.bias_ = np.ascontiguousarray(bias, dtype=dt)
        self.n_inputs_ = self.W_in_.shape[1]
        self.n_states_ = self.W_.shape[0]

    @classmethod
    def from_weights(cls, W, W_in, bias=None, leak_rate=1.0, dtype="float64", backend="auto"):
        """An initialized ESN with given matrices (e.g. reservoirpy's ``Reservoir`` W, Win, bias).

        The matrices are parameters of the returned ESN, so it survives ``sklearn.clone`` (grid
        searches, ``ReservoirRegressor.fit``) and saving.

        Parameters
        ----------
        W : array or sparse matrix of shape (N, N)
        W_in : array or sparse matrix of shape (N, n_inputs)
        bias : array of shape (N,) or (N, 1), or scalar, optional (zeros)
        leak_rate : float in (0, 1]
        dtype : {"float64", "float32"}
        """
        W, W_in, bias = _check_given_weights(W, W_in, bias)
        esn = cls(n_units=W.shape[0], leak_rate=leak_rate, dtype=dtype, backend=backend,
                  W=W, W_in=W_in, bias=bias)
        return esn.initialize(W_in.shape[1])

    # -- dynamics -----------------------------------------------------------------------------
    def input_projection(self, inputs):
        """``W_in u[k] + b`` for a whole (batch of) series, one matrix product."""
        return inputs @ self.W_in_.T + self.bias_

    def _leak(self):
        return self._compute_dtype().type(self.leak_rate)

    def _run(self, inputs, state0):
        if self.backend == "numpy":
            return self.form().run(inputs, state0)
        leak = self._leak()
        W = self.W_
        if not sp.issparse(W):
            proj = np.ascontiguousarray(self.input_projection(inputs))
            if inputs.ndim == 2:
                return kernels.run_dense(W, proj, state0, leak)
            return kernels.run_dense_batch(W, proj, np.ascontiguousarray(state0), leak)
        arrays = kernels.csr_arrays(W) + (self.W_in_, self.bias_)
        if inputs.ndim == 2:
            return _run_csr_series(arrays, inputs, state0, leak)
        B, T, _ = inputs.shape
        if B < _MIN_GROUPED_BATCH:  # too few series to fill a SIMD group: one at a time
            return np.stack([_run_csr_series(arrays, u, x0, leak)
                             for u, x0 in zip(inputs, state0)])
        # SIMD groups of LANES series with interleaved states, groups in parallel threads
        N, L = self.n_states_, kernels.LANES
        G = -(-B // L)
        state = np.zeros((G * L, N), dtype=state0.dtype)
        state[:B] = state0
        state = np.ascontiguousarray(state.reshape(G, L, N).transpose(0, 2, 1))
        out = np.empty((B, T, N), dtype=state0.dtype)
        kernels.run_csr_batch(*arrays, inputs, state, leak, out)
        return out

    def run_with_preactivations(self, inputs, state0=None, out=None):
        """States of one series and the preactivations they were made from.

        Parameters
        ----------
        inputs : array of shape (T, n_inputs)
        state0 : array of shape (n_states,), optional
            Initial state; zeros by default.
        out : tuple of two arrays, optional
            C-contiguous arrays of shape (T, N) in the reservoir's dtype that receive the
            states and the preactivations (and are returned): a caller running many chunks
            reuses them instead of touching fresh memory each time (page faults cost more than
            the run's copy into them).

        Returns
        -------
        states : ndarray of shape (T, N)
            As :meth:`run` (the same numbers).
        preactivations : ndarray of shape (T, N)
            ``v[k] = W x[k-1] + W_in u[k] + b``; for a sparse W (numba backend) the very
            values the states were made from (no second product with W), otherwise computed
            from the states by :meth:`form`.

        Examples
        --------
        >>> import numpy as np
        >>> from rcpod.reservoir import ESN
        >>> esn = ESN(n_units=30, random_state=0).initialize(1)
        >>> u = np.random.default_rng(0).uniform(-1, 1, (20, 1))
        >>> x, v = esn.run_with_preactivations(u)
        >>> bool(np.array_equal(x, esn.run(u))), bool(np.allclose(x, np.tanh(v), atol=1e-15))
        (True, True)
        """
        _require_initialized(self)
        inputs = self._check_inputs(inputs)
        if inputs.ndim != 2:
            raise ValueError(f"inputs must be one series (T, n_inputs), got shape "
                             f"{inputs.shape}.")
        x0 = self._check_state(state0, None)
        shape = (len(inputs), self.n_states_)
        if out is not None:
            if (not isinstance(out, tuple) or len(out) != 2
                    or any(not isinstance(a, np.ndarray) or a.shape != shape
                           or a.dtype != x0.dtype or not a.flags.c_contiguous
                           or not a.flags.writeable for a in out)):
                raise ValueError(f"out must be a tuple of two writeable C-contiguous {x0.dtype} "
                                 f"arrays of shape {shape} (states, preactivations).")
        if sp.issparse(self.W_) and self.backend != "numpy" and len(inputs):
            states, pre = (None, np.empty(shape, dtype=x0.dtype)) if out is None else out
            arrays = kernels.csr_arrays(self.W_) + (self.W_in_, self.bias_)
            return _run_csr_series(arrays, inputs, x0, self._leak(), pre, states), pre
        states = self.run(inputs, x0)
        prev = np.concatenate([x0[None, :], states[:-1]])
        pre = self.form().preactivation(prev, inputs).astype(states.dtype, copy=False)
        if out is None:
            return states, pre
        np.copyto(out[0], states)
        np.copyto(out[1], pre)
        return out

    def _step(self, state, u):
        # one step is a run of length 1: the compiled loop beats scipy's sparse matvec overhead
        if state.ndim == 1:
            return self._run(u[None, :], state)[0]
        return self._run(u[:, None, :], state)[:, 0]

    def form(self):
        """The ESN as a :class:`~rcpod.reservoir.form.LeakyTanhForm` (``A = W``, ``B = W_in``,
        ``c = b``, ``E`` the identity), sharing this ESN's arrays; its ``run`` is the plain numpy
        reference loop of ``backend="numpy"``, its ``jacobians`` and ``to_casadi`` serve
        linearisation and MPC.

        Returns
        -------
        LeakyTanhForm

        Examples
        --------
        >>> from rcpod.reservoir import ESN
        >>> form = ESN(n_units=30, random_state=0).initialize(2).form()
        >>> form.n_states, form.n_inputs, form.is_full
        (30, 2, True)
        """
        check_is_fitted(self, "n_states_")
        return LeakyTanhForm(A=self.W_, B=self.W_in_, c=self.bias_, leak=float(self.leak_rate))
