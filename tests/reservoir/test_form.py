"""The leaky-tanh form: one update for the ESN and every reduced ESN."""
import dataclasses

import numpy as np
import pytest
import scipy.sparse as sp

from rcpod.reservoir import ESN
from rcpod.reservoir.form import LeakyTanhForm


def _general_form(remainder, sparse=False, seed=0):
    """A form with every part present: r = 5 states, m = 7 points, 2 inputs."""
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(7, 5)) * 0.4
    return LeakyTanhForm(A=sp.csr_matrix(A) if sparse else A, B=rng.normal(size=(7, 2)),
                         c=rng.normal(size=7) * 0.2, leak=0.6, E=rng.normal(size=(5, 7)) * 0.3,
                         L=rng.normal(size=(5, 5)) * 0.2, L_u=rng.normal(size=(5, 2)),
                         d=rng.normal(size=5) * 0.1, remainder=remainder)


def _explicit_step(f, z, u):
    """The update written out from its definition, independently of the form's code."""
    A = f.A.toarray() if sp.issparse(f.A) else f.A
    v = A @ z + f.B @ u + f.c
    h = np.tanh(v) - v if f.remainder else np.tanh(v)
    E = np.eye(len(v)) if f.E is None else f.E
    lin = sum(t for t in (None if f.L is None else f.L @ z, None if f.L_u is None else f.L_u @ u,
                          f.d) if t is not None) if (f.L is not None or f.d is not None) else 0.0
    return (1 - f.leak) * z + f.leak * (E @ h + lin)


@pytest.mark.parametrize("remainder", [False, True])
@pytest.mark.parametrize("sparse", [False, True])
def test_step_and_run_follow_the_definition(remainder, sparse):
    f = _general_form(remainder, sparse)
    rng = np.random.default_rng(1)
    u = rng.uniform(-1, 1, (30, 2))
    z = np.zeros(5)
    states = f.run(u, z)
    for k in range(30):
        z = _explicit_step(f, z, u[k])
        np.testing.assert_allclose(states[k], z, rtol=0, atol=1e-13)
        np.testing.assert_allclose(f.step(states[k - 1] if k else np.zeros(5), u[k]), states[k],
                                   rtol=0, atol=1e-14)
    # batched series share one product per step and equal the single runs
    batch = rng.uniform(-1, 1, (3, 12, 2))
    np.testing.assert_allclose(f.run(batch, np.zeros((3, 5))),
                               np.stack([f.run(b, np.zeros(5)) for b in batch]), rtol=0,
                               atol=1e-14)


@pytest.mark.parametrize("remainder", [False, True])
def test_jacobians_equal_finite_differences(remainder):
    f = _general_form(remainder)
    rng = np.random.default_rng(2)
    z, u = rng.normal(size=5) * 0.5, rng.normal(size=2) * 0.5
    Js, Ju = f.jacobians(z, u)
    eps = 1e-6
    fd_s = np.column_stack([(f.step(z + eps * e, u) - f.step(z - eps * e, u)) / (2 * eps)
                            for e in np.eye(5)])
    fd_u = np.column_stack([(f.step(z, u + eps * e) - f.step(z, u - eps * e)) / (2 * eps)
                            for e in np.eye(2)])
    np.testing.assert_allclose(Js, fd_s, atol=1e-8)
    np.testing.assert_allclose(Ju, fd_u, atol=1e-8)
    # batched points give the stacked single-point Jacobians
    Zs, Us = rng.normal(size=(4, 5)), rng.normal(size=(4, 2))
    Jb, Jub = f.jacobians(Zs, Us)
    for i in range(4):
        np.testing.assert_allclose(Jb[i], f.jacobians(Zs[i], Us[i])[0], rtol=0, atol=1e-14)
        np.testing.assert_allclose(Jub[i], f.jacobians(Zs[i], Us[i])[1], rtol=0, atol=1e-14)


def test_state_jacobian_at_slopes_is_the_jacobian_at_a_point():
    f = _general_form(True)
    z, u = np.full(5, 0.1), np.array([0.3, -0.2])
    t = np.tanh(f.preactivation(z, u))
    np.testing.assert_allclose(f.state_jacobian_at_slopes(1 - t ** 2), f.jacobians(z, u)[0],
                               rtol=0, atol=1e-14)


@pytest.mark.parametrize("dense", [False, True])
def test_esn_form_is_the_esn(dense):
    esn = ESN(n_units=40, leak_rate=0.4, bias_scaling=0.3, density=1.0 if dense else 0.1,
              random_state=3).initialize(2)
    f = esn.form()
    assert f.is_full and f.A is esn.W_ and f.B is esn.W_in_ and f.c is esn.bias_
    u = np.random.default_rng(0).uniform(-1, 1, (50, 2))
    # the compiled kernels against the form's numpy loop (the reference)
    np.testing.assert_allclose(esn.run(u), f.run(u, np.zeros(40)), rtol=0, atol=1e-13)
    x = esn.run(u)[-1]
    np.testing.assert_allclose(esn.step(x, u[0]), f.step(x, u[0]), rtol=0, atol=1e-14)
    np.testing.assert_allclose(f.step(x, u[0]), _explicit_step(f, x, u[0]), rtol=0, atol=1e-14)


def test_float32_form_computes_in_float32():
    esn = ESN(n_units=20, leak_rate=0.7, dtype="float32", random_state=0).initialize(1)
    f = esn.form()
    assert f.dtype == np.float32 and f.leak == 0.7
    out = f.run(np.ones((5, 1), dtype=np.float32), np.zeros(20, dtype=np.float32))
    assert out.dtype == np.float32
    f64 = f.astype(np.float64)
    assert f64.dtype == np.float64 and f64.A.dtype == np.float64 and f64.leak == 0.7


def test_casadi_expression_equals_the_step():
    ca = pytest.importorskip("casadi")
    for remainder in (False, True):
        f = _general_form(remainder, sparse=True)
        fun = f.to_casadi()
        z, u = np.linspace(-0.5, 0.5, 5), np.array([0.2, -0.4])
        np.testing.assert_allclose(np.asarray(fun(z, u)).ravel(), f.step(z, u), rtol=0,
                                   atol=1e-14)
        assert isinstance(fun, ca.Function)


def test_form_is_immutable_and_checks_shapes():
    f = _general_form(False)
    with pytest.raises(dataclasses.FrozenInstanceError):
        f.leak = 0.5
    with pytest.raises(ValueError, match="A must be square"):
        LeakyTanhForm(A=np.zeros((3, 2)), B=np.zeros((3, 1)), c=np.zeros(3), leak=1.0)
    with pytest.raises(ValueError, match="E must have shape"):
        LeakyTanhForm(A=np.zeros((3, 2)), B=np.zeros((3, 1)), c=np.zeros(3), leak=1.0,
                      E=np.zeros((3, 3)))
    with pytest.raises(ValueError, match="c must have shape"):
        LeakyTanhForm(A=np.zeros((3, 3)), B=np.zeros((3, 1)), c=np.zeros(2), leak=1.0)


def test_bad_operands_are_named():
    f = _general_form(False)
    with pytest.raises(ValueError, match="z must have shape"):
        f.step(np.zeros(4), np.zeros(2))
    with pytest.raises(ValueError, match="u must have shape"):
        f.jacobians(np.zeros(5), np.zeros(3))
    with pytest.raises(ValueError, match="inputs must have shape"):
        f.run(np.zeros((10, 3)), np.zeros(5))
    with pytest.raises(ValueError, match="state0 must have shape"):
        f.run(np.zeros((2, 10, 2)), np.zeros(5))
    with pytest.raises(ValueError, match="finite"):
        f.run(np.full((10, 2), np.nan), np.zeros(5))


def test_preactivation_into_out_is_the_expression_and_checks_out():
    form = ESN(n_units=15, random_state=0).initialize(2).form()
    rng = np.random.default_rng(0)
    z, u = rng.normal(size=(7, 15)), rng.normal(size=(7, 2))
    out = np.empty((7, 15))
    assert form.preactivation(z, u, out=out) is out
    np.testing.assert_array_equal(out, form.preactivation(z, u))
    with pytest.raises(ValueError, match=r"out must be an array of shape \(7, 15\)"):
        form.preactivation(z, u, out=np.empty((6, 15)))
