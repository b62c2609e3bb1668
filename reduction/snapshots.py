"""State and nonlinear snapshots of a full ESN driven by training inputs.

Running the trained ESN ``x[k] = (1-a) x[k-1] + a tanh(v[k])``, ``v[k] = W x[k-1] + W_in u[k] + b``
from the zero state on every training series, and keeping the steps after the washout, gives

* state snapshots ``X = [x[k]]``           (for the POD basis ``Psi``),
* nonlinear snapshots ``F = [tanh(v[k])]`` (for the DEIM basis ``U``),
* remainder snapshots ``G = [tanh(v[k]) - v[k]]`` (for the stabilised DEIM basis).

``v`` is computed from the previous states for the whole sequence in one matrix product.
All snapshot matrices have shape ``(N, n_snapshots)`` (one snapshot per column, as
:func:`rcpod.reduction.pod` expects).

References
----------
.. [1] J. P. Jordanou, E. A. Antonelo, E. Camponogara, E. Gildin, "Investigation of Proper
   Orthogonal Decomposition for Echo State Networks", Neurocomputing, 2023, arXiv:2211.17179 (state
   and nonlinear snapshots of the trained ESN for POD and POD-DEIM).
.. [2] S. Chaturantabut, D. C. Sorensen, "Nonlinear model reduction via discrete empirical
   interpolation", SIAM J. Sci. Comput. 32(5), 2010 (nonlinear snapshots for the DEIM basis).
.. [3] H. Wang, X. Long, X.-X. Liu, "fastESN: Fast Echo State Network", IEEE TNNLS 34(12), 2023
   (remainder snapshots).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rcpod.reservoir.anonymous_arrays import anonymous_empty
from rcpod.reservoir.series import as_series
from rcpod.reservoir.validation import check_int

from .basis import output_weighted_pod, output_weighted_pod_factored
from .full_model import full_form
from .pod import pod

__all__ = ["Snapshots", "collect_snapshots", "snapshots_from_states"]


@dataclass
class Snapshots:
    """Snapshot matrices of shape ``(N, n_snapshots)``.

    Attributes
    ----------
    states : ``X``, the states ``x[k]``.
    nonlinear : ``F``, ``tanh(v[k])``.
    preactivation : ``V``, ``v[k] = W x[k-1] + W_in u[k] + b``.
    lengths : number of kept steps per series.

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.reservoir import ESN
    >>> from rcpod.reduction import collect_snapshots
    >>> snap = collect_snapshots(ESN(n_units=20, random_state=0).initialize(1), np.ones((30, 1)))
    >>> type(snap).__name__, snap.remainder.shape
    ('Snapshots', (20, 30))
    """

    states: np.ndarray
    nonlinear: np.ndarray
    preactivation: np.ndarray
    lengths: list

    @property
    def remainder(self):
        """``G = tanh(V) - V``, the part the stabilised DEIM interpolates."""
        return self.nonlinear - self.preactivation

    def linearization(self):
        """Per-unit least-squares line ``tanh(v_i) ~ D_i v_i + e_i`` and its remainder.

        ``D_i = cov(v_i, f_i) / var(v_i)`` and ``e_i = mean(f_i) - D_i mean(v_i)`` over the
        snapshots (``D_i = 0`` for a unit whose preactivation is constant).

        Returns
        -------
        slopes, offsets : ndarrays of shape (N,)
        remainder : ndarray of shape (N, n_snapshots)
            ``G = tanh(V) - D V - e``, what :class:`rcpod.reduction.LinearizedDEIMReservoir`
            interpolates.
        """
        V, F = self.preactivation, self.nonlinear
        # the expression's numbers, its N x T temporaries in two buffers laid out as V and F
        vc, tmp = (_like(V) for _ in range(2))
        np.subtract(V, V.mean(axis=1, keepdims=True), out=vc)
        var = np.einsum("ij,ij->i", vc, vc)
        cov = np.einsum("ij,ij->i", vc, np.subtract(F, F.mean(axis=1, keepdims=True), out=tmp))
        slopes = np.divide(cov, var, out=np.zeros_like(cov), where=var > 0)
        offsets = F.mean(axis=1) - slopes * V.mean(axis=1)
        del vc
        remainder = np.multiply(slopes[:, None], V, out=tmp)
        np.subtract(F, remainder, out=remainder)
        remainder -= offsets[:, None]
        return slopes, offsets, remainder

    @property
    def n_snapshots(self):
        """Number of snapshots (columns)."""
        return self.states.shape[1]

    # -- the bases, as :class:`rcpod.reduction.snapshot_grams.SnapshotGrams` gives them too ----
    def mean_state(self):
        """The mean state snapshot, shape (N,)."""
        return self.states.mean(axis=1)

    def mean_slopes(self):
        """``mean_k(1 - tanh(v[k])^2)``, the slopes the output-weighted basis linearises at."""
        return np.mean(1.0 - self.nonlinear ** 2, axis=1)

    def state_basis(self, rank, energy, center, method="auto"):
        """POD modes of the states (:func:`rcpod.reduction.pod`): ``(modes, singular values,
        total energy)``; the total is ``sum s^2`` when all singular values are known, else
        ``||X||_F^2``."""
        Psi, s = pod(self.states, rank=rank, energy=energy, center=center, method=method)
        return Psi, s, _total(self.states, s, center)

    def output_weighted_basis(self, rank, energy, weight, center, *, factor=None, gramian=None,
                              method="auto"):
        """Output-weighted modes from a dense Gramian ``Q``
        (:func:`rcpod.reduction.output_weighted_pod`) or a factor ``Q ~ Z Z^T``
        (:func:`rcpod.reduction.output_weighted_pod_factored`): ``(modes, eigenvalues of M,
        energy share of the state snapshots they capture)``."""
        X = self.states
        if gramian is not None:
            Psi, lam = output_weighted_pod(X, gramian, rank=rank, energy=energy, weight=weight,
                                           center=center)
        else:
            Psi, lam = output_weighted_pod_factored(X, factor, rank=rank, energy=energy,
                                                    weight=weight, center=center, method=method)
        Xc = X - X.mean(axis=1, keepdims=True) if center else X
        total = float(np.sum(Xc ** 2))
        captured = float(np.sum((Psi.T @ Xc) ** 2) / total) if total > 0 else 1.0
        return Psi, lam, captured

    def interpolated_basis(self, cls, rank, method="auto"):
        """DEIM basis of the snapshots ``cls`` interpolates (``cls.interpolated_snapshots``):
        ``(basis, singular values, total energy, from_esn extras, the snapshots)``."""
        G, extra = cls.interpolated_snapshots(self)
        U, s = pod(G, rank=rank, method=method)
        return U, s, _total(G, s, False), extra, G


def _total(X, s, center):
    """Energy of the (centred) snapshots: ``sum s^2`` if ``s`` holds all singular values."""
    if s.size == min(X.shape):
        return float(np.sum(s ** 2))
    Xc = X - X.mean(axis=1, keepdims=True) if center else X
    return float(np.sum(Xc * Xc))


def collect_snapshots(esn, X, washout=0):
    """Run an initialized ESN on ``X`` and return its post-washout snapshots.

    Parameters
    ----------
    esn : rcpod.reservoir.ESN, initialized
    X : array (T, n_inputs), (n_series, T, n_inputs) or list of (T_i, n_inputs)
        Training inputs (layout as everywhere in rcpod); each series starts from the zero state.
    washout : int, default=0
        Steps discarded at the start of every series.

    Returns
    -------
    Snapshots

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.reservoir import ESN
    >>> from rcpod.reduction import collect_snapshots
    >>> esn = ESN(n_units=20, random_state=0).initialize(1)
    >>> snap = collect_snapshots(esn, np.zeros((50, 1)), washout=10)
    >>> snap.states.shape, snap.nonlinear.shape, snap.n_snapshots
    ((20, 40), (20, 40), 40)
    """
    form = full_form(esn)
    washout = check_int("washout", washout, low=0)
    series = as_series(X, name="X_train", n_features=esn.n_inputs_, min_length=washout + 1)
    runs = ([series.batch] if series.layout == "batch" else series.arrays)
    return snapshots_from_states(form, runs, [esn.run(u) for u in runs], washout)


def _like(a):
    """An uninitialised float64 array of ``a``'s shape and memory order (C or Fortran), in its
    own anonymous mapping (:mod:`rcpod.reservoir.anonymous_arrays`)."""
    if a.flags.f_contiguous and not a.flags.c_contiguous:
        return anonymous_empty(a.shape[::-1]).T
    return anonymous_empty(a.shape)


def snapshots_from_states(form, inputs, states, washout=0, stops=None):
    """Snapshots of a full ESN from runs already made (so a reduction runs the ESN once).

    Parameters
    ----------
    form : rcpod.reservoir.form.LeakyTanhForm
        The full ESN's form (float64), e.g. ``esn.form().astype(np.float64)``.
    inputs : list of arrays (T_i, n_inputs) or (B, T, n_inputs)
    states : list of arrays
        The ESN's states on each of ``inputs`` from the zero state.
    washout : int, default=0
        Steps discarded at the start of every series.
    stops : list of int, optional
        Per entry, the step at which to stop (exclusive; a held-back tail is left out).

    Returns
    -------
    Snapshots

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.reservoir import ESN
    >>> from rcpod.reduction import collect_snapshots, snapshots_from_states
    >>> esn = ESN(n_units=20, random_state=0).initialize(1)
    >>> u = np.random.default_rng(0).uniform(-1, 1, (50, 1))
    >>> a = snapshots_from_states(esn.form(), [u], [esn.run(u)], washout=5, stops=[40])
    >>> b = collect_snapshots(esn, u[:40], washout=5)
    >>> a.n_snapshots, bool(np.array_equal(a.nonlinear, b.nonlinear))
    (35, True)
    """
    if len(inputs) != len(states) or (stops is not None and len(stops) != len(inputs)):
        raise ValueError(f"inputs, states (and stops) must have one entry per run, got "
                         f"{len(inputs)}, {len(states)}"
                         + ("" if stops is None else f" and {len(stops)}") + ".")
    kept = []
    for i, (u, x) in enumerate(zip(inputs, states)):
        if np.shape(x) != np.shape(u)[:-1] + (form.n_states,):
            raise ValueError(f"states[{i}] must have shape "
                             f"{np.shape(u)[:-1] + (form.n_states,)} to match inputs[{i}], got "
                             f"{np.shape(x)}.")
        stop = None if stops is None else stops[i]
        kept.append(len(range(*slice(washout, stop).indices(np.shape(x)[-2]))))
    n_rows = sum(k * (np.shape(u)[0] if np.ndim(u) == 3 else 1) for k, u in zip(kept, inputs))
    # the three (n_snapshots, N) matrices are written in place, each run's rows in turn (a
    # fresh N x T temporary per step of the old expression cost more than the arithmetic)
    X, F, V = (anonymous_empty((n_rows, form.n_states)) for _ in range(3))
    row, lengths = 0, []
    for i, (u, x) in enumerate(zip(inputs, states)):
        stop = None if stops is None else stops[i]
        x = np.asarray(x, dtype=np.float64)
        u = np.asarray(u, dtype=np.float64)
        if washout >= 1:   # the previous states are the run's own, shifted by one step
            end = washout + kept[i] - 1
            prev = x[..., washout - 1:end, :]
        else:
            prev = np.concatenate([np.zeros_like(x[..., :1, :]), x[..., :-1, :]],
                                  axis=-2)[..., :kept[i], :]
        x, p, uu = x[..., washout:stop, :], prev, u[..., washout:stop, :]
        x, p, uu = (a.reshape(-1, a.shape[-1]) for a in (x, p, uu))
        rows = slice(row, row + len(x))
        X[rows] = x
        form.preactivation(p, uu, out=V[rows])
        np.tanh(V[rows], out=F[rows])
        row += len(x)
        n_series = u.shape[0] if u.ndim == 3 else 1
        lengths += [len(x) // n_series] * n_series
    return Snapshots(X.T, F.T, V.T, lengths)
