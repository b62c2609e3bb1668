"""from_reservoirpy against reservoirpy's own runs, on reservoirs and models drawn here."""
import numpy as np
import pytest
import reservoirpy
import scipy.sparse as sp
from reservoirpy.mat_gen import uniform
from reservoirpy.nodes import (ES2N, LMS, NVAR, RLS, Input, IPReservoir, Reservoir, Ridge,
                               ScikitLearnNode)
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import Ridge as SkRidge

from rcpod.reduction import reduce
from rcpod.reservoir import ESN, ReservoirRegressor, from_reservoirpy
from rcpod.reservoir.persistence import load, save
from rcpod.reservoir.reservoirpy_bridge import UnsupportedReservoirpyError

N, N_IN, T, WARMUP = 60, 2, 300, 20

#: (leak rate, dense W, how the input reaches the readout: None, "esn", "list" or "merge")
CONFIGS = {
    "leaky-sparse": (0.3, False, None),
    "leaky-dense-esn-input": (0.6, True, "esn"),
    "lr1-dense": (1.0, True, None),
    "lr1-sparse-list-input": (1.0, False, "list"),
    "leaky-sparse-merge-input": (0.8, False, "merge"),
}


def _data(seed):
    rng = np.random.default_rng(seed)
    u = rng.uniform(-1, 1, (T, N_IN))
    y = np.c_[np.roll(u[:, 0], 2) * u[:, 1], np.tanh(np.roll(u[:, 1], 1))]
    return u, y


def _reservoir(lr, dense, seed, **kwargs):
    conn = 1.0 if dense else 0.1
    return Reservoir(N, lr=lr, sr=0.9, rc_connectivity=conn, input_connectivity=conn,
                     input_scaling=0.5, bias=uniform, seed=seed, **kwargs)


def _model(config, seed):
    """A fitted reservoirpy model of the configuration, its data, and the reservoir node."""
    lr, dense, to_readout = CONFIGS[config]
    res, ro = _reservoir(lr, dense, seed), Ridge(ridge=1e-5)
    if to_readout == "esn":
        model = reservoirpy.ESN(reservoir=res, readout=ro, input_to_readout=True)
    elif to_readout == "list":     # reservoirpy concatenates [u, x] here: input first
        data = Input()
        model = [data, data >> res] >> ro
    elif to_readout == "merge":
        data = Input()
        model = (data >> res >> ro) & (data >> ro)
    else:
        model = res >> ro
    u, y = _data(seed)
    model.fit(u, y, warmup=WARMUP)
    return model, res, u, y


def _rpy_predict(model, u):
    model.reset()    # reservoirpy continues from its last state; rcpod starts every series at 0
    return model.run(u)


@pytest.mark.parametrize("config", CONFIGS)
def test_reservoir_states_match_reservoirpy(config):
    lr, dense, _ = CONFIGS[config]
    res = _reservoir(lr, dense, seed=3)
    u, _ = _data(3)
    ref = res.run(u)                      # first run: from the zero state
    esn = from_reservoirpy(res)
    assert isinstance(esn, ESN) and esn.leak_rate == lr
    assert sp.issparse(esn.W_) == sp.issparse(res.W) == (not dense)
    assert np.max(np.abs(esn.run(u) - ref)) < 1e-12
    # several series (reservoirpy runs each from the same, here zero, state)
    res.reset()
    batch = np.stack([u, u[::-1]])
    assert np.max(np.abs(esn.run(batch) - res.run(batch))) < 1e-12


def test_float32_reservoirpy_weights_give_the_same_states():
    # reservoirpy's states are float64 whatever its weights' dtype; so are the ESN's
    res = Reservoir(N, lr=0.5, sr=0.9, bias=uniform, dtype=np.float32, seed=4)
    u, _ = _data(4)
    ref = res.run(u)
    assert res.W.dtype == np.float32
    assert np.max(np.abs(from_reservoirpy(res).run(u) - ref)) < 1e-12


@pytest.mark.parametrize("config", CONFIGS)
def test_model_predictions_match_reservoirpy(config):
    model, _, _, _ = _model(config, seed=5)
    est = from_reservoirpy(model, washout=WARMUP)
    assert isinstance(est, ReservoirRegressor) and isinstance(est.readout_, SkRidge)
    assert est.include_input == (CONFIGS[config][2] is not None)
    assert est.washout == WARMUP and est.n_targets_ == 2
    u_test = _data(6)[0]
    ref = _rpy_predict(model, u_test)
    pred = est.predict(u_test)
    assert pred.shape == ref.shape == (T, 2)
    assert np.max(np.abs(pred - ref)) < 1e-10
    # a fitted model whose readout is not trivial: the outputs vary
    assert np.std(ref) > 1e-2


def test_input_first_rows_are_reordered():
    # [data, data >> res] >> readout: reservoirpy's Wout rows are [u; x], rcpod's [x; u]
    model, _, _, _ = _model("lr1-sparse-list-input", seed=7)
    est = from_reservoirpy(model)
    ro = next(n for n in model.nodes if isinstance(n, Ridge))
    np.testing.assert_array_equal(est.readout_.coef_[:, :N], ro.Wout[N_IN:].T)
    np.testing.assert_array_equal(est.readout_.coef_[:, N:], ro.Wout[:N_IN].T)


def test_converted_estimator_save_load_round_trip(tmp_path):
    model, _, u, _ = _model("leaky-dense-esn-input", seed=8)
    est = from_reservoirpy(model, washout=WARMUP)
    save(est, tmp_path / "m.npz")
    back = load(tmp_path / "m.npz")
    np.testing.assert_array_equal(back.predict(u), est.predict(u))
    assert np.max(np.abs(back.predict(u) - _rpy_predict(model, u))) < 1e-10


@pytest.mark.parametrize("config", ["leaky-sparse", "leaky-dense-esn-input"])
def test_full_rank_pod_deim_reproduces_reservoirpy(config):
    model, _, u, y = _model(config, seed=9)
    ref = _rpy_predict(model, u)
    est = from_reservoirpy(model, washout=WARMUP)
    for source in (est, model):     # the converted estimator, or the reservoirpy model itself
        red = reduce(source, u, y, method="pod-deim", rank=N, n_points=N, washout=WARMUP)
        assert red.reservoir_.n_states_ == N
        assert red.include_input == est.include_input
        assert np.max(np.abs(red.predict(u) - ref)) < 1e-8


def test_reduce_takes_a_reservoirpy_model_with_washout_zero_by_default():
    model, _, u, _ = _model("leaky-sparse", seed=10)
    red = reduce(model, u, method="pod-deim", rank=20, n_points=40, check_stability=False)
    assert red.washout == 0 and red.reservoir_.n_states_ == 20


# -- what cannot be represented raises, naming the part -------------------------------------------
def _fitted(model, n_in=N_IN):
    u, y = _data(11)
    model.fit(u[:, :n_in], y, warmup=WARMUP)
    return model


def _feedback_model():
    return _fitted(reservoirpy.ESN(reservoir=_reservoir(0.5, False, 1), readout=Ridge(1e-5),
                                   feedback=True))


UNSUPPORTED = {
    "feedback": (_feedback_model, r"delay of 1 step.*feedback"),
    "activation": (lambda: _fitted(Reservoir(N, activation="sigmoid", seed=1) >> Ridge(1e-5)),
                   r"activation 'sigmoid'"),
    "per-unit leak": (lambda: _fitted(Reservoir(N, lr=np.linspace(0.1, 1, N), seed=1)
                                      >> Ridge(1e-5)), r"per-unit leak rates"),
    "zero leak": (lambda: _fitted(Reservoir(N, lr=0.0, seed=1) >> Ridge(1e-5)), r"lr = 0.0"),
    "NVAR": (lambda: NVAR(delay=2, order=2) >> Ridge(1e-5), r"\(reservoirpy NVAR\)"),
    "IPReservoir": (lambda: IPReservoir(N, seed=1) >> Ridge(1e-5), r"IPReservoir"),
    "ES2N": (lambda: ES2N(N, seed=1) >> Ridge(1e-5), r"\(reservoirpy ES2N\)"),
    "subclass": (lambda: type("MyReservoir", (Reservoir,), {})(N, seed=1) >> Ridge(1e-5),
                 r"MyReservoir"),
    "LMS": (lambda: _reservoir(0.5, False, 1) >> LMS(), r"readout LMS.*only a fitted"),
    "RLS": (lambda: _reservoir(0.5, False, 1) >> RLS(), r"readout RLS"),
    "ScikitLearnNode": (lambda: _reservoir(0.5, False, 1) >> ScikitLearnNode(SkRidge),
                        r"readout ScikitLearnNode"),
    "Output node": (lambda: reservoirpy.ESN(reservoir=_reservoir(0.5, False, 1),
                                            readout=Ridge(1e-5), return_reservoir_activity=True),
                    r"\(reservoirpy Output\)"),
    "two reservoirs": (lambda: _reservoir(0.5, False, 1) >> _reservoir(0.5, False, 2)
                       >> Ridge(1e-5), r"2 reservoirs"),
    "two readouts": (lambda: _reservoir(0.5, False, 1) >> [Ridge(1e-5, name="a"),
                                                          Ridge(1e-5, name="b")],
                     r"2 Ridge readouts"),
    "readout alone": (lambda: Ridge(1e-5), r"readout alone"),
    "NVAR node": (lambda: NVAR(delay=2, order=2), r"\(reservoirpy NVAR\)"),
}


@pytest.mark.parametrize("part", UNSUPPORTED)
def test_unsupported_parts_raise_naming_the_part(part):
    make, pattern = UNSUPPORTED[part]
    obj = make()
    with pytest.raises(UnsupportedReservoirpyError, match=pattern):
        from_reservoirpy(obj)


def test_two_model_inputs_raise():
    # the readout receives a second input source besides the reservoir's
    a, b = Input(name="a"), Input(name="b")
    res, ro = _reservoir(0.5, False, 1), Ridge(1e-5)
    model = (a >> res >> ro) & (b >> ro)
    with pytest.raises(UnsupportedReservoirpyError, match=r"2 input nodes"):
        from_reservoirpy(model)


def test_reduce_raises_the_same_error_for_an_unsupported_model():
    u, y = _data(12)
    with pytest.raises(UnsupportedReservoirpyError, match=r"feedback"):
        reduce(_feedback_model(), u, y, rank=5)


def test_unfitted_parts_raise_not_fitted():
    with pytest.raises(NotFittedError, match=r"not initialised"):
        from_reservoirpy(Reservoir(N, seed=1))
    with pytest.raises(NotFittedError, match=r"readout .* not fitted"):
        from_reservoirpy(_reservoir(0.5, False, 1) >> Ridge(1e-5))


def test_not_a_reservoirpy_object_is_a_type_error():
    with pytest.raises(TypeError, match=r"obj must be a reservoirpy"):
        from_reservoirpy(ESN(n_units=10))
    with pytest.raises(ValueError, match=r"washout"):
        from_reservoirpy(Reservoir(N, seed=1), washout=-1)


@pytest.mark.parametrize("name, value", [("noise_rc", 0.1), ("noise_in", 0.1),
                                         ("noise_fb", 0.1), ("input_bias", True),
                                         ("equation", "external"), ("Wfb", np.ones((N, 1)))])
def test_reservoirpy_04_reservoir_has_no_noise_input_bias_or_equation(name, value):
    # the converter reads W, Win, bias, lr and activation only; this guard fails (and the
    # converter must learn the parameter) if a reservoirpy release brings one of these back
    with pytest.raises(TypeError, match=name):
        Reservoir(N, **{name: value})
