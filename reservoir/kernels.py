"""Compiled (numba) loops of the leaky-tanh ESN recurrence.

    x[k] = (1 - a) x[k-1] + a tanh( W x[k-1] + proj[k] ),   proj[k] = W_in u[k] + b

(the ESN of :mod:`rcpod.reservoir.esn`, after Jaeger 2001). The sparse kernels make
``W_in u[k] + b`` step by step (no (T, N) projection array is stored); the dense ones take it
precomputed. The plain numpy reference these loops are tested against is
the ESN's form, :meth:`rcpod.reservoir.form.LeakyTanhForm.run`.

Speed notes (why the loops look the way they do):

* Sparse W is CSR with *unsigned* index arrays (``indptr`` uint64, ``indices`` uint16 /
  uint32, see :func:`csr_arrays`): numba then skips the negative-index wrap-around test on every gather,
  which costs ~40 % of a sparse product. Two rows are summed at once (two independent
  add chains); each row is still summed in CSR order, so ``W x`` is bit-identical to
  ``scipy.sparse``'s product (used by the numpy reference).
* ``tanh`` is :func:`rcpod.reservoir.vector_tanh.scalar_tanh`, a branch-free version that LLVM vectorises (4 doubles per AVX2
  instruction, ~7x faster than the scalar libm call) and that is within 2 ulp of libm in
  float64. The activation of a step is a separate loop over a buffer so it vectorises.
* Batched series run in groups of ``LANES`` series whose states are stored interleaved,
  ``(N, LANES)``: every nonzero of W then multiplies ``LANES`` contiguous numbers held in
  registers (SIMD), and the groups are independent, so threads take whole groups and never
  synchronise per step (plain Python threads over the GIL-free compiled loop: no
  ``parallel=True`` compilation, which would cost ~15 s on first use).
* All arithmetic of a float32 run is float32 (states, W, sums); only the tanh evaluation is
  done in float64 and rounded to float32.

The batched sparse product is written in LLVM IR (:func:`_lane_rows1` / :func:`_lane_rows2`,
numba intrinsics), which depends on numba internals. It is used only with the numba versions it
was verified with (:data:`IR_VERIFIED_NUMBA`); on any other version, or if the intrinsic fails
to compile, the batched runs take :func:`_csr_group_plain`, a plain numba loop with the same
per-lane summation order (bit-identical states, tested). :func:`group_kernels` hands out the two
group kernels (``"ir"``: :func:`_csr_group`, ``"plain"``: :func:`_csr_group_plain`);
``benchmarks/bench_batch_kernel.py`` times them (2-core Intel Xeon with AVX-512, 8 series, 2000 steps, best of 5 interleaved
rounds: the fallback takes 1.5x (N=100), 2.3x (N=500) and 2.6x (N=1000) the IR kernel's time;
a plain loop with 8 unrolled accumulators, tried and not kept, took 1.5-2.1x).
"""
from __future__ import annotations

import logging
import os
from concurrent.futures import ThreadPoolExecutor

import numba
import numpy as np
from llvmlite import ir
from numba import njit, prange, types
from numba.extending import intrinsic

from .vector_tanh import scalar_tanh as _tanh
from .vector_tanh import tanh  # noqa: F401  (kernels.tanh, used by the tests; public in vector_tanh)

__all__ = ["csr_arrays", "group_kernels", "row_splits", "run_csr", "run_csr_batch",
           "run_csr_threads", "run_dense", "run_dense_batch", "THREADED_MIN_NNZ"]

#: series per SIMD group of the batched sparse kernel
LANES = 8

#: numba versions (major.minor) the LLVM-IR kernel was verified with (the test suite passed on
#: them: bit-identical to the plain loop). Others use the plain loop unless
#: ``RCPOD_IR_KERNEL=1`` asks for the IR kernel anyway.
IR_VERIFIED_NUMBA = ("0.60", "0.68")

logger = logging.getLogger(__name__)

def csr_arrays(W):
    """``(indptr uint64, indices uint16 / uint32, data)`` of a scipy CSR matrix, for the sparse
    kernels.

    Unsigned indices let numba skip the negative-index test on every gather (see the module
    docstring); the kernels sum each row in the stored order, as ``scipy.sparse`` does. The
    indices are uint16 while W has at most 65,536 columns: 10 bytes per nonzero instead of 12
    for a run that streams W from cache every step (0.575 against 0.645 ms a step at N = 5,000,
    density 0.1, two threads of a 2-core Intel Xeon); the arithmetic is the same.

    Parameters
    ----------
    W : scipy.sparse.csr_matrix (or csr_array) of shape (N, N)
        The recurrent matrix, float64 or float32 (the dtype of the states it will multiply).

    Returns
    -------
    indptr : ndarray of shape (N + 1,), uint64, C-contiguous (a copy)
    indices : ndarray of shape (nnz,), uint16 (at most 65,536 columns) or uint32, C-contiguous
        (a copy)
    data : ndarray of shape (nnz,), W's dtype, C-contiguous (W's own array when it already is)

    Examples
    --------
    >>> import numpy as np
    >>> import scipy.sparse as sp
    >>> from rcpod.reservoir.kernels import csr_arrays
    >>> W = sp.csr_matrix(np.array([[0.0, 2.0], [3.0, 0.0]]))
    >>> indptr, indices, data = csr_arrays(W)
    >>> indptr, indices, data
    (array([0, 1, 2], dtype=uint64), array([1, 0], dtype=uint16), array([2., 3.]))
    """
    index = np.uint16 if W.shape[1] <= 2 ** 16 else np.uint32
    return (W.indptr.astype(np.uint64), W.indices.astype(index),
            np.ascontiguousarray(W.data))


@njit(error_model="numpy", nogil=True, cache=True)
def _leaky_tanh(pre, x, out, keep, leak):
    """``out = keep * x + leak * tanh(pre)`` over flat, distinct, contiguous buffers (vectorised;
    arithmetic in the buffers' dtype, tanh rounded to it)."""
    dt = out.dtype.type
    for i in range(out.size):
        out[i] = keep * x[i] + leak * dt(_tanh(pre[i]))


@njit(error_model="numpy", nogil=True, cache=True)
def _csr_matvec_plus(indptr, indices, data, x, p, pre):
    """``pre = W x + p`` for CSR W, two rows at a time, each row summed in CSR order."""
    N = pre.shape[0]
    zero = data.dtype.type(0.0)
    for i in range(0, N - 1, 2):
        a0 = indptr[i]
        b0 = indptr[i + 1]
        b1 = indptr[i + 2]
        na = b0 - a0
        nb = b1 - b0
        n = na if na < nb else nb
        sa = zero
        sb = zero
        for m in range(n):
            sa += data[a0 + m] * x[indices[a0 + m]]
            sb += data[b0 + m] * x[indices[b0 + m]]
        for k in range(a0 + n, b0):
            sa += data[k] * x[indices[k]]
        for k in range(b0 + n, b1):
            sb += data[k] * x[indices[k]]
        pre[i] = sa + p[i]
        pre[i + 1] = sb + p[i + 1]
    if N % 2 == 1:
        i = N - 1
        s = zero
        for k in range(indptr[i], indptr[i + 1]):
            s += data[k] * x[indices[k]]
        pre[i] = s + p[i]


@njit(error_model="numpy", nogil=True, cache=True)
def _project(W_in, bias, u, p):
    """``p = W_in u + b`` for one input vector u (each row summed in input order, then b)."""
    N, n_in = W_in.shape
    for i in range(N):
        s = W_in[i, 0] * u[0]
        for j in range(1, n_in):
            s += W_in[i, j] * u[j]
        p[i] = s + bias[i]


@njit(error_model="numpy", nogil=True, cache=True)
def _check_buffers(pre_out, out, T, N):
    """The loops check no bounds: ``pre_out`` / ``out`` must be (T, N)."""
    if pre_out is not None and (pre_out.shape[0] != T or pre_out.shape[1] != N):
        raise ValueError("pre_out must have shape (T, N): one row per input step, one column "
                         "per unit")
    if out is not None and (out.shape[0] != T or out.shape[1] != N):
        raise ValueError("out must have shape (T, N): one row per input step, one column per "
                         "unit")


@njit(error_model="numpy", nogil=True, cache=True)
def run_csr(indptr, indices, data, W_in, bias, inputs, x0, leak, pre_out=None, out=None):
    """States of one series with a sparse W (from :func:`csr_arrays`).

    ``W_in u[k] + b`` is made step by step (no (T, N) projection is stored); ``W x`` is
    bit-identical to scipy's sparse product. Compiled, GIL-free.

    Parameters
    ----------
    indptr, indices, data : ndarray
        W as returned by :func:`csr_arrays`: (N + 1,) uint64, (nnz,) uint16 / uint32 and
        (nnz,) of the states' dtype.
    W_in : ndarray of shape (N, n_in)
        Input matrix, C-contiguous, the states' dtype.
    bias : ndarray of shape (N,)
        The states' dtype.
    inputs : ndarray of shape (T, n_in)
        The input series (the ESN passes it in the states' dtype; C-contiguous is fastest).
    x0 : ndarray of shape (N,)
        Initial state, float64 or float32: its dtype is the dtype of the run.
    leak : float
        Leak rate ``a`` in (0, 1], best a scalar of the states' dtype (``np.float32(a)`` for a
        float32 run: a Python float makes the leak arithmetic float64).
    pre_out : ndarray of shape (T, N), optional
        x0's dtype, C-contiguous: receives the preactivations ``v[k] = W x[k-1] + W_in u[k] +
        b`` the states were made from (the snapshots of a reduction need them; a second product
        with W would cost as much as the run).
    out : ndarray of shape (T, N), optional
        x0's dtype, C-contiguous, not overlapping ``x0``: receives the states (returned); a
        fresh array by default.

    Returns
    -------
    states : ndarray of shape (T, N), x0's dtype, C-contiguous
        ``x[1] .. x[T]`` (the initial state is not included).

    Examples
    --------
    The plain numpy reference is the ESN's :meth:`~rcpod.reservoir.form.LeakyTanhForm.run`
    (tanh differs by at most 2 ulp):

    >>> import numpy as np
    >>> from rcpod.reservoir import ESN
    >>> from rcpod.reservoir.kernels import csr_arrays, run_csr
    >>> esn = ESN(n_units=20, random_state=0).initialize(1)      # sparse W (density 0.1)
    >>> u = np.random.default_rng(0).uniform(-1, 1, (50, 1))
    >>> states = run_csr(*csr_arrays(esn.W_), esn.W_in_, esn.bias_, u, np.zeros(20), 1.0)
    >>> states.shape
    (50, 20)
    >>> np.allclose(states, esn.form().run(u, np.zeros(20)), rtol=0, atol=1e-12)
    True
    """
    T = inputs.shape[0]
    N = x0.shape[0]
    _check_buffers(pre_out, out, T, N)
    states = np.empty((T, N), dtype=x0.dtype) if out is None else out
    keep = x0.dtype.type(1.0) - leak
    p = np.empty_like(x0)
    pre = np.empty_like(x0)
    x = x0
    for t in range(T):
        v = pre if pre_out is None else pre_out[t]
        _step_rows(indptr, indices, data, W_in, bias, inputs[t], x, p, v, states[t], keep,
                   leak, 0, N)
        x = states[t]
    return states


@njit(error_model="numpy", nogil=True, cache=True)
def _step_rows(indptr, indices, data, W_in, bias, u, x, p, v, out, keep, leak, a, b):
    """Rows ``a:b`` of one step: ``v = W x + W_in u + b`` and ``out = keep x + leak tanh(v)``
    (``p`` a buffer for ``W_in u + b``)."""
    _project(W_in[a:b], bias[a:b], u, p[a:b])
    _csr_matvec_plus(indptr[a:b + 1], indices, data, x, p[a:b], v[a:b])
    _leaky_tanh(v[a:b], x[a:b], out[a:b], keep, leak)


#: :func:`run_csr_threads` pays a thread synchronisation per step (~10 us with two idle cores):
#: it is used from this many nonzeros of W (a step of ~0.1 ms on one core). Measured on two
#: idle cores of an Intel Xeon: 1.6x faster at 10^5 nonzeros (N = 1000, density 0.1), 1.9-2.0x
#: at 4 * 10^5 to 2.5 * 10^6 (N = 2,000-20,000); below this the one-thread loop is kept, so
#: the small reservoirs' runs (and the full model of the reduced-step benchmark) are unchanged
THREADED_MIN_NNZ = 2 * 10 ** 5


def row_splits(indptr, parts):
    """Row boundaries giving ``parts`` blocks of W with about equal numbers of nonzeros.

    Parameters
    ----------
    indptr : ndarray of shape (N + 1,)
        CSR row pointers.
    parts : int
        Number of blocks (at least 1).

    Returns
    -------
    ndarray of shape (parts + 1,), int64
        ``0 = s[0] <= s[1] <= ... <= s[parts] = N``.

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.reservoir.kernels import row_splits
    >>> row_splits(np.array([0, 4, 5, 6, 7, 8]), 2)
    array([0, 1, 5])
    """
    if not isinstance(parts, (int, np.integer)) or isinstance(parts, bool) or parts < 1:
        raise ValueError(f"parts must be a positive integer, got {parts!r}.")
    indptr = np.asarray(indptr, dtype=np.int64)
    if indptr.ndim != 1 or indptr.size < 1:
        raise ValueError(f"indptr must be the 1-D CSR row pointers (N + 1,), got shape "
                         f"{indptr.shape}.")
    targets = indptr[-1] * np.arange(parts + 1) // parts
    splits = np.searchsorted(indptr, targets, side="left").astype(np.int64)
    splits[0], splits[-1] = 0, len(indptr) - 1
    return np.maximum.accumulate(splits)


@njit(error_model="numpy", nogil=True, parallel=True, cache=True)
def run_csr_threads(indptr, indices, data, W_in, bias, inputs, x0, leak, splits, pre_out=None,
                    out=None):
    """:func:`run_csr` with every step's rows shared by numba's threads.

    Block ``q`` of rows ``splits[q]:splits[q + 1]`` (:func:`row_splits`) is done by one
    thread with the same loops as :func:`run_csr`, each row summed in the same order, so the
    states are bit-identical to :func:`run_csr` whatever the number of threads; the threads
    meet once per step. Worth it only for a large W (:data:`THREADED_MIN_NNZ`) on idle cores:
    with another process busy on a 2-core machine it measured 1.9x *slower* than
    :func:`run_csr` (every step waits for the descheduled thread); the ESN therefore times
    both on a long run and keeps the faster (:meth:`rcpod.reservoir.ESN.run`). The number of
    threads is numba's (``numba.set_num_threads``, ``NUMBA_NUM_THREADS``); the first call
    compiles for a few seconds (cached on disk afterwards).

    Parameters
    ----------
    indptr, indices, data, W_in, bias, inputs, x0, leak, pre_out, out
        As in :func:`run_csr`.
    splits : ndarray of shape (parts + 1,), int64
        Row blocks, from :func:`row_splits`.

    Returns
    -------
    states : ndarray of shape (T, N)

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.reservoir import ESN
    >>> from rcpod.reservoir.kernels import csr_arrays, row_splits, run_csr, run_csr_threads
    >>> esn = ESN(n_units=40, random_state=0).initialize(1)
    >>> arrays = csr_arrays(esn.W_) + (esn.W_in_, esn.bias_)
    >>> u = np.random.default_rng(0).uniform(-1, 1, (30, 1))
    >>> a = run_csr(*arrays, u, np.zeros(40), 1.0)
    >>> b = run_csr_threads(*arrays, u, np.zeros(40), 1.0, row_splits(arrays[0], 2))
    >>> np.array_equal(a, b)
    True
    """
    _check_buffers(pre_out, out, inputs.shape[0], x0.shape[0])
    states = np.empty((inputs.shape[0], x0.shape[0]), dtype=x0.dtype) if out is None else out
    keep = x0.dtype.type(1.0) - leak
    p = np.empty_like(x0)
    pre = np.empty_like(x0)
    x = x0.copy()
    for t in range(inputs.shape[0]):
        v = pre if pre_out is None else pre_out[t]
        for q in prange(splits.shape[0] - 1):
            _step_rows(indptr, indices, data, W_in, bias, inputs[t], x, p, v, states[t], keep,
                       leak, splits[q], splits[q + 1])
        x = states[t]
    return states


def _lane_rows_codegen(n_rows):
    """LLVM IR of :func:`_lane_rows1` / :func:`_lane_rows2` (see there)."""

    def codegen(context, builder, signature, args):
        ip_t, ind_t, dat_t, x_t, pre_t, _ = signature.args
        ip_a, ind_a, dat_a, x_a, pre_a = (context.make_array(t)(context, builder, v)
                                          for t, v in zip(signature.args[:5], args[:5]))
        row = args[5]
        i64 = ir.IntType(64)
        fty = context.get_value_type(x_t.dtype)
        vty = ir.VectorType(fty, LANES)
        zero = ir.Constant(vty, [ir.Constant(fty, 0.0)] * LANES)
        splat = ir.Constant(ir.VectorType(ir.IntType(32), LANES), [0] * LANES)
        lanes = ir.Constant(i64, LANES)

        def at(array, index):
            return builder.load(builder.gep(array.data, [index]))

        def term(k):  # data[k] * x[indices[k], :] as one vector
            w = at(dat_a, k)
            j = builder.zext(at(ind_a, k), i64)
            xp = builder.bitcast(builder.gep(x_a.data, [builder.mul(j, lanes)]), vty.as_pointer())
            wv = builder.insert_element(ir.Constant(vty, ir.Undefined), w,
                                        ir.Constant(ir.IntType(32), 0))
            wv = builder.shuffle_vector(wv, ir.Constant(vty, ir.Undefined), splat)
            return builder.fmul(wv, builder.load(xp, align=x_t.dtype.bitwidth // 8))

        def loop(count, bases, inits):
            """for m in [0, count): acc[r] += term(bases[r] + m); returns the accumulators."""
            entry = builder.basic_block
            head = builder.append_basic_block("lanes.head")
            body = builder.append_basic_block("lanes.body")
            done = builder.append_basic_block("lanes.done")
            builder.branch(head)
            builder.position_at_end(head)
            m = builder.phi(i64)
            m.add_incoming(ir.Constant(i64, 0), entry)
            accs = []
            for init in inits:
                acc = builder.phi(vty)
                acc.add_incoming(init, entry)
                accs.append(acc)
            builder.cbranch(builder.icmp_unsigned("<", m, count), body, done)
            builder.position_at_end(body)
            new = [builder.fadd(acc, term(builder.add(base, m))) for acc, base in zip(accs, bases)]
            m.add_incoming(builder.add(m, ir.Constant(i64, 1)), builder.basic_block)
            for acc, value in zip(accs, new):
                acc.add_incoming(value, builder.basic_block)
            builder.branch(head)
            builder.position_at_end(done)
            return accs

        ptr = [at(ip_a, builder.add(row, ir.Constant(i64, r))) for r in range(n_rows + 1)]
        lengths = [builder.sub(ptr[r + 1], ptr[r]) for r in range(n_rows)]
        if n_rows == 1:
            accs = loop(lengths[0], ptr[:1], [zero])
        else:  # both rows together while both have terms, then the rest of the longer one
            na, nb = lengths
            n = builder.select(builder.icmp_unsigned("<", na, nb), na, nb)
            acc_a, acc_b = loop(n, ptr[:2], [zero, zero])
            (acc_a,) = loop(builder.sub(na, n), [builder.add(ptr[0], n)], [acc_a])
            (acc_b,) = loop(builder.sub(nb, n), [builder.add(ptr[1], n)], [acc_b])
            accs = [acc_a, acc_b]
        for r, acc in enumerate(accs):
            offset = builder.mul(builder.add(row, ir.Constant(i64, r)), lanes)
            pp = builder.bitcast(builder.gep(pre_a.data, [offset]), vty.as_pointer())
            builder.store(acc, pp, align=x_t.dtype.bitwidth // 8)
        return context.get_dummy_value()
    return codegen


def _lane_rows_typer(n_rows):
    def typer(typingctx, indptr, indices, data, x, pre, row):
        arrays = (indptr, indices, data, x, pre)
        if not all(isinstance(a, types.Array) and a.layout == "C" for a in arrays):
            return None
        if (indptr.dtype != types.uint64 or indices.dtype not in (types.uint16, types.uint32)
                or x.dtype not in (types.float32, types.float64)
                or data.dtype != x.dtype or pre.dtype != x.dtype
                or x.ndim != 2 or pre.ndim != 2 or not isinstance(row, types.Integer)):
            return None
        return types.void(indptr, indices, data, x, pre, types.int64), \
            _lane_rows_codegen(n_rows)
    return typer


_lane_rows1 = intrinsic(_lane_rows_typer(1))
_lane_rows1.__doc__ = """``pre[i, :] = W[i, :] @ x`` for CSR W and LANES interleaved series
x (N, LANES), as LANES-wide SIMD vectors; each lane is summed in CSR order."""
_lane_rows2 = intrinsic(_lane_rows_typer(2))
_lane_rows2.__doc__ = """As ``_lane_rows1`` for rows i and i + 1 together (two independent
add chains, same per-lane summation order)."""


@njit(error_model="numpy", nogil=True, cache=True)
def _group_step_tail(W_in, bias, inputs, b0, nl, t, p, pre, xa, xb, keep, leak, out):
    """The rest of one step of a group once ``pre`` holds ``W x`` (N, LANES): add each series'
    input projection, take the leaky tanh of ``xa`` into ``xb``, copy the states to ``out``."""
    N = pre.shape[0]
    for l in range(nl):
        _project(W_in, bias, inputs[b0 + l, t], p)
        for i in range(N):
            pre[i, l] += p[i]
    _leaky_tanh(pre.reshape(-1), xa.reshape(-1), xb.reshape(-1), keep, leak)
    for l in range(nl):
        o = out[b0 + l, t]
        for i in range(N):
            o[i] = xb[i, l]


@njit(error_model="numpy", nogil=True, cache=True)
def _csr_group(indptr, indices, data, W_in, bias, inputs, x, keep, leak, out, b0):
    """Run one group of LANES interleaved series b0 .. b0 + LANES - 1 over all steps.

    x (N, LANES) initial states, updated in place to the last ones (lanes past the last series
    have no input and stay zero); inputs (B, T, n_in); states go to out (B, T, N).
    Public as ``group_kernels()["ir"]``.
    """
    B, T, _ = inputs.shape
    N, L = x.shape
    nl = min(L, B - b0)
    pre = np.zeros((N, L), dtype=x.dtype)
    p = np.empty(N, dtype=x.dtype)
    xa = x.copy()
    xb = np.empty_like(x)
    for t in range(T):
        for i in range(0, N - 1, 2):
            _lane_rows2(indptr, indices, data, xa, pre, i)
        if N % 2 == 1:
            _lane_rows1(indptr, indices, data, xa, pre, N - 1)
        _group_step_tail(W_in, bias, inputs, b0, nl, t, p, pre, xa, xb, keep, leak, out)
        xa, xb = xb, xa
    x[:] = xa


@njit(error_model="numpy", nogil=True, cache=True)
def _csr_group_plain(indptr, indices, data, W_in, bias, inputs, x, keep, leak, out, b0):
    """:func:`_csr_group` without the LLVM-IR intrinsic: the same per-lane summation order
    (CSR order, one add chain per lane), so the same bits; the fallback of
    :func:`run_csr_batch`. Public as ``group_kernels()["plain"]``."""
    B, T, _ = inputs.shape
    N, L = x.shape
    nl = min(L, B - b0)
    pre = np.zeros((N, L), dtype=x.dtype)
    acc = np.zeros(L, dtype=x.dtype)
    p = np.empty(N, dtype=x.dtype)
    xa = x.copy()
    xb = np.empty_like(x)
    for t in range(T):
        for i in range(N):
            acc[:] = 0
            for k in range(indptr[i], indptr[i + 1]):
                w = data[k]
                row = xa[indices[k]]
                for l in range(L):
                    acc[l] += w * row[l]
            pre[i] = acc
        _group_step_tail(W_in, bias, inputs, b0, nl, t, p, pre, xa, xb, keep, leak, out)
        xa, xb = xb, xa
    x[:] = xa


def group_kernels():
    """The two compiled group kernels of :func:`run_csr_batch`, for benchmarks and tests.

    ``"ir"`` sums the sparse product with the LLVM-IR intrinsic (LANES-wide SIMD vectors; it
    compiles only where numba's internals fit it, see :func:`ir_kernel_enabled`), ``"plain"``
    is the plain numba loop :func:`run_csr_batch` falls back to. Both do the same arithmetic in
    the same order, so their states are bit-identical. Each runs one group of :data:`LANES`
    series over all steps, single-threaded::

        kernel(indptr, indices, data, W_in, bias, inputs, x, keep, leak, out, b0)

    with ``indptr, indices, data`` from :func:`csr_arrays`; ``W_in`` (N, n_in) and ``bias``
    (N,) C-contiguous; ``inputs`` (B, T, n_in); ``x`` (N, LANES) the group's initial states,
    interleaved (column l is series ``b0 + l``), C-contiguous, of the data's dtype, overwritten
    with the last states; ``keep = 1 - leak`` and ``leak`` scalars of that dtype; ``out``
    (B, T, N) receiving the states of series ``b0 .. min(b0 + LANES, B) - 1``; ``b0`` the first
    series of the group. Unlike :func:`run_csr_batch`, nothing is checked and there is no
    fallback: a non-contiguous ``x`` or ``data`` fails to compile with ``"ir"``.

    Takes no parameters.

    Returns
    -------
    dict
        ``{"ir": <LLVM-IR group kernel>, "plain": <plain numba group kernel>}``, numba
        dispatchers; a new dict on each call.

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.reservoir import ESN
    >>> from rcpod.reservoir.kernels import LANES, csr_arrays, group_kernels
    >>> sorted(group_kernels())
    ['ir', 'plain']
    >>> esn = ESN(n_units=20, random_state=0).initialize(1)
    >>> U = np.random.default_rng(0).uniform(-1, 1, (3, 50, 1))   # 3 series: one group
    >>> x, out = np.zeros((20, LANES)), np.empty((3, 50, 20))
    >>> group_kernels()["plain"](*csr_arrays(esn.W_), esn.W_in_, esn.bias_, U, x, 0.0, 1.0,
    ...                          out, 0)
    >>> np.allclose(out, esn.form().run(U, np.zeros((3, 20))), rtol=0, atol=1e-12)
    True
    >>> np.array_equal(x[:, :3].T, out[:, -1])        # x holds the last states, interleaved
    True
    """
    return {"ir": _csr_group, "plain": _csr_group_plain}


def ir_kernel_enabled(version=None, env=None):
    """Whether the batched sparse runs use the LLVM-IR kernel: numba ``version`` (default the
    installed one) is in :data:`IR_VERIFIED_NUMBA`, or ``RCPOD_IR_KERNEL`` is ``"1"`` (``"0"``
    turns it off)."""
    env = os.environ if env is None else env
    if env.get("RCPOD_IR_KERNEL") in ("0", "1"):
        return env["RCPOD_IR_KERNEL"] == "1"
    version = numba.__version__ if version is None else version
    return ".".join(version.split(".")[:2]) in IR_VERIFIED_NUMBA


#: the group kernel in use; switched to the plain loop if the intrinsic fails to compile
_group_kernel = [_csr_group if ir_kernel_enabled() else _csr_group_plain]


def _run_group(*args):
    try:
        _group_kernel[0](*args)
    except numba.core.errors.NumbaError as exc:   # a numba whose internals the IR no longer fits
        if _group_kernel[0] is _csr_group_plain:
            raise
        logger.warning("the LLVM-IR batch kernel does not compile with numba %s (%s); using the "
                       "plain loop (same results, slower).", numba.__version__,
                       str(exc).splitlines()[0][:200])
        _group_kernel[0] = _csr_group_plain
        _csr_group_plain(*args)


def run_csr_batch(indptr, indices, data, W_in, bias, inputs, state, leak, out, n_threads=None):
    """States of several series with a sparse W (from :func:`csr_arrays`), in SIMD groups.

    The series run in G = ceil(B / LANES) groups of :data:`LANES` series with interleaved
    states. Each group runs over all steps in one call of a compiled, GIL-free loop; the
    groups are shared among ``n_threads`` threads, which never synchronise per step. Each lane
    does exactly the arithmetic of :func:`run_csr`, so the states are bit-identical to
    one-series runs. The group kernel is the LLVM-IR one where :func:`ir_kernel_enabled`, else
    (or if it fails to compile: a warning is logged once) the plain loop; see
    :func:`group_kernels`.

    Parameters
    ----------
    indptr, indices, data : ndarray
        W as returned by :func:`csr_arrays`: (N + 1,) uint64, (nnz,) uint16 / uint32 and
        (nnz,) of the states' dtype, all C-contiguous.
    W_in : ndarray of shape (N, n_in)
        Input matrix, C-contiguous, the states' dtype.
    bias : ndarray of shape (N,)
        The states' dtype.
    inputs : ndarray of shape (B, T, n_in)
        The input series (the ESN passes them in the states' dtype).
    state : ndarray of shape (G, N, LANES)
        float64 or float32, C-contiguous: ``state[g, :, l]`` is the initial state of series
        ``g * LANES + l`` (zeros in the lanes past the last series). Overwritten with the
        states of the last step.
    leak : float
        Leak rate ``a`` in (0, 1] (converted to the states' dtype).
    out : ndarray of shape (B, T, N)
        The states' dtype; receives ``x[1] .. x[T]`` of every series.
    n_threads : int, optional
        Threads sharing the groups (default ``numba.get_num_threads()``; at most G are used).

    Returns
    -------
    None
        The results are written to ``out`` and ``state``.

    Raises
    ------
    ValueError
        If ``state`` or ``out`` does not have the shape above.

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.reservoir import ESN
    >>> from rcpod.reservoir.kernels import LANES, csr_arrays, run_csr_batch
    >>> esn = ESN(n_units=20, random_state=0).initialize(1)
    >>> U = np.random.default_rng(0).uniform(-1, 1, (3, 50, 1))
    >>> state = np.zeros((1, 20, LANES))       # ceil(3 / LANES) = 1 group, initial states 0
    >>> out = np.empty((3, 50, 20))
    >>> run_csr_batch(*csr_arrays(esn.W_), esn.W_in_, esn.bias_, U, state, 1.0, out)
    >>> np.allclose(out, esn.form().run(U, np.zeros((3, 20))), rtol=0, atol=1e-12)
    True
    >>> np.array_equal(state[0, :, :3].T, out[:, -1])   # lane l holds series l's last state
    True
    """
    B, T, _ = inputs.shape
    G, N, L = state.shape
    if L != LANES or G != -(-B // LANES) or out.shape != (B, T, N):
        raise ValueError(f"run_csr_batch: state must have shape (ceil(B / {LANES}), N, {LANES}) "
                         f"and out (B, T, N); got state {state.shape}, out {out.shape} for "
                         f"inputs {inputs.shape}.")
    keep = state.dtype.type(1.0) - state.dtype.type(leak)
    leak = state.dtype.type(leak)

    def group(g):
        _run_group(indptr, indices, data, W_in, bias, inputs, state[g], keep, leak, out,
                   g * LANES)

    n_threads = min(G, numba.get_num_threads() if n_threads is None else n_threads)
    if n_threads <= 1:
        for g in range(G):
            group(g)
    else:
        with ThreadPoolExecutor(max_workers=n_threads) as pool:
            list(pool.map(group, range(G)))


@njit(error_model="numpy", nogil=True, cache=True)
def run_dense(W, proj, x0, leak):
    """States of one series with a dense W: one BLAS gemv ``W x`` per step. Compiled, GIL-free.

    Parameters
    ----------
    W : ndarray of shape (N, N)
        Dense recurrent matrix, C-contiguous, the states' dtype.
    proj : ndarray of shape (T, N)
        The input projections ``W_in u[k] + b`` (e.g. ``ESN.input_projection``), C-contiguous,
        the states' dtype.
    x0 : ndarray of shape (N,)
        Initial state, float64 or float32, contiguous.
    leak : float
        Leak rate ``a`` in (0, 1], best a scalar of the states' dtype (``np.float32(a)`` for a
        float32 run).

    Returns
    -------
    states : ndarray of shape (T, N), proj's dtype, C-contiguous
        ``x[1] .. x[T]``.

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.reservoir import ESN
    >>> from rcpod.reservoir.kernels import run_dense
    >>> esn = ESN(n_units=20, density=1.0, random_state=0).initialize(1)   # dense W
    >>> u = np.random.default_rng(0).uniform(-1, 1, (50, 1))
    >>> proj = np.ascontiguousarray(esn.input_projection(u))
    >>> states = run_dense(esn.W_, proj, np.zeros(20), 1.0)
    >>> states.shape
    (50, 20)
    >>> np.allclose(states, esn.form().run(u, np.zeros(20)), rtol=0, atol=1e-12)
    True
    """
    T, N = proj.shape
    out = np.empty_like(proj)
    keep = proj.dtype.type(1.0) - leak
    pre = np.empty_like(x0)
    x = x0
    for t in range(T):
        pre[:] = np.dot(W, x)
        pre += proj[t]
        _leaky_tanh(pre, x, out[t], keep, leak)
        x = out[t]
    return out


@njit(error_model="numpy", nogil=True, cache=True)
def run_dense_batch(W, proj, x0, leak):
    """States of several series with a dense W: one BLAS matrix product per step (all series).

    Parameters
    ----------
    W : ndarray of shape (N, N)
        Dense recurrent matrix, C-contiguous, the states' dtype.
    proj : ndarray of shape (B, T, N)
        The input projections ``W_in u[k] + b`` of each series, C-contiguous, the states' dtype.
    x0 : ndarray of shape (B, N)
        Initial states, float64 or float32, C-contiguous (not modified).
    leak : float
        Leak rate ``a`` in (0, 1], best a scalar of the states' dtype.

    Returns
    -------
    states : ndarray of shape (B, T, N), proj's dtype, C-contiguous
        ``x[1] .. x[T]`` of every series.

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.reservoir import ESN
    >>> from rcpod.reservoir.kernels import run_dense_batch
    >>> esn = ESN(n_units=20, density=1.0, random_state=0).initialize(1)   # dense W
    >>> U = np.random.default_rng(0).uniform(-1, 1, (3, 50, 1))
    >>> proj = np.ascontiguousarray(esn.input_projection(U))
    >>> states = run_dense_batch(esn.W_, proj, np.zeros((3, 20)), 1.0)
    >>> states.shape
    (3, 50, 20)
    >>> np.allclose(states, esn.form().run(U, np.zeros((3, 20))), rtol=0, atol=1e-12)
    True
    """
    B, T, N = proj.shape
    keep = proj.dtype.type(1.0) - leak
    out = np.empty_like(proj)
    pre = np.empty((B, N), dtype=proj.dtype)
    xa = x0.copy()
    xb = np.empty_like(xa)
    Wt = W.T
    for t in range(T):
        pre[:] = np.dot(xa, Wt)
        pre += proj[:, t]
        _leaky_tanh(pre.reshape(-1), xa.reshape(-1), xb.reshape(-1), keep, leak)
        xa, xb = xb, xa
        out[:, t] = xa
    return out
