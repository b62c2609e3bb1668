"""Analytic step Jacobians against central finite differences."""
import numpy as np
import pytest

from rcpod.reservoir import ESN
from rcpod.reduction import (DEIMReservoir, LinearizedDEIMReservoir, PODReservoir,
                       StabilizedDEIMReservoir, collect_snapshots, jacobian_input, jacobian_state,
                       pod, qdeim, step_jacobians)


def _fd(f, x, h=1e-6):
    cols = []
    for i in range(x.size):
        e = np.zeros_like(x)
        e[i] = h
        cols.append((f(x + e) - f(x - e)) / (2 * h))
    return np.stack(cols, axis=-1)


def _rel(a, b):
    return np.linalg.norm(a - b) / np.linalg.norm(b)


@pytest.fixture(scope="module")
def models(esn, inputs):
    snaps = collect_snapshots(esn, inputs)
    Psi, _ = pod(snaps.states, rank=7, center=True)
    mean = snaps.states.mean(axis=1)
    U, _ = pod(snaps.nonlinear, rank=12)
    G, _ = pod(snaps.remainder, rank=12)
    D, e, lin_rem = snaps.linearization()
    H, _ = pod(lin_rem, rank=12)
    dense = ESN.from_weights(esn.W_.toarray(), esn.W_in_, esn.bias_, leak_rate=esn.leak_rate)
    return {
        "esn": esn,
        "esn-dense": dense,
        "pod": PODReservoir.from_esn(esn, Psi, mean=mean),
        "deim": DEIMReservoir.from_esn(esn, Psi, U, qdeim(U), mean=mean),
        "stab": StabilizedDEIMReservoir.from_esn(esn, Psi, G, qdeim(G), mean=mean),
        "lin": LinearizedDEIMReservoir.from_esn(esn, Psi, H, qdeim(H, n_points=15), D, e,
                                                mean=mean, nl_snapshots=lin_rem),
    }


@pytest.mark.parametrize("name", ["esn", "esn-dense", "pod", "deim", "stab", "lin"])
def test_jacobians_match_finite_differences(models, inputs, name):
    res = models[name]
    rng = np.random.default_rng(5)
    states = res.run(inputs[:60])
    for k in (10, 35, 59):
        x = states[k - 1] + 0.05 * rng.normal(size=res.n_states_)
        u = inputs[k] * 1.5
        Js = jacobian_state(res, x, u)
        Ju = jacobian_input(res, x, u)
        assert Js.shape == (res.n_states_, res.n_states_) and Ju.shape == (res.n_states_, 2)
        assert _rel(Js, _fd(lambda xx: res._step(xx, u), x)) < 1e-6
        assert _rel(Ju, _fd(lambda uu: res._step(x, uu), u)) < 1e-6


@pytest.mark.parametrize("name", ["esn", "stab"])
def test_batched_jacobians(models, inputs, name):
    res = models[name]
    X = res.run(inputs[:20])
    Js, Ju = step_jacobians(res, X[:-1], inputs[1:20])
    assert Js.shape == (19, res.n_states_, res.n_states_)
    for k in (0, 7, 18):
        np.testing.assert_allclose(Js[k], jacobian_state(res, X[k], inputs[k + 1]), atol=1e-14)
        np.testing.assert_allclose(Ju[k], jacobian_input(res, X[k], inputs[k + 1]), atol=1e-14)


def test_full_rank_reduced_jacobian_is_similar_to_full(esn, inputs):
    snaps = collect_snapshots(esn, inputs)
    Psi, _ = pod(snaps.states, rank=30)
    U, _ = pod(snaps.nonlinear, rank=30)
    red = DEIMReservoir.from_esn(esn, Psi, U, qdeim(U))
    x = esn.run(inputs[:10])[-1]
    Jz = jacobian_state(red, red.project(x), inputs[10])
    np.testing.assert_allclose(Psi @ Jz @ Psi.T, jacobian_state(esn, x, inputs[10]), atol=1e-10)


def test_estimator_accepted_and_errors(fitted, esn):
    est, u, _ = fitted
    x = np.zeros(40)
    np.testing.assert_allclose(jacobian_state(est, x, u[0]),
                               jacobian_state(est.reservoir_, x, u[0]))
    with pytest.raises(ValueError, match="state must have shape"):
        jacobian_state(esn, np.zeros(3), np.zeros(2))
    with pytest.raises(ValueError, match="u must have shape"):
        jacobian_input(esn, np.zeros(30), np.zeros(3))
    with pytest.raises(ValueError, match="finite"):
        jacobian_state(esn, np.full(30, np.nan), np.zeros(2))
    with pytest.raises(TypeError, match="ESN"):
        jacobian_state(object(), np.zeros(3), np.zeros(1))
