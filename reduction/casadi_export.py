"""Export of full and reduced ESN models to CasADi for model predictive control.

:func:`to_casadi` returns a ``casadi.Function`` ``(x, u) -> (x_next, y)`` of one step, built on
``MX`` symbols with the weights as (sparse) ``DM`` constants, so CasADi differentiates it
exactly and it plugs into do-mpc (``Model('discrete')``, ``set_rhs``) or an ``Opti`` problem.

CasADi is an optional dependency (extra ``rcpod[mpc]``); it is imported only when called.

The exported models are the ESN of :mod:`rcpod.reservoir.esn` and the reduced ESNs of
:mod:`rcpod.reduction.reduced` (POD-Galerkin and POD-DEIM reductions of a trained ESN after [1]_,
with DEIM [2]_).

References
----------
.. [1] J. P. Jordanou, E. A. Antonelo, E. Camponogara, E. Gildin, "Investigation of Proper
   Orthogonal Decomposition for Echo State Networks", Neurocomputing, 2023, arXiv:2211.17179.
.. [2] S. Chaturantabut, D. C. Sorensen, "Nonlinear model reduction via discrete empirical
   interpolation", SIAM J. Sci. Comput. 32(5), 2010.
.. [3] J. A. E. Andersson et al., "CasADi: a software framework for nonlinear optimization and
   optimal control", Math. Prog. Comp. 11, 2019.
"""
from __future__ import annotations

import numpy as np

from rcpod.reservoir.form import casadi_constant as _dm
from rcpod.reservoir.form import import_casadi

from .jacobians import leaky_tanh_form

__all__ = ["to_casadi", "import_casadi"]


def _readout_parts(estimator, n_features):
    ro = estimator.readout_
    if not (hasattr(ro, "coef_") and hasattr(ro, "intercept_")):
        raise TypeError(f"to_casadi needs a linear readout with coef_ and intercept_, got "
                        f"{type(ro).__name__}.")
    C = np.atleast_2d(np.asarray(ro.coef_, dtype=np.float64))
    c = np.atleast_1d(np.asarray(ro.intercept_, dtype=np.float64))
    if C.shape[1] != n_features:
        raise ValueError(f"readout has {C.shape[1]} features, expected {n_features}.")
    return C, c


def to_casadi(model, name="rcpod_step"):
    """One step of a full or reduced ESN (with its readout) as a ``casadi.Function``.

    Parameters
    ----------
    model : rcpod.reservoir.ESN, ReducedReservoir, or a fitted ReservoirRegressor / ESNRegressor /
        reduced estimator holding one
        For a bare reservoir the output ``y`` is the state itself; for an estimator it is the
        readout ``y = C_x x + C_u u + c`` (``C_u`` only with ``include_input``).
    name : str
        Name of the CasADi function.

    Returns
    -------
    casadi.Function
        Inputs ``x`` (n_states) and ``u`` (n_inputs); outputs ``x_next`` (n_states) and ``y``.
        Full ESN: ``x_next = (1-a) x + a tanh(W x + W_in u + b)``; reduced:
        ``z_next = (1-a) z + a (E h(A z + B u + c) + L z + L_u u + d)``.

    Raises
    ------
    ImportError
        casadi is not installed (install the extra ``rcpod[mpc]``).
    TypeError
        Unsupported model or a readout without ``coef_`` / ``intercept_``.

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.reservoir import ESN
    >>> from rcpod.reduction import to_casadi
    >>> esn = ESN(n_units=20, random_state=0).initialize(1)
    >>> f = to_casadi(esn)
    >>> x_next, y = f(np.zeros(20), np.array([0.3]))
    >>> bool(np.allclose(np.asarray(x_next).ravel(), esn.run(np.array([[0.3]]))[0]))
    True
    """
    ca = import_casadi("to_casadi")
    res, form = leaky_tanh_form(model)
    estimator = None if res is model else model
    n, n_in = res.n_states_, res.n_inputs_
    x = ca.MX.sym("x", n)
    u = ca.MX.sym("u", n_in)
    x_next = form.casadi_next(x, u)
    if estimator is None:
        y = x
    else:
        include_input = bool(getattr(estimator, "include_input", False))
        C, c = _readout_parts(estimator, n + (n_in if include_input else 0))
        y = ca.mtimes(_dm(ca, C[:, :n]), x) + _dm(ca, c)
        if include_input:
            y = y + ca.mtimes(_dm(ca, C[:, n:]), u)
    return ca.Function(name, [x, u], [x_next, y], ["x", "u"], ["x_next", "y"])
