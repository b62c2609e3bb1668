"""Tasks of the QRNN-RC experiments: series generators, scaling, windows, chronological split.

All generators follow the authors' public data scripts (ycchen1989/FederatedQLSTM ``data/``,
ycchen1989/Quantum_Long_Short_Term_Memory ``data/damped_shm.py``):

- damped oscillator: ``theta'' = -(b/m) theta' - g sin(theta)``, ``b=0.15, g=9.81, m=1``,
  ``theta(0)=0, omega(0)=3``, ``t = linspace(0, 20, 240)`` (``scipy.integrate.odeint``),
  series ``omega(t)``;
- Bessel: ``jv(2, linspace(2, 100, 256))``;
- delayed quantum control: ``x = arange(-2, 20, 0.01)``,
  ``sum_{n=0}^{10} exp(-10 (x - 2n)^2) exp(-x/16)``;
- NARMA-n of the paper (:func:`narma_qrnn`; not the textbook :func:`rcpod.reservoir.datasets.narma`)
  with the smooth input of Suzuki et al. (2022), ``T = 300``, ``y_0 = 0.196``, negative indices 0:
  ``y_{t+1} = 0.3 y_t + 0.05 y_t sum_{j<n} y_{t-j} + 1.5 u_{t-n+1} u_t + 0.1``.

Protocol: min-max scaling to [-1, 1] over the whole series (not for NARMA), windows of 4 with
the next value as target; like the authors' ``transform_data_single_predict`` the last possible
window is dropped (``len(series) - w - 1`` windows); the first ``int(0.67 n_windows)`` windows
train.

References
----------
.. [1] S. Y.-C. Chen, D. Fry, A. Deshmukh, V. Rastunkov, C. Stefanski, "Reservoir Computing via
   Quantum Recurrent Neural Networks", arXiv:2211.02612, 2022 (tasks and protocol; generators from
   the authors' public data scripts named above).
.. [2] Suzuki et al., "Natural quantum reservoir computing for temporal information processing",
   Sci. Rep. 12, 2022 (smooth NARMA input).
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy.integrate import odeint
from scipy.special import jv

from rcpod.reservoir.validation import check_array, check_int, check_real

__all__ = [
    "damped_oscillator",
    "bessel_j2",
    "delayed_quantum_control",
    "narma_smooth_input",
    "narma_qrnn",
    "narma",
    "sine",
    "minmax_scale",
    "make_windows",
    "chrono_split",
    "WindowedTask",
    "load_task",
    "TASKS",
]


def damped_oscillator(n_points=240, t_max=20.0, b=0.15, g=9.81, m=1.0, theta0=0.0, omega0=3.0):
    """Angular velocity of the damped pendulum ``theta'' = -(b/m) theta' - g sin(theta)``.

    Parameters
    ----------
    n_points : int, default=240
        Number of time points of ``linspace(0, t_max, n_points)``.
    t_max : float, default=20.0
        Final time.
    b, g, m : float, default=0.15, 9.81, 1.0
        Damping, gravity and mass of the pendulum.
    theta0, omega0 : float, default=0.0, 3.0
        Initial angle and angular velocity.

    Returns
    -------
    t, omega : arrays of shape (n_points,)

    Examples
    --------
    >>> from rcpod.quantum.datasets import damped_oscillator
    >>> t, omega = damped_oscillator()
    >>> t.shape, float(t[-1]), float(omega[0])
    ((240,), 20.0, 3.0)
    >>> bool(abs(omega[-1]) < abs(omega[0]))        # damped
    True
    """
    def rhs(y, _t):
        return [y[1], -(b / m) * y[1] - g * np.sin(y[0])]

    t = np.linspace(0.0, t_max, n_points)
    sol = odeint(rhs, [theta0, omega0], t)
    return t, sol[:, 1]


def bessel_j2(n_points=256, x_min=2.0, x_max=100.0):
    """Bessel function of the first kind of order 2 on ``linspace(x_min, x_max, n_points)``.

    Parameters
    ----------
    n_points : int, default=256
        Number of grid points.
    x_min, x_max : float, default=2.0, 100.0
        Ends of the grid.

    Returns
    -------
    x, j2 : arrays of shape (n_points,)

    Examples
    --------
    >>> from rcpod.quantum.datasets import bessel_j2
    >>> x, j2 = bessel_j2()
    >>> x.shape, float(x[0]), round(float(j2[0]), 4)      # J_2(2) = 0.3528
    ((256,), 2.0, 0.3528)
    """
    x = np.linspace(x_min, x_max, n_points)
    return x, jv(2, x)


def delayed_quantum_control(step=0.01, x_min=-2.0, x_max=20.0, n_pulses=11):
    """Decaying Gaussian pulse train ``sum_n exp(-10 (x - 2n)^2) exp(-x/16)``.

    Parameters
    ----------
    step : float, default=0.01
        Grid step of ``arange(x_min, x_max, step)``.
    x_min, x_max : float, default=-2.0, 20.0
        Ends of the grid (``x_max`` excluded).
    n_pulses : int, default=11
        Number of pulses, centred at ``x = 0, 2, ..., 2 (n_pulses - 1)``.

    Returns
    -------
    x, series : arrays of shape (n_grid,)

    Examples
    --------
    >>> from rcpod.quantum.datasets import delayed_quantum_control
    >>> x, s = delayed_quantum_control()
    >>> x.shape, round(float(s.max()), 3)                  # first pulse peaks at 1
    ((2200,), 1.0)
    """
    x = np.arange(x_min, x_max, step)
    s = np.zeros_like(x)
    for n in range(n_pulses):
        s += np.exp(-10.0 * (x - 2 * n) ** 2) * np.exp(-x / 16.0)
    return x, s


def narma_smooth_input(T=300, freqs=(2.11, 3.73, 4.11)):
    """Smooth NARMA input ``u_t = 0.1 (sin(2 pi a t/T) sin(2 pi b t/T) sin(2 pi c t/T) + 1)``.

    Parameters
    ----------
    T : int, default=300
        Length of the input, ``t = 0, ..., T - 1``.
    freqs : tuple of 3 floats, default=(2.11, 3.73, 4.11)
        Frequencies ``a, b, c`` (cycles per ``T`` steps).

    Returns
    -------
    u : array of shape (T,)
        Values in [0, 0.2].

    Examples
    --------
    >>> from rcpod.quantum.datasets import narma_smooth_input
    >>> u = narma_smooth_input()
    >>> u.shape, float(u[0]), bool(0.0 <= u.min() and u.max() <= 0.2)
    ((300,), 0.1, True)
    """
    t = np.arange(T)
    a, b, c = freqs
    return 0.1 * (np.sin(2 * np.pi * a * t / T) * np.sin(2 * np.pi * b * t / T)
                  * np.sin(2 * np.pi * c * t / T) + 1.0)


def narma_qrnn(order=10, T=300, y0=0.196, u=None):
    """NARMA-``order`` series of the QRNN-RC paper, driven by the smooth input.

    The recursion is the NARMA-n of Atiya & Parlos [3]_::

        y_{t+1} = 0.3 y_t + 0.05 y_t sum_{j=0}^{n-1} y_{t-j} + 1.5 u_{t-n+1} u_t + 0.1

    but the task differs from the textbook generator :func:`rcpod.reservoir.datasets.narma` in
    everything around it, as in [1]_ and [2]_: the input is the deterministic smooth signal of
    :func:`narma_smooth_input` (values in [0, 0.2]) instead of i.i.d. ``U[0, 0.5]`` noise; the
    series starts at ``y_0 = 0.196`` with every earlier value and input 0, and no transient is
    discarded (the textbook generator starts from zeros and drops 200 steps); the result is two
    1-D arrays of length ``T`` (``y[0] = y_0``) rather than ``(length, 1)`` columns.

    Parameters
    ----------
    order : int, default=10
        ``n`` of NARMA-n (e.g. 5 or 10).
    T : int, default=300
        Length.
    y0 : float, default=0.196
        ``y_0``; earlier values and inputs are 0.
    u : array of shape (T,), optional
        Input; :func:`narma_smooth_input` by default.

    Returns
    -------
    u, y : arrays of shape (T,)
        ``y[0] = y0`` and ``y[t+1]`` from ``y[t-order+1..t]`` and ``u[t-order+1], u[t]``.

    References
    ----------
    .. [1] Chen et al., arXiv:2211.02612 (2022) (NARMA5 / NARMA10 tasks, unscaled).
    .. [2] Suzuki et al., Sci. Rep. 12 (2022) (smooth input, ``y_0``).
    .. [3] A. F. Atiya, A. G. Parlos, IEEE Trans. Neural Netw. 11(3), 2000 (NARMA).

    Examples
    --------
    >>> from rcpod.quantum.datasets import narma_qrnn
    >>> u, y = narma_qrnn(order=5)
    >>> y.shape, float(y[0]), round(float(y[1]), 4)   # y_1 = 0.3 y_0 + 0.05 y_0^2 + 0.1
    ((300,), 0.196, 0.1607)
    >>> narma_qrnn(order=0)
    Traceback (most recent call last):
    ...
    ValueError: order == 0, must be >= 1.
    """
    order = check_int("order", order)
    y0 = check_real("y0", y0)
    u = narma_smooth_input(check_int("T", T)) if u is None else check_array("u", u, ndim=1)
    T = u.shape[0]
    y = np.zeros(T + 1)
    y[0] = y0
    for t in range(T):
        ysum = y[max(0, t - order + 1): t + 1].sum()
        u_lag = u[t - order + 1] if t - order + 1 >= 0 else 0.0
        y[t + 1] = 0.3 * y[t] + 0.05 * y[t] * ysum + 1.5 * u_lag * u[t] + 0.1
    return u, y[:T]


def narma(order=10, T=300, y0=0.196, u=None):
    """Deprecated name of :func:`narma_qrnn` (emits a FutureWarning).

    ``rcpod.reservoir.datasets.narma`` is the textbook NARMA generator, with another signature
    and another start and input; this paper variant is now :func:`narma_qrnn`.

    Parameters
    ----------
    order, T, y0, u :
        As :func:`narma_qrnn`.

    Returns
    -------
    u, y : arrays of shape (T,)

    Examples
    --------
    >>> import warnings
    >>> from rcpod.quantum.datasets import narma, narma_qrnn
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     u, y = narma(order=5)
    >>> caught[0].category.__name__, bool((y == narma_qrnn(order=5)[1]).all())
    ('FutureWarning', True)
    """
    warnings.warn("rcpod.quantum.datasets.narma is renamed narma_qrnn (the QRNN-RC paper's "
                  "variant; rcpod.reservoir.datasets.narma is the textbook one); the old name "
                  "will be removed.", FutureWarning, stacklevel=2)
    return narma_qrnn(order=order, T=T, y0=y0, u=u)


def sine(n_points=240, n_periods=4.0):
    """(choice) Plain sine on a uniform grid: ``sin(2 pi n_periods k / n_points)``.

    Parameters
    ----------
    n_points : int, default=240
        Number of samples ``k = 0, ..., n_points - 1``.
    n_periods : float, default=4.0
        Number of periods over the series.

    Returns
    -------
    x, series : arrays of shape (n_points,)
        ``x = k / n_points`` and the sine.

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.quantum.datasets import sine
    >>> x, s = sine(n_points=4, n_periods=1)
    >>> x.tolist(), np.round(s, 6).tolist()
    ([0.0, 0.25, 0.5, 0.75], [0.0, 1.0, 0.0, -1.0])
    """
    x = np.arange(n_points) / n_points
    return x, np.sin(2 * np.pi * n_periods * x)


def minmax_scale(series, feature_range=(-1.0, 1.0)):
    """Min-max scaling of a 1-D series over its whole length (``MinMaxScaler`` semantics).

    Parameters
    ----------
    series : array-like of shape (T,)
        Series to scale.
    feature_range : tuple (low, high), default=(-1.0, 1.0)
        Target range; a constant series maps to ``low``.

    Returns
    -------
    scaled : array of shape (T,)

    Examples
    --------
    >>> from rcpod.quantum.datasets import minmax_scale
    >>> minmax_scale([0.0, 5.0, 10.0]).tolist()
    [-1.0, 0.0, 1.0]
    >>> minmax_scale([2.0, 2.0], feature_range=(0.0, 1.0)).tolist()
    [0.0, 0.0]
    """
    s = np.asarray(series, dtype=float)
    lo, hi = feature_range
    span = s.max() - s.min()
    if span == 0:
        return np.full_like(s, lo)
    return lo + (s - s.min()) * (hi - lo) / span


def make_windows(inputs, targets=None, window=4):
    """Sliding windows ``x_i = inputs[i:i+window]``, target ``targets[i+window]``.

    As in the authors' ``transform_data_single_predict``, ``len - window - 1`` windows are made.

    Parameters
    ----------
    inputs : array of shape (T,)
    targets : array of shape (T,), optional
        Defaults to ``inputs`` (one-step-ahead prediction).
    window : int, default=4

    Returns
    -------
    X : array (n_windows, window, 1)
    y : array (n_windows,)

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.quantum.datasets import make_windows
    >>> X, y = make_windows(np.arange(8.0), window=4)   # 8 - 4 - 1 = 3 windows
    >>> X.shape, X[0, :, 0].tolist(), y.tolist()
    ((3, 4, 1), [0.0, 1.0, 2.0, 3.0], [4.0, 5.0, 6.0])
    """
    inputs = np.asarray(inputs, dtype=float)
    targets = inputs if targets is None else np.asarray(targets, dtype=float)
    window = check_int("window", window)
    if inputs.ndim != 1 or targets.shape != inputs.shape:
        raise ValueError(f"inputs and targets must be 1-D of equal length, got {inputs.shape} and {targets.shape}.")
    n = inputs.shape[0] - window - 1
    if n < 1:
        raise ValueError(f"series of length {inputs.shape[0]} is too short for window={window}.")
    idx = np.arange(n)[:, None] + np.arange(window)[None, :]
    return inputs[idx][:, :, None], targets[np.arange(n) + window]


def chrono_split(X, y, train_fraction=0.67):
    """Chronological split: the first ``int(train_fraction * n)`` samples train.

    Parameters
    ----------
    X : array-like of shape (n, ...)
        Samples in time order.
    y : array-like of shape (n, ...)
        Targets in time order.
    train_fraction : float in (0, 1), default=0.67
        Fraction of the samples in the training part (rounded down).

    Returns
    -------
    X_train, y_train, X_test, y_test
        Slices of ``X`` and ``y``.

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.quantum.datasets import chrono_split
    >>> X_tr, y_tr, X_te, y_te = chrono_split(np.arange(10), np.arange(10), train_fraction=0.7)
    >>> X_tr.tolist(), X_te.tolist()
    ([0, 1, 2, 3, 4, 5, 6], [7, 8, 9])
    """
    check_real("train_fraction", train_fraction, low=0, high=1, closed="neither")
    n_train = int(train_fraction * len(X))
    return X[:n_train], y[:n_train], X[n_train:], y[n_train:]


@dataclass
class WindowedTask:
    """A windowed one-step-ahead task with a chronological split.

    Attributes
    ----------
    name : str
        Task name (see :data:`TASKS`).
    X_train, X_test : arrays of shape (n, window, 1)
        Input windows, in time order.
    y_train, y_test : arrays of shape (n,)
        Next-step targets.

    Examples
    --------
    >>> from rcpod.quantum.datasets import WindowedTask, chrono_split, make_windows, sine
    >>> X, y = make_windows(sine(n_points=40)[1], window=4)
    >>> task = WindowedTask("sine", *chrono_split(X, y))
    >>> task.X_train.shape, task.X_test.shape
    ((23, 4, 1), (12, 4, 1))
    """

    name: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray


def _series(name):
    if name == "damped_oscillator":
        return minmax_scale(damped_oscillator()[1]), None
    if name == "bessel_j2":
        return minmax_scale(bessel_j2()[1]), None
    if name == "delayed_quantum_control":
        return minmax_scale(delayed_quantum_control()[1]), None
    if name == "sine":
        return minmax_scale(sine()[1]), None
    if name in ("narma5", "narma10"):
        return narma_qrnn(order=int(name[5:]))
    raise ValueError(f"unknown task {name!r}; expected one of {TASKS}.")


TASKS = ("damped_oscillator", "bessel_j2", "delayed_quantum_control", "narma5", "narma10", "sine")


def load_task(name, window=4, train_fraction=0.67):
    """A task of the paper as windows (n, window, 1) with targets, split chronologically.

    Parameters
    ----------
    name : {"damped_oscillator", "bessel_j2", "delayed_quantum_control", "narma5", "narma10", "sine"}
    window : int, default=4
    train_fraction : float, default=0.67

    Returns
    -------
    WindowedTask

    Examples
    --------
    >>> from rcpod.quantum.datasets import load_task
    >>> task = load_task("damped_oscillator", window=4)
    >>> task.X_train.shape[1:], task.X_train.shape[0] == task.y_train.shape[0]
    ((4, 1), True)
    """
    inputs, targets = _series(name)
    X, y = make_windows(inputs, targets, window=window)
    return WindowedTask(name, *chrono_split(X, y, train_fraction))
