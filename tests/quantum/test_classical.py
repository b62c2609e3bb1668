import numpy as np
import pytest
from sklearn.base import clone

from rcpod.quantum import ClassicalRNNReservoir


def _sig(x):
    return 1.0 / (1.0 + np.exp(-x))


def reference_run(res, X):
    """PyTorch's documented RNN/LSTM/GRU equations, one gate at a time (independent code)."""
    H = res.hidden_size
    Wi, Wh, bi, bh = res.W_ih_, res.W_hh_, res.b_ih_, res.b_hh_
    blk = lambda M, k: M[k * H:(k + 1) * H]  # noqa: E731
    h, c, out = np.zeros(H), np.zeros(H), []
    for x in X:
        if res.cell == "rnn":
            h = np.tanh(Wi @ x + bi + Wh @ h + bh)
        elif res.cell == "lstm":
            gate = lambda k: blk(Wi, k) @ x + blk(bi, k) + blk(Wh, k) @ h + blk(bh, k)  # noqa: E731
            i, f, g, o = _sig(gate(0)), _sig(gate(1)), np.tanh(gate(2)), _sig(gate(3))
            c = f * c + i * g
            h = o * np.tanh(c)
        else:
            r = _sig(blk(Wi, 0) @ x + blk(bi, 0) + blk(Wh, 0) @ h + blk(bh, 0))
            z = _sig(blk(Wi, 1) @ x + blk(bi, 1) + blk(Wh, 1) @ h + blk(bh, 1))
            n = np.tanh(blk(Wi, 2) @ x + blk(bi, 2) + r * (blk(Wh, 2) @ h + blk(bh, 2)))
            h = (1 - z) * n + z * h
        out.append(h)
    return np.array(out)


@pytest.mark.parametrize("cell, gates", [("rnn", 1), ("lstm", 4), ("gru", 3)])
def test_matches_pytorch_equations_and_init(cell, gates):
    res = ClassicalRNNReservoir(cell=cell, hidden_size=5, random_state=0).initialize(2)
    assert res.W_ih_.shape == (gates * 5, 2) and res.W_hh_.shape == (gates * 5, 5)
    k = 1 / np.sqrt(5)
    for M in (res.W_ih_, res.W_hh_, res.b_ih_, res.b_hh_):
        assert M.min() >= -k and M.max() <= k
    X = np.random.default_rng(1).normal(size=(3, 7, 2))
    st = res.run(X)
    for b in range(3):
        np.testing.assert_allclose(res.features(st[b]), reference_run(res, X[b]), atol=1e-13)
    s = res.initial_state(3)
    for t in range(7):
        s = res.step(s, X[:, t])
    np.testing.assert_allclose(s, st[:, -1], atol=1e-13)
    np.testing.assert_array_equal(clone(res).initialize(2).W_hh_, res.W_hh_)


def test_windows_and_errors():
    res = ClassicalRNNReservoir(cell="lstm", hidden_size=4, random_state=0).initialize(1)
    assert res.n_states_ == 8 and res.n_features_out_ == 4
    W = np.random.default_rng(0).normal(size=(6, 4, 1))
    np.testing.assert_allclose(res.run_windows(W)[2], res.features(res.run(W[2]))[-1], atol=1e-14)
    with pytest.raises(ValueError, match="hidden_size"):
        ClassicalRNNReservoir(hidden_size=0).initialize(1)
    with pytest.raises(ValueError, match="cell"):
        ClassicalRNNReservoir(cell="transformer").initialize(1)
    with pytest.raises(ValueError, match="NaN"):
        res.run(np.full((3, 1), np.nan))
