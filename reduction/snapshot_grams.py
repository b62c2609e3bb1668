"""Streamed snapshots: the Gram matrices behind POD and DEIM, without the N x T snapshot matrices.

Every basis the reductor builds is the leading eigenvectors of a Gram matrix of snapshots -- the
POD modes of ``X`` those of ``X X^T``, the DEIM basis those of ``G G^T`` for the interpolated
snapshots ``G`` -- and a Gram matrix is a sum over time steps, hence over chunks and over series.
:func:`stream_snapshot_grams` runs the full ESN chunk by chunk (the state carried across chunks,
as :meth:`rcpod.reservoir.ReservoirRegressor.fit` does) and adds each chunk's cross-products of
the data shifted by the first chunk's mean (the shifted-data algorithm of Chan, Golub & LeVeque
1983), centred once at the end; memory is ``O(N^2)`` plus one chunk, whatever the number of
steps. :class:`SnapshotGrams` then gives the same bases
as :class:`rcpod.reduction.Snapshots` (the matrix path) through the same methods, so the
reductor does not ask which one it holds. (When the run is no longer than the reservoir is wide,
:mod:`rcpod.reduction.held_snapshots` keeps the run itself instead: no Gram, less work.)

Being sums over series, the Grams also scale out: :meth:`SnapshotGrams.merge` adds another
group's Grams by the pairwise update of Chan, Golub & LeVeque [1]_ (for groups ``a``, ``b`` with
``d = mean_b - mean_a``: ``S = S_a + S_b + (n_a n_b / n) d d^T``), and
``stream_snapshot_grams(..., n_jobs=...)`` streams every series on a joblib worker (a Dask cluster
inside ``joblib.parallel_config(backend="dask")``) and merges their Grams in series order.

The interpolated snapshots of each nonlinearity come out of the moments:

* ``"full"``: ``G = F = tanh(V)``, its Gram ``F F^T``;
* ``"remainder"``: ``G = F - V`` (accumulated as such);
* ``"linearized"``: ``G = F - D V - e 1^T`` with the per-unit least-squares line
  ``D = cov(v, f) / var(v)``, ``e = mean(f) - D mean(v)``. ``D`` needs the whole run, so this
  takes two passes: the first streams the state Gram and only the per-unit sums behind ``D``
  (``O(N)`` each); the second, run when the DEIM basis is asked for, streams the ESN again and
  adds the centred Gram of ``r = f - D v``, which is ``G G^T`` (``G`` has zero mean by
  construction). When the preactivations of the first pass take at most :data:`HOLD_BYTES`
  they are kept for the second, which then does not run the ESN again (``tanh`` of them is the
  run's own, bit for bit). This replaces the ``N x N`` cross-products
  ``S_FF - S_FV D - D S_VF + D S_VV D`` (three Gram-equivalents beyond the states', 13 of
  36 s at N = 5,000, and two more ``N x N`` arrays).

References
----------
.. [1] T. F. Chan, G. H. Golub, R. J. LeVeque, "Algorithms for computing the sample variance:
   analysis and recommendations", The American Statistician 37(3), 1983.
.. [2] L. Sirovich, "Turbulence and the dynamics of coherent structures, part I", Quart. Appl.
   Math. 45(3), 1987 (POD from the snapshots' correlation matrix).
.. [3] S. Chaturantabut, D. C. Sorensen, "Nonlinear model reduction via discrete empirical
   interpolation", SIAM J. Sci. Comput. 32(5), 2010.
"""
from __future__ import annotations

import numpy as np
from joblib import Parallel, delayed
from numba import njit, prange

from rcpod.reservoir.anonymous_arrays import large_empty
from rcpod.reservoir.panel_gram import outer_add
from rcpod.reservoir.validation import check_int
from rcpod.reservoir.vector_tanh import scalar_tanh

from .basis import output_weighted_dense, output_weighted_pod_from_gram
from ._chunked_run import (CHUNK_BYTES, MIN_CHUNK_STEPS, RunMeans, RunningMoments, _parts,
                          check_series_list, line_from_moments, own_preactivations, run_chunks,
                          series_stop, tanh_is_state)
from .full_model import full_form
from .pod import pod_from_gram

__all__ = ["SnapshotGrams", "stream_snapshot_grams", "streams_by_default", "check_windows",
           "CHUNK_BYTES", "MIN_CHUNK_STEPS", "STREAM_BYTES", "HOLD_BYTES", "CHECK_VALUES"]

#: ``snapshots="auto"`` streams when the snapshot matrices and full states (four N x T float64
#: arrays) would exceed this: 1 GB.
STREAM_BYTES = 2 ** 30
#: The first pass of ``"linearized"`` keeps its preactivations for the second when they take at
#: most this: 1 GB (20,000 snapshots at N = 6,700).
HOLD_BYTES = 2 ** 30
#: The checks of a streamed reduction see at most this many state values (steps times N):
#: 1e7, i.e. 80 MB of full-ESN states (10,000 steps at N = 1,000).
CHECK_VALUES = 10 ** 7

#: which centred cross-products each interpolated nonlinearity needs in the first pass, as
#: (left, right) names; "linearized" needs only two diagonals (its Gram is the second pass)
_PAIRS = {"full": (("f", "f"),), "remainder": (("r", "r"),), "linearized": (), None: ()}
_DIAGONALS = {"linearized": (("f", "v"), ("v", "v"))}


class SnapshotGrams(RunMeans):
    """The Gram matrices and means of streamed state and nonlinear snapshots.

    Made by :func:`stream_snapshot_grams`; speaks the basis methods of
    :class:`rcpod.reduction.Snapshots` (``n_snapshots``, ``mean_state``, ``mean_slopes``,
    ``state_basis``, ``output_weighted_basis``, ``interpolated_basis``) from ``O(N^2)`` memory.

    Parameters
    ----------
    states : RunningMoments
        Of the state snapshots ``x`` (name ``"x"``) and the slopes ``1 - tanh(v)^2`` (``"s"``).
    nonlinear : RunningMoments or None
        Of the blocks the interpolated nonlinearity needs (see the module docstring); None for
        ``"full"`` when the nonlinear snapshots are the state snapshots themselves (leak rate
        1: ``x[k] = tanh(v[k])``), whose Gram is then not accumulated twice.
    nonlinearity : {"full", "remainder", "linearized"}
    lengths : list of int
        Kept steps per series.
    second_pass : list of callables, optional
        ``"linearized"`` only: each streams its series again and returns the moments of the
        remainder ``r = f - D v`` for given slopes ``D`` (merged in order).

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.reservoir import ESN
    >>> from rcpod.reduction import collect_snapshots
    >>> from rcpod.reduction.snapshot_grams import stream_snapshot_grams
    >>> esn = ESN(n_units=20, random_state=0).initialize(1)
    >>> u = np.random.default_rng(0).uniform(-1, 1, (300, 1))
    >>> grams = stream_snapshot_grams(esn, [u], washout=10, nonlinearity="full", chunk_size=64)
    >>> X = collect_snapshots(esn, u, washout=10).states
    >>> grams.n_snapshots, bool(np.allclose(grams.state_gram(center=False), X @ X.T))
    (290, True)
    """

    def __init__(self, states, nonlinear, nonlinearity, lengths, second_pass=()):
        self._x = states
        self._g = nonlinear
        self._state_centered = True   # the moments' cross-products are centred
        self._modes = None            # (modes, singular values, method) of _shared_modes
        self._second = list(second_pass)
        self._remainder = None        # moments of the second pass, once streamed
        self.nonlinearity = nonlinearity
        self.lengths = list(lengths)

    def state_gram(self, center):
        """``X X^T`` of the (centred if ``center``) state snapshots (a copy)."""
        return self._state_gram(center).copy()

    def release_state_gram(self):
        """Free the state Gram (``N x N``: 3.2 GB at N = 20,000) once the state basis is built,
        before the second pass of ``"linearized"`` streams another; the means, slopes and the
        bases already computed stay. Methods needing the state Gram raise afterwards."""
        self._x.cross[("x", "x")] = None

    def _state_gram(self, center):
        """The one stored state Gram, turned between its centred and uncentred forms in place
        (by ``+- n mu mu^T``; no second N x N array, 3.2 GB at N = 20,000): read-only, and
        valid until the next call with the other ``center``."""
        S = self._x.cross[("x", "x")]
        if S is None:
            raise RuntimeError("the state Gram of these snapshots was released "
                               "(release_state_gram).")
        if bool(center) != self._state_centered:
            mu = self._x.mean["x"]
            outer_add(S, -self._x.n if center else self._x.n, mu, mu)
            self._state_centered = bool(center)
        return S

    def state_basis(self, rank, energy, center, method="auto"):
        """POD modes of the state snapshots: ``(modes, singular values, total energy)``.

        ``method`` as in :func:`rcpod.reduction.pod_from_gram` (``"exact"`` is its dense
        eigendecomposition, ``"gram"``).
        """
        G = self._state_gram(center)
        if self._g is None and not center and energy is None and rank is not None:
            # F = X: the DEIM basis comes from this matrix too, with 2 r modes by default; one
            # decomposition of 2 r modes serves both
            U, s = self._shared_modes(G, min(G.shape[0], 2 * rank), method)
            return np.ascontiguousarray(U[:, :rank]), s, float(np.trace(G))
        Psi, s = pod_from_gram(G, rank=rank, energy=energy, method=_gram_method(method))
        return Psi, s, float(np.trace(G))

    def _shared_modes(self, G, k, method):
        """Leading ``k`` modes of the uncentred state Gram, kept for the next request (the
        state basis and the DEIM basis of ``F = X``)."""
        memo = self._modes
        if memo is None or memo[0].shape[1] < k or memo[2] != method:
            memo = self._modes = pod_from_gram(G, rank=k, method=_gram_method(method)) + (method,)
        return memo[0][:, :k], memo[1]

    def output_weighted_basis(self, rank, energy, weight, center, *, factor=None, gramian=None,
                              method="auto"):
        """Output-weighted modes from a factor ``Q ~ Z Z^T``
        (:func:`rcpod.reduction.output_weighted_pod_from_gram`) or a dense Gramian ``Q``:
        ``(modes, eigenvalues of M, energy share of the state snapshots they capture)``."""
        G = self._state_gram(center)
        if gramian is None:
            Psi, lam = output_weighted_pod_from_gram(G, self.n_snapshots, factor, rank=rank,
                                                     energy=energy, weight=weight,
                                                     method=_gram_method(method))
        else:
            Psi, lam = output_weighted_dense(G, self.n_snapshots, gramian, rank, energy, weight)
        total = float(np.trace(G))
        captured = float(np.sum(Psi * (G @ Psi)) / total) if total > 0 else 1.0
        return Psi, lam, captured

    def merge(self, other):
        """Add the Grams of other series (streamed for the same nonlinearity), in place.

        The pairwise update of the module docstring, applied to every centred cross-product;
        the series of ``other`` follow those of ``self`` in :attr:`lengths`. This is the reduce
        step of ``stream_snapshot_grams(..., n_jobs=...)``. Both objects' moments are finished
        by it (it is meant for Grams that are complete).

        Parameters
        ----------
        other : SnapshotGrams
            Grams of other series, streamed with the same ``nonlinearity``.

        Returns
        -------
        self

        Examples
        --------
        >>> import numpy as np
        >>> from rcpod.reservoir import ESN
        >>> from rcpod.reduction.snapshot_grams import stream_snapshot_grams
        >>> esn = ESN(n_units=20, random_state=0).initialize(1)
        >>> a, b = np.random.default_rng(0).uniform(-1, 1, (2, 200, 1))
        >>> both = stream_snapshot_grams(esn, [a, b], washout=10, nonlinearity="full")
        >>> merged = stream_snapshot_grams(esn, [a], washout=10, nonlinearity="full").merge(
        ...     stream_snapshot_grams(esn, [b], washout=10, nonlinearity="full"))
        >>> merged.lengths, bool(np.allclose(merged.interpolated_gram()[0],
        ...                                  both.interpolated_gram()[0], rtol=1e-12))
        ([190, 190], True)
        """
        if not isinstance(other, SnapshotGrams):
            raise TypeError(f"other must be a SnapshotGrams, got {type(other).__name__}.")
        if other.nonlinearity != self.nonlinearity:
            raise ValueError(f"cannot merge Grams streamed for nonlinearity="
                             f"{other.nonlinearity!r} into ones for {self.nonlinearity!r}.")
        if (self._g is None) != (other._g is None):
            raise ValueError("cannot merge Grams whose nonlinear snapshots are the states into "
                             "ones with their own (streamed from ESNs with other leak rates).")
        for grams in (self, other):
            grams._modes, grams._remainder = None, None   # the slopes D change with the data
            if grams.n_snapshots:
                grams._state_gram(center=True)   # the moments merge in the centred form
        self._x.merge(other._x)
        if self._g is not None:
            self._g.merge(other._g)
        self.lengths += other.lengths
        self._second += other._second
        return self

    def linearization(self):
        """Per-unit ``tanh(v_i) ~ D_i v_i + e_i`` as in :meth:`rcpod.reduction.Snapshots.linearization`
        (``"linearized"`` only): ``(slopes, offsets)``."""
        return line_from_moments(self._g)

    def _remainder_gram(self, slopes):
        """``G G^T`` of the linearised remainder: the second pass, streamed once."""
        if self._remainder is None:
            if not self._second:
                raise RuntimeError("these linearized Grams have no second pass to stream "
                                   "the remainder from.")
            moments = None
            for source in self._second:
                part = source(slopes)
                moments = part if moments is None else moments.merge(part)
            self._remainder = moments
        return self._remainder.cross[("r", "r")]

    def interpolated_gram(self):
        """``G G^T`` of the interpolated snapshots and the ``from_esn`` extras they come with."""
        G, extra = self._interpolated_gram()
        return G.copy(), extra

    def _interpolated_gram(self):
        """:meth:`interpolated_gram`, the stored state Gram itself when ``F = X``."""
        if self._g is None:   # F = X
            return self._state_gram(center=False), {}
        c, mu = self._g.cross, self._g.mean
        if self.nonlinearity == "linearized":
            D, e = self.linearization()
            return self._remainder_gram(D), dict(slopes=D, offsets=e)
        name = "f" if self.nonlinearity == "full" else "r"
        G = c[(name, name)].copy()
        outer_add(G, self._g.n, mu[name], mu[name])
        return G, {}

    def interpolated_basis(self, cls, rank, method="auto"):
        """DEIM basis of the snapshots ``cls`` interpolates (``cls.variant``'s nonlinearity):
        ``(basis, singular values, total energy, from_esn extras, snapshots=None)``."""
        if cls.variant[1] != self.nonlinearity:
            raise ValueError(f"these grams were streamed for nonlinearity="
                             f"{self.nonlinearity!r}, not {cls.variant[1]!r}.")
        G, extra = self._interpolated_gram()
        if self._g is None:   # F = X
            U, s = self._shared_modes(G, rank, method)
            U = np.ascontiguousarray(U)
        else:
            U, s = pod_from_gram(G, rank=rank, method=_gram_method(method))
        return U, s, float(np.trace(G)), extra, None


def _gram_method(method):
    """A :func:`pod` method name for :func:`pod_from_gram` (``"exact"`` -> dense ``"gram"``)."""
    return "gram" if method == "exact" else method


def stream_snapshot_grams(esn, inputs, washout=0, stops=None, *, nonlinearity="full",
                          chunk_size=10000, n_jobs=None):
    """Run the full ESN over ``inputs`` chunk by chunk and accumulate its snapshot Grams.

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
        Which interpolated snapshots to accumulate (see the module docstring); None for none
        (the Galerkin POD needs only the states).
    chunk_size : int, default=10000
        Most steps per chunk (fewer if a chunk's states would exceed :data:`CHUNK_BYTES`, but
        not below :data:`MIN_CHUNK_STEPS`).
    n_jobs : int or None, default=None
        ``None`` streams the series one after another here. An int streams each series in
        its own task of ``joblib.Parallel(n_jobs)`` (so on the active joblib backend: a Dask
        cluster inside ``joblib.parallel_config(backend="dask")`` with a ``distributed.Client``)
        and merges the per-series Grams here in series order (:meth:`SnapshotGrams.merge`):
        the same Grams up to rounding (each series is centred at its own shift).

    Returns
    -------
    SnapshotGrams

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.reservoir import ESN
    >>> from rcpod.reduction import collect_snapshots
    >>> esn = ESN(n_units=20, random_state=0).initialize(1)
    >>> u = np.random.default_rng(0).uniform(-1, 1, (300, 1))
    >>> g = stream_snapshot_grams(esn, [u], washout=10, nonlinearity="remainder", chunk_size=50)
    >>> R = collect_snapshots(esn, u, washout=10).remainder
    >>> bool(np.allclose(g.interpolated_gram()[0], R @ R.T))
    True
    """
    washout = check_int("washout", washout, low=0)
    check_series_list(inputs)
    if nonlinearity not in _PAIRS:
        raise ValueError(f"nonlinearity must be one of {tuple(_PAIRS)}, got {nonlinearity!r}.")
    chunk_size = check_int("chunk_size", chunk_size, low=1)
    n_jobs = check_int("n_jobs", n_jobs, low=None, allow_none=True)
    held = None
    if nonlinearity == "linearized" and n_jobs is None:
        kept = sum(max(0, series_stop(u, stops, i) - washout) for i, u in enumerate(inputs))
        # held blocks give the re-run's numbers where tanh of them is what the first pass took
        # as f: numpy's tanh (leak rate < 1), or the run's own preactivations (f = x)
        same_f = not tanh_is_state(esn) or own_preactivations(esn)
        held = [] if same_f and 8 * full_form(esn).n_states * kept <= HOLD_BYTES else None
    if n_jobs is None:
        grams = _stream(esn, inputs, washout, stops, nonlinearity, chunk_size, held)
    else:   # map: one series per task; reduce: merge in series order (tasks come back in order)
        full_form(esn)   # the ESN is checked here, before anything is sent
        tasks = (delayed(_stream)(esn, [u], washout, None if stops is None else [stops[i]],
                                  nonlinearity, chunk_size) for i, u in enumerate(inputs))
        grams = None
        for part in Parallel(n_jobs=n_jobs, return_as="generator")(tasks):
            grams = part if grams is None else grams.merge(part)
    if grams is None or grams.n_snapshots == 0:
        raise ValueError("no snapshots: every series is shorter than the washout.")
    if nonlinearity == "linearized":
        rerun = _SecondPass(esn, inputs, washout, stops, chunk_size, n_jobs)
        grams._second = [rerun if held is None else _HeldPass(held, esn, rerun)]
    return grams


def _remainder(f, v, slopes, buffers):
    """``f - slopes * v`` (``f - v`` for ``slopes=None``) in a buffer reused by every chunk."""
    buf = buffers.get("r")
    if buf is None or buf.shape[0] < f.shape[0]:
        buf = buffers["r"] = large_empty(f.shape)
    r = buf[:f.shape[0]]
    if slopes is None:
        return np.subtract(f, v, out=r)
    np.multiply(v, slopes, out=r)
    return np.subtract(f, r, out=r)


@njit(cache=True, nogil=True, parallel=True, error_model="numpy")
def _run_tanh_remainder(v, slopes, parts):
    """``v <- tanh(v) - v * slopes`` in place, ``tanh`` the compiled run's own
    (:func:`rcpod.reservoir.vector_tanh.scalar_tanh`): the numbers of ``vector_tanh.tanh``
    followed by :func:`_remainder`, in one pass, the columns in ``parts`` blocks."""
    n, m = v.shape
    for p in prange(parts):
        for k in range(n):
            for j in range(m * p // parts, m * (p + 1) // parts):
                v[k, j] = scalar_tanh(v[k, j]) - v[k, j] * slopes[j]


def _stream(esn, inputs, washout, stops, nonlinearity, chunk_size, held=None):
    """The first pass: the Grams of ``inputs`` streamed one series after another (none if all
    are too short); appends the kept preactivation blocks to the list ``held`` if given."""
    f_is_x = tanh_is_state(esn)   # then F F^T is X X^T, not summed twice
    same = f_is_x and nonlinearity == "full"
    need_v = nonlinearity in ("remainder", "linearized")
    states = RunningMoments((("x", "x"),))
    pairs = tuple(p for p in _PAIRS[nonlinearity] if not (f_is_x and p == ("f", "f")))
    nonlinear = None if same else RunningMoments(pairs, _DIAGONALS.get(nonlinearity, ()))
    lengths, buffers = [], {}
    for x, f, v in run_chunks(esn, inputs, washout, stops, chunk_size, need_v, lengths,
                           keep_v=held is not None):
        if held is not None:
            held.append(v)
        states.add({"x": x}, sums={"s": len(f) - np.einsum("ij,ij->j", f, f)})
        if nonlinear is not None and nonlinearity is not None:
            blocks = {"f": f, "v": v} if nonlinearity == "linearized" else (
                {"f": f} if nonlinearity == "full" else {"r": _remainder(f, v, None, buffers)})
            nonlinear.add(blocks)
    return SnapshotGrams(states, nonlinear, nonlinearity, lengths)


def _remainder_moments(esn, inputs, washout, stops, chunk_size, slopes):
    """The second pass of ``"linearized"``: moments of ``r = f - D v`` (``D = slopes``)."""
    moments, buffers = RunningMoments((("r", "r"),)), {}
    for _, f, v in run_chunks(esn, inputs, washout, stops, chunk_size, True, []):
        moments.add({"r": _remainder(f, v, slopes, buffers)})
    return moments


class _HeldPass:
    """The second pass from the first pass's preactivation blocks, without running the ESN:
    ``f = tanh(v)`` by the compiled run's own tanh at leak rate 1 (where the first pass took
    ``f = x``, made from these very ``v``: the same numbers), numpy's otherwise (as the first
    pass). The blocks are freed after the first call; a later one (new slopes after a merge)
    runs the ESN again through ``rerun``, which gives the same numbers."""

    def __init__(self, blocks, esn, rerun):
        self.blocks, self.rerun = blocks, rerun
        self.run_tanh = tanh_is_state(esn)   # then held only for the compiled sparse run

    def __call__(self, slopes):
        if self.blocks is None:
            return self.rerun(slopes)
        moments, buffers = RunningMoments((("r", "r"),)), {}
        f_buf = None
        blocks, self.blocks = self.blocks, None   # streamed once; the memory goes back
        for v in blocks:   # each block is read once: the remainder overwrites it
            if self.run_tanh:
                _run_tanh_remainder(v, slopes, _parts(v))
                moments.add({"r": v})
                continue
            if f_buf is None:
                f_buf = np.empty(max(b.shape for b in blocks))
            f = np.tanh(v, out=f_buf[:len(v)])
            moments.add({"r": _remainder(f, v, slopes, buffers)})
        return moments


class _SecondPass:
    """Streams ``inputs`` again for the remainder's moments (here, or one task per series on
    the joblib backend, merged in series order)."""

    def __init__(self, esn, inputs, washout, stops, chunk_size, n_jobs):
        self.args = (esn, inputs, washout, stops, chunk_size)
        self.n_jobs = n_jobs

    def __call__(self, slopes):
        esn, inputs, washout, stops, chunk_size = self.args
        if self.n_jobs is None:
            return _remainder_moments(esn, inputs, washout, stops, chunk_size, slopes)
        tasks = (delayed(_remainder_moments)(esn, [u], washout,
                                             None if stops is None else [stops[i]],
                                             chunk_size, slopes)
                 for i, u in enumerate(inputs))
        moments = None
        for part in Parallel(n_jobs=self.n_jobs, return_as="generator")(tasks):
            moments = part if moments is None else moments.merge(part)
        return moments


def streams_by_default(n_units, series, washout):
    """Whether ``snapshots="auto"`` streams: the snapshot matrices (states, tanh, preactivations)
    and the full states of ``series`` would take more than :data:`STREAM_BYTES`.

    Parameters
    ----------
    n_units : int
    series : list of arrays (T_i, n_inputs)
    washout : int

    Returns
    -------
    bool

    Examples
    --------
    >>> import numpy as np
    >>> streams_by_default(1000, [np.zeros((10 ** 6, 1))], 100), streams_by_default(
    ...     100, [np.zeros((1000, 1))], 10)
    (True, False)
    """
    steps = sum(len(u) for u in series)
    return 4 * 8 * n_units * steps > STREAM_BYTES


def check_windows(series, cuts, washout, n_units, max_values=CHECK_VALUES):
    """Bounded windows of the held-back steps for the checks of a streamed reduction.

    Each series' window ends with it and holds ``washout`` steps before its last ``w``
    held-back steps, ``w = min(held_i, max_values // (n_units * n_series))``; the checks run
    the full and the reduced model on the window from the zero state (dropping the washout, as
    on the whole series) and compare them on those ``w`` steps.

    Parameters
    ----------
    series : list of arrays (T_i, n_inputs)
    cuts : list of int
        First held-back step of each series (its length when nothing is held).
    washout : int
    n_units : int
    max_values : int, default=CHECK_VALUES
        Most full-state values (steps times ``n_units``) over all windows.

    Returns
    -------
    windows : list of arrays
    window_cuts : list of int
        The first compared step of each window.

    Examples
    --------
    >>> import numpy as np
    >>> w, c = check_windows([np.zeros((1000, 1))], [900], washout=50, n_units=10,
    ...                      max_values=400)
    >>> w[0].shape, c
    ((90, 1), [50])
    """
    per_series = max(1, max_values // (n_units * max(1, len(series))))
    windows, window_cuts = [], []
    for u, cut in zip(series, cuts):
        n = len(u)
        w = min(n - cut, per_series) if n > cut else min(n - washout, per_series)
        start = max(0, n - w - washout)
        windows.append(u[start:])
        window_cuts.append(n - w - start if n > cut else n - start)   # none held: in-sample
    return windows, window_cuts
