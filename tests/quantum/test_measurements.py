"""Richer readout measurements (X/Y/Z on every wire, ZZ correlators): exact and with shots.

The exact values are checked against the PennyLane QNodes of conftest.py, written from the
published circuit independently of ``rcpod.quantum.circuits``; the shot estimates against the
exact values with z-scores whose spread must be that of genuine binomial noise (too small fails
as well as too large).
"""
import numpy as np
import pytest

from rcpod.quantum import QuantumReservoir, VQCBank
from rcpod.quantum.circuits import make_qnode
from rcpod.quantum.fast import (observable_labels, pauli_expvals, product_states,
                                sample_pauli_expvals)

from .conftest import reference_qnode


@pytest.mark.parametrize("n, L, method", [(2, 1, "dense"), (3, 4, "gates"), (4, 2, "dense"),
                                          (5, 3, "gates"), (9, 2, "auto"), (12, 1, "gates")])
def test_bank_observables_equal_pennylane(n, L, method):
    rng = np.random.default_rng(7 * n + L)
    W = rng.uniform(0, 2 * np.pi, (2, L, n, 3))
    v = rng.normal(scale=1.5, size=(2, n))
    bank = VQCBank(W, [(0, 1)], method=method)
    ref = reference_qnode(n, paulis=True)
    z, obs = bank.measure(0, v, "xyz+zz", circuit=1)
    expected = np.array([ref(v[b], W[1]) for b in range(2)])
    assert obs.shape == (2, 3 * n + n * (n - 1) // 2) == expected.shape
    np.testing.assert_allclose(obs, expected, atol=1e-10, rtol=0)
    np.testing.assert_allclose(z[:, 0], bank.expvals(0, v)[:, 0], atol=1e-12)  # the other circuit
    np.testing.assert_allclose(z[:, 1], expected[:, 2 * n:3 * n], atol=1e-10, rtol=0)
    _, obs3 = bank.measure(0, v, "xyz", circuit=1)
    np.testing.assert_allclose(obs3, expected[:, :3 * n], atol=1e-10, rtol=0)
    # rcpod's own QNode factory agrees too
    qn = make_qnode(n, measurements="xyz+zz")
    np.testing.assert_allclose([float(e) for e in qn(v[0], W[1])], expected[0], atol=1e-10)


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("init", ["paper", "uniform"])
def test_reservoir_fast_equals_pennylane_with_richer_measurements(cell, init):
    u = np.random.default_rng(1).uniform(-1, 1, (5, 1))
    kw = dict(cell=cell, n_qubits=3, n_layers=2, init=init, measurements="xyz+zz", random_state=3)
    fast = QuantumReservoir(**kw).initialize(1)
    ref = QuantumReservoir(backend="pennylane", device="default.qubit", **kw).initialize(1)
    a, b = fast.run(u), ref.run(u)
    np.testing.assert_allclose(a, b, atol=1e-10, rtol=0)
    # the extra measurements do not change the recurrence: the cell's states are the reference's
    plain = QuantumReservoir(**{**kw, "measurements": "reference"}).initialize(1)
    base = plain.run(u)
    np.testing.assert_allclose(a[:, :base.shape[1]], base, atol=1e-12)
    feats = fast.features(a)
    n_obs = len(observable_labels(3, "xyz+zz"))
    assert feats.shape == (5, plain.n_features_out_ + n_obs) and fast.n_features_out_ == feats.shape[1]
    np.testing.assert_allclose(feats[:, :plain.n_features_out_], plain.features(base), atol=1e-12)
    # step() continues a run exactly
    np.testing.assert_allclose(fast.step(a[-2], u[-1]), a[-1], atol=1e-12)


def test_lightning_qubit_agrees_at_eight_qubits():
    u = np.random.default_rng(2).uniform(-1, 1, (3, 1))
    kw = dict(cell="rnn", n_qubits=8, n_layers=2, init="uniform", measurements="xyz+zz",
              random_state=0)
    a = QuantumReservoir(**kw).initialize(1).run(u)
    b = QuantumReservoir(backend="pennylane", device="lightning.qubit", **kw).initialize(1).run(u)
    np.testing.assert_allclose(a, b, atol=1e-10, rtol=0)


def _states(n, B, seed):
    rng = np.random.default_rng(seed)
    W = rng.uniform(0, 2 * np.pi, (1, 2, n, 3))
    return VQCBank(W, [(0,)]).states(0, rng.normal(size=(B, n)))[:, 0]


def test_shot_estimates_have_binomial_noise_and_converge():
    """z = (estimate - exact) / sqrt((1 - exact^2) / shots) must look standard normal.

    900 values per shot count (50 states x 18 observables): the mean of z^2 has sd
    sqrt(2/900) = 0.047 (more where Z and ZZ share shots), so the band [0.8, 1.2] is ~+-4 sd
    wide. An estimator without noise (z = 0), with the wrong scale (e.g. twice the noise: mean
    z^2 = 4) or a bias fails; and no |z| may exceed 6.
    """
    n = 4
    psi = _states(n, 50, seed=11)
    exact = pauli_expvals(psi, "xyz+zz")
    rng = np.random.default_rng(5)
    rms_err = []
    for shots in (100, 10_000, 1_000_000):
        est = sample_pauli_expvals(psi, "xyz+zz", shots, rng)
        var = (1.0 - exact ** 2) / shots
        ok = var > 1e-12 / shots
        zscore = (est - exact)[ok] / np.sqrt(var[ok])
        assert zscore.size >= 850
        assert 0.8 < np.mean(zscore ** 2) < 1.2, shots
        assert np.abs(zscore).max() < 6, shots
        assert abs(np.mean(zscore)) < 0.15, shots   # 0.15 = 4.5 sd of the mean of 900 z
        rms_err.append(np.sqrt(np.mean((est - exact) ** 2)))
    # error ~ 1/sqrt(shots): 10x smaller per 100x shots (factor 7..14 allowed)
    assert 7 < rms_err[0] / rms_err[1] < 14 and 7 < rms_err[1] / rms_err[2] < 14


def test_reservoir_with_shots_converges_and_is_reproducible():
    u = np.random.default_rng(3).uniform(-1, 1, (20, 1))
    kw = dict(cell="gru", n_qubits=4, n_layers=2, init="uniform", measurements="xyz+zz",
              random_state=4)
    exact = QuantumReservoir(**kw).initialize(1).run(u)
    errs = []
    for shots in (100, 10_000, 1_000_000):
        res = QuantumReservoir(shots=shots, **kw).initialize(1)
        a = res.run(u)
        again = QuantumReservoir(shots=shots, **kw).initialize(1).run(u)
        np.testing.assert_array_equal(a, again)          # same seed, same noise
        assert not np.array_equal(res.run(u), a)         # a second run draws fresh noise
        errs.append(np.sqrt(np.mean((a - exact) ** 2)))
    assert errs[0] > errs[1] > errs[2] > 0
    assert errs[2] < 3e-3                                # ~ 1/sqrt(1e6) per value


def test_pauli_expvals_of_known_states():
    # |0>|1>: Z = (1, -1), ZZ = -1; |+i>: Y = 1
    psi = np.array([0, 1, 0, 0], dtype=complex)
    np.testing.assert_allclose(pauli_expvals(psi, "xyz+zz"), [0, 0, 0, 0, 1, -1, -1], atol=1e-15)
    plus_i = np.array([1, 1j]) / np.sqrt(2)
    np.testing.assert_allclose(pauli_expvals(plus_i, "xyz"), [0, 1, 0], atol=1e-15)
    # the product state of the encoding, checked against qml.state() in test_fast, has
    # <X> = 2 Re(conj(a) b) per wire
    q = product_states(np.zeros((1, 1)))[0]
    np.testing.assert_allclose(pauli_expvals(q, "xyz"), [1, 0, 0], atol=1e-15)


@pytest.mark.parametrize("bad", ["z", "zz", "XYZ"])
def test_bad_measurements(bad):
    with pytest.raises(ValueError, match="measurements"):
        QuantumReservoir(measurements=bad).initialize(1)
    with pytest.raises(ValueError, match="measurements"):
        pauli_expvals(np.ones(2) / np.sqrt(2), bad)
