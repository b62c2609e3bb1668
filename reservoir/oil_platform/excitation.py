"""Amplitude-modulated pseudo-random binary signals (APRBS) for plant excitation.

Each channel is piecewise constant: hold times are drawn uniformly (integers, in samples) from
``[hold_min, hold_max]`` and each hold gets an amplitude drawn uniformly from ``[low, high]`` of
that channel (Nelles, *Nonlinear System Identification*, Springer 2001, Sec. 19.7). Channels
switch independently unless ``synchronous=True``.
"""
from __future__ import annotations

import numpy as np

from ..validation import check_allocation, check_array, check_int

__all__ = ["aprbs"]


def aprbs(n_samples, bounds, hold_min, hold_max, random_state=None, synchronous=False, start=None):
    """Generate an APRBS of ``n_samples`` samples.

    Parameters
    ----------
    n_samples : int
        Number of samples T (>= 1).
    bounds : array_like of shape (n_channels, 2)
        ``[low, high]`` amplitude range of each channel (finite, low <= high).
    hold_min, hold_max : int
        Range of the hold times in samples (1 <= hold_min <= hold_max).
    random_state : int, numpy.random.Generator or None
        Seed or generator (``numpy.random.default_rng`` semantics).
    synchronous : bool, default False
        If True all channels switch at the same (random) instants.
    start : array_like of shape (n_channels,), optional
        Amplitude of the first hold of each channel (e.g. the nominal operating point, so a run
        started at its steady state begins without a jump); must lie within ``bounds``.

    Returns
    -------
    u : ndarray of shape (n_samples, n_channels)

    References
    ----------
    O. Nelles, Nonlinear System Identification, Springer (2001), Sec. 19.7 (APRBS).

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.reservoir.oil_platform import aprbs
    >>> u = aprbs(100, [[0.0, 1.0], [2.0, 3.0]], hold_min=5, hold_max=10, random_state=0)
    >>> u.shape, bool(np.all((u[:, 1] >= 2.0) & (u[:, 1] <= 3.0)))
    ((100, 2), True)
    """
    n_samples = check_int("n_samples", n_samples)
    check_allocation(8 * n_samples * max(1, np.size(bounds) // 2), "n_samples",
                     f"a signal of {n_samples} samples")
    hold_min = check_int("hold_min", hold_min)
    hold_max = check_int("hold_max", hold_max)
    if hold_max < hold_min:
        raise ValueError(f"hold_max ({hold_max}) must be >= hold_min ({hold_min}).")
    b = check_array("bounds", bounds, allow_empty=True)
    if b.ndim != 2 or b.shape[1] != 2 or b.shape[0] < 1:
        raise ValueError(f"bounds must have shape (n_channels, 2), got {b.shape}.")
    if np.any(b[:, 0] > b[:, 1]):
        raise ValueError("bounds must have low <= high in every row.")
    m = b.shape[0]
    if start is not None:
        start = check_array("start", start, allow_empty=True)
        if start.shape != (m,) or np.any(start < b[:, 0]) or np.any(start > b[:, 1]):
            raise ValueError(f"start must have shape ({m},) and lie within bounds.")
    rng = np.random.default_rng(random_state)
    u = np.empty((n_samples, m))

    def switch_times():
        t, ts = 0, []
        while t < n_samples:
            ts.append(t)
            t += int(rng.integers(hold_min, hold_max + 1))
        return np.array(ts)

    common = switch_times() if synchronous else None
    for j in range(m):
        ts = common if synchronous else switch_times()
        amps = rng.uniform(b[j, 0], b[j, 1], size=ts.size)
        if start is not None:
            amps[0] = start[j]
        ends = np.append(ts[1:], n_samples)
        for a, e, v in zip(ts, ends, amps):
            u[a:e, j] = v
    return u
