"""Reduced echo state networks: POD-Galerkin, POD-DEIM and stabilised POD-DEIM reservoirs.

Every reduced ESN here is one instance of the affine-plus-interpolated-tanh update

    v    = A z[k-1] + B u[k] + c                                  (m "points")
    z[k] = (1 - a) z[k-1] + a ( E h(v) + L z[k-1] + L_u u[k] + d ) (r reduced states)

with ``h = tanh`` (POD, POD-DEIM) or ``h(v) = tanh(v) - v`` (stabilised POD-DEIM, whose linear
part ``L, L_u`` is kept exact). The full state is approximated by ``x ~ mean + Psi z``
(``mean = 0`` without centring). The three public classes differ only in how
:meth:`from_esn` builds the operators from a full ESN ``x[k] = (1-a) x + a tanh(W x + W_in u + b)``:

* PODReservoir: ``E = Psi^T`` (r x N), ``A = W Psi``, ``B = W_in``, ``c = b + W mean``,
  ``L = 0``, ``L_u = 0``, ``d = -Psi^T mean``;
* DEIMReservoir: ``E = Psi^T U (P^T U)^{-1}`` (r x m), ``A, B, c`` = rows ``p`` of the above,
  ``L = 0``, ``L_u = 0``, ``d = -Psi^T mean``;
* StabilizedDEIMReservoir: ``E = Psi^T U_g (P^T U_g)^{-1}``, ``A, B, c`` = rows ``p``,
  ``L = Psi^T W Psi``, ``L_u = Psi^T W_in``, ``d = Psi^T (b + W mean - mean)``;
* LinearizedDEIMReservoir: the stabilised variant with a per-unit linearisation
  ``tanh(v_i) ~ D_i v_i + e_i`` in place of ``tanh(v) ~ v`` (``D = I, e = 0`` gives it back).

``(P^T U)^{-1}`` becomes the pseudo-inverse when there are more points than nonlinear modes
(oversampled least-squares DEIM). With ``r = m = N`` every variant reproduces the full ESN.

References
----------
.. [1] J. P. Jordanou, E. A. Antonelo, E. Camponogara, E. Gildin, "Investigation of Proper
   Orthogonal Decomposition for Echo State Networks", Neurocomputing, 2023, arXiv:2211.17179 (POD
   and POD-DEIM of trained ESNs).
.. [2] H. Wang, X. Long, X.-X. Liu, "fastESN: Fast Echo State Network", IEEE TNNLS 34(12), 2023
   (POD-DEIM of ESNs and the stabilised variant interpolating only ``tanh(v) - v``).
.. [3] S. Chaturantabut, D. C. Sorensen, "Nonlinear model reduction via discrete empirical
   interpolation", SIAM J. Sci. Comput. 32(5), 2010 (DEIM).
"""
from __future__ import annotations

import numbers

import numpy as np
import scipy.sparse as sp
from sklearn.utils.validation import check_is_fitted

from rcpod.reservoir.base import BaseReservoir
from rcpod.reservoir.esn import FLOAT_DTYPES
from rcpod.reservoir.form import LeakyTanhForm
from rcpod.reservoir.validation import (Array, Interval, Options, check_array, check_fitted,
                                        check_params)

from . import _kernels
from .deim import deim_coefficients, lstsq_weights
from .full_model import full_form

__all__ = ["ReducedReservoir", "PODReservoir", "DEIMReservoir", "StabilizedDEIMReservoir",
           "LinearizedDEIMReservoir"]

_BACKENDS = ("auto", "numba", "numpy")


class ReducedReservoir(BaseReservoir):
    """Reduced ESN ``z[k] = (1-a) z + a (E h(A z + B u + c) + L z + L_u u + d)``.

    Usually built by :meth:`PODReservoir.from_esn`, :meth:`DEIMReservoir.from_esn`,
    :meth:`StabilizedDEIMReservoir.from_esn` or :func:`rcpod.reduction.reduce`; the constructor takes
    the reduced operators themselves so that a reduced model is self-contained (its size does not
    depend on ``N`` except through the optional ``modes`` used to lift states).

    Parameters
    ----------
    modes : array of shape (N, r)
        Orthonormal POD basis ``Psi`` (for :meth:`lift` / :meth:`project` and the initial state).
    nl_weights : array of shape (r, m)
        ``E``, maps the ``m`` interpolated nonlinear values to reduced coordinates.
    nl_state : array of shape (m, r)
        ``A``.
    nl_input : array of shape (m, n_inputs)
        ``B``.
    nl_bias : array of shape (m,)
        ``c``.
    leak_rate : float in (0, 1]
        ``a`` of the full ESN.
    mean : array of shape (N,), optional
        Centre of the POD (``x ~ mean + Psi z``); None means zero.
    lin_state : array of shape (r, r), optional
        ``L`` (None means zero).
    lin_input : array of shape (r, n_inputs), optional
        ``L_u`` (None means zero).
    offset : array of shape (r,), optional
        ``d`` (None means zero).
    remainder : bool, default=False
        Interpolate ``h(v) = tanh(v) - v`` instead of ``tanh(v)`` (stabilised variant).
    indices : int array of shape (m,), optional
        Units of the full ESN the nonlinearity is sampled at (informative; None for POD).
    dtype : {"float64", "float32"}
    backend : {"auto", "numba", "numpy"}
        Compiled loop (default) or the plain numpy reference loop for :meth:`run`.

    Attributes
    ----------
    modes_ : array (N, r)
    mean_ : array (N,)
    E_, A_, B_, c_ : arrays (r, m), (m, r), (m, n_inputs), (m,)
        The operators in ``dtype``.
    L_ : array (r, r), or (1, 1) zeros when ``has_linear_`` is False
    Lu_, d_ : arrays (r, n_inputs), (r,)
    has_linear_, remainder_ : bool
    n_states_ : int
        ``r``.
    n_points_ : int
        ``m``.
    n_units_ : int
        ``N`` of the full ESN.
    n_inputs_ : int

    Examples
    --------
    Reduced reservoirs are usually built by :func:`rcpod.reduction.reduce` or the ``from_esn``
    constructors of the subclasses:

    >>> import numpy as np
    >>> from rcpod.reservoir import ESN
    >>> from rcpod.reduction import PODReservoir, pod
    >>> esn = ESN(n_units=20, random_state=0).initialize(1)
    >>> u = np.random.default_rng(0).uniform(-0.5, 0.5, (50, 1))
    >>> modes, _ = pod(esn.run(u).T, rank=4)
    >>> red = PODReservoir.from_esn(esn, modes)
    >>> z = red.run(u)
    >>> z.shape, red.lift(z).shape, red.project(red.lift(z)).shape
    ((50, 4), (50, 20), (50, 4))
    """

    # Shapes across parameters and the bounds of ``indices`` are checked in _initialize; the
    # fitted state (L_ of has_linear_, indices within [0, n_units_)) in _validate_fitted, on
    # load and before the first compiled run.
    _parameter_constraints = {
        "modes": [Array(ndim=2)],
        "nl_weights": [Array(ndim=2)],
        "nl_state": [Array(ndim=2)],
        "nl_input": [Array(ndim=2)],
        "nl_bias": [Array(ndim=1)],
        "leak_rate": [Interval(numbers.Real, 0, 1, closed="right")],
        "mean": [None, Array(ndim=1)],
        "lin_state": [None, Array(ndim=2)],
        "lin_input": [None, Array(ndim=2)],
        "offset": [None, Array(ndim=1)],
        "remainder": ["boolean"],
        "indices": [None, Array(kinds="iu", ndim=1)],
        "dtype": [Options(FLOAT_DTYPES)],
        "backend": [Options(_BACKENDS)],
    }
    _fitted_schema = {
        "modes_": [Array(shape=("n_units_", "n_states_"))],
        "mean_": [Array(shape=("n_units_",))],
        "E_": [Array(shape=("n_states_", "n_points_"))],
        "A_": [Array(shape=("n_points_", "n_states_"))],
        "B_": [Array(shape=("n_points_", "n_inputs_"))],
        "c_": [Array(shape=("n_points_",))],
        "has_linear_": ["boolean"],
        "L_": [Array(shape=("n_states_", "n_states_")), Array(shape=(1, 1))],
        "Lu_": [Array(shape=("n_states_", "n_inputs_"))],
        "d_": [Array(shape=("n_states_",))],
        "remainder_": ["boolean"],
        "n_units_": [Interval(numbers.Integral, 1)],
        "n_points_": [Interval(numbers.Integral, 1)],
        "n_inputs_": [Interval(numbers.Integral, 1)],
        "n_states_": [Interval(numbers.Integral, 1)],
    }

    def __init__(self, modes, nl_weights, nl_state, nl_input, nl_bias, leak_rate=1.0, mean=None,
                 lin_state=None, lin_input=None, offset=None, remainder=False, indices=None,
                 dtype="float64", backend="auto"):
        self.modes = modes
        self.nl_weights = nl_weights
        self.nl_state = nl_state
        self.nl_input = nl_input
        self.nl_bias = nl_bias
        self.leak_rate = leak_rate
        self.mean = mean
        self.lin_state = lin_state
        self.lin_input = lin_input
        self.offset = offset
        self.remainder = remainder
        self.indices = indices
        self.dtype = dtype
        self.backend = backend

    def __repr__(self, N_CHAR_MAX=700):
        try:
            r, m = np.shape(self.nl_weights)
            n, n_in = np.shape(self.modes)[0], np.shape(self.nl_input)[1]
            return (f"{type(self).__name__}(n_units={n}, n_states={r}, n_points={m}, "
                    f"n_inputs={n_in}, leak_rate={self.leak_rate})")
        except (TypeError, ValueError):
            return f"{type(self).__name__}(<invalid operators>)"

    # -- validation / initialisation ---------------------------------------------------------
    def _compute_dtype(self):
        dt = np.dtype(self.dtype)
        if dt not in (np.float32, np.float64):
            raise ValueError(f"dtype must be 'float32' or 'float64', got {self.dtype!r}.")
        return dt

    def _initialize(self, n_inputs):
        check_params(self)
        dt = self._compute_dtype()
        Psi = check_array("modes", self.modes, ndim=2)
        E = check_array("nl_weights", self.nl_weights, ndim=2)
        A = check_array("nl_state", self.nl_state, ndim=2)
        B = check_array("nl_input", self.nl_input, ndim=2)
        c = check_array("nl_bias", self.nl_bias, ndim=1)
        N, r = Psi.shape
        m = E.shape[1]
        expect = {"nl_weights": (E, (r, m)), "nl_state": (A, (m, r)),
                  "nl_input": (B, (m, n_inputs)), "nl_bias": (c, (m,))}
        for name, (arr, shape) in expect.items():
            if arr.shape != shape:
                raise ValueError(f"{name} must have shape {shape} (r={r} modes, m={m} points, "
                                 f"n_inputs={n_inputs}), got {arr.shape}.")
        opt = {"mean": (self.mean, (N,)), "lin_state": (self.lin_state, (r, r)),
               "lin_input": (self.lin_input, (r, n_inputs)), "offset": (self.offset, (r,))}
        vals = {}
        for name, (arr, shape) in opt.items():
            if arr is None:
                vals[name] = None
                continue
            arr = check_array(name, arr, ndim=len(shape))
            if arr.shape != shape:
                raise ValueError(f"{name} must have shape {shape}, got {arr.shape}.")
            vals[name] = arr
        if self.indices is not None:
            p = self.indices
            if p.shape != (m,):
                raise ValueError(f"indices must have shape ({m},) (m={m} points), got {p.shape}.")
            if p.size and not (0 <= p.min() and p.max() < N):
                raise ValueError(f"indices must be units of the full ESN, in [0, N={N}); got "
                                 f"values in [{p.min()}, {p.max()}].")
        cast = lambda x: np.ascontiguousarray(x, dtype=dt)  # noqa: E731
        self.modes_ = cast(Psi)
        self.mean_ = cast(vals["mean"]) if vals["mean"] is not None else np.zeros(N, dtype=dt)
        self.E_, self.A_, self.B_, self.c_ = cast(E), cast(A), cast(B), cast(c)
        self._kernel_cache = self._form_cache = None
        self.has_linear_ = vals["lin_state"] is not None
        self.L_ = cast(vals["lin_state"]) if self.has_linear_ else np.zeros((1, 1), dtype=dt)
        self.Lu_ = (cast(vals["lin_input"]) if vals["lin_input"] is not None
                    else np.zeros((r, n_inputs), dtype=dt))
        self.d_ = cast(vals["offset"]) if vals["offset"] is not None else np.zeros(r, dtype=dt)
        self.remainder_ = bool(self.remainder)
        self.n_units_, self.n_points_ = N, m
        self.n_inputs_, self.n_states_ = n_inputs, r

    # -- dynamics ------------------------------------------------------------------------------
    def _leak(self):
        return self._compute_dtype().type(self.leak_rate)

    def form(self):
        """The reduced update as a :class:`~rcpod.reservoir.form.LeakyTanhForm` (sharing this
        model's arrays): ``A = A_``, ``B = B_``, ``c = c_``, ``E = E_``, ``L = L_`` (if
        ``has_linear_``), ``L_u = Lu_``, ``d = d_``, ``remainder = remainder_``.

        Returns
        -------
        LeakyTanhForm

        Examples
        --------
        >>> import numpy as np
        >>> from rcpod.reservoir import ESN
        >>> from rcpod.reduction import PODReservoir, pod
        >>> esn = ESN(n_units=20, random_state=0).initialize(1)
        >>> red = PODReservoir.from_esn(esn, pod(esn.run(np.ones((30, 1))).T, rank=4)[0])
        >>> form = red.form()
        >>> form.n_states, form.n_points, form.is_full
        (4, 20, False)
        """
        check_is_fitted(self, "n_states_")
        return self._form()

    def __setattr__(self, name, value):
        # a new parameter (set_params(leak_rate=...)) or fitted array (red.A_ = ...) makes the
        # cached form and kernel operators stale: they are rebuilt on the next use
        if not name.startswith("_"):
            self.__dict__.pop("_form_cache", None)
            self.__dict__.pop("_kernel_cache", None)
        super().__setattr__(name, value)

    def _form(self):
        # cached: step() sits inside control loops (rebuilt after load / clone, like the kernel's)
        form = self.__dict__.get("_form_cache")
        if form is None:
            form = self._form_cache = LeakyTanhForm(
                A=self.A_, B=self.B_, c=self.c_, leak=float(self.leak_rate), E=self.E_,
                L=self.L_ if self.has_linear_ else None, L_u=self.Lu_, d=self.d_,
                remainder=self.remainder_)
        return form

    def _step(self, state, u):
        if self.backend == "numpy" or state.ndim == 2:  # batches: numpy, vectorised over them
            return self._form().step(state, u)
        # one state: the compiled loop for one step, 2x faster than the numpy form here (it sits
        # inside control loops) and the very arithmetic of run(), so step and run agree bit for bit
        ops = self._kernel_operators()
        return _kernels.run_reduced(*ops, self.has_linear_, self.remainder_,
                                    np.ascontiguousarray(u[None, :], dtype=ops[0].dtype),
                                    np.ascontiguousarray(state, dtype=ops[0].dtype),
                                    self._leak())[0]

    def _run(self, inputs, state0):
        if self.backend == "numpy":
            return self._run_numpy(inputs, state0)
        ops = self._kernel_operators()
        args = ops + (self.has_linear_, self.remainder_,
                      np.ascontiguousarray(inputs, dtype=ops[0].dtype),
                      np.ascontiguousarray(state0, dtype=ops[0].dtype), self._leak())
        if inputs.ndim == 2:
            return _kernels.run_reduced(*args)
        return _kernels.run_reduced_batch(*args)

    def _run_numpy(self, inputs, state0):
        """The plain numpy reference loop (``backend="numpy"``) the kernels are tested against."""
        return self._form().run(inputs, state0)

    def _validate_fitted(self):
        """What the table cannot express: ``L_`` is ``(r, r)`` when ``has_linear_`` (the compiled
        loop reads it so), and ``indices`` lie in ``[0, n_units_)``. Checked on load and before
        the first run."""
        if not hasattr(self, "A_"):
            return
        r = self.n_states_
        if self.has_linear_ and self.L_.shape != (r, r):
            raise ValueError(f"L_ must have shape (n_states_={r}, n_states_={r}) when "
                             f"has_linear_ is True, got {self.L_.shape}.")
        p = self.indices
        if p is not None and p.size and not (0 <= p.min() and p.max() < self.n_units_):
            raise ValueError(f"indices must lie in [0, n_units_={self.n_units_}), got values in "
                             f"[{p.min()}, {p.max()}].")

    def _kernel_operators(self):
        """``A, E, L, B, c, L_u, d`` for the compiled loop, the matrices row-aligned (cached,
        rebuilt after load / clone / a new fitted array, after checking the fitted state: the
        loop checks no bounds)."""
        cache = self.__dict__.get("_kernel_cache")
        if cache is None:
            check_fitted(self)
            dt = self.A_.dtype
            A, E, L, B, Lu = (_kernels.padded_operator(M, dt)
                              for M in (self.A_, self.E_, self.L_, self.B_, self.Lu_))
            c, d = (np.ascontiguousarray(v, dtype=dt) for v in (self.c_, self.d_))
            cache = self._kernel_cache = (A, E, L, B, c, Lu, d)
        return cache

    # -- full <-> reduced coordinates ------------------------------------------------------------
    def lift(self, z):
        """Full-space approximation ``x = mean + Psi z``; ``z`` of shape (..., r) -> (..., N)."""
        check_is_fitted(self, "n_states_")
        return np.asarray(z) @ self.modes_.T + self.mean_

    def project(self, x):
        """Reduced coordinates ``z = Psi^T (x - mean)``; ``x`` of shape (..., N) -> (..., r)."""
        check_is_fitted(self, "n_states_")
        x = np.asarray(x)
        if x.shape[-1] != self.n_units_:
            raise ValueError(f"x must have last dimension N={self.n_units_}, got shape {x.shape}.")
        return (x - self.mean_) @ self.modes_

    def initial_state(self, n_series=None):
        """Reduced image of the full zero state, ``Psi^T (0 - mean)``."""
        check_is_fitted(self, "n_states_")
        z0 = -(self.mean_ @ self.modes_)
        if n_series is not None:
            z0 = np.tile(z0, (n_series, 1))
        return np.ascontiguousarray(z0, dtype=self._compute_dtype())

    def warmup(self, inputs, state0=None):
        """Initial reduced state for prediction or control after a warm-up on measured inputs.

        Runs the reduced model over ``inputs`` (from ``state0``, default the image of the full
        zero state) and returns its last state: the state to start ``step`` / an MPC horizon
        from. If the full state is measured instead, use :meth:`project`.

        Parameters
        ----------
        inputs : array of shape (T, n_inputs) or (B, T, n_inputs)
        state0 : array of shape (r,) or (B, r), optional

        Returns
        -------
        state : array of shape (r,) or (B, r)
        """
        states = self.run(inputs, state0=state0)
        if states.shape[-2] == 0:
            return self._check_state(state0, states.shape[0] if states.ndim == 3 else None)
        return states[..., -1, :]

    # -- reduction from a full ESN ---------------------------------------------------------
    #: ``(sampled, nonlinearity)`` of a concrete reduced class, e.g. ``(True, "remainder")``
    variant = None
    #: every concrete reduced class by its ``variant`` (filled by ``_register``)
    variants = {}

    @classmethod
    def from_esn(cls, esn, modes, nl_basis=None, indices=None, slopes=None, offsets=None, *,
                 mean=None, nl_snapshots=None, dtype=None, backend=None):
        """Reduce an initialized :class:`rcpod.reservoir.ESN` onto ``modes``.

        One signature for every reduced class; each class builds its operators in its
        ``_operators`` hook.

        Parameters
        ----------
        esn : rcpod.reservoir.ESN, initialized
        modes : array of shape (N, r)
            Orthonormal state basis ``Psi``.
        nl_basis : array of shape (N, m_basis), sampled classes only
            Basis ``U`` of the interpolated snapshots (see the class).
        indices : int array of shape (m,), ``m >= m_basis``, sampled classes only
            Sampling points (from :func:`rcpod.reduction.deim` or :func:`rcpod.reduction.qdeim`).
        mean : array of shape (N,), optional
            Centre of the POD (``x ~ mean + Psi z``).
        nl_snapshots : array of shape (N, n_snapshots), optional
            Snapshots of the interpolated function; if given, ``E`` is the least-squares fit of
            their projection from their values at ``indices`` (:func:`rcpod.reduction.lstsq_weights`)
            instead of the interpolation through ``nl_basis``.
        slopes, offsets : arrays of shape (N,), :class:`LinearizedDEIMReservoir` only
            The per-unit linearisation ``tanh(v_i) ~ D_i v_i + e_i``.
        dtype, backend : optional
            Default: those of ``esn``.

        Returns
        -------
        An initialized instance of the class.
        """
        form = full_form(esn)
        N = form.n_states
        sampled, nonlinearity = cls.variant
        if sampled and (nl_basis is None or indices is None):
            raise ValueError(f"{cls.__name__} samples the nonlinearity: give nl_basis and indices.")
        if not sampled and (nl_basis is not None or indices is not None or nl_snapshots is not None):
            raise ValueError(f"{cls.__name__} does not sample the nonlinearity: nl_basis, indices "
                             f"and nl_snapshots must be None.")
        if (nonlinearity == "linearized") != (slopes is not None and offsets is not None) or (
                (slopes is None) != (offsets is None)):
            raise ValueError(f"slopes and offsets are required by LinearizedDEIMReservoir and "
                             f"only by it; got {cls.__name__} with slopes "
                             f"{'given' if slopes is not None else 'None'} and offsets "
                             f"{'given' if offsets is not None else 'None'}.")
        Psi = _check_modes(modes, N)
        mean = np.zeros(N) if mean is None else _check_unit_vector(mean, "mean", N)
        extra = {}
        if slopes is not None:
            extra = dict(slopes=_check_unit_vector(slopes, "slopes", N),
                         offsets=_check_unit_vector(offsets, "offsets", N))
        ops = cls._operators(form, Psi, mean, nl_basis=nl_basis, indices=indices,
                             nl_snapshots=nl_snapshots, **extra)
        red = cls(modes=Psi, leak_rate=float(esn.leak_rate), mean=mean,
                  dtype=esn.dtype if dtype is None else dtype,
                  backend=getattr(esn, "backend", "auto") if backend is None else backend, **ops)
        return red.initialize(form.n_inputs)


    @classmethod
    def interpolated_snapshots(cls, snapshots):
        """The snapshots this class interpolates, and the extra ``from_esn`` arguments they give.

        Parameters
        ----------
        snapshots : rcpod.reduction.Snapshots

        Returns
        -------
        matrix : ndarray of shape (N, n_snapshots), or None for an unsampled (Galerkin) class
        extra : dict
            Keyword arguments of :meth:`from_esn` that come with them (the linearisation).
        """
        return None, {}


# -- constructors from a full ESN ----------------------------------------------------------------
def _check_modes(modes, n_units, name="modes"):
    Psi = check_array(name, modes, ndim=2)
    if Psi.shape[0] != n_units:
        raise ValueError(f"{name} must have N={n_units} rows (one per ESN unit), got {Psi.shape}.")
    if Psi.shape[1] > n_units:
        raise ValueError(f"{name} has {Psi.shape[1]} columns, more than N={n_units}.")
    gram = Psi.T @ Psi
    if not np.allclose(gram, np.eye(Psi.shape[1]), atol=1e-8):
        raise ValueError(f"{name} must have orthonormal columns (Psi^T Psi = I).")
    return Psi


def _check_unit_vector(value, name, n_units):
    arr = check_array(name, value, ndim=1)
    if arr.shape != (n_units,):
        raise ValueError(f"{name} must have shape ({n_units},), got {arr.shape}.")
    return arr


def _matmul(A, X):
    """``A @ X`` as a dense array (``A`` dense or sparse)."""
    out = A @ X
    return out.toarray() if sp.issparse(out) else np.asarray(out)


def _rows(A, p):
    """Dense rows ``A[p, :]``."""
    Ap = A[p, :]
    return Ap.toarray() if sp.issparse(Ap) else np.asarray(Ap)


def _deim_operators(form, Psi, mean, nl_basis, indices, nl_snapshots=None):
    """``E`` (interpolation or least-squares weights) and the rows ``A_p, B_p, c_p`` at the
    points ``p`` of the full form ``(A, B, c) = (W, W_in, b + W mean)``."""
    N = form.n_states
    U = check_array("nl_basis", nl_basis, ndim=2)
    if U.shape[0] != N:
        raise ValueError(f"nl_basis must have N={N} rows, got {U.shape}.")
    p = np.asarray(indices)
    coef = deim_coefficients(U, p)  # validates indices, (m_basis, m)
    if nl_snapshots is None:
        E = (Psi.T @ U) @ coef
    else:
        S = check_array("nl_snapshots", nl_snapshots, ndim=2)
        if S.shape[0] != N:
            raise ValueError(f"nl_snapshots must have N={N} rows, got {S.shape}.")
        E = lstsq_weights(Psi.T @ S, S, p)
    Ap = _rows(form.A, p)
    A = Ap @ Psi
    B = form.B[p, :]
    c = form.c[p] + Ap @ mean
    return E, A, B, c, p.astype(np.intp)


def _register(cls):
    """Record a reduced class under its ``variant``, so :func:`rcpod.reduction.reduce` finds it
    by its options (a new variant is one new class, no table to edit)."""
    ReducedReservoir.variants[cls.variant] = cls
    return cls


@_register
class PODReservoir(ReducedReservoir):
    """POD-Galerkin reduced ESN ``z[k] = (1-a) z + a Psi^T (tanh(W Psi z + W_in u + b') - mean)``.

    ``b' = b + W mean``. Cost per step ``O(N r)``: ``tanh`` still runs on all ``N`` units.
    See :class:`ReducedReservoir` for the parameters; build with :meth:`from_esn`.

    References
    ----------
    .. [1] J. P. Jordanou, E. A. Antonelo, E. Camponogara, E. Gildin, "Investigation of Proper
       Orthogonal Decomposition for Echo State Networks", Neurocomputing, 2023, arXiv:2211.17179
       (POD-Galerkin reduction of a trained ESN).

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.reservoir import ESN
    >>> from rcpod.reduction import PODReservoir, pod
    >>> esn = ESN(n_units=20, random_state=0).initialize(1)
    >>> u = np.random.default_rng(0).uniform(-0.5, 0.5, (50, 1))
    >>> X = esn.run(u)
    >>> modes, _ = pod(X.T, rank=20)                  # full rank: exact
    >>> red = PODReservoir.from_esn(esn, modes)
    >>> bool(np.allclose(red.lift(red.run(u)), X))
    True
    """

    variant = (False, "full")

    @classmethod
    def _operators(cls, form, Psi, mean, **_):
        A = _matmul(form.A, Psi)
        return dict(nl_weights=np.ascontiguousarray(Psi.T), nl_state=A, nl_input=form.B.copy(),
                    nl_bias=form.c + _matmul(form.A, mean), offset=-(Psi.T @ mean))


@_register
class DEIMReservoir(ReducedReservoir):
    """POD-DEIM reduced ESN ``z[k] = (1-a) z + a (E tanh(A z + B u + c) - Psi^T mean)``.

    ``E = Psi^T U (P^T U)^{-1}`` (pseudo-inverse when oversampled), ``A = W[p] Psi``,
    ``B = W_in[p]``, ``c = b[p] + W[p] mean``: cost per step ``O(m r + m n_u)``, independent of N.

    References
    ----------
    .. [1] S. Chaturantabut, D. C. Sorensen, "Nonlinear model reduction via discrete empirical
       interpolation", SIAM J. Sci. Comput. 32(5), 2010.
    .. [2] J. P. Jordanou, E. A. Antonelo, E. Camponogara, E. Gildin, "Investigation of Proper
       Orthogonal Decomposition for Echo State Networks", Neurocomputing, 2023, arXiv:2211.17179.
    .. [3] H. Wang, X. Long, X.-X. Liu, "fastESN: Fast Echo State Network", IEEE TNNLS 34(12),
       2023.

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.reservoir import ESN
    >>> from rcpod.reduction import DEIMReservoir, collect_snapshots, deim, pod
    >>> esn = ESN(n_units=20, random_state=0).initialize(1)
    >>> u = np.random.default_rng(0).uniform(-0.5, 0.5, (50, 1))
    >>> snap = collect_snapshots(esn, u)
    >>> modes, _ = pod(snap.states, rank=5)
    >>> U, _ = pod(snap.nonlinear, rank=8)
    >>> red = DEIMReservoir.from_esn(esn, modes, U, deim(U))
    >>> red.run(u).shape, red.indices.shape
    ((50, 5), (8,))
    """

    variant = (True, "full")

    @classmethod
    def _operators(cls, form, Psi, mean, nl_basis, indices, nl_snapshots=None, **_):
        E, A, B, c, p = _deim_operators(form, Psi, mean, nl_basis, indices, nl_snapshots)
        return dict(nl_weights=E, nl_state=A, nl_input=B, nl_bias=c, offset=-(Psi.T @ mean),
                    indices=p)

    @classmethod
    def interpolated_snapshots(cls, snapshots):
        return snapshots.nonlinear, {}


@_register
class StabilizedDEIMReservoir(ReducedReservoir):
    """Stabilised POD-DEIM (fastESN): exact linear part, DEIM only for ``g(v) = tanh(v) - v``.

    ``z[k] = (1-a) z + a (Psi^T W Psi z + Psi^T W_in u + Psi^T (b + W mean - mean)
    + E g(A z + B u + c))`` with ``E = Psi^T U_g (P^T U_g)^{-1}`` built from a basis ``U_g`` of the
    remainder snapshots ``g = tanh(v) - v``.

    References
    ----------
    .. [1] H. Wang, X. Long, X.-X. Liu, "fastESN: Fast Echo State Network", IEEE TNNLS 34(12), 2023
       (stabilised POD-DEIM: interpolate only the nonlinear remainder, keep the linear part exact).

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.reservoir import ESN
    >>> from rcpod.reduction import StabilizedDEIMReservoir, collect_snapshots, pod, qdeim
    >>> esn = ESN(n_units=20, random_state=0).initialize(1)
    >>> u = np.random.default_rng(0).uniform(-0.5, 0.5, (50, 1))
    >>> snap = collect_snapshots(esn, u)
    >>> modes, _ = pod(snap.states, rank=5)
    >>> Ug, _ = pod(snap.remainder, rank=6)
    >>> red = StabilizedDEIMReservoir.from_esn(esn, modes, Ug, qdeim(Ug))
    >>> red.run(u).shape
    (50, 5)
    """

    variant = (True, "remainder")

    @classmethod
    def _operators(cls, form, Psi, mean, nl_basis, indices, nl_snapshots=None, **_):
        E, A, B, c, p = _deim_operators(form, Psi, mean, nl_basis, indices, nl_snapshots)
        WPsi = _matmul(form.A, Psi)
        return dict(nl_weights=E, nl_state=A, nl_input=B, nl_bias=c, lin_state=Psi.T @ WPsi,
                    lin_input=Psi.T @ form.B,
                    offset=Psi.T @ (form.c + _matmul(form.A, mean) - mean), remainder=True,
                    indices=p)

    @classmethod
    def interpolated_snapshots(cls, snapshots):
        return snapshots.remainder, {}


@_register
class LinearizedDEIMReservoir(ReducedReservoir):
    """POD-DEIM with an exact per-unit linear part: DEIM only for ``g(v) = tanh(v) - D v - e``.

    Splitting ``tanh(v) = D v + e + g(v)`` with a diagonal ``D`` and offset ``e`` (least-squares
    fits of ``tanh(v_i)`` on ``v_i`` over the training preactivations, see
    :meth:`rcpod.reduction.Snapshots.linearization`), projecting the affine part exactly and
    interpolating only ``g`` with ``E = Psi^T U_g (P^T U_g)^+`` gives, with ``A = W Psi``,
    ``c = W mean + b`` and subscript ``p`` for the rows at the points,

        z[k] = (1-a) z + a (E tanh(A_p z + W_in[p] u + c_p) + L z + L_u u + d),
        L   = Psi^T D A - E D_p A_p,
        L_u = Psi^T D W_in - E D_p W_in[p],
        d   = Psi^T (D c + e - mean) - E (D_p c_p + e_p),

    one instance of the general :class:`ReducedReservoir` update (``h = tanh``). ``D = I``,
    ``e = 0`` is the stabilised variant of fastESN (:class:`StabilizedDEIMReservoir`); fitting
    ``D`` to the unit's operating range makes the remainder ``g`` small on saturated and
    near-linear units alike, so fewer points interpolate it well. The per-unit linearisation is a
    project choice (measured in examples/reduction_narma10.py), built on the DEIM of the
    nonlinear remainder of fastESN.

    References
    ----------
    .. [1] H. Wang, X. Long, X.-X. Liu, "fastESN: Fast Echo State Network", IEEE TNNLS 34(12), 2023
       (DEIM of the nonlinear remainder only).
    .. [2] S. Chaturantabut, D. C. Sorensen, "Nonlinear model reduction via discrete empirical
       interpolation", SIAM J. Sci. Comput. 32(5), 2010.

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.reservoir import ESN
    >>> from rcpod.reduction import LinearizedDEIMReservoir, collect_snapshots, pod, qdeim
    >>> esn = ESN(n_units=20, bias_scaling=0.5, random_state=0).initialize(1)
    >>> u = np.random.default_rng(0).uniform(-0.5, 0.5, (50, 1))
    >>> snap = collect_snapshots(esn, u)
    >>> slopes, offsets, G = snap.linearization()
    >>> modes, _ = pod(snap.states, rank=5)
    >>> Ug, _ = pod(G, rank=6)
    >>> red = LinearizedDEIMReservoir.from_esn(esn, modes, Ug, qdeim(Ug), slopes, offsets)
    >>> red.run(u).shape
    (50, 5)
    """

    variant = (True, "linearized")

    @classmethod
    def _operators(cls, form, Psi, mean, nl_basis, indices, slopes, offsets, nl_snapshots=None):
        D, e = slopes, offsets
        E, A_p, B_p, c_p, p = _deim_operators(form, Psi, mean, nl_basis, indices, nl_snapshots)
        A = _matmul(form.A, Psi)
        c = form.c + _matmul(form.A, mean)
        L = Psi.T @ (D[:, None] * A) - E @ (D[p, None] * A_p)
        L_u = Psi.T @ (D[:, None] * form.B) - E @ (D[p, None] * B_p)
        d = Psi.T @ (D * c + e - mean) - E @ (D[p] * c_p + e[p])
        return dict(nl_weights=E, nl_state=A_p, nl_input=B_p, nl_bias=c_p, lin_state=L,
                    lin_input=L_u, offset=d, indices=p)

    @classmethod
    def interpolated_snapshots(cls, snapshots):
        slopes, offsets, remainder = snapshots.linearization()
        return remainder, dict(slopes=slopes, offsets=offsets)
