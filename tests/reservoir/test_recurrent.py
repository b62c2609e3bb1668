"""Random frozen RNN / LSTM / GRU reservoirs and the windowed protocol (rcpod.reservoir)."""
import json

import numpy as np
import pytest
from sklearn.base import clone

from rcpod.reservoir import ESN, ClassicalRNNReservoir, WindowFeatures, _savefile, window_features
from rcpod.reservoir.persistence import load, save


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


def test_window_features_and_transformer():
    res = ClassicalRNNReservoir(cell="gru", hidden_size=3, random_state=0).initialize(2)
    W = np.random.default_rng(2).normal(size=(5, 4, 2))
    last = window_features(res, W)
    for i in range(5):   # each window from the zero state, last step's features
        np.testing.assert_allclose(last[i], res.features(res.run(W[i]))[-1], atol=1e-14)
    cat = window_features(res, W, concat=True)
    assert cat.shape == (5, 4 * 3)
    np.testing.assert_array_equal(cat[:, -3:], last)
    tf = WindowFeatures(ClassicalRNNReservoir(cell="gru", hidden_size=3, random_state=0)).fit(W)
    np.testing.assert_array_equal(tf.transform(W), last)
    with pytest.raises(ValueError, match="expecting 8 features"):
        tf.transform(W[:, :3])
    # no reservoir given: an ESN, as for ReservoirRegressor
    assert isinstance(WindowFeatures().fit(W).reservoir_, ESN)


def _as_0_1_0_file(model, path, renames):
    """``model`` written as rcpod 0.1.0 wrote it (format 1), with its old class paths."""
    raw, arrays, _ = _savefile.read(save(model, path.with_name("new.npz")))
    meta = json.loads(raw)

    def walk(node):
        if isinstance(node, dict):
            node.pop("id", None)
            if "__object__" in node:
                node["__object__"] = renames.get(node["__object__"], node["__object__"])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(meta["model"])
    old = {"format": meta["format"], "version": 1, "model": meta["model"],
           "sha256": _savefile.digest_v1(arrays)}
    np.savez(path, __rcpod__=np.frombuffer(json.dumps(old).encode(), dtype=np.uint8), **arrays)
    return path


def test_0_1_0_class_paths_load_the_moved_classes(tmp_path):
    W = np.random.default_rng(3).normal(size=(6, 4, 1))
    model = WindowFeatures(ClassicalRNNReservoir(cell="lstm", random_state=0)).fit(W)
    path = _as_0_1_0_file(model, tmp_path / "old.npz", {
        "rcpod.reservoir.windows:WindowFeatures": "quantum.windows:WindowFeatures",
        "rcpod.reservoir.recurrent:ClassicalRNNReservoir": "quantum.classical:ClassicalRNNReservoir"})
    with np.load(path) as npz:
        assert "quantum.classical:ClassicalRNNReservoir" in npz["__rcpod__"].tobytes().decode()
    loaded = load(path)
    assert type(loaded) is WindowFeatures and type(loaded.reservoir_) is ClassicalRNNReservoir
    np.testing.assert_array_equal(loaded.transform(W), model.transform(W))
