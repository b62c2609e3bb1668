"""Right-hand side and algebraic outputs of the two-well / one-riser oil-production network.

The model is the public network model ``net`` of Jahanshahi, Krishnamoorthy, Codas, Foss and
Skogestad, *Plantwide control of an oil production network*, Computers & Chemical Engineering
(Modelica model tuned to OLGA, repository esmjah/PlantwideControl): two gas-lifted wells
(Jahanshahi, Skogestad & Hansen 2012, modified) feeding through a manifold a 4300 m pipeline and
300 m riser (Jahanshahi & Skogestad 2014) that ends at a topside choke and a separator. The
equations, including the smooth max/min operators, are transcribed from the Modelica model of
[1]_ (well model after [2]_, pipeline-riser model after [3]_).

State order (15): per well A then B ``(w_G_f, P_bh_f, m_Ga, m_Gw, m_Lw)``, then the riser
``(P1_f, m_gp, m_lp, m_gr, m_lr)``. Open-loop input order (5): ``(w_inj_A, w_inj_B, z_A, z_B,
z_top)``.

Argument checks (the NaN policy): the public functions here (and :class:`OilPlatform`'s) refuse
what the model cannot mean with a ValueError naming the argument: non-finite values, states with
a non-positive mass or pressure or a negative filtered flow, negative gas-injection rates and
choke openings outside [0, 1]. Inside an ODE solve the private right-hand side is called
unchecked for speed; a solve that produces NaN is reported by
:func:`rcpod.reservoir.oil_platform.simulate` as a ``PlantSimulationError``.

One function, :func:`_network_eval`, holds the equations. It is generic in the elementary
operations: with ``math.sqrt``/``math.log10`` on Python floats it is the fast scalar right-hand
side used by the ODE solver; with ``numpy.sqrt``/``numpy.log10`` on arrays it evaluates many
states at once (vectorised finite-difference Jacobians, batch outputs).

References
----------
.. [1] E. Jahanshahi, D. Krishnamoorthy, A. Codas, B. Foss, S. Skogestad, "Plantwide control of an
   oil production network", Computers & Chemical Engineering, 2020; code:
   github.com/esmjah/PlantwideControl.
.. [2] E. Jahanshahi, S. Skogestad, H. Hansen, "Control structure design for stabilizing unstable
   gas-lift oil wells", IFAC ADCHEM, 2012.
.. [3] E. Jahanshahi, S. Skogestad, "Simplified dynamic models for control of riser slugging in
   offshore oil production", SPE Oil and Gas Facilities, 2014.
"""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from .parameters import NetworkParameters, compile_constants

__all__ = [
    "STATE_NAMES",
    "STATE_UNITS",
    "STATE_SCALES",
    "OPEN_LOOP_INPUT_NAMES",
    "OPEN_LOOP_INPUT_UNITS",
    "NOMINAL_OPEN_LOOP_INPUT",
    "LISTED_EQUILIBRIUM",
    "ALGEBRAIC_NAMES",
    "network_rhs",
    "network_rhs_batch",
    "network_algebraics",
    "network_mass_flows",
    "held_mass",
    "compiled_constants",
    "check_states",
    "check_open_loop_inputs",
]

STATE_NAMES = (
    "A.w_G_f", "A.P_bh_f", "A.m_Ga", "A.m_Gw", "A.m_Lw",
    "B.w_G_f", "B.P_bh_f", "B.m_Ga", "B.m_Gw", "B.m_Lw",
    "riser.P1_f", "riser.m_gp", "riser.m_lp", "riser.m_gr", "riser.m_lr",
)
STATE_UNITS = ("kg/s", "Pa", "kg", "kg", "kg") * 2 + ("Pa", "kg", "kg", "kg", "kg")
#: Typical magnitudes of the states (used for solver tolerances and finite-difference steps).
STATE_SCALES = np.array([1.0, 1e7, 5e3, 300.0, 9e3, 1.0, 1e7, 5e3, 300.0, 9e3,
                         2e6, 1.5e3, 2.7e4, 50.0, 2e3])
OPEN_LOOP_INPUT_NAMES = ("w_inj_A", "w_inj_B", "z_A", "z_B", "z_top")
OPEN_LOOP_INPUT_UNITS = ("kg/s", "kg/s", "-", "-", "-")
NOMINAL_OPEN_LOOP_INPUT = np.array([1.0, 1.0, 0.5, 0.5, 0.5])
#: Nominal open-loop steady state as listed by the source for inputs (1, 1, 0.5, 0.5, 0.5)
#: (rounded to ~6 digits; the exact equilibrium is within ~5e-6 relative of it).
LISTED_EQUILIBRIUM = np.array([1, 1.018e7, 4763.5, 281.602, 8895.96,
                               1, 1.0664e7, 4947.4, 275.389, 9489.86,
                               2.18077e6, 1553.96, 26912, 45.5116, 1799.56], dtype=float)

_WELL_ALG = ("P_bh", "P_r_t", "P_r_b", "P_a_t", "P_a_b", "w_r", "w_Lr", "w_Gr", "w_Ginj",
             "w_Giph", "w_mix", "w_Lout", "w_Gout", "dP_valve", "aLt", "aGt", "rhoMt", "rhoGr")
_RISER_ALG = ("P1", "P2_t", "P2_b", "h1", "w_G1", "w_L1", "w_Giph", "w_mix", "w_Gout", "w_Lout",
              "w_G_in", "w_L_in", "dP_valve", "Fpipe", "Friser", "Ag", "aL1", "aL2")
#: Names of the algebraic quantities returned by :func:`network_algebraics`.
ALGEBRAIC_NAMES = (tuple("A." + n for n in _WELL_ALG) + tuple("B." + n for n in _WELL_ALG)
                   + tuple("riser." + n for n in _RISER_ALG) + ("P_down",))


@lru_cache(maxsize=64)
def compiled_constants(params: NetworkParameters | None = None):
    """Derived constants of ``params`` (cached; ``None`` means the default parameters).

    Parameters
    ----------
    params : NetworkParameters or None, default=None
        Hashable (frozen) parameters; :class:`NetworkParameters` defaults when None.

    Returns
    -------
    (well_a, well_b, riser, net) : tuple of tuples of float
        As :func:`rcpod.reservoir.oil_platform.parameters.compile_constants`.

    Examples
    --------
    >>> from rcpod.reservoir.oil_platform import NetworkParameters
    >>> from rcpod.reservoir.oil_platform.model import compiled_constants
    >>> compiled_constants() is compiled_constants()      # computed once
    True
    >>> compiled_constants() == compiled_constants(NetworkParameters())
    True
    """
    return compile_constants(NetworkParameters() if params is None else params)


def _well(w_G_f, P_bh_f, m_Ga, m_Gw, m_Lw, w_inj, z, P_down, c, E, ep, EP, sqrt, log10, full):
    """One gas-lifted well (reference section "Well"). Returns derivatives, outflows[, algebraics].

    ``E = softApprox^2``; ``ep = softPApprox`` and ``EP = softPApprox^2`` are used where the source
    writes the un-squared and the squared form respectively.
    """
    rho_L = c[0]
    rhoGr = m_Gw / (c[2] - (m_Lw - c[1]) / rho_L)
    rhomix = (m_Gw + m_Lw - c[1]) / c[3]
    aLav = m_Lw / c[4]
    P_r_t = c[5] * rhoGr                                   # tubing top
    UM = c[8] + (c[6] + w_G_f) / (rhoGr * c[7])            # Usl + Usg
    mymix = aLav * c[9] + (1 - aLav) * c[10]
    Re = c[11] * rhomix * UM / mymix                       # 2 rhomix UM r_r / mymix
    lam = (1 / (1.8 * log10(c[12] + 6.9 / Re))) ** 2
    F_r = c[13] * lam * rhomix * UM * UM                   # K_f lam rhomix UM^2 (L_r+L_h)/(4 r_r)
    P_r_b = P_r_t + rhomix * c[14] + F_r                   # injection point
    P_bh = P_r_b + c[15]                                   # + rho_L g L_bh + F_b
    w_r = c[16] * (c[17] - P_bh_f)
    aGm = c[18]
    w_Lr = (1 - aGm) * w_r
    w_Gr = aGm * w_r
    rhoGrb = P_r_b * c[19]
    P_a_t = c[20] * m_Ga                                   # annulus top
    P_a_b = P_a_t + c[21] * m_Ga
    xi = P_a_b * c[22] * (P_a_b - P_r_b)                   # rhoGab (P_a_b - P_r_b)
    w_Ginj = c[23] * sqrt(sqrt(xi * xi + EP) / 2 + xi / 2)  # smax0(., softPApprox)
    aLin = w_Lr * rhoGrb / (w_Lr * rhoGrb + (w_Ginj + w_Gr) * rho_L)
    t1 = c[24] * aLav - aLin
    t2 = sqrt(t1 * t1 + E) / 2 + t1 / 2
    aLt = -sqrt((t2 - 1) * (t2 - 1) + E) / 2 + (t2 + 1) / 2  # soft min(t2, 1)
    rhoMt = aLt * rho_L + (1 - aLt) * rhoGr
    uz = sqrt(z * z + E) / 2 + z / 2
    q = 1 / (uz * uz * c[25]) - 1
    ORF = sqrt(q * q + E) / 2 + q / 2
    dP = P_r_t - P_down
    w_mix = c[26] * sqrt(2 * rhoMt * (sqrt(dP * dP + ep) / 2 + dP / 2) / ORF)
    aGt = (1 - aLt) * (P_bh_f * c[27]) ** c[28]            # (P_bh_f/P_z)^(-1/Gamma)
    aLmt = (1 - aGt) * rho_L / ((1 - aGt) * rho_L + aGt * rhoGr)
    w_Lout = aLmt * w_mix
    w_Gout = (1 - aLmt) * w_mix
    w_Giph = c[29] * w_Lr
    d = ((w_inj - w_G_f) * c[30],
         (P_bh - P_bh_f) * c[31],
         w_G_f - w_Ginj,
         w_Gr + w_Giph + w_Ginj - w_Gout,
         w_Lr - w_Giph - w_Lout)
    if not full:
        return d, w_Gout, w_Lout
    alg = (P_bh, P_r_t, P_r_b, P_a_t, P_a_b, w_r, w_Lr, w_Gr, w_Ginj, w_Giph, w_mix, w_Lout,
           w_Gout, dP, aLt, aGt, rhoMt, rhoGr)
    return d, w_Gout, w_Lout, alg


def _riser(P1_f, m_gp, m_lp, m_gr, m_lr, wG, wL, z, c, e, E, ep, EP, sqrt, full):
    """Pipeline-riser (reference section "Pipeline-riser")."""
    rho_L = c[1]
    rhoG1 = c[0] * P1_f
    aL1 = wL * rhoG1 / (wL * rhoG1 + wG * rho_L)
    hx = c[2] * aL1 + c[4] * (m_lp - c[3]) / (1 - aL1)
    h1 = sqrt(hx * hx + e) / 2 + hx / 2
    P1 = c[5] * m_gp / (c[6] - m_lp / rho_L)
    rhomix1 = aL1 * rho_L + (1 - aL1) * rhoG1
    Usl = wL / (c[7] * rho_L)
    Um = Usl + wG / (c[7] * rhoG1)
    visp = aL1 * c[8] + (1 - aL1) * c[9]
    ReX = rhomix1 * Um * c[10] / visp
    Re1 = sqrt(ReX * ReX + ep) / 2 + ReX / 2
    Lam1 = 0.0056 + 0.5 * (sqrt((Re1 - e) * (Re1 - e) + E) / 2 + (Re1 + e) / 2) ** (-0.32)
    Fpipe = aL1 * Lam1 * rho_L * Usl * Usl * c[11]
    V_G2 = c[12] - m_lr / rho_L
    Pg = c[13] * m_gr / V_G2
    Ps = c[14]
    P2_t = sqrt((Pg - Ps) * (Pg - Ps) + EP) / 2 + (Pg + Ps) / 2
    rhoG2 = m_gr / V_G2
    aL2 = m_lr / (rho_L * c[12])
    rhomixav = (m_gr + m_lr) / c[12]
    Um2 = wL / (rho_L * c[15]) + wG / (rhoG2 * c[15])
    visr = aL2 * c[8] + (1 - aL2) * c[9]
    ReY = rhomixav * Um2 * c[16] / visr
    Re2 = sqrt(ReY * ReY + ep) / 2 + ReY / 2
    Lam2 = 0.0056 + 0.5 * (sqrt((Re2 - e) * (Re2 - e) + E) / 2 + (Re2 + e) / 2) ** (-0.32)
    Friser = aL2 * Lam2 * rhomixav * Um2 * Um2 * c[17]
    hr = (c[18] - h1) / c[18]
    sh = sqrt(hr * hr + e) / 2 + hr / 2
    A1 = c[7]
    Ag = A1 * sh * sh
    Al = A1 - Ag
    P2_b = P2_t + rhomixav * c[19] + Friser
    dPG = P1_f - Fpipe - P2_b
    w_G1 = c[20] * Ag * sqrt(rhoG1 * (sqrt(dPG * dPG + e) / 2 + dPG / 2))
    dPL = P1_f - Fpipe + c[22] * h1 - P2_b
    w_L1 = c[21] * Al * sqrt(rho_L * (sqrt(dPL * dPL + e) / 2 + dPL / 2))
    s = 1 - Ag / A1
    aLbmax = sqrt((s - aL2) * (s - aL2) + e) / 2 + (s + aL2) / 2
    aLb = -sqrt((aLbmax - 1) * (aLbmax - 1) + e) / 2 + (aLbmax + 1) / 2
    t1 = c[23] * aL2 - aLb
    t2 = sqrt(t1 * t1 + E) / 2 + t1 / 2
    aLt = -sqrt((t2 - aL2) * (t2 - aL2) + E) / 2 + (t2 + aL2) / 2
    aGt = 1 - aLt
    aLmt = (1 - aGt) * rho_L / ((1 - aGt) * rho_L + aGt * rhoG2)
    rhot = aLt * rho_L + (1 - aLt) * rhoG2
    u = sqrt(z * z + E) / 2 + z / 2
    q = 1 / (u * u * c[24]) - 1
    ORF = sqrt(q * q + E) / 2 + q / 2
    dPv = P2_t - Ps
    w_mix = c[25] * sqrt(2 * rhot * (sqrt(dPv * dPv + ep) / 2 + dPv / 2) / ORF)
    w_Giph = c[26] * w_L1
    w_Gout = (1 - aLmt) * w_mix
    w_Lout = w_mix - w_Gout
    d = ((P1 - P1_f) * c[27],
         wG - w_G1,
         wL - w_L1,
         w_G1 + w_Giph - w_Gout,
         w_L1 - w_Giph - w_Lout)
    if not full:
        return d
    alg = (P1, P2_t, P2_b, h1, w_G1, w_L1, w_Giph, w_mix, w_Gout, w_Lout, wG, wL, dPv, Fpipe,
           Friser, Ag, aL1, aL2)
    return d, alg


def _network_eval(x, u, C, sqrt=math.sqrt, log10=math.log10, full=False):
    """Network right-hand side on a sequence ``x`` of 15 and ``u`` of 5 scalars or equal arrays.

    Returns the tuple of 15 derivatives, and with ``full=True`` also the tuple of algebraic
    quantities in the order of :data:`ALGEBRAIC_NAMES`.
    """
    ca, cb, cr, (dp_man, e, E, ep, EP) = C
    P_down = x[10] + dp_man                     # manifold inlet = riser inlet + constant drop
    ra = _well(x[0], x[1], x[2], x[3], x[4], u[0], u[2], P_down, ca, E, ep, EP, sqrt, log10, full)
    rb = _well(x[5], x[6], x[7], x[8], x[9], u[1], u[3], P_down, cb, E, ep, EP, sqrt, log10, full)
    wG = ra[1] + rb[1]
    wL = ra[2] + rb[2]
    rr = _riser(x[10], x[11], x[12], x[13], x[14], wG, wL, u[4], cr, e, E, ep, EP, sqrt, full)
    if not full:
        return ra[0] + rb[0] + rr
    return ra[0] + rb[0] + rr[0], ra[3] + rb[3] + rr[1] + (P_down,)


# -- public helpers -----------------------------------------------------------------------------
def _as_vector(a, n, name):
    a = np.asarray(a, dtype=float)
    if a.shape != (n,):
        raise ValueError(f"{name} must have shape ({n},), got {a.shape}.")
    return a


def _check_bounded(a, name, names, low, high, low_open):
    """``a`` of shape (n,) or (m, n), finite, each column within its bounds; else a ValueError
    naming the entry. Returns the float array."""
    a = np.asarray(a, dtype=float)
    n = len(names)
    if a.ndim not in (1, 2) or a.shape[-1] != n:
        raise ValueError(f"{name} must have shape ({n},) or (m, {n}), got {a.shape}.")
    rows = np.atleast_2d(a)
    with np.errstate(invalid="ignore"):
        bad = ~np.isfinite(rows) | (rows < low) | (low_open & (rows == low)) | (rows > high)
    if bad.any():
        i, j = np.argwhere(bad)[0]
        where = f"{name}[{j}]" if a.ndim == 1 else f"{name}[{i}, {j}]"
        if not np.isfinite(rows[i, j]):
            what = "finite"
        elif np.isfinite(high[j]):
            what = f"in [{low[j]:g}, {high[j]:g}]"
        else:
            what = f"{'>' if low_open[j] else '>='} {low[j]:g}"
        raise ValueError(f"{where} ({names[j]}) must be {what}, got {float(rows[i, j])!r}.")
    return a


#: States that must be > 0 (masses and pressures); the filtered flows must be >= 0.
_POSITIVE_STATES = np.array([unit != "kg/s" for unit in STATE_UNITS])
#: Open-loop inputs that are openings in [0, 1]; the injections are >= 0.
_OPENINGS = np.array([False, False, True, True, True])


def check_states(x, name="x"):
    """Check states (..., 15): finite, masses and pressures > 0, filtered flows >= 0.

    Parameters
    ----------
    x : array_like of shape (15,) or (m, 15)
    name : str
        Argument name for the message.

    Returns
    -------
    ndarray of float

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.reservoir.oil_platform.model import LISTED_EQUILIBRIUM, check_states
    >>> check_states(LISTED_EQUILIBRIUM).shape
    (15,)
    >>> check_states(np.zeros(15))
    Traceback (most recent call last):
        ...
    ValueError: x[1] (A.P_bh_f) must be > 0, got 0.0.
    """
    return _check_bounded(x, name, STATE_NAMES, np.zeros(15), np.full(15, np.inf),
                          _POSITIVE_STATES)


def check_open_loop_inputs(u, name="u"):
    """Check open-loop inputs (..., 5): finite, injections >= 0, choke openings in [0, 1].

    Parameters
    ----------
    u : array_like of shape (5,) or (m, 5)
    name : str
        Argument name for the message.

    Returns
    -------
    ndarray of float

    Examples
    --------
    >>> from rcpod.reservoir.oil_platform.model import check_open_loop_inputs
    >>> check_open_loop_inputs([1.0, 1.0, 0.5, 0.5, 1.5])
    Traceback (most recent call last):
        ...
    ValueError: u[4] (z_top) must be in [0, 1], got 1.5.
    """
    return _check_bounded(u, name, OPEN_LOOP_INPUT_NAMES, np.zeros(5),
                          np.where(_OPENINGS, 1.0, np.inf), np.zeros(5, dtype=bool))


def network_rhs(x, u, params: NetworkParameters | None = None):
    """Open-loop right-hand side ``dx/dt = f(x, u)`` of the network.

    Parameters
    ----------
    x : array_like of shape (15,)
        State in the order of :data:`STATE_NAMES`.
    u : array_like of shape (5,)
        ``(w_inj_A, w_inj_B, z_A, z_B, z_top)`` [kg/s, kg/s, -, -, -].
    params : NetworkParameters, optional
        Default: the nominal network (R = 8.314472, P_z of ``net``).

    Returns
    -------
    dxdt : ndarray of shape (15,)

    References
    ----------
    .. [1] E. Jahanshahi, D. Krishnamoorthy, A. Codas, B. Foss, S. Skogestad, "Plantwide control of
       an oil production network", Computers & Chemical Engineering, 2020; Modelica model ``net``
       of github.com/esmjah/PlantwideControl.

    Examples
    --------
    The source's listed nominal equilibrium is a steady state to its ~6 printed digits; the exact
    open-loop steady state nearby has a zero right-hand side to round-off:

    >>> import numpy as np
    >>> from rcpod.reservoir.oil_platform import (LISTED_EQUILIBRIUM, NOMINAL_OPEN_LOOP_INPUT,
    ...                                     OilPlatform, network_rhs)
    >>> from rcpod.reservoir.oil_platform.model import STATE_SCALES
    >>> u = NOMINAL_OPEN_LOOP_INPUT                            # (1, 1, 0.5, 0.5, 0.5)
    >>> d = network_rhs(LISTED_EQUILIBRIUM, u)
    >>> d.shape, bool(np.max(np.abs(d / STATE_SCALES)) < 1e-4)
    ((15,), True)
    >>> x_eq = OilPlatform(regulatory=None).steady_state(u, x0=LISTED_EQUILIBRIUM)
    >>> bool(np.max(np.abs(network_rhs(x_eq, u) / STATE_SCALES)) < 1e-12)
    True
    >>> bool(np.max(np.abs(x_eq / LISTED_EQUILIBRIUM - 1)) < 1e-5)
    True
    >>> network_rhs(LISTED_EQUILIBRIUM[:10], u)
    Traceback (most recent call last):
        ...
    ValueError: x must have shape (15,), got (10,).
    """
    x = check_states(_as_vector(x, 15, "x"))
    u = check_open_loop_inputs(_as_vector(u, 5, "u"))
    C = compiled_constants(params)
    return np.array(_network_eval(x.tolist(), u.tolist(), C))


def network_rhs_batch(X, U, params: NetworkParameters | None = None):
    """Vectorised right-hand side for many states: ``X`` (m, 15), ``U`` (m, 5) or (5,) -> (m, 15).

    States and inputs are checked as by :func:`network_rhs` (ValueError naming the row).

    Parameters
    ----------
    X : array_like of shape (m, 15)
        States in the order of :data:`STATE_NAMES`.
    U : array_like of shape (5,) or (m, 5)
        Open-loop inputs (one for all states, or one per state).
    params : NetworkParameters, optional
        Default: the nominal network.

    Returns
    -------
    dXdt : ndarray of shape (m, 15)
        Row ``i`` equals ``network_rhs(X[i], U[i])``.

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.reservoir.oil_platform import (LISTED_EQUILIBRIUM, NOMINAL_OPEN_LOOP_INPUT,
    ...                                     network_rhs, network_rhs_batch)
    >>> X = LISTED_EQUILIBRIUM * np.array([[1.0], [1.01], [0.99]])    # three states
    >>> D = network_rhs_batch(X, NOMINAL_OPEN_LOOP_INPUT)
    >>> D.shape
    (3, 15)
    >>> bool(np.allclose(D[1], network_rhs(X[1], NOMINAL_OPEN_LOOP_INPUT), rtol=1e-12, atol=0))
    True
    """
    X = np.asarray(X, dtype=float)
    U = np.asarray(U, dtype=float)
    if X.ndim != 2 or X.shape[1] != 15:
        raise ValueError(f"X must have shape (m, 15), got {X.shape}.")
    if U.ndim == 1:
        U = np.broadcast_to(U, (X.shape[0], U.shape[0]))
    if U.shape != (X.shape[0], 5):
        raise ValueError(f"U must have shape (5,) or ({X.shape[0]}, 5), got {U.shape}.")
    check_states(X, "X")
    check_open_loop_inputs(U, "U")
    C = compiled_constants(params)
    with np.errstate(all="ignore"):
        d = _network_eval(list(X.T), list(U.T), C, np.sqrt, np.log10)
    return np.stack(d, axis=1)


def network_algebraics(x, u, params: NetworkParameters | None = None):
    """Named algebraic quantities (pressures, flows, fractions) of the network at ``(x, u)``.

    Parameters
    ----------
    x : array_like of shape (15,) or (m, 15)
    u : array_like of shape (5,) or (m, 5)
    params : NetworkParameters, optional

    Returns
    -------
    dict
        Keys :data:`ALGEBRAIC_NAMES` (e.g. ``"A.P_bh"``, ``"riser.w_Lout"``, ``"P_down"``); floats
        for one state, arrays of shape (m,) for many.

    Examples
    --------
    Bottom-hole pressures, riser-top pressure and oil production at the listed equilibrium:

    >>> from rcpod.reservoir.oil_platform import (LISTED_EQUILIBRIUM, NOMINAL_OPEN_LOOP_INPUT,
    ...                                     network_algebraics)
    >>> a = network_algebraics(LISTED_EQUILIBRIUM, NOMINAL_OPEN_LOOP_INPUT)
    >>> round(a["A.P_bh"] / 1e5, 1), round(a["B.P_bh"] / 1e5, 1), round(a["riser.P2_t"] / 1e5, 2)
    (101.8, 106.6, 5.86)
    >>> round(a["riser.w_Lout"], 1)                            # kg/s
    29.6
    >>> round(a["P_down"] - LISTED_EQUILIBRIUM[10])            # constant manifold drop [Pa]
    18105
    """
    x = np.asarray(x, dtype=float)
    u = np.asarray(u, dtype=float)
    C = compiled_constants(params)
    if x.ndim == 1:
        check_states(_as_vector(x, 15, "x"))
        check_open_loop_inputs(_as_vector(u, 5, "u"))
        _, alg = _network_eval(x.tolist(), u.tolist(), C, full=True)
    else:
        if x.ndim != 2 or x.shape[1] != 15:
            raise ValueError(f"x must have shape (15,) or (m, 15), got {x.shape}.")
        u = np.broadcast_to(u, (x.shape[0], 5)) if u.ndim == 1 else u
        if u.shape != (x.shape[0], 5):
            raise ValueError(f"u must have shape (5,) or ({x.shape[0]}, 5), got {u.shape}.")
        check_states(x)
        check_open_loop_inputs(u)
        with np.errstate(all="ignore"):
            _, alg = _network_eval(list(x.T), list(u.T), C, np.sqrt, np.log10, full=True)
    return dict(zip(ALGEBRAIC_NAMES, alg))


def held_mass(x):
    """Total mass held in the network (annuli, tubings, pipeline, riser) [kg]; x (..., 15).

    Parameters
    ----------
    x : array_like of shape (..., 15)
        States in the order of :data:`STATE_NAMES`.

    Returns
    -------
    float or ndarray of shape (...)
        Sum of the ten mass states.

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.reservoir.oil_platform import LISTED_EQUILIBRIUM, held_mass
    >>> round(float(held_mass(LISTED_EQUILIBRIUM)))            # kg
    58965
    >>> held_mass(np.stack([LISTED_EQUILIBRIUM] * 4)).shape
    (4,)
    """
    x = np.asarray(x, dtype=float)
    if x.ndim < 1 or x.shape[-1] < 15:   # plant states may append controller states
        raise ValueError(f"x must have shape (..., 15) (network states first), got {x.shape}.")
    if not np.all(np.isfinite(x)):
        raise ValueError("x must be finite (it holds NaN or inf).")
    return x[..., [2, 3, 4, 7, 8, 9, 11, 12, 13, 14]].sum(axis=-1)


def network_mass_flows(x, u, params: NetworkParameters | None = None):
    """Boundary mass flows ``(inflow, outflow)`` [kg/s] of the whole network.

    Inflow: gas entering both annuli (``w_G_f``) plus reservoir inflow of both wells (``w_r``);
    outflow: mixture through the topside choke. ``d held_mass / dt = inflow - outflow``.

    Parameters
    ----------
    x : array_like of shape (15,) or (m, 15)
    u : array_like of shape (5,) or (m, 5)
    params : NetworkParameters, optional

    Returns
    -------
    inflow, outflow : float or ndarray of shape (m,)

    Examples
    --------
    The mass balance closes: ``d held_mass/dt`` (the sum of the mass-state derivatives) equals
    ``inflow - outflow``; at a steady state both flows are equal.

    >>> import numpy as np
    >>> from rcpod.reservoir.oil_platform import (LISTED_EQUILIBRIUM, NOMINAL_OPEN_LOOP_INPUT,
    ...                                     OilPlatform, held_mass, network_mass_flows,
    ...                                     network_rhs)
    >>> x = LISTED_EQUILIBRIUM * 1.01                          # off equilibrium
    >>> inflow, outflow = network_mass_flows(x, NOMINAL_OPEN_LOOP_INPUT)
    >>> dmdt = held_mass(network_rhs(x, NOMINAL_OPEN_LOOP_INPUT))
    >>> bool(np.isclose(dmdt, inflow - outflow, rtol=0, atol=1e-9 * outflow))
    True
    >>> plant = OilPlatform(regulatory=None)                   # open loop: inputs as above
    >>> x_eq = plant.steady_state(NOMINAL_OPEN_LOOP_INPUT, x0=LISTED_EQUILIBRIUM)
    >>> inflow, outflow = network_mass_flows(x_eq, NOMINAL_OPEN_LOOP_INPUT)
    >>> round(float(inflow), 3), round(float(outflow), 3)      # kg/s
    (32.025, 32.025)
    """
    a = network_algebraics(x, u, params)
    x = np.asarray(x, dtype=float)
    inflow = x[..., 0] + x[..., 5] + a["A.w_r"] + a["B.w_r"]
    return inflow, a["riser.w_mix"]
