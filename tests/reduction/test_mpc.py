"""Output-tracking MPC (rcpod.reduction.mpc): closed forms, hard constraints, offset-free, errors."""
import sys

import numpy as np
import pytest

ca = pytest.importorskip("casadi")

from rcpod.reduction.mpc import (OffsetFreeMPC, TrackingMPC, import_casadi, prediction_step,
                           rollout, state_space_function)

# a stable, coupled 2x2 plant (x+ = A x + B u, y = C x)
A = np.array([[0.85, 0.10], [0.00, 0.70]])
B = np.array([[0.20, 0.05], [0.10, 0.30]])
C = np.eye(2)
GAIN = C @ np.linalg.solve(np.eye(2) - A, B)   # steady-state gain


@pytest.fixture(scope="module")
def lin():
    return state_space_function(A, B, C)


def _prediction_matrices(A, B, C, H, blocks, timing):
    """y_j = Phi_j x0 + Gamma_j vec(U_blocks) for the after / before output timing (numpy)."""
    n_x, n_u = B.shape
    n_b = len(blocks)
    block_of = np.repeat(np.arange(n_b), blocks)
    Phi, Gam = [], []
    Px, Gx = np.eye(n_x), np.zeros((n_x, n_u * n_b))
    for j in range(H):
        Sel = np.zeros((n_u, n_u * n_b))
        Sel[:, block_of[j] * n_u:(block_of[j] + 1) * n_u] = np.eye(n_u)
        if timing == "before":
            Phi.append(C @ Px)
            Gam.append(C @ Gx)
        Px, Gx = A @ Px, A @ Gx + B @ Sel
        if timing == "after":
            Phi.append(C @ Px)
            Gam.append(C @ Gx)
    return np.vstack(Phi), np.vstack(Gam)


@pytest.mark.parametrize("shooting,hessian,timing", [
    ("single", "exact", "after"), ("single", "gauss-newton", "before"),
    ("multiple", "exact", "before"), ("multiple", "gauss-newton", "after")])
def test_unconstrained_plan_equals_least_squares(lin, shooting, hessian, timing):
    """Without active constraints the plan is the closed-form least-squares solution."""
    H, blocks, R = 8, [1, 2, 5], 0.05
    mpc = TrackingMPC(lin, H, -np.inf, np.inf, shooting=shooting, hessian=hessian,
                      output_timing=timing, move_blocks=blocks, Q=[1.0, 2.0], R=R, tol=1e-10)
    x0, u_prev, r, d = np.array([0.3, -0.2]), np.array([0.1, 0.4]), np.array([1.0, -0.5]), \
        np.array([0.05, -0.02])
    res = mpc.solve(x0, u_prev, r, d)
    Phi, Gam = _prediction_matrices(A, B, C, H, blocks, timing)
    w = np.tile(np.sqrt([1.0, 2.0]), H)
    # differences of the blocks: D vec(U) - [u_prev; 0; ...]
    n_b, n_u = len(blocks), 2
    Dm = np.eye(n_u * n_b) - np.eye(n_u * n_b, k=-n_u)
    e0 = np.concatenate([u_prev, np.zeros(n_u * (n_b - 1))])
    lhs = np.vstack([w[:, None] * Gam, np.sqrt(R) * Dm])
    rhs = np.concatenate([w * (np.tile(r, H) - np.tile(d, H) - Phi @ x0), np.sqrt(R) * e0])
    theta = np.linalg.lstsq(lhs, rhs, rcond=None)[0]
    expected = theta.reshape(n_b, n_u)[np.repeat(np.arange(n_b), blocks)]
    assert res.success
    np.testing.assert_allclose(res.u_plan, expected, atol=1e-6)
    np.testing.assert_allclose(res.u, expected[0], atol=1e-6)
    # the plan's outputs are the model's
    np.testing.assert_allclose(res.y_plan.ravel(), Phi @ x0 + Gam @ theta, atol=1e-6)


def _closed_loop(mpc, plant_B, r, n_steps, d_out=np.zeros(2), offset_free=True):
    x, u = np.zeros(2), np.zeros(2)
    ctl = OffsetFreeMPC(mpc, np.zeros(2), np.zeros(2))
    Y, U = [], []
    for _ in range(n_steps):
        y = C @ x + d_out
        if offset_free:
            ctl.measure(y)
        res = ctl.control(r)
        u = res.u
        x = A @ x + plant_B @ u
        Y.append(C @ x + d_out)
        U.append(u)
    return np.array(Y), np.array(U)


@pytest.mark.parametrize("shooting", ["single", "multiple"])
def test_tracks_and_respects_bounds_and_rate_limits(lin, shooting):
    lo, hi, du = np.array([-1.0, -0.5]), np.array([1.0, 0.5]), np.array([0.15, 0.1])
    r = GAIN @ np.array([0.9, 0.45])            # reachable, close to the bounds
    mpc = TrackingMPC(lin, 15, lo, hi, du, move_blocks=[1, 1, 2, 11], R=0.01,
                      shooting=shooting)
    Y, U = _closed_loop(mpc, B, r, 60)
    dU = np.abs(np.diff(np.vstack([np.zeros(2), U]), axis=0))
    assert np.all(U >= lo - 1e-6) and np.all(U <= hi + 1e-6)
    assert np.all(dU <= du + 1e-6)
    # the constraints were active (the test is not trivially satisfied)
    assert np.any(np.isclose(dU, du, atol=1e-6))
    r_far = GAIN @ np.array([2.0, 2.0])         # unreachable: inputs must sit on their bounds
    Y2, U2 = _closed_loop(mpc, B, r_far, 40)
    assert np.all(U2 >= lo - 1e-6) and np.all(U2 <= hi + 1e-6)
    np.testing.assert_allclose(U2[-1], hi, atol=1e-4)
    np.testing.assert_allclose(Y[-1], r, atol=1e-4)
    # the whole optimal plan (not only the applied, projected move) satisfies the constraints
    mpc.reset()
    res = mpc.solve(np.zeros(2), np.zeros(2), r_far)
    assert np.all(res.u_plan >= lo - 1e-6) and np.all(res.u_plan <= hi + 1e-6)
    assert np.all(np.abs(np.diff(np.vstack([np.zeros(2), res.u_plan]), axis=0)) <= du + 1e-6)
    assert res.correction <= 1e-6


def test_offset_free_removes_model_mismatch(lin):
    """Plant gain 30 % higher than the model's plus an output bias: offset-free control reaches
    the setpoint, the same MPC without the disturbance estimate keeps a steady offset."""
    mpc = TrackingMPC(lin, 12, -2, 2, 0.5, move_blocks=[1, 2, 9], R=0.01)
    r = np.array([0.8, -0.4])
    d_out = np.array([0.1, -0.05])
    Y, _ = _closed_loop(mpc, 1.3 * B, r, 80, d_out)
    np.testing.assert_allclose(Y[-1], r, atol=1e-4)
    mpc.reset()
    Y0, _ = _closed_loop(mpc, 1.3 * B, r, 80, d_out, offset_free=False)
    assert np.max(np.abs(Y0[-1] - r)) > 1e-2


def test_move_blocking_and_esn_convention():
    """ESN from to_casadi ("after" timing): rollout reproduces predict; the plan is blockwise
    constant; the MPC drives the ESN (as its own plant) to a reachable setpoint."""
    from rcpod.reduction import to_casadi
    from rcpod.reservoir import ESNRegressor
    rng = np.random.default_rng(0)
    u = rng.uniform(-1, 1, (400, 2))
    y = np.column_stack([np.convolve(u[:, 0], np.ones(5) / 5, "same"), 0.5 * u[:, 1]])
    est = ESNRegressor(n_units=30, leak_rate=0.5, spectral_radius=0.8, input_scaling=0.5,
                       bias_scaling=0.2, include_input=True, washout=20, random_state=0).fit(u, y)
    f = to_casadi(est)
    x0 = est.reservoir_.initial_state() if hasattr(est.reservoir_, "initial_state") \
        else np.zeros(30)
    X, Yr = rollout(f, x0, u[:50])
    np.testing.assert_allclose(Yr, est.predict(u[:50]), atol=1e-10)
    np.testing.assert_allclose(X, est.reservoir_.run(u[:50]), atol=1e-12)
    blocks = [1, 3, 6]
    mpc = TrackingMPC(f, 10, -1, 1, 0.3, move_blocks=blocks, R=0.01)
    target = est.predict(np.tile([0.3, -0.4], (60, 1)))[-1]    # reachable steady output
    ctl = OffsetFreeMPC.from_history(mpc, u[:50], x0)
    for _ in range(40):
        ctl.measure(ctl.y_model_)                 # plant = model: d stays 0
        res = ctl.control(target)
    assert np.all(res.u_plan[1:4] == res.u_plan[1]) and np.all(res.u_plan[4:] == res.u_plan[4])
    np.testing.assert_allclose(ctl.y_model_, target, atol=1e-3)
    np.testing.assert_allclose(ctl.disturbance_, 0, atol=1e-12)


def test_rollout_before_timing_and_from_history(lin):
    Dm = np.array([[0.5, 0.0], [0.0, -0.2]])
    f = state_space_function(A, B, C, Dm, state_offset=[0.01, 0.0], output_offset=[1.0, 2.0])
    U = np.random.default_rng(1).uniform(-1, 1, (20, 2))
    x = np.array([0.2, 0.1])
    Xr, Yr = rollout(f, x, U, output_timing="before")
    for k in range(20):
        np.testing.assert_allclose(Yr[k], C @ x + Dm @ U[k] + [1.0, 2.0], atol=1e-12)
        x = A @ x + B @ U[k] + [0.01, 0.0]
        np.testing.assert_allclose(Xr[k], x, atol=1e-12)
    mpc = TrackingMPC(f, 5, -1, 1, output_timing="before")
    ctl = OffsetFreeMPC.from_history(mpc, U, [0.2, 0.1])
    np.testing.assert_allclose(ctl.state_, Xr[-1], atol=1e-12)
    np.testing.assert_allclose(ctl.y_model_, Yr[-1], atol=1e-12)   # output of the last interval
    step = prediction_step(f, output_timing="before")
    np.testing.assert_allclose(np.array(step(Xr[-2], U[-1])[1]).ravel(), Yr[-1], atol=1e-12)


# -- errors ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("horizon,exc", [(0, ValueError), (-3, ValueError), (2.5, TypeError),
                                         (True, TypeError), ("10", TypeError)])
def test_bad_horizon(lin, horizon, exc):
    with pytest.raises(exc, match="horizon"):
        TrackingMPC(lin, horizon, -1, 1)


@pytest.mark.parametrize("kwargs,match", [
    (dict(u_lower=[0.0, 1.0], u_upper=[1.0, 0.5]), "u_lower must not exceed u_upper"),
    (dict(u_lower=[np.nan, 0.0], u_upper=1.0), "u_lower"),
    (dict(u_lower=[0, 0, 0], u_upper=1.0), r"u_lower must have shape \(2,\)"),
    (dict(du_max=0.0), "du_max must be positive"),
    (dict(du_max=[0.1, -1.0]), "du_max must be positive"),
    (dict(tracked=[0, 2]), "tracked"),
    (dict(tracked=[1, 1]), "tracked"),
    (dict(Q=[1.0, -1.0]), "Q must be non-negative"),
    (dict(R=[1.0, 2.0, 3.0]), "R must have shape"),
    (dict(move_blocks=[2, 2]), "move_blocks"),
    (dict(move_blocks=11), "move_blocks"),
    (dict(shooting="double"), "shooting"),
    (dict(hessian="bfgs"), "hessian"),
    (dict(output_timing="during"), "output_timing"),
])
def test_bad_construction_arguments(lin, kwargs, match):
    args = dict(u_lower=-1.0, u_upper=1.0)
    args.update(kwargs)
    lo, hi = args.pop("u_lower"), args.pop("u_upper")
    with pytest.raises(ValueError, match=match):
        TrackingMPC(lin, 10, lo, hi, **args)


@pytest.mark.parametrize("kwargs,match", [
    (dict(tol="1e-8"), "^tol must be a finite float"),
    (dict(max_iter=10.0), "^max_iter must be an int"),
    (dict(move_blocks=[2.0, 8]), r"^move_blocks\[0\] must be an int"),
    (dict(move_blocks="ab"), r"^move_blocks\[0\] must be an int"),
    (dict(shooting=2), "^shooting must be one of"),
    (dict(Q=["a", "b"]), "^Q must be a numeric array"),
])
def test_wrong_argument_types_raise_type_error(lin, kwargs, match):
    with pytest.raises(TypeError, match=match):
        TrackingMPC(lin, 10, -1.0, 1.0, **kwargs)


def test_offset_free_mpc_checks_disturbance_filter(lin):
    mpc = TrackingMPC(lin, 4, -1.0, 1.0)
    with pytest.raises(ValueError, match="^disturbance_filter == 1.0, must be < 1"):
        OffsetFreeMPC(mpc, [0.0, 0.0], [0.0, 0.0], disturbance_filter=1.0)
    with pytest.raises(TypeError, match="^disturbance_filter must be a finite float"):
        OffsetFreeMPC(mpc, [0.0, 0.0], [0.0, 0.0], disturbance_filter=None)


def test_bad_model():
    with pytest.raises(TypeError, match="casadi.Function"):
        TrackingMPC(lambda x, u: (x, u), 5, -1, 1)
    x = ca.SX.sym("x", 2)
    with pytest.raises(ValueError, match="2 inputs"):
        TrackingMPC(ca.Function("g", [x], [x, x]), 5, -1, 1)
    u = ca.SX.sym("u", 1)
    with pytest.raises(ValueError, match="x_next"):
        TrackingMPC(ca.Function("g", [x, u], [x[0], x]), 5, -1, 1)


@pytest.fixture(scope="module")
def mpc(lin):
    return TrackingMPC(lin, 6, -1, 1, 0.2, move_blocks=[1, 5])


@pytest.mark.parametrize("args,match", [
    (dict(x0=[0.0]), "x0 must have shape"),
    (dict(x0=[0.0, np.inf]), "x0 contains NaN or infinity"),
    (dict(u_prev=[0.0, 0.0, 0.0]), "u_prev must have shape"),
    (dict(setpoint=[np.nan, 0.0]), "setpoint contains NaN"),
    (dict(setpoint=[0.0, 0.0, 0.0]), "setpoint must have shape"),
    (dict(setpoint=np.zeros((5, 2))), "setpoint must have shape"),
    (dict(disturbance=[0.0]), "disturbance must have shape"),
    (dict(disturbance=[np.nan, 0.0]), "disturbance contains NaN"),
    (dict(u_prev=[1.5, 0.0]), "infeasible"),     # 0.5 outside the bounds, rate limit 0.2
])
def test_bad_solve_arguments(mpc, args, match):
    call = dict(x0=[0.0, 0.0], u_prev=[0.0, 0.0], setpoint=[0.1, 0.1])
    call.update(args)
    with pytest.raises(ValueError, match=match):
        mpc.solve(**call)


def test_setpoint_trajectory_and_u_prev_outside_bounds_but_reachable(mpc):
    res = mpc.solve([0.0, 0.0], [1.1, 0.0], np.tile([0.1, 0.1], (6, 1)))
    assert 0.9 - 1e-9 <= res.u[0] <= 1.0      # back inside within one rate-limited move


def test_casadi_missing_raises_import_error_naming_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "casadi", None)
    for call in (lambda: import_casadi(), lambda: TrackingMPC(None, 5, -1, 1),
                 lambda: state_space_function(A, B, C), lambda: rollout(None, [0], [[0]])):
        with pytest.raises(ImportError, match=r"rcpod\[mpc\]"):
            call()


@pytest.mark.slow
def test_example_smoke(tmp_path):
    """examples/mpc_oil_platform.py at its tiny --smoke size: the reproduce.py contract, and no
    bound or rate violation in any closed loop."""
    import json

    from rcpod.examples import mpc_oil_platform
    out = tmp_path / "mpc"
    result = mpc_oil_platform.main(["--smoke", "--out", str(out)])
    for key in ("tables", "notes", "figures", "seeds", "command"):
        assert key in result
    for table in result["tables"]:
        assert all(len(row) == len(table["columns"]) for row in table["rows"])
    for fig in result["figures"]:
        assert (out / fig).is_file()
    assert json.loads((out / "results.json").read_text())["seeds"] == result["seeds"]
    assert set(result["scores"]) == {"full ESN", "reduced ESN", "reduced ESN (accurate)", "ARX"}
    for s in result["scores"].values():
        assert s["steps"] == mpc_oil_platform.SMOKE["n_steps"] and s["status"] == "ok"
        assert s["bound_violations"] == 0 and s["rate_violations"] == 0
        assert np.isfinite(s["iae"]) and s["iae"] > 0
