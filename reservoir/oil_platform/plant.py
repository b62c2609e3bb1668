"""The oil-platform plant as seen by identification and MPC: network + optional PI layer.

:class:`OilPlatform` combines the 15-state network model (:mod:`.model`) with a regulatory layer
(:mod:`.regulatory`, default the source's ``netPres_PIDstruc2`` cascade) whose scaled integrators
are extra states. It gives the right-hand side, an exact (complex-step) Jacobian, named outputs,
steady states and linearisations; :mod:`.simulate` integrates it under zero-order-hold inputs.

References
----------
.. [1] E. Jahanshahi, D. Krishnamoorthy, A. Codas, B. Foss, S. Skogestad, "Plantwide control of an
   oil production network", Computers & Chemical Engineering, 2020,
   github.com/esmjah/PlantwideControl.
"""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from scipy.optimize import root

from .model import (ALGEBRAIC_NAMES, LISTED_EQUILIBRIUM, NOMINAL_OPEN_LOOP_INPUT,
                    OPEN_LOOP_INPUT_NAMES, OPEN_LOOP_INPUT_UNITS, STATE_NAMES, STATE_SCALES,
                    STATE_UNITS, _network_eval, check_states, compiled_constants)
from ..validation import check_int, check_real
from .parameters import NetworkParameters
from .regulatory import controller_eval, get_layer, inverse_soft_saturation, measurements

__all__ = ["OilPlatform", "OUTPUT_NAMES", "OUTPUT_UNITS", "DEFAULT_INPUT_BOUNDS"]

#: Names of the plant outputs (all configurations).
OUTPUT_NAMES = ("P_bh_A", "P_bh_B", "P_tt_A", "P_tt_B", "P_at_A", "P_at_B", "P_in", "P_top",
                "w_G_out", "w_L_out", "z_A", "z_B", "z_top")
#: Units of :data:`OUTPUT_NAMES`.
OUTPUT_UNITS = ("Pa",) * 8 + ("kg/s", "kg/s", "-", "-", "-")
_OUTPUT_DESCRIPTIONS = (
    "bottom-hole pressure well A", "bottom-hole pressure well B",
    "tubing-top pressure well A", "tubing-top pressure well B",
    "annulus-top pressure well A", "annulus-top pressure well B",
    "riser (pipeline) inlet pressure P1_f", "riser-top pressure P2_t",
    "gas production through the topside choke", "oil (liquid) production through the topside choke",
    "production choke opening well A", "production choke opening well B", "topside choke opening",
)

#: Admissible supervisory-input boxes [low, high] by input name (validation, not the excitation
#: envelope; see :mod:`.dataset` for that).
DEFAULT_INPUT_BOUNDS = {
    "w_inj_A": (0.0, 3.0), "w_inj_B": (0.0, 3.0),
    "z_A": (0.0, 1.0), "z_B": (0.0, 1.0), "z_top": (0.0, 1.0),
    "dP_valve_A_sp": (0.0, 40e5), "dP_valve_B_sp": (0.0, 40e5), "dP_valve_top_sp": (0.0, 20e5),
    "P_at_A_sp": (70e5, 110e5), "P_at_B_sp": (75e5, 115e5), "P_in_sp": (10e5, 40e5),
    "P_tt_A_sp": (5e5, 60e5), "P_tt_B_sp": (5e5, 60e5), "P_top_sp": (5e5, 30e5),
}

_IDX = {n: i for i, n in enumerate(ALGEBRAIC_NAMES)}
_I_PBH_A, _I_PBH_B = _IDX["A.P_bh"], _IDX["B.P_bh"]
_I_WR_A, _I_WR_B = _IDX["A.w_r"], _IDX["B.w_r"]
_I_WMIX, _I_WG, _I_WL = _IDX["riser.w_mix"], _IDX["riser.w_Gout"], _IDX["riser.w_Lout"]
_MASS_IDX = [2, 3, 4, 7, 8, 9, 11, 12, 13, 14]


class OilPlatform:
    """Two gas-lifted wells, manifold, pipeline-riser and (optionally) a stabilising PI layer.

    Parameters
    ----------
    params : NetworkParameters, optional
        Plant parameters (default: the source's network ``net``, R = 8.314472).
    regulatory : {"struc2", "pidnet_inner"}, RegulatoryLayer or None, default "struc2"
        PI layer; ``None`` gives the open-loop network (inputs: gas rates and valve openings).
    input_bounds : array_like of shape (n_inputs, 2), optional
        Admissible box of the supervisory inputs (default from :data:`DEFAULT_INPUT_BOUNDS`).
    setpoint_filter_time : float or None, default None
        If given, the PI set points taken from supervisory inputs pass through first-order filters
        ``ds/dt = (u - s)/T`` with this time constant [s] (extra states ``"<input>.filtered"``).
        Not in the source; it avoids the choke jumps a set-point step causes through the
        proportional parts of the cascades.

    Attributes
    ----------
    layer : RegulatoryLayer or None
    state_names, state_units : tuple of str
        15 network states, then one scaled integrator ``q = (Kc/Ti) I`` per PI loop (``"<loop>.q"``).
    input_names, input_units : tuple of str
        Supervisory inputs, e.g. for struc2 ``("w_inj_A", "w_inj_B", "dP_valve_A_sp",
        "dP_valve_B_sp", "dP_valve_top_sp")`` in kg/s and Pa.
    input_bounds : ndarray of shape (n_inputs, 2)
    output_names, output_units : tuple of str
        :data:`OUTPUT_NAMES`, :data:`OUTPUT_UNITS` (pressures in Pa, flows in kg/s, openings).
    n_states, n_inputs, n_outputs : int

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.reservoir.oil_platform import OilPlatform
    >>> plant = OilPlatform()
    >>> plant.n_inputs, plant.n_states, len(plant.output_names)
    (5, 21, 13)
    >>> u0, x0 = plant.nominal_input(), plant.nominal_state()
    >>> bool(np.max(np.abs(plant.rhs(x0, u0) / plant.state_scales)) < 1e-9)   # a steady state
    True
    """

    def __init__(self, params: NetworkParameters | None = None, regulatory="struc2",
                 input_bounds=None, setpoint_filter_time=None):
        if params is None:
            params = NetworkParameters()
        if not isinstance(params, NetworkParameters):
            raise TypeError(f"params must be a NetworkParameters, got {type(params).__name__}.")
        self.params = params
        self.layer = get_layer(regulatory)
        self._C = compiled_constants(params)
        if self.layer is None:
            self.input_names, self.input_units = OPEN_LOOP_INPUT_NAMES, OPEN_LOOP_INPUT_UNITS
            self._comp = None
            loop_states = ()
        else:
            self.input_names = self.layer.supervisory_input_names
            self.input_units = self.layer.supervisory_input_units
            self._comp = self.layer._compiled
            loop_states = tuple(n + ".q" for n in self.layer.loop_names)
        if setpoint_filter_time is not None:
            if self.layer is None:
                raise ValueError("setpoint_filter_time needs a regulatory layer (regulatory is None).")
            setpoint_filter_time = check_real("setpoint_filter_time", setpoint_filter_time, low=0,
                                              closed="neither")
        self.setpoint_filter_time = setpoint_filter_time
        # supervisory inputs that are PI set points (filtered when a filter time is given)
        self._sp_inputs = tuple(j for j, n in enumerate(self.input_names) if n.endswith("_sp"))
        filt_states = (tuple(self.input_names[j] + ".filtered" for j in self._sp_inputs)
                       if setpoint_filter_time else ())
        self._filt = bool(filt_states)
        self._n_base = 15 + len(loop_states)
        self.state_names = STATE_NAMES + loop_states + filt_states
        self.state_units = (STATE_UNITS + ("-",) * len(loop_states)
                            + tuple(self.input_units[j] for j in self._sp_inputs) * bool(filt_states))
        self.n_states = len(self.state_names)
        self.n_inputs = len(self.input_names)
        self.output_names, self.output_units = OUTPUT_NAMES, OUTPUT_UNITS
        self.output_descriptions = _OUTPUT_DESCRIPTIONS
        self.n_outputs = len(OUTPUT_NAMES)
        self.state_scales = np.concatenate([STATE_SCALES, np.ones(len(loop_states)),
                                            [1e5] * len(filt_states)])
        if input_bounds is None:
            input_bounds = [DEFAULT_INPUT_BOUNDS[n] for n in self.input_names]
        b = np.array(input_bounds, dtype=float)
        if b.shape != (self.n_inputs, 2) or not np.all(np.isfinite(b)) or np.any(b[:, 0] > b[:, 1]):
            raise ValueError(f"input_bounds must be a finite ({self.n_inputs}, 2) array of "
                             f"[low, high] with low <= high, got {input_bounds!r}.")
        self.input_bounds = b

    def __repr__(self):
        name = "open loop" if self.layer is None else self.layer.name
        return (f"OilPlatform(regulatory={name!r}, setpoint_filter_time={self.setpoint_filter_time!r}, "
                f"n_states={self.n_states}, n_inputs={self.n_inputs})")

    # -- core evaluation (scalars or arrays) -----------------------------------------------------
    def _eval(self, x, v, sqrt=math.sqrt, log10=math.log10, full=False):
        C = self._C
        if self._comp is None:
            return _network_eval(x, v, C, sqrt, log10, full)
        meas = measurements(x, C, sqrt)
        nb = self._n_base
        if self._filt:
            vf = list(v)
            ds = []
            invT = 1.0 / self.setpoint_filter_time
            for k, j in enumerate(self._sp_inputs):
                vf[j] = x[nb + k]
                ds.append((v[j] - x[nb + k]) * invT)
            up, dq, out = controller_eval(meas, x[15:nb], vf, self._comp, sqrt)
            dq = list(dq) + ds
        else:
            up, dq, out = controller_eval(meas, x[15:nb], v, self._comp, sqrt)
        r = _network_eval(x, up, C, sqrt, log10, full)
        if not full:
            return r + tuple(dq)
        return r[0] + tuple(dq), r[1], up

    def check_input(self, v, name="u"):
        """Validate supervisory inputs, one vector (n_inputs,) or rows (m, n_inputs): shape,
        finiteness, bounds. Returns a float array."""
        v = np.asarray(v, dtype=float)
        if v.ndim not in (1, 2) or v.shape[-1] != self.n_inputs:
            raise ValueError(f"{name} must have shape ({self.n_inputs},) for inputs "
                             f"{self.input_names}, got {v.shape}.")
        rows = np.atleast_2d(v)
        lo, hi = self.input_bounds.T
        with np.errstate(invalid="ignore"):
            bad = ~np.isfinite(rows) | (rows < lo) | (rows > hi)
        if bad.any():
            i, j = np.argwhere(bad)[0]
            where = f"{name}[{j}]" if v.ndim == 1 else f"{name}[{i}, {j}]"
            if not np.isfinite(rows[i, j]):
                raise ValueError(f"{where} ({self.input_names[j]}) must be finite, got "
                                 f"{float(rows[i, j])!r}.")
            raise ValueError(f"{where} ({self.input_names[j]}) = {float(rows[i, j])!r} is outside its "
                             f"bounds [{lo[j]!r}, {hi[j]!r}] {self.input_units[j]}.")
        return v

    def _check_state(self, x, name="x"):
        x = np.asarray(x, dtype=float)
        if x.shape != (self.n_states,):
            raise ValueError(f"{name} must have shape ({self.n_states},), got {x.shape}.")
        check_states(x[:15], name)                   # the network; then controller states
        if not np.all(np.isfinite(x[15:])):
            raise ValueError(f"{name} must be finite (a controller state is NaN or inf).")
        return x

    def rhs(self, x, u):
        """``dx/dt`` at state ``x`` (n_states,) and supervisory input ``u`` (n_inputs,)."""
        x = self._check_state(x)
        u = self.check_input(u)
        return np.array(self._eval(x.tolist(), u.tolist()), dtype=float)

    def make_rhs(self, u, quadrature=False):
        """Fast ``f(t, x)`` for a fixed input (no validation; NaN vector on invalid states).

        With ``quadrature=True`` the state has two extra entries (cumulative boundary inflow and
        outflow [kg], see :func:`rcpod.reservoir.oil_platform.model.network_mass_flows`).
        """
        vl = [float(a) for a in u]
        ev = self._eval
        n = self.n_states + (2 if quadrature else 0)
        nan = np.full(n, np.nan)
        if not quadrature:
            def f(t, x):
                try:
                    return np.array(ev(x.tolist(), vl), dtype=float)
                except (ValueError, ZeroDivisionError, OverflowError, TypeError):
                    return nan.copy()
        else:
            def f(t, x):
                try:
                    xl = x.tolist()
                    r = ev(xl, vl, full=True)
                    d, alg = r[0], r[1]
                    fin = xl[0] + xl[5] + alg[_I_WR_A] + alg[_I_WR_B]
                    return np.array(d + (fin, alg[_I_WMIX]), dtype=float)
                except (ValueError, ZeroDivisionError, OverflowError, TypeError):
                    return nan.copy()
        return f

    def make_jacobian(self, u, quadrature=False):
        """``jac(t, x)``: exact Jacobian ``df/dx`` by the complex-step method (one batched call)."""
        vl = [float(a) for a in u]
        n = self.n_states
        nq = n + (2 if quadrature else 0)
        diag = np.arange(n)

        def jac(t, x):
            xp = np.asarray(x[:n], dtype=float)
            h = 1e-30 * np.maximum(np.abs(xp), self.state_scales)
            X = np.repeat(xp[:, None], n, axis=1).astype(complex)
            X[diag, diag] += 1j * h
            with np.errstate(all="ignore"):
                if not quadrature:
                    d = self._eval(list(X), vl, np.sqrt, np.log10)
                    J = np.array(d).imag / h[None, :]
                else:
                    r = self._eval(list(X), vl, np.sqrt, np.log10, full=True)
                    alg = r[1]
                    fin = X[0] + X[5] + alg[_I_WR_A] + alg[_I_WR_B]
                    J = np.zeros((nq, nq))
                    J[:, :n] = np.array(r[0] + (fin, alg[_I_WMIX])).imag / h[None, :]
            return J
        return jac

    def jacobian(self, x, u):
        """Exact ``(A, B) = (df/dx, df/du)`` at ``(x, u)`` by the complex-step method."""
        x = self._check_state(x)
        u = self.check_input(u)
        A = self.make_jacobian(u)(0.0, x)
        m = self.n_inputs
        h = 1e-30 * np.maximum(np.abs(u), 1.0)
        U = [np.full(m, ui, dtype=complex) for ui in u]
        for j in range(m):
            U[j][j] += 1j * h[j]
        X = [np.full(m, xi) for xi in x]
        with np.errstate(all="ignore"):
            B = np.array(self._eval(X, U, np.sqrt, np.log10)).imag / h[None, :]
        return A, B

    # -- outputs ------------------------------------------------------------------------------------
    def outputs(self, x, u):
        """Outputs :data:`OUTPUT_NAMES` for states ``x`` (n_states,) or (m, n_states).

        ``u`` is the supervisory input, (n_inputs,) or (m, n_inputs) (the P parts of the PI loops
        make the valve openings depend on the current set points).
        """
        x = np.asarray(x, dtype=float)
        u = np.asarray(u, dtype=float)
        single = x.ndim == 1
        X = np.atleast_2d(x)
        if X.ndim != 2 or X.shape[1] != self.n_states:
            raise ValueError(f"x must have shape ({self.n_states},) or (m, {self.n_states}), got {x.shape}.")
        U = np.broadcast_to(u, (X.shape[0], self.n_inputs)) if u.ndim == 1 else u
        if U.shape != (X.shape[0], self.n_inputs):
            raise ValueError(f"u must have shape ({self.n_inputs},) or ({X.shape[0]}, {self.n_inputs}), "
                             f"got {u.shape}.")
        check_states(X[:, :15], "x")                # the network; then controller states
        if not np.all(np.isfinite(X[:, 15:])):
            raise ValueError("x must be finite (a controller state is NaN or inf).")
        self.check_input(u)
        with np.errstate(all="ignore"):
            xs, vs = list(X.T), list(U.T)
            if self._comp is None:
                _, alg = _network_eval(xs, vs, self._C, np.sqrt, np.log10, full=True)
                z = vs[2:5]
            else:
                _, alg, up = self._eval(xs, vs, np.sqrt, np.log10, full=True)
                z = up[2:5]
            meas = measurements(xs, self._C, np.sqrt)
        cols = (alg[_I_PBH_A], alg[_I_PBH_B], meas[2], meas[3], meas[0], meas[1], meas[4], meas[5],
                alg[_I_WG], alg[_I_WL], z[0], z[1], z[2])
        Y = np.stack([np.broadcast_to(c, (X.shape[0],)) for c in cols], axis=1).astype(float)
        return Y[0] if single else Y

    def valve_openings(self, x, u):
        """Valve openings (z_A, z_B, z_top) for states (m, n_states) and inputs (m, n_inputs)."""
        return self.outputs(x, u)[..., 10:13]

    # -- validity -----------------------------------------------------------------------------------
    def state_violation(self, X):
        """First sample of ``X`` (m, n_states) outside the model's valid region.

        Returns ``None`` or ``(index, reason)``. Checked: finiteness, positive masses, positive gas
        volumes in the tubings, pipeline and riser, liquid in the tubings above the bottom-hole
        section, and bottom-hole pressures (filtered state ``P_bh_f`` and instantaneous ``P_bh``)
        below the reservoir pressure (no backflow into the reservoir).
        """
        X = np.atleast_2d(np.asarray(X, dtype=float))
        ca, cb, cr, _ = self._C
        p = self.params
        checks = [
            (~np.all(np.isfinite(X), axis=1), "non-finite state"),
            (np.any(X[:, _MASS_IDX] <= 0, axis=1), "negative or zero mass"),
            (X[:, 1] >= 1e5 * p.P_res_A, "bottom-hole pressure of well A (P_bh_f) above reservoir pressure"),
            (X[:, 6] >= 1e5 * p.P_res_B, "bottom-hole pressure of well B (P_bh_f) above reservoir pressure"),
            ((X[:, 1] <= 0) | (X[:, 6] <= 0), "non-positive bottom-hole pressure"),
            (ca[2] - (X[:, 4] - ca[1]) / ca[0] <= 0, "tubing of well A full of liquid"),
            (cb[2] - (X[:, 9] - cb[1]) / cb[0] <= 0, "tubing of well B full of liquid"),
            (X[:, 3] + X[:, 4] - ca[1] <= 0, "tubing of well A emptied"),
            (X[:, 8] + X[:, 9] - cb[1] <= 0, "tubing of well B emptied"),
            (cr[6] - X[:, 12] / cr[1] <= 0, "pipeline full of liquid"),
            (cr[12] - X[:, 14] / cr[1] <= 0, "riser full of liquid"),
        ]
        with np.errstate(all="ignore"):   # instantaneous bottom-hole pressures (independent of u)
            _, alg = _network_eval(list(X[:, :15].T), list(NOMINAL_OPEN_LOOP_INPUT), self._C,
                                   np.sqrt, np.log10, full=True)
        P_bh_A = np.broadcast_to(alg[_I_PBH_A], (X.shape[0],))
        P_bh_B = np.broadcast_to(alg[_I_PBH_B], (X.shape[0],))
        checks += [
            (P_bh_A >= 1e5 * p.P_res_A, "bottom-hole pressure of well A (P_bh) above reservoir pressure"),
            (P_bh_B >= 1e5 * p.P_res_B, "bottom-hole pressure of well B (P_bh) above reservoir pressure"),
        ]
        first = None
        for bad, reason in checks:
            idx = np.flatnonzero(bad)
            if idx.size and (first is None or idx[0] < first[0]):
                first = (int(idx[0]), reason)
        return first

    # -- operating points -----------------------------------------------------------------------------
    def steady_state(self, u, x0=None, tol=1e-12):
        """Steady state for the constant input ``u`` (scipy.optimize.root from ``x0``).

        Parameters
        ----------
        u : array_like of shape (n_inputs,)
        x0 : array_like of shape (n_states,), optional
            Initial guess (default: the nominal operating point).
        tol : float
            Tolerance on the scaled variables.

        Returns
        -------
        x : ndarray of shape (n_states,)

        Raises
        ------
        RuntimeError
            If the root finder does not converge.
        """
        u = self.check_input(u)
        x0 = self.nominal_state() if x0 is None else self._check_state(x0, "x0")
        s = self.state_scales
        f = self.make_rhs(u)
        jac = self.make_jacobian(u)
        T = 1e3   # residual time scale [s]
        sol = root(lambda z: f(0.0, z * s) / s * T, x0 / s,
                   jac=lambda z: jac(0.0, z * s) * s[None, :] / s[:, None] * T,
                   method="hybr", options=dict(xtol=tol))
        x = sol.x * s
        res = np.max(np.abs(f(0.0, x) / s)) * T
        if not sol.success and not res < 1e-8:
            raise RuntimeError(f"steady_state did not converge: {sol.message} (scaled residual {res:.2e}).")
        return x

    def operating_point(self, u, n_steps=20):
        """Steady state at ``u`` reached by continuation from the nominal point.

        The input moves along the straight line from :meth:`nominal_input` to ``u`` in (at least)
        ``n_steps`` steps, solving :meth:`steady_state` at each; a step that fails is halved
        (down to 1/64 of the initial step) before giving up with RuntimeError.
        """
        u = self.check_input(u)
        n_steps = check_int("n_steps", n_steps)
        x, u_nom = self.nominal_state(), self.nominal_input()
        s, ds = 0.0, 1.0 / n_steps
        while s < 1.0:
            s_new = min(1.0, s + ds)
            try:
                x = self.steady_state(u_nom + (u - u_nom) * s_new, x)
                s = s_new
            except RuntimeError:
                ds /= 2
                if ds < 1.0 / (64 * n_steps):
                    raise RuntimeError(f"operating_point: continuation to u = {u!r} failed at "
                                       f"{100 * s:.1f} % of the way from the nominal input.") from None
        return x

    def nominal_input(self):
        """Supervisory input of the nominal operating point (gas 1 kg/s each, valves at 0.5)."""
        return _nominal_point(self.params, self.layer)[1].copy()

    def nominal_state(self):
        """Steady state at :meth:`nominal_input` (the stabilised nominal point for a PI layer)."""
        x, v = _nominal_point(self.params, self.layer)
        return self.extend_state(x, v)

    def extend_state(self, x, u):
        """Append the set-point filter states (at rest at ``u``) to a state without them."""
        x = np.asarray(x, dtype=float)
        if not self._filt or x.shape[-1] == self.n_states:
            return x.copy()
        u = np.asarray(u, dtype=float)
        return np.concatenate([x, u[list(self._sp_inputs)]])

    def linearize(self, x=None, u=None):
        """Continuous-time ``(A, B)`` at ``(x, u)`` (default: the nominal point)."""
        x = self.nominal_state() if x is None else x
        u = self.nominal_input() if u is None else u
        return self.jacobian(x, u)


@lru_cache(maxsize=16)
def _nominal_point(params, layer):
    """Nominal open-loop equilibrium (inputs 1, 1, 0.5, 0.5, 0.5) and its closed-loop extension."""
    ol = OilPlatform(params, None)
    s = STATE_SCALES
    f = ol.make_rhs(NOMINAL_OPEN_LOOP_INPUT)
    jac = ol.make_jacobian(NOMINAL_OPEN_LOOP_INPUT)
    sol = root(lambda z: f(0.0, z * s) / s * 1e3, LISTED_EQUILIBRIUM / s,
               jac=lambda z: jac(0.0, z * s) * s[None, :] / s[:, None] * 1e3,
               method="hybr", options=dict(xtol=1e-14))
    if not sol.success:
        raise RuntimeError(f"nominal equilibrium not found: {sol.message}")
    xp = sol.x * s
    if layer is None:
        return xp, NOMINAL_OPEN_LOOP_INPUT.copy()
    C = compiled_constants(params)
    meas = measurements(xp.tolist(), C)
    comp, valves = layer._compiled
    loops = layer.loops
    q = np.zeros(layer.n_loops)
    v = np.zeros(len(layer.supervisory_input_names))
    v[0], v[1] = NOMINAL_OPEN_LOOP_INPUT[0], NOMINAL_OPEN_LOOP_INPUT[1]
    for kind, src in valves:
        if kind == 0:
            v[src] = 0.5
    by_index = {c[0]: c for c in comp}
    for (i, mi, Kc, KcTi, smin, srange, kind, src, lo, hi, soft) in comp:
        lp = loops[i]
        if lp.output in ("z_A", "z_B", "z_top"):
            target = 0.5
        else:
            inner = by_index[[c[0] for c in comp if loops[c[0]].name == lp.output][0]]
            target = (meas[inner[1]] - inner[4]) / inner[5]
        q[i] = -inverse_soft_saturation(target, lo, hi, soft)
        if kind == 0:
            v[src] = meas[mi]
    x = np.concatenate([xp, q])
    plant = OilPlatform(params, layer)
    x = plant.steady_state(v, x)
    return x, v
