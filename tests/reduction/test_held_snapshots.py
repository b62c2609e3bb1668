"""Held snapshots (bases by products with the run's blocks) against the snapshot matrices; the
choice of snapshots="auto". reduce(snapshots="held") against the matrix path is in
test_snapshot_grams.py, next to the streamed path."""
import numpy as np
import pytest
from scipy.linalg import subspace_angles
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from rcpod.reduction import (DEIMReservoir, LinearizedDEIMReservoir, PODReservoir,
                             StabilizedDEIMReservoir, collect_snapshots, pod, reduce)
from rcpod.reduction import reductor
from rcpod.reduction.held_snapshots import (held_names, hold_snapshots, holds_by_default,
                                            kept_snapshots)
from rcpod.reservoir import ESN

_CLASSES = {"full": DEIMReservoir, "remainder": StabilizedDEIMReservoir,
            "linearized": LinearizedDEIMReservoir}


@pytest.fixture(scope="module")
def two_series():
    rng = np.random.default_rng(5)
    return [rng.uniform(-1, 1, (230, 2)), rng.uniform(-1, 1, (170, 2))]


def _esn(leak_rate, backend="numba", density=0.2):
    return ESN(n_units=30, spectral_radius=0.9, leak_rate=leak_rate, input_scaling=0.8,
               bias_scaling=0.3, density=density, backend=backend,
               random_state=0).initialize(2)


def _same_span(A, B, tol=1e-8):
    return np.max(subspace_angles(A, B)) < tol


@pytest.mark.parametrize("leak_rate, backend, density", [(0.7, "numba", 0.2), (1.0, "numba", 0.2),
                                                         (1.0, "numpy", 0.2),
                                                         (1.0, "numba", 1.0)])
@pytest.mark.parametrize("nonlinearity", ["full", "remainder", "linearized"])
def test_held_bases_equal_the_matrix_bases(two_series, leak_rate, backend, density, nonlinearity):
    # chunks of 16 steps: the washout of 20 ends inside the second chunk, series stop early
    esn = _esn(leak_rate, backend, density)
    held = hold_snapshots(esn, two_series, washout=20, stops=[200, 170],
                          nonlinearity=nonlinearity, chunk_size=16)
    snaps = collect_snapshots(esn, [two_series[0][:200], two_series[1]], washout=20)
    X = snaps.states
    assert held.n_snapshots == snaps.n_snapshots == 330 and held.lengths == [180, 150]
    np.testing.assert_allclose(held.mean_state(), X.mean(axis=1), atol=1e-14)
    np.testing.assert_allclose(held.mean_slopes(), snaps.mean_slopes(), atol=1e-14)
    for center in (False, True):   # products ("randomized") and the dense Gram ("gram")
        Xc = X - X.mean(axis=1, keepdims=True) if center else X
        Phi, s = pod(Xc, rank=6, method="exact")
        for method in ("randomized", "gram"):
            Psi, t, total = held.state_basis(6, None, center, method)
            assert _same_span(Psi, Phi)
            np.testing.assert_allclose(t[:6], s[:6], rtol=1e-10)
            np.testing.assert_allclose(total, np.sum(Xc * Xc), rtol=1e-12)
    cls = _CLASSES[nonlinearity]
    for method in ("randomized", "gram"):
        U, t, total, extra, none = held.interpolated_basis(cls, 8, method)
        V, s, total_m, extra_m, _ = snaps.interpolated_basis(cls, 8)
        assert none is None and _same_span(U, V)
        np.testing.assert_allclose(t[:8], s[:8], rtol=1e-9)
        np.testing.assert_allclose(total, total_m, rtol=1e-10)
        for key in extra_m:
            np.testing.assert_allclose(extra[key], extra_m[key], rtol=1e-10, atol=1e-13)
    with pytest.raises(ValueError, match="held for nonlinearity"):
        held.interpolated_basis(DEIMReservoir if nonlinearity != "full"
                                else StabilizedDEIMReservoir, 8)


def test_only_the_preactivations_are_held_where_the_states_are_their_tanh(two_series):
    sparse_one, sparse_leaky = _esn(1.0), _esn(0.7)
    assert held_names(sparse_one, "linearized") == held_names(sparse_one, "remainder") == ("v",)
    assert held_names(sparse_one, "full") == held_names(sparse_one, None) == ("x",)
    assert held_names(sparse_leaky, "linearized") == ("x", "v")
    assert held_names(sparse_leaky, "full") == ("x", "f")
    # a dense W / the numpy backend hand out a second product with W: the states are held too
    assert held_names(_esn(1.0, "numpy"), "linearized") == ("x", "v")
    held = hold_snapshots(sparse_one, two_series, washout=20, nonlinearity="linearized")
    held.state_basis(4, None, False, "randomized")
    held.interpolated_basis(LinearizedDEIMReservoir, 4, "randomized")   # overwrites V
    with pytest.raises(RuntimeError, match="overwritten by the remainder"):
        held.state_basis(4, None, False, "randomized")
    # the remainder itself stays: a second request gives the same basis
    U, _, _, _, _ = held.interpolated_basis(LinearizedDEIMReservoir, 4, "randomized")
    V, _, _, _, _ = held.interpolated_basis(LinearizedDEIMReservoir, 4, "randomized")
    np.testing.assert_array_equal(U, V)


def test_holds_by_default_when_the_blocks_take_no_more_than_the_grams():
    one, leaky = _esn(1.0), _esn(0.7)
    # N = 30, chunks of 100 steps: the streamed path holds a 30 x 30 Gram and two more blocks
    limit = 30 + 2 * 100
    assert holds_by_default(one, limit, "full", chunk_size=100)
    assert not holds_by_default(one, limit + 1, "full", chunk_size=100)
    # two held arrays (x, v) against one Gram at a time (the state Gram is freed first)
    assert holds_by_default(leaky, limit // 2, "linearized", chunk_size=100)
    assert not holds_by_default(leaky, limit // 2 + 1, "linearized", chunk_size=100)
    # x and f held against the two Grams of a leaky full nonlinearity
    assert holds_by_default(leaky, 30 + 100, "full", chunk_size=100)
    assert not holds_by_default(leaky, 30 + 101, "full", chunk_size=100)
    assert kept_snapshots([np.zeros((50, 1)), np.zeros((10, 1))], 20, [40, None]) == 20


@pytest.mark.filterwarnings("ignore::rcpod.reduction.ReductionWarning")
def test_auto_holds_the_run_when_it_is_short(trained, monkeypatch):
    est, u, y = trained
    calls = []

    def spy(*args, **kwargs):
        calls.append(kwargs["nonlinearity"])
        return hold(*args, **kwargs)

    hold = reductor.hold_snapshots
    monkeypatch.setattr(reductor, "hold_snapshots", spy)
    monkeypatch.setattr(reductor, "streams_by_default", lambda *args: True)   # never "matrix"
    est = clone(est).set_params(chunk_size=100).fit(u, y)
    # the streamed path holds a 60 x 60 Gram (two: x and f at leak rate 0.6) and two more
    # blocks of 100 steps: 1,035 snapshots (x and f, 60 x 2,070) are more, 225 (x) are not
    b = reduce(est, u, method="pod-deim", rank=8)
    assert calls == [] and isinstance(b.reservoir_, DEIMReservoir)   # streamed
    c = reduce(est, u[:300], method="pod", rank=8)
    assert calls == [None] and isinstance(c.reservoir_, PODReservoir)
    a = reduce(est, u[:300], method="pod", rank=8, snapshots="matrix")
    assert _same_span(a.reservoir_.modes_, c.reservoir_.modes_, 1e-6)
    assert c.reduction_report_.n_snapshots == 225


def test_held_options_are_checked(trained):
    est, u, y = trained
    with pytest.raises(ValueError, match="lstsq"):
        reduce(est, u, method="pod-deim", rank=5, nl_fit="lstsq", snapshots="held")
    with pytest.raises(ValueError, match="n_jobs"):
        reduce(est, u, method="pod-deim", rank=5, snapshots="held", n_jobs=1)
    with pytest.raises(ValueError, match="washout"):
        hold_snapshots(est.reservoir_, [u[:10]], washout=50)
    with pytest.raises(ValueError, match="nonlinearity"):
        hold_snapshots(est.reservoir_, [u], washout=50, nonlinearity="tanh")


@pytest.mark.parametrize("workers", [1, 2])
def test_states_recomputed_from_held_preactivations_are_the_runs(two_series, workers,
                                                                 monkeypatch):
    # leak rate 1, sparse W, compiled run: only V is held and x = tanh(v) by the run's own
    # tanh, split over threads by rows: the states bit for bit
    from rcpod.reduction import held_snapshots
    monkeypatch.setattr(held_snapshots, "one_blas_thread",
                        lambda: __import__("contextlib").nullcontext(workers))
    esn = _esn(1.0)
    held = hold_snapshots(esn, two_series, washout=20, nonlinearity="linearized",
                          chunk_size=16)
    assert tuple(held._blocks) == ("v",) and held._workers == workers
    recomputed = np.concatenate([x.copy() for x in held._states(center=False)])
    run = np.concatenate([esn.run(u)[20:] for u in two_series])
    np.testing.assert_array_equal(recomputed, run)


def test_bad_input_of_the_held_entry_points_is_named(two_series):
    esn = _esn(1.0)
    bad = two_series[0].copy()
    bad[5, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        hold_snapshots(esn, [bad], washout=20)
    with pytest.raises(ValueError, match="features"):
        hold_snapshots(esn, [np.zeros((100, 3))], washout=20)
    with pytest.raises(TypeError, match="inputs must be a list"):
        hold_snapshots(esn, two_series[0], washout=20)   # one array, not a list of series
    with pytest.raises(NotFittedError, match="not initialized"):
        hold_snapshots(ESN(n_units=20), two_series, washout=20)
    with pytest.raises(ValueError, match="chunk_size"):
        hold_snapshots(esn, two_series, washout=20, chunk_size=0)
    with pytest.raises(ValueError, match="nonlinearity"):
        holds_by_default(esn, 10, "tanh")
    with pytest.raises(ValueError, match="nonlinearity"):
        held_names(esn, "tanh")
    with pytest.raises(ValueError, match="n_kept"):
        holds_by_default(esn, -5, "full")
    with pytest.raises(NotFittedError, match="not initialized"):
        holds_by_default(ESN(n_units=20), 10, "full")
