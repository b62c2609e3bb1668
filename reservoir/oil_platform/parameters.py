"""Parameter sets of the oil-platform network: two gas-lifted wells, a manifold and a pipeline-riser.

All values are SI except the reservoir pressures (bar), exactly as in the public Modelica model of
Jahanshahi et al. (see :mod:`rcpod.reservoir.oil_platform` for the references).

Temperatures: the source writes them as ``273 + 50`` (annulus), ``273 + 96`` (tubing), ``273 + 95``
(pipeline) and ``273 + 71.5`` (riser), i.e. 323, 369, 368 and 344.5 K. Written with ``273.15``
instead (323.15, 369.15, 368.15, 344.65 K), the listed equilibrium is missed by ~4e-4 and the
authors' Jacobian by ~1e-3, with the source's values both are met (~5e-6 and ~1e-11), so the
source's values are the defaults here. The gas constant ``R`` and the flash-pressure parameters
``P_z`` are parameters so the authors' linearisation can be reproduced (R = 8.314472 J/(mol K), the
Modelica library value the source was compiled with).

:class:`NetworkParameters` is the user-facing (immutable) parameter record;
:func:`compile_constants` turns it into the flat tuples of derived constants the hot right-hand
side in :mod:`rcpod.reservoir.oil_platform.model` reads.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, replace, asdict

from ..validation import check_real

__all__ = [
    "WellParameters",
    "RiserParameters",
    "NetworkParameters",
    "well_a_parameters",
    "well_b_parameters",
    "riser_constants_KgKo",
    "compile_constants",
    "R_MODELICA",
    "G_N",
]

#: Gas constant as compiled by the source (Modelica Standard Library of that time) [J/(mol K)].
R_MODELICA = 8.314472
#: Standard gravity [m/s^2].
G_N = 9.80665


@dataclass(frozen=True)
class WellParameters:
    """Parameters of one gas-lifted well (base values of ``gasliftWellParameters``).

    Field names follow the source's Modelica record ``gasliftWellParameters``
    (github.com/esmjah/PlantwideControl).
    Temperatures are the source's ``273 + 50`` and ``273 + 96`` K (see the module docstring).
    Wells A and B of the network are :func:`well_a_parameters` and :func:`well_b_parameters`.

    Examples
    --------
    >>> import dataclasses
    >>> from rcpod.reservoir.oil_platform import WellParameters
    >>> w = WellParameters()
    >>> w.T_a, w.T_r, w.w_res_in, w.P_z        # annulus / tubing temperature [K], kg/s, Pa
    (323.0, 369.0, 17.0, 10000000.0)
    >>> dataclasses.replace(w, k1=0.95).k1
    0.95
    >>> try:
    ...     w.k1 = 1.0                          # frozen: change values with dataclasses.replace
    ... except dataclasses.FrozenInstanceError:
    ...     print("frozen")
    frozen
    """

    T_a: float = 273.0 + 50.0
    M_G_a: float = 0.023
    L_a: float = 2048.0
    V_a: float = 2098 * math.pi * 0.1**2 + 10 * math.pi * 0.05**2
    K_a: float = 1.5559e-4
    K_f: float = 0.72
    K_i: float = 0.00067
    Gamma: float = 1.7576
    k1: float = 1.2
    k2: float = 0.9
    K_alpha: float = 1.0
    Tp1: float = 600.0
    Tp2: float = 900.0
    P_z: float = 100e5
    Z_ca: float = 1.0
    Z_ct: float = 1.0
    my_L: float = 0.364e-3
    my_G: float = 1.5e-5
    rho_L: float = 770.0
    T_r: float = 273.0 + 96.0
    M_G_r_t: float = 0.02
    PI_nom: float = 2.47e-6
    D_w: float = 0.124
    L_r: float = 2048.0
    L_h: float = 25.0
    ew: float = 4.5e-5
    L_bh: float = 100.0
    S_bh: float = math.pi * 0.1**2
    D_b: float = 0.2
    GOR_nom: float = 0.0
    w_res_in: float = 17.0
    CD: float = 0.84
    A_c: float = math.pi * 0.035**2


def well_a_parameters(**overrides) -> WellParameters:
    """Well A of the network model ``net`` (overrides of ``Instances.well1``; P_z = 9.99901e6 Pa).

    Parameters
    ----------
    **overrides : float
        Fields of :class:`WellParameters` to set on top of well A's values.

    Returns
    -------
    WellParameters

    Examples
    --------
    >>> from rcpod.reservoir.oil_platform import well_a_parameters
    >>> a = well_a_parameters()
    >>> a.P_z, a.k1, a.rho_L, a.Z_ca, a.T_a     # well A overrides; T_a is the base value
    (9999010.0, 0.95, 769.98, 0.927, 323.0)
    >>> well_a_parameters(w_res_in=18.0).w_res_in
    18.0
    """
    base = dict(k1=0.95, M_G_a=0.021, K_alpha=0.947, K_f=0.901, rho_L=769.98, M_G_r_t=0.021,
                Z_ca=0.927, Z_ct=0.99, Gamma=1.7, P_z=9.99901e6)
    base.update(overrides)
    return WellParameters(**base)


def well_b_parameters(**overrides) -> WellParameters:
    """Well B of the network model ``net`` (overrides of ``Instances.well2``; P_z = 1.04357e7 Pa).

    Parameters
    ----------
    **overrides : float
        Fields of :class:`WellParameters` to set on top of well B's values.

    Returns
    -------
    WellParameters

    Examples
    --------
    >>> from rcpod.reservoir.oil_platform import well_b_parameters
    >>> b = well_b_parameters()
    >>> b.P_z, b.rho_L, b.K_f, b.K_alpha, b.Z_ca
    (10435700.0, 785.53, 0.8602, 0.9525, 0.933)
    >>> well_b_parameters(k1=1.0).k1
    1.0
    """
    base = dict(k1=0.95, M_G_a=0.021, K_alpha=0.9525, K_f=0.8602, rho_L=785.53, M_G_r_t=0.021,
                Z_ca=0.933, Z_ct=0.99, Gamma=1.7, P_z=1.04357e7)
    base.update(overrides)
    return WellParameters(**base)


@dataclass(frozen=True)
class RiserParameters:
    """Parameters of the pipeline-riser (``pipelineRiserParemeters``), incl. the OLGA references.

    ``z0, P0, P1_ss, P2_t_ss, wG_in_ss, wL_in_ss`` are the OLGA steady-state values used only to
    compute the constants ``K_g`` and ``K_o`` (:func:`riser_constants_KgKo`). Temperatures are
    the source's ``273 + 95`` (pipeline) and ``273 + 71.5`` K (riser).

    Examples
    --------
    >>> from rcpod.reservoir.oil_platform import RiserParameters
    >>> r = RiserParameters()
    >>> r.L1, r.L2, r.r1, r.rho_L           # 4300 m pipeline, 300 m riser, radius [m], kg/m^3
    (4300.0, 300.0, 0.1016, 750.0)
    >>> r.T1, r.T2                          # pipeline and riser temperatures [K]
    (368.0, 344.5)
    >>> r.P1_ss, r.wL_in_ss                 # OLGA steady state used for K_g and K_o
    (2279050.0, 29.8761)
    """

    k_h: float = 0.74
    K_gT: float = 0.83
    K_oT: float = 2.0
    K_alpha: float = 0.72
    K_i: float = 0.014
    Z_c0: float = 0.95
    rho_L: float = 750.0
    theta: float = math.pi / 180
    r1: float = 0.1016
    r2: float = 0.1016
    L1: float = 4300.0
    L2: float = 300.0
    L3: float = 100.0
    T1: float = 273.0 + 95.0
    T2: float = 273.0 + 71.5
    M_Gp: float = 0.020
    M_Gr: float = 0.020
    Tf: float = 400.0
    visl: float = 1.4260e-4
    visg: float = 1.39e-5
    eps: float = 2.8e-5
    Cd: float = 0.83
    A_c: float = math.pi * (7 * 0.0254 / 2) ** 2
    Alpha_L1_ss: float = 0.2576
    z0: float = 0.5
    P0: float = 5.156e5
    P1_ss: float = 22.7905e5
    P2_t_ss: float = 5.96184e5
    wG_in_ss: float = 2.104
    wL_in_ss: float = 29.8761


@dataclass(frozen=True)
class NetworkParameters:
    """All parameters and constant disturbances of the two-well / one-riser network.

    Parameters
    ----------
    well_a, well_b : WellParameters
        Well A and well B (defaults :func:`well_a_parameters`, :func:`well_b_parameters`).
    riser : RiserParameters
    R : float
        Gas constant [J/(mol K)]; default the value the source was compiled with (8.314472).
    g : float
        Gravity [m/s^2].
    P_res_A, P_res_B : float
        Reservoir pressures [bar] (160 and 170).
    GOR_A, GOR_B, d_PI_A, d_PI_B : float
        Disturbances of the wells (GOR in the source's percent-like units; 0 nominal).
    P_sep : float
        Nominal separator pressure [Pa] (5.1e5).
    d_Psep : float
        Separator pressure disturbance [Pa].
    manifold_dp : float
        Constant manifold pressure drop [Pa] (18105): well outlet pressure = P1_f + manifold_dp.
    soft_approx, soft_p_approx : float
        Smoothing constants of the soft max/min operators (1e-3 and 1).

    Examples
    --------
    >>> from rcpod.reservoir.oil_platform import NetworkParameters
    >>> p = NetworkParameters()
    >>> p.P_res_A, p.P_res_B, p.P_sep, p.manifold_dp, p.R
    (160.0, 170.0, 510000.0, 18105.0, 8.314472)
    >>> p.well_a.P_z, p.well_b.P_z
    (9999010.0, 10435700.0)
    >>> p.replace(P_res_A=150.0).P_res_A     # records are immutable; replace() copies
    150.0
    >>> NetworkParameters(P_sep=-1.0)
    Traceback (most recent call last):
        ...
    ValueError: P_sep must be positive, got -1.0.
    """

    well_a: WellParameters = field(default_factory=well_a_parameters)
    well_b: WellParameters = field(default_factory=well_b_parameters)
    riser: RiserParameters = field(default_factory=RiserParameters)
    R: float = R_MODELICA
    g: float = G_N
    P_res_A: float = 160.0
    P_res_B: float = 170.0
    GOR_A: float = 0.0
    GOR_B: float = 0.0
    d_PI_A: float = 0.0
    d_PI_B: float = 0.0
    P_sep: float = 5.1e5
    d_Psep: float = 0.0
    manifold_dp: float = 18105.0
    soft_approx: float = 1e-3
    soft_p_approx: float = 1.0

    def __post_init__(self):
        for f in fields(self):
            v = getattr(self, f.name)
            if f.name in ("well_a", "well_b"):
                if not isinstance(v, WellParameters):
                    raise TypeError(f"{f.name} must be a WellParameters, got {type(v).__name__}.")
                _check_finite_record(v, f.name)
            elif f.name == "riser":
                if not isinstance(v, RiserParameters):
                    raise TypeError(f"riser must be a RiserParameters, got {type(v).__name__}.")
                _check_finite_record(v, "riser")
            else:
                check_real(f.name, v)
        for name in ("R", "g", "P_res_A", "P_res_B", "P_sep", "soft_approx", "soft_p_approx"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)!r}.")

    def replace(self, **changes) -> "NetworkParameters":
        """Copy with some fields changed (``dataclasses.replace``)."""
        return replace(self, **changes)

    def to_dict(self) -> dict:
        """Plain nested dict of floats (for hashing / metadata)."""
        return asdict(self)


def _check_finite_record(rec, name):
    for f in fields(rec):
        v = getattr(rec, f.name)
        check_real(f"{name}.{f.name}", v)


def riser_constants_KgKo(p: RiserParameters, R: float = R_MODELICA, g: float = G_N,
                         soft_approx: float = 1e-3):
    """Valve-like constants ``K_g`` and ``K_o`` of the pipeline-riser from the OLGA steady state.

    Implements the computation of ``K_g`` and ``K_o`` in ``pipelineRiserParemeters.mo`` of
    github.com/esmjah/PlantwideControl (the Modelica code of Jahanshahi et al. 2020, pipeline-riser
    model of Jahanshahi & Skogestad 2014; see :mod:`rcpod.reservoir.oil_platform`).

    Parameters
    ----------
    p : RiserParameters
        Geometry, fluid properties and OLGA steady state of the riser.
    R : float, default=R_MODELICA
        Gas constant [J/(mol K)] (Modelica's value, 8.314472).
    g : float, default=G_N
        Gravity [m/s^2].
    soft_approx : float, default=1e-3
        Smoothing constant of the source's soft max.

    Returns
    -------
    K_g, K_o : float

    Examples
    --------
    >>> from rcpod.reservoir.oil_platform import RiserParameters
    >>> from rcpod.reservoir.oil_platform.parameters import riser_constants_KgKo
    >>> K_g, K_o = riser_constants_KgKo(RiserParameters())
    >>> round(K_g, 4), round(K_o, 4)
    (0.0236, 0.0897)
    """
    A1 = math.pi * p.r1**2
    A2 = math.pi * p.r2**2
    hc = 2 * p.r1 / math.cos(p.theta)
    aL = p.Alpha_L1_ss
    rhoG1 = p.P1_ss * p.M_Gp / (R * p.T1)
    h1ss = p.k_h * aL * hc
    rhomix1 = aL * p.rho_L + (1 - aL) * rhoG1
    Usl = p.wL_in_ss / (A1 * p.rho_L)
    Usg = p.wG_in_ss / (A1 * rhoG1)
    Um = Usl + Usg
    visp = aL * p.visl + (1 - aL) * p.visg
    Re1 = rhomix1 * Um * 2 * p.r1 / visp
    Lam1 = 0.0056 + 0.5 * Re1 ** (-0.32)
    Fpipe = 0.5 * aL * Lam1 * p.rho_L * Usl**2 * p.L1 / (2 * p.r1)
    P2av = (p.P1_ss + p.rho_L * g * h1ss - Fpipe + p.P2_t_ss) / 2
    rhoG2av = P2av * p.M_Gr / (R * p.T2)
    aL2av = rhoG2av * p.wL_in_ss / (rhoG2av * p.wL_in_ss + p.rho_L * p.wG_in_ss)
    rhomixav = rhoG2av * (1 - aL2av) + p.rho_L * aL2av
    Usl2 = p.wL_in_ss / (p.rho_L * A2)
    Usg2 = p.wG_in_ss / (rhoG2av * A2)
    Um2 = Usl2 + Usg2
    visr = aL2av * p.visl + (1 - aL2av) * p.visg
    Re2 = rhomixav * Um2 * 2 * p.r2 / visr
    Lam2 = (1 / (-1.8 * math.log10((p.eps / (2 * p.r2) / 3.7) ** 1.11 + 6.9 / Re2))) ** 2
    Friser = 0.5 * Lam2 * rhomixav * Um2**2 * (p.L2 + p.L3) / (2 * p.r2)
    P2b = p.P2_t_ss + rhomixav * g * p.L2 + Friser
    hr = (hc - h1ss) / hc
    Ag = A1 * (math.sqrt(hr**2 + soft_approx**2) / 2 + hr / 2) ** 2
    Al = A1 - Ag
    vG1 = p.wG_in_ss / (rhoG1 * Ag)
    K_g = vG1 / math.sqrt((p.P1_ss - Fpipe - P2b) / rhoG1)
    K_o = p.wL_in_ss / (Al * math.sqrt(p.rho_L * (p.P1_ss - Fpipe + p.rho_L * g * h1ss - P2b)))
    return K_g, K_o


def _compile_well(w: WellParameters, P_res_bar, GOR, d_PI, R, g):
    r_r = w.D_w / 2
    A_r = math.pi * r_r**2
    V_r = A_r * (w.L_h + w.L_r)
    V_bh = w.L_bh * w.S_bh
    aGm = 0.01 * (w.GOR_nom + GOR) / (1 + 0.01 * (w.GOR_nom + GOR))
    Usl = (1 - aGm) * w.w_res_in / (w.rho_L * A_r)
    # bottom-hole section: constant friction (depends on parameters only)
    Ul_b = w.w_res_in / (w.rho_L * w.S_bh)
    Re_b = w.rho_L * Ul_b * w.D_b / w.my_L
    lam_b = (1 / (1.8 * math.log10((w.ew / w.D_b / 3.7) ** 1.11 + 6.9 / Re_b))) ** 2
    F_b = lam_b * w.rho_L * Ul_b**2 * w.L_bh / (4 * r_r)
    PI = w.PI_nom + d_PI * w.PI_nom / 50
    return (
        w.rho_L,                              # 0 rho_L
        w.rho_L * w.L_bh * w.S_bh,            # 1 m_L_bh: liquid mass of the bottom-hole section
        V_r,                                  # 2 V_r
        w.L_r * A_r,                          # 3 L_r pi r_r^2
        w.rho_L * (V_bh + V_r),               # 4 rho_L (V_bh + V_r)
        w.Z_ct * R * w.T_r / w.M_G_r_t,       # 5 P_r_t = c5 * rhoGr
        aGm * w.w_res_in,                     # 6 aGm w_res_in
        A_r,                                  # 7 pi r_r^2
        Usl,                                  # 8 Usl
        w.my_L,                               # 9
        w.my_G,                               # 10
        2 * r_r,                              # 11 Re = c11 rhomix UM / mymix
        (w.ew / w.D_w / 3.7) ** 1.11,         # 12 roughness term
        w.K_f * (w.L_r + w.L_h) / (4 * r_r),  # 13 F_r = c13 lam rhomix UM^2
        g * w.L_r,                            # 14
        w.rho_L * g * w.L_bh + F_b,           # 15 P_bh = P_r_b + c15
        PI,                                   # 16
        1e5 * P_res_bar,                      # 17 P_res [Pa]
        aGm,                                  # 18
        w.M_G_r_t / (R * w.T_r),              # 19 rhoGrb = c19 P_r_b
        w.Z_ca * R * w.T_a / (w.M_G_a * w.V_a),  # 20 P_a_t = c20 m_Ga
        g * w.L_a / w.V_a,                    # 21 P_a_b = P_a_t + c21 m_Ga
        w.M_G_a / (R * w.T_a),                # 22 rhoGab = c22 P_a_b
        w.k1 * w.K_a,                         # 23
        w.K_alpha * 2,                        # 24
        (w.k2 * w.CD) ** 2,                   # 25
        w.A_c,                                # 26
        1.0 / w.P_z,                          # 27
        -1.0 / w.Gamma,                       # 28
        w.K_i,                                # 29
        1.0 / w.Tp1,                          # 30
        1.0 / w.Tp2,                          # 31
    )


def _compile_riser(p: RiserParameters, R, g, P_sep, d_Psep, soft_approx):
    K_g, K_o = riser_constants_KgKo(p, R, g, soft_approx)
    A1 = math.pi * p.r1**2
    A2 = math.pi * p.r2**2
    V1 = A1 * p.L1
    V2 = A2 * (p.L2 + p.L3)
    hc = 2 * p.r1 / math.cos(p.theta)
    return (
        p.M_Gp / (p.Z_c0 * R * p.T1),         # 0 rhoG1 = c0 P1_f
        p.rho_L,                              # 1
        p.k_h * hc,                           # 2 h1ss = c2 aL1
        V1 * p.rho_L * p.Alpha_L1_ss,         # 3 m_lp0
        math.sin(p.theta) / (A1 * p.rho_L),   # 4 hx = h1ss + c4 (m_lp - m_lp0)/(1-aL1)
        p.Z_c0 * R * p.T1 / p.M_Gp,           # 5 P1 = c5 m_gp / (V1 - m_lp/rho_L)
        V1,                                   # 6
        A1,                                   # 7
        p.visl,                               # 8
        p.visg,                               # 9
        2 * p.r1,                             # 10
        p.L1 / (2 * p.r1),                    # 11
        V2,                                   # 12
        p.Z_c0 * R * p.T2 / p.M_Gr,           # 13 Pg = c13 m_gr / V_G2
        P_sep + d_Psep,                       # 14 P_s
        A2,                                   # 15
        2 * p.r2,                             # 16
        (p.L2 + p.L3) / (2 * p.r2),           # 17
        hc,                                   # 18
        g * p.L2,                             # 19
        p.K_gT * K_g,                         # 20
        p.K_oT * K_o,                         # 21
        p.rho_L * g,                          # 22
        2 * p.K_alpha,                        # 23
        p.Cd**2,                              # 24
        p.A_c,                                # 25
        p.K_i,                                # 26
        1.0 / p.Tf,                           # 27
    )


def compile_constants(params: NetworkParameters):
    """Flat tuples of derived constants for the right-hand side.

    Parameters
    ----------
    params : NetworkParameters

    Returns
    -------
    (well_a, well_b, riser, net) : tuple of tuples of float
        ``net = (manifold_dp, soft_approx, soft_approx**2, soft_p_approx, soft_p_approx**2)``.

    Raises
    ------
    TypeError
        If ``params`` is not a :class:`NetworkParameters`.

    Examples
    --------
    >>> from rcpod.reservoir.oil_platform import NetworkParameters
    >>> from rcpod.reservoir.oil_platform.parameters import compile_constants
    >>> well_a, well_b, riser, net = compile_constants(NetworkParameters())
    >>> len(well_a), len(well_b), len(riser), net
    (32, 32, 28, (18105.0, 0.001, 1e-06, 1.0, 1.0))
    >>> compile_constants(None)
    Traceback (most recent call last):
    ...
    TypeError: params must be a NetworkParameters, got NoneType.
    """
    if not isinstance(params, NetworkParameters):
        raise TypeError(f"params must be a NetworkParameters, got {type(params).__name__}.")
    R, g = params.R, params.g
    ca = _compile_well(params.well_a, params.P_res_A, params.GOR_A, params.d_PI_A, R, g)
    cb = _compile_well(params.well_b, params.P_res_B, params.GOR_B, params.d_PI_B, R, g)
    cr = _compile_riser(params.riser, R, g, params.P_sep, params.d_Psep, params.soft_approx)
    e, ep = params.soft_approx, params.soft_p_approx
    return ca, cb, cr, (params.manifold_dp, e, e * e, ep, ep * ep)
