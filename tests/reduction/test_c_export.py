"""to_c: generated C compiled with the system compiler, loaded with ctypes, against the numpy
step, the readout and the analytic Jacobians."""
import shutil

import numpy as np
import pytest

pytest.importorskip("casadi")

from rcpod.reduction import reduce, step_jacobians, to_c  # noqa: E402
from rcpod.reduction.c_export import compile_c, find_c_compiler, load_c  # noqa: E402
from rcpod.reservoir import ESN, ESNRegressor  # noqa: E402

needs_cc = pytest.mark.skipif(not any(shutil.which(c) for c in ("cc", "gcc", "clang")),
                              reason="no C compiler on PATH")


@pytest.fixture(scope="module")
def models():
    rng = np.random.default_rng(2)
    u = rng.uniform(-1, 1, (500, 2))
    y = np.column_stack([np.roll(u[:, 0], 1) * u[:, 1], np.sin(np.roll(u[:, 1], 2))])
    est = ESNRegressor(n_units=50, leak_rate=0.6, bias_scaling=0.3, density=0.1, washout=30,
                       include_input=True, random_state=3).fit(u, y)
    out = {"ESN": est.reservoir_, "full estimator": est}
    for method in ("pod", "pod-deim-stabilized"):
        out[method] = reduce(est, u, method=method, rank=10, check_stability=False,
                             output_tol=None)
    out["linearized output-weighted"] = reduce(
        est, u, y, sampling="qdeim", nonlinearity="linearized", basis="output-weighted",
        nl_fit="lstsq", rank=10, n_points=20, check_stability=False, output_tol=None)
    return out, u


@needs_cc
@pytest.mark.parametrize("which", ["ESN", "full estimator", "pod", "pod-deim-stabilized",
                                   "linearized output-weighted"])
def test_compiled_matches_numpy(models, which, tmp_path):
    mods, u = models
    model = mods[which]
    res = getattr(model, "reservoir_", model)
    src = to_c(model, tmp_path, name="m_" + which.replace(" ", "_").replace("-", "_"))
    assert src.header.read_text().count(f"int {src.name}_") == 4
    c = load_c(compile_c(src), src)
    form = res.form()
    states = res.run(u[:40])
    np.testing.assert_allclose(c.run(u[:40], res.initial_state()), form.run(
        u[:40], res.initial_state()), rtol=0, atol=1e-12)
    pred = model.predict(u[:40]) if res is not model else states
    for k in range(1, 40, 7):
        x, uk = states[k - 1], u[k]
        np.testing.assert_allclose(c.step(x, uk), form.step(x, uk), rtol=0, atol=1e-12)
        np.testing.assert_allclose(c.output(states[k], uk), pred[k], rtol=0, atol=1e-12)
        Js, Ju = step_jacobians(model, x, uk)
        Jcs, Jcu = c.jacobians(x, uk)
        np.testing.assert_allclose(Jcs, Js, rtol=0, atol=1e-12)
        np.testing.assert_allclose(Jcu, Ju, rtol=0, atol=1e-12)


def test_missing_compiler_is_a_clear_error(models, tmp_path, monkeypatch):
    src = to_c(models[0]["ESN"], tmp_path)
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(RuntimeError, match="no C compiler found"):
        find_c_compiler()
    with pytest.raises(RuntimeError, match="no C compiler found.*compiler="):
        compile_c(src)


@needs_cc
def test_compiler_failure_shows_its_messages(tmp_path):
    bad = tmp_path / "bad.c"
    bad.write_text("int f( {")
    with pytest.raises(RuntimeError, match="compiling .*bad.c failed"):
        compile_c(bad)


def test_bad_input(tmp_path):
    esn = ESN(n_units=5, random_state=0).initialize(1)
    with pytest.raises(ValueError, match="name must be a C identifier"):
        to_c(esn, tmp_path, name="1model")
    with pytest.raises(TypeError, match="name"):
        to_c(esn, tmp_path, name=3)
    with pytest.raises(TypeError, match="model"):
        to_c(object(), tmp_path)
    with pytest.raises(TypeError, match="source"):
        load_c(tmp_path / "x.so", "x.c")


@needs_cc
def test_static_work_arrays_for_large_models(models, tmp_path, monkeypatch):
    """Work arrays above STACK_DOUBLES are static (a full N = 1000 ESN's Jacobians need ~10 MB,
    which overflowed the stack); the code computes the same."""
    from rcpod.reduction import c_export
    monkeypatch.setattr(c_export, "STACK_DOUBLES", 1)
    model = models[0]["full estimator"]
    src = to_c(model, tmp_path)
    assert "static casadi_real w[" in src.source.read_text()
    c = load_c(compile_c(src), src)
    x, u = model.reservoir_.run(models[1][:10])[-1], models[1][10]
    for got, want in zip(c.jacobians(x, u), step_jacobians(model, x, u)):
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)
    np.testing.assert_allclose(c.step(x, u), model.reservoir_.form().step(x, u), rtol=0,
                               atol=1e-12)


def test_unfitted_or_foreign_models_are_refused(tmp_path):
    from sklearn.exceptions import NotFittedError
    with pytest.raises(NotFittedError, match="not initialized"):
        to_c(ESN(n_units=5), tmp_path)
    with pytest.raises(TypeError, match="model must be"):
        to_c("esn", tmp_path)
