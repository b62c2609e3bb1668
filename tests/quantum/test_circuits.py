import numpy as np
import pennylane as qml
import pytest

from rcpod.quantum.circuits import (entangler_pairs, make_device, make_qnode, variational_unitary, vqc)


def test_qnode_is_drawable_and_has_the_reference_gates():
    qnode = make_qnode(4, n_out=3)
    w = np.zeros((2, 4, 3))
    text = qml.draw(qnode)(np.arange(4.0), w)
    assert text.count("H") >= 4
    assert "RY" in text and "RZ" in text and "Rot" in text
    assert text.count("<Z>") == 3
    specs = qml.specs(qnode)(np.arange(4.0), w)
    counts = specs["resources"].gate_types
    assert counts["CNOT"] == 2 * 2 * 4 and counts["Rot"] == 2 * 4 and counts["Hadamard"] == 4


def test_vqc_template_in_user_qnode_matches_make_qnode(ref_qnode):
    rng = np.random.default_rng(0)
    v, w = rng.normal(size=3), rng.uniform(0, 2 * np.pi, (2, 3, 3))
    dev = qml.device("default.qubit", wires=["a", "b", "c"])

    @qml.qnode(dev)
    def circ(v, w):
        vqc(v, w, wires=["a", "b", "c"])
        return [qml.expval(qml.PauliZ(x)) for x in ["a", "b", "c"]]

    np.testing.assert_allclose(np.array(circ(v, w)), ref_qnode(3)(v, w), atol=1e-12)
    np.testing.assert_allclose(np.array(make_qnode(3)(v, w)), ref_qnode(3)(v, w), atol=1e-12)


def test_entangler_pairs():
    assert entangler_pairs(4) == [(0, 1), (1, 2), (2, 3), (3, 0), (0, 2), (1, 3), (2, 0), (3, 1)]
    assert entangler_pairs(2) == [(0, 1), (1, 0)]  # second ring CNOT(i, i) skipped
    assert entangler_pairs(3) == [(0, 1), (1, 2), (2, 0), (0, 2), (1, 0), (2, 1)]


@pytest.mark.parametrize("n", [2, 3, 5])
def test_variational_unitary_is_unitary(n):
    U = variational_unitary(np.random.default_rng(n).uniform(0, 6, (2, n, 3)))
    np.testing.assert_allclose(U @ U.conj().T, np.eye(2 ** n), atol=1e-12)


def test_unknown_device_is_a_clear_error():
    with pytest.raises(ValueError, match="Unknown PennyLane device 'no.such.device'"):
        make_qnode(4, device="no.such.device")
    with pytest.raises(TypeError, match="device must be"):
        make_device(3, 4)


def test_bad_qnode_arguments():
    with pytest.raises(ValueError, match="n_out"):
        make_qnode(4, n_out=5)
    with pytest.raises(ValueError, match="shots"):
        make_qnode(4, shots=0)
    with pytest.raises(ValueError, match="weights"):
        variational_unitary(np.zeros((2, 4)))
    with pytest.raises(ValueError, match="NaN"):
        variational_unitary(np.full((1, 2, 3), np.nan))


def test_other_device_by_name():
    rng = np.random.default_rng(1)
    v, w = rng.normal(size=3), rng.uniform(0, 6, (1, 3, 3))
    a = np.array(make_qnode(3, device="lightning.qubit")(v, w))
    b = np.array(make_qnode(3)(v, w))
    np.testing.assert_allclose(a, b, atol=1e-10)
