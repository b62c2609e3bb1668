"""reservoirpy 0.4 reservoirs and fitted ESN models as rcpod objects.

reservoirpy's ``Reservoir`` node (reservoirpy 0.4, ``reservoirpy/nodes/reservoir.py``) updates

    x[t+1] = (1 - lr) x[t] + lr f( W x[t] + Win u[t+1] + bias )

and its ``Ridge`` readout (``reservoirpy/nodes/ridge.py``) outputs ``y[t] = x[t] Wout + bias``
(``Wout`` of shape (n_features, n_outputs)). With ``f = tanh`` and one leak rate for all units
this is the ESN of :class:`~rcpod.reservoir.ESN` (the leaky-integrator ESN of Jaeger et al.
2007) with ``a = lr``, ``W_in = Win``, ``b = bias``, and the readout is a scikit-learn ``Ridge``
with ``coef_ = Wout^T`` and ``intercept_ = bias``. :func:`from_reservoirpy` converts the one
into the other; nothing is refitted.

What converts (everything else raises :class:`UnsupportedReservoirpyError` naming the part, or
``NotFittedError``):

* a ``reservoirpy.nodes.Reservoir`` node (exactly that class) that is initialised (its ``W``,
  ``Win`` and ``bias`` are arrays: after ``initialize``, ``run`` or a model's ``fit``), with
  activation tanh (reservoirpy's ``"tanh"`` or ``numpy.tanh``), ``lr`` a scalar in (0, 1] or an
  array whose entries are all equal; ``W`` and ``Win`` dense or scipy sparse, of any dtype (the
  ESN is float64: reservoirpy's states are float64 whatever its weights' dtype). It becomes an
  initialised :class:`~rcpod.reservoir.ESN` built by :meth:`ESN.from_weights`.
* a ``reservoirpy.Model`` (``reservoir >> readout``, or ``reservoirpy.ESN(...)``) made of one such
  ``Reservoir``, one fitted ``reservoirpy.nodes.Ridge`` readout and at most one
  ``reservoirpy.nodes.Input`` node, with the readout the only output and one model input that
  drives the reservoir (directly or through the ``Input`` node). The readout may also receive
  the input (``reservoirpy.ESN(input_to_readout=True)``, ``[data, data >> reservoir] >> readout``
  or ``data >> reservoir >> readout & data >> readout``, in whichever order reservoirpy
  concatenates them: the rows of ``Wout`` are reordered to rcpod's ``[x; u]``). It becomes a
  fitted :class:`~rcpod.reservoir.ReservoirRegressor` (``include_input`` set accordingly) whose
  readout is a fitted ``sklearn.linear_model.Ridge`` holding ``Wout`` and ``bias`` (a readout
  the rcpod file format saves without the training statistics that a
  :class:`~rcpod.reservoir.RidgeReadout` records and reservoirpy does not keep), with ``alpha``
  and ``fit_intercept`` set from the Ridge's ``ridge`` and ``fit_bias`` (they matter only if
  the estimator is refitted: both solve the same centred ridge problem).

Not representable, so rejected: connections with a delay (feedback, ``reservoir << readout`` or
``reservoirpy.ESN(feedback=True)``), other activations, per-unit leak rates, other node kinds
(``NVAR``, ``IPReservoir``, ``LocalPlasticityReservoir``, ``ES2N``, ``LIF``, activation nodes,
``Output`` nodes as from ``return_reservoir_activity=True``, subclasses of ``Reservoir``), other
readouts (``LMS``, ``RLS``, ``ScikitLearnNode``), several reservoirs or readouts, several
model inputs, an unfitted readout or an uninitialised reservoir. reservoirpy 0.4's ``Reservoir``
has no noise (``noise_rc`` / ``noise_in`` / ``noise_fb``), no ``input_bias`` column of ``Win``, no
``equation="external"`` and no ``Wfb`` (those were reservoirpy 0.3 parameters): feedback is a
delayed edge of the model, which is rejected; reservoirpy older than 0.4 is rejected.

The states agree with reservoirpy's to rounding (the tests ask 1e-12), and the predictions too
(1e-10), from the zero state: reservoirpy carries a node's state across calls (after ``fit``
the reservoir holds the last training state), rcpod starts every series at zero, so compare with
reservoirpy after ``model.reset()``. reservoirpy keeps no washout (its ``warmup`` is an argument
of ``fit``): the converted estimator's ``washout`` is the ``washout`` argument (used by ``score``
and by :func:`rcpod.reduction.reduce`).

References
----------
.. [1] H. Jaeger, M. Lukosevicius, D. Popovici, U. Siewert, "Optimization and applications of
   echo state networks with leaky-integrator neurons", Neural Networks 20(3), 2007.
.. [2] N. Trouvain, L. Pedrelli, T. T. Dinh, X. Hinaut, "ReservoirPy: an efficient and
   user-friendly library to design echo state networks", ICANN 2020.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import Ridge as SklearnRidge

from .esn import ESN
from .estimators import ReservoirRegressor
from .validation import check_int

__all__ = ["from_reservoirpy", "is_reservoirpy_object", "UnsupportedReservoirpyError"]

#: reservoirpy readout classes named as readouts in the error message
_OTHER_READOUTS = ("LMS", "RLS", "ScikitLearnNode")


class UnsupportedReservoirpyError(ValueError):
    """A reservoirpy object, or a part of it, that rcpod cannot represent exactly.

    The message names the part (node, connection, parameter) and why.

    Examples
    --------
    >>> from reservoirpy.nodes import NVAR
    >>> from rcpod.reservoir import from_reservoirpy
    >>> from_reservoirpy(NVAR(delay=2, order=2))
    Traceback (most recent call last):
    ...
    rcpod.reservoir.reservoirpy_bridge.UnsupportedReservoirpyError: node NVAR(...) ...
    """


def is_reservoirpy_object(obj):
    """Whether ``obj`` is an instance of a reservoirpy class (without importing reservoirpy).

    Parameters
    ----------
    obj : object

    Returns
    -------
    bool

    Examples
    --------
    >>> from reservoirpy.nodes import Reservoir
    >>> from rcpod.reservoir.reservoirpy_bridge import is_reservoirpy_object
    >>> is_reservoirpy_object(Reservoir(10)), is_reservoirpy_object(3.0)
    (True, False)
    """
    return any(c.__module__.split(".")[0] == "reservoirpy" for c in type(obj).__mro__)


def _reservoirpy():
    """The reservoirpy classes this module reads (reservoirpy >= 0.4)."""
    import reservoirpy
    major, minor = (int(p) for p in reservoirpy.__version__.split(".")[:2])
    if (major, minor) < (0, 4):
        raise ImportError(f"from_reservoirpy needs reservoirpy >= 0.4 (its node and model API), "
                          f"found {reservoirpy.__version__}.")
    from reservoirpy import activationsfunc
    from reservoirpy.model import Model
    from reservoirpy.node import Node
    from reservoirpy.nodes import Input, Reservoir, Ridge
    return dict(Model=Model, Node=Node, Input=Input, Reservoir=Reservoir, Ridge=Ridge,
                tanh=activationsfunc.tanh)


def from_reservoirpy(obj, washout=0):
    """An rcpod ESN or fitted estimator equal to a reservoirpy reservoir or fitted ESN model.

    Parameters
    ----------
    obj : reservoirpy.nodes.Reservoir or reservoirpy.Model
        An initialised ``Reservoir`` node, or a fitted model of one ``Reservoir`` and one
        ``Ridge`` readout (optionally with the input connected to the readout); see the module
        docstring for exactly what is supported.
    washout : int >= 0, default=0
        ``washout`` of the returned estimator (reservoirpy stores none); not used for a node.

    Returns
    -------
    ESN or ReservoirRegressor
        For a node, an initialised :class:`~rcpod.reservoir.ESN` with reservoirpy's ``W``,
        ``Win``, ``bias`` and ``lr``; for a model, a fitted
        :class:`~rcpod.reservoir.ReservoirRegressor` (2-D outputs, like reservoirpy's) whose
        ``predict`` equals reservoirpy's ``model.run`` from the zero state.

    Raises
    ------
    TypeError
        ``obj`` is not a reservoirpy node or model.
    UnsupportedReservoirpyError
        A part rcpod cannot represent (feedback, another node kind, activation or readout, ...);
        the message names it.
    sklearn.exceptions.NotFittedError
        The reservoir is not initialised or the readout not fitted.
    ImportError
        reservoirpy is older than 0.4.

    Examples
    --------
    >>> import numpy as np
    >>> from reservoirpy.nodes import Reservoir, Ridge
    >>> from rcpod.reservoir import from_reservoirpy
    >>> u = np.sin(np.linspace(0, 20, 300))[:, None]
    >>> model = Reservoir(50, lr=0.5, sr=0.9, seed=0) >> Ridge(ridge=1e-6)
    >>> _ = model.fit(u[:-1], u[1:], warmup=20)
    >>> est = from_reservoirpy(model, washout=20)
    >>> type(est).__name__, est.reservoir_.n_states_, est.include_input
    ('ReservoirRegressor', 50, False)
    >>> _ = model.reset()   # reservoirpy continues from its last state; rcpod starts at zero
    >>> bool(np.max(np.abs(est.predict(u) - model.run(u))) < 1e-10)
    True
    """
    washout = check_int("washout", washout, low=0)
    rpy = _reservoirpy()
    if isinstance(obj, rpy["Model"]):
        return _estimator_from_model(obj, rpy, washout)
    if type(obj) is rpy["Reservoir"]:
        return _esn_from_node(obj, rpy)
    if isinstance(obj, rpy["Ridge"]):
        raise UnsupportedReservoirpyError(
            f"{_name(obj)} is a readout alone; pass the fitted model (reservoir >> readout) to "
            f"get an estimator, or the Reservoir node to get an ESN.")
    if isinstance(obj, rpy["Node"]):
        raise _unsupported_node(obj)
    raise TypeError(f"obj must be a reservoirpy Reservoir node or Model, got "
                    f"{type(obj).__name__}.")


def _name(node):
    """reservoirpy's description of a node (its repr fails for some array parameters)."""
    try:
        return repr(node)
    except ValueError:   # Reservoir(lr=array): reservoirpy's repr compares an array to 1.0
        return f"{type(node).__name__}(name={getattr(node, 'name', None)!r})"


def _names(nodes):
    """``[description, ...]`` of several nodes."""
    return "[" + ", ".join(map(_name, nodes)) + "]"


def _unsupported_node(node):
    kind = type(node).__name__
    if kind in _OTHER_READOUTS:
        return UnsupportedReservoirpyError(
            f"readout {_name(node)} (reservoirpy {kind}) is not supported: only a fitted "
            f"reservoirpy.nodes.Ridge readout converts.")
    return UnsupportedReservoirpyError(
        f"node {_name(node)} (reservoirpy {kind}) is not supported: only "
        f"reservoirpy.nodes.Reservoir (leaky tanh), Ridge and Input nodes convert.")


def _esn_from_node(node, rpy):
    """The ESN of an initialised reservoirpy ``Reservoir`` node."""
    if node.activation not in (rpy["tanh"], np.tanh):
        name = getattr(node.activation, "__name__", repr(node.activation))
        raise UnsupportedReservoirpyError(
            f"reservoir {_name(node)}: activation {name!r} is not supported; rcpod's ESN is "
            f"leaky tanh (activation='tanh').")
    lr = np.asarray(node.lr, dtype=float).reshape(-1)
    if lr.size == 0 or not np.all(lr == lr[0]):
        raise UnsupportedReservoirpyError(
            f"reservoir {_name(node)}: per-unit leak rates (lr an array of different values) "
            f"are not supported; rcpod's ESN has one leak rate.")
    if not 0.0 < lr[0] <= 1.0:
        raise UnsupportedReservoirpyError(
            f"reservoir {_name(node)}: lr = {float(lr[0])!r} is not supported; the leak rate "
            f"must be in (0, 1].")
    if not getattr(node, "initialized", False) or any(
            callable(getattr(node, name)) for name in ("W", "Win", "bias")):
        raise NotFittedError(f"reservoir {_name(node)} is not initialised: its W, Win and bias "
                             f"are drawn at initialize(x), run(x) or the model's fit.")
    bias = node.bias.toarray() if sp.issparse(node.bias) else np.asarray(node.bias, dtype=float)
    return ESN.from_weights(node.W, node.Win, bias=bias, leak_rate=float(lr[0]))


def _estimator_from_model(model, rpy, washout):
    """The fitted estimator of a reservoirpy ``Reservoir >> Ridge`` model."""
    for sender, delay, receiver in model.edges:
        if delay != 0:
            raise UnsupportedReservoirpyError(
                f"the connection {_name(sender)} -> {_name(receiver)} has a delay of {delay} "
                f"step(s) (a feedback connection); rcpod's estimators have no feedback.")
    kinds = {"Reservoir": [], "Ridge": [], "Input": []}
    for node in model.nodes:
        kind = next((k for k in kinds if type(node) is rpy[k]), None)
        if kind is None:
            raise _unsupported_node(node)
        kinds[kind].append(node)
    for kind, part in (("Reservoir", "reservoir"), ("Ridge", "Ridge readout")):
        if len(kinds[kind]) != 1:
            raise UnsupportedReservoirpyError(
                f"the model has {len(kinds[kind])} {part}s {_names(kinds[kind])}; exactly one "
                f"converts.")
    reservoir, readout = kinds["Reservoir"][0], kinds["Ridge"][0]
    if list(model.outputs) != [readout]:
        raise UnsupportedReservoirpyError(
            f"the model's outputs are {_names(model.outputs)}; only the readout "
            f"{_name(readout)} may be an output.")
    if len(model.inputs) != 1:
        raise UnsupportedReservoirpyError(
            f"the model has {len(model.inputs)} input nodes {_names(model.inputs)}; exactly one "
            f"converts.")
    source = model.inputs[0]

    def feeds(node):
        # what a node receives, in reservoirpy's order: the model input if it is one, then
        # its parents' outputs (reservoirpy.model.Model._step)
        return ([source] if node is source else []) + list(model.parents[node])

    if feeds(reservoir) != [source]:
        raise UnsupportedReservoirpyError(
            f"reservoir {_name(reservoir)} receives {_names(feeds(reservoir))}; it must receive "
            f"the model input only.")
    blocks = feeds(readout)
    n_states_in = sum(b is reservoir for b in blocks)
    n_inputs_in = sum(b is source and b is not reservoir for b in blocks)
    if n_states_in != 1 or n_inputs_in > 1 or n_states_in + n_inputs_in != len(blocks):
        raise UnsupportedReservoirpyError(
            f"readout {_name(readout)} receives {_names(blocks)}; it must receive the "
            f"reservoir's states and at most the model input besides.")

    Wout, bias = _fitted_ridge(readout)
    esn = _esn_from_node(reservoir, rpy)
    n_states, n_inputs = esn.n_states_, esn.n_inputs_
    sizes = [n_states if b is reservoir else n_inputs for b in blocks]
    if Wout.shape[0] != sum(sizes):
        raise UnsupportedReservoirpyError(
            f"readout {_name(readout)}: Wout has {Wout.shape[0]} rows but it receives "
            f"{sum(sizes)} features ({' + '.join(map(str, sizes))}).")
    # reservoirpy's rows follow its concatenation order; rcpod's readout sees [x; u]
    starts = np.cumsum([0] + sizes)
    rows = {id(b): np.arange(starts[i], starts[i + 1]) for i, b in enumerate(blocks)}
    order = np.concatenate([rows[id(reservoir)]] + ([rows[id(source)]] if n_inputs_in else []))
    ridge = SklearnRidge(alpha=float(readout.ridge), fit_intercept=bool(readout.fit_bias))
    ridge.coef_ = np.ascontiguousarray(Wout[order].T)
    ridge.intercept_ = bias
    ridge.n_features_in_ = int(Wout.shape[0])
    return ReservoirRegressor.from_parts(esn, ridge, washout=washout,
                                         include_input=bool(n_inputs_in))


def _fitted_ridge(readout):
    """``(Wout, bias)`` of a fitted reservoirpy Ridge, as float64 arrays."""
    Wout, bias = getattr(readout, "Wout", None), getattr(readout, "bias", None)
    if Wout is None or bias is None or callable(Wout) or callable(bias):
        raise NotFittedError(f"readout {_name(readout)} is not fitted: call the model's fit "
                             f"first.")
    Wout = Wout.toarray() if sp.issparse(Wout) else np.asarray(Wout, dtype=float)
    if Wout.ndim != 2:
        raise UnsupportedReservoirpyError(
            f"readout {_name(readout)}: Wout must be a (n_features, n_outputs) matrix, got "
            f"shape {Wout.shape}.")
    bias = np.asarray(bias, dtype=float).reshape(-1)
    if bias.size == 1:
        bias = np.full(Wout.shape[1], bias[0])
    if bias.shape != (Wout.shape[1],):
        raise UnsupportedReservoirpyError(
            f"readout {_name(readout)}: bias has {bias.size} entries for {Wout.shape[1]} "
            f"outputs.")
    return Wout, bias
