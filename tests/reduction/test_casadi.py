"""CasADi export: evaluations match the numpy step; CasADi's AD matches the analytic Jacobians."""
import sys

import numpy as np
import pytest

from rcpod.reduction import collect_snapshots, jacobian_state, pod, reduce, to_casadi
from rcpod.reduction import (DEIMReservoir, LinearizedDEIMReservoir, PODReservoir,
                       StabilizedDEIMReservoir, qdeim)

ca = pytest.importorskip("casadi")


@pytest.fixture(scope="module")
def reservoirs(esn, inputs):
    snaps = collect_snapshots(esn, inputs)
    Psi, _ = pod(snaps.states, rank=6, center=True)
    mean = snaps.states.mean(axis=1)
    U, _ = pod(snaps.nonlinear, rank=10)
    G, _ = pod(snaps.remainder, rank=10)
    return [esn, PODReservoir.from_esn(esn, Psi, mean=mean),
            DEIMReservoir.from_esn(esn, Psi, U, qdeim(U, n_points=14), mean=mean),
            StabilizedDEIMReservoir.from_esn(esn, Psi, G, qdeim(G), mean=mean),
            LinearizedDEIMReservoir.from_esn(esn, Psi, G, qdeim(G), *snaps.linearization()[:2],
                                             mean=mean)]


@pytest.mark.parametrize("i", range(5))
def test_step_matches_numpy(reservoirs, inputs, i):
    res = reservoirs[i]
    f = to_casadi(res)
    X = res.run(inputs[:30])
    for k in (3, 17, 29):
        xn, y = f(X[k - 1], inputs[k])
        np.testing.assert_allclose(np.array(xn).ravel(), X[k], atol=1e-12, rtol=0)
        np.testing.assert_allclose(np.array(y).ravel(), X[k - 1], atol=1e-15)
    # CasADi's exact derivative equals the analytic Jacobian
    x, u = ca.MX.sym("x", res.n_states_), ca.MX.sym("u", 2)
    jf = ca.Function("j", [x, u], [ca.jacobian(f(x, u)[0], x)])
    np.testing.assert_allclose(np.array(jf(X[5], inputs[6])), jacobian_state(res, X[5], inputs[6]),
                               atol=1e-12)


@pytest.mark.parametrize("method", ["pod", "pod-deim-stabilized"])
@pytest.mark.parametrize("include_input", [False, True])
def test_estimator_outputs_match_predict(method, include_input):
    from rcpod.reservoir import ESNRegressor
    rng = np.random.default_rng(0)
    u = rng.uniform(-1, 1, (300, 2))
    y = np.column_stack([np.roll(u[:, 0], 1) * u[:, 1], u[:, 0] ** 2])
    est = ESNRegressor(n_units=25, leak_rate=0.8, bias_scaling=0.2, washout=20,
                       include_input=include_input, random_state=0).fit(u, y)
    red = reduce(est, u, method=method, rank=8, check_stability=False)
    for model in (est, red):
        f = to_casadi(model)
        states = model.reservoir_.run(u[:40])
        pred = model.predict(u[:40])
        z = model.reservoir_.initial_state()
        for k in range(40):
            z = np.array(f(z, u[k])[0]).ravel()
            np.testing.assert_allclose(z, states[k], atol=1e-12, rtol=0)
            # y is the readout of the state argument (and of the input when include_input)
            yk = np.array(f(states[k], u[k])[1]).ravel()
            np.testing.assert_allclose(yk, pred[k], atol=1e-10, rtol=0)


def test_one_dimensional_target():
    from rcpod.reservoir import ESNRegressor
    u = np.random.default_rng(0).uniform(-1, 1, (200, 1))
    est = ESNRegressor(n_units=20, random_state=0).fit(u, np.roll(u[:, 0], 1))
    f = to_casadi(est)
    x = est.reservoir_.run(u[:10])[-1]
    assert f.size_out(1) == (1, 1)
    np.testing.assert_allclose(float(f(x, u[9])[1]), est.predict(u[:10])[-1], atol=1e-12)


def test_missing_casadi_message(monkeypatch, esn):
    monkeypatch.setitem(sys.modules, "casadi", None)
    with pytest.raises(ImportError, match=r"rcpod\[mpc\]"):
        to_casadi(esn)


def test_bad_model():
    with pytest.raises(TypeError, match="ESN"):
        to_casadi(42)
