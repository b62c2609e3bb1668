"""Held snapshots: every basis from block products with one run of the full ESN, no N x N array.

The streamed path (:mod:`rcpod.reduction.snapshot_grams`) builds each basis from an ``N x N``
Gram matrix: ``N^2 T`` multiply-adds and ``8 N^2`` bytes, however short the run of ``T`` steps.
When the run is no longer than the reservoir is wide (``T <~ N``: 20,000 snapshots of a
20,000-unit ESN), the run's own blocks take no more memory than that Gram, and the leading modes
come faster from products with them. :func:`hold_snapshots` runs the ESN once, chunk by chunk
as the streamed path does, and keeps the blocks ``B_c`` (steps, N) of the snapshot matrix
``X = [B_1; B_2; ...]^T``; the block subspace iteration on ``X`` itself,
:func:`rcpod.reduction.leading_modes.subspace_svd` (with its residual check), then applies
``X^T`` and ``X`` to ``l`` vectors block by block: ``4 N T l`` flops an iteration against
``N^2 T`` to build the Gram (a 20-iteration run with ``l = 200`` is ``16,000 N T``), the modes
resolved as the exact SVD resolves them (the Gram's ``X X^T`` would square their condition), and
the linearised remainder needs no second run of the ESN. (The output-weighted basis mixes the
state Gram with the observability factor and iterates on ``X X^T`` products; up to
:data:`rcpod.reduction.pod.DENSE_GRAM_MAX` units ``decomposition="auto"`` eigendecomposes the
Gram densely.)

Only what cannot be recomputed cheaply is held: the preactivations ``V`` alone when the states
are their ``tanh`` bit for bit (leak rate 1, float64, the compiled sparse run's own
preactivations: ``x = f = tanh(v)`` by the run's own vectorised tanh, recomputed per product),
otherwise the states, plus ``V`` for the remainder / linearised nonlinearities (``f = tanh(v)``
by numpy, as the streamed path takes it) and ``F`` for the full nonlinearity at a leak rate
below 1. The remainder snapshots ``f - v`` / ``f - D v - e`` overwrite ``V`` when the DEIM basis
is first asked for (the state basis comes first); where ``V`` was all that was held, the state
methods raise afterwards.

:class:`HeldSnapshots` speaks the basis methods of :class:`rcpod.reduction.Snapshots` and
:class:`rcpod.reduction.snapshot_grams.SnapshotGrams`, so the reductor does not ask which one it
holds; the bases are the same operators' leading eigenvectors, up to rounding.

References
----------
.. [1] N. Halko, P.-G. Martinsson, J. A. Tropp, "Finding structure with randomness: probabilistic
   algorithms for constructing approximate matrix decompositions", SIAM Review 53(2), 2011.
.. [2] L. Sirovich, "Turbulence and the dynamics of coherent structures, part I", Quart. Appl.
   Math. 45(3), 1987.
"""
from __future__ import annotations

import numpy as np

from rcpod.reservoir import vector_tanh
from rcpod.reservoir.anonymous_arrays import anonymous_empty, large_empty, large_zeros
from rcpod.reservoir.panel_gram import gram_add_upper, one_blas_thread, symmetrize_upper
from rcpod.reservoir.validation import check_int

from .basis import output_weighted_dense, output_weighted_from_products
from .full_model import full_form
from .pod import pod_from_products
from ._chunked_run import (RunMeans, RunningMoments, check_series_list, chunk_steps,
                          line_from_moments, own_preactivations, run_chunks, series_stop,
                          tanh_is_state)
from .snapshot_grams import _gram_method

__all__ = ["HeldSnapshots", "hold_snapshots", "held_names", "holds_by_default",
           "kept_snapshots"]


def _check_nonlinearity(nonlinearity):
    if nonlinearity not in ("full", "remainder", "linearized", None):
        raise ValueError(f"nonlinearity must be one of ('full', 'remainder', 'linearized', None),"
                         f" got {nonlinearity!r}.")


def held_names(esn, nonlinearity):
    """Which blocks :func:`hold_snapshots` keeps for ``nonlinearity`` (see the module
    docstring).

    Parameters
    ----------
    esn : rcpod.reservoir.ESN, initialized
    nonlinearity : {"full", "remainder", "linearized"} or None

    Returns
    -------
    tuple of str
        Of ``"x"`` (states), ``"f"`` (``tanh(v)``), ``"v"`` (preactivations).

    Examples
    --------
    >>> from rcpod.reservoir import ESN
    >>> held_names(ESN(n_units=20, random_state=0).initialize(1), "linearized")
    ('v',)
    >>> held_names(ESN(n_units=20, leak_rate=0.5, random_state=0).initialize(1), "full")
    ('x', 'f')
    """
    _check_nonlinearity(nonlinearity)
    f_is_x = tanh_is_state(esn)
    need_v = nonlinearity in ("remainder", "linearized")
    if need_v and f_is_x and own_preactivations(esn):
        return ("v",)
    return ("x",) + (("f",) if nonlinearity == "full" and not f_is_x else ()) + (
        ("v",) if need_v else ())


def holds_by_default(esn, n_kept, nonlinearity, chunk_size=10000):
    """Whether ``snapshots="auto"`` holds the run rather than streaming its Gram matrices: when
    the held blocks take no more memory than the streamed path's Grams and its two extra chunk
    blocks (``T <~ N``; the products with them are then the faster way too, see the module
    docstring).

    Parameters
    ----------
    esn : rcpod.reservoir.ESN, initialized
    n_kept : int
        Snapshots over all series (the steps after the washout, before any held-back tail).
    nonlinearity : {"full", "remainder", "linearized"} or None
    chunk_size : int, default=10000

    Returns
    -------
    bool

    Examples
    --------
    >>> from rcpod.reservoir import ESN
    >>> esn = ESN(n_units=2000, density=0.01, random_state=0).initialize(1)
    >>> holds_by_default(esn, 2000, "full"), holds_by_default(esn, 20000, "full")
    (True, False)
    """
    n_units = full_form(esn).n_states
    n_kept = check_int("n_kept", n_kept, low=0)
    _check_nonlinearity(nonlinearity)
    f_is_x = tanh_is_state(esn)
    # the streamed path holds one N x N Gram at a time, two for a nonlinearity of its own
    grams = 2 if nonlinearity == "remainder" or (nonlinearity == "full" and not f_is_x) else 1
    block = 8 * n_units * chunk_steps(n_units, chunk_size)
    held = 8 * n_units * n_kept * len(held_names(esn, nonlinearity))
    return held <= grams * 8 * n_units ** 2 + 2 * block


def _kept_copy(block):
    """A copy of ``block`` to keep (see :mod:`rcpod.reservoir.anonymous_arrays`)."""
    out = anonymous_empty(block.shape)
    np.copyto(out, block)
    return out


def _gram_product(blocks, Q):
    """``X X^T Q = sum_c B_c^T (B_c Q)`` over the (steps, N) blocks ``B_c``, computed as
    ``(Q^T B_c^T) B_c`` in the (l, N) layout: both products then run at the BLAS's full rate
    (140 GFlop/s here against 83 for ``B_c^T (B_c Q)``, 2-core Intel Xeon, N = 20,000)."""
    QT = np.ascontiguousarray(Q.T)
    acc, tmp = np.zeros_like(QT), np.empty_like(QT)
    for B in blocks:
        np.matmul(QT @ B.T, B, out=tmp)
        acc += tmp
    return acc.T


def _snapshot_factor(blocks, n_snapshots):
    """``(matvec, rmatvec, n_snapshots)``: the products ``X P`` and ``X^T Q`` of the snapshot
    matrix ``X = [B_1; B_2; ...]^T`` whose (steps, N) blocks ``blocks()`` yields in order, in
    the (l, N) layout of :func:`_gram_product` (for
    :func:`rcpod.reduction.leading_modes.subspace_svd`)."""
    def rmatvec(Q):   # X^T Q = [B_1 Q; B_2 Q; ...], (T, l)
        QT = np.ascontiguousarray(Q.T)
        return np.concatenate([QT @ B.T for B in blocks()], axis=1).T

    def matvec(P):    # X P = sum_c B_c^T P_c, (N, l)
        PT = np.ascontiguousarray(P.T)
        acc, tmp, t = None, None, 0
        for B in blocks():
            part, t = PT[:, t:t + len(B)], t + len(B)
            if acc is None:
                acc = part @ B
                tmp = np.empty_like(acc)
            else:
                np.matmul(part, B, out=tmp)
                acc += tmp
        return acc.T

    return matvec, rmatvec, n_snapshots


def _dense_gram(blocks, n_units):
    """``X X^T`` from the blocks (the dense eigendecomposition of small problems), in the
    fixed panels of :mod:`rcpod.reservoir.panel_gram` (no multithreaded ``dsyrk``)."""
    G = large_zeros((n_units, n_units))
    with one_blas_thread() as workers:
        for B in blocks:
            gram_add_upper(G, B, workers)
    symmetrize_upper(G)
    return G




class HeldSnapshots(RunMeans):
    """One run of the full ESN held in blocks; the bases by products with them.

    Made by :func:`hold_snapshots`; speaks the basis methods of
    :class:`rcpod.reduction.snapshot_grams.SnapshotGrams` (``n_snapshots``, ``mean_state``,
    ``mean_slopes``, ``state_basis``, ``output_weighted_basis``, ``interpolated_basis``).

    Parameters
    ----------
    moments : RunningMoments
        Count, means and centred diagonals of the run (``"x"``, and ``"f"`` / ``"v"`` as the
        nonlinearity needs), with the mean slopes ``"s"``.
    blocks : dict
        Name (``"x"``, ``"f"``, ``"v"``) to the list of held (steps, N) blocks.
    nonlinearity : {"full", "remainder", "linearized"} or None
    lengths : list of int
        Kept steps per series.
    f_is_x : bool
        Whether ``tanh(v)`` is the state (leak rate 1, float64).

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.reservoir import ESN
    >>> from rcpod.reduction import collect_snapshots, pod
    >>> esn = ESN(n_units=40, random_state=0).initialize(1)
    >>> u = np.random.default_rng(0).uniform(-1, 1, (300, 1))
    >>> held = hold_snapshots(esn, [u], washout=10, nonlinearity="full", chunk_size=64)
    >>> Psi, s, _ = held.state_basis(rank=5, energy=None, center=False, method="randomized")
    >>> Phi, t = pod(collect_snapshots(esn, u, washout=10).states, rank=5, method="exact")
    >>> held.n_snapshots, bool(np.allclose(np.abs(Psi.T @ Phi), np.eye(5), atol=1e-8))
    (290, True)
    """

    def __init__(self, moments, blocks, nonlinearity, lengths, f_is_x):
        self._x = moments
        self._blocks = blocks
        self._f_is_x = bool(f_is_x)
        self._remainder = None     # (total,) once "v" has been overwritten by the remainder
        self._xodes = None         # (modes, singular values, method): the shared F = X modes
        self._buffer = None
        with one_blas_thread() as workers:   # asked once, not per block
            self._workers = workers
        self.nonlinearity = nonlinearity
        self.lengths = list(lengths)
        self.n_units = next(iter(blocks.values()))[0].shape[1]

    def linearization(self):
        """Per-unit ``tanh(v_i) ~ D_i v_i + e_i`` (``"linearized"`` only): ``(slopes,
        offsets)``."""
        return line_from_moments(self._x)

    # -- the blocks ------------------------------------------------------------------------
    def _tanh(self, v, out):
        """The compiled run's own ``tanh`` of a block, its rows on as many threads as BLAS had
        when these snapshots were made (elementwise: the count changes only the time)."""
        return vector_tanh.tanh_threads(v, out, self._workers)

    def _scratch(self, block):
        """A buffer of ``block``'s shape, reused by every block (fresh 100 MB blocks cost more
        in page faults than the arithmetic on them)."""
        if self._buffer is None or self._buffer.shape[0] < block.shape[0]:
            rows = max(len(b) for b in next(iter(self._blocks.values())))
            self._buffer = large_empty((rows, self.n_units))
        return self._buffer[:block.shape[0]]

    def _states(self, center):
        """The state blocks, centred if ``center`` (in the reused buffer)."""
        if "x" not in self._blocks and self._remainder is not None:
            raise RuntimeError("the states of these held snapshots were overwritten by the "
                               "remainder snapshots (the DEIM basis comes after the state "
                               "basis).")
        mu = self._x.mean["x"] if center else None
        if "x" in self._blocks:
            for x in self._blocks["x"]:
                yield x if mu is None else np.subtract(x, mu, out=self._scratch(x))
            return
        for v in self._blocks["v"]:   # x = tanh(v) by the compiled run's own tanh
            x = self._tanh(v, self._scratch(v))
            yield x if mu is None else np.subtract(x, mu, out=x)

    def _nonlinear(self, i):
        """``f = tanh(v)`` of block ``i`` as the streamed path takes it."""
        if self._f_is_x:
            return (self._blocks["x"][i] if "x" in self._blocks
                    else self._tanh(self._blocks["v"][i],
                                    self._scratch(self._blocks["v"][i])))
        if "f" in self._blocks:
            return self._blocks["f"][i]
        v = self._blocks["v"][i]
        return np.tanh(v, out=self._scratch(v))

    def _interpolated(self):
        """The blocks of the interpolated snapshots: ``F`` (full), else the remainder that
        overwrites ``V`` on the first call (``f - v``, or ``f - D v - e``, centred)."""
        if self.nonlinearity == "full":   # F held (leak rate < 1) or the states themselves
            return self._blocks["f"] if "f" in self._blocks else self._blocks["x"]
        if self._remainder is None:
            line = self.linearization() if self.nonlinearity == "linearized" else None
            total = 0.0
            for i, v in enumerate(self._blocks["v"]):
                f = self._nonlinear(i)
                if line is None:
                    np.subtract(f, v, out=v)
                else:   # r = f - D v - e, written over v row block by row block
                    np.multiply(v, line[0], out=v)
                    np.subtract(f, v, out=v)
                    v -= line[1]
                total += float(np.vdot(v, v))
            self._remainder = (total,)
        return self._blocks["v"]

    # -- the operators ---------------------------------------------------------------------
    def _state_operator(self, center):
        """``(apply, trace, dense)`` of the (centred if ``center``) state Gram ``X X^T``."""
        mu, n = self._x.mean["x"], self._x.n
        total = float(np.sum(self._x.diag[("x", "x")])) + (0.0 if center
                                                           else n * float(mu @ mu))
        return (lambda Q: _gram_product(self._states(center), Q), total,
                lambda: _dense_gram(self._states(center), self.n_units))

    def _state_factor(self, center):
        """The products with the (centred if ``center``) state snapshots themselves."""
        return _snapshot_factor(lambda: self._states(center), self.n_snapshots)

    def _shares_modes(self, center, energy, rank):
        return (self.nonlinearity == "full" and self._f_is_x and not center and energy is None
                and rank is not None)

    def _shared_modes(self, k, method):
        """Leading ``k`` modes of the uncentred states, kept for the DEIM basis of ``F = X``."""
        memo = self._xodes
        if memo is None or memo[0].shape[1] < k or memo[2] != method:
            apply, total, dense = self._state_operator(False)
            memo = self._xodes = pod_from_products(
                apply, self.n_units, total, dense, rank=k, method=_gram_method(method),
                factor=self._state_factor(False)) + (method,)
        return memo[0][:, :k], memo[1]

    def state_basis(self, rank, energy, center, method="auto"):
        """POD modes of the state snapshots: ``(modes, singular values, total energy)``."""
        apply, total, dense = self._state_operator(center)
        if self._shares_modes(center, energy, rank):
            U, s = self._shared_modes(min(self.n_units, 2 * rank), method)
            return np.ascontiguousarray(U[:, :rank]), s, total
        Psi, s = pod_from_products(apply, self.n_units, total, dense, rank=rank, energy=energy,
                                   method=_gram_method(method),
                                   factor=self._state_factor(center))
        return Psi, s, total

    def output_weighted_basis(self, rank, energy, weight, center, *, factor=None, gramian=None,
                              method="auto"):
        """Output-weighted modes from a factor ``Q ~ Z Z^T`` or a dense Gramian ``Q``:
        ``(modes, eigenvalues of M, energy share of the state snapshots they capture)``."""
        apply, total, dense = self._state_operator(center)
        if gramian is None:
            Psi, lam = output_weighted_from_products(apply, total, dense, self.n_units,
                                                     self.n_snapshots, factor, rank, energy,
                                                     weight, _gram_method(method))
        else:
            Psi, lam = output_weighted_dense(dense(), self.n_snapshots, gramian, rank, energy,
                                             weight)
        captured = float(np.sum(Psi * apply(Psi)) / total) if total > 0 else 1.0
        return Psi, lam, captured

    def interpolated_basis(self, cls, rank, method="auto"):
        """DEIM basis of the snapshots ``cls`` interpolates: ``(basis, singular values, total
        energy, from_esn extras, snapshots=None)``."""
        if cls.variant[1] != self.nonlinearity:
            raise ValueError(f"these snapshots were held for nonlinearity="
                             f"{self.nonlinearity!r}, not {cls.variant[1]!r}.")
        if self._shares_modes(False, None, rank):   # F = X
            U, s = self._shared_modes(rank, method)
            apply, total, _ = self._state_operator(False)
            return np.ascontiguousarray(U), s, total, {}, None
        blocks = self._interpolated()
        if self.nonlinearity == "full":
            mu = self._x.mean["f"]
            total = float(np.sum(self._x.diag[("f", "f")])) + self._x.n * float(mu @ mu)
        else:
            total = self._remainder[0]
        U, s = pod_from_products(lambda Q: _gram_product(blocks, Q), self.n_units, total,
                                 lambda: _dense_gram(blocks, self.n_units), rank=rank,
                                 method=_gram_method(method),
                                 factor=_snapshot_factor(lambda: blocks, self.n_snapshots))
        extra = {}
        if self.nonlinearity == "linearized":
            D, e = self.linearization()
            extra = dict(slopes=D, offsets=e)
        return U, s, total, extra, None


def hold_snapshots(esn, inputs, washout=0, stops=None, *, nonlinearity="full", chunk_size=10000):
    """Run the full ESN over ``inputs`` chunk by chunk and hold its snapshot blocks.

    Parameters
    ----------
    esn : rcpod.reservoir.ESN, initialized
    inputs : list of arrays (T_i, n_inputs)
        The series, each from the zero state.
    washout : int, default=0
        Steps discarded at the start of every series.
    stops : list of int, optional
        Per series, the step at which to stop (exclusive; a held-back tail is left out).
    nonlinearity : {"full", "remainder", "linearized"} or None, default="full"
        Which interpolated snapshots the blocks must give (None: the states only).
    chunk_size : int, default=10000
        Most steps per block (as :func:`rcpod.reduction.snapshot_grams.stream_snapshot_grams`).

    Returns
    -------
    HeldSnapshots

    Raises
    ------
    ValueError
        Every series is shorter than the washout; a bad ``nonlinearity``.

    Examples
    --------
    Two series, the second held back after step 150; at leak rate 1 only the preactivations
    are kept:

    >>> import numpy as np
    >>> from rcpod.reservoir import ESN
    >>> esn = ESN(n_units=40, random_state=0).initialize(1)
    >>> a, b = np.random.default_rng(0).uniform(-1, 1, (2, 200, 1))
    >>> held = hold_snapshots(esn, [a, b], washout=10, stops=[None, 150],
    ...                       nonlinearity="linearized", chunk_size=64)
    >>> held.n_snapshots, held.lengths, held_names(esn, "linearized")
    (330, [190, 140], ('v',))
    """
    washout = check_int("washout", washout, low=0)
    chunk_size = check_int("chunk_size", chunk_size, low=1)
    _check_nonlinearity(nonlinearity)
    check_series_list(inputs)
    names = held_names(esn, nonlinearity)
    f_is_x = tanh_is_state(esn)
    linearized = nonlinearity == "linearized"
    diagonals = (("x", "x"),) + ((("f", "f"),) if "f" in names else ()) + (
        (("f", "v"), ("v", "v")) if linearized else ())
    moments = RunningMoments((), diagonals)
    in_moments = {name for pair in diagonals for name in pair}
    blocks = {name: [] for name in names}
    lengths = []
    need_v = nonlinearity in ("remainder", "linearized")
    for x, f, v in run_chunks(esn, inputs, washout, stops, chunk_size, need_v, lengths,
                           keep_v="v" in names):
        present = {"x": x, "f": f, "v": v}
        moments.add({k: present[k] for k in in_moments},
                    sums={"s": len(f) - np.einsum("ij,ij->j", f, f)})
        for name in names:   # x and f live in buffers the next chunk overwrites; v is fresh
            blocks[name].append(v if name == "v" else _kept_copy(present[name]))
    if moments.n == 0:
        raise ValueError("no snapshots: every series is shorter than the washout.")
    moments.diag   # finished: the shifted buffers are freed
    return HeldSnapshots(moments, blocks, nonlinearity, lengths, f_is_x)


def kept_snapshots(inputs, washout, stops=None):
    """Snapshots a run of ``inputs`` gives: the steps after the washout, before ``stops``.

    Parameters
    ----------
    inputs : list of arrays (T_i, n_inputs)
    washout : int
    stops : list of int or None, optional
        Per series, the step at which it stops (exclusive); None: its length.

    Returns
    -------
    int

    Examples
    --------
    >>> import numpy as np
    >>> kept_snapshots([np.zeros((50, 1)), np.zeros((10, 1))], 20, [40, None])
    20
    """
    return sum(max(0, series_stop(u, stops, i) - washout) for i, u in enumerate(inputs))
