"""to_do_mpc: the do-mpc model against the numpy step and readout, and do-mpc's own MPC in closed
loop against TrackingMPC on the same model and scenario."""
import sys

import numpy as np
import pytest

pytest.importorskip("do_mpc")
ca = pytest.importorskip("casadi")

from rcpod.reduction import (OffsetFreeMPC, TrackingMPC, reduce, to_casadi,  # noqa: E402
                             to_do_mpc)
from rcpod.reservoir import ESNRegressor  # noqa: E402


@pytest.fixture(scope="module")
def models():
    """A 2-input, 2-output ESN with input feed-through (trained on a smooth nonlinear plant,
    inputs held for 5 samples) and its accurate reduction."""
    rng = np.random.default_rng(0)
    u = np.repeat(rng.uniform(-1, 1, (120, 2)), 5, axis=0)
    y = np.zeros((600, 2))
    for k in range(1, 600):
        y[k, 0] = 0.7 * y[k - 1, 0] + 0.3 * (u[k, 0] + 0.3 * u[k, 1] ** 2)
        y[k, 1] = 0.8 * y[k - 1, 1] + 0.2 * np.tanh(u[k, 1] - 0.5 * u[k, 0])
    est = ESNRegressor(n_units=40, leak_rate=0.7, bias_scaling=0.2, washout=30,
                       include_input=True, ridge=1e-6, random_state=0).fit(u[:500], y[:500])
    red = reduce(est, u[:500], y[:500], sampling="qdeim", nonlinearity="linearized",
                 basis="output-weighted", nl_fit="lstsq", rank=12, n_points=24,
                 check_stability=False, output_tol=None)
    return est, red, u


def _functions(m):
    """(x, u) -> (rhs, measurement, y_next) of a set-up do-mpc model (no p, tvp, z)."""
    return ca.Function("f", [m.x, m.u], [m._rhs, m._y_expression, m.aux["y_next"]])


@pytest.mark.parametrize("which", ["full", "reduced"])
@pytest.mark.parametrize("symvar_type", ["SX", "MX"])
def test_rhs_and_outputs_match_numpy(models, which, symvar_type):
    est, red, u = models
    model = est if which == "full" else red
    m = to_do_mpc(model, symvar_type=symvar_type)
    res = model.reservoir_
    form = res.form()
    states = res.run(u[:30])
    pred = model.predict(u[:30])
    f = _functions(m)
    for k in range(1, 30):
        rhs, y_now, y_next = (np.asarray(v).ravel() for v in f(states[k - 1], u[k]))
        np.testing.assert_allclose(rhs, form.step(states[k - 1], u[k]), rtol=0, atol=1e-12)
        np.testing.assert_allclose(rhs, states[k], rtol=0, atol=1e-12)
        # the output the move produces is the estimator's prediction
        np.testing.assert_allclose(y_next, pred[k], rtol=0, atol=1e-10)
        np.testing.assert_allclose(y_now, to_casadi(model)(states[k - 1], u[k])[1].full().ravel(),
                                   rtol=0, atol=1e-12)


def test_simulator_reproduces_predict(models):
    """do-mpc's own Simulator on the exported model follows the estimator."""
    import do_mpc
    _, red, u = models
    m = to_do_mpc(red, input_names=["a", "b"], output_names=["p", "q"])
    sim = do_mpc.simulator.Simulator(m)
    sim.set_param(t_step=1.0)
    sim.setup()
    sim.x0 = red.reservoir_.initial_state()
    states, pred = red.reservoir_.run(u[:20]), red.predict(u[:20])
    for k in range(20):
        y = sim.make_step(u[k][:, None]).ravel()
        np.testing.assert_allclose(np.asarray(sim.x0.cat).ravel(), states[k], rtol=0, atol=1e-12)
        np.testing.assert_allclose(y, pred[k], rtol=0, atol=1e-10)


def test_names_and_bare_reservoir(models):
    est, _, _ = models
    m = to_do_mpc(est, input_names=["valve", "pump"], output_names=["level", "flow"],
                  state_name="z")
    assert m.model_type == "discrete"
    assert list(m.x.keys()) == ["z"] and (m.n_x, m.n_u, m.n_y) == (40, 2, 2)
    assert list(m.u.keys())[1:] == ["valve", "pump"]
    assert list(m.y.keys())[1:] == ["level", "flow"]
    assert list(m.aux.keys())[1:] == ["level_next", "flow_next"]
    bare = to_do_mpc(est.reservoir_)            # outputs are the states
    assert bare.n_y == 40


def test_bad_input(models):
    est, _, _ = models
    with pytest.raises(ValueError, match="input_names"):
        to_do_mpc(est, input_names=["a"])
    with pytest.raises(ValueError, match="output_names"):
        to_do_mpc(est, output_names=["a", "a"])
    with pytest.raises(TypeError, match="input_names"):
        to_do_mpc(est, input_names="ab")
    with pytest.raises(ValueError, match="symvar_type"):
        to_do_mpc(est, symvar_type="DM")
    with pytest.raises(TypeError, match="model"):
        to_do_mpc(object())


def test_missing_do_mpc_names_the_extra(monkeypatch, models):
    monkeypatch.setitem(sys.modules, "do_mpc", None)
    with pytest.raises(ImportError, match=r"rcpod\[dompc\]"):
        to_do_mpc(models[0])


def _closed_loop(ctl, plant, x_plant, setpoints):
    """Run ``ctl`` (measure / control / disturbance_) on the full ESN as plant; IAE and inputs."""
    res = plant.reservoir_
    C, c = plant.readout_.coef_, plant.readout_.intercept_
    n = res.n_states_
    y = C[:, :n] @ x_plant + C[:, n:] @ ctl.u_last_ + c
    err, inputs = 0.0, []
    for r in setpoints:
        ctl.measure(y)
        u = ctl.control(r).u
        x_plant = res.form().step(x_plant, u)
        y = C[:, :n] @ x_plant + C[:, n:] @ u + c
        err += float(np.abs(y[0] - r[0]))
        inputs.append(u)
    return err, np.array(inputs)


def test_closed_loop_iae_matches_tracking_mpc(models):
    """do-mpc's MPC and TrackingMPC (no move blocking, same cost, bounds and rate limits) on the
    reduced model, the full ESN as plant: the same tracking error within 10 %."""
    from rcpod.examples.mpc_do_mpc import DoMPCTracker
    est, red, u = models
    u0 = np.zeros(2)
    warm = np.vstack([u[:100], np.tile(u0, (20, 1))])
    x_red, x_plant = red.reservoir_.run(warm)[-1], est.reservoir_.run(warm)[-1]
    y0 = est.predict(warm)[-1]
    setpoints = np.tile(y0[:1], (15, 1))
    setpoints[3:] += 0.15
    common = dict(Q=1.0, R=0.1, tol=1e-8, max_iter=100)
    lo, hi, du = -np.ones(2), np.ones(2), np.full(2, 0.3)
    mpc = TrackingMPC(to_casadi(red), 8, lo, hi, du, tracked=[0], **common)
    ref = OffsetFreeMPC(mpc, x_red, u0)
    dompc = DoMPCTracker(red, 8, lo, hi, du, [0], x_red, u0, **common)
    iae_ref, u_ref = _closed_loop(ref, est, x_plant, setpoints)
    iae_do, u_do = _closed_loop(dompc, est, x_plant, setpoints)
    assert iae_do == pytest.approx(iae_ref, rel=0.1)
    np.testing.assert_allclose(u_do, u_ref, rtol=0, atol=1e-5)   # the same optimum (tol 1e-8)
    assert np.all(np.abs(np.diff(np.vstack([u0, u_do]), axis=0)) <= du + 1e-9)
    assert np.all((u_do >= lo - 1e-9) & (u_do <= hi + 1e-9))
    assert iae_ref > 0.05                     # the set-point step was actually tracked


@pytest.mark.slow
def test_example_smoke(tmp_path):
    """examples/mpc_do_mpc.py at its --smoke size: the three closed loops run, do-mpc's IAE is
    within 10 % of TrackingMPC's on the same problem, no constraint violations."""
    from rcpod.examples import mpc_do_mpc
    result = mpc_do_mpc.main(["--smoke", "--out", str(tmp_path)])
    assert set(result["scores"]) == set(mpc_do_mpc.RUNS)
    for s in result["scores"].values():
        assert s["status"] == "ok" and s["failures"] == 0
        assert s["bound_violations"] == 0 and s["rate_violations"] == 0
    assert result["must_show"]["passed"]
    assert (tmp_path / "results.json").is_file()


def test_unfitted_or_foreign_models_are_refused():
    from sklearn.exceptions import NotFittedError
    from rcpod.reservoir import ESN
    with pytest.raises(NotFittedError, match="not initialized"):
        to_do_mpc(ESN(n_units=5))
    with pytest.raises(TypeError, match="model must be"):
        to_do_mpc(object())
