"""Fully trained QRNN / QLSTM / QGRU: the baseline of the QRNN-RC paper.

The same cells as :mod:`rcpod.quantum.cells` and the same linear layer as the reservoirs, but every
circuit weight is trained too, by the paper's optimiser (:class:`rcpod.quantum.readout_training.RMSprop`
with ``lr=0.01, alpha=0.99, eps=1e-8``, MSE, batches of 10 shuffled windows). Gradients are
computed with PennyLane's autograd interface (``qml.grad`` over ``pennylane.numpy`` arrays), on
the windowed protocol (zero state per window, last step's features, see :mod:`rcpod.reservoir.windows`).

Two exact, differentiable evaluators of the circuits (``backend``, the words of the vocabulary
table in :mod:`rcpod.quantum`):

``"fast"`` (default)
    ``VQC_k(v) = U_k |enc(v)>`` with the variational unitary ``U_k`` assembled, differentiably,
    from PennyLane's own gate matrices: ``U = prod_l (Rot_l,0 (x) ... (x) Rot_l,n-1) P`` with
    ``qml.Rot.compute_matrix`` and ``P = qml.matrix`` of the two CNOT rings (a constant
    permutation). The encoded product state (:func:`rcpod.quantum.fast.product_states`) and
    ``<Z_i> = sum_k |psi_k|^2 s_ik`` are those of the frozen fast backend, run with
    ``pennylane.numpy``. One unitary per circuit and mini-batch, shared by every window and step:
    about 20x faster than the QNode.
``"pennylane"``
    A ``default.qubit`` QNode of :func:`rcpod.quantum.circuits.vqc` with ``diff_method="backprop"``
    (which needs that device) and parameter broadcasting over the batch (the reference; slow).

Both give the same values and gradients to ~1e-12 (tested), and the same values as the frozen
:class:`rcpod.quantum.QuantumReservoir` with equal weights. The names of rcpod 0.1, ``"matrix"``
(now ``"fast"``) and ``"qnode"`` (now ``"pennylane"``), still work with a FutureWarning.

``alpha`` here is RMSprop's smoothing constant (PyTorch's name), not a ridge strength.

Cost (measured on the shared 2-core project machine, 4 qubits, 2 layers, window 4, batch 10,
``backend="fast"``): about 7 ms (QRNN), 20 ms (QGRU), 40 ms (QLSTM) per mini-batch gradient
(``"pennylane"``: about 350 ms for QRNN); 100 epochs of QRNN on the damped-oscillator task
(157 training windows) take 50-65 s.

References
----------
.. [1] S. Y.-C. Chen, D. Fry, A. Deshmukh, V. Rastunkov, C. Stefanski, "Reservoir Computing via
   Quantum Recurrent Neural Networks", arXiv:2211.02612, 2022 (fully trained QRNN / QLSTM / QGRU
   baselines).
.. [2] S. Y.-C. Chen, S. Yoo, Y.-L. L. Fang, "Quantum Long Short-Term Memory", arXiv:2009.01783,
   2020.
.. [3] PennyLane documentation: ``qml.grad``, ``qml.Rot``, ``qml.matrix``, backpropagation on
   ``default.qubit``.
"""
from __future__ import annotations

import logging
import numbers
import time
import warnings

import numpy as np
import pennylane as qml
from pennylane import numpy as pnp
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted, column_or_1d

from rcpod.reservoir.validation import Array, Interval, Options, check_array, check_params
from rcpod.reservoir.windows import check_windows

from .cells import init_weights, make_cell
from .circuits import entangler_pairs, vqc
from .fast import product_states, z_signs
from .readout_training import RMSprop, RMSpropReadout, minibatches
from .reservoir import QuantumReservoir

logger = logging.getLogger(__name__)

__all__ = ["TrainedQuantumRNN", "model_loss", "model_loss_and_grad", "make_evaluator",
           "cnot_permutation", "differentiable_unitary", "window_features_autograd"]


# -- circuits ------------------------------------------------------------------------------------
def cnot_permutation(n_qubits):
    """Matrix of the two CNOT rings of one variational layer (``qml.matrix``), real (2^n, 2^n).

    Parameters
    ----------
    n_qubits : int
        Number of wires; one wire has no CNOT and gives the identity.

    Returns
    -------
    P : float array of shape (2**n_qubits, 2**n_qubits)
        A permutation matrix.

    Examples
    --------
    >>> from rcpod.quantum.trained import cnot_permutation
    >>> cnot_permutation(2).tolist()                # CNOT(0, 1) then CNOT(1, 0)
    [[1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0], [0.0, 1.0, 0.0, 0.0]]
    >>> cnot_permutation(1).tolist()
    [[1.0, 0.0], [0.0, 1.0]]
    """
    wires = list(range(n_qubits))
    pairs = entangler_pairs(n_qubits)

    def rings():
        for c, t in pairs:
            qml.CNOT(wires=[c, t])

    if not pairs:
        return np.eye(2 ** n_qubits)
    return np.real(np.asarray(qml.matrix(rings, wire_order=wires)(), dtype=np.complex128))


def _kron_rows(mats):
    """Kronecker product of a list of (2, 2) matrices (autograd-friendly, wire 0 first)."""
    out = mats[0]
    for m in mats[1:]:
        a, b = out.shape
        out = (out[:, None, :, None] * m[None, :, None, :]).reshape(a * 2, b * 2)
    return out


def differentiable_unitary(weights, perm):
    """Variational unitary ``prod_l (Rot_l (x) ...) P`` from PennyLane gate matrices.

    Parameters
    ----------
    weights : array (L, n, 3)
        ``pennylane.numpy`` tensor (differentiable) or plain array.
    perm : array (2^n, 2^n)
        :func:`cnot_permutation` of ``n`` qubits.

    Returns
    -------
    U : complex array (2^n, 2^n), equal to :func:`rcpod.quantum.circuits.variational_unitary`.

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.quantum.circuits import variational_unitary
    >>> from rcpod.quantum.trained import cnot_permutation, differentiable_unitary
    >>> w = np.random.default_rng(0).uniform(0, np.pi, (2, 3, 3))      # 2 layers, 3 qubits
    >>> bool(np.allclose(differentiable_unitary(w, cnot_permutation(3)), variational_unitary(w)))
    True
    """
    n = weights.shape[1]
    U = None
    for layer in range(weights.shape[0]):
        rot = qml.Rot.compute_matrix(weights[layer, :, 0], weights[layer, :, 1],
                                     weights[layer, :, 2])  # (n, 2, 2), broadcast over wires
        K = _kron_rows([rot[i] for i in range(n)])
        U = K @ perm if U is None else K @ (perm @ U)
    return U


#: The evaluators (the ``backend`` vocabulary of rcpod.quantum) and the 0.1 names they replace.
BACKENDS = ("fast", "pennylane")
_OLD_BACKENDS = {"matrix": "fast", "qnode": "pennylane"}


def _resolve_backend(backend):
    """``backend`` in the current vocabulary; the 0.1 names give a FutureWarning."""
    if backend in _OLD_BACKENDS:
        new = _OLD_BACKENDS[backend]
        warnings.warn(f"backend={backend!r} is deprecated and will be removed; use "
                      f"backend={new!r} (the same evaluator).", FutureWarning, stacklevel=3)
        return new
    if backend not in BACKENDS:
        raise ValueError(f"backend must be 'fast' or 'pennylane', got {backend!r}.")
    return backend


def make_evaluator(weights, n_qubits, backend="fast", _cache=None):
    """Callable ``evaluate(k, v) -> <Z_i>`` (B, n) of circuit ``k`` with ``weights[k]``.

    Parameters
    ----------
    weights : array (n_circuits, L, n, 3)
        Differentiable (``pennylane.numpy``) or plain.
    n_qubits : int
    backend : {"fast", "pennylane"}, default="fast"
        See the module docstring (``"matrix"`` and ``"qnode"``: deprecated names of the two).
    _cache : dict, optional
        Holds the constant permutation / QNode between calls.

    Returns
    -------
    evaluate : callable ``(k, v) -> array (B, n)``
        ``v`` of shape (B, n); the same contract as :meth:`rcpod.quantum.fast.VQCBank.expvals` for one
        circuit.

    Examples
    --------
    Both backends give the same expectation values:

    >>> import numpy as np
    >>> from rcpod.quantum.cells import init_weights
    >>> from rcpod.quantum.trained import make_evaluator
    >>> w = init_weights(1, 1, 2, "uniform", np.random.default_rng(0))
    >>> v = np.full((3, 2), 0.3)
    >>> z = make_evaluator(w, 2)(0, v)
    >>> z.shape, bool(np.allclose(z, make_evaluator(w, 2, backend="pennylane")(0, v)))
    ((3, 2), True)
    """
    backend = _resolve_backend(backend)
    cache = {} if _cache is None else _cache
    if backend == "fast":
        if "perm" not in cache:
            cache["perm"] = cnot_permutation(n_qubits)
            cache["signs"] = z_signs(n_qubits)
        unitaries = [differentiable_unitary(weights[k], cache["perm"]) for k in range(weights.shape[0])]
        signs = cache["signs"]

        def evaluate(k, v):
            psi = product_states(v, xp=pnp) @ pnp.transpose(unitaries[k])
            prob = pnp.real(psi) ** 2 + pnp.imag(psi) ** 2
            return prob @ signs

        return evaluate
    if "qnode" not in cache:
        dev = qml.device("default.qubit", wires=n_qubits)
        wires = list(range(n_qubits))

        @qml.qnode(dev, interface="autograd", diff_method="backprop")
        def circuit(v, w):
            vqc(v, w, wires)
            return [qml.expval(qml.PauliZ(i)) for i in wires]

        cache["qnode"] = circuit

    def evaluate(k, v):
        return pnp.stack(cache["qnode"](v, weights[k]), axis=-1).reshape(v.shape[0], n_qubits)

    return evaluate


# -- the cells of rcpod.quantum.cells, run with pennylane.numpy --------------------------------------
def window_features_autograd(cell, evaluate, X):
    """Last-step features of each window from the zero state, differentiable by autograd.

    Runs :meth:`rcpod.quantum.cells.QuantumCell.step` (the one definition of the cell equations)
    with the array namespace ``pennylane.numpy``, so that ``qml.grad`` can differentiate through
    the circuits' weights.

    Parameters
    ----------
    cell : rcpod.quantum.cells.QuantumCell
    evaluate : callable from :func:`make_evaluator`
        ``evaluate(k, v)`` gives ``<Z_i>`` (B, n) of circuit ``k``.
    X : array (B, w, n_inputs)

    Returns
    -------
    features : array (B, cell.n_features)

    Examples
    --------
    The same features as the frozen cell of :mod:`rcpod.quantum.cells` run by the fast backend:

    >>> import numpy as np
    >>> from rcpod.quantum.cells import init_weights, make_cell
    >>> from rcpod.quantum.fast import VQCBank
    >>> from rcpod.quantum.trained import make_evaluator, window_features_autograd
    >>> cell = make_cell("rnn", n_qubits=2, n_inputs=1)
    >>> w = init_weights(1, 1, 2, "uniform", np.random.default_rng(0))
    >>> X = np.random.default_rng(1).uniform(-1, 1, (4, 3, 1))         # 4 windows of length 3
    >>> f = np.asarray(window_features_autograd(cell, make_evaluator(w, 2), X))
    >>> bank, h = VQCBank(w, cell.groups), np.zeros((4, cell.n_states))
    >>> for t in range(3):
    ...     h = cell.step(bank.expvals, h, X[:, t, :])
    >>> f.shape, bool(np.allclose(f, cell.features(h)))
    ((4, 1), True)
    """
    def evaluate_group(group, v):   # the cells' contract: every circuit of the group at once
        return pnp.stack([evaluate(k, v) for k in cell.groups[group]], axis=1)

    state = pnp.zeros((X.shape[0], cell.n_states))
    for t in range(X.shape[1]):
        state = cell.step(evaluate_group, state, X[:, t, :], xp=pnp)
    return cell.features(state)


def model_loss(cell, weights, coef, intercept, X, y, backend="fast", _cache=None):
    """MSE of ``features(X; weights) @ coef + intercept`` against ``y`` (autograd-differentiable).

    Parameters
    ----------
    cell : rcpod.quantum.cells.QuantumCell
    weights : array (n_circuits, L, n, 3)
    coef : array (n_features,)
    intercept : float or 0-d array
    X : array (B, w, n_inputs)
    y : array (B,)
    backend : {"fast", "pennylane"}, default="fast"
        See :func:`make_evaluator`.

    Returns
    -------
    loss : scalar (``pennylane.numpy`` tensor when differentiating)

    Examples
    --------
    With a zero linear layer the loss is the mean square of the targets:

    >>> import numpy as np
    >>> from rcpod.quantum.cells import init_weights, make_cell
    >>> from rcpod.quantum.trained import model_loss
    >>> cell = make_cell("rnn", n_qubits=2, n_inputs=1)
    >>> w = init_weights(1, 1, 2, "paper", np.random.default_rng(0))
    >>> X, y = np.zeros((4, 3, 1)), np.array([1.0, -1.0, 2.0, 0.0])
    >>> float(model_loss(cell, w, np.zeros(cell.n_features), 0.0, X, y))   # (1 + 1 + 4) / 4
    1.5
    """
    evaluate = make_evaluator(weights, cell.n_qubits, backend, _cache)
    pred = pnp.dot(window_features_autograd(cell, evaluate, X), coef) + intercept
    return pnp.mean((pred - y) ** 2)


def model_loss_and_grad(cell, weights, coef, intercept, X, y, backend="fast", _cache=None):
    """Loss and gradients w.r.t. ``(weights, coef, intercept)`` by ``qml.grad`` (autograd).

    Parameters
    ----------
    cell, weights, coef, intercept, X, y, backend
        As :func:`model_loss`.
    _cache : dict, optional
        Holds the constant permutation / QNode between calls.

    Returns
    -------
    loss : float
    grads : tuple of numpy arrays (shapes of ``weights``, ``coef``, ``intercept``)

    Examples
    --------
    The intercept's gradient is twice the mean residual:

    >>> import numpy as np
    >>> from rcpod.quantum.cells import init_weights, make_cell
    >>> from rcpod.quantum.trained import model_loss_and_grad
    >>> cell = make_cell("rnn", n_qubits=2, n_inputs=1)
    >>> w = init_weights(1, 1, 2, "paper", np.random.default_rng(0))
    >>> X, y = np.zeros((4, 3, 1)), np.array([1.0, -1.0, 2.0, 0.0])
    >>> loss, (g_w, g_coef, g_b) = model_loss_and_grad(cell, w, np.zeros(1), 1.0, X, y)
    >>> g_w.shape, g_coef.shape, round(loss, 6), round(float(g_b), 6)    # 2 * mean(1 - y) = 1
    ((1, 1, 2, 3), (1,), 1.5, 1.0)
    """
    w = pnp.array(np.asarray(weights, dtype=np.float64), requires_grad=True)
    c = pnp.array(np.asarray(coef, dtype=np.float64), requires_grad=True)
    b = pnp.array(np.asarray(intercept, dtype=np.float64), requires_grad=True)
    Xa = pnp.array(np.asarray(X, dtype=np.float64), requires_grad=False)
    ya = pnp.array(np.asarray(y, dtype=np.float64), requires_grad=False)
    grad_fn = qml.grad(lambda w_, c_, b_: model_loss(cell, w_, c_, b_, Xa, ya, backend, _cache),
                       argnums=[0, 1, 2])
    gw, gc, gb = grad_fn(w, c, b)
    loss = float(np.asarray(grad_fn.forward))
    return loss, (np.asarray(gw, dtype=np.float64), np.asarray(gc, dtype=np.float64),
                  np.asarray(gb, dtype=np.float64).reshape(np.shape(intercept)))


# -- estimator --------------------------------------------------------------------------------------
class TrainedQuantumRNN(RegressorMixin, BaseEstimator):
    """QRNN / QLSTM / QGRU + linear layer with *all* weights trained (windowed protocol).

    Parameters
    ----------
    cell : {"rnn", "lstm", "gru"}, default="rnn"
    n_qubits : int, default=4
    n_layers : int, default=2
    hidden_size : int or None, default=None
        ``n_qubits - n_inputs`` by default.
    init : {"paper", "uniform"}, default="paper"
        Initial circuit weights, as :class:`rcpod.quantum.QuantumReservoir` (same seed, same initial
        circuit weights).
    epochs : int, default=100
    batch_size : int, default=10
    lr, alpha, eps, momentum : float
        RMSprop settings, defaults the paper's (0.01, 0.99, 1e-8, 0); ``alpha`` is RMSprop's
        smoothing constant, not a ridge strength.
    shuffle : bool, default=True
    backend : {"fast", "pennylane"}, default="fast"
        Differentiable circuit evaluator (module docstring). ``"matrix"`` and ``"qnode"``, the
        rcpod 0.1 names of the two, still work with a FutureWarning.
    max_seconds : float or None, default=None
        Stop after the first epoch that ends past this wall time (the curves then have fewer
        entries; ``n_iter_`` says how many epochs ran).
    random_state : int, numpy.random.Generator or None
        Draws, in order: the circuit weights (as ``QuantumReservoir``), the linear layer
        (PyTorch ``nn.Linear``: ``U(-1/sqrt(p), 1/sqrt(p))``), then the shuffling.

    Attributes
    ----------
    weights_ : array (n_circuits, n_layers, n_qubits, 3)
        Trained circuit weights.
    initial_weights_ : array
        Their initial values.
    coef_ : array (n_features,)
    intercept_ : float
    train_mse_, test_mse_ : arrays (n_iter_ + 1,)
        Whole-set MSE before training and after each epoch (``test_mse_`` None without
        ``eval_set``).
    n_iter_ : int
    fit_seconds_ : float
    n_inputs_ : int
    cell_ : rcpod.quantum.cells.QuantumCell
        The cell description, a read-only property rebuilt from the parameters and
        ``n_inputs_`` (so a saved model needs only its arrays).

    References
    ----------
    Chen et al., arXiv:2211.02612 (2022).

    Examples
    --------
    >>> import numpy as np
    >>> from rcpod.quantum import TrainedQuantumRNN
    >>> X = np.random.default_rng(0).uniform(-1, 1, (10, 3, 1))       # 10 windows of length 3
    >>> y = X[:, -1, 0]
    >>> model = TrainedQuantumRNN(n_qubits=2, n_layers=1, epochs=1, random_state=0).fit(X, y)
    >>> model.predict(X).shape
    (10,)
    """

    _parameter_constraints = {
        **{k: QuantumReservoir._parameter_constraints[k]
           for k in ("cell", "n_qubits", "n_layers", "hidden_size", "init")},
        **{k: RMSpropReadout._parameter_constraints[k]
           for k in ("epochs", "batch_size", "lr", "alpha", "eps", "momentum", "shuffle",
                     "random_state")},
        # the 0.1 names stay valid values (with a FutureWarning when used) so old files load
        "backend": [Options({*BACKENDS, *_OLD_BACKENDS})],
        "max_seconds": [None, Interval(numbers.Real, 0)],
    }
    # circuit count and feature count depend on the cell: checked by cell_ (before any use)
    _fitted_schema = {
        "weights_": [Array(shape=(None, None, "n_qubits", 3))],
        "initial_weights_": [Array(shape=(None, None, "n_qubits", 3))],
        "coef_": [Array(ndim=1)],
        "intercept_": [Interval(numbers.Real)],
        "train_mse_": [Array(ndim=1)],
        "test_mse_": [None, Array(ndim=1)],
        "n_iter_": [Interval(numbers.Integral, 0)],
        "fit_seconds_": [Interval(numbers.Real, 0)],
        "n_inputs_": [Interval(numbers.Integral, 1)],
        "n_features_in_": [Interval(numbers.Integral, 1)],
    }
    _fitted_optional = frozenset({"n_features_in_"})   # absent from files written before 0.2

    def __init__(self, cell="rnn", n_qubits=4, n_layers=2, hidden_size=None, init="paper",
                 epochs=100, batch_size=10, lr=0.01, alpha=0.99, eps=1e-8, momentum=0.0,
                 shuffle=True, backend="fast", max_seconds=None, random_state=None):
        self.cell = cell
        self.n_qubits = n_qubits
        self.n_layers = n_layers
        self.hidden_size = hidden_size
        self.init = init
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.alpha = alpha
        self.eps = eps
        self.momentum = momentum
        self.shuffle = shuffle
        self.backend = backend
        self.max_seconds = max_seconds
        self.random_state = random_state

    def _validate(self):
        # n_qubits >= n_inputs + hidden_size is checked by make_cell in fit
        check_params(self)

    def _validate_fitted(self):
        """The fitted weights and readout fit the cell (checked on load, via :attr:`cell_`)."""
        if hasattr(self, "weights_"):
            self.__dict__.pop("_cell", None)
            self.cell_

    @property
    def cell_(self):
        """The cell description (:class:`rcpod.quantum.cells.QuantumCell`), rebuilt from the
        parameters and ``n_inputs_``; the fitted weights must fit it (checked once)."""
        cell = self.__dict__.get("_cell")
        if cell is None:
            check_is_fitted(self, "weights_")
            cell = make_cell(self.cell, self.n_qubits, self.n_inputs_, self.hidden_size)
            if (self.weights_.shape[0] != cell.n_circuits
                    or self.initial_weights_.shape != self.weights_.shape
                    or self.coef_.shape != (cell.n_features,)):
                raise ValueError(f"weights_ {self.weights_.shape}, initial_weights_ "
                                 f"{self.initial_weights_.shape} and coef_ {self.coef_.shape} do "
                                 f"not fit the {self.cell} cell ({cell.n_circuits} circuits, "
                                 f"{cell.n_features} features).")
            self._cell = cell
        return cell

    @staticmethod
    def _check_y(y, n):
        if y is None:
            raise ValueError("requires y to be passed, but the target y is None.")
        # float first: object arrays of numbers convert (as scikit-learn does), strings fail
        y = check_array("y", np.asarray(y, dtype=np.float64), allow_empty=True)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)   # DataConversionWarning, as scikit-learn does
        if y.shape != (n,):
            raise ValueError(f"y must have shape ({n},) (one target per window), got {y.shape}.")
        return y

    def fit(self, X, y, eval_set=None):
        """Train every weight with RMSprop on shuffled mini-batches of windows.

        Parameters
        ----------
        X : array (n_windows, w, n_inputs) or (n_windows, w)
        y : array (n_windows,)
        eval_set : tuple (X_test, y_test), optional
            Scored after every epoch into ``test_mse_``.
        """
        self._validate()
        self.__dict__.pop("_cell", None)
        X = check_windows(X)
        y = self._check_y(y, X.shape[0])
        if eval_set is not None:
            if not isinstance(eval_set, (tuple, list)) or len(eval_set) != 2:
                raise ValueError("eval_set must be a tuple (X_test, y_test).")
            Xt = check_windows(eval_set[0], X.shape[2])
            yt = self._check_y(eval_set[1], Xt.shape[0])
        cell = make_cell(self.cell, self.n_qubits, X.shape[2], self.hidden_size)
        rng = np.random.default_rng(self.random_state)
        weights = init_weights(cell.n_circuits, int(self.n_layers), cell.n_qubits, self.init, rng)
        p = cell.n_features
        bound = 1.0 / np.sqrt(p)
        coef = rng.uniform(-bound, bound, size=p)
        intercept = np.array(rng.uniform(-bound, bound))
        self.initial_weights_ = weights.copy()
        self.n_inputs_ = X.shape[2]
        self.n_features_in_ = X.shape[1] * X.shape[2]   # a window, flattened, is one sample
        opt = RMSprop([weights, coef, intercept], lr=self.lr, alpha=self.alpha, eps=self.eps,
                      momentum=self.momentum)
        cache = {}
        backend = _resolve_backend(self.backend)

        def mse(Xs, ys):
            return float(model_loss(cell, weights, coef, intercept, Xs, ys, backend, cache))

        train_curve = [mse(X, y)]
        test_curve = [mse(Xt, yt)] if eval_set is not None else None
        t0 = time.perf_counter()
        n_iter = 0
        for epoch in range(int(self.epochs)):
            for idx in minibatches(X.shape[0], int(self.batch_size), self.shuffle, rng):
                _, grads = model_loss_and_grad(cell, weights, coef, intercept, X[idx], y[idx],
                                               backend, cache)
                opt.step(list(grads))
            n_iter += 1
            train_curve.append(mse(X, y))
            if test_curve is not None:
                test_curve.append(mse(Xt, yt))
            logger.debug("epoch %d: train MSE %.3e", epoch + 1, train_curve[-1])
            if not np.all(np.isfinite(weights)) or not np.isfinite(train_curve[-1]):
                raise FloatingPointError("training diverged (non-finite loss or weights); lower lr.")
            if self.max_seconds is not None and time.perf_counter() - t0 > self.max_seconds:
                logger.info("max_seconds=%s reached after %d epochs", self.max_seconds, n_iter)
                break
        self.fit_seconds_ = time.perf_counter() - t0
        self.weights_ = weights
        self.coef_ = coef
        self.intercept_ = float(intercept)
        self.train_mse_ = np.array(train_curve)
        self.test_mse_ = np.array(test_curve) if test_curve is not None else None
        self.n_iter_ = n_iter
        self._cell = cell
        return self

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # a few-qubit one-step-ahead series model, not a regressor of static i.i.d. features
        tags.regressor_tags.poor_score = True
        return tags

    def features(self, X):
        """Last-step features of each window with the current circuit weights."""
        check_is_fitted(self, "weights_")
        X = check_windows(X, self.n_inputs_)
        n_in = getattr(self, "n_features_in_", None)
        if n_in is not None and X.shape[1] * X.shape[2] != n_in:
            raise ValueError(f"X has {X.shape[1] * X.shape[2]} features, but "
                             f"{type(self).__name__} is expecting {n_in} features as input "
                             f"(windows of {X.shape[1]} steps x {X.shape[2]} inputs).")
        evaluate = make_evaluator(self.weights_, self.cell_.n_qubits, self.backend)
        return np.asarray(window_features_autograd(self.cell_, evaluate, X), dtype=np.float64)

    def predict(self, X):
        """One-step-ahead prediction of each window, shape (n_windows,)."""
        return self.features(X) @ self.coef_ + self.intercept_
