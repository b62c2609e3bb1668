"""Shared fixtures of the reduction tests: a small trained ESN and its snapshots."""
import numpy as np
import pytest

from rcpod.reservoir import ESN, ESNRegressor


@pytest.fixture(scope="module")
def rng():
    return np.random.default_rng(1234)


@pytest.fixture(scope="module")
def esn():
    """Small leaky ESN with a bias and two inputs (sparse W)."""
    return ESN(n_units=30, spectral_radius=0.9, leak_rate=0.7, input_scaling=0.8,
               bias_scaling=0.3, density=0.2, random_state=0).initialize(2)


@pytest.fixture(scope="module")
def inputs():
    return np.random.default_rng(7).uniform(-1, 1, (400, 2))


@pytest.fixture(scope="module")
def fitted():
    """ESNRegressor trained on a 2-input, 2-target nonlinear task, with its data."""
    rng = np.random.default_rng(3)
    u = rng.uniform(-1, 1, (700, 2))
    y = np.column_stack([np.roll(u[:, 0], 2) * u[:, 1], np.sin(np.roll(u[:, 1], 1))])
    est = ESNRegressor(n_units=40, spectral_radius=0.9, leak_rate=0.6, input_scaling=0.7,
                       bias_scaling=0.2, density=0.2, ridge=1e-6, washout=50,
                       random_state=1).fit(u[:500], y[:500])
    return est, u, y


@pytest.fixture(scope="module")
def trained():
    """ESNRegressor (N = 60, leak rate 0.6) on a 1-input delay task, with its data: the
    snapshot paths (matrix, streamed, held) are compared on it."""
    rng = np.random.default_rng(11)
    u = rng.uniform(-0.5, 0.5, (1200, 1))
    y = np.roll(u, 2, axis=0) * 2 + 0.3 * np.roll(u, 1, axis=0) ** 2
    est = ESNRegressor(n_units=60, leak_rate=0.6, spectral_radius=0.9, washout=50,
                       ridge=1e-6, random_state=0).fit(u, y)
    return est, u, y
