"""Gradient training of a linear readout with RMSprop: the readout protocol of the QRNN-RC paper.

The paper trains only the final linear layer of its quantum reservoirs, by gradient descent with
``RMSprop(lr=0.01, alpha=0.99, eps=1e-8, momentum=0)``, mean-squared-error loss, mini-batches of
10 shuffled windows and 100 epochs. This module reproduces that protocol in numpy:

* :class:`RMSprop` is PyTorch's ``torch.optim.RMSprop`` update, equation for equation (documented
  algorithm of ``torch.optim.RMSprop``, PyTorch 2.x), with gradient ``g_t``, learning rate
  ``gamma``, smoothing ``alpha``, ``eps``, weight decay ``lambda``, momentum ``mu``::

      g_t   <- g_t + lambda theta_{t-1}                     (if lambda != 0)
      v_t   <- alpha v_{t-1} + (1 - alpha) g_t**2           (v_0 = 0)
      vt_t  <- v_t
      gbar_t <- alpha gbar_{t-1} + (1 - alpha) g_t;  vt_t <- vt_t - gbar_t**2   (if centered)
      b_t   <- mu b_{t-1} + g_t / (sqrt(vt_t) + eps);  theta_t <- theta_{t-1} - gamma b_t  (mu > 0)
      theta_t <- theta_{t-1} - gamma g_t / (sqrt(vt_t) + eps)                            (mu = 0)

  Note that ``eps`` is added *outside* the square root (unlike TensorFlow's RMSprop).
* :func:`train_linear_readout` trains ``y = X W^T + b`` like ``torch.nn.Linear`` +
  ``torch.nn.MSELoss()`` (mean over samples and targets, gradient ``2/(B q) R^T X``) +
  ``DataLoader(batch_size=10, shuffle=True)`` (a new permutation every epoch, last batch kept
  even if smaller). The layer starts as ``nn.Linear`` does: ``W, b ~ U(-1/sqrt(p), 1/sqrt(p))``
  with ``p`` input features. It records the learning curves (train / test MSE on the whole sets
  after each epoch).
* :class:`RMSpropReadout` is the scikit-learn estimator shell.

References
----------
.. [1] S. Y.-C. Chen, D. Fry, A. Deshmukh, V. Rastunkov, C. Stefanski, "Reservoir Computing via
   Quantum Recurrent Neural Networks", arXiv:2211.02612, 2022 (training protocol, as run by the
   authors' code github.com/ycchen1989/FederatedQLSTM).
.. [2] PyTorch documentation of ``torch.optim.RMSprop`` (the algorithm box above) and
   ``torch/optim/rmsprop.py`` (``square_avg.mul_(alpha).addcmul_(grad, grad, value=1-alpha)``,
   ``avg = square_avg.sqrt().add_(eps)``, ``param.addcdiv_(grad, avg, value=-lr)``).
.. [3] T. Tieleman, G. Hinton, Lecture 6.5 "rmsprop", COURSERA: Neural Networks for Machine
   Learning, 2012.
"""
from __future__ import annotations

import numbers
from dataclasses import dataclass, field

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from rcpod.reservoir.validation import (Array, Interval, check_array, check_int, check_params,
                                       check_real)

__all__ = ["RMSprop", "minibatches", "mse_linear_grad", "ReadoutTrainingResult",
           "train_linear_readout", "RMSpropReadout"]


class RMSprop:
    """PyTorch's RMSprop update applied in place to a list of numpy arrays.

    Parameters
    ----------
    params : list of numpy.ndarray
        The parameters (float arrays, updated in place by :meth:`step`).
    lr : float, default=0.01
        Learning rate ``gamma``.
    alpha : float in [0, 1), default=0.99
        Smoothing constant of the running average of squared gradients (PyTorch's name; not a
        ridge strength).
    eps : float >= 0, default=1e-8
        Added to ``sqrt(v)`` (outside the square root, as in PyTorch).
    weight_decay : float >= 0, default=0
        L2 penalty ``lambda`` added to the gradient.
    momentum : float >= 0, default=0
        Momentum ``mu``.
    centered : bool, default=False
        Normalise by the estimated variance of the gradient instead of its second moment.

    Attributes
    ----------
    square_avg : list of arrays
        ``v_t`` per parameter.
    momentum_buffer, grad_avg : list of arrays or None
        ``b_t`` (momentum > 0) and ``gbar_t`` (centered).
    n_steps : int

    References
    ----------
    PyTorch ``torch.optim.RMSprop`` (algorithm in its documentation; ``torch/optim/rmsprop.py``).

    Examples
    --------
    The first step moves every entry by about ``lr / sqrt(1 - alpha)`` against its gradient:

    >>> import numpy as np
    >>> from rcpod.quantum.readout_training import RMSprop
    >>> p = np.array([1.0, 1.0])
    >>> opt = RMSprop([p], lr=0.01, alpha=0.99)
    >>> opt.step([np.array([2.0, -0.5])])
    >>> np.round(p, 6).tolist(), opt.n_steps
    ([0.9, 1.1], 1)
    """

    def __init__(self, params, lr=0.01, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0,
                 centered=False):
        if not isinstance(params, (list, tuple)) or not params:
            raise TypeError("params must be a non-empty list of numpy arrays.")
        for k, p in enumerate(params):
            if not isinstance(p, np.ndarray) or not np.issubdtype(p.dtype, np.floating):
                raise TypeError(f"params[{k}] must be a float numpy array, got {type(p).__name__}.")
        self.params = list(params)
        self.lr = check_real("lr", lr, low=0.0)
        self.alpha = check_real("alpha", alpha, low=0.0, high=1.0, closed="left")
        self.eps = check_real("eps", eps, low=0.0)
        self.weight_decay = check_real("weight_decay", weight_decay, low=0.0)
        self.momentum = check_real("momentum", momentum, low=0.0)
        self.centered = bool(centered)
        self.square_avg = [np.zeros_like(p) for p in self.params]
        self.momentum_buffer = [np.zeros_like(p) for p in self.params] if self.momentum > 0 else None
        self.grad_avg = [np.zeros_like(p) for p in self.params] if self.centered else None
        self.n_steps = 0

    def step(self, grads):
        """One update of every parameter from its gradient (same order as ``params``)."""
        if len(grads) != len(self.params):
            raise ValueError(f"grads has {len(grads)} entries, expected {len(self.params)}.")
        for k, (p, g) in enumerate(zip(self.params, grads)):
            g = np.asarray(g, dtype=p.dtype)
            if g.shape != p.shape:
                raise ValueError(f"grads[{k}] has shape {g.shape}, expected {p.shape}.")
            if self.weight_decay != 0:
                g = g + self.weight_decay * p
            v = self.square_avg[k]
            v *= self.alpha
            v += (1.0 - self.alpha) * g * g
            if self.centered:
                gbar = self.grad_avg[k]
                gbar *= self.alpha
                gbar += (1.0 - self.alpha) * g
                denom = np.sqrt(v - gbar * gbar) + self.eps
            else:
                denom = np.sqrt(v) + self.eps
            if self.momentum > 0:
                buf = self.momentum_buffer[k]
                buf *= self.momentum
                buf += g / denom
                p -= self.lr * buf
            else:
                p -= self.lr * g / denom
        self.n_steps += 1


def minibatches(n_samples, batch_size, shuffle, rng):
    """Index arrays of one epoch, like ``DataLoader(batch_size, shuffle, drop_last=False)``.

    Parameters
    ----------
    n_samples, batch_size : int
    shuffle : bool
        A fresh permutation from ``rng`` if True, the natural order otherwise.
    rng : numpy.random.Generator

    Returns
    -------
    list of int arrays (the last one may be shorter)

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.quantum.readout_training import minibatches
    >>> [b.tolist() for b in minibatches(5, 2, shuffle=False, rng=np.random.default_rng(0))]
    [[0, 1], [2, 3], [4]]
    >>> sorted(np.concatenate(minibatches(5, 2, True, np.random.default_rng(0))).tolist())
    [0, 1, 2, 3, 4]
    """
    order = rng.permutation(n_samples) if shuffle else np.arange(n_samples)
    return [order[i:i + batch_size] for i in range(0, n_samples, batch_size)]


def mse_linear_grad(X, Y, coef, intercept):
    """MSE loss of ``X coef^T + intercept`` and its gradient (``torch.nn.MSELoss`` semantics).

    Parameters
    ----------
    X : array (B, p)
    Y : array (B, q)
    coef : array (q, p)
    intercept : array (q,)

    Returns
    -------
    loss : float
        ``mean((X coef^T + intercept - Y)**2)`` over samples and targets.
    grad_coef : array (q, p)
        ``2 / (B q) R^T X`` with residuals ``R``.
    grad_intercept : array (q,)
        ``2 / (B q) sum_rows R``.

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.quantum.readout_training import mse_linear_grad
    >>> X, Y = np.array([[1.0], [2.0]]), np.array([[1.0], [2.0]])
    >>> loss, g_coef, g_b = mse_linear_grad(X, Y, np.zeros((1, 1)), np.zeros(1))
    >>> loss, g_coef.tolist(), g_b.tolist()                # residuals R = -Y
    (2.5, [[-5.0]], [-3.0])
    >>> mse_linear_grad(X, Y, np.ones((1, 1)), np.zeros(1))[0]      # exact fit
    0.0
    """
    R = X @ coef.T + intercept - Y
    scale = 2.0 / R.size
    return float(np.mean(R * R)), scale * (R.T @ X), scale * R.sum(axis=0)


@dataclass
class ReadoutTrainingResult:
    """Outcome of :func:`train_linear_readout`.

    Attributes
    ----------
    coef : array (q, p)
    intercept : array (q,)
    train_mse : array (epochs + 1,)
        MSE on the whole training set before training (index 0) and after each epoch.
    test_mse : array (epochs + 1,) or None
        The same on the test set, when one was given.
    n_steps : int
        Optimiser steps taken.

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.quantum.readout_training import train_linear_readout
    >>> X = np.random.default_rng(0).normal(size=(20, 3))
    >>> res = train_linear_readout(X, X @ [1.0, 0.0, -1.0], epochs=2, random_state=0)
    >>> res.coef.shape, res.train_mse.shape, res.test_mse is None, res.n_steps   # 2 x 2 batches
    ((1, 3), (3,), True, 4)
    """

    coef: np.ndarray
    intercept: np.ndarray
    train_mse: np.ndarray
    test_mse: np.ndarray | None = None
    n_steps: int = 0
    extra: dict = field(default_factory=dict)


def _targets_2d(name, y, n):
    """Targets (n,) or (n, q) as a finite float array (n, q)."""
    y = check_array(name, y)
    if y.ndim == 1:
        y = y[:, None]
    if y.ndim != 2 or y.shape[0] != n:
        raise ValueError(f"{name} must have shape ({n},) or ({n}, n_targets), got {y.shape}.")
    return y


def train_linear_readout(X_train, y_train, X_test=None, y_test=None, *, epochs=100, batch_size=10,
                         lr=0.01, alpha=0.99, eps=1e-8, momentum=0.0, weight_decay=0.0,
                         centered=False, shuffle=True, init_coef=None, init_intercept=None,
                         random_state=None):
    """Train a linear layer with RMSprop on mini-batches of MSE, recording learning curves.

    Parameters
    ----------
    X_train : array (n, p)
    y_train : array (n,) or (n, q)
    X_test, y_test : arrays, optional
        Evaluated (never trained on) after every epoch.
    epochs : int, default=100
    batch_size : int, default=10
    lr, alpha, eps, momentum, weight_decay, centered :
        :class:`RMSprop` settings (defaults: the paper's); ``alpha`` is the smoothing constant,
        ``weight_decay`` the L2 penalty.
    shuffle : bool, default=True
        New random order of the training samples every epoch.
    init_coef : array (q, p) or (p,), optional
        Initial weights; ``U(-1/sqrt(p), 1/sqrt(p))`` (PyTorch ``nn.Linear``) by default.
    init_intercept : array (q,) or float, optional
        Initial bias; same default distribution.
    random_state : int, numpy.random.Generator or None
        Seeds the initial layer (drawn first: weights then bias) and the shuffling.

    Returns
    -------
    ReadoutTrainingResult
        ``coef`` (q, p), ``intercept`` (q,), learning curves of length ``epochs + 1``.

    References
    ----------
    Chen et al., arXiv:2211.02612 (2022); PyTorch ``torch.optim.RMSprop``, ``nn.Linear``,
    ``nn.MSELoss``, ``DataLoader``.

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.quantum import train_linear_readout
    >>> X = np.random.default_rng(0).normal(size=(40, 3))
    >>> y = X @ np.array([1.0, -0.5, 0.2])
    >>> out = train_linear_readout(X, y, epochs=3, random_state=0)
    >>> out.coef.shape[-1], len(out.train_mse)     # MSE before training + after each epoch
    (3, 4)
    """
    X = check_array("X_train", X_train, ndim=2)
    Y = _targets_2d("y_train", y_train, X.shape[0])
    n, p = X.shape
    q = Y.shape[1]
    if (X_test is None) != (y_test is None):
        raise ValueError("X_test and y_test must be given together.")
    if X_test is not None:
        Xt = check_array("X_test", X_test, ndim=2)
        if Xt.shape[1] != p:
            raise ValueError(f"X_test has {Xt.shape[1]} features, expected {p}.")
        Yt = _targets_2d("y_test", y_test, Xt.shape[0])
        if Yt.shape[1] != q:
            raise ValueError(f"y_test has {Yt.shape[1]} targets, expected {q}.")
    epochs = check_int("epochs", epochs, low=0)
    batch_size = check_int("batch_size", batch_size)
    rng = np.random.default_rng(random_state)
    bound = 1.0 / np.sqrt(p)
    coef = rng.uniform(-bound, bound, size=(q, p))
    intercept = rng.uniform(-bound, bound, size=q)
    if init_coef is not None:
        c = check_array("init_coef", init_coef)
        if c.size != q * p:
            raise ValueError(f"init_coef must have shape ({q}, {p}), got {c.shape}.")
        coef = c.reshape(q, p).copy()
    if init_intercept is not None:
        b = check_array("init_intercept", init_intercept)
        if b.size != q:
            raise ValueError(f"init_intercept must have {q} entries, got shape {b.shape}.")
        intercept = b.reshape(q).copy()
    opt = RMSprop([coef, intercept], lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                  momentum=momentum, centered=centered)

    def curves():
        tr = mse_linear_grad(X, Y, coef, intercept)[0]
        te = mse_linear_grad(Xt, Yt, coef, intercept)[0] if X_test is not None else np.nan
        return tr, te

    train_mse = np.empty(epochs + 1)
    test_mse = np.empty(epochs + 1)
    train_mse[0], test_mse[0] = curves()
    for epoch in range(epochs):
        for idx in minibatches(n, batch_size, shuffle, rng):
            _, gc, gb = mse_linear_grad(X[idx], Y[idx], coef, intercept)
            opt.step([gc, gb])
        train_mse[epoch + 1], test_mse[epoch + 1] = curves()
    if not np.all(np.isfinite(coef)):
        raise FloatingPointError("RMSprop diverged (non-finite weights); lower lr.")
    return ReadoutTrainingResult(coef=coef, intercept=intercept, train_mse=train_mse,
                                 test_mse=test_mse if X_test is not None else None,
                                 n_steps=opt.n_steps)


class RMSpropReadout(RegressorMixin, BaseEstimator):
    """Linear readout trained by RMSprop mini-batch gradient descent (the paper's protocol).

    Parameters
    ----------
    epochs : int, default=100
    batch_size : int, default=10
    lr : float, default=0.01
    alpha : float, default=0.99
        RMSprop's smoothing constant (PyTorch's name), not a ridge strength: this readout has
        no penalty.
    eps : float, default=1e-8
    momentum : float, default=0.0
    shuffle : bool, default=True
    random_state : int, numpy.random.Generator or None
        Seeds the initial layer (PyTorch ``nn.Linear`` initialisation) and the shuffling.

    Attributes
    ----------
    coef_ : array (n_targets, n_features), or (n_features,) when fitted on 1-D y
    intercept_ : array (n_targets,) or float
    train_mse_ : array (epochs + 1,)
        Training MSE before training and after every epoch.
    test_mse_ : array (epochs + 1,) or None
        The same on ``eval_set`` if one was passed to :meth:`fit`.
    n_iter_ : int
        Epochs run.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).normal(size=(60, 2)); y = X @ [0.5, -0.2] + 0.1
    >>> r = RMSpropReadout(epochs=200, random_state=0).fit(X, y)
    >>> bool(r.train_mse_[-1] < 1e-4)
    True

    References
    ----------
    Chen et al., arXiv:2211.02612 (2022); PyTorch ``torch.optim.RMSprop``.
    """

    _parameter_constraints = {
        "epochs": [Interval(numbers.Integral, 0)],
        "batch_size": [Interval(numbers.Integral, 1)],
        "lr": [Interval(numbers.Real, 0)],
        "alpha": [Interval(numbers.Real, 0, 1, closed="left")],
        "eps": [Interval(numbers.Real, 0)],
        "momentum": [Interval(numbers.Real, 0)],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
    }
    _fitted_schema = {
        "coef_": [Array(shape=("n_features_in_",)), Array(shape=(None, "n_features_in_"))],
        "intercept_": [Interval(numbers.Real), Array(ndim=1)],
        "train_mse_": [Array(ndim=1)],
        "test_mse_": [None, Array(ndim=1)],
        "n_iter_": [Interval(numbers.Integral, 0)],
        "n_features_in_": [Interval(numbers.Integral, 1)],
    }

    def __init__(self, epochs=100, batch_size=10, lr=0.01, alpha=0.99, eps=1e-8, momentum=0.0,
                 shuffle=True, random_state=None):
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.alpha = alpha
        self.eps = eps
        self.momentum = momentum
        self.shuffle = shuffle
        self.random_state = random_state

    def fit(self, X, y, eval_set=None):
        """Train from the PyTorch-style initial layer.

        Parameters
        ----------
        X : array (n_samples, n_features)
        y : array (n_samples,) or (n_samples, n_targets)
        eval_set : tuple (X_test, y_test), optional
            Scored after every epoch into ``test_mse_``.
        """
        check_params(self)
        X, y = validate_data(self, X, y, multi_output=True, y_numeric=True, dtype=np.float64)
        Xt = yt = None
        if eval_set is not None:
            if not isinstance(eval_set, (tuple, list)) or len(eval_set) != 2:
                raise ValueError("eval_set must be a tuple (X_test, y_test).")
            Xt, yt = eval_set
        res = train_linear_readout(X, y, Xt, yt, epochs=self.epochs, batch_size=self.batch_size,
                                   lr=self.lr, alpha=self.alpha, eps=self.eps,
                                   momentum=self.momentum, shuffle=self.shuffle,
                                   random_state=self.random_state)
        y1d = np.asarray(y).ndim == 1
        self.coef_ = res.coef[0] if y1d else res.coef
        self.intercept_ = float(res.intercept[0]) if y1d else res.intercept
        self.train_mse_ = res.train_mse
        self.test_mse_ = res.test_mse
        self.n_iter_ = int(self.epochs)
        return self

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True   # every target gets its own row of coef_
        return tags

    def predict(self, X):
        """``X coef^T + intercept``."""
        check_is_fitted(self, "coef_")
        X = validate_data(self, X, reset=False, dtype=np.float64)
        return X @ np.asarray(self.coef_).T + self.intercept_
