"""Oil-platform network model: equilibrium and linearisation against the authors' data."""
import json
from pathlib import Path

import numpy as np
import pytest
from scipy.optimize import root

from rcpod.reservoir.oil_platform import (LISTED_EQUILIBRIUM, NOMINAL_OPEN_LOOP_INPUT, NetworkParameters,
                                    OilPlatform, network_algebraics, network_mass_flows, network_rhs,
                                    network_rhs_batch, well_a_parameters)
from rcpod.reservoir.oil_platform.model import STATE_SCALES
from rcpod.reservoir.oil_platform.parameters import riser_constants_KgKo

# The authors' linearisation of the source model at its listed equilibrium (A, B and metadata),
# computed from their Modelica code (Jahanshahi et al. 2020, esmjah/PlantwideControl); kept as
# test data, not shipped with rcpod.
JAC_FILE = Path(__file__).resolve().parents[1] / "data" / "oil_platform_nominal_jacobian.npz"


@pytest.fixture(scope="module")
def authors():
    with np.load(JAC_FILE, allow_pickle=False) as d:
        return dict(A=d["A"], B=d["B"], meta=json.loads(str(d["meta"])))


@pytest.fixture(scope="module")
def equilibrium():
    s = STATE_SCALES
    u = NOMINAL_OPEN_LOOP_INPUT
    sol = root(lambda z: network_rhs(z * s, u) / s * 1e3, LISTED_EQUILIBRIUM / s, method="hybr",
               options=dict(xtol=1e-14))
    assert sol.success
    return sol.x * s


def test_meta_conditions_match_defaults(authors):
    meta = authors["meta"]
    p = NetworkParameters()
    assert meta["R"] == p.R
    assert meta["P_z"] == [p.well_a.P_z, p.well_b.P_z]
    assert meta["P_res_bar"] == [p.P_res_A, p.P_res_B]
    assert np.allclose(meta["inputs"], NOMINAL_OPEN_LOOP_INPUT)
    assert np.allclose(meta["x0_listed"], LISTED_EQUILIBRIUM)


def test_steady_state_matches_listed_equilibrium(equilibrium):
    rel = np.abs(equilibrium - LISTED_EQUILIBRIUM) / np.abs(LISTED_EQUILIBRIUM)
    print("max relative deviation from the listed equilibrium:", rel.max())
    assert rel.max() < 1e-5          # requirement 1e-4; the listed values have ~6 digits
    assert np.max(np.abs(network_rhs(equilibrium, NOMINAL_OPEN_LOOP_INPUT)) / STATE_SCALES) < 1e-12


def _central_fd(f, x, rel):
    """Central differences with one Richardson step (h and h/2), per-column steps rel*|x_j|."""
    h = rel * np.maximum(np.abs(x), 1e-3)

    def d(hh):
        cols = []
        for j in range(x.size):
            e = np.zeros_like(x)
            e[j] = hh[j]
            cols.append((f(x + e) - f(x - e)) / (2 * hh[j]))
        return np.array(cols).T
    return (4 * d(h / 2) - d(h)) / 3


def _row_rel(J, Jref):
    """Row-relative error; rows of Jref that are zero are compared absolutely."""
    den = np.max(np.abs(Jref), axis=1)
    return np.max(np.abs(J - Jref), axis=1) / np.where(den > 0, den, 1.0)


def test_fd_jacobian_matches_authors(authors, equilibrium):
    u = NOMINAL_OPEN_LOOP_INPUT
    A = _central_fd(lambda x: network_rhs(x, u), equilibrium, 1e-5)
    B = _central_fd(lambda v: network_rhs(equilibrium, v), u.copy(), 1e-5)
    ea, eb = _row_rel(A, authors["A"]).max(), _row_rel(B, authors["B"]).max()
    print(f"central-FD Jacobian vs authors, row-relative: A {ea:.2e}, B {eb:.2e}")
    assert ea < 1e-8 and eb < 1e-8   # requirement 1e-6


def test_complex_step_jacobian_matches_authors(authors, equilibrium):
    plant = OilPlatform(regulatory=None)
    A, B = plant.jacobian(equilibrium, NOMINAL_OPEN_LOOP_INPUT)
    ea, eb = _row_rel(A, authors["A"]).max(), _row_rel(B, authors["B"]).max()
    print(f"complex-step Jacobian vs authors, row-relative: A {ea:.2e}, B {eb:.2e}")
    assert ea < 1e-10 and eb < 1e-10


def test_current_R_moves_jacobian_slightly(authors, equilibrium):
    """The reference: R = 8.314462618 moves Jacobian entries by ~3e-6."""
    plant = OilPlatform(NetworkParameters(R=8.314462618), regulatory=None)
    x = plant.steady_state(NOMINAL_OPEN_LOOP_INPUT, equilibrium)
    A, _ = plant.jacobian(x, NOMINAL_OPEN_LOOP_INPUT)
    err = _row_rel(A, authors["A"]).max()
    assert 3e-7 < err < 3e-5


def test_open_loop_nominal_is_unstable_as_published(equilibrium):
    plant = OilPlatform(regulatory=None)
    A, _ = plant.jacobian(equilibrium, NOMINAL_OPEN_LOOP_INPUT)
    ev = np.linalg.eigvals(A)
    pos = np.sort(ev.real[ev.real > 0])[::-1]
    assert np.all(np.abs(ev[ev.real > 0].imag) < 1e-12)
    np.testing.assert_allclose(pos, [9.7e-3, 8.9e-3, 1.8e-3, 1.2e-3], rtol=0.06)


def test_batch_rhs_equals_scalar_rhs(equilibrium):
    rng = np.random.default_rng(0)
    X = equilibrium * (1 + 0.01 * rng.standard_normal((7, 15)))
    U = NOMINAL_OPEN_LOOP_INPUT * (1 + 0.1 * rng.standard_normal((7, 5)))
    batch = network_rhs_batch(X, U)
    scalar = np.array([network_rhs(x, u) for x, u in zip(X, U)])
    np.testing.assert_allclose(batch, scalar, rtol=1e-12, atol=1e-12 * np.abs(scalar).max())


def test_mass_flows_balance_the_derivatives(equilibrium):
    rng = np.random.default_rng(1)
    x = equilibrium * (1 + 0.01 * rng.standard_normal(15))
    u = np.array([1.1, 0.9, 0.4, 0.6, 0.55])
    d = network_rhs(x, u)
    fin, fout = network_mass_flows(x, u)
    dm = d[[2, 3, 4, 7, 8, 9, 11, 12, 13, 14]].sum()
    assert abs(dm - (fin - fout)) < 1e-12 * fin
    a = network_algebraics(x, u)
    # manifold: riser inflows are the sums of the wells' outflows
    assert a["riser.w_G_in"] == pytest.approx(a["A.w_Gout"] + a["B.w_Gout"], rel=1e-14)
    assert a["riser.w_L_in"] == pytest.approx(a["A.w_Lout"] + a["B.w_Lout"], rel=1e-14)
    assert a["P_down"] == pytest.approx(x[10] + 18105.0)


def test_KgKo_positive_finite():
    Kg, Ko = riser_constants_KgKo(NetworkParameters().riser)
    assert np.isfinite([Kg, Ko]).all() and Kg > 0 and Ko > 0


@pytest.mark.parametrize("kw, exc", [
    (dict(R=-1.0), ValueError), (dict(P_res_A=float("nan")), ValueError),
    (dict(well_a="x"), TypeError), (dict(well_b=well_a_parameters(rho_L=float("inf"))), ValueError),
])
def test_parameter_validation(kw, exc):
    with pytest.raises(exc):
        NetworkParameters(**kw)


def test_rhs_shape_errors():
    with pytest.raises(ValueError, match="x must have shape"):
        network_rhs(np.ones(14), NOMINAL_OPEN_LOOP_INPUT)
    with pytest.raises(ValueError, match="u must have shape"):
        network_rhs(LISTED_EQUILIBRIUM, np.ones(4))
