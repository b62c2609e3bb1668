"""PI layer: stabilised nominal point, equivalence with the unscaled PI.mo form, validation."""
import dataclasses

import numpy as np
import pytest

from rcpod.reservoir.oil_platform import OilPlatform, PILoop, RegulatoryLayer, network_algebraics, network_rhs
from rcpod.reservoir.oil_platform.regulatory import inverse_soft_saturation, soft_saturation


@pytest.mark.parametrize("reg", ["struc2", "pidnet_inner"])
def test_stabilised_nominal_point_is_stable(reg):
    plant = OilPlatform(regulatory=reg)
    x, u = plant.nominal_state(), plant.nominal_input()
    A, _ = plant.jacobian(x, u)
    ev = np.linalg.eigvals(A)
    print(reg, "closed-loop eigenvalues (largest real parts):", np.sort_complex(ev)[::-1][:6])
    assert ev.real.max() < -1e-4
    # it is an equilibrium with chokes at 0.5 and gas 1 kg/s
    assert np.max(np.abs(plant.rhs(x, u)) / plant.state_scales) < 1e-10
    np.testing.assert_allclose(plant.outputs(x, u)[10:13], 0.5, atol=1e-9)
    np.testing.assert_allclose(u[:2], 1.0)


def test_open_loop_nominal_point_unstable():
    plant = OilPlatform(regulatory=None)
    A, _ = plant.linearize()
    assert np.linalg.eigvals(A).real.max() > 5e-3


def _unscaled_struc2_rhs(xp, I, v, loops):
    """Independent closed loop in PI.mo's own coordinates (dI/dt = e), from named algebraics."""
    up = np.array([v[0], v[1], 0.5, 0.5, 0.5])
    a = network_algebraics(xp, up)          # measurements do not depend on the valves
    meas = {"P_at_A": a["A.P_a_t"], "P_at_B": a["B.P_a_t"], "P_in": xp[10],
            "dP_valve_A": a["A.P_r_t"] - a["P_down"], "dP_valve_B": a["B.P_r_t"] - a["P_down"],
            "dP_valve_top": a["riser.P2_t"] - 5.1e5}
    out, dI = {}, {}
    sp_in = {"PCT1": v[2], "PCT2": v[3], "PCTOP": v[4]}
    for name in ("PCT1", "PCT2", "PCTOP", "PCA1", "PCA2", "PCINL"):
        lp = loops[name]
        master = {"PCA1": "PCT1", "PCA2": "PCT2", "PCINL": "PCTOP"}.get(name)
        sp = sp_in[name] if master is None else lp.setpoint_min + (lp.setpoint_max - lp.setpoint_min) * out[master]
        e = sp - meas[lp.measurement]
        u0 = -lp.Kc * e - lp.Kc / lp.Ti * I[name]
        out[name] = soft_saturation(u0, 0.0, 1.0, 1e-5)
        dI[name] = e
    up = np.array([v[0], v[1], out["PCA1"], out["PCA2"], out["PCINL"]])
    return network_rhs(xp, up), dI


def test_struc2_matches_unscaled_pi_form():
    plant = OilPlatform()
    x, v = plant.nominal_state(), plant.nominal_input()
    loops = {lp.name: lp for lp in plant.layer.loops}
    names = plant.layer.loop_names
    # state map q = (Kc/Ti) I
    k = np.array([loops[n].Kc / loops[n].Ti for n in names])

    def f_unscaled(z):
        I = dict(zip(names, z[15:]))
        d, dI = _unscaled_struc2_rhs(z[:15], I, v, loops)
        return np.concatenate([d, [dI[n] for n in names]])

    z0 = np.concatenate([x[:15], x[15:] / k])
    # right-hand sides agree at a perturbed point
    rng = np.random.default_rng(0)
    zp = z0 * (1 + 1e-3 * rng.standard_normal(z0.size))
    xp = np.concatenate([zp[:15], zp[15:] * k])
    d_ref = f_unscaled(zp)
    d = plant.rhs(xp, v)
    np.testing.assert_allclose(d[:15], d_ref[:15], rtol=1e-9, atol=1e-12 * np.abs(d_ref[:15]).max())
    np.testing.assert_allclose(d[15:], d_ref[15:] * k, rtol=1e-9, atol=1e-14)
    # eigenvalues agree (FD Jacobian of the unscaled form vs complex step of the scaled one)
    h = 1e-6 * np.maximum(np.abs(z0), 1.0)
    J = np.array([(f_unscaled(z0 + h[j] * np.eye(z0.size)[j]) - f_unscaled(z0 - h[j] * np.eye(z0.size)[j]))
                  / (2 * h[j]) for j in range(z0.size)]).T
    ev_ref = np.sort_complex(np.linalg.eigvals(J))
    ev = np.sort_complex(np.linalg.eigvals(plant.jacobian(x, v)[0]))
    np.testing.assert_allclose(ev, ev_ref, rtol=1e-4, atol=1e-7)


def test_soft_saturation_and_inverse():
    u0 = np.linspace(-2, 3, 101)
    u = soft_saturation(u0, sqrt=np.sqrt)
    assert np.all(np.diff(u) > 0)
    assert u.min() > -1e-5 and u.max() < 1 + 1e-5
    assert soft_saturation(0.5) == pytest.approx(0.5, abs=1e-9)
    for target in (0.01, 0.3, 0.5, 0.97):
        assert soft_saturation(inverse_soft_saturation(target)) == pytest.approx(target, abs=1e-13)
    with pytest.raises(ValueError):
        inverse_soft_saturation(1.5)


def test_layer_validation():
    a = PILoop("A", "P_at_A", 1e-5, 600.0, "z_A")
    with pytest.raises(ValueError, match="driven by more than one loop"):
        RegulatoryLayer((a, dataclasses.replace(a, name="B")))
    with pytest.raises(ValueError, match="measurement"):
        PILoop("X", "nope", 1.0, 1.0, "z_A")
    with pytest.raises(ValueError, match="Ti"):
        PILoop("X", "P_in", 1.0, 0.0, "z_A")
    with pytest.raises(ValueError, match="output"):
        RegulatoryLayer((PILoop("X", "P_in", 1.0, 1.0, "valve"),))
    c1 = PILoop("C1", "P_in", 1.0, 1.0, "C2")
    c2 = PILoop("C2", "P_top", 1.0, 1.0, "C1")
    with pytest.raises(ValueError):
        RegulatoryLayer((c1, c2))
    with pytest.raises(ValueError, match="regulatory"):
        OilPlatform(regulatory="nope")


def test_partial_layer_keeps_uncontrolled_valve_as_input():
    layer = RegulatoryLayer((PILoop("PCINL", "P_in", 2e-6, 300.0, "z_top"),), name="riser only")
    plant = OilPlatform(regulatory=layer)
    assert plant.input_names == ("w_inj_A", "w_inj_B", "z_A", "z_B", "P_in_sp")
    x, u = plant.nominal_state(), plant.nominal_input()
    np.testing.assert_allclose(u[2:4], 0.5)
    assert np.max(np.abs(plant.rhs(x, u)) / plant.state_scales) < 1e-10


def test_setpoint_filter_states():
    plant = OilPlatform(setpoint_filter_time=300.0)
    assert plant.n_states == 24 and plant.state_names[-1] == "dP_valve_top_sp.filtered"
    x, u = plant.nominal_state(), plant.nominal_input()
    assert np.max(np.abs(plant.rhs(x, u)) / plant.state_scales) < 1e-10
    assert np.linalg.eigvals(plant.jacobian(x, u)[0]).real.max() < 0
    with pytest.raises(ValueError, match="setpoint_filter_time"):
        OilPlatform(setpoint_filter_time=-1.0)
    with pytest.raises(ValueError, match="regulatory layer"):
        OilPlatform(regulatory=None, setpoint_filter_time=10.0)
