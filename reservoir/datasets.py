"""Benchmark data sets: NARMA-n.

NARMA-n (A. F. Atiya, A. G. Parlos, "New results on recurrent network training: unifying the
algorithms and accelerating convergence", IEEE TNN 11(3), 2000), with the indices pinned (a choice
of this package, because public implementations differ, see below)::

    y[k+1] = 0.3 y[k] + 0.05 y[k] * sum_{i=0}^{n-1} y[k-i] + 1.5 u[k-n+1] u[k] + 0.1

with ``u[k]`` i.i.d. uniform on ``input_range`` (``U[0, 0.5]`` by default) and zero initial
conditions ``y[0] = ... = y[n-1] = 0``; the recursion starts at ``k = n - 1``, the first index at
which every term is defined. The sum runs over exactly ``n`` past outputs ``y[k-n+1] .. y[k]`` and
the input product pairs ``u[k]`` with ``u[k-n+1]``. (Public code differs here: reservoirpy's
``datasets.narma`` defaults to NARMA30 constants and sums ``y[t-1] .. y[t-n]`` with ``u[t-n]``;
fastESN's NARMA10 sums nine past terms. Those series are not the one generated here.)
"""
from __future__ import annotations

import logging
import math

import numpy as np

from .validation import check_allocation, check_array, check_int, check_real

__all__ = ["narma", "NARMADivergenceError"]

logger = logging.getLogger(__name__)


class NARMADivergenceError(RuntimeError):
    """Raised when a NARMA series blows up (non-finite value or ``|y| > max_abs``).

    Attributes
    ----------
    step : int
        Index ``k`` (in the full series, before the transient is discarded) of the first value
        ``y[k]`` that was non-finite or beyond the bound.
    value : float
        That value.

    Examples
    --------
    A constant input of 5 drives NARMA10 far beyond ``max_abs``:

    >>> import numpy as np
    >>> from rcpod.reservoir.datasets import NARMADivergenceError, narma
    >>> try:
    ...     narma(10, 50, inputs=np.full(250, 5.0))
    ... except NARMADivergenceError as err:
    ...     print(err.step, round(err.value, 3))
    10 37.6
    """

    def __init__(self, message, step, value):
        super().__init__(message)
        self.step = step
        self.value = value


def narma(n, length, *, random_state=None, input_range=(0.0, 0.5), discard=200,
          max_abs=10.0, inputs=None):
    """Generate a NARMA-n input/target pair.

    The recursion (indices pinned, see the module docstring)::

        y[k+1] = 0.3 y[k] + 0.05 y[k] sum_{i=0}^{n-1} y[k-i] + 1.5 u[k-n+1] u[k] + 0.1

    is run from ``y[0..n-1] = 0`` over ``discard + length`` steps; the first ``discard`` samples
    (the transient from the zero initial condition) are dropped. The learning task is
    *input ``u[k]`` -> target ``y[k]``* on the returned arrays (same time index ``k``; ``y[k]``
    depends on ``u[k-1]`` and ``u[k-n]`` and on earlier outputs).

    Parameters
    ----------
    n : int
        Order of the system (10 for NARMA10).
    length : int
        Number of returned samples.
    random_state : int, numpy.random.Generator or None, default=None
        Seed of the i.i.d. uniform input (``numpy.random.default_rng`` semantics).
    input_range : tuple of two floats, default=(0.0, 0.5)
        Bounds ``(low, high)`` of the uniform input (Atiya & Parlos use ``U[0, 0.5]``).
    discard : int, default=200
        Initial transient dropped from the returned arrays (a choice of this project, documented
        here; use 0 to keep the zero initial condition).
    max_abs : float, default=10.0
        Bound on ``|y|``; beyond it the series is declared divergent. NARMA10 driven by
        ``U[0, 0.5]`` stays well inside ``[0, 2]``; once ``|y|`` is of order 10 the quadratic term
        makes the recursion explode within a few steps.
    inputs : array-like of shape (discard + length,) or (discard + length, 1), optional
        Use this input sequence instead of drawing one (``random_state`` and ``input_range`` are
        then ignored). Useful to reproduce a series or to test against another generator.

    Returns
    -------
    u : ndarray of shape (length, 1)
        Input.
    y : ndarray of shape (length, 1)
        Target.

    Raises
    ------
    TypeError
        When ``n``, ``length``, ``discard`` or ``max_abs`` is not a number of the right kind.
    ValueError
        On invalid parameter values.
    NARMADivergenceError
        (a ``RuntimeError``) when ``y`` becomes non-finite or exceeds ``max_abs``; the message
        and the ``step`` attribute give the first offending index.

    References
    ----------
    .. [1] A. F. Atiya, A. G. Parlos, "New results on recurrent network training: unifying the
       algorithms and accelerating convergence", IEEE TNN 11(3), 2000 (NARMA task, input
       ``U[0, 0.5]``). The pinned indices of the recursion above are a choice of this package.

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.reservoir import narma
    >>> u, y = narma(10, 100, random_state=0)
    >>> u.shape, y.shape, bool(np.all(np.isfinite(y)))
    ((100, 1), (100, 1), True)
    """
    length = check_int("length", length)
    n = check_int("n", n)
    discard = check_int("discard", discard, low=0)
    max_abs = check_real("max_abs", max_abs, low=0, closed="neither")
    total = discard + length
    check_allocation(8 * 3 * total, "length", f"a NARMA series of {total} steps")

    if inputs is None:
        try:
            low, high = (float(v) for v in input_range)
        except (TypeError, ValueError):
            raise ValueError(f"input_range must be a pair (low, high) of numbers, got "
                             f"{input_range!r}.") from None
        if not (math.isfinite(low) and math.isfinite(high) and low < high):
            raise ValueError(f"input_range must satisfy low < high (finite), got {input_range!r}.")
        rng = np.random.default_rng(random_state)
        u = rng.uniform(low, high, size=total)
    else:
        u = check_array("inputs", inputs)
        if u.ndim == 2 and u.shape[1] == 1:
            u = u[:, 0]
        if u.shape != (total,):
            raise ValueError(f"inputs must have shape ({total},) or ({total}, 1) (discard + "
                             f"length), got {np.shape(inputs)}.")

    uu = u.tolist()  # plain floats: the loop is sequential and short
    y = [0.0] * total
    for k in range(n - 1, total - 1):
        yk = y[k]
        y_next = 0.3 * yk + 0.05 * yk * sum(y[k - n + 1:k + 1]) + 1.5 * uu[k - n + 1] * uu[k] + 0.1
        if not (math.isfinite(y_next) and abs(y_next) <= max_abs):
            raise NARMADivergenceError(
                f"NARMA{n} diverged at step k={k + 1}: y[{k + 1}] = {y_next!r} is "
                f"{'not finite' if not math.isfinite(y_next) else f'beyond max_abs={max_abs}'}. "
                "Use a smaller input_range, a lower order n or another random_state.",
                step=k + 1, value=y_next)
        y[k + 1] = y_next
    logger.debug("NARMA%d: generated %d samples (discarded %d).", n, length, discard)
    return u[discard:, None].copy(), np.asarray(y[discard:], dtype=np.float64)[:, None]
