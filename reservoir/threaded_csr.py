"""One long series of a large sparse ESN on one core or on all of numba's threads, whichever is
faster here and now.

:func:`rcpod.reservoir.kernels.run_csr_threads` shares every step's rows between threads and
gives the same states, bit for bit, as the one-thread :func:`rcpod.reservoir.kernels.run_csr`
(each row is summed by the same loop in the same order). On idle cores it is about 1.9x faster
for a W of 4 * 10^5 nonzeros and more (2-core Intel Xeon); on a busy machine it can be 2x
slower, because every step waits for the slowest thread. So :func:`run_csr_series` runs a long
series in segments and times them: the first four segments take each kernel twice (the first
segment of a kernel is a warm-up, not timed: it loads the compiled kernel and starts the threads,
which took 0.2 s, longer than the segment itself), then the faster per step (the median of
its last :data:`RECENT` timings, so one slow segment -- page faults, a descheduled thread --
does not flip the choice) is used, and the other is timed again after :data:`PROBE_EVERY`
segments (the load changes), then at doubling intervals while one kernel stays
:data:`WIDE_MARGIN` times faster. A series too short for that (fewer than two segments, e.g. the
one step of ``ESN.step``) takes the kernel a longer run of the same W found faster, the
one-thread kernel if none did. Warm-ups and timings of the kernel not in use are a quarter
segment long. The choice never changes the numbers, only the time.

Threads are numba's (``numba.set_num_threads(k)`` or the environment variable
``NUMBA_NUM_THREADS``): one thread (e.g. inside a process pool that already uses every core)
always takes the one-thread kernel. So does a process without a thread-safe numba threading
layer (TBB or OpenMP: the fallback "workqueue" layer aborts on concurrent launches, e.g. from a
thread pool) and a process forked after it launched threads (GNU OpenMP is not fork-safe).
"""
from __future__ import annotations

import importlib
import os
import time
from collections import deque

import numba
import numpy as np

from . import kernels
from .anonymous_arrays import large_empty

__all__ = ["run_csr_series", "SEGMENT_STEPS", "PROBE_EVERY", "WIDE_MARGIN",
           "MAX_PROBE_EVERY"]

#: steps per segment of the kernel in use (~0.1 s for a W of 10^6 nonzeros); a warm-up or a
#: timing of the other kernel runs a quarter of that (on idle cores the one-thread kernel is
#: the slower by ~0.6 ms a step at 2.5 * 10^6 nonzeros)
SEGMENT_STEPS = 128
#: segments between two timings of the kernel not in use ...
PROBE_EVERY = 32
#: ... doubled after each timing that found one kernel this many times faster than the other
#: (up to :data:`MAX_PROBE_EVERY`), back to :data:`PROBE_EVERY` when the two come closer: a
#: probe of the one-thread kernel on idle cores costs ~0.05 s at 2.5 * 10^6 nonzeros
WIDE_MARGIN = 1.5
MAX_PROBE_EVERY = 4 * PROBE_EVERY


#: timings per kernel whose median decides (one slow segment does not flip the choice)
RECENT = 3


class _Choice:
    """Recent seconds per step of each kernel, for one size of W."""

    def __init__(self):
        self.recent = {True: deque(maxlen=RECENT), False: deque(maxlen=RECENT)}
        self.runs = {True: 0, False: 0}
        self.segments = 0
        self.interval = self.next_probe = PROBE_EVERY

    @property
    def per_step(self):
        """Each kernel's median seconds per step over its recent segments (None: not timed)."""
        return {k: float(np.median(t)) if t else None for k, t in self.recent.items()}

    def threaded(self):
        """Whether the next segment takes the threaded kernel."""
        k, self.segments = self.segments, self.segments + 1
        fast, slow = self.per_step[True], self.per_step[False]
        if fast is None or slow is None:        # warm up and time each kernel first
            return self.runs[True] <= self.runs[False]
        use = fast < slow
        if k < self.next_probe:
            return use
        wide = max(fast, slow) > WIDE_MARGIN * min(fast, slow)
        self.interval = min(2 * self.interval, MAX_PROBE_EVERY) if wide else PROBE_EVERY
        self.next_probe = k + self.interval
        return not use

    def in_use(self, threaded):
        """Whether ``threaded`` names the kernel found faster (both timed)."""
        fast, slow = self.per_step[True], self.per_step[False]
        return fast is not None and slow is not None and (fast < slow) == threaded

    def faster_is_threaded(self):
        """Whether both kernels were timed and the threaded one was the faster."""
        fast, slow = self.per_step[True], self.per_step[False]
        return fast is not None and slow is not None and fast < slow

    def record(self, threaded, seconds, steps):
        """Add one segment's time; a kernel's first segment is its warm-up and is not kept."""
        self.runs[threaded] += 1
        if self.runs[threaded] > 1:
            self.recent[threaded].append(seconds / steps)


#: (N, nnz, dtype, threads) -> _Choice, per process
_choices = {}
#: the process that launched the threaded kernel first (a forked child inherits it)
_launched = {"pid": None, "safe": None}


def _loads(module):
    """Whether ``module`` imports (a threading layer's library: TBB or GNU OpenMP present)."""
    try:
        importlib.import_module(module)
    except (ImportError, OSError):
        return False
    return True


def _threads_usable():
    """A thread-safe numba threading layer is there, and this process did not inherit launched
    OpenMP threads through a fork."""
    if _launched["safe"] is None:
        layer = str(numba.config.THREADING_LAYER).lower()
        pools = {"tbb": ("tbbpool",), "omp": ("omppool",), "safe": ("tbbpool",)}.get(
            layer, () if layer == "workqueue" else ("tbbpool", "omppool"))
        _launched["safe"] = any(_loads(f"numba.np.ufunc.{pool}") for pool in pools)
    pid = _launched["pid"]
    return _launched["safe"] and (pid is None or pid == os.getpid())


def run_csr_series(arrays, inputs, x0, leak, pre_out=None, out=None):
    """States of one series, by the faster of the one-thread and the threaded sparse kernel.

    Parameters
    ----------
    arrays : tuple
        ``csr_arrays(W) + (W_in, bias)`` (see :func:`rcpod.reservoir.kernels.run_csr`).
    inputs : ndarray of shape (T, n_in)
    x0 : ndarray of shape (N,)
    leak : float
    pre_out : ndarray of shape (T, N), optional
        Receives the preactivations.
    out : ndarray of shape (T, N), optional
        Receives the states (a fresh array by default).

    Returns
    -------
    states : ndarray of shape (T, N)
        ``out`` if given; bit-identical to ``kernels.run_csr(*arrays, inputs, x0, leak)``.

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.reservoir import ESN
    >>> from rcpod.reservoir.kernels import csr_arrays, run_csr
    >>> from rcpod.reservoir.threaded_csr import run_csr_series
    >>> esn = ESN(n_units=50, random_state=0).initialize(1)
    >>> arrays = csr_arrays(esn.W_) + (esn.W_in_, esn.bias_)
    >>> u = np.random.default_rng(0).uniform(-1, 1, (40, 1))
    >>> bool(np.array_equal(run_csr_series(arrays, u, np.zeros(50), 1.0),
    ...                     run_csr(*arrays, u, np.zeros(50), 1.0)))
    True
    """
    indptr, data = arrays[0], arrays[2]
    T, N = inputs.shape[0], x0.shape[0]
    for name, buf in (("pre_out", pre_out), ("out", out)):
        if buf is not None and (not isinstance(buf, np.ndarray) or buf.shape != (T, N)
                                or buf.dtype != x0.dtype or not buf.flags.c_contiguous):
            raise ValueError(f"{name} must be a C-contiguous {x0.dtype} array of shape "
                             f"({T}, {N}), got {getattr(buf, 'shape', type(buf).__name__)}.")
        if buf is not None and np.may_share_memory(buf, x0):
            raise ValueError(f"{name} must not overlap x0 (the run writes it while reading x0).")
    threads = numba.get_num_threads()
    key = (N, data.size, data.dtype.str, threads)
    # a series too short to time both kernels takes the one a longer run of this W found faster
    short = T < 2 * SEGMENT_STEPS
    if (data.size < kernels.THREADED_MIN_NNZ or threads < 2
            or (short and not (T and key in _choices and _choices[key].faster_is_threaded()))
            or not _threads_usable()):
        return kernels.run_csr(*arrays, inputs, x0, leak, pre_out, out)
    _launched["pid"] = os.getpid()
    splits = kernels.row_splits(indptr, threads)
    if short:
        return kernels.run_csr_threads(*arrays, inputs, x0, leak, splits, pre_out, out)
    choice = _choices.setdefault(key, _Choice())
    if out is None:   # a large one in a mapping of its own: no huge-page stalls on first touch
        out = large_empty((T, N), x0.dtype)
    x, t0 = x0, 0
    while t0 < T:
        threaded = choice.threaded()
        steps = SEGMENT_STEPS if choice.in_use(threaded) else max(1, SEGMENT_STEPS // 4)
        seg = slice(t0, min(t0 + steps, T))
        t0 = seg.stop
        pre = None if pre_out is None else pre_out[seg]
        tic = time.perf_counter()
        # each segment writes into its rows of out: no fresh block and copy per segment
        if threaded:
            kernels.run_csr_threads(*arrays, inputs[seg], x, leak, splits, pre, out[seg])
        else:
            kernels.run_csr(*arrays, inputs[seg], x, leak, pre, out[seg])
        choice.record(threaded, time.perf_counter() - tic, seg.stop - seg.start)
        x = out[seg.stop - 1]
    return out
