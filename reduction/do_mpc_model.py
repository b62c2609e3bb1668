"""A full or reduced ESN as a do-mpc discrete-time model.

:func:`to_do_mpc` returns a ``do_mpc.model.Model('discrete')`` [1]_ whose difference equation is
the model's leaky-tanh step (:meth:`rcpod.reservoir.form.LeakyTanhForm.casadi_next`, one
expression for the ESN and every reduced ESN: POD-Galerkin / POD-DEIM reductions after [2]_) and
whose outputs are its linear readout::

    x_{k+1} = f(x_k, u_k)                         (set_rhs)
    y_k     = C_x x_k + C_u u_k + c               (set_meas; C_u only with include_input)
    y+_k    = C_x f(x_k, u_k) + C_u u_k + c       (set_expression, "<output>_next")

``y+`` is the output the move ``u_k`` produces: the rcpod estimators' ``predict`` convention
(``x_k`` has consumed ``u_k`` when ``y_k`` is read), and the quantity
:class:`rcpod.reduction.TrackingMPC` tracks with ``output_timing="after"``. Use it in do-mpc's
``set_objective`` to track the same outputs.

do-mpc is an optional dependency (extra ``rcpod[dompc]``), imported only when called.

References
----------
.. [1] F. Fiedler, B. Karg, L. Lueken, D. Brandner, M. Heinlein, F. Brabender, S. Lucia,
   "do-mpc: Towards FAIR nonlinear and robust model predictive control", Control Engineering
   Practice 140, 2023.
.. [2] J. P. Jordanou, E. A. Antonelo, E. Camponogara, E. Gildin, "Investigation of Proper
   Orthogonal Decomposition for Echo State Networks", Neurocomputing, 2023, arXiv:2211.17179.
"""
from __future__ import annotations

import warnings

from rcpod.reservoir.form import casadi_constant, import_casadi
from rcpod.reservoir.validation import Options, check_value

from .casadi_export import _readout_parts
from .jacobians import leaky_tanh_form

__all__ = ["to_do_mpc", "import_do_mpc"]


def import_do_mpc(what="to_do_mpc"):
    """Import do-mpc or raise an ImportError naming the extra ``rcpod[dompc]``.

    Parameters
    ----------
    what : str, default="to_do_mpc"
        Name of the feature that needs do-mpc, used in the error message.

    Returns
    -------
    module
        The ``do_mpc`` module.

    Raises
    ------
    ImportError
        If do-mpc is not installed.

    Examples
    --------
    >>> from rcpod.reduction.do_mpc_model import import_do_mpc
    >>> import_do_mpc().__name__
    'do_mpc'
    """
    try:
        with warnings.catch_warnings():   # do-mpc warns about its uninstalled opcua / torch parts
            warnings.filterwarnings("ignore", category=UserWarning, module=r"do_mpc(\.|$)")
            import do_mpc
    except ImportError as exc:
        raise ImportError(f"{what} needs the optional dependency do-mpc; install it with "
                          "`pip install rcpod[dompc]` (or `pip install do-mpc`).") from exc
    return do_mpc


def _names(names, n, argument, default):
    """``[default]`` (one vector variable) for None, else ``n`` distinct strings."""
    if names is None:
        return None
    if isinstance(names, str):
        raise TypeError(f"{argument} must be a sequence of {n} strings or None, got a string.")
    names = list(names)
    if len(names) != n or not all(isinstance(s, str) and s for s in names):
        raise ValueError(f"{argument} must be {n} non-empty strings, got {names!r}.")
    if len(set(names)) != n or default in names:
        raise ValueError(f"{argument} must be distinct and differ from {default!r}, got "
                         f"{names!r}.")
    return names


def to_do_mpc(model, input_names=None, output_names=None, state_name="x", symvar_type="SX",
              setup=True):
    """A ``do_mpc.model.Model('discrete')`` of one step of a full or reduced ESN.

    Parameters
    ----------
    model : rcpod.reservoir.ESN, ReducedReservoir, or a fitted estimator holding one
        For a bare reservoir the outputs are the states; for an estimator its linear readout
        (``coef_``, ``intercept_``; with ``include_input`` the input feeds through).
    input_names : sequence of str, optional
        One scalar do-mpc input per model input (e.g. the plant's input names, so that
        ``set_rterm(w_inj_A=...)`` and ``bounds['lower', '_u', 'w_inj_A']`` work). Default: one
        vector input ``"u"``.
    output_names : sequence of str, optional
        One scalar measurement (and ``<name>_next`` expression) per output. Default: one vector
        measurement ``"y"`` and expression ``"y_next"``.
    state_name : str, default="x"
        Name of the state vector (the reservoir or reduced coordinates have no physical names).
    symvar_type : {"SX", "MX"}, default="SX"
        do-mpc's symbol type. SX suits reduced models (dense, small); MX keeps a full ESN's
        sparse ``W`` as one matrix product.
    setup : bool, default=True
        Call ``Model.setup()``. Pass False to add variables first (time-varying set points,
        an input memory for rate limits, ...) and call ``setup()`` yourself.

    Returns
    -------
    do_mpc.model.Model
        Discrete model with state ``state_name`` (n_states), the inputs, measurements (outputs
        of the current state, no measurement noise) and auxiliary expressions
        ``<output>_next`` (output produced by the move, see the module docstring).

    Raises
    ------
    ImportError
        do-mpc (extra ``rcpod[dompc]``) or casadi is not installed.
    TypeError
        Unsupported model, or names that are not a sequence of strings.
    ValueError
        Names of the wrong number, repeated, or an unknown ``symvar_type``.

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.reservoir import ESNRegressor
    >>> from rcpod.reduction import to_do_mpc
    >>> u = np.random.default_rng(0).uniform(-1, 1, (200, 1))
    >>> est = ESNRegressor(n_units=20, random_state=0).fit(u, np.roll(u[:, 0], 1))
    >>> m = to_do_mpc(est, input_names=["valve"], output_names=["level"])
    >>> m.model_type, m.n_x, m.n_u, m.n_y
    ('discrete', 20, 1, 1)
    >>> x = est.reservoir_.run(u[:10])[-1]
    >>> x_next = np.asarray(m._rhs_fun(x, u[10], [], [], [], [])).ravel()
    >>> bool(np.allclose(x_next, est.reservoir_.run(u[:11])[-1], rtol=0, atol=1e-12))
    True
    """
    do_mpc = import_do_mpc()
    ca = import_casadi("to_do_mpc")
    check_value("symvar_type", symvar_type, [Options(("SX", "MX"))])
    if not isinstance(state_name, str) or not state_name:
        raise TypeError(f"state_name must be a non-empty string, got {state_name!r}.")
    res, form = leaky_tanh_form(model)
    n, n_in = res.n_states_, res.n_inputs_
    if res is model:
        C_x = None
        n_out = n
    else:
        include_input = bool(getattr(model, "include_input", False))
        C, c = _readout_parts(model, n + (n_in if include_input else 0))
        C_x, C_u = C[:, :n], (C[:, n:] if include_input else None)
        n_out = C.shape[0]
    u_names = _names(input_names, n_in, "input_names", "u")
    y_names = _names(output_names, n_out, "output_names", "y")
    if state_name in (u_names or ["u"]):
        raise ValueError(f"state_name {state_name!r} is also an input name.")

    dm = do_mpc.model.Model("discrete", symvar_type)
    x = dm.set_variable("_x", state_name, (n, 1))
    if u_names is None:
        u = dm.set_variable("_u", "u", (n_in, 1))
    else:
        u = ca.vertcat(*[dm.set_variable("_u", s) for s in u_names])
    x_next = form.casadi_next(x, u)

    def readout(state):
        if C_x is None:
            return state
        y = ca.mtimes(casadi_constant(ca, C_x), state) + casadi_constant(ca, c)
        return y if C_u is None else y + ca.mtimes(casadi_constant(ca, C_u), u)

    y_now, y_move = readout(x), readout(x_next)
    if y_names is None:
        dm.set_meas("y", y_now, meas_noise=False)
        dm.set_expression("y_next", y_move)
    else:
        for i, s in enumerate(y_names):
            dm.set_meas(s, y_now[i], meas_noise=False)
            dm.set_expression(f"{s}_next", y_move[i])
    dm.set_rhs(state_name, x_next)
    if setup:
        dm.setup()
    return dm
