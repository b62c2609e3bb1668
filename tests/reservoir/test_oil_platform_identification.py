"""Identification helpers of the oil platform: scaler, ARX baseline, ESN between the scalers."""
import numpy as np
import pytest

from rcpod.reservoir import ESN
from rcpod.reservoir.oil_platform import OUTPUT_NAMES, OilPlatformDataset
from rcpod.reservoir.oil_platform.identification import (DEFAULT_ESN_CONFIG, DEFAULT_OUTPUTS, ARXModel,
                                                   IdentifiedModel, Scaler, fit_identification_esn,
                                                   load_identified_model, make_scalers,
                                                   output_indices, with_warmup)


# -- a known linear ARX system ---------------------------------------------------------------------
def _true_arx(rng, n_y=2, n_u=3):
    A = [np.array([[0.5, 0.1], [-0.2, 0.4]]), np.array([[0.1, 0.0], [0.05, -0.1]])]
    B = [rng.normal(size=(n_y, n_u)) for _ in range(3)]
    c = np.array([0.3, -1.0])
    return A, B, c


def _simulate_true(A, B, c, u, y_init, u_init):
    """Independent reference: the ARX difference equation written out term by term."""
    na, nb = len(A), len(B)
    ys = list(y_init)                      # oldest first
    us = list(u_init) + list(u)
    out = []
    for k in range(len(u)):
        yk = c.copy()
        for i in range(1, na + 1):
            yk = yk + A[i - 1] @ ys[-i]
        for j in range(nb):
            yk = yk + B[j] @ us[len(u_init) + k - j]
        ys.append(yk)
        out.append(yk)
    return np.array(out)


@pytest.fixture
def arx_data():
    rng = np.random.default_rng(0)
    A, B, c = _true_arx(rng)
    u = rng.uniform(-1, 1, size=(400, 3))
    y_init, u_init = rng.normal(size=(2, 2)), rng.normal(size=(2, 3))
    y = _simulate_true(A, B, c, u, y_init, u_init)
    return A, B, c, u, y, y_init, u_init


def test_arx_recovers_known_linear_system(arx_data):
    A, B, c, u, y, y_init, u_init = arx_data
    m = ARXModel(output_lags=2, input_lags=3).fit(u, y)
    np.testing.assert_allclose(m.A_, np.stack(A), atol=1e-9)
    np.testing.assert_allclose(m.B_, np.stack(B), atol=1e-9)
    np.testing.assert_allclose(m.c_, c, atol=1e-9)
    # free run from the true initial conditions reproduces the data
    np.testing.assert_allclose(m.predict(u, y_init=y_init, u_init=u_init), y, atol=1e-8)


def test_arx_diagonal_structure_recovers_miso_systems():
    rng = np.random.default_rng(1)
    A = [np.diag([0.6, -0.3]), np.diag([0.2, 0.1])]
    B = [rng.normal(size=(2, 2)) for _ in range(2)]
    c = np.array([1.0, 2.0])
    u = rng.uniform(-1, 1, size=(300, 2))
    y = _simulate_true(A, B, c, u, np.zeros((2, 2)), np.zeros((1, 2)))
    m = ARXModel(2, 2, structure="diagonal").fit(u, y)
    np.testing.assert_allclose(m.A_, np.stack(A), atol=1e-9)
    np.testing.assert_allclose(m.B_, np.stack(B), atol=1e-9)
    # fitted to coupled data, the diagonal model still has no cross terms
    Ac, Bc, cc = _true_arx(rng)
    uc = rng.uniform(size=(200, 3))
    yc = _simulate_true(Ac, Bc[:2], cc, uc, np.zeros((2, 2)), np.zeros((1, 3)))
    md = ARXModel(2, 2, structure="diagonal").fit(uc, yc)
    assert np.all(md.A_[:, 0, 1] == 0) and np.all(md.A_[:, 1, 0] == 0)
    assert not np.allclose(ARXModel(2, 2).fit(uc, yc).A_[:, 0, 1], 0)


def test_free_run_uses_its_own_predictions(arx_data):
    A, B, c, u, y, y_init, u_init = arx_data
    rng = np.random.default_rng(5)
    y_noisy = y + 0.2 * rng.normal(size=y.shape)
    m = ARXModel(2, 3).fit(u, y_noisy)
    free = m.predict(u, y_init=y_init, u_init=u_init)
    # the free run equals the recursion of the fitted model on its own outputs ...
    ref = _simulate_true(list(m.A_), list(m.B_), m.c_, u, y_init, u_init)
    np.testing.assert_allclose(free, ref, atol=1e-10)
    # ... does not depend on the measured outputs at all ...
    m2 = ARXModel(2, 3).fit(u, y_noisy)
    np.testing.assert_array_equal(m2.predict(u, y_init=y_init, u_init=u_init), free)
    # ... and differs from the one-step-ahead predictor that uses the measurements
    one = m.predict_one_step(u, y_noisy)
    assert np.all(np.isnan(one[:2]))
    assert np.max(np.abs(one[2:] - free[2:])) > 0.05
    Phi_ref = np.array([m.c_ + m.A_[0] @ y_noisy[k - 1] + m.A_[1] @ y_noisy[k - 2]
                        + sum(m.B_[j] @ u[k - j] for j in range(3)) for k in range(2, 50)])
    np.testing.assert_allclose(one[2:50], Phi_ref, atol=1e-10)


def test_arx_at_rest_and_steady_state(arx_data):
    A, B, c, u, y, _, _ = arx_data
    m = ARXModel(2, 3).fit(u, y)
    u0 = np.array([0.2, -0.4, 0.7])
    yss = m.steady_state(u0)
    # closed form: (I - A1 - A2) yss = (B0 + B1 + B2) u0 + c
    np.testing.assert_allclose((np.eye(2) - A[0] - A[1]) @ yss, sum(B) @ u0 + c, atol=1e-9)
    # a constant input started at rest stays at rest
    np.testing.assert_allclose(m.predict(np.tile(u0, (20, 1))), np.tile(yss, (20, 1)), atol=1e-9)
    assert m.spectral_radius() < 1


def test_arx_state_space_form_matches_simulation(arx_data):
    A, B, c, u, y, y_init, u_init = arx_data
    m = ARXModel(2, 3).fit(u, y)
    ss = m.to_state_space()
    # x[0] = [y[-1], y[-2], u[-1], u[-2]]
    x = np.concatenate([y_init[::-1].ravel(), u_init[::-1].ravel()])
    out = []
    for k in range(50):
        out.append(ss["C"] @ x + ss["D"] @ u[k] + ss["output_offset"])
        x = ss["A"] @ x + ss["B"] @ u[k] + ss["state_offset"]
    np.testing.assert_allclose(np.array(out), m.predict(u[:50], y_init, u_init), atol=1e-9)
    assert m.spectral_radius() == pytest.approx(
        np.max(np.abs(np.linalg.eigvals(ss["A"][:4, :4]))))


def test_arx_several_series_and_static_model():
    rng = np.random.default_rng(2)
    u = [rng.uniform(size=(50, 2)), rng.uniform(size=(70, 2))]
    y = [a @ [[1.0], [2.0]] + 0.5 for a in u]
    m = ARXModel(output_lags=0, input_lags=1).fit(u, y)
    np.testing.assert_allclose(m.B_[0], [[1.0, 2.0]], atol=1e-10)
    np.testing.assert_allclose(m.c_, [0.5], atol=1e-10)
    preds = m.predict(u)
    assert isinstance(preds, list) and preds[1].shape == (70, 1)
    np.testing.assert_allclose(preds[1], y[1], atol=1e-10)


@pytest.mark.parametrize("kw, match", [
    (dict(output_lags=-1), "output_lags"), (dict(input_lags=0), "input_lags"),
    (dict(structure="banded"), "structure"), (dict(ridge=-1.0), "ridge"),
    (dict(ridge=np.nan), "ridge"),
])
def test_arx_bad_parameters(kw, match):
    u = np.zeros((20, 1))
    with pytest.raises(ValueError, match=match):
        ARXModel(**kw).fit(u, u)


def test_arx_bad_data():
    u = np.random.default_rng(0).uniform(size=(20, 2))
    with pytest.raises(ValueError, match="NaN"):
        ARXModel().fit(np.where(u > 0.9, np.nan, u), u)
    with pytest.raises(ValueError, match="10 time steps but X has 20"):
        ARXModel().fit(u, u[:10])
    with pytest.raises(ValueError, match="too few|too short"):
        ARXModel(5, 5).fit(u[:8], u[:8])
    m = ARXModel(1, 1).fit(u, u)
    with pytest.raises(ValueError, match="inputs"):
        m.predict(np.zeros((5, 3)))
    with pytest.raises(ValueError, match="y_init"):
        m.predict(u, y_init=np.zeros((3, 2)))


# -- scaler ----------------------------------------------------------------------------------------
def test_scaler_round_trip_and_statistics():
    rng = np.random.default_rng(3)
    X = rng.normal(loc=[1e7, 2.0, 5.0], scale=[1e5, 0.1, 0.0], size=(200, 3))
    s = Scaler("standard").fit(X)
    Z = s.transform(X)
    np.testing.assert_allclose(Z[:, :2].mean(0), 0, atol=1e-10)
    np.testing.assert_allclose(Z[:, :2].std(0), 1, atol=1e-10)
    np.testing.assert_allclose(Z[:, 2], 0, atol=1e-12)     # constant column: shifted only
    np.testing.assert_allclose(s.inverse_transform(Z), X, rtol=1e-14)
    m = Scaler("minmax", (-1, 1)).fit(X)
    Zm = m.transform(X)
    np.testing.assert_allclose(Zm[:, :2].min(0), -1, atol=1e-12)
    np.testing.assert_allclose(Zm[:, :2].max(0), 1, atol=1e-12)
    np.testing.assert_allclose(Zm[:, 2], 0, atol=1e-12)
    np.testing.assert_allclose(m.inverse_transform(Zm), X, rtol=1e-14)


def test_scaler_layouts_and_errors():
    rng = np.random.default_rng(4)
    parts = [rng.uniform(size=(30, 2)), 5 + rng.uniform(size=(10, 2))]
    s = Scaler("minmax", (0, 1)).fit(parts)
    out = s.transform(parts)
    assert isinstance(out, list) and out[1].shape == (10, 2)
    pooled = np.concatenate(out)
    np.testing.assert_allclose(pooled.min(0), 0, atol=1e-12)
    np.testing.assert_allclose(pooled.max(0), 1, atol=1e-12)
    batch = rng.uniform(size=(3, 8, 2))
    assert s.transform(batch).shape == (3, 8, 2)
    with pytest.raises(ValueError, match="method"):
        Scaler("robust").fit(parts[0])
    with pytest.raises(ValueError, match="feature_range"):
        Scaler("minmax", (1, 1)).fit(parts[0])
    with pytest.raises(ValueError, match="features"):
        s.transform(np.zeros((4, 3)))
    with pytest.raises(ValueError, match="NaN"):
        Scaler().fit(np.array([[np.nan], [1.0]]))
    with pytest.raises(ValueError, match="2-D"):
        Scaler().fit(np.zeros(5))


# -- ESN between the scalers -----------------------------------------------------------------------
def _fake_dataset(T=300):
    """A small stand-in for OilPlatformDataset: a stable linear system behind a tanh."""
    rng = np.random.default_rng(6)
    splits = {}
    W = rng.normal(scale=0.3, size=(len(OUTPUT_NAMES), 5))
    for s, n in (("train", T), ("val", 120), ("test", 120)):
        u = np.repeat(rng.uniform([0.8, 0.8, 5e5, 5e5, 1.5e5], [1.6, 1.6, 15e5, 15e5, 4e5],
                                  size=(n // 10, 5)), 10, axis=0)
        un = (u - [1.2, 1.2, 10e5, 10e5, 2.75e5]) / [0.4, 0.4, 5e5, 5e5, 1.25e5]
        x = np.tanh(W @ un[0])            # at rest for u[0], like the plant's splits
        ys = []
        for k in range(n):
            x = 0.9 * x + 0.1 * np.tanh(W @ un[k])
            ys.append(1e5 * (50 + x))
        splits[s] = (u, np.array(ys), np.zeros((n, 1)))
    return OilPlatformDataset(
        *[a for s in ("train", "val", "test") for a in splits[s]], dt=60.0,
        input_names=("w_inj_A", "w_inj_B", "dP_valve_A_sp", "dP_valve_B_sp", "dP_valve_top_sp"),
        input_units=("kg/s",) * 2 + ("Pa",) * 3, output_names=OUTPUT_NAMES,
        output_units=("Pa",) * len(OUTPUT_NAMES), state_names=("x",))


def test_fit_identification_esn_predicts_in_free_run_from_rest(tmp_path):
    ds = _fake_dataset()
    cfg = dict(n_units=40, warmup=50, random_state=1)
    model = fit_identification_esn(ds, cfg)
    assert model.output_names == DEFAULT_OUTPUTS
    assert model.config["leak_rate"] == DEFAULT_ESN_CONFIG["leak_rate"]
    idx = output_indices(ds)
    u, y = ds.split("test")
    pred = model.predict(u)
    assert pred.shape == (len(u), len(DEFAULT_OUTPUTS))
    # independent reference: same reservoir run from the zero state on the warm-up + inputs,
    # readout [x; u] applied, scalers inverted by hand
    est = model.estimator
    un = (u - model.input_scaler.offset_) / model.input_scaler.scale_
    U = np.vstack([np.repeat(un[:1], 50, 0), un])
    X = ESN.from_weights(est.reservoir_.W_, est.reservoir_.W_in_, est.reservoir_.bias_,
                         leak_rate=est.reservoir_.leak_rate, backend="numpy").run(U)
    F = np.hstack([X, U])[50:]
    ref = (F @ est.readout_.coef_.T + est.readout_.intercept_) * model.output_scaler.scale_ \
        + model.output_scaler.offset_
    np.testing.assert_allclose(pred, ref, rtol=1e-9)
    # the rest state is the state reached by the warm-up
    np.testing.assert_allclose(model.rest_state(u[0]), X[49], atol=1e-12)
    # the fit is good on this easy system and the scalers are fitted on training data only
    ut, yt = ds.split("train")
    assert np.allclose(model.output_scaler.offset_, yt[:, idx].mean(0))
    err = np.sqrt(np.mean((pred - y[:, idx]) ** 2, 0)) / y[:, idx].std(0)
    assert np.mean(err) < 0.3


@pytest.mark.parametrize("order", ["C", "F"])
def test_identified_model_save_load_is_bit_exact_in_either_memory_order(tmp_path, order):
    """The readout weights come back in the memory order they were saved in, so the loaded model
    runs the same BLAS kernel as the saved one (the kernel, hence the rounding, depends on the
    layout): equal bits by construction, not by the luck of one CPU."""
    ds = _fake_dataset()
    model = fit_identification_esn(ds, dict(n_units=40, warmup=50, random_state=1))
    readout = model.estimator.readout_
    assert readout.coef_.flags.c_contiguous         # what fit produces
    readout.coef_ = np.asarray(readout.coef_, order=order)
    assert readout.coef_.flags[f"{'C' if order == 'C' else 'F'}_CONTIGUOUS"]
    u, _ = ds.split("test")
    pred = model.predict(u)
    model.save(tmp_path, "full_esn")
    back = load_identified_model(tmp_path, "full_esn")
    coef = back.estimator.readout_.coef_
    assert coef.dtype == readout.coef_.dtype and coef.strides == readout.coef_.strides
    np.testing.assert_array_equal(back.predict(u), pred)
    assert back.output_names == model.output_names and back.warmup == 50


def test_identified_model_wraps_other_estimators_and_several_splits():
    ds = _fake_dataset()
    model = fit_identification_esn(ds, dict(n_units=30, warmup=20), outputs=("P_in", "P_top"),
                                   splits=("train", "val"))
    assert model.estimator.reservoir_.n_states_ == 30
    u, _ = ds.split("test")
    other = model.with_estimator(model.estimator, note="same")
    np.testing.assert_array_equal(other.predict(u), model.predict(u))
    assert other.config["note"] == "same"
    assert isinstance(other, IdentifiedModel)


def test_fit_identification_esn_errors():
    ds = _fake_dataset(100)
    with pytest.raises(ValueError, match="unknown keys"):
        fit_identification_esn(ds, dict(n_unit=10))
    with pytest.raises(ValueError, match="outputs"):
        fit_identification_esn(ds, dict(n_units=10), outputs=("P_nowhere",))
    with pytest.raises(ValueError, match="warmup"):
        fit_identification_esn(ds, dict(n_units=10, warmup=0))
    with pytest.raises(ValueError, match="splits"):
        fit_identification_esn(ds, dict(n_units=10), splits="train")


def test_helpers():
    u = np.arange(6.0).reshape(3, 2)
    w = with_warmup(u, 2)
    np.testing.assert_array_equal(w[:3], [[0, 1]] * 3)
    np.testing.assert_array_equal(w[2:], u)
    with pytest.raises(ValueError, match="n_warmup"):
        with_warmup(u, -1)
    si, so = make_scalers(u, u * 10)
    assert si.method == "minmax" and so.method == "standard"
    assert set(DEFAULT_OUTPUTS) <= set(OUTPUT_NAMES)


# -- the example at its smoke size ----------------------------------------------------------------
@pytest.mark.slow
def test_oil_platform_example_smoke(tmp_path):
    """examples/oil_platform.py --smoke: the reproduce.py contract, saved models that load back
    and predict what the run measured, and the ARX / ESN rows consistent with the raw numbers."""
    import json

    from rcpod.examples import oil_platform
    from rcpod.reservoir.metrics import nrmse
    from rcpod.reservoir.oil_platform import make_oil_platform_dataset
    from rcpod.reservoir.persistence import load

    out = tmp_path / "oil"
    result = oil_platform.main(["--smoke", "--out", str(out)])
    for key in ("tables", "notes", "figures", "seeds", "command", "config"):
        assert key in result
    for table in result["tables"]:
        assert all(len(row) == len(table["columns"]) for row in table["rows"])
    for fig in result["figures"]:
        assert (out / fig).is_file()
    saved = json.loads((out / "results.json").read_text())
    assert saved["config"] == result["config"] and saved["outputs"] == list(DEFAULT_OUTPUTS)
    # rows: full ESN, ARX, every (method, rank) with the projected readout, one fresh ESN per rank
    st = oil_platform.SMOKE
    n_ranks = len(st["ranks"])
    assert len(result["tables"][0]["rows"]) == 2 + len(oil_platform.METHODS) * n_ranks + n_ranks
    assert len(result["reductions"]) == len(oil_platform.METHODS) * n_ranks * 2
    # the saved full ESN and POD-DEIM reproduce the reported test NRMSE
    ds = make_oil_platform_dataset(**st["dataset"])
    idx = output_indices(ds)
    u, y = ds.split("test")
    full = load_identified_model(out / "models", "full_esn")
    np.testing.assert_allclose(nrmse(y[:, idx], full.predict(u), multioutput="raw_values"),
                               result["full"]["test"], rtol=1e-9)
    pod = load_identified_model(out / "models", "pod_deim")
    assert pod.estimator.reservoir_.n_states_ == st["save_rank"]
    red = [r for r in result["reductions"] if r["model"] == "pod-deim"
           and r["dim"] == st["save_rank"] and r["readout"] == saved["saved_models"]["pod_deim_readout"]]
    np.testing.assert_allclose(np.mean(nrmse(y[:, idx], pod.predict(u), multioutput="raw_values")),
                               red[0]["test_mean"], rtol=1e-9)
    arx = load(out / "models" / "arx.npz")
    assert arx.A_.shape[0] == result["arx"]["params"]["output_lags"]
