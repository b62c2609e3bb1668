"""Bad input that used to slip through: a clear error naming the argument instead of NaN, a wrong
but finite answer, a MemoryError or a hang."""
import numpy as np
import pytest

from rcpod.reservoir import ESN, memory_capacity, narma
from rcpod.reservoir.oil_platform import (NOMINAL_OPEN_LOOP_INPUT, LISTED_EQUILIBRIUM,
                                          OilPlatform, aprbs, held_mass, network_algebraics,
                                          network_mass_flows, network_rhs, network_rhs_batch)

X0, U0 = LISTED_EQUILIBRIUM, NOMINAL_OPEN_LOOP_INPUT


def _with(a, i, v):
    a = np.array(a, dtype=float)
    a[i] = v
    return a


@pytest.mark.parametrize("fn", [network_rhs, network_algebraics, network_mass_flows])
@pytest.mark.parametrize("x, u, match", [
    (_with(X0, 3, np.nan), U0, r"x\[3\] \(A.m_Gw\) must be finite"),
    (np.zeros(15), U0, r"x\[1\] \(A.P_bh_f\) must be > 0"),
    (_with(X0, 0, -1.0), U0, r"x\[0\] \(A.w_G_f\) must be >= 0"),
    (X0, _with(U0, 2, -0.5), r"u\[2\] \(z_A\) must be in \[0, 1\]"),
    (X0, _with(U0, 4, 1.5), r"u\[4\] \(z_top\) must be in \[0, 1\]"),
    (X0, _with(U0, 0, -1.0), r"u\[0\] \(w_inj_A\) must be >= 0"),
    (X0, _with(U0, 1, np.inf), r"u\[1\] \(w_inj_B\) must be finite"),
])
def test_plant_functions_refuse_meaningless_points(fn, x, u, match):
    with pytest.raises(ValueError, match=match):
        fn(x, u)


def test_batch_plant_function_names_the_row():
    X = np.vstack([X0, _with(X0, 12, np.nan)])
    with pytest.raises(ValueError, match=r"X\[1, 12\]"):
        network_rhs_batch(X, U0)
    with pytest.raises(ValueError, match="held_mass|finite"):
        held_mass(_with(X0, 2, np.nan))


def test_oil_platform_methods_refuse_bad_states_and_inputs():
    plant = OilPlatform()
    x, u = plant.nominal_state(), plant.nominal_input()
    for bad_x in (np.zeros_like(x), _with(x, 5, np.nan)):
        for call in (plant.rhs, plant.jacobian, plant.outputs):
            with pytest.raises(ValueError, match="x"):
                call(bad_x, u)
    with pytest.raises(ValueError, match="outside its bounds"):
        plant.outputs(x, u + 1e6)
    with pytest.raises(ValueError, match=r"u\[1, 0\]"):
        plant.outputs(np.vstack([x, x]), np.vstack([u, _with(u, 0, np.nan)]))


@pytest.mark.parametrize("call, name", [
    (lambda: narma(10, 10 ** 13), "length"),
    (lambda: aprbs(10 ** 13, [(0.0, 1.0)], 1, 2), "n_samples"),
    (lambda: ESN(10 ** 6, random_state=0).initialize(1), "n_units"),
    (lambda: ESN(10, random_state=0).initialize(10 ** 12), "n_inputs"),
    (lambda: memory_capacity(ESN(10, random_state=0), k_max=10 ** 9), "k_max"),
])
def test_huge_sizes_get_a_size_error_not_memory_error(call, name):
    with pytest.raises(ValueError, match=f"{name} is too large"):
        call()


@pytest.mark.parametrize("repeats", [0, -1, 10 ** 12, 2.5, True])
def test_per_step_time_repeats_is_bounded(repeats):
    from rcpod.reduction import per_step_time
    with pytest.raises(ValueError, match="repeats"):
        per_step_time(ESN(10, random_state=0).initialize(1), np.zeros((10, 1)), repeats=repeats)


def test_mpc_with_all_weights_zero():
    pytest.importorskip("casadi")
    from rcpod.reduction.mpc import TrackingMPC, state_space_function
    model = state_space_function(np.eye(1) * 0.5, np.eye(1), np.eye(1))
    with pytest.raises(ValueError, match="Q, R and S are all zero"):
        TrackingMPC(model, horizon=3, u_lower=-1.0, u_upper=1.0, Q=0.0, R=0.0, S=0.0)
