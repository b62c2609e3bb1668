"""Every class the model format stores declares complete tables and round-trips bit for bit.

For each rcpod class of :data:`rcpod.reservoir.persistence.SAVEABLE_CLASSES`:

(a) ``_parameter_constraints`` has exactly the keys of ``get_params(deep=False)``;
(b) a small fitted / initialized instance saves and loads with every array (parameters and
    fitted attributes, nested objects included) equal in dtype, strides and values, and its
    outputs equal bit for bit;
(c) every public fitted attribute (name ending in ``_``) the instance has is in
    ``_fitted_schema``, so that saving drops nothing (exceptions: :data:`NOT_SAVED`).

The scikit-learn readouts ``Ridge`` and ``LinearRegression`` are checked as readouts of a
``ReservoirRegressor``.
"""
import importlib
import inspect
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.linear_model import LinearRegression, Ridge

from rcpod.quantum import (QuantumReservoir, QuantumReservoirRegressor, RMSpropReadout,
                           TrainedQuantumRNN)
from rcpod.reduction import ReducedReservoir, ReductionWarning, reduce
from rcpod.reservoir import (ESN, ClassicalRNNReservoir, ESNRegressor, ReservoirRegressor,
                             RidgeReadout, WindowFeatures)
from rcpod.reservoir.oil_platform.identification import ARXModel, Scaler
from rcpod.reservoir.persistence import SAVEABLE_CLASSES, ModelFileError, _tables, load, save

#: Public fitted attributes deliberately not saved: {class name: {attribute: reason}}.
NOT_SAVED = {}   # none at present

RCPOD_CLASSES = sorted(p for p in SAVEABLE_CLASSES if p.startswith("rcpod."))


def _class(path):
    module, name = path.split(":")
    return getattr(importlib.import_module(module), name)


def _default_instance(cls):
    """``cls()``, with None for the required arguments (the reduced reservoirs' operators)."""
    required = {name: None for name, p in inspect.signature(cls.__init__).parameters.items()
                if name != "self" and p.default is inspect.Parameter.empty}
    return cls(**required)


# -- small fitted instances and what is compared of them ------------------------------------------
_U = np.random.default_rng(0).uniform(-0.5, 0.5, (300, 2))
_Y = np.c_[np.roll(_U[:, 0], 1), _U[:, 1] ** 2]
_WINDOWS = np.random.default_rng(1).uniform(-1, 1, (12, 3, 1))


def _reduced(method):
    est = ESNRegressor(n_units=20, washout=10, random_state=0).fit(_U, _Y)
    points = {} if method == "pod" else {"n_points": 16}
    with warnings.catch_warnings():   # accuracy does not matter here, only the round trip
        warnings.simplefilter("ignore", ReductionWarning)
        return reduce(est, _U, method=method, rank=10, **points)


def _run(model):
    return model.run(_U)


def _predict(model):
    return model.predict(_U)


def _esn_regressor():
    return ESNRegressor(n_units=12, washout=5, include_input=True, random_state=0).fit(_U, _Y)


def _reservoir_regressor(readout):
    return ReservoirRegressor(ESN(n_units=12, density=1.0, random_state=1), readout=readout,
                              washout=5).fit(_U, _Y)


def _base_reduced():
    pod = _reduced("pod").reservoir_
    return ReducedReservoir(**pod.get_params()).initialize(pod.n_inputs_)


def _scaler():
    return Scaler("minmax", (-1.0, 1.0)).fit(_U)


# class path: (build an instance, its outputs)
CASES = {
    "rcpod.reservoir.esn:ESN": (lambda: ESN(n_units=12, random_state=0).initialize(2), _run),
    "rcpod.reservoir.estimators:ESNRegressor": (_esn_regressor, _predict),
    "rcpod.reservoir.estimators:ReservoirRegressor": (
        lambda: _reservoir_regressor(RidgeReadout(alpha=1e-4)), _predict),
    "rcpod.reservoir.readout:RidgeReadout": (lambda: RidgeReadout().fit(_U, _Y), _predict),
    "rcpod.reservoir.oil_platform.identification:ARXModel": (
        lambda: ARXModel(output_lags=2, input_lags=2).fit(_U, _Y), _predict),
    "rcpod.reservoir.oil_platform.identification:Scaler": (_scaler, lambda m: m.transform(_U)),
    "rcpod.reservoir.recurrent:ClassicalRNNReservoir": (
        lambda: ClassicalRNNReservoir(cell="lstm", hidden_size=3, random_state=0).initialize(2),
        _run),
    "rcpod.quantum.estimators:QuantumReservoirRegressor": (
        lambda: QuantumReservoirRegressor(cell="gru", n_qubits=3, n_layers=1, washout=5,
                                          random_state=0).fit(_U[:60, :1], _Y[:60]),
        lambda m: m.predict(_U[:60, :1])),
    "rcpod.quantum.readout_training:RMSpropReadout": (
        lambda: RMSpropReadout(epochs=2, random_state=0).fit(_U[:50], _Y[:50, 0],
                                                             eval_set=(_U[50:80], _Y[50:80, 0])),
        _predict),
    "rcpod.quantum.reservoir:QuantumReservoir": (
        lambda: QuantumReservoir(cell="lstm", n_qubits=3, n_layers=1,
                                 random_state=0).initialize(2),
        lambda m: m.run(_U[:40])),
    "rcpod.quantum.trained:TrainedQuantumRNN": (
        lambda: TrainedQuantumRNN(n_qubits=2, n_layers=1, epochs=1, random_state=0).fit(
            _WINDOWS, _WINDOWS[:, -1, 0]),
        lambda m: m.predict(_WINDOWS)),
    "rcpod.reservoir.windows:WindowFeatures": (
        lambda: WindowFeatures(ClassicalRNNReservoir(cell="gru", random_state=0)).fit(_WINDOWS),
        lambda m: m.transform(_WINDOWS)),
    "rcpod.reduction.reduced:ReducedReservoir": (_base_reduced, _run),
    "rcpod.reduction.reduced:PODReservoir": (lambda: _reduced("pod").reservoir_, _run),
    "rcpod.reduction.reduced:DEIMReservoir": (lambda: _reduced("pod-deim").reservoir_, _run),
    "rcpod.reduction.reduced:StabilizedDEIMReservoir": (
        lambda: _reduced("pod-qdeim-stabilized").reservoir_, _run),
    "rcpod.reduction.reduced:LinearizedDEIMReservoir": (
        lambda: _reduced("pod-qdeim-linearized").reservoir_, _run),
}


def test_every_rcpod_class_has_a_case():
    assert sorted(CASES) == RCPOD_CLASSES


def _saved_values(obj):
    """(name, value) of what the format saves of ``obj``: parameters and schema attributes."""
    schema = _tables(type(obj))[1]
    out = list(obj.get_params(deep=False).items())
    out += [(k, vars(obj)[k]) for k in schema if k in vars(obj)]
    return out


def _assert_same(a, b, where, rcpod_owned=True):
    """``b`` (loaded) equals ``a`` (saved): arrays in dtype, strides and values, recursively.

    An array of an rcpod object must keep its strides: one that was neither C- nor
    F-contiguous (saved as a C copy) would compute with another layout, and so possibly other
    rounding, once loaded. The sklearn readouts' views (``LinearRegression.coef_``) come back as
    C copies, as the format documents.
    """
    if isinstance(a, np.ndarray):
        assert isinstance(b, np.ndarray), where
        assert a.dtype == b.dtype and a.shape == b.shape, where
        contiguous = a.flags.c_contiguous or a.flags.f_contiguous
        if rcpod_owned or contiguous:
            assert a.strides == b.strides, (where, a.strides, b.strides)
        else:
            assert b.flags.c_contiguous, where
        np.testing.assert_array_equal(b, a, err_msg=where)
    elif sp.issparse(a):
        assert sp.issparse(b) and a.shape == b.shape, where
        a, b = sp.csr_matrix(a), sp.csr_matrix(b)
        for part in ("data", "indices", "indptr"):
            _assert_same(getattr(a, part), getattr(b, part), f"{where}.{part}")
    elif isinstance(a, BaseEstimator):
        assert type(b) is type(a), where
        owned = type(a).__module__.startswith("rcpod.")
        for (k, va), (k2, vb) in zip(_saved_values(a), _saved_values(b), strict=True):
            assert k == k2
            _assert_same(va, vb, f"{where}.{k}", owned)
    elif isinstance(a, dict):
        assert isinstance(b, dict) and set(a) == set(b), where
        for k in a:
            _assert_same(a[k], b[k], f"{where}[{k!r}]", rcpod_owned)
    elif isinstance(a, (list, tuple)):
        assert type(b) is type(a) and len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            _assert_same(x, y, f"{where}[{i}]", rcpod_owned)
    elif isinstance(a, np.random.Generator):
        assert a.bit_generator.state == b.bit_generator.state, where
    elif isinstance(a, float) and np.isnan(a):
        assert isinstance(b, float) and np.isnan(b), where
    else:
        assert a == b, (where, a, b)


@pytest.fixture(scope="module")
def instances():
    cache = {}

    def get(path):
        if path not in cache:
            cache[path] = CASES[path][0]()
        return cache[path]

    return get


@pytest.mark.parametrize("path", RCPOD_CLASSES)
def test_parameter_constraints_cover_get_params(path):
    cls = _class(path)
    assert set(cls._parameter_constraints) == set(_default_instance(cls).get_params(deep=False))


@pytest.mark.parametrize("path", RCPOD_CLASSES)
def test_round_trip_is_bit_for_bit(tmp_path, instances, path):
    model = instances(path)
    output = CASES[path][1]
    expected = output(model)
    loaded = load(save(model, tmp_path / "m.npz"))
    _assert_same(model, loaded, type(model).__name__)
    np.testing.assert_array_equal(output(loaded), expected)
    assert output(loaded).dtype == np.asarray(expected).dtype


@pytest.mark.parametrize("path", RCPOD_CLASSES)
def test_no_fitted_attribute_is_dropped(instances, path):
    model = instances(path)
    cls = type(model)
    fitted = {k for k in vars(model) if k.endswith("_") and not k.startswith("_")}
    assert fitted, "the instance should be fitted / initialized"
    missing = fitted - set(cls._fitted_schema) - set(NOT_SAVED.get(cls.__name__, {}))
    assert not missing, f"{cls.__name__} would not save {sorted(missing)}"
    optional = getattr(cls, "_fitted_optional", frozenset())
    assert set(cls._fitted_schema) - optional <= fitted


@pytest.mark.parametrize("readout", [Ridge(alpha=1e-3), LinearRegression()],
                         ids=["Ridge", "LinearRegression"])
def test_sklearn_readouts_round_trip(tmp_path, readout):
    model = _reservoir_regressor(readout)
    loaded = load(save(model, tmp_path / "m.npz"))
    assert type(loaded.readout_) is type(readout)
    _assert_same(model, loaded, "model")
    np.testing.assert_array_equal(loaded.predict(_U), model.predict(_U))


# -- crafted files: inconsistent shapes are refused ------------------------------------------------
def _drop_row(a):
    return np.ascontiguousarray(a[:-1])


REFUSED_AT_LOAD = [  # (class path, attribute, edit): the table refuses the file
    ("rcpod.reduction.reduced:DEIMReservoir", "A_", _drop_row),
    ("rcpod.reduction.reduced:LinearizedDEIMReservoir", "L_", lambda a: a[:-1, :-1].copy()),
    ("rcpod.quantum.reservoir:QuantumReservoir", "weights_", lambda a: a[:, :, :-1].copy()),
    ("rcpod.reservoir.recurrent:ClassicalRNNReservoir", "W_hh_", lambda a: a[:, :-1].copy()),
    ("rcpod.quantum.trained:TrainedQuantumRNN", "coef_", lambda a: a[None]),
    ("rcpod.quantum.readout_training:RMSpropReadout", "coef_", _drop_row),
    ("rcpod.reservoir.oil_platform.identification:ARXModel", "B_", lambda a: a[:, :, :-1].copy()),
    ("rcpod.reservoir.oil_platform.identification:Scaler", "scale_", _drop_row),
]


@pytest.mark.parametrize("path, name, edit", REFUSED_AT_LOAD,
                         ids=[f"{p.split(':')[1]}.{n}" for p, n, _ in REFUSED_AT_LOAD])
def test_inconsistent_shapes_are_refused_at_load(tmp_path, path, name, edit):
    model = CASES[path][0]()
    setattr(model, name, edit(getattr(model, name)))
    with pytest.raises(ModelFileError, match=name):
        load(save(model, tmp_path / "bad.npz"))


def _deim_without_linear_part(model):
    model.has_linear_ = True           # the compiled loop would read an (r, r) L_ from (1, 1)


REFUSED_BEFORE_USE = [  # (class path, edit, use, stage): cross-field conditions a table cannot
    # state; "load" where the class's _validate_fitted hook checks them (load calls it), else
    # checked before the first run
    ("rcpod.reduction.reduced:DEIMReservoir", _deim_without_linear_part, _run, "load"),
    ("rcpod.reduction.reduced:DEIMReservoir",
     lambda m: m.set_params(indices=m.indices + m.n_units_), _run, "load"),
    ("rcpod.quantum.reservoir:QuantumReservoir",
     lambda m: setattr(m, "weights_", m.weights_[:2].copy()), lambda m: m.run(_U[:5]), "load"),
    ("rcpod.reservoir.recurrent:ClassicalRNNReservoir",
     lambda m: setattr(m, "b_hh_", m.b_hh_[:-1].copy()), _run, "load"),
    ("rcpod.quantum.trained:TrainedQuantumRNN",
     lambda m: setattr(m, "coef_", np.r_[m.coef_, 0.0]), lambda m: m.predict(_WINDOWS), "load"),
]


@pytest.mark.parametrize("path, edit, use, stage", REFUSED_BEFORE_USE,
                         ids=["DEIM.L_", "DEIM.indices", "QuantumReservoir.weights_",
                              "ClassicalRNN.b_hh_", "TrainedQuantumRNN.coef_"])
def test_cross_field_conditions_are_checked(tmp_path, path, edit, use, stage):
    model = CASES[path][0]()
    edit(model)
    path = save(model, tmp_path / "bad.npz")
    if stage == "load":
        with pytest.raises(ModelFileError, match="must|fit"):
            load(path)
    else:
        loaded = load(path)
        with pytest.raises(ValueError, match="fit|must"):
            use(loaded)
