"""Simulation of the oil-platform plant under zero-order-hold inputs.

Inputs are held constant over each sampling interval ``[k dt, (k+1) dt)``; the ODE is integrated
with ODEPACK's LSODA through :func:`scipy.integrate.odeint` (default; stiff/non-stiff switching,
stepping inside Fortran, about twice as fast as the same solver through ``solve_ivp``) or with
:func:`scipy.integrate.solve_ivp` (``"BDF"``, ``"LSODA"``, ``"Radau"``), always with the exact
complex-step Jacobian and the step bounded by ``max_step`` (default the sampling time), restarted
at every input change. Samples are aligned like a
reservoir run: ``y[k]`` is the output at the end of interval ``k`` (time ``(k+1) dt``) under the
input ``u[k]``, so ``inputs (T, n_u) -> outputs (T, n_y)``.

Failures are never silent: a solver failure, a state leaving the model's valid region
(:meth:`OilPlatform.state_violation`, e.g. bottom-hole pressure above reservoir pressure, negative
masses) or a valve saturated for longer than ``max_saturation_time`` stops the run. The result is
then truncated at the last good sample, ``success`` is False, ``status``/``message``/``t_fail``
say what and when, and a :class:`PlantSimulationWarning` is issued (or
:class:`PlantSimulationError` raised with ``on_failure="raise"``).

References
----------
.. [1] E. Jahanshahi, D. Krishnamoorthy, A. Codas, B. Foss, S. Skogestad, "Plantwide control of an
   oil production network", Computers & Chemical Engineering, 2020.
"""
from __future__ import annotations

import logging
import math
import time
import warnings
from dataclasses import dataclass, field

import numpy as np
from scipy.integrate import odeint, solve_ivp

from ..validation import Options, check_real, check_value
from .plant import OilPlatform

__all__ = ["simulate", "SimulationResult", "PlantSimulationError", "PlantSimulationWarning"]

logger = logging.getLogger(__name__)

_STATUSES = ("ok", "solver_failure", "invalid_state", "valve_saturation")


class PlantSimulationWarning(RuntimeWarning):
    """A plant simulation stopped early (see the result's ``status`` and ``t_fail``).

    Issued by :func:`simulate` with the default ``on_failure="warn"``; the truncated result is
    still returned.

    Examples
    --------
    Open loop with the topside choke fully open, a run stops once the valve has stayed saturated
    for longer than ``max_saturation_time``:

    >>> import warnings
    >>> import numpy as np
    >>> from rcpod.reservoir.oil_platform import OilPlatform, PlantSimulationWarning, simulate
    >>> plant = OilPlatform(regulatory=None)      # inputs (w_inj_A, w_inj_B, z_A, z_B, z_top)
    >>> u = np.tile([1.0, 1.0, 0.5, 0.5, 1.0], (3, 1))
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     res = simulate(plant, u, dt=60.0, max_saturation_time=60.0)
    >>> any(issubclass(w.category, PlantSimulationWarning) for w in caught)
    True
    >>> res.success, res.status, len(res), res.t_fail
    (False, 'valve_saturation', 2, 120.0)
    """


class PlantSimulationError(RuntimeError):
    """A plant simulation stopped early; ``result`` holds the truncated :class:`SimulationResult`.

    Raised by :func:`simulate` with ``on_failure="raise"``.

    Parameters
    ----------
    message : str
    result : SimulationResult
        The samples computed before the failure.

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.reservoir.oil_platform import OilPlatform, PlantSimulationError, simulate
    >>> plant = OilPlatform(regulatory=None)      # topside choke (last input) held fully open
    >>> u = np.tile([1.0, 1.0, 0.5, 0.5, 1.0], (3, 1))
    >>> try:
    ...     simulate(plant, u, dt=60.0, max_saturation_time=60.0, on_failure="raise")
    ... except PlantSimulationError as exc:
    ...     print(exc.result.status, len(exc.result), exc.result.t_fail)
    valve_saturation 2 120.0
    """

    def __init__(self, message, result):
        super().__init__(message)
        self.result = result


@dataclass
class SimulationResult:
    """Sampled trajectory of a plant simulation.

    Attributes
    ----------
    t : ndarray (K,)
        Sample times [s], ``t[k] = t0 + (k+1) dt``.
    u : ndarray (K, n_inputs)
        Inputs held over ``(t[k] - dt, t[k]]``.
    x : ndarray (K, n_states)
        States at ``t[k]``.
    y : ndarray (K, n_outputs)
        Outputs at ``t[k]`` (with input ``u[k]``).
    x0, y0 : ndarray
        Initial state and output (with ``u[0]``).
    success : bool
        True if all T requested samples were computed. ``K == T`` iff success.
    status : str
        ``"ok"``, ``"solver_failure"``, ``"invalid_state"`` or ``"valve_saturation"``.
    message : str
    t_fail : float or None
        Time of the failure [s].
    saturation_fraction : float
        Fraction of samples with a valve within ``saturation_tol`` of 0 or 1.
    wall_time : float
        Seconds spent.
    n_rhs : int
        Right-hand-side evaluations.
    quadrature : ndarray (K, 2) or None
        Cumulative boundary inflow and outflow [kg] when requested.

    Examples
    --------
    Three minutes at the stabilised nominal point: the plant stays at its steady state.

    >>> import numpy as np
    >>> from rcpod.reservoir.oil_platform import OilPlatform, simulate
    >>> plant = OilPlatform()
    >>> res = simulate(plant, np.tile(plant.nominal_input(), (3, 1)), dt=60.0)
    >>> len(res), res.status, res.t.tolist()
    (3, 'ok', [60.0, 120.0, 180.0])
    >>> bool(np.allclose(res.x[-1], res.x0, rtol=1e-8))
    True
    >>> y = dict(zip(res.output_names, res.y[-1]))
    >>> round(float(y["P_bh_A"]) / 1e5, 1), round(float(y["w_L_out"]), 1)     # bar, kg/s
    (101.8, 29.6)
    """

    t: np.ndarray
    u: np.ndarray
    x: np.ndarray
    y: np.ndarray
    x0: np.ndarray
    y0: np.ndarray
    dt: float
    success: bool
    status: str
    message: str
    t_fail: float | None
    saturation_fraction: float
    wall_time: float
    n_rhs: int
    input_names: tuple = field(default=())
    output_names: tuple = field(default=())
    output_units: tuple = field(default=())
    state_names: tuple = field(default=())
    quadrature: np.ndarray | None = None

    def __len__(self):
        return self.t.shape[0]


def _check_inputs(plant, inputs):
    u = np.asarray(inputs)
    if u.dtype.kind not in "biuf":
        raise TypeError(f"inputs must be a numeric array, got dtype {u.dtype}.")
    u = u.astype(float)
    if u.ndim != 2 or u.shape[1] != plant.n_inputs:
        raise ValueError(f"inputs must have shape (T, {plant.n_inputs}) for inputs {plant.input_names}, "
                         f"got {u.shape}.")
    if u.shape[0] == 0:
        raise ValueError("inputs must contain at least one sample.")
    bad = ~np.isfinite(u)
    if bad.any():
        k, j = np.argwhere(bad)[0]
        raise ValueError(f"inputs must be finite; inputs[{k}, {j}] ({plant.input_names[j]}) = {u[k, j]!r}.")
    lo, hi = plant.input_bounds.T
    out = (u < lo) | (u > hi)
    if out.any():
        k, j = np.argwhere(out)[0]
        raise ValueError(f"inputs[{k}, {j}] ({plant.input_names[j]}) = {u[k, j]!r} is outside its bounds "
                         f"[{lo[j]!r}, {hi[j]!r}] {plant.input_units[j]} ({int(out.sum())} entries out of bounds).")
    return u


_METHODS = ("odeint", "BDF", "LSODA", "Radau")


def _segment_odeint(f, jac, x, t_eval, ta, rtol, atol_vec, max_step):
    """Integrate one constant-input segment with odeint; returns (Y (m, n), nfev, error or None)."""
    ts = np.concatenate([[ta], t_eval])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sol, info = odeint(f, x, ts, Dfun=jac, tfirst=True, rtol=rtol, atol=atol_vec,
                           hmax=max_step, mxstep=20000, full_output=True)
    nfev = int(info["nfe"][-1]) if len(info["nfe"]) else 0
    reached = info["tcur"] >= t_eval - 1e-9 * max(1.0, abs(t_eval[-1]))
    m = int(np.argmin(reached)) if not reached.all() else len(t_eval)
    err = None
    if m < len(t_eval) or not info["message"].startswith("Integration successful"):
        err = (float(info["tcur"][m - 1]) if m else ta, info["message"])
    return sol[1:1 + m], nfev, err


def _segment_solve_ivp(f, jac, x, t_eval, ta, rtol, atol_vec, max_step, method):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        sol = solve_ivp(f, (ta, t_eval[-1]), x, method=method, t_eval=t_eval, rtol=rtol,
                        atol=atol_vec, max_step=max_step, jac=jac)
    m = sol.y.shape[1]
    err = None
    if sol.status != 0 or m < len(t_eval):
        err = (float(sol.t[-1]) if sol.t.size else ta, sol.message)
    return sol.y.T, int(sol.nfev), err


def simulate(plant: OilPlatform, inputs, dt=60.0, x0=None, *, t0=0.0, method="odeint", rtol=1e-6,
             atol=1e-8, max_step=None, on_failure="warn", max_saturation_time=3600.0,
             saturation_tol=0.01, quadrature=False):
    """Simulate ``plant`` under zero-order-hold ``inputs`` sampled every ``dt`` seconds.

    Parameters
    ----------
    plant : OilPlatform
    inputs : array_like of shape (T, plant.n_inputs)
        Supervisory inputs (``plant.input_names``, SI units), each held for one interval.
    dt : float, default 60
        Sampling time [s] (> 0).
    x0 : array_like of shape (plant.n_states,), optional
        Initial state; default ``plant.nominal_state()``.
    t0 : float
        Initial time [s].
    method : {"odeint", "BDF", "LSODA", "Radau"}
        ``"odeint"``: ODEPACK LSODA via :func:`scipy.integrate.odeint` (fastest); the others are
        :func:`scipy.integrate.solve_ivp` methods.
    rtol, atol : float
        Relative tolerance and absolute tolerance relative to the state scales
        (``atol * plant.state_scales``).
    max_step : float, optional
        Largest solver step [s]; default ``dt``.
    on_failure : {"warn", "raise", "ignore"}
        What to do besides truncating and flagging the result when the run stops early.
    max_saturation_time : float or None, default 3600
        Stop with status ``"valve_saturation"`` when a valve stays within ``saturation_tol`` of 0
        or 1 for longer than this [s] (None: never).
    saturation_tol : float
    quadrature : bool
        Also integrate the boundary inflow and outflow (result ``quadrature``), for mass balances.

    Returns
    -------
    SimulationResult

    Raises
    ------
    ValueError, TypeError
        Bad inputs (shape, non-finite, out of ``plant.input_bounds``), bad ``dt`` or ``x0``.
    PlantSimulationError
        With ``on_failure="raise"`` when the run stops early.

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.reservoir.oil_platform import OilPlatform, simulate
    >>> plant = OilPlatform()
    >>> res = simulate(plant, np.tile(plant.nominal_input(), (5, 1)), dt=60.0)
    >>> res.success, res.u.shape, res.x.shape, res.y.shape
    (True, (5, 5), (5, 21), (5, 13))
    """
    if not isinstance(plant, OilPlatform):
        raise TypeError(f"plant must be an OilPlatform, got {type(plant).__name__}.")
    dt = check_real("dt", dt, low=0, closed="neither")   # the sampling time
    check_value("on_failure", on_failure, [Options(("warn", "raise", "ignore"))])
    check_value("method", method, [Options(_METHODS)])
    for name, val in (("rtol", rtol), ("atol", atol)):
        check_real(name, val, low=0, closed="neither")
    max_step = dt if max_step is None else check_real("max_step", max_step, low=0,
                                                      closed="neither")
    check_real("max_saturation_time", max_saturation_time, low=0, closed="neither",
               allow_none=True)
    u = _check_inputs(plant, inputs)
    T = u.shape[0]
    if x0 is None:
        x0 = plant.nominal_state()
    x0 = np.asarray(x0, dtype=float)
    if x0.shape != (plant.n_states,) or not np.all(np.isfinite(x0)):
        raise ValueError(f"x0 must be a finite array of shape ({plant.n_states},), got shape {x0.shape}.")
    viol = plant.state_violation(x0)
    if viol is not None:
        raise ValueError(f"x0 is outside the model's valid region: {viol[1]}.")

    start = time.perf_counter()
    n = plant.n_states
    scale = plant.state_scales
    if quadrature:
        scale = np.concatenate([scale, [1e4, 1e4]])
        xcur = np.concatenate([x0, [0.0, 0.0]])
    else:
        xcur = x0.copy()
    atol_vec = atol * scale
    X = np.empty((T, xcur.size))
    # segments of constant input
    change = np.flatnonzero(np.any(np.diff(u, axis=0) != 0, axis=1)) + 1
    bounds = np.concatenate([[0], change, [T]])
    status, message, t_fail, k_done = "ok", "", None, 0
    n_rhs = 0
    for a, b in zip(bounds[:-1], bounds[1:]):
        f = plant.make_rhs(u[a], quadrature=quadrature)
        jac = plant.make_jacobian(u[a], quadrature=quadrature)
        ta = t0 + a * dt
        t_eval = t0 + np.arange(a + 1, b + 1) * dt
        if method == "odeint":
            Yseg, nf, err = _segment_odeint(f, jac, xcur, t_eval, ta, rtol, atol_vec, max_step)
        else:
            Yseg, nf, err = _segment_solve_ivp(f, jac, xcur, t_eval, ta, rtol, atol_vec, max_step, method)
        n_rhs += nf
        m = Yseg.shape[0]
        if m:
            X[a:a + m] = Yseg
        viol = plant.state_violation(X[a:a + m, :n]) if m else None
        if viol is not None:
            k_done = a + viol[0]
            status, message, t_fail = "invalid_state", viol[1], float(t0 + (k_done + 1) * dt)
            break
        if err is not None:
            k_done = a + m
            status = "solver_failure"
            t_fail = err[0]
            message = f"solver {method} failed: {err[1]}"
            break
        k_done = b
        xcur = X[b - 1].copy()
    # outputs and saturation check on the computed samples
    Xd = X[:k_done]
    Y = plant.outputs(Xd[:, :n], u[:k_done]) if k_done else np.empty((0, plant.n_outputs))
    zs = Y[:, 10:13]
    sat = np.any((zs < saturation_tol) | (zs > 1 - saturation_tol), axis=1)
    if max_saturation_time is not None and k_done:
        limit = int(math.floor(max_saturation_time / dt)) + 1
        run = 0
        for k, s in enumerate(sat):
            run = run + 1 if s else 0
            if run >= limit:
                k_done = k + 1
                status = "valve_saturation"
                t_fail = float(t0 + (k + 1) * dt)
                message = (f"a valve stayed within {saturation_tol} of its limit for {run * dt:.0f} s "
                           f"(> max_saturation_time = {max_saturation_time} s)")
                break
        Xd, Y, sat = Xd[:k_done], Y[:k_done], sat[:k_done]
    success = status == "ok"
    res = SimulationResult(
        t=t0 + dt * np.arange(1, k_done + 1), u=u[:k_done].copy(), x=Xd[:, :n].copy(), y=Y,
        x0=x0.copy(), y0=plant.outputs(x0, u[0]), dt=dt, success=success, status=status,
        message=message if not success else "completed",
        t_fail=t_fail, saturation_fraction=float(sat.mean()) if sat.size else 0.0,
        wall_time=time.perf_counter() - start, n_rhs=int(n_rhs),
        input_names=plant.input_names, output_names=plant.output_names,
        output_units=plant.output_units, state_names=plant.state_names,
        quadrature=Xd[:, n:].copy() if quadrature else None)
    if not success:
        text = (f"Plant simulation stopped at t = {t_fail:.0f} s ({k_done} of {T} samples): "
                f"{status}: {message}")
        logger.info(text)
        if on_failure == "raise":
            raise PlantSimulationError(text, res)
        if on_failure == "warn":
            warnings.warn(text, PlantSimulationWarning, stacklevel=2)
    return res
