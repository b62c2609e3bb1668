import numpy as np
import pennylane as qml
import pytest

from rcpod.quantum.circuits import make_qnode
from rcpod.quantum.fast import (MAX_FAST_QUBITS, VQCBank, dense_unitaries, encode_qubits, product_states,
                          sample_expvals, z_signs)

# every qubit count 2..8; layer counts cycle through 1..4 (two per qubit count)
GRID = [(n, L) for n in range(2, 9) for L in sorted({(n % 4) + 1, ((n + 2) % 4) + 1})]


@pytest.mark.parametrize("n, L", GRID)
@pytest.mark.parametrize("method", ["dense", "gates"])
def test_bank_equals_pennylane_qnode(n, L, method, ref_qnode):
    rng = np.random.default_rng(100 * n + L)
    W = rng.uniform(0, 2 * np.pi, (2, L, n, 3))
    v = rng.normal(scale=1.5, size=(3, n))
    bank = VQCBank(W, [(0, 1), (1,)], method=method)
    z = bank.expvals(0, v)
    ref = np.array([[ref_qnode(n)(v[b], W[g]) for g in range(2)] for b in range(3)])
    assert z.shape == (3, 2, n)
    np.testing.assert_allclose(z, ref, atol=1e-10, rtol=0)
    np.testing.assert_allclose(bank.expvals(1, v)[:, 0], ref[:, 1], atol=1e-10, rtol=0)


def test_product_state_equals_pennylane_state():
    n = 3
    v = np.array([0.3, -1.2, 2.0])
    dev = qml.device("default.qubit", wires=n)

    @qml.qnode(dev)
    def enc(v):
        for i in range(n):
            qml.Hadamard(i)
            qml.RY(np.arctan(v[i]), wires=i)
            qml.RZ(np.arctan(v[i] ** 2), wires=i)
        return qml.state()

    np.testing.assert_allclose(product_states(v[None])[0], enc(v), atol=1e-14)
    assert encode_qubits(v).shape == (3, 2)


def test_zero_weights_are_a_parity_map():
    """All angles 0: <Z_i> = prod over the CNOT network's parity set of -v_j / sqrt(1 + v_j^2)."""
    n, L = 5, 2
    A = np.eye(n, dtype=int)  # GF(2) map of the CNOT network x -> A x
    for _ in range(L):
        for step in (1, 2):
            for i in range(n):
                t = (i + step) % n
                A[t] = (A[t] + A[i]) % 2
    v = np.random.default_rng(3).normal(size=(4, n))
    single = -v / np.sqrt(1 + v ** 2)
    expected = np.stack([np.prod(np.where(A[i] == 1, single, 1.0), axis=1) for i in range(n)], axis=1)
    z = VQCBank(np.zeros((1, L, n, 3)), [(0,)]).expvals(0, v)[:, 0]
    np.testing.assert_allclose(z, expected, atol=1e-13)


def test_z_signs():
    s = z_signs(2)
    np.testing.assert_array_equal(s, [[1, 1], [1, -1], [-1, 1], [-1, -1]])


def test_shots_converge_to_analytic_values():
    rng = np.random.default_rng(7)
    n = 4
    W = rng.uniform(0, 2 * np.pi, (3, 2, n, 3))
    bank = VQCBank(W, [(0, 1, 2)])
    v = rng.normal(size=(20, n))
    exact = bank.expvals(0, v)
    sample_rng = np.random.default_rng(123)
    rms = []
    for shots in (100, 10_000, 1_000_000):
        est = bank.expvals(0, v, shots=shots, rng=sample_rng)
        sigma = np.sqrt(np.clip(1 - exact ** 2, 1e-12, None) / shots)
        assert np.all(np.abs(est - exact) <= 5 * sigma + 1e-12)
        # estimates are sample means of +-1 outcomes
        assert np.allclose(np.round(est * shots), est * shots)
        rms.append(np.sqrt(np.mean((est - exact) ** 2)))
    assert rms[0] / rms[1] > 5 and rms[1] / rms[2] > 5  # ~ 1/sqrt(shots): factor 10 expected


def test_pennylane_shots_agree_with_fast_statistically(ref_qnode):
    rng = np.random.default_rng(5)
    W = rng.uniform(0, 2 * np.pi, (1, 2, 3, 3))
    v = rng.normal(size=3)
    shots = 20_000
    est = np.array(make_qnode(3, shots=shots, seed=11)(v, W[0]))
    exact = VQCBank(W, [(0,)]).expvals(0, v[None])[0, 0]
    assert np.all(np.abs(est - exact) <= 5 * np.sqrt((1 - exact ** 2) / shots) + 1e-12)
    assert not np.allclose(est, exact, atol=1e-8)


def test_sample_expvals_needs_rng_and_is_reproducible():
    W = np.zeros((1, 1, 2, 3))
    bank = VQCBank(W, [(0,)])
    with pytest.raises(ValueError, match="rng"):
        bank.expvals(0, np.zeros((1, 2)), shots=10)
    p = np.full((2, 4), 0.25)
    a = sample_expvals(p, z_signs(2), 50, np.random.default_rng(0))
    b = sample_expvals(p, z_signs(2), 50, np.random.default_rng(0))
    np.testing.assert_array_equal(a, b)


def test_too_many_qubits_for_fast_backend():
    W = np.zeros((1, 1, MAX_FAST_QUBITS + 1, 3))
    with pytest.raises(ValueError, match="exceeds the fast backend's limit"):
        VQCBank(W, [(0,)])
    with pytest.raises(ValueError, match="method='gates'"):
        VQCBank(np.zeros((1, 1, 13, 3)), [(0,)], method="dense")


def test_bad_bank_arguments():
    with pytest.raises(ValueError, match="method"):
        VQCBank(np.zeros((1, 1, 2, 3)), [(0,)], method="magic")
    with pytest.raises(ValueError, match="group"):
        VQCBank(np.zeros((1, 1, 2, 3)), [(0, 1)])
    with pytest.raises(ValueError, match="weights"):
        VQCBank(np.zeros((1, 2, 3)), [(0,)])


def test_gates_method_at_ten_qubits_matches_pennylane(ref_qnode):
    rng = np.random.default_rng(12)
    W = rng.uniform(0, 2 * np.pi, (1, 1, 10, 3))
    v = rng.normal(size=(2, 10))
    bank = VQCBank(W, [(0,)])
    assert bank.method == "gates"
    ref = np.array([ref_qnode(10)(v[b], W[0]) for b in range(2)])
    np.testing.assert_allclose(bank.expvals(0, v)[:, 0], ref, atol=1e-10, rtol=0)


def test_dense_unitary_from_gates_equals_qml_matrix():
    W = np.random.default_rng(2).uniform(0, 2 * np.pi, (2, 3, 5, 3))
    np.testing.assert_allclose(dense_unitaries(W, use_qml_matrix=False),
                               dense_unitaries(W, use_qml_matrix=True), atol=1e-12)


@pytest.mark.parametrize("shots, error", [(0, ValueError), (-5, ValueError), (2.5, TypeError),
                                          (None, TypeError)])
def test_shot_sampling_refuses_bad_shots(shots, error):
    from rcpod.quantum.fast import sample_expvals, z_signs
    with pytest.raises(error, match="shots"):
        sample_expvals(np.full(4, 0.25), z_signs(2), shots, np.random.default_rng(0))
