"""Output-tracking model predictive control around a discrete-time ``casadi.Function``.

The prediction model is any ``casadi.Function`` ``model(x, u) -> (x_next, y)`` of one sampling
step: a full or reduced ESN from :func:`rcpod.reduction.to_casadi`, or a linear model
(:func:`state_space_function`, e.g. an ARX model in state-space form). ``y`` is the output at the
state argument ``x`` (with ``u`` for a direct feed-through, e.g. ``include_input``). With the
default ``output_timing="after"`` the MPC predicts the output reached *after* each move,
``y_j = h(x_{j+1}, u_j)`` with ``x_{j+1} = f(x_j, u_j)``: for the ESN estimators this is exactly
``predict`` (the output of the state that consumed ``u_j``), for a strictly proper state-space
model it is the usual ``y_{t+1}, ..., y_{t+H}``, and for a plant sampled with zero-order hold
(``y[k]`` at the end of the interval in which ``u[k]`` was held) it is the next measurement.
With ``output_timing="before"`` the model is a standard state-space form ``y_k = h(x_k, u_k)``
(e.g. an ARX model with direct feed-through) and ``y_j = h(x_j, u_j)``.

Optimal control problem solved at every sample (CasADi ``Opti`` + IPOPT)::

    min   sum_j || Q^(1/2) (y_j[tracked] + d - r_j) ||^2 + sum_b || R^(1/2) (U_b - U_{b-1}) ||^2
          + sum_j || S^(1/2) (u_j - u_ref) ||^2
    s.t.  x_{j+1}, y_j = model-step(x_j, u_j), x_0 given           (single or multiple shooting)
          u_j = U_b for j in block b                                (move blocking)
          u_lower <= U_b <= u_upper,  |U_b - U_{b-1}| <= du_max,  U_{-1} = u_prev

``d`` is the offset-free output-disturbance estimate ``y_plant - y_model`` held constant over the
horizon (:class:`OffsetFreeMPC` maintains it). Bounds and rate limits are hard constraints; the
applied first move is additionally projected onto its feasible box, so the input sent to the
plant never violates them by more than rounding.

CasADi is an optional dependency (extra ``rcpod[mpc]``), imported only when an MPC is built.

References
----------
.. [1] J. B. Rawlings, D. Q. Mayne, M. M. Diehl, *Model Predictive Control: Theory, Computation,
   and Design*, 2nd ed., Nob Hill, 2017, sections 1.5 (offset-free MPC, output-disturbance model)
   and 8 (single and multiple shooting).
.. [2] J. A. E. Andersson et al., "CasADi: a software framework for nonlinear optimization and
   optimal control", Math. Prog. Comp. 11, 2019.
.. [3] A. Waechter, L. T. Biegler, "On the implementation of an interior-point filter line-search
   algorithm for large-scale nonlinear programming", Math. Prog. 106, 2006 (IPOPT).
.. [4] J. P. Jordanou, E. A. Antonelo, E. Camponogara, "Echo state networks for practical nonlinear
   model predictive control of unknown dynamic systems", IEEE TNNLS 33(6), 2022 (ESN-based MPC of
   oil-production plants).
.. [5] J. P. Jordanou, E. A. Antonelo, E. Camponogara, E. Gildin, "Investigation of Proper
   Orthogonal Decomposition for Echo State Networks", Neurocomputing, 2023, arXiv:2211.17179
   (POD-reduced ESNs as prediction models for MPC).
"""
from __future__ import annotations

import logging
import numbers
import time
from dataclasses import dataclass, field

import numpy as np

from rcpod.reservoir.form import import_casadi
from rcpod.reservoir.validation import Options, check_array, check_int, check_real, check_value

__all__ = ["TrackingMPC", "OffsetFreeMPC", "MPCResult", "state_space_function", "rollout",
           "prediction_step", "import_casadi"]

logger = logging.getLogger(__name__)

_SHOOTING = ("single", "multiple")
_ROLLOUT = ("unrolled", "mapaccum")
_TIMING = ("after", "before")
_HESSIAN = ("gauss-newton", "exact", "limited-memory")


# -- validation helpers ---------------------------------------------------------------------------
def _vector(value, n, name, *, allow_inf=False, scalar_ok=True):
    """``value`` as a float vector of length ``n`` (a scalar is broadcast if ``scalar_ok``)."""
    arr = check_array(name, value, allow_empty=True, allow_inf=allow_inf)
    if arr.ndim == 0 and scalar_ok:
        arr = np.full(n, float(arr))
    if arr.shape != (n,):
        raise ValueError(f"{name} must have shape ({n},){' or be a scalar' if scalar_ok else ''}, "
                         f"got shape {arr.shape}.")
    return arr


def _nonneg(value, n, name):
    arr = _vector(value, n, name)
    if np.any(arr < 0):
        raise ValueError(f"{name} must be non-negative, got {arr!r}.")
    return arr


def _model_dims(ca, model, name="model"):
    """``(n_x, n_u, n_y)`` of a ``casadi.Function`` ``(x, u) -> (x_next, y)``, or raise."""
    if not isinstance(model, ca.Function):
        raise TypeError(f"{name} must be a casadi.Function (x, u) -> (x_next, y), got "
                        f"{type(model).__name__}.")
    if model.n_in() != 2 or model.n_out() != 2:
        raise ValueError(f"{name} must have 2 inputs (x, u) and 2 outputs (x_next, y), got "
                         f"{model.n_in()} inputs and {model.n_out()} outputs.")
    for i, what in ((0, "x"), (1, "u")):
        s = model.sparsity_in(i)
        if s.size2() != 1 or not s.is_dense() or s.size1() < 1:
            raise ValueError(f"{name} input {what} must be a dense column vector, got "
                             f"{s.size1()}x{s.size2()}.")
    n_x, n_u = model.size1_in(0), model.size1_in(1)
    for i, what in ((0, "x_next"), (1, "y")):
        s = model.sparsity_out(i)
        if s.size2() != 1 or s.size1() < 1:
            raise ValueError(f"{name} output {what} must be a column vector, got "
                             f"{s.size1()}x{s.size2()}.")
    if model.size1_out(0) != n_x:
        raise ValueError(f"{name} output x_next has {model.size1_out(0)} entries, expected "
                         f"n_x={n_x} (the size of input x).")
    return n_x, n_u, model.size1_out(1)


def _blocks(move_blocks, horizon):
    """Block lengths (list of ints summing to ``horizon``) from None, an int or a sequence."""
    if move_blocks is None:
        return [1] * horizon
    if isinstance(move_blocks, numbers.Integral) and not isinstance(move_blocks, bool):
        n_b = check_int("move_blocks", move_blocks, high=horizon)   # the number of blocks
        base, extra = divmod(horizon, n_b)
        return [base + (1 if b < extra else 0) for b in range(n_b)]
    try:
        items = list(move_blocks)
    except TypeError:
        raise TypeError(f"move_blocks must be None, an int or a sequence of positive ints, got "
                        f"{move_blocks!r}.") from None
    blocks = [check_int(f"move_blocks[{i}]", b) for i, b in enumerate(items)]
    if sum(blocks) != horizon:
        raise ValueError(f"move_blocks must be positive integers summing to horizon={horizon}, "
                         f"got {move_blocks!r}.")
    return blocks


# -- model helpers --------------------------------------------------------------------------------
def _call(model, x, u):
    """Call ``model`` symbolically; MX graphs are inlined (so unused outputs are pruned and
    derivatives see the operations), SX functions stay one call node (inlining them into MX
    would create one MX node per scalar operation)."""
    if model.class_name() == "MXFunction":
        return model.call([x, u], True, False)
    return model.call([x, u])


def prediction_step(model, expand=False, output_timing="after"):
    """The MPC's prediction step ``(x, u) -> (x_next, y_u)`` built from ``model``.

    Parameters
    ----------
    model : casadi.Function
        ``(x, u) -> (x_next, y)``.
    expand : bool, default=False
        Return the SX expansion (faster evaluation for small models, larger graphs for big ones).
    output_timing : {"after", "before"}, default="after"
        ``"after"``: ``y = h(x, u)`` is the output of a state that has already consumed ``u``
        (the ESN estimators of :func:`rcpod.reduction.to_casadi`: ``x_k = f(x_{k-1}, u_k)``,
        ``y_k = h(x_k, u_k)``); the output produced by the move ``u`` is ``h(f(x, u), u)``.
        ``"before"``: the usual state-space form ``x_{k+1} = f(x_k, u_k)``,
        ``y_k = h(x_k, u_k)`` (e.g. an ARX model with direct feed-through); the output produced
        by the move ``u`` is ``h(x, u)``.

    Returns
    -------
    casadi.Function
        ``(x, u) -> (x_next, y_u)``: the state after the move and the output the move produces.

    Examples
    --------
    For ``x+ = 0.5 x + u``, ``y = x`` from ``x = 1`` with ``u = 1``:

    >>> import numpy as np
    >>> from rcpod.reduction import state_space_function
    >>> from rcpod.reduction.mpc import prediction_step
    >>> model = state_space_function([[0.5]], [[1.0]], [[1.0]])
    >>> x, u = np.array([1.0]), np.array([1.0])
    >>> [float(v) for v in prediction_step(model)(x, u)]          # (x_next, y(x_next))
    [1.5, 1.5]
    >>> [float(v) for v in prediction_step(model, output_timing="before")(x, u)]   # y(x)
    [1.5, 1.0]
    """
    ca = import_casadi("rcpod.reduction.mpc")
    n_x, n_u, _ = _model_dims(ca, model)
    _check_timing(output_timing)
    x, u = ca.MX.sym("x", n_x), ca.MX.sym("u", n_u)
    if output_timing == "after":
        x_next = _call(model, x, u)[0]
        y_u = _call(model, x_next, u)[1]
    else:
        x_next, y_u = _call(model, x, u)
    step = ca.Function("mpc_step", [x, u], [x_next, y_u], ["x", "u"], ["x_next", "y"])
    return step.expand() if expand else step


def _check_timing(output_timing):
    check_value("output_timing", output_timing, [Options(_TIMING)])


def rollout(model, x0, inputs, output_timing="after"):
    """Simulate ``model`` from ``x0`` over ``inputs`` (numeric; e.g. a warm-up on past inputs).

    Parameters
    ----------
    model : casadi.Function ``(x, u) -> (x_next, y)``
    x0 : array of shape (n_x,)
    inputs : array of shape (T, n_u)
    output_timing : {"after", "before"}
        See :func:`prediction_step`.

    Returns
    -------
    states : ndarray (T, n_x)
        ``x_{k+1}``, the state after input ``k`` (``states[-1]`` is the warmed-up state).
    outputs : ndarray (T, n_y)
        The output produced by input ``k`` (``h(x_{k+1}, u_k)`` for ``"after"``,
        ``h(x_k, u_k)`` for ``"before"``).

    Examples
    --------
    Three unit steps of ``x+ = 0.5 x + u``, ``y = x`` from rest:

    >>> import numpy as np
    >>> from rcpod.reduction import state_space_function
    >>> from rcpod.reduction.mpc import rollout
    >>> model = state_space_function([[0.5]], [[1.0]], [[1.0]])
    >>> states, outputs = rollout(model, np.zeros(1), np.ones((3, 1)))
    >>> states[:, 0].tolist(), outputs[:, 0].tolist()
    ([1.0, 1.5, 1.75], [1.0, 1.5, 1.75])
    >>> rollout(model, np.zeros(1), np.ones((3, 1)), output_timing="before")[1][:, 0].tolist()
    [0.0, 1.0, 1.5]
    >>> rollout(model, np.zeros(1), np.ones((3, 2)))
    Traceback (most recent call last):
    ...
    ValueError: inputs must have shape (T, 1), got (3, 2).
    """
    ca = import_casadi("rollout")
    n_x, n_u, _ = _model_dims(ca, model)
    x0 = _vector(x0, n_x, "x0", scalar_ok=False)
    U = check_array("inputs", inputs, allow_empty=True)
    if U.ndim != 2 or U.shape[1] != n_u:
        raise ValueError(f"inputs must have shape (T, {n_u}), got {U.shape}.")
    if U.shape[0] == 0:
        return np.empty((0, n_x)), np.empty((0, model.size1_out(1)))
    acc = prediction_step(model, output_timing=output_timing).mapaccum("rollout", U.shape[0])
    X, Y = acc(x0, U.T)
    return np.array(X).T, np.array(Y).T


def state_space_function(A, B, C, D=None, state_offset=None, output_offset=None,
                         name="linear_model"):
    """Affine discrete-time state-space model as a ``casadi.Function`` ``(x, u) -> (x_next, y)``.

    ``x_next = A x + B u + state_offset``, ``y = C x + D u + output_offset`` (the same form as
    :func:`rcpod.reduction.to_casadi`, so a linear / ARX model plugs into :class:`TrackingMPC`).

    Parameters
    ----------
    A : array (n_x, n_x)
    B : array (n_x, n_u)
    C : array (n_y, n_x)
    D : array (n_y, n_u), optional (zero)
    state_offset : array (n_x,), optional (zero)
    output_offset : array (n_y,), optional (zero)
    name : str

    Returns
    -------
    casadi.Function

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.reduction import state_space_function
    >>> f = state_space_function([[0.5]], [[1.0]], [[2.0]])
    >>> x_next, y = f(np.array([1.0]), np.array([0.5]))
    >>> float(x_next), float(y)
    (1.0, 2.0)
    """
    ca = import_casadi("state_space_function")
    mats = {}
    for key, val in (("A", A), ("B", B), ("C", C)):
        mats[key] = check_array(key, val, ndim=2)
    n_x = mats["A"].shape[0]
    if mats["A"].shape != (n_x, n_x):
        raise ValueError(f"A must be square, got {mats['A'].shape}.")
    if mats["B"].shape[0] != n_x or mats["C"].shape[1] != n_x:
        raise ValueError(f"B must have {n_x} rows and C {n_x} columns, got B {mats['B'].shape}, "
                         f"C {mats['C'].shape}.")
    n_u, n_y = mats["B"].shape[1], mats["C"].shape[0]
    Dm = np.zeros((n_y, n_u)) if D is None else check_array("D", D)
    if Dm.shape != (n_y, n_u):
        raise ValueError(f"D must have shape ({n_y}, {n_u}), got {Dm.shape}.")
    e = np.zeros(n_x) if state_offset is None else _vector(state_offset, n_x, "state_offset",
                                                                scalar_ok=False)
    c = np.zeros(n_y) if output_offset is None else _vector(output_offset, n_y, "output_offset",
                                                                 scalar_ok=False)
    x, u = ca.SX.sym("x", n_x), ca.SX.sym("u", n_u)
    x_next = ca.mtimes(ca.DM(mats["A"]), x) + ca.mtimes(ca.DM(mats["B"]), u) + ca.DM(e)
    y = ca.mtimes(ca.DM(mats["C"]), x) + ca.mtimes(ca.DM(Dm), u) + ca.DM(c)
    return ca.Function(name, [x, u], [x_next, y], ["x", "u"], ["x_next", "y"])


# -- the MPC --------------------------------------------------------------------------------------
@dataclass
class MPCResult:
    """Outcome of one MPC solve.

    Attributes
    ----------
    u : ndarray (n_u,)
        Input to apply now: the first move, projected onto its feasible box (bounds and rate
        limit from ``u_prev``).
    u_plan : ndarray (horizon, n_u)
        Optimal input sequence (per step, blocks expanded).
    y_plan : ndarray (horizon, n_y)
        Model outputs along the plan (without the disturbance estimate).
    x_plan : ndarray (horizon, n_x)
        Model states along the plan (``x_1 .. x_H``).
    cost : float
    success : bool
        IPOPT reported success.
    status : str
        IPOPT return status.
    iterations : int
    solve_time : float
        Wall time of the solver call [s].
    model_time : float
        Part of it spent in CasADi evaluations of the NLP functions and their derivatives [s].
    correction : float
        Largest change made by projecting the first move onto its feasible box.

    Examples
    --------
    A set-point step under a rate limit of 0.2 per sample: the first move is the limit.

    >>> import numpy as np
    >>> from rcpod.reduction import TrackingMPC, state_space_function
    >>> model = state_space_function([[0.5]], [[1.0]], [[1.0]])
    >>> mpc = TrackingMPC(model, horizon=5, u_lower=-1.0, u_upper=1.0, du_max=0.2, R=0.0,
    ...                   output_timing="before")
    >>> res = mpc.solve(x0=np.zeros(1), u_prev=np.zeros(1), setpoint=np.array([1.0]))
    >>> bool(res.success), round(float(res.u[0]), 4), res.u_plan.shape, res.x_plan.shape
    (True, 0.2, (5, 1), (5, 1))
    """

    u: np.ndarray
    u_plan: np.ndarray
    y_plan: np.ndarray
    x_plan: np.ndarray
    cost: float
    success: bool
    status: str
    iterations: int
    solve_time: float
    model_time: float
    correction: float
    stats: dict = field(default_factory=dict, repr=False)


class TrackingMPC:
    """Output-tracking MPC (CasADi Opti + IPOPT) around a discrete-time model Function.

    Parameters
    ----------
    model : casadi.Function
        ``(x, u) -> (x_next, y)``, ``y`` the output at the state argument (see module docstring).
    horizon : int
        Prediction horizon ``H`` (steps).
    u_lower, u_upper : array_like (n_u,) or scalar
        Input bounds (hard; ``-inf`` / ``inf`` allowed, NaN not; lower <= upper).
    du_max : array_like (n_u,) or scalar, optional
        Rate limits ``|u_j - u_{j-1}| <= du_max`` per sample (hard; ``> 0``, ``inf`` allowed).
    tracked : sequence of int, optional
        Indices of the outputs to track (default all).
    Q : array_like (n_tracked,) or scalar, default 1
        Tracking weights.
    R : array_like (n_u,) or scalar, default 0.1
        Input-move weights.
    S : array_like (n_u,) or scalar, default 0
        Weights of ``u_j - u_ref`` (``u_ref`` given to :meth:`solve`, default ``u_prev``).
    move_blocks : None, int or sequence of int
        None: one move per step; int: that many (nearly) equal blocks; sequence: block lengths
        summing to ``horizon``.
    shooting : {"single", "multiple"}, default "single"
        Single shooting: the model rollout is part of the cost (see ``rollout``), only the
        inputs are decision variables. Multiple shooting: the states are decision variables
        with the dynamics as equality constraints (``map`` over the horizon).
    hessian : {"gauss-newton", "exact", "limited-memory"}, default "gauss-newton"
        IPOPT Hessian: the Gauss-Newton approximation ``2 J^T J`` of the least-squares cost
        (``J`` the Jacobian of the residuals; constraint curvature dropped; exact for a linear
        model), CasADi's exact Hessian of the Lagrangian, or IPOPT's L-BFGS. Gauss-Newton was
        the fastest for ESN models in ``examples/mpc_oil_platform.py``.
    expand : bool, default False
        Expand the NLP to SX (CasADi ``expand``).
    rollout : {"unrolled", "mapaccum"}, default "unrolled"
        Single shooting only: the step's graph inlined ``H`` times, or one ``mapaccum`` call
        (smaller graph, slower derivatives in our measurements).
    output_timing : {"after", "before"}, default "after"
        How ``model``'s ``y`` is timed, see :func:`prediction_step` ("after" for
        :func:`rcpod.reduction.to_casadi` estimators, "before" for a standard state-space model).
    max_iter : int, default 100
    tol : float, default 1e-8
        IPOPT tolerance.
    warm_start : bool, default True
        Start each solve from the previous plan shifted by one step.
    ipopt_options : dict, optional
        Extra IPOPT options (override the lean defaults: ``print_level 0``, ``sb yes``,
        ``jac_d_constant yes`` (the inequalities are linear), ``bound_relax_factor 0``).

    Attributes
    ----------
    n_x, n_u, n_y, n_tracked : int
    blocks : list of int

    Examples
    --------
    Track a set point with a first-order linear model ``x+ = 0.5 x + u``, ``y = x``:

    >>> import numpy as np
    >>> from rcpod.reduction import TrackingMPC, state_space_function
    >>> model = state_space_function([[0.5]], [[1.0]], [[1.0]])
    >>> mpc = TrackingMPC(model, horizon=5, u_lower=-1.0, u_upper=1.0, R=0.0,
    ...                   output_timing="before")
    >>> res = mpc.solve(x0=np.zeros(1), u_prev=np.zeros(1), setpoint=np.array([1.0]))
    >>> bool(res.success), res.u_plan.shape, round(float(res.y_plan[-1, 0]), 4)
    (True, (5, 1), 1.0)
    """

    def __init__(self, model, horizon, u_lower, u_upper, du_max=None, *, tracked=None, Q=1.0,
                 R=0.1, S=0.0, move_blocks=None, shooting="single", hessian="gauss-newton",
                 expand=False, rollout="unrolled", output_timing="after", max_iter=100,
                 tol=1e-8, warm_start=True, ipopt_options=None):
        ca = import_casadi("TrackingMPC")
        self._ca = ca
        self.model = model
        self.n_x, self.n_u, self.n_y = _model_dims(ca, model)
        self.horizon = H = check_int("horizon", horizon)
        self.blocks = _blocks(move_blocks, H)
        if tracked is None:
            tracked = list(range(self.n_y))
        try:
            tracked = [int(i) for i in np.atleast_1d(tracked)]
        except (TypeError, ValueError):
            raise TypeError(f"tracked must be a sequence of output indices, got "
                            f"{tracked!r}.") from None
        if (not tracked or len(set(tracked)) != len(tracked)
                or any(not 0 <= i < self.n_y for i in tracked)):
            raise ValueError(f"tracked must be distinct output indices in [0, {self.n_y}), got "
                             f"{tracked!r}.")
        self.tracked = tracked
        self.n_tracked = n_t = len(tracked)
        self.Q = _nonneg(Q, n_t, "Q")
        self.R = _nonneg(R, self.n_u, "R")
        self.S = _nonneg(S, self.n_u, "S")
        if not (np.any(self.Q > 0) or np.any(self.R > 0) or np.any(self.S > 0)):
            raise ValueError("Q, R and S are all zero: the MPC cost would be identically zero "
                             "and its optimum undefined; give Q > 0 for some tracked output.")
        self.u_lower = _vector(u_lower, self.n_u, "u_lower", allow_inf=True)
        self.u_upper = _vector(u_upper, self.n_u, "u_upper", allow_inf=True)
        bad = np.flatnonzero(self.u_lower > self.u_upper)
        if bad.size:
            j = bad[0]
            raise ValueError(f"u_lower must not exceed u_upper; input {j}: {self.u_lower[j]!r} > "
                             f"{self.u_upper[j]!r}.")
        if du_max is None:
            self.du_max = np.full(self.n_u, np.inf)
        else:
            self.du_max = _vector(du_max, self.n_u, "du_max", allow_inf=True)
            if np.any(self.du_max <= 0):
                raise ValueError(f"du_max must be positive, got {self.du_max!r}.")
        for name, value, options in (("shooting", shooting, _SHOOTING),
                                     ("hessian", hessian, _HESSIAN), ("rollout", rollout, _ROLLOUT)):
            check_value(name, value, [Options(options)])
        self.shooting, self.hessian, self.expand = shooting, hessian, bool(expand)
        self.rollout = rollout
        _check_timing(output_timing)
        self.output_timing = output_timing
        self.max_iter = check_int("max_iter", max_iter)
        self.tol = check_real("tol", tol, low=0, closed="neither")
        self.warm_start = bool(warm_start)
        if ipopt_options is not None and not isinstance(ipopt_options, dict):
            raise TypeError(f"ipopt_options must be a dict, got {type(ipopt_options).__name__}.")
        self.ipopt_options = dict(ipopt_options or {})
        self._step = prediction_step(model, output_timing=output_timing)
        self._sim = self._step.mapaccum("mpc_rollout", H)
        self._starts = np.concatenate([[0], np.cumsum(self.blocks)[:-1]]).astype(int)
        self._build()
        self._last_plan = None

    def __repr__(self):
        return (f"TrackingMPC(n_x={self.n_x}, n_u={self.n_u}, n_y={self.n_y}, "
                f"horizon={self.horizon}, blocks={len(self.blocks)}, shooting={self.shooting!r}, "
                f"hessian={self.hessian!r}, expand={self.expand})")

    # -- problem construction ----------------------------------------------------------------
    def _build(self):
        ca, H, n_u, n_b = self._ca, self.horizon, self.n_u, len(self.blocks)
        opti = ca.Opti()
        Ub = opti.variable(n_u, n_b)
        x0 = opti.parameter(self.n_x)
        u_prev = opti.parameter(n_u)
        r = opti.parameter(self.n_tracked, H)
        d = opti.parameter(self.n_tracked)
        u_ref = opti.parameter(n_u)
        M = np.zeros((n_b, H))
        for b, (s, length) in enumerate(zip(self._starts, self.blocks)):
            M[b, s:s + length] = 1.0
        U = ca.mtimes(Ub, ca.DM(M))  # n_u x H, piecewise constant over the blocks
        if self.shooting == "single" and self.rollout == "mapaccum":
            X, Y = self._sim(x0, U)
            X_var = None
        elif self.shooting == "single":  # the step's graph inlined H times (faster derivatives)
            xk, cols_x, cols_y = x0, [], []
            for k in range(H):
                xk, yk = _call(self._step, xk, U[:, k])
                cols_x.append(xk)
                cols_y.append(yk)
            X, Y = ca.horzcat(*cols_x), ca.horzcat(*cols_y)
            X_var = None
        else:
            X_var = opti.variable(self.n_x, H)
            X_prev = ca.horzcat(x0, X_var[:, :H - 1])
            X_next, Y = self._step.map("mpc_map", "serial", H, [], [])(X_prev, U)
            opti.subject_to(ca.vec(X_var - X_next) == 0)
            X = X_var
        sel = ca.DM(np.eye(self.n_y)[self.tracked])
        E = ca.mtimes(sel, Y) + ca.repmat(d, 1, H) - r
        dU = Ub - ca.horzcat(u_prev, Ub[:, :n_b - 1])
        # the cost is a sum of squares of these residuals (used by the Gauss-Newton Hessian)
        residuals = [ca.vec(ca.mtimes(ca.DM(np.diag(np.sqrt(self.Q))), E))]
        if np.any(self.R > 0):
            residuals.append(ca.vec(ca.mtimes(ca.DM(np.diag(np.sqrt(self.R))), dU)))
        if np.any(self.S > 0):
            residuals.append(ca.vec(ca.mtimes(ca.DM(np.diag(np.sqrt(self.S))),
                                              U - ca.repmat(u_ref, 1, H))))
        residuals = ca.vertcat(*residuals)
        cost = ca.sumsqr(residuals)
        opti.minimize(cost)
        lo, hi = self.u_lower, self.u_upper
        rows = np.flatnonzero(np.isfinite(lo) | np.isfinite(hi))
        for j in rows:
            opti.subject_to(opti.bounded(lo[j], Ub[int(j), :], hi[j]))
        for j in np.flatnonzero(np.isfinite(self.du_max)):
            opti.subject_to(opti.bounded(-self.du_max[j], dU[int(j), :], self.du_max[j]))
        ipopt = {"print_level": 0, "sb": "yes", "max_iter": self.max_iter, "tol": self.tol,
                 "bound_relax_factor": 0.0, "constr_viol_tol": 1e-9}
        options = {"print_time": False, "record_time": True, "expand": self.expand,
                   "error_on_fail": False}
        if self.hessian == "gauss-newton":
            # Hessian of the Lagrangian ~ 2 sigma J^T J, J = d residuals / d decision variables
            # (constraint curvature dropped: zero for single shooting, whose constraints are linear)
            lam_f = ca.MX.sym("lam_f")
            lam_g = ca.MX.sym("lam_g", opti.ng)
            J = ca.jacobian(residuals, opti.x)
            hess = ca.triu(2 * lam_f * ca.mtimes(J.T, J))
            options["hess_lag"] = ca.Function("nlp_hess_l", [opti.x, opti.p, lam_f, lam_g],
                                              [hess])
        else:
            ipopt["hessian_approximation"] = self.hessian
        if len(rows) or np.any(np.isfinite(self.du_max)):
            ipopt["jac_d_constant"] = "yes"
        ipopt.update(self.ipopt_options)
        opti.solver("ipopt", options, ipopt)
        ins = [x0, u_prev, r, d, u_ref, Ub] + ([X_var] if X_var is not None else [])
        self._fun = opti.to_function("tracking_mpc", ins, [Ub, X, Y, cost])
        self._opti = opti

    # -- solving ----------------------------------------------------------------------------------
    def reset(self):
        """Forget the previous plan (the next solve starts cold)."""
        self._last_plan = None

    def first_move_box(self, u_prev):
        """Feasible box ``[lo, hi]`` of the first move from ``u_prev`` (bounds and rate limit)."""
        u_prev = _vector(u_prev, self.n_u, "u_prev", scalar_ok=False)
        lo = np.maximum(self.u_lower, u_prev - self.du_max)
        hi = np.minimum(self.u_upper, u_prev + self.du_max)
        return lo, hi

    def _setpoint(self, setpoint):
        r = check_array("setpoint", setpoint, allow_empty=True)
        if r.ndim == 0 and self.n_tracked == 1:
            r = r.reshape(1)
        if r.shape == (self.n_tracked,):
            r = np.tile(r[:, None], (1, self.horizon))
        elif r.shape == (self.horizon, self.n_tracked):
            r = r.T
        else:
            raise ValueError(f"setpoint must have shape ({self.n_tracked},) or (horizon="
                             f"{self.horizon}, {self.n_tracked}), got {np.shape(setpoint)}.")
        return r

    def _initial_guess(self, u_prev, lo, hi):
        if self.warm_start and self._last_plan is not None:
            plan = np.vstack([self._last_plan[1:], self._last_plan[-1:]])
            Ub = plan[self._starts].T
        else:
            Ub = np.tile(np.clip(u_prev, self.u_lower, self.u_upper)[:, None],
                         (1, len(self.blocks)))
        Ub[:, 0] = np.clip(Ub[:, 0], lo, hi)
        return Ub

    def solve(self, x0, u_prev, setpoint, disturbance=None, u_ref=None):
        """Solve the tracking problem from model state ``x0``; returns an :class:`MPCResult`.

        Parameters
        ----------
        x0 : array (n_x,)
            Model state now (after the last applied input).
        u_prev : array (n_u,)
            Input applied over the last interval (rate limit and move penalty start from it).
        setpoint : array (n_tracked,) or (horizon, n_tracked)
            Targets of the tracked outputs (constant or a trajectory).
        disturbance : array (n_tracked,), optional
            Output-disturbance estimate added to the predictions (default zero).
        u_ref : array (n_u,), optional
            Target of the ``S`` penalty (default ``u_prev``).

        Raises
        ------
        ValueError
            Wrong shapes, NaN / infinite arguments, or a first move that cannot satisfy both the
            bounds and the rate limit from ``u_prev`` (infeasible problem).
        """
        x0 = _vector(x0, self.n_x, "x0", scalar_ok=False)
        u_prev = _vector(u_prev, self.n_u, "u_prev", scalar_ok=False)
        r = self._setpoint(setpoint)
        d = (np.zeros(self.n_tracked) if disturbance is None
             else _vector(disturbance, self.n_tracked, "disturbance", scalar_ok=False))
        u_ref = u_prev if u_ref is None else _vector(u_ref, self.n_u, "u_ref", scalar_ok=False)
        lo, hi = self.first_move_box(u_prev)
        bad = np.flatnonzero(lo > hi)
        if bad.size:
            j = bad[0]
            raise ValueError(f"infeasible MPC problem: u_prev[{j}] = {u_prev[j]!r} is farther than "
                             f"du_max[{j}] = {self.du_max[j]!r} from the bounds "
                             f"[{self.u_lower[j]!r}, {self.u_upper[j]!r}].")
        Ub0 = self._initial_guess(u_prev, lo, hi)
        args = [x0, u_prev, r, d, u_ref, Ub0]
        if self.shooting == "multiple":
            X0, _ = self._sim(x0, Ub0[:, np.repeat(np.arange(len(self.blocks)), self.blocks)])
            args.append(X0)
        t0 = time.perf_counter()
        Ub, X, Y, cost = self._fun(*args)
        solve_time = time.perf_counter() - t0
        stats = dict(self._fun.stats())
        Ub = np.array(Ub, dtype=float).reshape(self.n_u, len(self.blocks))
        plan = Ub[:, np.repeat(np.arange(len(self.blocks)), self.blocks)].T
        ok = bool(stats.get("success", False)) and np.all(np.isfinite(plan))
        status = str(stats.get("return_status", "unknown"))
        if np.all(np.isfinite(plan)):
            self._last_plan = plan.copy()
            u_now = plan[0]
        else:  # fall back to the previous plan shifted, or hold the input
            logger.warning("MPC solve returned non-finite inputs (%s); holding the previous plan",
                           status)
            prev = self._last_plan
            u_now = prev[min(1, len(prev) - 1)] if prev is not None else u_prev
            self._last_plan = None
        if not ok:
            logger.warning("MPC solve did not converge: %s", status)
        u_app = np.clip(u_now, lo, hi)
        model_time = sum(float(v) for k, v in stats.items() if k.startswith("t_wall_nlp"))
        return MPCResult(u=u_app, u_plan=plan, y_plan=np.array(Y, dtype=float).T,
                         x_plan=np.array(X, dtype=float).T, cost=float(cost), success=ok,
                         status=status, iterations=int(stats.get("iter_count", -1)),
                         solve_time=solve_time, model_time=model_time,
                         correction=float(np.max(np.abs(u_app - u_now))), stats=stats)


class OffsetFreeMPC:
    """Closed-loop wrapper: parallel model, output-disturbance estimate, :class:`TrackingMPC`.

    The model runs in parallel with the plant on the applied inputs; after each measurement the
    disturbance ``d = y_plant[tracked] - y_model[tracked]`` (optionally filtered) is held constant
    over the horizon, which removes steady-state offsets caused by model mismatch
    (Rawlings, Mayne, Diehl 2017, section 1.5).

    Parameters
    ----------
    mpc : TrackingMPC
    x0 : array (n_x,)
        Model state now, i.e. after the last applied input ``u0`` was consumed (e.g. from a
        warm-up on past inputs: :meth:`from_history`, :func:`rollout`, a reservoir's ``run`` /
        ``warmup``, or ``project`` of a full ESN state onto a reduced model).
    u0 : array (n_u,)
        Input applied over the last interval.
    disturbance_filter : float in [0, 1), default 0
        ``d <- f d + (1 - f) (y_plant - y_model)``; 0 uses the raw difference.
    x_prev : array (n_x,), optional
        ``output_timing="before"`` only: the state before ``u0`` (its output is the model's
        output for the last interval); default ``x0`` (exact at rest).

    Attributes
    ----------
    state_ : ndarray (n_x,)
        Model state after the last applied input.
    u_last_ : ndarray (n_u,)
    disturbance_ : ndarray (n_tracked,)
    y_model_ : ndarray (n_y,)
        Model output for the last interval (the value compared with the measurement).

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.reduction import OffsetFreeMPC, TrackingMPC, state_space_function
    >>> model = state_space_function([[0.5]], [[1.0]], [[1.0]])
    >>> mpc = TrackingMPC(model, horizon=5, u_lower=-1.0, u_upper=1.0, R=0.0)
    >>> ctl = OffsetFreeMPC(mpc, x0=np.zeros(1), u0=np.zeros(1))
    >>> ctl.measure(np.array([0.1]))          # plant reads 0.1 where the model predicts 0
    array([0.1])
    >>> res = ctl.control(np.array([1.0]))
    >>> res.u.shape, ctl.state_.shape
    ((1,), (1,))
    """

    def __init__(self, mpc, x0, u0, disturbance_filter=0.0, x_prev=None):
        if not isinstance(mpc, TrackingMPC):
            raise TypeError(f"mpc must be a TrackingMPC, got {type(mpc).__name__}.")
        self.mpc = mpc
        self.disturbance_filter = check_real("disturbance_filter", disturbance_filter, low=0,
                                             high=1, closed="left")
        self.state_ = _vector(x0, mpc.n_x, "x0", scalar_ok=False)
        self.u_last_ = _vector(u0, mpc.n_u, "u0", scalar_ok=False)
        prev = (self.state_ if x_prev is None
                else _vector(x_prev, mpc.n_x, "x_prev", scalar_ok=False))
        self.disturbance_ = np.zeros(mpc.n_tracked)
        self._measured = False
        src = self.state_ if mpc.output_timing == "after" else prev
        self.y_model_ = self._eval(src, self.u_last_)[1]

    @classmethod
    def from_history(cls, mpc, inputs, x_init, disturbance_filter=0.0):
        """Start after a warm-up of the model on past inputs ``(T, n_u)`` from ``x_init``."""
        U = check_array("inputs", inputs, allow_empty=True)
        if U.ndim != 2 or U.shape[0] < 1 or U.shape[1] != mpc.n_u:
            raise ValueError(f"inputs must have shape (T >= 1, {mpc.n_u}), got {U.shape}.")
        X, _ = rollout(mpc.model, x_init, U, output_timing=mpc.output_timing)
        x_prev = X[-2] if len(X) > 1 else _vector(x_init, mpc.n_x, "x_init", scalar_ok=False)
        return cls(mpc, X[-1], U[-1], disturbance_filter, x_prev=x_prev)

    def _eval(self, x, u):
        xn, y = self.mpc.model(x, u)
        return np.array(xn, dtype=float).ravel(), np.array(y, dtype=float).ravel()

    def measure(self, y_measured):
        """Update the disturbance estimate from the plant output measured now (all ``n_y``)."""
        y = _vector(y_measured, self.mpc.n_y, "y_measured", scalar_ok=False)
        raw = (y - self.y_model_)[self.mpc.tracked]
        f = self.disturbance_filter if self._measured else 0.0
        self.disturbance_ = f * self.disturbance_ + (1 - f) * raw
        self._measured = True
        return self.disturbance_

    def control(self, setpoint, u_ref=None):
        """Solve from the current state, advance the model with the applied input; returns the
        :class:`MPCResult`."""
        res = self.mpc.solve(self.state_, self.u_last_, setpoint, self.disturbance_, u_ref=u_ref)
        self.advance(res.u)
        return res

    def advance(self, u_applied):
        """Advance the parallel model with the input actually applied to the plant."""
        u = _vector(u_applied, self.mpc.n_u, "u_applied", scalar_ok=False)
        x_next, y_before = self._eval(self.state_, u)
        self.y_model_ = y_before if self.mpc.output_timing == "before" else self._eval(x_next, u)[1]
        self.state_ = x_next
        self.u_last_ = u
