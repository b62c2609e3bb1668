"""The threaded sparse kernel and its timing choice give the one-thread kernel's states bit for bit;
the preactivations the run made are the ones the form computes."""
import numba
import numpy as np
import pytest

from rcpod.reservoir import ESN, kernels, threaded_csr
from rcpod.reservoir.kernels import csr_arrays, row_splits, run_csr, run_csr_threads


@pytest.fixture
def arrays():
    esn = ESN(n_units=120, density=0.2, leak_rate=0.7, random_state=3).initialize(2)
    return esn, csr_arrays(esn.W_) + (esn.W_in_, esn.bias_)


@pytest.mark.parametrize("parts", [1, 2, 3, 7])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_threaded_kernel_is_bitwise_the_one_thread_kernel(parts, dtype):
    esn = ESN(n_units=120, density=0.2, leak_rate=0.7, dtype=np.dtype(dtype).name,
              random_state=3).initialize(2)
    arrays = csr_arrays(esn.W_) + (esn.W_in_, esn.bias_)
    u = np.random.default_rng(0).uniform(-1, 1, (60, 2)).astype(dtype)
    x0 = np.random.default_rng(1).uniform(-0.5, 0.5, 120).astype(dtype)
    leak = dtype(0.7)
    pre_a, pre_b = np.empty((60, 120), dtype), np.empty((60, 120), dtype)
    a = run_csr(*arrays, u, x0, leak, pre_a)
    b = run_csr_threads(*arrays, u, x0, leak, row_splits(arrays[0], parts), pre_b)
    assert a.dtype == b.dtype == dtype
    assert np.array_equal(a, b) and np.array_equal(pre_a, pre_b)
    assert np.array_equal(a, run_csr(*arrays, u, x0, leak))   # pre_out changes nothing
    for kernel, extra in ((run_csr, ()), (run_csr_threads, (row_splits(arrays[0], parts),))):
        buf = np.full((60, 120), np.nan, dtype)   # out: the same states, in the given array
        assert kernel(*arrays, u, x0, leak, *extra, None, buf) is buf
        assert np.array_equal(buf, a)


def test_row_splits_balance_the_nonzeros(arrays):
    indptr = arrays[1][0]
    s = row_splits(indptr, 4)
    assert s[0] == 0 and s[-1] == len(indptr) - 1 and np.all(np.diff(s) >= 0)
    nnz = np.diff(indptr.astype(np.int64)[s])
    assert nnz.sum() == indptr[-1] and nnz.max() - nnz.min() <= 2 * np.diff(
        indptr.astype(np.int64)).max()


def test_segmented_choice_is_bitwise_one_run(arrays, monkeypatch):
    """Forced onto the segmented path (small threshold and segments), both kernels take turns
    and the states are those of one one-thread run."""
    esn, arr = arrays
    monkeypatch.setattr(kernels, "THREADED_MIN_NNZ", 1)
    monkeypatch.setattr(threaded_csr, "SEGMENT_STEPS", 7)
    monkeypatch.setattr(threaded_csr, "PROBE_EVERY", 3)
    monkeypatch.setattr(threaded_csr, "_choices", {})
    if numba.get_num_threads() < 2:
        pytest.skip("needs two numba threads")
    u = np.random.default_rng(0).uniform(-1, 1, (100, 2))
    pre, out = np.empty((100, 120)), np.full((100, 120), np.nan)
    x = threaded_csr.run_csr_series(arr, u, np.zeros(120), 0.7, pre, out)
    ref_pre = np.empty((100, 120))
    assert x is out   # every segment wrote its rows of out
    assert np.array_equal(x, run_csr(*arr, u, np.zeros(120), 0.7, ref_pre))
    assert np.array_equal(pre, ref_pre)
    (choice,) = threaded_csr._choices.values()
    # one-step warm-ups and timings, 7-step segments of the faster kernel
    assert 100 // 7 < choice.segments < 100 and None not in choice.per_step.values()
    assert min(choice.runs.values()) >= 2
    assert np.array_equal(esn.run(u), x)
    # a large result comes in a mapping of its own, with the same states
    import mmap
    from rcpod.reservoir import anonymous_arrays
    monkeypatch.setattr(anonymous_arrays, "LARGE_BYTES", 0)
    y = threaded_csr.run_csr_series(arr, u, np.zeros(120), 0.7)
    assert isinstance(y.base.base.obj, mmap.mmap) and np.array_equal(y, x)


def test_warm_ups_and_timings_of_the_other_kernel_are_short(arrays, monkeypatch):
    esn, arr = arrays
    monkeypatch.setattr(kernels, "THREADED_MIN_NNZ", 1)
    monkeypatch.setattr(threaded_csr, "SEGMENT_STEPS", 8)
    monkeypatch.setattr(threaded_csr, "_choices", {})
    if numba.get_num_threads() < 2 or not threaded_csr._threads_usable():
        pytest.skip("needs two numba threads and a thread-safe layer")
    calls = []
    for name, threaded in (("run_csr", False), ("run_csr_threads", True)):
        real = getattr(kernels, name)
        monkeypatch.setattr(kernels, name, lambda *a, _r=real, _t=threaded: (
            calls.append((_t, len(a[len(arr)]))), _r(*a))[1])
    record = threaded_csr._Choice.record   # fixed timings: the one-thread kernel is faster
    monkeypatch.setattr(threaded_csr._Choice, "record", lambda self, t, seconds, steps: record(
        self, t, (1.0 if t else 0.5) * steps, steps))
    u = np.random.default_rng(0).uniform(-1, 1, (300, 2))
    x = threaded_csr.run_csr_series(arr, u, np.zeros(120), 0.7)
    assert np.array_equal(x, run_csr(*arr, u, np.zeros(120), 0.7))
    assert calls[:4] == [(True, 2), (False, 2), (True, 2), (False, 2)]   # warm-ups, timings
    assert {n for t, n in calls[4:-1] if not t} == {8} and calls[-1][1] <= 8
    assert [n for t, n in calls[4:] if t] == [2]        # probed once, after PROBE_EVERY


def test_short_series_take_the_kernel_a_long_run_found_faster(arrays, monkeypatch):
    """A series shorter than two segments is not timed: it takes the kernel a longer run of the
    same W found faster (the one-thread kernel when none was timed), with the same states."""
    esn, arr = arrays
    monkeypatch.setattr(kernels, "THREADED_MIN_NNZ", 1)
    monkeypatch.setattr(threaded_csr, "_choices", {})
    if numba.get_num_threads() < 2 or not threaded_csr._threads_usable():
        pytest.skip("needs two numba threads and a thread-safe layer")
    calls = []
    real = kernels.run_csr_threads

    def counted(*args):
        calls.append(len(args[len(arr)]))   # the inputs follow the arrays
        return real(*args)

    monkeypatch.setattr(kernels, "run_csr_threads", counted)
    u = np.random.default_rng(0).uniform(-1, 1, (50, 2))
    ref = run_csr(*arr, u, np.zeros(120), 0.7)
    assert np.array_equal(threaded_csr.run_csr_series(arr, u, np.zeros(120), 0.7), ref)
    assert calls == []                       # nothing timed yet: one thread
    key = (120, arr[2].size, arr[2].dtype.str, numba.get_num_threads())
    choice = threaded_csr._choices[key] = threaded_csr._Choice()
    for threaded, seconds in ((True, 1.0), (True, 0.01), (False, 1.0), (False, 0.02)):
        choice.record(threaded, seconds, 1)
    pre, ref_pre = np.empty((50, 120)), np.empty((50, 120))
    x = threaded_csr.run_csr_series(arr, u, np.zeros(120), 0.7, pre)
    assert calls == [50] and np.array_equal(x, run_csr(*arr, u, np.zeros(120), 0.7, ref_pre))
    assert np.array_equal(pre, ref_pre)
    choice.record(True, 0.5, 1)
    choice.record(True, 0.5, 1)              # now the threaded kernel is the slower one
    assert np.array_equal(threaded_csr.run_csr_series(arr, u, np.zeros(120), 0.7), ref)
    assert calls == [50]


def test_choice_ignores_each_kernels_warm_up_segment():
    """The first segment of each kernel (loading it, starting threads) does not decide: a
    threaded kernel whose warm-up took 10x its steady time is still chosen when faster."""
    choice = threaded_csr._Choice()
    times = {True: [1.0, 0.01, 0.01], False: [0.5, 0.02, 0.02]}
    order = []
    for _ in range(4):
        t = choice.threaded()
        order.append(t)
        choice.record(t, times[t].pop(0), 1)
    assert order == [True, False, True, False]
    assert choice.per_step == {True: 0.01, False: 0.02}
    picks = [choice.threaded() for _ in range(4, threaded_csr.PROBE_EVERY + 1)]
    assert all(picks[:-1]) and picks[-1] is False   # the slower one is probed now and then
    choice.record(True, 0.01, 1)
    choice.record(True, 0.5, 1)                     # one slow segment does not flip it
    assert choice.threaded() is True
    choice.record(True, 0.5, 1)                     # a busy machine does
    assert choice.threaded() is False


@pytest.mark.parametrize("ratio, gaps", [(2.0, [32, 64, 128, 128, 128]),
                                         (1.2, [32, 32, 32, 32, 32])])
def test_probe_interval_doubles_while_one_kernel_is_far_faster(ratio, gaps):
    """The kernel not in use is timed again after PROBE_EVERY segments, then at doubling
    intervals (up to MAX_PROBE_EVERY) while the other is WIDE_MARGIN times faster."""
    assert (threaded_csr.PROBE_EVERY, threaded_csr.MAX_PROBE_EVERY) == (32, 128)
    choice = threaded_csr._Choice()
    for _ in range(2):
        choice.record(True, 0.01, 1)
        choice.record(False, 0.01 * ratio, 1)
    choice.segments = 4
    probes = [k for k in range(4, 4 + sum(gaps) + 1) if not choice.threaded()]
    assert np.diff([0] + probes).tolist() == gaps


@pytest.mark.parametrize("dense", [False, True])
def test_run_with_preactivations(dense):
    esn = ESN(n_units=40, density=1.0 if dense else 0.2, leak_rate=0.6,
              random_state=0).initialize(1)
    u = np.random.default_rng(0).uniform(-1, 1, (30, 1))
    x0 = np.full(40, 0.1)
    x, v = esn.run_with_preactivations(u, x0)
    assert np.array_equal(x, esn.run(u, x0))
    prev = np.vstack([x0, x[:-1]])
    np.testing.assert_allclose(v, esn.form().preactivation(prev, u), rtol=0, atol=1e-14)
    np.testing.assert_allclose(x, 0.4 * prev + 0.6 * np.tanh(v), rtol=0, atol=1e-15)
    bufs = (np.empty((30, 40)), np.empty((30, 40)))
    got = esn.run_with_preactivations(u, x0, out=bufs)
    assert got[0] is bufs[0] and got[1] is bufs[1]
    assert np.array_equal(bufs[0], x) and np.array_equal(bufs[1], v)
    for bad in (bufs[0], (bufs[0],), (np.empty((29, 40)), bufs[1]),
                (bufs[0], np.empty((30, 40), np.float32)), (bufs[0], np.empty((40, 30)).T)):
        with pytest.raises(ValueError, match="out must be a tuple"):
            esn.run_with_preactivations(u, x0, out=bad)
    with pytest.raises(ValueError, match="one series"):
        esn.run_with_preactivations(np.zeros((2, 5, 1)))
    with pytest.raises(ValueError, match="NaN|finite"):
        esn.run_with_preactivations(np.full((5, 1), np.nan))


def test_no_threads_after_a_fork_or_without_a_safe_layer(arrays, monkeypatch):
    """A forked child of a process that launched the threaded kernel, and a process whose numba
    has only the workqueue layer, take the one-thread kernel."""
    esn, arr = arrays
    monkeypatch.setattr(kernels, "THREADED_MIN_NNZ", 1)
    monkeypatch.setattr(threaded_csr, "SEGMENT_STEPS", 7)
    monkeypatch.setattr(threaded_csr, "_choices", {})
    u = np.random.default_rng(0).uniform(-1, 1, (50, 2))
    monkeypatch.setattr(threaded_csr, "_launched", {"pid": -1, "safe": True})   # "forked"
    x = threaded_csr.run_csr_series(arr, u, np.zeros(120), 0.7)
    assert threaded_csr._choices == {} and np.array_equal(x, run_csr(*arr, u, np.zeros(120), 0.7))
    monkeypatch.setattr(threaded_csr, "_launched", {"pid": None, "safe": None})
    monkeypatch.setattr(numba.config, "THREADING_LAYER", "workqueue")
    threaded_csr.run_csr_series(arr, u, np.zeros(120), 0.7)
    assert threaded_csr._choices == {} and threaded_csr._launched["safe"] is False


def test_bad_arguments_are_named(arrays):
    from sklearn.exceptions import NotFittedError
    esn, arr = arrays
    u = np.zeros((5, 2))
    for name in ("out", "pre_out"):
        for bad in (np.empty((4, 120)), np.empty((5, 120), np.float32), np.empty((120, 5)).T,
                    [[0.0] * 120] * 5):
            with pytest.raises(ValueError, match=name):
                threaded_csr.run_csr_series(arr, u, np.zeros(120), 0.7, **{name: bad})
        buf = np.empty((5, 120))
        with pytest.raises(ValueError, match=f"{name} must not overlap x0"):
            threaded_csr.run_csr_series(arr, u, buf[2], 0.7, **{name: buf})
    with pytest.raises(ValueError, match="parts"):
        row_splits(arr[0], 0)
    with pytest.raises(ValueError, match="indptr"):
        row_splits(np.zeros((2, 2)), 2)
    with pytest.raises((NotFittedError, RuntimeError, ValueError), match="initiali|fit"):
        ESN(n_units=10).run_with_preactivations(np.zeros((5, 1)))
    with pytest.raises(ValueError, match="state"):
        esn.run_with_preactivations(np.zeros((5, 2)), np.zeros(7))
    with pytest.raises(ValueError, match="inputs"):
        esn.run_with_preactivations(np.zeros((5, 3)))


def test_uint16_and_uint32_indices_give_the_same_states(arrays):
    # csr_arrays hands out uint16 indices up to 65,536 columns and uint32 above: the same sums
    from rcpod.reservoir import kernels as K
    esn, arrays = arrays
    assert arrays[1].dtype == np.uint16
    wide = (arrays[0], arrays[1].astype(np.uint32)) + arrays[2:]
    u = np.random.default_rng(3).uniform(-1, 1, (50, esn.W_in_.shape[1]))
    x0 = np.zeros(esn.W_.shape[0])
    np.testing.assert_array_equal(run_csr(*wide, u, x0, 0.7), run_csr(*arrays, u, x0, 0.7))
    splits = row_splits(arrays[0], 2)
    np.testing.assert_array_equal(run_csr_threads(*wide, u, x0, 0.7, splits),
                                  run_csr_threads(*arrays, u, x0, 0.7, splits))
    U = np.random.default_rng(4).uniform(-1, 1, (K.LANES, 30, esn.W_in_.shape[1]))
    outs = []
    for a in (arrays, wide):
        for kernel in K.group_kernels().values():
            x, out = np.zeros((x0.size, K.LANES)), np.empty((K.LANES, 30, x0.size))
            kernel(*a, U, x, 0.3, 0.7, out, 0)
            outs.append(out)
    for out in outs[1:]:
        np.testing.assert_array_equal(out, outs[0])


def test_tanh_and_anonymous_arrays_name_bad_arguments():
    from rcpod.reservoir.anonymous_arrays import anonymous_empty
    from rcpod.reservoir.vector_tanh import tanh, tanh_threads
    x = np.linspace(-2, 2, 12).reshape(4, 3)
    with pytest.raises(ValueError, match="out must have the shape of x"):
        tanh_threads(x, np.empty((2, 3)), 2)   # the compiled loop checks no bounds
    with pytest.raises(ValueError, match="out must have the shape of x"):
        tanh(x, np.empty(5))
    with pytest.raises(TypeError, match="x must be a C-contiguous float64"):
        tanh(x.astype(np.float32), np.empty((4, 3)))
    with pytest.raises(TypeError, match="out must be a C-contiguous float64"):
        tanh(x, np.empty((3, 4)).T)
    with pytest.raises(ValueError, match="workers"):
        tanh_threads(x, np.empty_like(x), 0)
    with pytest.raises(ValueError, match="shape must be non-negative"):
        anonymous_empty((-1, 3))
    assert anonymous_empty(0).shape == (0,) and anonymous_empty((2, 0)).size == 0


@pytest.mark.parametrize("order", ["C", "F"])
def test_large_arrays_come_from_their_own_zero_filled_mapping(monkeypatch, order):
    import mmap

    from rcpod.reservoir import anonymous_arrays as aa
    small = aa.large_zeros((3, 4), order=order)
    assert not isinstance(getattr(small.base, "base", None), memoryview)
    monkeypatch.setattr(aa, "LARGE_BYTES", 1)
    z, e = aa.large_zeros((300, 7), order=order), aa.large_empty((5, 6), np.float32)
    assert z.shape == (300, 7) and not z.any() and z.flags[f"{order}_CONTIGUOUS"]
    assert e.shape == (5, 6) and e.dtype == np.float32 and e.flags.c_contiguous
    for a in (z, e):
        base = a
        while not isinstance(base, mmap.mmap):
            base = base.obj if isinstance(base, memoryview) else base.base
    with pytest.raises(ValueError, match="order"):
        aa.large_zeros(3, order="K")
    for make in (aa.large_empty, aa.large_zeros):
        with pytest.raises(ValueError, match="shape must be non-negative"):
            make((3, -1))


def test_kernels_name_output_buffers_of_the_wrong_shape(arrays):
    # the compiled loops check no bounds: a wrong buffer would be written past its end
    esn, arr = arrays
    u, x0 = np.zeros((6, 2)), np.zeros(120)
    splits = row_splits(arr[0], 2)
    for kernel, extra in ((run_csr, ()), (run_csr_threads, (splits,))):
        with pytest.raises(ValueError, match="out must have shape"):
            kernel(*arr, u, x0, 0.7, *extra, None, np.empty((5, 120)))
        with pytest.raises(ValueError, match="pre_out must have shape"):
            kernel(*arr, u, x0, 0.7, *extra, np.empty((6, 119)))
