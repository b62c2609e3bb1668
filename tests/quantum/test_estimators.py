"""QuantumReservoirRegressor and the windowed pipeline (the scikit-learn contract: tests/test_sklearn_contract.py)."""
import numpy as np
import pytest
from sklearn.linear_model import LinearRegression
from sklearn.pipeline import make_pipeline

from rcpod.quantum import QuantumReservoir
from rcpod.reservoir import WindowFeatures
from rcpod.quantum.datasets import load_task
from rcpod.quantum.estimators import QuantumReservoirRegressor

def test_regressor_equals_manual_reservoir_plus_ridge():
    u = np.sin(np.linspace(0, 20, 300))[:, None]
    model = QuantumReservoirRegressor(cell="lstm", init="uniform", washout=10, ridge=1e-8,
                                      random_state=0).fit(u[:-1], u[1:, 0])
    res = QuantumReservoir(cell="lstm", init="uniform", random_state=0).initialize(1)
    np.testing.assert_array_equal(model.reservoir_.weights_, res.weights_)
    F = res.features(res.run(u[:-1]))
    A = np.hstack([F[10:], np.ones((289, 1))])
    coef = np.linalg.solve(A.T @ A + 1e-8 * np.diag([1, 1, 1, 1, 0]), A.T @ u[11:, 0])
    np.testing.assert_allclose(model.predict(u[:-1])[10:], A @ coef, atol=1e-6)
    assert model.score(u[:-1], u[1:, 0]) > 0.95


def test_window_pipeline_on_damped_oscillator():
    t = load_task("damped_oscillator")
    pipe = make_pipeline(WindowFeatures(QuantumReservoir(cell="rnn", random_state=0)), LinearRegression())
    pipe.fit(t.X_train[:, :, 0], t.y_train)
    mse = np.mean((pipe.predict(t.X_test[:, :, 0]) - t.y_test) ** 2)
    assert mse < 2e-3
    feats = pipe[0].transform(t.X_test)
    np.testing.assert_array_equal(feats, pipe[0].reservoir_.run_windows(t.X_test))
    with pytest.raises(ValueError, match="w >= 1"):
        pipe.predict(np.zeros((3, 0)))


def test_too_many_features_for_the_qubits_is_a_clear_error():
    u = np.random.default_rng(0).uniform(-1, 1, (30, 4))
    with pytest.raises(ValueError, match=r"n_qubits=4.*4 features.*n_qubits >= 5"):
        QuantumReservoirRegressor(n_qubits=4).fit(u, u[:, 0])
    with pytest.raises(ValueError, match=r"n_qubits=4.*3 features.*hidden_size=2.*n_qubits >= 5"):
        QuantumReservoirRegressor(n_qubits=4, hidden_size=2).fit(u[:, :3], u[:, 0])
    # one input wire per feature plus one hidden wire is enough
    QuantumReservoirRegressor(n_qubits=5, n_layers=1, random_state=0).fit(u, u[:, 0])


def test_quantum_regressor_sklearn_conventions():
    u = np.sin(np.linspace(0, 20, 60))[:, None]
    model = QuantumReservoirRegressor(n_qubits=3, n_layers=1, random_state=0)
    assert model.get_params()["random_state"] == 0
    assert hasattr(model, "partial_fit")
    with pytest.raises(ValueError, match=r"reshape\(-1, 1\)"):
        model.fit(u[:, 0], u[:, 0])
    pd = pytest.importorskip("pandas")
    model.fit(pd.DataFrame(u, columns=["x"]), u[:, 0])
    assert list(model.feature_names_in_) == ["x"]
    with pytest.raises(ValueError, match="feature names"):
        model.predict(pd.DataFrame(u, columns=["z"]))
