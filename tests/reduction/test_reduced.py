"""Reduced reservoirs: exactness at full rank, protocol behaviour, compiled vs reference loops."""
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from rcpod.reservoir import ESN
from rcpod.reservoir.persistence import load, save
from rcpod.reduction import (DEIMReservoir, PODReservoir, ReducedReservoir, StabilizedDEIMReservoir,
                       collect_snapshots, deim, pod, qdeim)


def _build(kind, esn, snaps, r, m=None, center=False, select=qdeim, n_basis=None):
    Psi, _ = pod(snaps.states, rank=r, center=center)
    mean = snaps.states.mean(axis=1) if center else None
    if kind == "pod":
        return PODReservoir.from_esn(esn, Psi, mean=mean)
    nl = snaps.remainder if kind == "stab" else snaps.nonlinear
    U, _ = pod(nl, rank=n_basis or m)
    cls = StabilizedDEIMReservoir if kind == "stab" else DEIMReservoir
    return cls.from_esn(esn, Psi, U, select(U, n_points=m), mean=mean)


@pytest.fixture(scope="module")
def snaps(esn, inputs):
    return collect_snapshots(esn, inputs)


def test_snapshots_are_consistent(esn, inputs, snaps):
    X = esn.run(inputs)
    np.testing.assert_allclose(snaps.states, X.T)
    # x[k] = (1-a) x[k-1] + a f[k]
    prev = np.vstack([np.zeros(30), X[:-1]])
    np.testing.assert_allclose(X, 0.3 * prev + 0.7 * snaps.nonlinear.T, atol=1e-14)
    s = collect_snapshots(esn, inputs, washout=100)
    assert s.n_snapshots == 300
    np.testing.assert_allclose(s.states, X[100:].T)
    # several series (list and 3-D batch) give the same columns
    lst = collect_snapshots(esn, [inputs[:200], inputs[200:]], washout=10)
    bat = collect_snapshots(esn, np.stack([inputs[:200], inputs[200:]]), washout=10)
    np.testing.assert_allclose(lst.states, bat.states, atol=1e-14)
    np.testing.assert_allclose(lst.nonlinear, bat.nonlinear, atol=1e-14)
    assert lst.lengths == [190, 190]


@pytest.mark.parametrize("kind", ["pod", "deim", "qdeim", "stab"])
@pytest.mark.parametrize("center", [False, True])
def test_full_rank_reproduces_esn(esn, inputs, snaps, kind, center):
    select = deim if kind == "deim" else qdeim
    red = _build("deim" if kind == "qdeim" else kind, esn, snaps, 30, m=30, center=center,
                 select=select)
    X = esn.run(inputs)
    Z = red.run(inputs)
    np.testing.assert_allclose(red.lift(Z), X, atol=1e-10, rtol=0)
    np.testing.assert_allclose(red.project(X), Z, atol=1e-10, rtol=0)
    # numpy reference loop, single steps and batched runs agree with the compiled loop
    Zn = clone(red).set_params(backend="numpy").initialize(2).run(inputs)
    np.testing.assert_allclose(Zn, Z, atol=1e-12, rtol=0)
    z = red.initial_state()
    for k in range(5):
        z = red.step(z, inputs[k])
    np.testing.assert_allclose(z, Z[4], atol=1e-13)
    batch = np.stack([inputs[:100], inputs[100:200], inputs[200:300]])
    Zb = red.run(batch)
    np.testing.assert_allclose(red.lift(Zb), esn.run(batch), atol=1e-10, rtol=0)
    np.testing.assert_allclose(Zb, red._run_numpy(batch, red.initial_state(3)), atol=1e-12)


@pytest.mark.parametrize("kind", ["pod", "deim", "stab"])
def test_reduced_paths_agree_below_full_rank(esn, inputs, snaps, kind):
    red = _build(kind, esn, snaps, 8, m=14, center=True)
    assert red.n_states_ == 8 and red.n_inputs_ == 2
    Z = red.run(inputs)
    np.testing.assert_allclose(Z, red._run_numpy(inputs, red.initial_state()), atol=1e-12)
    zb = red.step(np.stack([Z[10], Z[20]]), np.stack([inputs[11], inputs[21]]))
    np.testing.assert_allclose(zb, Z[[11, 21]], atol=1e-12)
    # chunked run equals one long run
    Z1 = red.run(inputs[:150])
    Z2 = red.run(inputs[150:], state0=Z1[-1])
    np.testing.assert_allclose(np.vstack([Z1, Z2]), Z, atol=1e-12)
    # reduced trajectory close to the full one (smooth ESN, 8 of 30 modes)
    X = esn.run(inputs)
    assert np.linalg.norm(red.lift(Z) - X) / np.linalg.norm(X) < 0.2


def test_oversampled_deim_tracks_full_model(esn, inputs, snaps):
    red = _build("deim", esn, snaps, 8, m=20, n_basis=12)
    assert red.n_points_ == 20 and red.E_.shape == (8, 20)
    X = esn.run(inputs)
    assert np.linalg.norm(red.lift(red.run(inputs)) - X) / np.linalg.norm(X) < 0.2


def test_operators_of_deim(esn, snaps):
    Psi, _ = pod(snaps.states, rank=6)
    U, _ = pod(snaps.nonlinear, rank=9)
    p = deim(U)
    red = DEIMReservoir.from_esn(esn, Psi, U, p)
    W = esn.W_.toarray()
    np.testing.assert_allclose(red.A_, W[p] @ Psi, atol=1e-14)
    np.testing.assert_allclose(red.B_, esn.W_in_[p])
    np.testing.assert_allclose(red.c_, esn.bias_[p])
    np.testing.assert_allclose(red.E_, Psi.T @ U @ np.linalg.inv(U[p]), atol=1e-12)
    np.testing.assert_array_equal(red.indices, p)
    assert "n_states=6" in repr(red) and "n_points=9" in repr(red)


def test_float32(esn, inputs, snaps):
    red = _build("deim", esn, snaps, 30, m=30)
    red32 = clone(red).set_params(dtype="float32").initialize(2)
    Z32 = red32.run(inputs)
    assert Z32.dtype == np.float32
    np.testing.assert_allclose(Z32, red.run(inputs), atol=1e-4)


def test_warmup_and_project(esn, inputs, snaps):
    red = _build("pod", esn, snaps, 30, center=True)
    z = red.warmup(inputs[:50])
    np.testing.assert_allclose(red.lift(z), esn.run(inputs[:50])[-1], atol=1e-10)
    np.testing.assert_allclose(red.initial_state(), red.project(np.zeros(30)), atol=1e-15)
    zb = red.warmup(np.stack([inputs[:50], inputs[50:100]]))
    assert zb.shape == (2, 30)
    with pytest.raises(ValueError, match="N=30"):
        red.project(np.zeros(5))


def test_save_load_and_clone(tmp_path, esn, inputs, snaps):
    red = _build("stab", esn, snaps, 6, m=10, center=True)
    path = save(red, tmp_path / "red.npz")
    back = load(path)
    assert type(back) is StabilizedDEIMReservoir
    np.testing.assert_array_equal(back.run(inputs), red.run(inputs))
    cl = clone(red).initialize(2)
    np.testing.assert_array_equal(cl.run(inputs), red.run(inputs))


def test_validation_errors(esn, snaps):
    Psi, _ = pod(snaps.states, rank=5)
    U, _ = pod(snaps.nonlinear, rank=7)
    p = qdeim(U)
    with pytest.raises(TypeError, match="rcpod.reservoir.ESN"):
        PODReservoir.from_esn("not an esn", Psi)
    with pytest.raises(NotFittedError, match="not initialized"):
        PODReservoir.from_esn(ESN(n_units=30), Psi)
    with pytest.raises(ValueError, match="N=30 rows"):
        PODReservoir.from_esn(esn, Psi[:20])
    with pytest.raises(ValueError, match="orthonormal"):
        PODReservoir.from_esn(esn, 2 * Psi)
    with pytest.raises(ValueError, match="mean"):
        PODReservoir.from_esn(esn, Psi, mean=np.zeros(3))
    with pytest.raises(ValueError, match="distinct"):
        DEIMReservoir.from_esn(esn, Psi, U, np.r_[p[:-1], p[0]])
    red = DEIMReservoir.from_esn(esn, Psi, U, p)
    with pytest.raises(ValueError, match="nl_input"):
        clone(red).initialize(3)
    with pytest.raises(ValueError, match="leak_rate"):
        clone(red).set_params(leak_rate=0.0).initialize(2)
    with pytest.raises(ValueError, match="backend"):
        clone(red).set_params(backend="gpu").initialize(2)
    with pytest.raises(ValueError, match="nl_state"):
        ReducedReservoir(Psi, red.E_, red.A_[:, :2], red.B_, red.c_).initialize(2)
    bad = red.E_.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        ReducedReservoir(Psi, bad, red.A_, red.B_, red.c_).initialize(2)
    with pytest.raises(ValueError, match="NaN"):
        red.run(np.full((5, 2), np.nan))


def test_step_and_run_follow_new_parameters_and_arrays(esn, inputs, snaps):
    # the cached form (step) and kernel operators (run) are rebuilt after set_params or a new
    # fitted array: step and run never disagree
    red = PODReservoir.from_esn(esn, pod(snaps.states, rank=6)[0])
    u = inputs[:40]

    def stepped():
        z = np.zeros(6)
        for k in range(len(u)):
            z = red.step(z, u[k])
        return z

    red.run(u), stepped()   # fill both caches
    red.set_params(leak_rate=0.3)
    np.testing.assert_allclose(red.run(u)[-1], stepped(), rtol=0, atol=1e-12)
    red.A_ = 0.5 * red.A_
    np.testing.assert_allclose(red.run(u)[-1], stepped(), rtol=0, atol=1e-12)
    fresh = PODReservoir.from_esn(esn, pod(snaps.states, rank=6)[0]).set_params(leak_rate=0.3)
    fresh.A_ = 0.5 * fresh.A_
    np.testing.assert_array_equal(fresh.run(u), red.run(u))
    # the compiled loop checks no bounds: a fitted array of the wrong shape is named first
    for name, bad in (("B_", np.zeros((red.n_points_, 3))), ("c_", np.zeros(2)),
                      ("Lu_", np.zeros((6, 1))), ("d_", np.zeros(7)), ("E_", np.zeros((6, 2)))):
        good = getattr(red, name)
        setattr(red, name, bad)
        with pytest.raises(ValueError, match=name):
            red.run(u)
        setattr(red, name, good)
    np.testing.assert_array_equal(fresh.run(u), red.run(u))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_kernels_read_no_padding(esn, inputs, snaps, dtype):
    """The compiled loops take row-aligned operators (zero-padded rows) and read only the logical
    columns: NaN in the padding changes nothing, plain C-ordered operators give the same bits."""
    from rcpod.reduction import _kernels
    red = clone(_build("stab", esn, snaps, 7, m=13, center=True)).set_params(
        dtype=np.dtype(dtype).name).initialize(2)
    ops = red._kernel_operators()
    fitted = (red.A_, red.E_, red.L_, red.B_, red.c_, red.Lu_, red.d_)
    plain = tuple(np.ascontiguousarray(M) for M in fitted)
    for P, M in zip(ops, fitted):
        assert P.dtype == M.dtype
        if M.ndim == 2:
            assert P.ctypes.data % 64 == 0 and P.strides[0] % 32 == 0
            assert P.shape[1] > M.shape[1]  # 7, 13 and 2 columns: not multiples of 4 or 8
            np.testing.assert_array_equal(P[:, :M.shape[1]], M)
            P[:, M.shape[1]:] = np.nan
    u = inputs.astype(dtype)
    tail = (red.has_linear_, red.remainder_)
    Z = _kernels.run_reduced(*ops, *tail, u, red.initial_state(), red._leak())
    assert np.isfinite(Z).all()
    np.testing.assert_array_equal(Z, _kernels.run_reduced(*plain, *tail, u, red.initial_state(),
                                                          red._leak()))
    np.testing.assert_array_equal(Z, red.run(u))
    tol = 1e-12 if dtype == np.float64 else 1e-4
    np.testing.assert_allclose(Z, red._run_numpy(u, red.initial_state()), atol=tol)
    batch = np.stack([u[:100], u[100:200]])
    z0 = red.initial_state(2)
    Zb = _kernels.run_reduced_batch(*ops, *tail, batch, z0, red._leak())
    np.testing.assert_array_equal(Zb, _kernels.run_reduced_batch(*plain, *tail, batch, z0,
                                                                 red._leak()))
    single = _kernels.run_reduced(*ops, *tail, u[100:200], z0[1], red._leak())
    np.testing.assert_allclose(Zb[1], single, rtol=0, atol=1e-14 if dtype == np.float64 else 1e-6)
    np.testing.assert_allclose(Zb, red._run_numpy(batch, z0), atol=tol)


@pytest.mark.parametrize("kind", ["pod", "deim", "stab"])
def test_step_is_the_compiled_arithmetic_of_run(esn, inputs, snaps, kind):
    # one state steps through the compiled loop: the same bits as run(); batches and the numpy
    # backend step through the numpy form, equal to rounding
    red = _build(kind, esn, snaps, 8, m=14, center=True)
    u = inputs[:60]
    Z = red.run(u)
    z = red.initial_state()
    for k in range(len(u)):
        z = red.step(z, u[k])
        np.testing.assert_array_equal(z, Z[k])
    zb = red.step(np.stack([Z[10], Z[20]]), np.stack([u[11], u[21]]))
    np.testing.assert_allclose(zb, Z[[11, 21]], rtol=0, atol=1e-13)
    ref = clone(red).set_params(backend="numpy").initialize(2)
    np.testing.assert_allclose(ref.step(Z[30], u[31]), Z[31], rtol=0, atol=1e-13)
    z32 = clone(red).set_params(dtype="float32").initialize(2).step(Z[30], u[31])
    assert z32.dtype == np.float32
    np.testing.assert_allclose(z32, Z[31], atol=1e-4)


def test_step_names_a_non_finite_state(esn, inputs, snaps):
    # run() checks state0; step() checks its state the same way (the compiled one-state step
    # would otherwise carry NaN on silently), for the reduced and the full reservoir
    red = _build("deim", esn, snaps, 8, m=14)
    for model in (red, esn):
        for bad in (np.nan, np.inf):
            z = model.initial_state()
            z[1] = bad
            with pytest.raises(ValueError, match="state contains NaN or infinity"):
                model.step(z, inputs[0])
            with pytest.raises(ValueError, match="state contains NaN or infinity"):
                model.step(np.stack([model.initial_state(), z]), inputs[:2])
