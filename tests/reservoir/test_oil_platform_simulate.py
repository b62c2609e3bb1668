"""Oil-platform simulator: mass balance, ZOH alignment, failure reporting, input validation."""
import warnings

import numpy as np
import pytest

from rcpod.reservoir.oil_platform import (DEFAULT_ENVELOPE, OilPlatform, PlantSimulationError,
                                    PlantSimulationWarning, aprbs, held_mass, simulate)
from rcpod.reservoir.oil_platform.dataset import envelope_bounds


@pytest.fixture(scope="module")
def plant():
    return OilPlatform()


@pytest.fixture(scope="module")
def center_run(plant):
    bounds = envelope_bounds(plant)
    c = bounds.mean(axis=1)
    x0 = plant.operating_point(c)
    U = aprbs(120, bounds, 10, 30, random_state=3, start=c)
    return x0, U


def test_mass_balance_with_quadrature(plant, center_run):
    x0, U = center_run
    r = simulate(plant, U, 60.0, x0=x0, quadrature=True)
    assert r.success
    dm = held_mass(r.x) - held_mass(x0)
    net = r.quadrature[:, 0] - r.quadrature[:, 1]
    rel = np.max(np.abs(dm - net)) / r.quadrature[-1, 0]
    print(f"mass balance: max |dm - (in - out)| / total inflow = {rel:.2e} "
          f"(inflow {r.quadrature[-1, 0]:.0f} kg, max |dm| {np.abs(dm).max():.0f} kg)")
    assert rel < 1e-6
    assert np.abs(dm).max() > 100          # the held mass does change (non-trivial balance)


def test_mass_balance_fine_grid_trapezoid(plant, center_run):
    """Independent of the quadrature states: trapezoid rule of the boundary flows on a 1 s grid.

    The discretisation error of the trapezoid is ~6e-6 of the inflow here (it falls ~4x per
    halving of the grid); a bookkeeping error (e.g. a missing flow) would be ~1e-2.
    """
    from rcpod.reservoir.oil_platform import network_mass_flows
    x0, U = center_run
    Uf = np.repeat(U[:120], 60, axis=0)    # the same inputs held on a 1 s grid, 2 h
    r = simulate(plant, Uf, 1.0, x0=x0, rtol=1e-8, atol=1e-10)
    X = np.vstack([x0, r.x])

    def net_flow(Xs, Us):                 # network inputs: gas rates and the PI layer's chokes
        z = plant.outputs(Xs, Us)[:, 10:13]
        fin, fout = network_mass_flows(Xs[:, :15], np.column_stack([Us[:, :2], z]))
        return fin - fout, fin

    left, fin = net_flow(X[:-1], Uf)      # both ends of interval k under the input u[k]
    right, _ = net_flow(X[1:], Uf)
    net = np.cumsum((left + right) / 2)
    dm = held_mass(r.x) - held_mass(x0)
    rel = np.max(np.abs(dm - net)) / fin.sum()
    print(f"fine-grid (1 s trapezoid) mass balance: {rel:.1e} of the inflow")
    assert rel < 2e-5


def test_constant_nominal_input_stays_at_rest(plant):
    x0, u = plant.nominal_state(), plant.nominal_input()
    r = simulate(plant, np.tile(u, (60, 1)), 60.0)
    assert r.success and len(r) == 60
    assert np.max(np.abs(r.x - x0) / plant.state_scales) < 1e-7


def test_output_alignment_and_names(plant, center_run):
    x0, U = center_run
    r = simulate(plant, U[:20], 60.0, x0=x0)
    assert r.y.shape == (20, 13) and r.x.shape == (20, plant.n_states) and r.t[0] == 60.0
    np.testing.assert_allclose(r.y, plant.outputs(r.x, r.u))
    np.testing.assert_allclose(r.y0, plant.outputs(x0, U[0]))
    assert r.output_names == plant.output_names and len(plant.output_units) == 13
    assert plant.input_names == ("w_inj_A", "w_inj_B", "dP_valve_A_sp", "dP_valve_B_sp", "dP_valve_top_sp")


def test_methods_agree(plant, center_run):
    x0, U = center_run
    a = simulate(plant, U[:60], 60.0, x0=x0, method="odeint")
    b = simulate(plant, U[:60], 60.0, x0=x0, method="BDF")
    scale = np.abs(a.y).max(axis=0) + 1e-3
    assert np.max(np.abs(a.y - b.y) / scale) < 1e-3


def test_chunked_runs_equal_one_run(plant, center_run):
    x0, U = center_run
    full = simulate(plant, U[:40], 60.0, x0=x0)
    first = simulate(plant, U[:20], 60.0, x0=x0)
    second = simulate(plant, U[20:40], 60.0, x0=first.x[-1], t0=first.t[-1])
    # equal up to the solver tolerance (the chunked run restarts the integrator at sample 20)
    np.testing.assert_allclose(np.vstack([first.y, second.y]), full.y, rtol=1e-4)


def test_open_loop_instability_is_reported_with_time():
    ol = OilPlatform(regulatory=None)
    U = np.tile(ol.nominal_input(), (120, 1))
    with pytest.raises(PlantSimulationError, match="stopped at t =") as info:
        simulate(ol, U, 60.0, on_failure="raise")
    r = info.value.result
    assert not r.success and r.status in ("invalid_state", "solver_failure")
    assert 10 * 60 <= r.t_fail <= 90 * 60          # the reference: 25-60 min
    assert len(r) < 120 and np.all(np.isfinite(r.y)) and np.all(np.isfinite(r.x))
    assert r.t[-1] < r.t_fail


def test_valve_saturation_is_reported(plant):
    # jumping from 2.5 to 13 bar wellhead pressure-drop set points slams the chokes open
    U = np.tile([1.0, 1.0, 13e5, 13e5, 2.5e5], (60, 1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PlantSimulationWarning)
        r = simulate(plant, U, 60.0, max_saturation_time=240.0)
    assert r.status == "valve_saturation" and not r.success
    assert 240 < r.t_fail <= 600
    assert r.saturation_fraction > 0.5
    # without the saturation limit the wells then die (bottom-hole pressure > reservoir pressure)
    with pytest.warns(PlantSimulationWarning, match="reservoir pressure"):
        r2 = simulate(plant, U, 60.0, max_saturation_time=None)
    assert r2.status == "invalid_state" and r2.t_fail > r.t_fail


@pytest.mark.parametrize("inputs, match", [
    (np.tile([1.0, 1.0, 5e5, 5e5], (5, 1)), r"shape \(T, 5\)"),
    (np.ones(5), r"shape \(T, 5\)"),
    (np.zeros((0, 5)), "at least one sample"),
    (np.tile([1.0, np.nan, 5e5, 5e5, 2e5], (5, 1)), "finite"),
    (np.tile([1.0, np.inf, 5e5, 5e5, 2e5], (5, 1)), "finite"),
    (np.tile([5.0, 1.0, 5e5, 5e5, 2e5], (5, 1)), r"w_inj_A.*outside its bounds"),
    (np.tile([1.0, 1.0, 5e5, -1e5, 2e5], (5, 1)), r"dP_valve_B_sp.*outside its bounds"),
])
def test_bad_inputs(plant, inputs, match):
    with pytest.raises(ValueError, match=match):
        simulate(plant, inputs, 60.0)


@pytest.mark.parametrize("dt, exc", [(0.0, ValueError), (-60.0, ValueError),
                                     (float("nan"), ValueError), (float("inf"), ValueError),
                                     (True, TypeError), ("60", TypeError)])
def test_bad_sampling_time(plant, dt, exc):
    with pytest.raises(exc, match="^dt "):
        simulate(plant, np.tile(plant.nominal_input(), (3, 1)), dt)


def test_other_bad_arguments(plant):
    U = np.tile(plant.nominal_input(), (3, 1))
    with pytest.raises(ValueError, match="x0"):
        simulate(plant, U, 60.0, x0=np.ones(5))
    with pytest.raises(ValueError, match="on_failure"):
        simulate(plant, U, 60.0, on_failure="nope")
    with pytest.raises(ValueError, match="method"):
        simulate(plant, U, 60.0, method="RK45")
    with pytest.raises(TypeError, match="numeric"):
        simulate(plant, np.array([["a"] * 5]), 60.0)
    bad = plant.nominal_state()
    bad[2] = -1.0
    with pytest.raises(ValueError, match="valid region"):
        simulate(plant, U, 60.0, x0=bad)
    with pytest.raises(ValueError, match="shape"):
        plant.check_input(np.ones(3))


@pytest.mark.slow
def test_ten_hour_aprbs_runs_complete(plant):
    """10-hour APRBS runs inside the documented envelope (sweep script: 10+ seeds)."""
    bounds = envelope_bounds(plant, DEFAULT_ENVELOPE)
    c = bounds.mean(axis=1)
    x0 = plant.operating_point(c)
    done = 0
    for seed in range(3):
        U = aprbs(600, bounds, 10, 60, random_state=seed, start=c)
        r = simulate(plant, U, 60.0, x0=x0, on_failure="ignore")
        print(f"seed {seed}: {r.status}, {r.wall_time:.1f} s wall, saturation {r.saturation_fraction:.3f}")
        done += r.success
    assert done == 3
