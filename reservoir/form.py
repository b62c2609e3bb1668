"""The leaky-tanh form: the one update shared by the ESN and every reduced ESN.

    v     = A z + B u + c                                      (m preactivations)
    z'    = (1 - a) z + a ( E h(v) + L z + L_u u + d )         (n states)
    h(v)  = tanh(v),   or  tanh(v) - v  with ``remainder=True``

The ESN ``x' = (1 - a) x + a tanh(W x + W_in u + b)`` (Jaeger 2001; the leaky form of
reservoirpy's ``Reservoir``) is the form with ``A = W``, ``B = W_in``, ``c = b``, ``E`` the
identity and no linear part. A reduced ESN (POD-Galerkin or POD-DEIM after Jordanou et al. 2023,
with the exact linear part and the interpolated remainder ``tanh(v) - v`` of fastESN, Wang et al.
2023) has ``r`` states and ``m`` sampled preactivations. :class:`LeakyTanhForm` writes the update
once: its :meth:`~LeakyTanhForm.step`, :meth:`~LeakyTanhForm.run` (the plain numpy reference loop
every compiled kernel is tested against), :meth:`~LeakyTanhForm.jacobians` and
:meth:`~LeakyTanhForm.to_casadi` serve the ESN and every reduced model alike.

References
----------
.. [1] H. Jaeger, "The echo state approach to analysing and training recurrent neural networks",
   GMD Report 148, 2001.
.. [2] J. P. Jordanou, E. A. Antonelo, E. Camponogara, E. Gildin, "Investigation of Proper
   Orthogonal Decomposition for Echo State Networks", Neurocomputing, 2023, arXiv:2211.17179.
.. [3] H. Wang, X. Long, X.-X. Liu, "fastESN: Fast Echo State Network", IEEE TNNLS 34(12), 2023.
.. [4] J. A. E. Andersson et al., "CasADi: a software framework for nonlinear optimization and
   optimal control", Math. Prog. Comp. 11, 2019.
"""
from __future__ import annotations

from dataclasses import dataclass, fields, replace

import numpy as np
import scipy.sparse as sp

__all__ = ["LeakyTanhForm", "import_casadi", "casadi_constant"]


def import_casadi(what="the CasADi export"):
    """Import casadi or raise an ImportError naming the extra ``rcpod[mpc]``.

    Parameters
    ----------
    what : str, default="the CasADi export"
        Name of the feature that needs casadi, used in the error message.

    Returns
    -------
    module
        The ``casadi`` module.

    Raises
    ------
    ImportError
        If casadi is not installed (``pip install rcpod[mpc]``).

    Examples
    --------
    >>> from rcpod.reservoir.form import import_casadi
    >>> import_casadi().__name__
    'casadi'
    """
    try:
        import casadi
    except ImportError as exc:  # pragma: no cover - casadi is installed in the test environment
        raise ImportError(f"{what} needs the optional dependency casadi; install it with "
                          "`pip install rcpod[mpc]` (or `pip install casadi`).") from exc
    return casadi


def casadi_constant(ca, a):
    """A dense or sparse array as a CasADi ``DM`` constant (sparsity kept), in float64.

    Parameters
    ----------
    ca : module
        The casadi module (:func:`import_casadi`).
    a : ndarray or scipy.sparse matrix

    Returns
    -------
    casadi.DM

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.reservoir.form import casadi_constant, import_casadi
    >>> casadi_constant(import_casadi(), np.eye(2)).shape
    (2, 2)
    """
    if sp.issparse(a):
        return ca.DM(sp.csc_matrix(a, dtype=np.float64))
    return ca.DM(np.asarray(a, dtype=np.float64))


@dataclass(frozen=True, eq=False)
class LeakyTanhForm:
    """One leaky-tanh update ``z' = (1-a) z + a (E h(A z + B u + c) + L z + L_u u + d)``.

    Immutable; the arrays are those of the model that made it (no copies), in its dtype.
    Get one from :meth:`rcpod.reservoir.ESN.form` or a reduced reservoir's ``form()``.

    Parameters
    ----------
    A : ndarray or scipy.sparse CSR matrix of shape (m, n)
    B : ndarray of shape (m, n_inputs)
    c : ndarray of shape (m,)
    leak : float
        Leak rate ``a`` in (0, 1] (the model's parameter; the update rounds it to the arrays'
        dtype, the Jacobians use it as given).
    E : ndarray of shape (n, m), optional
        None means the identity (``m = n``, the full ESN).
    L : ndarray of shape (n, n), optional
        None means zero.
    L_u : ndarray of shape (n, n_inputs), optional
        None means zero.
    d : ndarray of shape (n,), optional
        None means zero.
    remainder : bool, default=False
        ``h(v) = tanh(v) - v`` instead of ``tanh(v)``.

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.reservoir import ESN
    >>> esn = ESN(n_units=20, leak_rate=0.5, random_state=0).initialize(1)
    >>> form = esn.form()
    >>> u = np.random.default_rng(0).uniform(-1, 1, (30, 1))
    >>> bool(np.allclose(form.run(u, np.zeros(20)), esn.run(u), rtol=0, atol=1e-14))
    True
    >>> Js, Ju = form.jacobians(np.zeros(20), u[0])
    >>> Js.shape, Ju.shape
    ((20, 20), (20, 1))
    """

    A: object
    B: np.ndarray
    c: np.ndarray
    leak: float
    E: np.ndarray | None = None
    L: np.ndarray | None = None
    L_u: np.ndarray | None = None
    d: np.ndarray | None = None
    remainder: bool = False

    def __post_init__(self):
        m, n = self.A.shape
        if self.E is None and m != n:
            raise ValueError(f"A must be square when E is None (identity), got shape "
                             f"{self.A.shape}.")
        n_states = n
        expect = {"B": (self.B, (m, None)), "c": (self.c, (m,)),
                  "E": (self.E, (n_states, m)), "L": (self.L, (n_states, n_states)),
                  "L_u": (self.L_u, (n_states, self.B.shape[1])), "d": (self.d, (n_states,))}
        for name, (arr, shape) in expect.items():
            if arr is not None and (arr.ndim != len(shape) or any(
                    s is not None and s != t for s, t in zip(shape, arr.shape))):
                raise ValueError(f"{name} must have shape {shape} (n={n_states} states, m={m} "
                                 f"preactivations), got {arr.shape}.")

    # -- sizes and dtype -------------------------------------------------------------------------
    @property
    def n_states(self):
        """``n``, the number of states."""
        return self.A.shape[1]

    @property
    def n_points(self):
        """``m``, the number of preactivations (sampled units)."""
        return self.A.shape[0]

    @property
    def n_inputs(self):
        """Number of inputs."""
        return self.B.shape[1]

    @property
    def dtype(self):
        """The arrays' dtype."""
        return self.c.dtype

    @property
    def is_full(self):
        """True for the plain ESN form (``E`` identity, no linear part, ``h = tanh``)."""
        return (self.E is None and self.L is None and self.L_u is None and self.d is None
                and not self.remainder)

    def astype(self, dtype):
        """The same form with every array in ``dtype`` (copies; the leak stays as given)."""
        dt = np.dtype(dtype)

        def cast(a):
            if a is None:
                return None
            if sp.issparse(a):
                return sp.csr_matrix(a, dtype=dt)
            return np.asarray(a, dtype=dt)
        arrays = {f.name: cast(getattr(self, f.name)) for f in fields(self)
                  if f.name not in ("leak", "remainder")}
        return replace(self, **arrays)

    # -- the update --------------------------------------------------------------------------------
    def _operands(self, z, u):
        """``z`` and ``u`` as arrays whose last axes fit the form (a clear error otherwise)."""
        z, u = np.asarray(z), np.asarray(u)
        if z.ndim not in (1, 2) or z.shape[-1] != self.n_states:
            raise ValueError(f"z must have shape ({self.n_states},) or (B, {self.n_states}), "
                             f"got {z.shape}.")
        if u.shape != z.shape[:-1] + (self.n_inputs,):
            raise ValueError(f"u must have shape {z.shape[:-1] + (self.n_inputs,)} to match z, "
                             f"got {u.shape}.")
        return z, u

    def preactivation(self, z, u, out=None):
        """``v = A z + B u + c`` (batched over a leading axis of ``z`` and ``u``), into ``out``
        if given (an array of the result's shape: the same numbers, the sums made in place,
        without the temporaries of the expression)."""
        z, u = self._operands(z, u)
        if out is None:
            return (self.A @ z.T).T + u @ self.B.T + self.c
        shape = z.shape[:-1] + (self.n_points,)
        if not isinstance(out, np.ndarray) or out.shape != shape:
            raise ValueError(f"out must be an array of shape {shape}, got "
                             f"{getattr(out, 'shape', type(out).__name__)}.")
        out[...] = (self.A @ z.T).T
        out += u @ self.B.T
        out += self.c
        return out

    def nonlinearity(self, v):
        """``h(v)``: ``tanh(v)``, or ``tanh(v) - v`` for the remainder form."""
        t = np.tanh(v)
        return t - v if self.remainder else t

    def input_terms(self, inputs):
        """``(B u + c, L_u u + d)`` for a whole (batch of) series, one matrix product each.

        The second is None when the form has neither ``L_u`` nor ``d``.
        """
        nl = inputs @ self.B.T + self.c
        if self.L_u is None and self.d is None:
            return nl, None
        lin = inputs @ self.L_u.T if self.L_u is not None else np.zeros(
            inputs.shape[:-1] + (self.n_states,), dtype=nl.dtype)
        return nl, (lin + self.d if self.d is not None else lin)

    def _leak_and_keep(self):
        a = self.dtype.type(self.leak)
        return a, self.dtype.type(1.0) - a

    def _advance(self, z, pnl, plin, a, keep):
        h = self.nonlinearity((self.A @ z.T).T + pnl)
        rhs = h if self.E is None else h @ self.E.T
        if plin is not None:
            rhs = rhs + plin
        zn = keep * z + a * rhs
        if self.L is not None:
            zn = zn + a * (z @ self.L.T)
        return zn

    def step(self, z, u):
        """One step ``z' `` from ``z`` (n,) or (B, n) and ``u`` (n_inputs,) or (B, n_inputs)."""
        z, u = self._operands(z, u)
        pnl, plin = self.input_terms(u)
        return self._advance(z, pnl, plin, *self._leak_and_keep())

    def run(self, inputs, state0):
        """Plain numpy loop over ``inputs`` (T, n_inputs) or (B, T, n_inputs) from ``state0``.

        The reference every compiled engine of rcpod is tested against; batched series share
        one matrix product per step.

        Returns
        -------
        states : ndarray of shape (T, n) or (B, T, n)
        """
        inputs = np.asarray(inputs)
        z = np.array(state0, copy=True)
        if inputs.ndim not in (2, 3) or inputs.shape[-1] != self.n_inputs:
            raise ValueError(f"inputs must have shape (T, {self.n_inputs}) or (B, T, "
                             f"{self.n_inputs}), got {inputs.shape}.")
        if z.shape != inputs.shape[:-2] + (self.n_states,):
            raise ValueError(f"state0 must have shape {inputs.shape[:-2] + (self.n_states,)} "
                             f"to match inputs, got {z.shape}.")
        if not (np.all(np.isfinite(inputs)) and np.all(np.isfinite(z))):
            raise ValueError("inputs and state0 must be finite (no NaN or infinity).")
        pnl, plin = self.input_terms(inputs)
        a, keep = self._leak_and_keep()
        out = np.empty(inputs.shape[:-1] + (self.n_states,), dtype=z.dtype)
        for k in range(inputs.shape[-2]):
            z = self._advance(z, pnl[..., k, :], None if plin is None else plin[..., k, :], a,
                              keep)
            out[..., k, :] = z
        return out

    # -- derivatives -------------------------------------------------------------------------------
    def _h_slopes(self, tanh_slopes):
        """``h'(v)`` from ``tanh'(v) = 1 - tanh(v)^2``."""
        return tanh_slopes - 1.0 if self.remainder else tanh_slopes

    def _dense(self, M):
        return M.toarray() if sp.issparse(M) else np.asarray(M)

    def _jacobians_at(self, dh):
        """Both step Jacobians for ``h'`` values ``dh`` of shape (..., m), in float64."""
        a = float(self.leak)
        A, B = self._dense(self.A), self.B
        eye = np.eye(self.n_states)
        if self.E is None:  # diag(dh) A as a row scaling
            Js = (1.0 - a) * eye + a * dh[..., :, None] * A
            Ju = a * dh[..., :, None] * B
        else:
            Edh = self.E * dh[..., None, :]
            Js = (1.0 - a) * eye + a * (Edh @ A)
            Ju = a * (Edh @ B)
        if self.L is not None:
            Js = Js + a * self.L
        if self.L_u is not None:
            Ju = Ju + a * self.L_u
        return Js, Ju

    def jacobians(self, z, u):
        """``dz'/dz = (1-a) I + a (L + E diag(h'(v)) A)`` and ``dz'/du = a (L_u + E diag(h'(v)) B)``.

        By the chain rule on the update; ``h' = 1 - tanh(v)^2`` (``-tanh(v)^2`` for the
        remainder form). Batched over a leading axis of ``z`` and ``u``.

        Returns
        -------
        J_state : ndarray of shape (n, n) or (B, n, n)
        J_input : ndarray of shape (n, n_inputs) or (B, n, n_inputs)
        """
        t = np.tanh(self.preactivation(z, u))
        dh = -t * t if self.remainder else 1.0 - t * t
        return self._jacobians_at(dh)

    def state_jacobian_at_slopes(self, tanh_slopes, sparse=False):
        """``(1-a) I + a (L + E diag(h'(v)) A)`` for given slopes ``tanh'(v)`` of shape (m,).

        With the slopes averaged over a trajectory (``mean_k(1 - tanh(v[k])^2)``) this is the
        mean Jacobian the output-weighted basis linearises about.

        With ``sparse=True`` it is a scipy.sparse CSR matrix; for the full ESN form with a
        sparse ``A`` it is built without any dense ``n x n`` array (``diag(h') A`` scales the
        rows of ``A``, so it keeps ``A``'s sparsity plus the diagonal).
        """
        dh = self._h_slopes(np.asarray(tanh_slopes, dtype=np.float64))
        if sparse and self.E is None and self.L is None:
            a = float(self.leak)
            A = sp.csr_matrix(self.A, dtype=np.float64)
            J = sp.diags(a * dh) @ A + sp.identity(self.n_states, format="csr") * (1.0 - a)
            return sp.csr_matrix(J)
        J = self._jacobians_at(dh)[0]
        return sp.csr_matrix(J) if sparse else J

    def to_casadi(self, name="leaky_tanh_step"):
        """The step as a ``casadi.Function`` ``(x, u) -> x_next`` (weights as DM constants).

        Raises
        ------
        ImportError
            casadi is not installed (extra ``rcpod[mpc]``).
        """
        ca = import_casadi()
        x = ca.MX.sym("x", self.n_states)
        u = ca.MX.sym("u", self.n_inputs)
        return ca.Function(name, [x, u], [self.casadi_next(x, u)], ["x", "u"], ["x_next"])

    def casadi_next(self, x, u):
        """The CasADi expression of ``z'`` for symbols (or values) ``x`` and ``u``."""
        ca = import_casadi()
        a = float(self.leak)
        v = ca.mtimes(casadi_constant(ca, self.A), x) + ca.mtimes(casadi_constant(ca, self.B), u) \
            + casadi_constant(ca, self.c)
        h = ca.tanh(v) - v if self.remainder else ca.tanh(v)
        rhs = h if self.E is None else ca.mtimes(casadi_constant(ca, self.E), h)
        if self.L is not None:
            rhs = rhs + ca.mtimes(casadi_constant(ca, self.L), x)
        if self.L_u is not None:
            rhs = rhs + ca.mtimes(casadi_constant(ca, self.L_u), u)
        if self.d is not None:
            rhs = rhs + casadi_constant(ca, self.d)
        return (1 - a) * x + a * rhs
