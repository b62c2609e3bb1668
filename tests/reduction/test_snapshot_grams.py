"""Streamed snapshot Grams against the snapshot matrices, and reduce(snapshots="streamed" /
"held") against the matrix path."""
import numpy as np
import pytest
from scipy.linalg import subspace_angles

from rcpod.reduction import (METHODS, DEIMReservoir, LinearizedDEIMReservoir,
                             StabilizedDEIMReservoir, collect_snapshots, reduce)
from rcpod.reduction.snapshot_grams import (check_windows, stream_snapshot_grams,
                                            streams_by_default)
from rcpod.reservoir import ESN, ESNRegressor


@pytest.fixture(scope="module")
def two_series():
    rng = np.random.default_rng(5)
    return [rng.uniform(-1, 1, (230, 2)), rng.uniform(-1, 1, (170, 2))]


def _check_interpolated_gram(grams, snaps, nonlinearity, rtol):
    """The streamed Gram of the interpolated snapshots (and its extras) against the matrix
    path's; returns the reduced class of ``nonlinearity``."""
    cls = {"full": DEIMReservoir, "remainder": StabilizedDEIMReservoir,
           "linearized": LinearizedDEIMReservoir}[nonlinearity]
    G, extra = cls.interpolated_snapshots(snaps)
    GG, extra_s = grams.interpolated_gram()
    np.testing.assert_allclose(GG, G @ G.T, rtol=0, atol=rtol * np.abs(G @ G.T).max())
    for key in extra:
        np.testing.assert_allclose(extra_s[key], extra[key], rtol=1e-10, atol=1e-13)
    return cls


@pytest.mark.parametrize("nonlinearity", ["full", "remainder", "linearized"])
def test_streamed_grams_equal_the_matrix_grams(esn, two_series, nonlinearity):
    # chunks of 16 steps: the washout of 20 ends inside the second chunk, series stop early
    grams = stream_snapshot_grams(esn, two_series, washout=20, stops=[200, 170],
                                  nonlinearity=nonlinearity, chunk_size=16)
    snaps = collect_snapshots(esn, [two_series[0][:200], two_series[1]], washout=20)
    X = snaps.states
    assert grams.n_snapshots == snaps.n_snapshots == 330 and grams.lengths == [180, 150]
    scale = np.abs(X @ X.T).max()
    np.testing.assert_allclose(grams.state_gram(center=False), X @ X.T, rtol=0,
                               atol=1e-12 * scale)
    Xc = X - X.mean(axis=1, keepdims=True)
    np.testing.assert_allclose(grams.state_gram(center=True), Xc @ Xc.T, rtol=0,
                               atol=1e-12 * scale)
    np.testing.assert_allclose(grams.mean_state(), X.mean(axis=1), atol=1e-14)
    np.testing.assert_allclose(grams.mean_slopes(), snaps.mean_slopes(), atol=1e-14)
    cls = _check_interpolated_gram(grams, snaps, nonlinearity, rtol=1e-11)
    # the same DEIM basis from the Gram matrix as from the snapshots
    U, s, total, _, none = grams.interpolated_basis(cls, 8)
    V, t, total_m, _, G_m = snaps.interpolated_basis(cls, 8)
    assert none is None and G_m is not None
    assert np.max(subspace_angles(U, V)) < 1e-6
    np.testing.assert_allclose(total, total_m, rtol=1e-10)
    with pytest.raises(ValueError, match="streamed for nonlinearity"):
        grams.interpolated_basis(DEIMReservoir if nonlinearity != "full"
                                 else StabilizedDEIMReservoir, 8)


@pytest.mark.filterwarnings("ignore::rcpod.reduction.ReductionWarning")  # rank 8 is coarse
@pytest.mark.parametrize("method", sorted(METHODS))
@pytest.mark.parametrize("basis", ["pod", "output-weighted"])
@pytest.mark.parametrize("snapshots, decomposition", [("streamed", "auto"),
                                                      ("held", "randomized")])
def test_streamed_and_held_reductions_match_the_matrix_path(trained, method, basis, snapshots,
                                                            decomposition):
    # held: the bases by products with the held blocks ("randomized": not the dense Gram)
    est, u, y = trained
    kw = dict(method=method, rank=8, basis=basis, center=True, decomposition=decomposition)
    if method != "pod":
        kw["n_points"] = 16
    a = reduce(est, u, snapshots="matrix", **kw)
    b = reduce(est, u, snapshots=snapshots, **kw)
    assert np.max(subspace_angles(a.reservoir_.modes_, b.reservoir_.modes_)) < 1e-6
    if method != "pod":
        np.testing.assert_array_equal(a.reservoir_.indices, b.reservoir_.indices)
    pa, pb = a.predict(u), b.predict(u)
    np.testing.assert_allclose(pb, pa, rtol=0, atol=1e-6 * np.abs(pa).max())
    ra, rb = a.reduction_report_, b.reduction_report_
    assert ra.n_snapshots == rb.n_snapshots and ra.rank == rb.rank
    np.testing.assert_allclose(rb.energy_captured, ra.energy_captured, rtol=1e-8)
    assert rb.output_check == ra.output_check == "held-back"


@pytest.mark.filterwarnings("ignore::rcpod.reduction.ReductionWarning")
@pytest.mark.parametrize("decomposition", ["gram", "randomized"])
@pytest.mark.parametrize("snapshots", ["matrix", "streamed"])
def test_low_rank_gramian_reduction_matches_the_dense_one(trained, decomposition, snapshots):
    # the factor of the Gramian (sparse Jacobian) against the dense Stein solution
    est, u, y = trained
    kw = dict(method="pod-qdeim-linearized", rank=10, n_points=20, basis="output-weighted")
    a = reduce(est, u, decomposition="exact", snapshots="matrix", **kw)
    b = reduce(est, u, decomposition=decomposition, snapshots=snapshots, **kw)
    assert np.max(subspace_angles(a.reservoir_.modes_, b.reservoir_.modes_)) < 1e-6
    np.testing.assert_allclose(b.reduction_report_.basis_eigenvalues[:10],
                               a.reduction_report_.basis_eigenvalues[:10], rtol=1e-8)
    pa = a.predict(u)
    np.testing.assert_allclose(b.predict(u), pa, rtol=0, atol=1e-6 * np.abs(pa).max())


def test_streamed_refit_and_energy(trained):
    est, u, y = trained
    a = reduce(est, u, y, method="pod-qdeim-stabilized", energy=0.9999, readout="refit",
               snapshots="matrix")
    b = reduce(est, u, y, method="pod-qdeim-stabilized", energy=0.9999, readout="refit",
               snapshots="streamed")
    assert a.reservoir_.n_states_ == b.reservoir_.n_states_
    np.testing.assert_allclose(b.predict(u), a.predict(u), rtol=0, atol=1e-6)


def test_streamed_options_are_checked(trained):
    est, u, y = trained
    with pytest.raises(ValueError, match="lstsq"):
        reduce(est, u, method="pod-deim", rank=5, nl_fit="lstsq", snapshots="streamed")
    with pytest.raises(ValueError, match="snapshots"):
        reduce(est, u, method="pod-deim", rank=5, snapshots="stream")
    with pytest.raises(ValueError, match="decomposition"):
        reduce(est, u, method="pod-deim", rank=5, decomposition="svds")


def test_check_windows_bound_the_checked_steps():
    series = [np.arange(100.0)[:, None], np.arange(50.0)[:, None]]
    windows, cuts = check_windows(series, [90, 40], washout=5, n_units=4, max_values=48)
    # at most 48 / (4 * 2) = 6 held-back steps per series, after 5 washout steps
    assert [len(w) for w in windows] == [11, 11] and cuts == [5, 5]
    assert windows[0][0, 0] == 89 and windows[1][-1, 0] == 49
    windows, cuts = check_windows(series, [90, 40], washout=5, n_units=1, max_values=10 ** 6)
    assert [len(w) for w in windows] == [15, 15] and cuts == [5, 5]   # all held steps
    windows, cuts = check_windows(series, [100, 50], washout=5, n_units=4, max_values=48)
    assert cuts == [11, 11]   # nothing held back: in-sample, as on the whole series
    assert streams_by_default(2000, [np.zeros((20000, 1))], 0)
    assert not streams_by_default(200, [np.zeros((20000, 1))], 0)


def test_shifted_sums_keep_the_digits_of_a_large_mean():
    # uncentred sums minus n m m^T would lose ~12 of 16 digits here (mean 1e6, spread 1)
    from rcpod.reduction._chunked_run import RunningMoments
    rng = np.random.default_rng(9)
    data = 1e6 + rng.normal(size=(1000, 5)) * np.arange(1, 6)
    mom = RunningMoments((("x", "x"),))
    for lo in range(0, 1000, 64):
        mom.add({"x": data[lo:lo + 64]})
    centred = data - data.mean(axis=0)
    np.testing.assert_allclose(mom.cross[("x", "x")], centred.T @ centred, rtol=1e-9)
    np.testing.assert_allclose(mom.mean["x"], data.mean(axis=0), rtol=1e-15)
    with pytest.raises(RuntimeError, match="finished"):
        mom.add({"x": data[:3]})


@pytest.mark.parametrize("parts", [1, 2, 5])
def test_compiled_passes_give_numpys_numbers(parts):
    """The one-pass kernels: the shifted block and its column sums are numpy's ``A - c`` and
    ``.sum(axis=0)``; the held second pass's remainder is the run's tanh minus ``D v``, bit
    for bit, for any number of column / row blocks."""
    from rcpod.reduction._chunked_run import _shift_and_sum
    from rcpod.reduction.snapshot_grams import _remainder, _run_tanh_remainder
    from rcpod.reservoir import vector_tanh
    rng = np.random.default_rng(4)
    A, c = rng.normal(size=(37, 11)) * 3.0, rng.normal(size=11)
    out, sums = np.full_like(A, np.nan), np.full(11, np.nan)
    _shift_and_sum(A, c, out, sums, parts)
    assert np.array_equal(out, A - c) and np.array_equal(sums, (A - c).sum(axis=0))
    slopes = rng.uniform(0.2, 1.0, 11)
    f = np.empty_like(A)
    vector_tanh.tanh(A, f)
    expected = _remainder(f, A.copy(), slopes, {}).copy()
    _run_tanh_remainder(A, slopes, parts)
    assert np.array_equal(A, expected)


def test_diagonals_and_sums_without_a_product_keep_the_digits_of_a_large_mean():
    # names only in diagonals (or in none) are centred in one pass, without shifted copies
    from rcpod.reduction._chunked_run import RunningMoments
    rng = np.random.default_rng(3)
    f = 1e6 + rng.normal(size=(700, 6)) * np.arange(1, 7)
    v = -3e5 + 0.5 * f + rng.normal(size=(700, 6))
    g = 2e6 + rng.normal(size=(700, 6))
    mom = RunningMoments((), (("f", "v"), ("v", "v")))
    for lo in range(0, 700, 50):
        mom.add({"f": f[lo:lo + 50], "v": v[lo:lo + 50], "g": g[lo:lo + 50]})
    cf, cv = f - f.mean(axis=0), v - v.mean(axis=0)
    np.testing.assert_allclose(mom.diag[("f", "v")], (cf * cv).sum(axis=0), rtol=1e-9)
    np.testing.assert_allclose(mom.diag[("v", "v")], (cv * cv).sum(axis=0), rtol=1e-9)
    for name, data in (("f", f), ("v", v), ("g", g)):
        np.testing.assert_allclose(mom.mean[name], data.mean(axis=0), rtol=1e-14)
    # the linearised path's two names alone take one fused pass: the same numbers
    fused = RunningMoments((), (("f", "v"), ("v", "v")))
    for lo in range(0, 700, 50):
        fused.add({"f": f[lo:lo + 50], "v": v[lo:lo + 50]})
    for pair in (("f", "v"), ("v", "v")):
        assert np.array_equal(fused.diag[pair], mom.diag[pair])
    for name in ("f", "v"):
        assert np.array_equal(fused.mean[name], mom.mean[name])


@pytest.mark.parametrize("nonlinearity", ["full", "remainder", "linearized"])
def test_leak_one_reuses_the_state_gram_for_tanh(two_series, nonlinearity):
    """With leak rate 1 the tanh snapshots are the states: one Gram serves both, equal to the
    matrix path's; such Grams do not merge with Grams of a leaky ESN."""
    esn = ESN(n_units=30, spectral_radius=0.9, leak_rate=1.0, density=0.2, bias_scaling=0.4,
              random_state=0).initialize(2)
    grams = stream_snapshot_grams(esn, two_series, washout=20, nonlinearity=nonlinearity,
                                  chunk_size=16)
    assert (grams._g is None) == (nonlinearity == "full")
    snaps = collect_snapshots(esn, two_series, washout=20)
    _check_interpolated_gram(grams, snaps, nonlinearity, rtol=1e-12)
    if nonlinearity != "full":
        return
    leaky = ESN(n_units=30, spectral_radius=0.9, leak_rate=0.5, density=0.2,
                random_state=0).initialize(2)
    other = stream_snapshot_grams(leaky, two_series, washout=20, nonlinearity="full")
    with pytest.raises(ValueError, match="cannot merge"):
        grams.merge(other)


def test_leak_one_streamed_reduction_shares_one_decomposition():
    """With F = X the state and DEIM bases come from one decomposition of 2 r modes; the
    reduced model is the matrix path's up to rounding."""
    rng = np.random.default_rng(3)
    u = rng.uniform(-0.5, 0.5, (900, 1))
    y = np.roll(u, 2, axis=0)
    est = ESNRegressor(n_units=50, leak_rate=1.0, spectral_radius=0.9, washout=30, ridge=1e-6,
                       random_state=1).fit(u, y)
    grams = stream_snapshot_grams(est.reservoir_, [u], washout=30, nonlinearity="full")
    Psi, s, _ = grams.state_basis(6, None, False, method="randomized")
    assert grams._modes[0].shape[1] == 12
    U, *_ = grams.interpolated_basis(DEIMReservoir, 12, method="randomized")
    assert np.array_equal(U[:, :6], Psi)
    streamed = reduce(est, u, method="pod-deim", rank=6, snapshots="streamed",
                      decomposition="randomized")
    matrix = reduce(est, u, method="pod-deim", rank=6, snapshots="matrix")
    assert np.max(subspace_angles(streamed.reservoir_.modes_, matrix.reservoir_.modes_)) < 1e-6
    np.testing.assert_allclose(streamed.predict(u), matrix.predict(u), rtol=0, atol=1e-8)


@pytest.mark.parametrize("leak_rate", [1.0, 0.6])
@pytest.mark.parametrize("backend", ["numba", "numpy"])
@pytest.mark.parametrize("density", [0.2, 1.0])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_linearized_second_pass_from_held_preactivations_is_the_rerun(two_series, monkeypatch,
                                                                       leak_rate, backend,
                                                                       density, dtype):
    """The second pass of "linearized" from the first pass's preactivations gives, bit for bit,
    the remainder Gram of running the ESN again (the tanh of the run), also when a merge asks
    for it again after the held blocks are gone; a released state Gram raises."""
    from rcpod.reduction import snapshot_grams
    esn = ESN(n_units=30, spectral_radius=0.9, leak_rate=leak_rate, density=density,
              backend=backend, dtype=dtype, random_state=0).initialize(2)
    kw = dict(washout=20, stops=[200, None], nonlinearity="linearized", chunk_size=16)
    held = stream_snapshot_grams(esn, two_series, **kw)
    monkeypatch.setattr(snapshot_grams, "HOLD_BYTES", 0)
    rerun = stream_snapshot_grams(esn, two_series, **kw)
    # f = x (leak 1, float64) is tanh of held v only where v is the run's own (sparse, compiled)
    own = density < 1 and backend == "numba"
    holds = not (leak_rate == 1.0 and dtype == "float64") or own
    assert [type(p).__name__ for p in held._second + rerun._second] == [
        "_HeldPass" if holds else "_SecondPass", "_SecondPass"]
    G, extra = held.interpolated_gram()
    G2, extra2 = rerun.interpolated_gram()
    assert np.array_equal(G, G2)
    assert np.array_equal(extra["slopes"], extra2["slopes"])
    if dtype == "float64":   # the matrix path (float32 snapshots agree to float32 only)
        snaps = collect_snapshots(esn, [two_series[0][:200], two_series[1]], washout=20)
        _check_interpolated_gram(rerun, snaps, "linearized", rtol=1e-11)
    # a merge after the second pass streams it again, the held blocks being gone: the same
    # Gram as the merged re-run streams
    other = dict(kw, stops=None)
    held.merge(stream_snapshot_grams(esn, two_series[:1], **other))
    rerun.merge(stream_snapshot_grams(esn, two_series[:1], **other))
    assert np.array_equal(held.interpolated_gram()[0], rerun.interpolated_gram()[0])
    held.release_state_gram()
    with pytest.raises(RuntimeError, match="released"):
        held.state_gram(center=False)
