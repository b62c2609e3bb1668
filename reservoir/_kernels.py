"""Compiled (numba) loops of the leaky-tanh ESN recurrence.

    x[k] = (1 - a) x[k-1] + a tanh( W x[k-1] + proj[k] ),   proj[k] = W_in u[k] + b

(the ESN of :mod:`rcpod.reservoir.esn`, after Jaeger 2001). The sparse kernels make
``W_in u[k] + b`` step by step (no (T, N) projection array is stored); the dense ones take it
precomputed. The plain numpy reference these loops are tested against is
``rcpod.reservoir.esn.ESN._run_numpy``.

Speed notes (why the loops look the way they do):

* Sparse W is CSR with *unsigned* index arrays (``indptr`` uint64, ``indices`` uint32, see
  :func:`csr_arrays`): numba then skips the negative-index wrap-around test on every gather,
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
per-lane summation order (bit-identical states, tested). ``benchmarks/bench_batch_kernel.py``
times the two (2-core Intel Xeon with AVX-512, 8 series, 2000 steps, best of 5 interleaved
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
from numba import njit, types
from numba.extending import intrinsic

from .vector_tanh import scalar_tanh as _tanh
from .vector_tanh import tanh

__all__ = ["csr_arrays", "run_csr", "run_csr_batch", "run_dense", "run_dense_batch",
           "tanh", "LANES"]

#: series per SIMD group of the batched sparse kernel
LANES = 8

#: numba versions (major.minor) the LLVM-IR kernel was verified with (the test suite passed on
#: them: bit-identical to the plain loop). Others use the plain loop unless
#: ``RCPOD_IR_KERNEL=1`` asks for the IR kernel anyway.
IR_VERIFIED_NUMBA = ("0.60", "0.68")

logger = logging.getLogger(__name__)

def csr_arrays(W):
    """``(indptr uint64, indices uint32, data)`` of a scipy CSR matrix, for the kernels."""
    return (W.indptr.astype(np.uint64), W.indices.astype(np.uint32),
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
def run_csr(indptr, indices, data, W_in, bias, inputs, x0, leak):
    """One series, sparse W (from :func:`csr_arrays`).

    inputs (T, n_in), x0 (N,) -> states (T, N); ``W_in u[k] + b`` is made step by step.
    """
    T = inputs.shape[0]
    N = x0.shape[0]
    out = np.empty((T, N), dtype=x0.dtype)
    keep = x0.dtype.type(1.0) - leak
    p = np.empty_like(x0)
    pre = np.empty_like(x0)
    x = x0
    for t in range(T):
        _project(W_in, bias, inputs[t], p)
        _csr_matvec_plus(indptr, indices, data, x, p, pre)
        _leaky_tanh(pre, x, out[t], keep, leak)
        x = out[t]
    return out


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
        if (indptr.dtype != types.uint64 or indices.dtype != types.uint32
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
    :func:`run_csr_batch`."""
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
    """Several series, sparse W (from :func:`csr_arrays`).

    inputs (B, T, n_in); state (G, N, LANES) the initial states of the G = ceil(B / LANES)
    groups of series, interleaved, updated in place to the last step; out (B, T, N) receives
    the states. Each group runs over all steps in one call of a compiled, GIL-free loop; the
    groups are shared among ``n_threads`` threads (default ``numba.get_num_threads()``), which
    never synchronise per step. Each lane does exactly the arithmetic of :func:`run_csr`, so
    the states are bit-identical to one-series runs.
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
    """One series, dense W (C order). proj (T, N), x0 (N,) -> states (T, N).

    ``W x`` is one BLAS gemv per step.
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
    """Several series, dense W: one BLAS matrix product per step. proj (B, T, N), x0 (B, N)."""
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
