"""ESN states against reservoirpy's Reservoir and against our own numpy reference loop."""
import numpy as np
import pytest
import scipy.sparse as sp
from reservoirpy.nodes import Reservoir

from rcpod.reservoir import ESN


def _rpy_reservoir(lr, dense, seed=1, n=120, n_in=2):
    r = Reservoir(n, lr=lr, sr=0.95, rc_connectivity=1.0 if dense else 0.1,
                  input_connectivity=1.0, bias=0.3, seed=seed)
    u = np.random.default_rng(seed).uniform(-1, 1, (400, n_in))
    return r, u


@pytest.mark.parametrize("lr", [1.0, 0.3])
@pytest.mark.parametrize("dense", [True, False])
def test_states_match_reservoirpy(lr, dense):
    r, u = _rpy_reservoir(lr, dense)
    ref = r.run(u)
    W = r.W.toarray() if (dense and sp.issparse(r.W)) else r.W
    assert sp.issparse(W) != dense
    esn = ESN.from_weights(W, r.Win, r.bias, leak_rate=lr)
    states = esn.run(u)
    assert np.max(np.abs(states - ref)) < 1e-12
    # step-by-step protocol agrees with run
    x = esn.initial_state()
    for k in range(20):
        x = esn.step(x, u[k])
    assert np.max(np.abs(x - states[19])) < 1e-14


@pytest.mark.parametrize("w_init", ["normal", "uniform", "orthogonal", "ring"])
@pytest.mark.parametrize("density", [0.1, 1.0])
def test_numba_equals_numpy_reference_and_batches(w_init, density):
    esn = ESN(60, leak_rate=0.7, density=density, w_init=w_init, bias_scaling=0.2,
              random_state=3).initialize(3)
    ref = esn.set_params(backend="numpy").run(np.ones((1, 3)))  # warm path check
    rng = np.random.default_rng(0)
    U = rng.uniform(-1, 1, (4, 150, 3))
    esn.set_params(backend="numpy")
    ref = np.stack([esn.run(u) for u in U])
    esn.set_params(backend="numba")
    fast = esn.run(U)
    single = np.stack([esn.run(u) for u in U])
    assert fast.shape == (4, 150, 60)
    np.testing.assert_allclose(fast, ref, rtol=0, atol=1e-13)
    np.testing.assert_allclose(single, ref, rtol=0, atol=1e-13)


def test_chunked_run_equals_one_run():
    esn = ESN(50, random_state=0).initialize(1)
    u = np.random.default_rng(1).uniform(-1, 1, (300, 1))
    full = esn.run(u)
    first = esn.run(u[:120])
    second = esn.run(u[120:], state0=first[-1])
    np.testing.assert_array_equal(np.vstack([first, second]), full)


def test_spectral_radius_and_initializers():
    for w_init in ["normal", "uniform", "orthogonal", "ring"]:
        esn = ESN(80, spectral_radius=0.8, w_init=w_init, random_state=0).initialize(1)
        W = esn.W_.toarray() if sp.issparse(esn.W_) else esn.W_
        assert abs(np.max(np.abs(np.linalg.eigvals(W))) - 0.8) < 1e-8
    ring = ESN(5, spectral_radius=1.0, w_init="ring").initialize(1).W_.toarray()
    np.testing.assert_array_equal(ring @ np.arange(5.0), [4, 0, 1, 2, 3])
    Q = ESN(30, spectral_radius=1.0, w_init="orthogonal", random_state=0).initialize(1).W_
    np.testing.assert_allclose(Q @ Q.T, np.eye(30), atol=1e-12)


def test_large_sparse_spectral_radius_uses_arpack():
    esn = ESN(800, spectral_radius=0.9, density=0.02, random_state=0).initialize(1)
    vals = np.linalg.eigvals(esn.W_.toarray())
    assert abs(np.max(np.abs(vals)) - 0.9) < 1e-6


def test_same_seed_same_weights_and_input_count_does_not_change_W():
    a = ESN(40, random_state=7).initialize(1)
    b = ESN(40, random_state=7).initialize(3)
    assert (a.W_ != b.W_).nnz == 0
    c = ESN(40, random_state=8).initialize(1)
    assert (a.W_ != c.W_).nnz > 0


def test_float32_really_runs_in_float32():
    esn = ESN(100, dtype="float32", random_state=0).initialize(1)
    u = np.random.default_rng(0).uniform(-1, 1, (200, 1))
    s32 = esn.run(u)
    assert s32.dtype == np.float32 and esn.W_.dtype == np.float32
    assert esn.run(u[None].repeat(3, 0)).dtype == np.float32
    s64 = ESN(100, dtype="float64", random_state=0).initialize(1).run(u)
    err = np.max(np.abs(s32 - s64))
    assert 1e-9 < err < 1e-4  # differs from float64 at float32 rounding level


@pytest.mark.parametrize("kwargs, match", [
    (dict(n_units=-3), "n_units"), (dict(n_units=0), "n_units"),
    (dict(leak_rate=0.0), "leak_rate"), (dict(leak_rate=1.5), "leak_rate"),
    (dict(density=0.0), "density"), (dict(density=1.2), "density"),
    (dict(spectral_radius=-1.0), "spectral_radius"), (dict(w_init="foo"), "w_init"),
    (dict(dtype="int32"), "dtype"), (dict(backend="gpu"), "backend"),
    (dict(spectral_radius=float("nan")), "spectral_radius"),
])
def test_invalid_parameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ESN(**kwargs).initialize(1)


@pytest.mark.parametrize("kwargs, match", [
    (dict(n_units=2.5), "n_units"), (dict(leak_rate="0.5"), "leak_rate"),
    (dict(W=[[0.0]]), "W"),
])
def test_parameters_of_the_wrong_type(kwargs, match):
    with pytest.raises(TypeError, match=match):
        ESN(**kwargs).initialize(1)


def test_bad_inputs():
    esn = ESN(20, random_state=0).initialize(2)
    with pytest.raises(ValueError, match="NaN"):
        esn.run(np.array([[0.0, np.nan]]))
    with pytest.raises(ValueError, match="features"):
        esn.run(np.zeros((5, 3)))
    with pytest.raises(ValueError, match="2-D"):
        esn.run(np.zeros(5))
    with pytest.raises(ValueError, match="state0"):
        esn.run(np.zeros((5, 2)), state0=np.zeros(3))
    with pytest.raises(ValueError, match="u must have shape"):
        esn.step(np.zeros(20), np.zeros(3))
    with pytest.raises(ValueError, match="W must be a square"):
        ESN.from_weights(np.zeros((3, 4)), np.zeros((3, 1)))
    with pytest.raises(ValueError, match="W_in"):
        ESN.from_weights(np.zeros((3, 3)), np.zeros((4, 1)))
    with pytest.warns(RuntimeWarning, match="spectral_radius"):
        ESN(10, spectral_radius=3.0, density=0.5, random_state=0).initialize(1)
    from sklearn.exceptions import NotFittedError
    with pytest.raises(NotFittedError):
        ESN(10).run(np.zeros((3, 1)))


# -- compiled kernels (reservoir/kernels.py) ----------------------------------------------------
def test_vectorised_tanh_within_2_ulp_of_numpy():
    from rcpod.reservoir import kernels as _kernels
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(scale=s, size=20000) for s in (1e-3, 0.3, 1.0, 3.0, 30.0)]
                       + [np.linspace(-21, 21, 20001),
                          [0.0, 1e-300, 5e-324, 0.625, np.nextafter(0.625, 0), 19.06, 1e300]])
    x = np.concatenate([x, -x])
    got = _kernels.tanh(x, np.empty_like(x))
    ref = np.tanh(x)
    ulp = np.abs(got - ref) / np.spacing(np.maximum(np.abs(ref), 1e-300))
    assert ulp.max() <= 2.0
    special = _kernels.tanh(np.array([-0.0, np.inf, -np.inf, np.nan]), np.empty(4))
    assert np.signbit(special[0]) and special[0] == 0.0
    np.testing.assert_array_equal(special[1:3], [1.0, -1.0])
    assert np.isnan(special[3])


def test_csr_product_is_bitwise_scipy():
    from rcpod.reservoir import kernels as _kernels
    W = sp.random(41, 41, density=0.15, random_state=2, format="lil")
    W[[0, 5, 40], :] = 0.0  # odd N, empty rows (first, middle, last)
    W = sp.csr_matrix(W)
    W.sort_indices()
    assert np.sum(np.diff(W.indptr) == 0) == 3
    x = np.random.default_rng(3).normal(size=41)
    pre = np.empty(41)
    _kernels._csr_matvec_plus(*_kernels.csr_arrays(W), x, np.zeros(41), pre)
    np.testing.assert_array_equal(pre, W @ x)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("n_series", [1, 2, 3, 8, 9, 17])
def test_batched_sparse_run_equals_single_runs_bitwise(n_series, dtype):
    esn = ESN(37, leak_rate=0.6, density=0.2, bias_scaling=0.3, dtype=dtype,
              random_state=4).initialize(2)
    rng = np.random.default_rng(n_series)
    U = rng.uniform(-1, 1, (n_series, 60, 2))
    x0 = rng.uniform(-0.5, 0.5, (n_series, 37))
    batch = esn.run(U, state0=x0)
    single = np.stack([esn.run(u, state0=s) for u, s in zip(U, x0)])
    assert batch.dtype == single.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(batch, single)
    ref = esn.set_params(backend="numpy").run(U, state0=x0)
    assert ref.dtype == np.dtype(dtype)
    np.testing.assert_allclose(batch, ref, rtol=0, atol=1e-13 if dtype == "float64" else 2e-5)


@pytest.mark.parametrize("dense", [False, True])
def test_float32_kernels_stay_float32(dense):
    esn = ESN(30, density=1.0 if dense else 0.2, dtype="float32", random_state=0).initialize(1)
    assert sp.issparse(esn.W_) != dense
    u = np.random.default_rng(0).uniform(-1, 1, (4, 50, 1))
    for out in (esn.run(u[0]), esn.run(u)):
        assert out.dtype == np.float32
    ref = esn.set_params(backend="numpy").run(u)
    np.testing.assert_allclose(esn.set_params(backend="numba").run(u), ref, rtol=0, atol=2e-5)


def test_plain_batch_kernel_equals_the_ir_kernel_bit_for_bit():
    from rcpod.reservoir import kernels as K
    esn = ESN(60, random_state=0).initialize(2)
    arrays = K.csr_arrays(esn.W_)
    u = np.random.default_rng(1).uniform(-1, 1, (K.LANES, 40, 2))
    outs = []
    for kernel in (K._csr_group, K._csr_group_plain):
        x, out = np.zeros((60, K.LANES)), np.empty((K.LANES, 40, 60))
        kernel(*arrays, esn.W_in_, esn.bias_, u, x, 0.3, 0.7, out, 0)
        outs.append(out)
    np.testing.assert_array_equal(outs[0], outs[1])


def test_ir_kernel_only_with_verified_numba_and_fallback_on_compile_failure(monkeypatch, caplog):
    from numba.core.errors import LoweringError
    from rcpod.reservoir import kernels as K
    assert K.ir_kernel_enabled("0.68.1", env={}) and K.ir_kernel_enabled("0.60.0", env={})
    assert not K.ir_kernel_enabled("0.99.0", env={})
    assert K.ir_kernel_enabled("0.99.0", env={"RCPOD_IR_KERNEL": "1"})
    assert not K.ir_kernel_enabled("0.68.1", env={"RCPOD_IR_KERNEL": "0"})
    esn = ESN(30, random_state=0).initialize(1)
    u = np.random.default_rng(0).uniform(-1, 1, (5, 20, 1))
    expected = esn.run(u)

    def broken(*args):
        raise LoweringError("intrinsic does not lower")
    monkeypatch.setattr(K, "_group_kernel", [broken])
    got = esn.run(u)
    np.testing.assert_array_equal(got, expected)
    assert K._group_kernel[0] is K._csr_group_plain
    assert "plain loop" in caplog.text
