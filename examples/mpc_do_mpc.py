"""do-mpc's own MPC next to rcpod's TrackingMPC on the oil-platform scenario, with a reduced ESN.

    python examples/mpc_do_mpc.py            # the scenario of mpc_oil_platform.py (340 samples)
    python examples/mpc_do_mpc.py --quick    # its quick preset (90 samples)
    python examples/mpc_do_mpc.py --out DIR  # default results/mpc_do_mpc

Protocol: plant, identification data, models, history, setpoint schedule, bounds, rate limits,
cost weights and the offset-free output-disturbance estimate are those of
``examples/mpc_oil_platform.py`` (imported from it, not copied). The prediction model is its
reduced ESN; it enters do-mpc through :func:`rcpod.reduction.to_do_mpc` and rcpod's MPC through
:func:`rcpod.reduction.to_casadi`. Three closed loops on the same plant and setpoints:

* ``TrackingMPC, 5 move blocks``: the configuration of mpc_oil_platform.py;
* ``TrackingMPC, no blocking``: the same optimal control problem do-mpc solves (one move per
  sample; do-mpc has no move blocking);
* ``do-mpc``: ``do_mpc.controller.MPC`` on the ``Model('discrete')``: stage cost
  ``Q ||y+[P_bh] + d - r||^2`` on the output each move produces (the ``y_next`` expression),
  ``set_rterm(u=R)`` on input moves, input bounds, the rate limits as hard nonlinear constraints
  on an input-memory state ``u_last`` (``u_last+ = u``), set point ``r`` and disturbance ``d`` as
  time-varying parameters, do-mpc's warm start from its previous solution, exact Hessian (its
  default), IPOPT with the same tolerance, iteration limit and ``mu_init``.

Scores: IAE of both ``P_bh`` [bar h], constraint violations, IPOPT failures, solve time per MPC
step (wall of the solver call: ``TrackingMPC.solve``'s CasADi call, do-mpc's ``make_step``) and
IPOPT iterations. Writes ``results.json`` and prints the table.
"""
from __future__ import annotations

import os
import time

import numpy as np
from threadpoolctl import threadpool_limits

from rcpod.examples import _common
from rcpod.examples import mpc_oil_platform as scenario
from rcpod.examples.report import format_value, headline_row
from rcpod.reduction import to_casadi, to_do_mpc
from rcpod.reduction.do_mpc_model import import_do_mpc
from rcpod.reduction.mpc import MPCResult
from rcpod.reservoir.oil_platform import DEFAULT_ENVELOPE, OilPlatform, make_oil_platform_dataset
from rcpod.reservoir.oil_platform.identification import with_warmup

MODEL = "reduced ESN"
RUNS = ("TrackingMPC, 5 move blocks", "TrackingMPC, no blocking", "do-mpc")


class DoMPCTracker:
    """Offset-free output tracking with ``do_mpc.controller.MPC`` on an rcpod model.

    The do-mpc counterpart of :class:`rcpod.reduction.OffsetFreeMPC` around a
    :class:`rcpod.reduction.TrackingMPC` without move blocking: the same cost
    ``sum_k Q ||y+_k[tracked] + d - r||^2 + R ||u_k - u_{k-1}||^2``, bounds and hard rate limits;
    a parallel model gives the disturbance ``d = y_plant - y_model`` held over the horizon.

    Parameters
    ----------
    estimator : fitted rcpod estimator (full or reduced ESN with a linear readout)
    horizon : int
    u_lower, u_upper, du_max : array (n_u,)
        Input bounds and the largest move per sample.
    tracked : sequence of int
        Indices of the tracked outputs.
    x0 : array (n_x,)
        Model state after the last applied input ``u0``.
    u0 : array (n_u,)
    Q, R : float
        Weights of the tracking error and of the input moves.
    tol, max_iter : IPOPT tolerance and iteration limit.
    ipopt_options : dict, optional
        Further IPOPT options (without the ``ipopt.`` prefix).

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.reservoir import ESNRegressor
    >>> u = np.random.default_rng(0).uniform(-1, 1, (300, 1))
    >>> est = ESNRegressor(n_units=15, random_state=0).fit(u, np.roll(u[:, 0], 1))
    >>> ctl = DoMPCTracker(est, 5, [-1.0], [1.0], [0.2], [0], est.reservoir_.run(u)[-1], u[-1])
    >>> _ = ctl.measure(est.predict(u)[-1:])
    >>> res = ctl.control(np.array([0.3]))
    >>> res.u.shape, bool(abs(res.u[0] - u[-1, 0]) <= 0.2 + 1e-9)
    ((1,), True)
    """

    def __init__(self, estimator, horizon, u_lower, u_upper, du_max, tracked, x0, u0, Q=1.0,
                 R=0.1, tol=1e-8, max_iter=100, ipopt_options=None):
        do_mpc = import_do_mpc("DoMPCTracker")
        import casadi as ca
        self.tracked = list(tracked)
        self.step_fun = to_casadi(estimator)
        n_u = self.step_fun.size1_in(1)
        model = to_do_mpc(estimator, setup=False)
        model.set_variable("_tvp", "r", (len(self.tracked), 1))
        model.set_variable("_tvp", "d", (len(self.tracked), 1))
        model.set_variable("_x", "u_last", (n_u, 1))
        model.set_rhs("u_last", model.u["u"])
        model.setup()
        mpc = do_mpc.controller.MPC(model)
        opts = {"ipopt.print_level": 0, "ipopt.sb": "yes", "print_time": 0, "ipopt.tol": tol,
                "ipopt.max_iter": max_iter}
        opts.update({f"ipopt.{k}": v for k, v in (ipopt_options or {}).items()})
        mpc.set_param(n_horizon=int(horizon), t_step=1.0, store_full_solution=False,
                      nlpsol_opts=opts)
        e = model.aux["y_next"][self.tracked] + model.tvp["d"] - model.tvp["r"]
        mpc.set_objective(lterm=Q * ca.sumsqr(e), mterm=ca.DM(0))
        mpc.set_rterm(u=R * np.ones(n_u))
        mpc.bounds["lower", "_u", "u"] = np.asarray(u_lower, dtype=float)
        mpc.bounds["upper", "_u", "u"] = np.asarray(u_upper, dtype=float)
        du = model.u["u"] - model.x["u_last"]
        mpc.set_nl_cons("rate_up", du, ub=np.asarray(du_max, dtype=float))
        mpc.set_nl_cons("rate_down", -du, ub=np.asarray(du_max, dtype=float))
        self._tvp = mpc.get_tvp_template()
        mpc.set_tvp_fun(lambda t_now: self._tvp)
        mpc.setup()
        self.mpc = mpc
        self.state_ = np.asarray(x0, dtype=float).copy()
        self.u_last_ = np.asarray(u0, dtype=float).copy()
        self.disturbance_ = np.zeros(len(self.tracked))
        self.y_model_ = self._eval(self.state_, self.u_last_)[1]
        mpc.x0 = np.concatenate([self.state_, self.u_last_])
        mpc.u0 = self.u_last_
        mpc.set_initial_guess()
        self.lower, self.upper = np.asarray(u_lower, float), np.asarray(u_upper, float)
        self.du_max = np.asarray(du_max, float)

    def _eval(self, x, u):
        xn, y = self.step_fun(x, u)
        return np.asarray(xn).ravel(), np.asarray(y).ravel()

    def measure(self, y_measured):
        """Disturbance estimate ``y_plant - y_model`` of the tracked outputs."""
        self.disturbance_ = (np.asarray(y_measured, float) - self.y_model_)[self.tracked]
        return self.disturbance_

    def control(self, setpoint):
        """One ``make_step`` from the model state; advances the parallel model."""
        self._tvp["_tvp", :, "r"] = np.asarray(setpoint, float)
        self._tvp["_tvp", :, "d"] = self.disturbance_
        t0 = time.perf_counter()
        u = np.asarray(self.mpc.make_step(np.concatenate([self.state_, self.u_last_]))).ravel()
        wall = time.perf_counter() - t0
        stats = self.mpc.solver_stats
        lo = np.maximum(self.lower, self.u_last_ - self.du_max)
        hi = np.minimum(self.upper, self.u_last_ + self.du_max)
        u_app = np.clip(u, lo, hi)          # IPOPT's bound relaxation: rounding-size moves only
        self.mpc.u0 = u_app
        x_next = self._eval(self.state_, u_app)[0]
        self.y_model_ = self._eval(x_next, u_app)[1]
        self.state_, self.u_last_ = x_next, u_app
        model_time = sum(float(v) for k, v in stats.items() if k.startswith("t_wall_nlp"))
        return MPCResult(u=u_app, u_plan=u[None], y_plan=np.empty((0, 0)),
                         x_plan=np.empty((0, 0)), cost=float("nan"),
                         success=bool(stats["success"]), status=str(stats["return_status"]),
                         iterations=int(stats["iter_count"]), solve_time=wall,
                         model_time=model_time, correction=float(np.max(np.abs(u_app - u))),
                         stats=dict(stats))


def build_do_mpc(name, models, setup, history_u):
    """A :class:`DoMPCTracker` of the reduced ESN, warmed up like mpc_oil_platform's controllers
    (the signature of :func:`mpc_oil_platform.build_controller`)."""
    ident, est = models["ident"], models["red"]
    hist_n = setup.in_sc.transform(history_u)
    inputs = with_warmup(hist_n, ident.warmup)
    res = est.reservoir_
    x_prev = res.warmup(inputs[:-1])
    x_now = res.warmup(inputs[-1:], state0=x_prev)
    mpc = scenario.MPC
    ctl = DoMPCTracker(est, mpc["horizon"], setup.lo_n, setup.hi_n, setup.rate_n,
                       models["tracked_idx"], x_now, hist_n[-1], Q=mpc["Q"], R=mpc["R"],
                       tol=mpc["tol"], max_iter=mpc["max_iter"],
                       ipopt_options=mpc["ipopt_options"])
    return ctl, ctl.step_fun


def _builders():
    def blocked(name, models, setup, hist_u):
        return scenario.build_controller(MODEL, models, setup, hist_u)

    def unblocked(name, models, setup, hist_u):
        return scenario.build_controller(MODEL, models, setup, hist_u, move_blocks=None)

    return dict(zip(RUNS, (blocked, unblocked, build_do_mpc)))


def main(argv=None):
    """Run the comparison; returns the result dict (also written to results.json)."""
    parser = _common.make_parser(__doc__.split("\n\n")[0], "results/mpc_do_mpc")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes (test suite only)")
    args = parser.parse_args(argv)
    _common.setup_logging()
    settings = (scenario.SMOKE if args.smoke else scenario.QUICK if args.quick
                else scenario.FULL)
    out = _common.output_dir(args.out)
    t_start = time.perf_counter()
    load_start = os.getloadavg()
    plant = OilPlatform()
    bounds = np.array([DEFAULT_ENVELOPE[n] for n in plant.input_names])
    with threadpool_limits(limits=1):
        ds = make_oil_platform_dataset()
        models = scenario.fit_models(ds, settings)
        setup = scenario.Setup(models, plant, bounds)
        history = scenario.plant_history(plant, bounds, *settings.get("history", (120, 60)))
        y_init = history[1][-1][[plant.output_names.index(n) for n in scenario.TRACKED]]
        R = scenario.setpoints(settings["schedule"], settings["n_steps"], y_init)
        runs, sc = {}, {}
        for name, build in _builders().items():
            t0 = time.perf_counter()
            runs[name] = scenario.closed_loop(name, models, setup, plant, history, R, build=build)
            sc[name] = scenario.scores(runs[name], setup, history[0][-1])
            sc[name]["seconds"] = time.perf_counter() - t0

    same = sc["TrackingMPC, no blocking"]
    columns = ["controller", "IAE P_bh_A [bar h]", "IAE P_bh_B [bar h]", "IAE total [bar h]",
               "IAE / TrackingMPC no blocking", "solve wall median [ms]", "solve wall mean [ms]",
               "solve CPU median [ms]", "IPOPT iters (mean)", "IPOPT failures",
               "bound viol.", "rate viol.", "closed-loop run [s]"]
    rows = [[name, round(s["iae_A"], 4), round(s["iae_B"], 4), round(s["iae"], 4),
             round(s["iae"] / same["iae"], 3), round(1e3 * s["wall_median"], 2),
             round(1e3 * s["wall_mean"], 2), round(1e3 * s["cpu_median"], 2),
             round(s["iters_mean"], 2), s["failures"], s["bound_violations"],
             s["rate_violations"], round(s["seconds"], 1)] for name, s in sc.items()]
    rank = models["red"].reservoir_.n_states_
    table = dict(title=f"do-mpc vs rcpod TrackingMPC, oil platform, reduced ESN ({rank} states, "
                       f"{settings['method']})", columns=columns, rows=rows)
    ratio = sc["do-mpc"]["iae"] / same["iae"]
    must = abs(ratio - 1) <= 0.1
    notes = [
        f"MUST-SHOW {'PASSED' if must else 'NOT MET'}: do-mpc / TrackingMPC IAE on the same "
        f"problem (no move blocking) {ratio:.3f} (within 10 %: {must}).",
        "Same plant, history, setpoints, bounds, rate limits, Q, R, horizon, IPOPT tolerance, "
        "iteration limit and mu_init as examples/mpc_oil_platform.py; do-mpc has no move blocking "
        "(its row compares with 'TrackingMPC, no blocking', the same optimal control problem).",
        "TrackingMPC: single shooting, Gauss-Newton Hessian; do-mpc: its discrete-model "
        "formulation (states as decision variables with the step as equality constraints, "
        "multiple shooting), exact Hessian.",
        "Solve time: wall time of TrackingMPC.solve's CasADi call and of do-mpc's make_step "
        "(which adds do-mpc's bookkeeping); CPU = process time of the whole control call.",
        "Load average (1, 5, 15 min) at start " + " ".join(f"{v:.2f}" for v in load_start)
        + ", at end " + " ".join(f"{v:.2f}" for v in os.getloadavg())
        + f" ({os.cpu_count()} CPUs): wall times above CPU times mean other load.",
    ]
    for name, s in sc.items():
        if s["status"] != "ok":
            notes.append(f"{name}: {s['status']}.")
    headline = [headline_row(
        "do-mpc closed loop, IAE of both P_bh [bar h], reduced ESN",
        f"{format_value(rows[2][3])} ({format_value(rows[2][4])} x TrackingMPC)",
        f"TrackingMPC same problem {format_value(rows[1][3])}; median solve "
        f"{format_value(rows[2][5])} ms (do-mpc) vs {format_value(rows[1][5])} ms; "
        "goal: IAE within 10 %")]
    result = dict(command=_common.command_line("mpc_do_mpc.py", argv),
                  seeds=[scenario.HISTORY_SEED], quick=bool(args.quick), tables=[table],
                  notes=notes, figures=[], headline=headline, scores=sc,
                  must_show=dict(passed=bool(must), iae_ratio=ratio),
                  seconds=time.perf_counter() - t_start)
    return _common.finish(out, result)


if __name__ == "__main__":
    main()
