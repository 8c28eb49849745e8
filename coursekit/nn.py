"""Vectorized neural networks: layers with forward/backward, losses, SGD and ``fit``.

Samples are rows: a batch X has shape (N, D). Every layer follows CS231n's pattern:

- ``out = layer.forward(x)`` computes the output and caches what backward needs;
- ``dx = layer.backward(dout)`` returns d(loss)/d(x) and *sets* (does not add to) the
  parameter gradients in ``layer.grads``.

A ``Linear`` layer stores ``W`` with one row per output neuron and one column per input,
and ``b`` with one entry per output neuron, as in the lessons' notation
a(L) = sigma(W(L) a(L-1) + b(L)); on a batch of rows that is ``x @ W.T + b``.

The activation layers reuse the gates of :mod:`coursekit.gates` (``compute`` forward,
``vjp`` backward), so each activation's derivative is written once in the library.

Training: ``fit(model, X, Y, loss="mse", lr=..., steps=...)`` runs full-batch (or
minibatch) gradient descent and returns a :class:`History`.
"""

from __future__ import annotations

import math
import sys
import time
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import gates as G
from .gates import ShapeError

# ---------------------------------------------------------------------------
# Weight initialisation
# ---------------------------------------------------------------------------


def _std(method: str, fan_in: int, fan_out: int) -> float:
    stds = {
        "xavier": math.sqrt(2.0 / (fan_in + fan_out)),  # Glorot: keeps variances for sigmoid/tanh
        "he": math.sqrt(2.0 / fan_in),  # for ReLU-like units
        "lecun": math.sqrt(1.0 / fan_in),
        "half": 0.5,  # N(0, 1/4) for weights and biases: the heart lesson's choice
        "small": 0.01,
        "normal": 1.0,
    }
    if method not in stds:
        raise ValueError(f"unknown init {method!r}; choose one of: {', '.join(stds)}")
    return stds[method]


INITS = ("xavier", "he", "lecun", "half", "small", "normal")


def init_weights(
    shape: tuple[int, ...], method: str = "xavier", rng: np.random.Generator | int | None = 0
) -> np.ndarray:
    """Random weights of ``shape`` (..., fan_out, fan_in), drawn from N(0, std^2) for ``method``."""
    rng = np.random.default_rng(rng)
    fan_out, fan_in = shape[-2], shape[-1]
    return rng.normal(0.0, _std(method, fan_in, fan_out), shape)


# ---------------------------------------------------------------------------
# Layers
# ---------------------------------------------------------------------------


class Layer:
    """Base class: ``params`` and ``grads`` map names to arrays (empty for activations)."""

    def __init__(self) -> None:
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}

    def forward(self, x: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def backward(self, dout: np.ndarray, input_grad: bool = True) -> np.ndarray | None:  # pragma: no cover
        """Return d(loss)/d(input) (None when ``input_grad`` is False) and set ``grads``."""
        raise NotImplementedError

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.forward(x)

    def _check_2d(self, x: Any, features: int | None = None) -> np.ndarray:
        if not isinstance(x, np.ndarray) or x.ndim != 2 or (features is not None and x.shape[1] != features):
            want = f"(N, {features})" if features is not None else "(N, D)"
            got = f"shape {np.shape(x)}" if hasattr(x, "shape") or isinstance(x, list) else type(x).__name__
            raise ShapeError(f"{self!r}: input has {got}; expected {want}, one sample per row")
        return x


class Linear(Layer):
    """Affine layer: out = x @ W.T + b (or x @ W.T with ``bias=False``).

    Shapes: x (N, in_features) -> out (N, out_features); W (out_features, in_features);
    b (out_features,).
    """

    def __init__(
        self, in_features: int, out_features: int, init: str = "xavier", rng: Any = 0, bias: bool = True
    ):
        super().__init__()
        self.in_features, self.out_features, self.bias = in_features, out_features, bias
        rng = np.random.default_rng(rng)
        self.params["W"] = init_weights((out_features, in_features), init, rng)
        self.grads["W"] = np.zeros((out_features, in_features))
        if bias:
            self.params["b"] = (
                rng.normal(0.0, 0.5, out_features) if init == "half" else np.zeros(out_features)
            )
            self.grads["b"] = np.zeros(out_features)

    # np.dot rather than @ below: for the small matrices of the lessons its call overhead is
    # half of matmul's; the bias gradient (a column sum of dout) is likewise a dot with ones.

    def forward(self, x: np.ndarray) -> np.ndarray:
        if type(x) is not np.ndarray or x.ndim != 2 or x.shape[1] != self.in_features:
            self._check_2d(x, self.in_features)
        self.x = x
        out = np.dot(x, self.params["W"].T)
        if self.bias:
            out += self.params["b"]
        return out

    def backward(self, dout: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """dout (N, out) -> dx (N, in); sets grads W (out, in) = dout.T @ x and b = sum of dout over N."""
        np.dot(dout.T, self.x, out=self.grads["W"])
        if self.bias:
            n = dout.shape[0]
            if self._ones.shape[0] != n:
                self._ones = np.ones(n)
            np.dot(self._ones, dout, out=self.grads["b"])
        return np.dot(dout, self.params["W"]) if input_grad else None

    _ones = np.ones(0)

    def __repr__(self) -> str:
        extra = "" if self.bias else ", bias=False"
        return f"Linear({self.in_features} -> {self.out_features}{extra})"


class Activation(Layer):
    """An elementwise activation built on a gate: forward = gate.compute, backward = gate.vjp.

    Works on arrays of any shape; the output and gradients have the input's shape.
    """

    gate: G.Gate

    def forward(self, x: np.ndarray) -> np.ndarray:
        if not isinstance(x, np.ndarray):
            raise TypeError(f"{self!r}: expected a numpy array, got {type(x).__name__}")
        self.x = x
        self.out = self.gate.compute(x)
        return self.out

    def backward(self, dout: np.ndarray, input_grad: bool = True) -> np.ndarray:
        """dout (N, D) -> dx (N, D): dout times the activation's derivative, elementwise."""
        return self.gate.vjp(dout, self.out, self.x)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Sigmoid(Activation):
    """sigma(x) = 1 / (1 + e^-x); backward multiplies by (1 - sigma) sigma."""

    gate = G.SIGMOID


class Tanh(Activation):
    """tanh(x); backward multiplies by 1 - tanh^2."""

    gate = G.TANH


class ReLU(Activation):
    """max(0, x); backward passes the gradient where x > 0."""

    gate = G.RELU


class LeakyReLU(Activation):
    """max(slope x, x); backward multiplies by 1 where x > 0 and by slope elsewhere."""

    def __init__(self, slope: float = 0.1):
        super().__init__()
        self.gate = G.LeakyReLUGate(slope)

    def __repr__(self) -> str:
        return f"LeakyReLU({self.gate.slope:g})"


class ELU(Activation):
    """x for x >= 0, alpha (e^x - 1) otherwise."""

    def __init__(self, alpha: float = 1.0):
        super().__init__()
        self.gate = G.ELUGate(alpha)

    def __repr__(self) -> str:
        return f"ELU({self.gate.alpha:g})"


class Maxout(Layer):
    """max over k affine pieces: out[:, j] = max_i (x @ W[i, j] + b[i, j]).

    Shapes: x (N, in_features) -> out (N, out_features); W (pieces, out_features, in_features);
    b (pieces, out_features). The gradient is routed to the winning piece, as by a max gate.
    """

    def __init__(
        self, in_features: int, out_features: int, pieces: int = 2, init: str = "xavier", rng: Any = 0
    ):
        super().__init__()
        if pieces < 2:
            raise ValueError(f"Maxout needs at least 2 pieces, got {pieces}")
        self.in_features, self.out_features, self.pieces = in_features, out_features, pieces
        rng = np.random.default_rng(rng)
        self.params["W"] = init_weights((pieces, out_features, in_features), init, rng)
        self.params["b"] = np.zeros((pieces, out_features))
        self.grads["W"] = np.zeros_like(self.params["W"])
        self.grads["b"] = np.zeros_like(self.params["b"])

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x = self._check_2d(x, self.in_features)
        z = np.einsum("nd,kod->nko", x, self.params["W"]) + self.params["b"]  # (N, k, out)
        self.winner = np.argmax(z, axis=1)[:, None, :]  # (N, 1, out)
        return np.take_along_axis(z, self.winner, axis=1)[:, 0, :]

    def backward(self, dout: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """dout (N, out) -> dx (N, in); sets grads W (k, out, in) and b (k, out)."""
        dz = np.zeros((dout.shape[0], self.pieces, self.out_features))
        np.put_along_axis(dz, self.winner, dout[:, None, :], axis=1)  # the router
        self.grads["W"][...] = np.einsum("nko,nd->kod", dz, self.x)
        self.grads["b"][...] = dz.sum(axis=0)
        return np.einsum("nko,kod->nd", dz, self.params["W"]) if input_grad else None

    def __repr__(self) -> str:
        return f"Maxout({self.in_features} -> {self.out_features}, pieces={self.pieces})"


ACTIVATIONS: dict[str, Callable[[], Layer]] = {
    "sigmoid": Sigmoid,
    "tanh": Tanh,
    "relu": ReLU,
    "leaky_relu": LeakyReLU,
    "elu": ELU,
}


def make_activation(name: str) -> Layer:
    """An activation layer by name (see :data:`ACTIVATIONS`)."""
    if name not in ACTIVATIONS:
        raise ValueError(
            f"unknown activation {name!r}; choose one of: {', '.join(ACTIVATIONS)}, maxout, linear"
        )
    return ACTIVATIONS[name]()


# ---------------------------------------------------------------------------
# Models
# ---------------------------------------------------------------------------


class Sequential(Layer):
    """Layers applied in order; parameters are named W1, b1, W2, b2, ... by layer with weights.

    All parameters live in one flat array (``flat_params``) and all gradients in another
    (``flat_grads``); each layer's arrays are views into them. An SGD step is then one
    vectorized update instead of one per array, which matters for small networks.
    """

    def __init__(self, *layers: Layer):
        super().__init__()
        for layer in layers:
            if not isinstance(layer, Layer):
                raise TypeError(f"Sequential: expected layers, got {type(layer).__name__}")
        if not layers:
            raise ValueError("Sequential needs at least one layer")
        self.layers = list(layers)
        owned = []
        k = 0
        for layer in self.layers:
            if layer.params:
                k += 1
                owned += [(layer, name, f"{name}{k}") for name in layer.params]
        total = sum(layer.params[name].size for layer, name, _ in owned)
        self.flat_params, self.flat_grads = np.zeros(total), np.zeros(total)
        start = 0
        for layer, name, full in owned:
            p = layer.params[name]
            stop = start + p.size
            view_p = self.flat_params[start:stop].reshape(p.shape)
            view_g = self.flat_grads[start:stop].reshape(p.shape)
            view_p[...] = p
            layer.params[name], layer.grads[name] = view_p, view_g
            self.params[full], self.grads[full] = view_p, view_g
            start = stop

    def forward(self, x: np.ndarray) -> np.ndarray:
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, dout: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """Backpropagate dout (N, outputs) through every layer; return d(loss)/dX (N, inputs).

        With ``input_grad=False`` (as in training) the first layer skips dX, which nobody needs.
        """
        layers = self.layers
        for layer in layers[:0:-1]:
            dout = layer.backward(dout)
        return layers[0].backward(dout, input_grad)

    def parameters(self) -> dict[str, np.ndarray]:
        """Name -> parameter array; edit the arrays in place to change the model."""
        return dict(self.params)

    def gradients(self) -> dict[str, np.ndarray]:
        """Name -> gradient array from the last backward pass."""
        return dict(self.grads)

    def zero_grad(self) -> None:
        self.flat_grads.fill(0.0)

    def save(self, path: str | Path) -> None:
        """Write the parameters to an ``.npz`` file."""
        np.savez(path, **self.params)

    def load(self, path: str | Path) -> None:
        """Read parameters saved by :meth:`save` into this model (names and shapes must match)."""
        with np.load(path) as saved:
            if set(saved.files) != set(self.params):
                raise ValueError(
                    f"{path}: holds parameters {sorted(saved.files)}, this model has {sorted(self.params)}"
                )
            for name, p in self.params.items():
                if saved[name].shape != p.shape:
                    raise ShapeError(
                        f"{path}: {name} has shape {saved[name].shape}, the model's is {p.shape}"
                    )
                p[...] = saved[name]

    def __repr__(self) -> str:
        inner = ", ".join(map(repr, self.layers))
        return f"{type(self).__name__}({inner})"


class MLP(Sequential):
    """A fully-connected network: ``MLP([1, 6, 7, 2], activation="sigmoid", output_activation="sigmoid")``.

    ``sizes`` lists the neurons of each layer, inputs first. Hidden layers use
    ``activation`` (or Maxout units for "maxout"); the output layer uses
    ``output_activation`` (None or "linear" for raw scores).
    """

    def __init__(
        self,
        sizes: Iterable[int],
        activation: str = "relu",
        output_activation: str | None = None,
        init: str | None = None,
        seed: int = 0,
    ):
        sizes = [int(s) for s in sizes]
        if len(sizes) < 2 or min(sizes) < 1:
            raise ValueError(f"MLP needs at least two positive layer sizes, got {sizes}")
        if init is None:
            init = "he" if activation in ("relu", "leaky_relu", "elu", "maxout") else "xavier"
        rng = np.random.default_rng(seed)
        layers: list[Layer] = []
        last = len(sizes) - 2
        for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            act = activation if i < last else output_activation
            if act == "maxout":
                layers.append(Maxout(n_in, n_out, init=init, rng=rng))
                continue
            layers.append(Linear(n_in, n_out, init=init, rng=rng))
            if act not in (None, "linear"):
                layers.append(make_activation(act))
        super().__init__(*layers)
        self.sizes = sizes
        self.activation_name, self.output_activation = activation, output_activation

    def __repr__(self) -> str:
        return (
            f"MLP({self.sizes}, activation={self.activation_name!r}, "
            f"output_activation={self.output_activation!r})"
        )


def count_parameters(model: Layer) -> int:
    """The number of trainable numbers (weights and biases) in a model."""
    return int(sum(p.size for p in model.params.values()))


# ---------------------------------------------------------------------------
# Losses
# ---------------------------------------------------------------------------


class Loss:
    """``loss = L.forward(scores, targets)`` (a float); ``dscores = L.backward()``."""

    def __call__(self, scores: np.ndarray, targets: np.ndarray) -> float:
        return self.forward(scores, targets)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class SquaredError(Loss):
    """C = (1/N) sum_n ||a_n - y_n||^2: the mean over samples of the summed squared error.

    With ``reduction="sum"``, C = sum_n ||a_n - y_n||^2 (the 20-line two-layer network's loss).
    Shapes: scores (N, K), targets (N, K) -> float; backward -> (N, K) = 2 (a - y) / N (or without / N).
    """

    def __init__(self, reduction: str = "mean"):
        if reduction not in ("mean", "sum"):
            raise ValueError(f"SquaredError: reduction must be 'mean' or 'sum', got {reduction!r}")
        self.reduction = reduction

    def forward(self, scores: np.ndarray, targets: np.ndarray) -> float:
        if scores.shape != targets.shape:
            raise ShapeError(f"SquaredError: outputs have shape {scores.shape}, targets {targets.shape}")
        self.diff = np.subtract(scores, targets)
        n = scores.shape[0] if self.reduction == "mean" else 1
        if n != self._n:  # d(C)/d(scores) = diff * 2 / n, the factor kept as a 0-d array (see gates)
            self._n, self._factor = n, np.array(2.0 / n)
        flat = self.diff.reshape(-1)
        return float(np.dot(flat, flat)) / n

    def backward(self) -> np.ndarray:
        return np.multiply(self.diff, self._factor)

    _n = 0


def _labels(scores: np.ndarray, targets: Any, who: str) -> np.ndarray:
    targets = np.asarray(targets)
    if scores.ndim != 2:
        raise ShapeError(f"{who}: scores must have shape (N, classes), got {scores.shape}")
    if targets.shape != (scores.shape[0],) or targets.dtype.kind not in "iu":
        raise ShapeError(
            f"{who}: targets must be integer class labels of shape ({scores.shape[0]},), "
            f"got {targets.dtype} {targets.shape}"
        )
    if targets.size and (targets.min() < 0 or targets.max() >= scores.shape[1]):
        raise ValueError(f"{who}: labels must be in 0..{scores.shape[1] - 1}")
    return targets


def log_softmax(scores: np.ndarray) -> np.ndarray:
    """log softmax along the last axis by log-sum-exp: no overflow for any scores."""
    shifted = scores - scores.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def softmax(scores: np.ndarray) -> np.ndarray:
    """Probabilities along the last axis, computed stably (shifted by the maximum)."""
    e = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


class SoftmaxCrossEntropy(Loss):
    """Mean over samples of -log softmax(scores)[label].

    Shapes: scores (N, C), targets (N,) integer labels -> float; backward -> (N, C) = (p - onehot) / N.
    """

    def forward(self, scores: np.ndarray, targets: np.ndarray) -> float:
        self.labels = _labels(scores, targets, "SoftmaxCrossEntropy")
        logp = log_softmax(scores)
        self.p = np.exp(logp)
        rows = np.arange(scores.shape[0])
        return float(-logp[rows, self.labels].mean())

    def backward(self) -> np.ndarray:
        d = self.p.copy()
        d[np.arange(d.shape[0]), self.labels] -= 1.0
        return d / d.shape[0]


class MulticlassSVM(Loss):
    """Mean over samples of sum_{j != y} max(0, s_j - s_y + margin).

    Shapes: scores (N, C), targets (N,) integer labels -> float; backward -> (N, C).
    """

    def __init__(self, margin: float = 1.0):
        self.margin = margin

    def forward(self, scores: np.ndarray, targets: np.ndarray) -> float:
        self.labels = _labels(scores, targets, "MulticlassSVM")
        rows = np.arange(scores.shape[0])
        margins = np.maximum(0.0, scores - scores[rows, self.labels][:, None] + self.margin)
        margins[rows, self.labels] = 0.0
        self.active = (margins > 0).astype(float)
        return float(margins.sum() / scores.shape[0])

    def backward(self) -> np.ndarray:
        d = self.active.copy()
        rows = np.arange(d.shape[0])
        d[rows, self.labels] = -self.active.sum(axis=1)
        return d / d.shape[0]


LOSSES: dict[str, Callable[[], Loss]] = {
    "mse": SquaredError,
    "softmax": SoftmaxCrossEntropy,
    "svm": MulticlassSVM,
}


def make_loss(loss: str | Loss) -> Loss:
    """A loss object from a name in :data:`LOSSES` or a Loss instance."""
    if isinstance(loss, Loss):
        return loss
    if loss not in LOSSES:
        raise ValueError(f"unknown loss {loss!r}; choose one of: {', '.join(LOSSES)}")
    return LOSSES[loss]()


# ---------------------------------------------------------------------------
# Optimisation and training
# ---------------------------------------------------------------------------


class SGD:
    """Gradient descent on a model's parameters: p -= lr * grad, or with momentum
    v = momentum * v - lr * grad; p += v. Parameters are updated in place."""

    def __init__(self, model: Layer, lr: float = 0.1, momentum: float = 0.0):
        if lr <= 0:
            raise ValueError(f"SGD: the learning rate must be positive, got {lr}")
        if not 0 <= momentum < 1:
            raise ValueError(f"SGD: momentum must be in [0, 1), got {momentum}")
        self.lr, self.momentum = lr, momentum
        if isinstance(model, Sequential):  # one flat array: one update for all parameters
            self.pairs = [(model.flat_params, model.flat_grads)]
        else:
            self.pairs = [(model.params[k], model.grads[k]) for k in model.params]
        self.velocity = [np.zeros_like(p) for p, _ in self.pairs]
        self._scratch = [np.empty_like(p) for p, _ in self.pairs]

    def step(self) -> None:
        lr = self.lr
        if self.momentum:
            for (p, g), v, tmp in zip(self.pairs, self.velocity, self._scratch):
                v *= self.momentum
                np.multiply(g, lr, out=tmp)
                v -= tmp
                p += v
        else:
            for (p, g), tmp in zip(self.pairs, self._scratch):
                np.multiply(g, lr, out=tmp)
                p -= tmp


class TrainingWarning(RuntimeWarning):
    """Training stopped early, e.g. because the loss became NaN or infinite."""


@dataclass
class History:
    """What ``fit`` did: the loss at every step, the time taken, and how it ended."""

    loss: list[float] = field(default_factory=list)
    seconds: float = 0.0
    stopped: str = ""  # "", "diverged" or "callback"

    @property
    def steps(self) -> int:
        return len(self.loss)

    @property
    def final_loss(self) -> float:
        return self.loss[-1] if self.loss else math.nan

    def __repr__(self) -> str:
        end = f", stopped: {self.stopped}" if self.stopped else ""
        return f"History({self.steps} steps, final loss {self.final_loss:.6g}, {self.seconds:.2f} s{end})"


class _NotebookProgress:
    """A progress bar with the current loss, shown when running inside a Jupyter kernel."""

    def __init__(self, steps: int):
        import ipywidgets as widgets
        from IPython.display import display

        self.bar = widgets.IntProgress(min=0, max=steps, description="training")
        self.label = widgets.Label()
        display(widgets.HBox([self.bar, self.label]))
        self.next_update = 0.0

    def update(self, step: int, loss: float, force: bool = False) -> None:
        now = time.perf_counter()
        if force or now >= self.next_update:
            self.bar.value = step
            self.label.value = f"step {step}, loss {loss:.5g}"
            self.next_update = now + 0.1


def _in_notebook() -> bool:
    shell = sys.modules.get("IPython")
    if shell is None or "ipykernel" not in sys.modules:
        return False
    ip = shell.get_ipython()
    return ip is not None and hasattr(ip, "kernel")


def fit(
    model: Layer,
    X: np.ndarray,
    Y: np.ndarray,
    loss: str | Loss = "mse",
    lr: float = 0.1,
    steps: int = 1000,
    momentum: float = 0.0,
    batch_size: int | None = None,
    callback: Callable[[int, float, Layer], Any] | None = None,
    callback_every: int = 1,
    progress: bool | None = None,
    seed: int = 0,
    warn: bool = True,
) -> History:
    """Train ``model`` on (X, Y) by gradient descent and return the loss history.

    X (N, D); Y (N, K) targets for "mse", or (N,) integer labels for "softmax"/"svm".
    Full batch unless ``batch_size`` is given. ``callback(step, loss, model)`` runs every
    ``callback_every`` steps; returning False stops training. ``progress``: a progress bar
    (default: inside notebooks only). A NaN or infinite loss stops training with one warning
    (``warn=False``: silently; ``History.stopped`` says "diverged" either way).
    """
    loss_fn = make_loss(loss)
    X = np.asarray(X, dtype=np.float64)
    Y = np.asarray(Y)
    if Y.dtype.kind == "f" or isinstance(loss_fn, SquaredError):
        Y = Y.astype(np.float64)
    if X.ndim != 2:
        raise ShapeError(f"fit: X must have shape (N, D), one sample per row; got {X.shape}")
    if len(Y) != len(X):
        raise ShapeError(f"fit: X has {len(X)} samples but Y has {len(Y)}")
    optimizer = SGD(model, lr=lr, momentum=momentum)
    history = History()
    bar = _NotebookProgress(steps) if (progress if progress is not None else _in_notebook()) else None
    rng = np.random.default_rng(seed)
    n = len(X)
    record = history.loss.append
    start = time.perf_counter()
    with np.errstate(all="ignore"):  # a diverging run gives one clear warning below, not many
        for step in range(1, steps + 1):
            if batch_size is None or batch_size >= n:
                xb, yb = X, Y
            else:
                idx = rng.choice(n, batch_size, replace=False)
                xb, yb = X[idx], Y[idx]
            value = loss_fn.forward(model.forward(xb), yb)
            if not math.isfinite(value):
                history.stopped = "diverged"
                if warn:
                    warnings.warn(
                        f"fit: the loss became {value} at step {step} with learning rate {lr:g}; "
                        f"training stopped. Try a smaller learning rate, e.g. {lr / 10:g}.",
                        TrainingWarning,
                        stacklevel=2,
                    )
                break
            record(value)
            model.backward(loss_fn.backward(), input_grad=False)
            optimizer.step()
            if bar is not None:
                bar.update(step, value)
            if callback is not None and step % callback_every == 0 and callback(step, value, model) is False:
                history.stopped = "callback"
                break
    history.seconds = time.perf_counter() - start
    if bar is not None and history.loss:
        bar.update(history.steps, history.loss[-1], force=True)
    return history


__all__ = [
    "Layer",
    "Linear",
    "Activation",
    "Sigmoid",
    "Tanh",
    "ReLU",
    "LeakyReLU",
    "ELU",
    "Maxout",
    "ACTIVATIONS",
    "make_activation",
    "Sequential",
    "MLP",
    "count_parameters",
    "init_weights",
    "INITS",
    "Loss",
    "SquaredError",
    "SoftmaxCrossEntropy",
    "MulticlassSVM",
    "LOSSES",
    "make_loss",
    "softmax",
    "log_softmax",
    "SGD",
    "History",
    "TrainingWarning",
    "fit",
]
