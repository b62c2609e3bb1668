"""The full ESN run chunk by chunk, and running moments of its blocks (private): what the
streamed (:mod:`rcpod.reduction.snapshot_grams`) and the held
(:mod:`rcpod.reduction.held_snapshots`) snapshot paths share.

:func:`run_chunks` runs every series from the zero state in chunks of :func:`chunk_steps` steps
(the state carried across chunks, as :meth:`rcpod.reservoir.ReservoirRegressor.fit` does) and
hands out the kept ``(x, f, v)`` blocks; :class:`RunningMoments` adds up their means and centred
cross-products by the shifted-data algorithm of Chan, Golub & LeVeque (The American Statistician
37(3), 1983); :class:`RunMeans` reads the run's means from them.
"""
from __future__ import annotations

import numba
import numpy as np
import scipy.sparse as sp
from numba import njit, prange

from rcpod.reservoir.anonymous_arrays import anonymous_empty, large_empty, large_zeros
from rcpod.reservoir.panel_gram import (cross_add, gram_add_upper, one_blas_thread, outer_add,
                                        symmetrize_upper)

from .full_model import full_form

__all__ = ["RunningMoments", "RunMeans", "run_chunks", "chunk_steps", "series_stop",
           "tanh_is_state", "own_preactivations", "check_series_list", "line_from_moments",
           "CHUNK_BYTES", "MIN_CHUNK_STEPS"]

#: Bytes of one chunk's state (or preactivation) block while streaming: 32 MB (4,000 steps at
#: N = 1,000; 800 at N = 5,000); a chunk has up to five such blocks alive.
CHUNK_BYTES = 32 * 2 ** 20
#: ... but at least this many steps per chunk: each chunk is a rank-k update of the N x N Grams,
#: which runs at 105 GFlop/s for k = 209 (32 MB at N = 20,000) and 133 for k = 836 (2-core
#: Intel Xeon): 16 s less per Gram at N = 20,000, for 0.5 GB of blocks next to its 3.2 GB.
MIN_CHUNK_STEPS = 800


def _parts(block):
    """Column blocks for the one-pass moments: one per numba thread (at most one per column)."""
    return max(1, min(numba.get_num_threads(), block.shape[1]))


@njit(cache=True, nogil=True, parallel=True, error_model="numpy")
def _add_centred_sums(A, c, out, parts):
    """``out[j] += sum_k (A[k, j] - c[j])``, one pass over ``A``, the columns in ``parts``
    blocks (one per thread)."""
    n, m = A.shape
    for p in prange(parts):
        for k in range(n):
            for j in range(m * p // parts, m * (p + 1) // parts):
                out[j] += A[k, j] - c[j]


@njit(cache=True, nogil=True, parallel=True, error_model="numpy")
def _add_centred_products(A, ca, B, cb, out, parts):
    """``out[j] += sum_k (A[k, j] - ca[j]) (B[k, j] - cb[j])``: one pass, no shifted copies."""
    n, m = A.shape
    for p in prange(parts):
        for k in range(n):
            for j in range(m * p // parts, m * (p + 1) // parts):
                out[j] += (A[k, j] - ca[j]) * (B[k, j] - cb[j])


@njit(cache=True, nogil=True, parallel=True, error_model="numpy")
def _add_line_moments(A, ca, B, cb, sa, sb, pab, pbb, parts):
    """:func:`_add_centred_sums` of ``A`` and ``B`` and :func:`_add_centred_products` of
    ``(A, B)`` and ``(B, B)`` in one pass (the moments of a per-unit line fit of ``A`` on
    ``B``): each sum gets the same terms in the same order as there."""
    n, m = A.shape
    for p in prange(parts):
        for k in range(n):
            for j in range(m * p // parts, m * (p + 1) // parts):
                da = A[k, j] - ca[j]
                db = B[k, j] - cb[j]
                sa[j] += da
                sb[j] += db
                pab[j] += da * db
                pbb[j] += db * db


@njit(cache=True, nogil=True, parallel=True, error_model="numpy")
def _shift_and_sum(A, c, out, sums, parts):
    """``out = A - c`` and ``sums[j] = sum_k out[k, j]`` (each column summed in row order, as
    numpy's ``out.sum(axis=0)``), one pass, the columns in ``parts`` blocks."""
    n, m = A.shape
    for p in prange(parts):
        j0, j1 = m * p // parts, m * (p + 1) // parts
        for j in range(j0, j1):
            sums[j] = 0.0
        for k in range(n):
            for j in range(j0, j1):
                d = A[k, j] - c[j]
                out[k, j] = d
                sums[j] += d


class RunningMoments:
    """Running count, means, centred cross-products ``sum (a - mean a)(b - mean b)^T`` (of
    ``pairs``) and the diagonals alone of others (of ``diagonals``: ``O(N)`` each).

    Sums of the data shifted by the first chunk's mean ``c`` (the shifted-data algorithm of
    Chan, Golub & LeVeque: as accurate as the pairwise update while ``c`` is near the mean, and
    with a single rank-one correction at the end); the products are added in place in fixed
    panels, one one-thread BLAS call each, on parallel Python threads
    (:mod:`rcpod.reservoir.panel_gram`: one triangle of a symmetric sum, the same numbers for
    any thread count, and no multithreaded ``dsyrk``, which OpenBLAS crashes in at 20,000
    columns).
    """

    def __init__(self, pairs, diagonals=()):
        self.n = 0
        self.pairs, self.diagonals = pairs, diagonals
        self.shift, self.sums, self._cross, self._final = {}, {}, {}, None
        self._diag = {}
        self._buffers = {}   # one shifted block per name, reused by every chunk

    def add(self, blocks, sums=None):
        """Add one chunk; ``blocks`` maps a name to its (steps, N) rows, ``sums`` a name in no
        product to its column sums over the chunk's rows (its mean is all that is kept)."""
        steps = next(iter(blocks.values())).shape[0]
        if steps == 0:
            return
        if self._final is not None:
            raise RuntimeError("these moments are finished; no chunk can be added.")
        sums = {} if sums is None else sums
        if not self.n:
            self.shift = {k: b.mean(axis=0) for k, b in blocks.items()}
            self.shift.update({k: t / steps for k, t in sums.items()})
            self.sums = {k: np.zeros_like(c) for k, c in self.shift.items()}
        paired = {name for pair in self.pairs for name in pair}
        shifted = {k: self._shifted(k, b) for k, b in blocks.items() if k in paired}
        unpaired = [k for k in blocks if k not in paired]
        diagonals = self.diagonals
        if len(unpaired) == 2 and diagonals == ((unpaired[0], unpaired[1]),
                                                (unpaired[1], unpaired[1])):
            a, b = unpaired   # the linearised path's (f, v): one pass for all four
            _add_line_moments(blocks[a], self.shift[a], blocks[b], self.shift[b], self.sums[a],
                              self.sums[b], self._diagonal(diagonals[0], blocks),
                              self._diagonal(diagonals[1], blocks), _parts(blocks[a]))
            unpaired, diagonals = [], ()
        for k, b in blocks.items():
            if k in paired:
                self.sums[k] += shifted[k][1]
            elif k in unpaired:   # one pass, no shifted copy: the products need none
                _add_centred_sums(b, self.shift[k], self.sums[k], _parts(b))
        for k, t in sums.items():
            self.sums[k] += t - steps * self.shift[k]
        with one_blas_thread() as workers:
            for a, b in self.pairs:
                A, B = shifted[a][0], shifted[b][0]
                S = self._cross.get((a, b))
                if S is None:
                    S = self._cross[(a, b)] = large_zeros((A.shape[1], B.shape[1]))
                if a == b:
                    gram_add_upper(S, A, workers)
                else:
                    cross_add(S, A, B, workers)
        for a, b in diagonals:
            _add_centred_products(blocks[a], self.shift[a], blocks[b], self.shift[b],
                                  self._diagonal((a, b), blocks), _parts(blocks[a]))
        self.n += steps

    def _diagonal(self, pair, blocks):
        """The running centred diagonal of ``pair`` (zeros at the first chunk)."""
        d = self._diag.get(pair)
        if d is None:
            d = self._diag[pair] = np.zeros(blocks[pair[0]].shape[1])
        return d

    def _shifted(self, name, block):
        """``(block - shift, its column sums)``, one compiled pass on the numba threads, in a
        buffer kept for the next chunk: a fresh block of this size (32 MB) costs more in page
        faults than the subtraction (5.2 of 28 s at N = 5,000)."""
        buf = self._buffers.get(name)
        if buf is None or buf.shape[0] < block.shape[0]:
            buf = self._buffers[name] = large_empty(block.shape)
        out, sums = buf[:block.shape[0]], np.empty(block.shape[1])
        _shift_and_sum(np.ascontiguousarray(block, dtype=np.float64), self.shift[name], out, sums,
                       _parts(block))
        return out, sums

    @property
    def mean(self):
        return {k: self.shift[k] + self.sums[k] / self.n for k in self.shift}

    def merge(self, other):
        """Add ``other``'s moments (same pairs) by the pairwise update, in place: the centred
        cross-products ``S_a + S_b + (n_a n_b / n) d_a d_b^T`` with ``d = mean_other - mean``.
        Both are finished (no chunk can be added afterwards)."""
        if other.n == 0:
            return self
        if self.n == 0:
            self.n, self.shift, self.sums = other.n, other.shift, other.sums
            self._cross, self._final, self._diag = other._cross, other._final, other._diag
            return self
        n, c = self.n + other.n, self.n * other.n / (self.n + other.n)
        ma, mb = self.mean, other.mean
        d = {k: mb[k] - ma[k] for k in ma}
        mine, theirs = self.cross, other.cross
        for (a, b), S in mine.items():
            S += theirs[(a, b)]
            outer_add(S, c, d[a], d[b])
        for (a, b), S in self.diag.items():
            S += other.diag[(a, b)] + c * d[a] * d[b]
        self.shift = {k: (self.n * ma[k] + other.n * mb[k]) / n for k in ma}
        self.sums = {k: np.zeros_like(v) for k, v in self.shift.items()}
        self.n = n
        return self

    @property
    def cross(self):
        """The centred cross-products, finished in place after the last chunk (no more
        chunks can be added then)."""
        if self._final is None:
            for (a, b), S in self._cross.items():
                if a == b:
                    symmetrize_upper(S)
                outer_add(S, -1.0 / self.n, self.sums[a], self.sums[b])
            for (a, b), S in self._diag.items():
                S -= self.sums[a] * self.sums[b] / self.n
            self._final, self._cross, self._buffers = self._cross, None, {}
        return self._final

    @property
    def diag(self):
        """The centred diagonals ``sum_k (a_i - mean a_i)(b_i - mean b_i)``, finished with
        :attr:`cross`."""
        self.cross
        return self._diag


class RunMeans:
    """``n_snapshots``, ``mean_state`` and ``mean_slopes`` from the run's state moments
    ``self._x`` (names ``"x"`` and ``"s"``): what :class:`SnapshotGrams` and
    :class:`rcpod.reduction.held_snapshots.HeldSnapshots` share."""

    @property
    def n_snapshots(self):
        """Number of snapshots (kept steps over all series)."""
        return self._x.n

    def mean_state(self):
        """The mean state snapshot, shape (N,)."""
        return self._x.mean["x"].copy()

    def mean_slopes(self):
        """``mean_k(1 - tanh(v[k])^2)``, the slopes the output-weighted basis linearises at."""
        return self._x.mean["s"].copy()


def chunk_steps(n_units, chunk_size):
    """Steps per chunk: at most ``chunk_size`` and :data:`CHUNK_BYTES` of states, at least
    :data:`MIN_CHUNK_STEPS`."""
    return max(1, min(chunk_size, max(MIN_CHUNK_STEPS, CHUNK_BYTES // (8 * n_units))))


def check_series_list(inputs):
    """``inputs`` is a list (or tuple) of series, not one array (whose rows would be taken for
    series of one step each)."""
    if not isinstance(inputs, (list, tuple)):
        raise TypeError(f"inputs must be a list of (T_i, n_inputs) arrays, one per series, got "
                        f"{type(inputs).__name__}" + (f" of shape {inputs.shape}"
                                                      if hasattr(inputs, "shape") else "")
                        + "; wrap a single series as [inputs].")


def line_from_moments(moments):
    """Per-unit ``tanh(v_i) ~ D_i v_i + e_i`` from the moments' diagonals ``("f", "v")``,
    ``("v", "v")`` and means: ``(slopes D, offsets e)``, ``D_i = 0`` where ``v_i`` is
    constant."""
    var, cov = moments.diag[("v", "v")], moments.diag[("f", "v")]
    slopes = np.divide(cov, var, out=np.zeros_like(cov), where=var > 0)
    return slopes, moments.mean["f"] - slopes * moments.mean["v"]


def tanh_is_state(esn):
    """Whether the run's own ``tanh(v[k])`` is its state ``x[k]``, bit for bit: leak rate 1
    (``x = 0 x + 1 tanh(v)``) in float64."""
    return float(esn.leak_rate) == 1.0 and np.dtype(esn.dtype) == np.float64


def series_stop(u, stops, i):
    """The step at which series ``i`` stops (its length unless ``stops`` holds it back)."""
    return len(u) if stops is None or stops[i] is None else min(stops[i], len(u))


def own_preactivations(esn):
    """Whether ``run_with_preactivations`` hands out the very preactivations the run made (a
    sparse W on the compiled backend), not a second product with W."""
    return sp.issparse(esn.W_) and esn.backend != "numpy"


def run_chunks(esn, inputs, washout, stops, chunk_size, need_v, lengths, keep_v=False):
    """The kept steps of ``inputs`` run chunk by chunk: ``(x, f, v)`` blocks of shape
    (steps, N), ``f = tanh(v)`` and ``v`` None unless ``need_v`` (or free); appends each
    series' kept length to ``lengths``. A run of the same ESN on the same inputs gives the same
    blocks. The blocks live in buffers the next chunk overwrites (fresh 32 MB blocks cost more
    in page faults than the run's copy into them), except ``v`` with ``keep_v``."""
    form = full_form(esn)
    n_units, dtype = form.n_states, np.dtype(esn.dtype)
    steps = chunk_steps(n_units, chunk_size)
    a = float(form.leak)
    # a sparse W on the compiled backend hands out the preactivations its run made; otherwise
    # they cost a second product with W, and when v itself is not needed the states' own
    # update gives tanh(v) to rounding (|error| <~ 2 eps / a)
    with_v = need_v or own_preactivations(esn)
    recover = not with_v and a >= 1e-3 and dtype == np.float64
    f_is_x = tanh_is_state(esn)
    x_buf = large_empty((steps, n_units), dtype)
    v_buf = large_empty((steps, n_units), dtype) if with_v and not keep_v else None
    f_buf = None if f_is_x or recover else large_empty((steps, n_units))
    for i, u in enumerate(inputs):
        u = np.asarray(u, dtype=np.float64)
        stop = series_stop(u, stops, i)
        state = np.zeros(n_units)
        for t0 in range(0, stop, steps):
            uc = u[t0:min(t0 + steps, stop)]
            n = len(uc)
            if with_v:
                pre = anonymous_empty((n, n_units), dtype) if keep_v else v_buf[:n]
                x, v = esn.run_with_preactivations(uc, state0=state, out=(x_buf[:n], pre))
                v = np.asarray(v, dtype=np.float64)
            else:
                x, v = esn.run(uc, state0=state), None
            x = np.asarray(x, dtype=np.float64)
            keep = slice(max(0, washout - t0), None)
            if recover and not f_is_x:
                prev = np.concatenate([state[None, :], x[:-1]])[keep]
            state = x[-1].copy()
            x = x[keep]
            if len(x) == 0:
                continue
            if f_is_x:
                f = x
            elif recover:   # tanh(v[k]) = (x[k] - (1-a) x[k-1]) / a: no second product with W
                f = (x - (1.0 - a) * prev) / a
            else:
                f = np.tanh(v[keep], out=f_buf[:len(x)])
            yield x, f, None if v is None else v[keep]
        lengths.append(max(0, stop - washout))
