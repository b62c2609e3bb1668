"""Regulatory layer of stabilising PI controllers for the oil-platform network.

PI form of the source (``networkComponents/PI.mo`` of esmjah/PlantwideControl, the code of
[1]_)::

    setPoint = minSetPoint + (maxSetPoint - minSetPoint) * extSetPoint
    error    = setPoint - measurement
    u0       = -Kc error - (Kc/Ti) I,         dI/dt = error
    uSatMax  = sqrt((u0 - satMin)^2 + soft)/2 + (u0 + satMin)/2
    u        = -sqrt((uSatMax - satMax)^2 + soft)/2 + (uSatMax + satMax)/2     (soft = 1e-5)

(the source adds ``soft`` un-squared inside the square roots; kept exactly). The integrator is
stored scaled, ``q = (Kc/Ti) I`` (the integral action in valve units, so every state is O(1)):
``u0 = -Kc error - q``, ``dq/dt = (Kc/Ti) error``; this is the same system in other coordinates
(same trajectories of the plant, same eigenvalues). Bumpless start: ``q(0) = -u0`` for the
desired initial output ``u0`` at zero error (the source's ``I(0) = -Ti u0/Kc``).

A loop whose set point comes from a supervisory input takes it in physical units (Pa); a loop fed
by a master loop takes the master's output in [0, 1] as ``extSetPoint`` (scaled by its set-point
range). No anti-windup (as in the source).

Configurations
--------------
:func:`struc2_layer` (default)
    the source's ``netPres_PIDstruc2`` (the manuscript's cascade CS2): inner loops annulus-top
    pressure -> production chokes and riser-inlet pressure -> topside choke; master loops on the
    pressure drops over the three chokes. Supervisory inputs: gas-lift rates and the three
    pressure-drop set points.
:func:`pidnet_inner_layer`
    the inner loops of the source's ``pidNet`` only (PCA1, PCA2, PCINL). Supervisory inputs:
    gas-lift rates, annulus-top pressure set points and the riser-inlet pressure set point.

References
----------
.. [1] E. Jahanshahi, D. Krishnamoorthy, A. Codas, B. Foss, S. Skogestad, "Plantwide control of an
   oil production network", Computers & Chemical Engineering, 2020, Table 3 and the model
   ``gasliftNetworks.mo`` (``pidNet``, ``netPres_PIDstruc2``) of
   github.com/esmjah/PlantwideControl.
"""
from __future__ import annotations

import math

import numpy as np
from dataclasses import dataclass
from typing import Optional

from ..validation import check_real

__all__ = [
    "MEASUREMENT_NAMES",
    "VALVE_NAMES",
    "PILoop",
    "RegulatoryLayer",
    "struc2_layer",
    "pidnet_inner_layer",
    "get_layer",
    "soft_saturation",
    "inverse_soft_saturation",
    "measurements",
]

#: Measurements a loop can use (all algebraic functions of the plant state).
MEASUREMENT_NAMES = ("P_at_A", "P_at_B", "P_tt_A", "P_tt_B", "P_in", "P_top",
                     "dP_valve_A", "dP_valve_B", "dP_valve_top")
#: Valves a loop can drive, in the order of the open-loop inputs 3..5.
VALVE_NAMES = ("z_A", "z_B", "z_top")


@dataclass(frozen=True)
class PILoop:
    """One PI controller of the PI.mo form.

    Parameters
    ----------
    name : str
        Loop name (e.g. ``"PCA1"``).
    measurement : str
        One of :data:`MEASUREMENT_NAMES`.
    Kc, Ti : float
        Gain and integral time [s] in PI.mo's sign convention (``u0 = -Kc e - Kc/Ti I``).
    output : str
        A valve of :data:`VALVE_NAMES` or the name of the inner loop whose scaled set point this
        loop's output is.
    setpoint_min, setpoint_max : float
        Set-point range used when the set point comes from a master loop (``extSetPoint`` in [0, 1]).
    sat_min, sat_max : float
        Output range (soft saturation).
    soft : float
        Smoothing constant of the saturation (1e-5 in the source).

    Examples
    --------
    The annulus-pressure loop of well A in :func:`struc2_layer`:

    >>> from rcpod.reservoir.oil_platform import PILoop
    >>> loop = PILoop("PCA1", "P_at_A", Kc=3e-5, Ti=600.0, output="z_A",
    ...               setpoint_min=70e5, setpoint_max=110e5)
    >>> (loop.setpoint_min / 1e5, loop.setpoint_max / 1e5), (loop.sat_min, loop.sat_max)
    ((70.0, 110.0), (0.0, 1.0))
    >>> PILoop("PCA1", "P_at_A", Kc=3e-5, Ti=0.0, output="z_A")
    Traceback (most recent call last):
        ...
    ValueError: Ti of loop 'PCA1' must be positive, got 0.0.
    """

    name: str
    measurement: str
    Kc: float
    Ti: float
    output: str
    setpoint_min: float = 0.0
    setpoint_max: float = 1.0
    sat_min: float = 0.0
    sat_max: float = 1.0
    soft: float = 1e-5

    def __post_init__(self):
        if self.measurement not in MEASUREMENT_NAMES:
            raise ValueError(f"measurement of loop {self.name!r} must be one of {MEASUREMENT_NAMES}, "
                             f"got {self.measurement!r}.")
        for f in ("Kc", "Ti", "setpoint_min", "setpoint_max", "sat_min", "sat_max", "soft"):
            check_real(f"{f} of loop {self.name!r}", getattr(self, f))
        if self.Kc == 0:
            raise ValueError(f"Kc of loop {self.name!r} must be nonzero.")
        if self.Ti <= 0:
            raise ValueError(f"Ti of loop {self.name!r} must be positive, got {self.Ti!r}.")
        if self.sat_max <= self.sat_min:
            raise ValueError(f"sat_max must exceed sat_min in loop {self.name!r}.")
        if self.soft <= 0:
            raise ValueError(f"soft of loop {self.name!r} must be positive.")


_MEAS_UNITS = {"P_at_A": "Pa", "P_at_B": "Pa", "P_tt_A": "Pa", "P_tt_B": "Pa", "P_in": "Pa",
               "P_top": "Pa", "dP_valve_A": "Pa", "dP_valve_B": "Pa", "dP_valve_top": "Pa"}


@dataclass(frozen=True)
class RegulatoryLayer:
    """A set of PI loops (possibly cascaded) on top of the open-loop network.

    Parameters
    ----------
    loops : tuple of PILoop
    name : str

    Attributes (derived)
    --------------------
    order : tuple of int
        Loop indices, masters before their inner loops.
    supervisory_input_names, supervisory_input_units : tuple of str
        ``("w_inj_A", "w_inj_B", <channel A>, <channel B>, <channel top>)`` where a channel is the
        valve itself when no loop drives it, else the set point of the top loop of its cascade
        (named ``<measurement>_sp``).

    Examples
    --------
    A single riser-inlet pressure loop on the topside choke; the well chokes stay inputs:

    >>> from rcpod.reservoir.oil_platform import PILoop, RegulatoryLayer
    >>> pcinl = PILoop("PCINL", "P_in", Kc=2e-6, Ti=300.0, output="z_top")
    >>> layer = RegulatoryLayer((pcinl,), name="riser_only")
    >>> layer.supervisory_input_names
    ('w_inj_A', 'w_inj_B', 'z_A', 'z_B', 'P_in_sp')
    >>> layer.supervisory_input_units
    ('kg/s', 'kg/s', '-', '-', 'Pa')
    >>> RegulatoryLayer((pcinl, PILoop("PCTOP", "P_top", Kc=1e-6, Ti=300.0, output="z_top")))
    Traceback (most recent call last):
        ...
    ValueError: valve 'z_top' is driven by more than one loop.
    """

    loops: tuple
    name: str = "custom"

    def __post_init__(self):
        loops = tuple(self.loops)
        object.__setattr__(self, "loops", loops)
        if not all(isinstance(lp, PILoop) for lp in loops):
            raise TypeError("loops must be a tuple of PILoop.")
        names = [lp.name for lp in loops]
        if len(set(names)) != len(names):
            raise ValueError(f"loop names must be unique, got {names}.")
        idx = {n: i for i, n in enumerate(names)}
        fed_by = {}
        valve_src = {}
        for i, lp in enumerate(loops):
            if lp.output in VALVE_NAMES:
                if lp.output in valve_src:
                    raise ValueError(f"valve {lp.output!r} is driven by more than one loop.")
                valve_src[lp.output] = i
            elif lp.output in idx:
                if lp.output == lp.name:
                    raise ValueError(f"loop {lp.name!r} cannot feed itself.")
                if lp.output in fed_by:
                    raise ValueError(f"loop {lp.output!r} has more than one master.")
                fed_by[lp.output] = i
            else:
                raise ValueError(f"output of loop {lp.name!r} must be a valve {VALVE_NAMES} or a loop "
                                 f"name {tuple(names)}, got {lp.output!r}.")
        # masters before inner loops (depth-first up the cascade)
        order = []

        def visit(i, stack=()):
            if i in order:
                return
            if i in stack:
                raise ValueError("loops form a cycle.")
            m = fed_by.get(loops[i].name)
            if m is not None:
                visit(m, stack + (i,))
            order.append(i)

        for i in range(len(loops)):
            visit(i)
        # supervisory inputs, channel by channel
        in_names = ["w_inj_A", "w_inj_B"]
        in_units = ["kg/s", "kg/s"]
        sp_input = {}        # loop index -> supervisory input index
        valve_input = {}     # valve -> supervisory input index
        for v in VALVE_NAMES:
            if v not in valve_src:
                valve_input[v] = len(in_names)
                in_names.append(v)
                in_units.append("-")
                continue
            i = valve_src[v]
            while loops[i].name in fed_by:
                i = fed_by[loops[i].name]
            sp_input[i] = len(in_names)
            in_names.append(loops[i].measurement + "_sp")
            in_units.append(_MEAS_UNITS[loops[i].measurement])
        for i, lp in enumerate(loops):
            if lp.name not in fed_by and i not in sp_input:
                raise ValueError(f"loop {lp.name!r} drives no valve (directly or through a cascade).")
        object.__setattr__(self, "order", tuple(order))
        object.__setattr__(self, "supervisory_input_names", tuple(in_names))
        object.__setattr__(self, "supervisory_input_units", tuple(in_units))
        # compiled form for the right-hand side
        comp = []
        for i in order:
            lp = loops[i]
            if i in sp_input:
                kind, src = 0, sp_input[i]
            else:
                kind, src = 1, fed_by[lp.name]
            comp.append((i, MEASUREMENT_NAMES.index(lp.measurement), float(lp.Kc),
                         float(lp.Kc / lp.Ti), float(lp.setpoint_min),
                         float(lp.setpoint_max - lp.setpoint_min), kind, src,
                         float(lp.sat_min), float(lp.sat_max), float(lp.soft)))
        valves = []
        for v in VALVE_NAMES:
            valves.append((0, valve_input[v]) if v in valve_input else (1, valve_src[v]))
        object.__setattr__(self, "_compiled", (tuple(comp), tuple(valves)))

    @property
    def n_loops(self) -> int:
        return len(self.loops)

    @property
    def loop_names(self) -> tuple:
        return tuple(lp.name for lp in self.loops)

    def master_of(self, name) -> Optional[str]:
        """Name of the loop feeding ``name``'s set point, or None."""
        for lp in self.loops:
            if lp.output == name:
                return lp.name
        return None


def struc2_layer() -> RegulatoryLayer:
    """The recommended cascade ``netPres_PIDstruc2`` (manuscript's CS2), PI.mo sign convention.

    Inner: PCA1/PCA2 annulus-top pressure -> production choke (Kc = 3e-5, Ti = 600 s, set-point
    ranges [70e5, 110e5] / [75e5, 115e5] Pa); PCINL riser-inlet pressure -> topside choke
    (Kc = 2e-6, Ti = 300 s, range [20e5, 40e5] Pa). Masters: PCT1/PCT2 on the production-choke
    pressure drops (Kc = -4e-9, Ti = 100 s), PCTOP on the topside-choke pressure drop
    (Kc = -2e-7, Ti = 300 s). Outputs in [0, 1]; no filters.

    Returns
    -------
    RegulatoryLayer
        Named ``"struc2"``; the default layer of :class:`OilPlatform`.

    Examples
    --------
    >>> from rcpod.reservoir.oil_platform import struc2_layer
    >>> layer = struc2_layer()
    >>> layer.loop_names
    ('PCA1', 'PCA2', 'PCINL', 'PCT1', 'PCT2', 'PCTOP')
    >>> [(lp.Kc, lp.Ti) for lp in layer.loops[:3]]            # inner loops
    [(3e-05, 600.0), (3e-05, 600.0), (2e-06, 300.0)]
    >>> layer.master_of("PCA1"), layer.master_of("PCINL")
    ('PCT1', 'PCTOP')
    >>> layer.supervisory_input_names
    ('w_inj_A', 'w_inj_B', 'dP_valve_A_sp', 'dP_valve_B_sp', 'dP_valve_top_sp')
    """
    return RegulatoryLayer((
        PILoop("PCA1", "P_at_A", 3e-5, 600.0, "z_A", 70e5, 110e5),
        PILoop("PCA2", "P_at_B", 3e-5, 600.0, "z_B", 75e5, 115e5),
        PILoop("PCINL", "P_in", 2e-6, 300.0, "z_top", 20e5, 40e5),
        PILoop("PCT1", "dP_valve_A", -4e-9, 100.0, "PCA1"),
        PILoop("PCT2", "dP_valve_B", -4e-9, 100.0, "PCA2"),
        PILoop("PCTOP", "dP_valve_top", -2e-7, 300.0, "PCINL"),
    ), name="struc2")


def pidnet_inner_layer() -> RegulatoryLayer:
    """The three inner loops of the source's ``pidNet`` (no master loops, no filters).

    PCA1/PCA2: annulus-top pressure -> production choke, Kc = 1e-5, Ti = 600 s; PCINL: riser-inlet
    pressure -> topside choke, Kc = 0.2e-5, Ti = 900 s. Set points are supervisory inputs [Pa].

    Returns
    -------
    RegulatoryLayer
        Named ``"pidnet_inner"``.

    Examples
    --------
    >>> from rcpod.reservoir.oil_platform import pidnet_inner_layer
    >>> layer = pidnet_inner_layer()
    >>> [(lp.name, lp.Kc, lp.Ti) for lp in layer.loops]
    [('PCA1', 1e-05, 600.0), ('PCA2', 1e-05, 600.0), ('PCINL', 2e-06, 900.0)]
    >>> layer.supervisory_input_names
    ('w_inj_A', 'w_inj_B', 'P_at_A_sp', 'P_at_B_sp', 'P_in_sp')
    >>> layer.master_of("PCA1") is None                         # no cascade
    True
    """
    return RegulatoryLayer((
        PILoop("PCA1", "P_at_A", 1e-5, 600.0, "z_A", 70e5, 110e5),
        PILoop("PCA2", "P_at_B", 1e-5, 600.0, "z_B", 75e5, 115e5),
        PILoop("PCINL", "P_in", 0.2e-5, 900.0, "z_top"),
    ), name="pidnet_inner")


_LAYERS = {"struc2": struc2_layer, "pidnet_inner": pidnet_inner_layer}


def get_layer(regulatory) -> Optional[RegulatoryLayer]:
    """Resolve ``"struc2"``, ``"pidnet_inner"``, ``None`` (open loop) or a :class:`RegulatoryLayer`.

    Parameters
    ----------
    regulatory : {"struc2", "pidnet_inner"}, RegulatoryLayer or None
        A layer name (a new layer is built), a layer (returned as is) or None.

    Returns
    -------
    RegulatoryLayer or None

    Examples
    --------
    >>> from rcpod.reservoir.oil_platform.regulatory import get_layer
    >>> [loop.name for loop in get_layer("pidnet_inner").loops]
    ['PCA1', 'PCA2', 'PCINL']
    >>> get_layer(None) is None
    True
    >>> get_layer("pid")
    Traceback (most recent call last):
    ...
    ValueError: regulatory must be one of ('struc2', 'pidnet_inner'), None or a ... got 'pid'.
    """
    if regulatory is None or isinstance(regulatory, RegulatoryLayer):
        return regulatory
    if isinstance(regulatory, str) and regulatory in _LAYERS:
        return _LAYERS[regulatory]()
    raise ValueError(f"regulatory must be one of {tuple(_LAYERS)}, None or a RegulatoryLayer, "
                     f"got {regulatory!r}.")


def soft_saturation(u0, lo=0.0, hi=1.0, soft=1e-5, sqrt=math.sqrt):
    """PI.mo's smooth saturation of ``u0`` to ``[lo, hi]`` (``soft`` un-squared, as in the source).

    Parameters
    ----------
    u0 : float or array
        Unsaturated controller output.
    lo, hi : float, default=0.0, 1.0
        Saturation limits.
    soft : float, default=1e-5
        Smoothing constant (added inside the square roots).
    sqrt : callable, default=math.sqrt
        Square root to use (``numpy.sqrt`` for arrays, ``casadi.sqrt`` for symbols).

    Returns
    -------
    u : float or array
        Close to ``u0`` inside ``[lo, hi]``, to ``lo`` / ``hi`` outside.

    Examples
    --------
    >>> from rcpod.reservoir.oil_platform.regulatory import soft_saturation
    >>> round(soft_saturation(0.5), 4), round(soft_saturation(2.0), 4)
    (0.5, 1.0)
    >>> abs(soft_saturation(-1.0)) < 1e-9
    True
    >>> round(soft_saturation(0.0), 4)                    # smooth corner: sqrt(soft) / 2
    0.0016
    """
    ua = sqrt((u0 - lo) * (u0 - lo) + soft) / 2 + (u0 + lo) / 2
    return -sqrt((ua - hi) * (ua - hi) + soft) / 2 + (ua + hi) / 2


def inverse_soft_saturation(u, lo=0.0, hi=1.0, soft=1e-5):
    """``u0`` with ``soft_saturation(u0) == u`` (monotone; solved by bracketing).

    Parameters
    ----------
    u : float
        Saturated output, strictly inside the reachable range of the saturation.
    lo, hi, soft : float
        As :func:`soft_saturation`.

    Returns
    -------
    u0 : float

    Raises
    ------
    ValueError
        If ``u`` cannot be reached.

    Examples
    --------
    >>> from rcpod.reservoir.oil_platform.regulatory import inverse_soft_saturation, soft_saturation
    >>> round(inverse_soft_saturation(soft_saturation(0.3)), 10)
    0.3
    >>> inverse_soft_saturation(1.5)
    Traceback (most recent call last):
    ...
    ValueError: u = 1.5 is outside the reachable range of the saturation [0.0, 1.0].
    """
    from scipy.optimize import brentq
    width = hi - lo
    f = lambda v: soft_saturation(v, lo, hi, soft) - u
    a, b = lo - width, hi + width
    if f(a) > 0 or f(b) < 0:
        raise ValueError(f"u = {u!r} is outside the reachable range of the saturation [{lo}, {hi}].")
    return brentq(f, a, b, xtol=1e-15, rtol=4 * np.finfo(float).eps, maxiter=200)


def measurements(x, C, sqrt=math.sqrt):
    """Measurements (order :data:`MEASUREMENT_NAMES`) from the plant state (15 scalars or arrays).

    ``C`` are the compiled constants (:func:`rcpod.reservoir.oil_platform.model.compiled_constants`).

    Parameters
    ----------
    x : sequence of 15 floats or arrays
        Plant state in the order of :data:`rcpod.reservoir.oil_platform.STATE_NAMES`.
    C : tuple
        Compiled constants.
    sqrt : callable, default=math.sqrt
        Square root to use (``numpy.sqrt`` for arrays, ``casadi.sqrt`` for symbols).

    Returns
    -------
    tuple of 9 floats or arrays
        Pressures [Pa] in the order of :data:`MEASUREMENT_NAMES`.

    Examples
    --------
    At the source's listed equilibrium: the nominal annulus-top pressures (85.6 / 89.5 bar)
    and the riser-inlet pressure, which is state 10 (21.8 bar):

    >>> from rcpod.reservoir.oil_platform import LISTED_EQUILIBRIUM
    >>> from rcpod.reservoir.oil_platform.model import compiled_constants
    >>> from rcpod.reservoir.oil_platform.regulatory import MEASUREMENT_NAMES, measurements
    >>> m = dict(zip(MEASUREMENT_NAMES, measurements(LISTED_EQUILIBRIUM, compiled_constants())))
    >>> [round(float(m[k]) / 1e5, 1) for k in ("P_at_A", "P_at_B", "P_in")]   # bar
    [85.6, 89.5, 21.8]
    """
    ca, cb, cr, net = C
    P_in = x[10]
    P_down = P_in + net[0]
    P_tt_A = ca[5] * x[3] / (ca[2] - (x[4] - ca[1]) / ca[0])
    P_tt_B = cb[5] * x[8] / (cb[2] - (x[9] - cb[1]) / cb[0])
    Pg = cr[13] * x[13] / (cr[12] - x[14] / cr[1])
    Ps = cr[14]
    P_top = sqrt((Pg - Ps) * (Pg - Ps) + net[4]) / 2 + (Pg + Ps) / 2
    return (ca[20] * x[2], cb[20] * x[7], P_tt_A, P_tt_B, P_in, P_top,
            P_tt_A - P_down, P_tt_B - P_down, P_top - Ps)


def controller_eval(meas, q, v, compiled, sqrt=math.sqrt):
    """Evaluate a compiled layer: returns (plant inputs (5), dq/dt (n_loops), loop outputs).

    ``meas``: measurements; ``q``: scaled integrator states; ``v``: supervisory inputs.
    Works on scalars and on equal-shape arrays.
    """
    comp, valves = compiled
    n = len(comp)
    out = [0.0] * n
    dq = [0.0] * n
    for (i, mi, Kc, KcTi, smin, srange, kind, src, lo, hi, soft) in comp:
        sp = v[src] if kind == 0 else smin + srange * out[src]
        e = sp - meas[mi]
        u0 = -Kc * e - q[i]
        ua = sqrt((u0 - lo) * (u0 - lo) + soft) / 2 + (u0 + lo) / 2
        out[i] = -sqrt((ua - hi) * (ua - hi) + soft) / 2 + (ua + hi) / 2
        dq[i] = KcTi * e
    z = [v[src] if kind == 0 else out[src] for kind, src in valves]
    return (v[0], v[1], z[0], z[1], z[2]), dq, out
