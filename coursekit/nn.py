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
import os
import sys
import time
import warnings
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import gates as G
from ._blas import single_blas_thread
from ._checks import (
    describe,
    is_real,
    numeric_array,
    random_generator,
    real_number,
    where_not_finite,
    whole_number,
)
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
    if not isinstance(method, str) or method not in stds:
        raise ValueError(f"unknown init {method!r}; choose one of: {', '.join(stds)}")
    return stds[method]


INITS = ("xavier", "he", "lecun", "half", "small", "normal")


def init_weights(
    shape: tuple[int, ...], method: str = "xavier", rng: np.random.Generator | int | None = 0
) -> np.ndarray:
    """Random weights of ``shape`` (..., fan_out, fan_in), drawn from N(0, std^2) for ``method``."""
    if isinstance(shape, (int, np.integer)) or not hasattr(shape, "__len__") or len(shape) < 2:
        raise ShapeError(
            f"init_weights: shape must have at least two sizes (fan_out, fan_in), got {describe(shape)}; "
            "pass e.g. (3, 2)"
        )
    shape = tuple(whole_number(s, "each size in shape", "init_weights") for s in shape)
    rng = random_generator(rng, "init_weights")
    fan_out, fan_in = shape[-2], shape[-1]
    return rng.normal(0.0, _std(method, fan_in, fan_out), shape)


# ---------------------------------------------------------------------------
# Layers
# ---------------------------------------------------------------------------


_FLOAT64 = np.dtype(np.float64)


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
        """x as a float array of shape (N, features); lists and tuples of numbers are converted."""
        if not isinstance(x, np.ndarray) or x.dtype.kind not in "biuf":
            x = numeric_array(x, "the input", repr(self))
        if x.ndim != 2 or (features is not None and x.shape[1] != features):
            want = f"(N, {features})" if features is not None else "(N, D)"
            hint = ""
            if x.ndim == 1 and features is not None:
                if features == 1:
                    hint = " (N samples of one feature: x.reshape(-1, 1))"
                elif x.size == features:
                    hint = " (a single sample: x.reshape(1, -1))"
            elif x.ndim == 2 and features is not None and x.shape[0] == features:
                hint = " (samples are rows: did you mean x.T?)"
            raise ShapeError(
                f"{self!r}: input has shape {x.shape}; expected {want}, one sample per row{hint}"
            )
        if x.shape[0] == 0:
            raise ShapeError(f"{self!r}: input has shape {x.shape}: no samples; pass at least one row")
        return x

    def _cached(self, name: str) -> Any:
        """What forward stored, or a RuntimeError when backward comes first."""
        try:
            return getattr(self, name)
        except AttributeError:
            raise RuntimeError(
                f"{self!r}: backward called before forward; call forward(x) first, "
                "so the layer has the input its gradients need"
            ) from None

    def _check_dout(self, dout: Any, shape: tuple[int, ...]) -> np.ndarray:
        if type(dout) is not np.ndarray or dout.dtype.kind not in "biuf":
            dout = numeric_array(dout, "the upstream gradient dout", f"{self!r}.backward")
        if dout.shape != shape:
            raise ShapeError(
                f"{self!r}.backward: dout has shape {dout.shape}; expected {shape}, the shape of "
                "this layer's output in the last forward pass"
            )
        return dout


class Linear(Layer):
    """Affine layer: out = x @ W.T + b (or x @ W.T with ``bias=False``).

    Shapes: x (N, in_features) -> out (N, out_features); W (out_features, in_features);
    b (out_features,).
    """

    def __init__(
        self, in_features: int, out_features: int, init: str = "xavier", rng: Any = 0, bias: bool = True
    ):
        super().__init__()
        in_features = whole_number(in_features, "in_features", "Linear", example=3)
        out_features = whole_number(out_features, "out_features", "Linear", example=2)
        if not isinstance(bias, (bool, np.bool_)):
            raise TypeError(f"Linear: bias must be True or False, got {describe(bias)}")
        self.in_features, self.out_features, self.bias = in_features, out_features, bool(bias)
        self._row = (in_features,)  # the shape of one sample
        rng = random_generator(rng, "Linear")
        self.params["W"] = init_weights((out_features, in_features), init, rng)
        self.grads["W"] = np.zeros((out_features, in_features))
        if bias:
            self.params["b"] = (
                rng.normal(0.0, 0.5, out_features) if init == "half" else np.zeros(out_features)
            )
            self.grads["b"] = np.zeros(out_features)

    # np.dot rather than @ below: for the small matrices of the lessons its call overhead is
    # half of matmul's.

    def forward(self, x: np.ndarray) -> np.ndarray:
        """x (N, in_features), an array or a nested list of numbers -> out (N, out_features)."""
        if (
            type(x) is not np.ndarray or x.shape[1:] != self._row or not x.shape[0]
        ):  # (N, in_features), N >= 1
            x = self._check_2d(x, self.in_features)
        self.x = x
        out = np.dot(x, self.params["W"].T)
        if self.bias:
            out += self.params["b"]
        return out

    def backward(self, dout: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """dout (N, out) -> dx (N, in); sets grads W (out, in) = dout.T @ x and b = sum of dout over N."""
        try:
            x = self.x
        except AttributeError:
            self._cached("x")  # raises: backward before forward
        if type(dout) is not np.ndarray or dout.shape != (x.shape[0], self.out_features):
            dout = self._check_dout(dout, (x.shape[0], self.out_features))
        np.dot(dout.T, x, out=self.grads["W"])
        if self.bias:
            self.grads["b"][...] = dout.sum(axis=0)
        return np.dot(dout, self.params["W"]) if input_grad else None

    def __repr__(self) -> str:
        extra = "" if self.bias else ", bias=False"
        return f"Linear({self.in_features} -> {self.out_features}{extra})"


class Activation(Layer):
    """An elementwise activation built on a gate: forward = gate.compute, backward = gate.vjp.

    Works on arrays of any shape; the output and gradients have the input's shape.
    """

    gate: G.Gate

    def compute(self, x: np.ndarray) -> np.ndarray:
        """The activation itself: the gate's compute (a subclass may name the gate's function)."""
        return self.gate.compute(x)

    def forward(self, x: np.ndarray) -> np.ndarray:
        """x: an array (or nested list) of numbers of any shape -> out of the same shape."""
        if type(x) is not np.ndarray or x.dtype is not _FLOAT64:
            x = numeric_array(x, "the input", repr(self))
        self.x = x
        self.out = out = self.compute(x)
        return out

    def backward(self, dout: np.ndarray, input_grad: bool = True) -> np.ndarray:
        """dout (N, D) -> dx (N, D): dout times the activation's derivative, elementwise."""
        try:
            out = self.out
        except AttributeError:
            self._cached("out")  # raises: backward before forward
        if type(dout) is not np.ndarray or dout.shape != out.shape:
            dout = self._check_dout(dout, out.shape)
        return self.gate.vjp(dout, out, self.x)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Sigmoid(Activation):
    """sigma(x) = 1 / (1 + e^-x); backward multiplies by (1 - sigma) sigma."""

    gate = G.SIGMOID
    compute = staticmethod(G.sigmoid)  # what the gate's compute calls, one call fewer per forward


class Tanh(Activation):
    """tanh(x); backward multiplies by 1 - tanh^2."""

    gate = G.TANH
    compute = staticmethod(G.TANH.compute)


class ReLU(Activation):
    """max(0, x); backward passes the gradient where x > 0."""

    gate = G.RELU
    compute = staticmethod(G.RELU.compute)


class LeakyReLU(Activation):
    """max(slope x, x); backward multiplies by 1 where x > 0 and by slope elsewhere."""

    def __init__(self, slope: float = 0.1):
        super().__init__()
        slope = real_number(slope, "slope", "LeakyReLU", minimum=0.0, example=0.1)
        if slope >= 1:
            raise ValueError(f"LeakyReLU: slope must be in [0, 1), got {slope!r}; pass e.g. slope=0.1")
        self.gate = G.LeakyReLUGate(slope)
        self.compute = self.gate.compute

    def __repr__(self) -> str:
        return f"LeakyReLU({self.gate.slope:g})"


class ELU(Activation):
    """x for x >= 0, alpha (e^x - 1) otherwise."""

    def __init__(self, alpha: float = 1.0):
        super().__init__()
        self.gate = G.ELUGate(real_number(alpha, "alpha", "ELU", positive=True, example=1.0))
        self.compute = self.gate.compute

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
        in_features = whole_number(in_features, "in_features", "Maxout", example=3)
        out_features = whole_number(out_features, "out_features", "Maxout", example=2)
        pieces = whole_number(pieces, "pieces", "Maxout", minimum=2, example=2)
        self.in_features, self.out_features, self.pieces = in_features, out_features, pieces
        rng = random_generator(rng, "Maxout")
        self.params["W"] = init_weights((pieces, out_features, in_features), init, rng)
        self.params["b"] = np.zeros((pieces, out_features))
        self.grads["W"] = np.zeros_like(self.params["W"])
        self.grads["b"] = np.zeros_like(self.params["b"])

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x = x = self._check_2d(x, self.in_features)
        z = np.einsum("nd,kod->nko", x, self.params["W"]) + self.params["b"]  # (N, k, out)
        self.winner = np.argmax(z, axis=1)[:, None, :]  # (N, 1, out)
        return np.take_along_axis(z, self.winner, axis=1)[:, 0, :]

    def backward(self, dout: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """dout (N, out) -> dx (N, in); sets grads W (k, out, in) and b (k, out)."""
        x = self._cached("x")
        dout = self._check_dout(dout, (x.shape[0], self.out_features))
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
    if not isinstance(name, str) or name not in ACTIVATIONS:
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
                hint = (
                    "; pass the layers as separate arguments: Sequential(*layers)"
                    if isinstance(layer, (list, tuple))
                    else "; e.g. Sequential(Linear(2, 3), ReLU(), Linear(3, 1))"
                )
                raise TypeError(f"Sequential: expected layers, got {describe(layer)}{hint}")
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

    def save(self, path: str | Path) -> Path:
        """Write the parameters to an ``.npz`` file and return its path.

        ``.npz`` is added when ``path`` does not end with it (as numpy does), so ``save("w")``
        writes ``w.npz``, which ``load("w")`` reads back.
        """
        target = _npz_path(path, "save")
        np.savez(target, **self.params)
        return target

    def load(self, path: str | Path) -> None:
        """Read parameters saved by :meth:`save` into this model (names and shapes must match).

        The file name follows :meth:`save`'s rule: ``load("w")`` reads ``w.npz``. Everything is
        checked before any parameter changes: a file that is not a saved model, other names or
        shapes, and values that are NaN, infinite or complex leave the model as it was.
        """
        target = _npz_path(path, "load")
        if not target.exists():
            raise FileNotFoundError(
                f"load: no file {str(target)!r}"
                + (
                    f" (the name {str(path)!r} gets .npz added, as save does)"
                    if str(target) != str(path)
                    else ""
                )
                + "; save a model there first with model.save(path), or check the folder and name"
            )
        not_a_model = (
            f"load: {str(target)!r} is not a saved coursekit model (an .npz file written by model.save)"
        )
        try:
            saved = np.load(target, allow_pickle=False)
        except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:  # pickles, text, cut files
            raise ValueError(f"{not_a_model}: numpy could not read it ({type(exc).__name__})") from None
        if not isinstance(saved, np.lib.npyio.NpzFile):
            raise ValueError(f"{not_a_model}: it holds a single array (.npy), not named parameters")
        try:
            with saved:
                arrays = {name: saved[name] for name in saved.files}
        except (ValueError, OSError, EOFError, zipfile.BadZipFile, KeyError) as exc:
            raise ValueError(f"{not_a_model}: numpy could not read it ({type(exc).__name__})") from None
        others = [name for name, a in arrays.items() if not isinstance(a, np.ndarray)]
        if others or not arrays:
            raise ValueError(f"{not_a_model}: it holds {', '.join(others) or 'no arrays'}")
        if set(arrays) != set(self.params):
            raise ValueError(
                f"{target}: holds parameters {sorted(arrays)}, this model has {sorted(self.params)}; "
                "load it into a model built with the same layer sizes"
            )
        for name, p in self.params.items():
            a = arrays[name]
            if a.shape != p.shape:
                raise ShapeError(
                    f"{target}: {name} has shape {a.shape}, the model's is {p.shape}; "
                    "load it into a model built with the same layer sizes"
                )
            if a.dtype.kind == "c":
                raise ValueError(
                    f"{target}: {name} has complex values; a model's parameters are real numbers "
                    "(the file was not written by model.save)"
                )
            if a.dtype.kind not in "biuf":
                raise ValueError(f"{target}: {name} holds {a.dtype}, not numbers; {not_a_model[6:]}")
            bad = where_not_finite(a.astype(np.float64), name)
            if bad:
                raise ValueError(
                    f"{target}: {name} has {bad}; a model saved with NaN or infinite weights "
                    "(e.g. after training diverged) cannot be used: train again with a smaller learning rate"
                )
        for name, p in self.params.items():
            p[...] = arrays[name]

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
        if isinstance(sizes, (str, bytes)) or not isinstance(sizes, Iterable):
            raise TypeError(
                f"MLP: sizes must be a list of layer sizes such as [2, 8, 1], got {describe(sizes)}"
            )
        given = list(sizes)
        if len(given) < 2:
            raise ValueError(
                f"MLP: sizes needs at least two layer sizes (inputs and outputs), got {given}; "
                "pass e.g. [2, 8, 1]"
            )
        for i, s in enumerate(given):
            if not is_real(s) or not math.isfinite(s) or s != int(s) or s < 1:
                raise (TypeError if not is_real(s) else ValueError)(
                    f"MLP: layer sizes must be positive whole numbers, but sizes[{i}] is {describe(s)} "
                    f"in {given}; pass e.g. [2, 8, 1]"
                )
        sizes = [int(s) for s in given]
        for name, value in (("activation", activation), ("output_activation", output_activation)):
            if value is None:  # a linear layer, as "linear"
                continue
            if value not in ("maxout", "linear") and (not isinstance(value, str) or value not in ACTIVATIONS):
                raise ValueError(
                    f"MLP: unknown {name} {value!r}; choose one of: {', '.join(ACTIVATIONS)}, maxout"
                    + (", linear" if name == "output_activation" else "")
                    + " (the activation name of the lessons)"
                )
        if init is None:
            init = "he" if activation in ("relu", "leaky_relu", "elu", "maxout") else "xavier"
        rng = random_generator(seed, "MLP")
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


def _npz_path(path: Any, who: str) -> Path:
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{who}: path must be a file name such as 'weights.npz', got {describe(path)}")
    text = os.fspath(path)
    if not text:
        raise ValueError(f"{who}: path is empty; pass a file name such as 'weights.npz'")
    return Path(text if text.endswith(".npz") else text + ".npz")


def count_parameters(model: Layer) -> int:
    """The number of trainable numbers (weights and biases) in a model."""
    if not isinstance(model, Layer):
        raise TypeError(
            f"count_parameters: expected a layer or model such as nn.MLP(...), got {describe(model)}"
        )
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
        self._mean = reduction == "mean"

    def forward(self, scores: np.ndarray, targets: np.ndarray) -> float:
        if (
            type(scores) is not np.ndarray
            or type(targets) is not np.ndarray
            or scores.shape != targets.shape
            or not scores.ndim
        ):
            scores, targets = self._check(scores, targets)
        self.diff = np.subtract(scores, targets)
        n = len(scores) if self._mean else 1
        if n != self._n:  # d(C)/d(scores) = diff * 2 / n, the factor kept as a 0-d array (see gates)
            if n == 0:
                raise ShapeError(f"SquaredError: outputs of shape {scores.shape} hold no samples")
            self._n, self._factor = n, np.array(2.0 / n)
        flat = self.diff.reshape(-1)
        return float(np.dot(flat, flat)) / n

    @staticmethod
    def _check(scores: Any, targets: Any) -> tuple[np.ndarray, np.ndarray]:
        """The slow path of forward: convert lists, explain shape mismatches."""
        scores = numeric_array(scores, "the outputs (scores)", "SquaredError")
        targets = numeric_array(targets, "the targets", "SquaredError")
        if scores.shape != targets.shape:
            hint = ""
            if targets.ndim == 1 and scores.shape == (targets.shape[0], 1):
                hint = "; make the targets a column with Y.reshape(-1, 1)"
            elif scores.ndim == 2 and targets.shape == scores.shape[::-1]:
                hint = "; samples are rows: transpose the targets (Y.T)"
            else:
                hint = "; the last layer needs one neuron per target column"
            raise ShapeError(
                f"SquaredError: outputs have shape {scores.shape}, targets {targets.shape}: "
                f"they must be the same{hint}"
            )
        if scores.ndim == 0:
            raise ShapeError(
                "SquaredError: outputs are a single number; expected shape (N, K), one sample per row"
            )
        return scores, targets

    def backward(self) -> np.ndarray:
        if not hasattr(self, "diff"):
            raise RuntimeError(
                f"{self!r}: backward called before forward; call forward(scores, targets) first"
            )
        return np.multiply(self.diff, self._factor)

    _n = -1  # no batch seen yet


def _labels(scores: np.ndarray, targets: Any, who: str) -> tuple[np.ndarray, np.ndarray]:
    scores = numeric_array(scores, "scores", who)
    targets = np.asarray(targets)
    if scores.ndim != 2 or scores.shape[0] == 0:
        raise ShapeError(f"{who}: scores must have shape (N, classes) with N >= 1, got {scores.shape}")
    if targets.shape != (scores.shape[0],) or targets.dtype.kind not in "iu":
        hint = ""
        if targets.shape == scores.shape:
            hint = "; one-hot targets? pass the labels: Y.argmax(axis=1)"
        elif targets.dtype.kind == "f" and targets.shape == (scores.shape[0],):
            hint = "; convert whole-number floats with y.astype(int)"
        raise ShapeError(
            f"{who}: targets must be integer class labels of shape ({scores.shape[0]},), "
            f"got {targets.dtype} {targets.shape}{hint}"
        )
    if targets.size and (targets.min() < 0 or targets.max() >= scores.shape[1]):
        raise ValueError(
            f"{who}: labels must be in 0..{scores.shape[1] - 1} (the scores have {scores.shape[1]} "
            f"columns), got labels from {targets.min()} to {targets.max()}; the last layer needs one "
            "neuron per class"
        )
    return scores, targets


def log_softmax(scores: np.ndarray) -> np.ndarray:
    """log softmax along the last axis by log-sum-exp: no overflow for any scores."""
    scores = _scores(scores, "log_softmax")
    shifted = scores - scores.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def _scores(scores: Any, who: str) -> np.ndarray:
    if type(scores) is not np.ndarray or scores.dtype.kind not in "biuf":
        scores = numeric_array(scores, "scores", who)
    if scores.ndim == 0 or scores.shape[-1] == 0:
        raise ShapeError(f"{who}: scores of shape {scores.shape} have no classes along the last axis")
    return scores


def softmax(scores: np.ndarray) -> np.ndarray:
    """Probabilities along the last axis, computed stably (shifted by the maximum)."""
    scores = _scores(scores, "softmax")
    e = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


class SoftmaxCrossEntropy(Loss):
    """Mean over samples of -log softmax(scores)[label].

    Shapes: scores (N, C), targets (N,) integer labels -> float; backward -> (N, C) = (p - onehot) / N.
    """

    def forward(self, scores: np.ndarray, targets: np.ndarray) -> float:
        scores, self.labels = _labels(scores, targets, "SoftmaxCrossEntropy")
        logp = log_softmax(scores)
        self.p = np.exp(logp)
        rows = np.arange(scores.shape[0])
        return float(-logp[rows, self.labels].mean())

    def backward(self) -> np.ndarray:
        if not hasattr(self, "p"):
            raise RuntimeError(
                f"{self!r}: backward called before forward; call forward(scores, targets) first"
            )
        d = self.p.copy()
        d[np.arange(d.shape[0]), self.labels] -= 1.0
        return d / d.shape[0]


class MulticlassSVM(Loss):
    """Mean over samples of sum_{j != y} max(0, s_j - s_y + margin).

    Shapes: scores (N, C), targets (N,) integer labels -> float; backward -> (N, C).
    """

    def __init__(self, margin: float = 1.0):
        self.margin = real_number(margin, "margin", "MulticlassSVM", minimum=0.0, example=1.0)

    def forward(self, scores: np.ndarray, targets: np.ndarray) -> float:
        scores, self.labels = _labels(scores, targets, "MulticlassSVM")
        rows = np.arange(scores.shape[0])
        margins = np.maximum(0.0, scores - scores[rows, self.labels][:, None] + self.margin)
        margins[rows, self.labels] = 0.0
        self.active = (margins > 0).astype(float)
        return float(margins.sum() / scores.shape[0])

    def backward(self) -> np.ndarray:
        if not hasattr(self, "active"):
            raise RuntimeError(
                f"{self!r}: backward called before forward; call forward(scores, targets) first"
            )
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
    if isinstance(loss, type) and issubclass(loss, Loss):
        raise TypeError(
            f"loss: pass a loss object, {loss.__name__}(), or a name, not the class {loss.__name__}"
        )
    if not isinstance(loss, str) or loss not in LOSSES:
        raise ValueError(f"unknown loss {loss!r}; choose one of: {', '.join(LOSSES)}, or a Loss object")
    return LOSSES[loss]()


# ---------------------------------------------------------------------------
# Optimisation and training
# ---------------------------------------------------------------------------


def _learning_rate(lr: Any, who: str) -> float:
    if not is_real(lr):
        raise TypeError(
            f"{who}: the learning rate lr must be a positive number, got {describe(lr)}; pass e.g. lr=0.1"
        )
    if not math.isfinite(lr) or lr <= 0:
        raise ValueError(
            f"{who}: the learning rate lr must be a positive finite number, got {lr!r}; pass e.g. lr=0.1 "
            "(try a few values 10 times apart: 1, 0.1, 0.01)"
        )
    return float(lr)


class SGD:
    """Gradient descent on a model's parameters: p -= lr * grad, or with momentum
    v = momentum * v - lr * grad; p += v. Parameters are updated in place."""

    def __init__(self, model: Layer, lr: float = 0.1, momentum: float = 0.0, who: str = "SGD"):
        if not isinstance(model, Layer):
            raise TypeError(
                f"{who}: model must be a coursekit layer or model such as nn.MLP(...), got {describe(model)}"
            )
        if not model.params:
            raise ValueError(
                f"{who}: {model!r} has no parameters to train; give it a Linear layer, e.g. nn.MLP([2, 8, 1])"
            )
        lr = _learning_rate(lr, who)
        momentum = real_number(momentum, "momentum", who, minimum=0.0, example=0.9)
        if momentum >= 1:
            raise ValueError(f"{who}: momentum must be in [0, 1), got {momentum!r}; pass e.g. momentum=0.9")
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


class _Progress:
    """fit's progress bar: tqdm's (a widget in notebooks, text on stderr in a terminal), with the loss.

    The bar is redrawn at most ten times a second, so it costs nothing per step.
    """

    def __init__(self, steps: int):
        from tqdm.auto import tqdm

        self.bar = tqdm(total=steps, desc="training", unit="step", leave=True, dynamic_ncols=True)
        self.next_update = 0.0

    def update(self, step: int, loss: float, force: bool = False) -> None:
        now = time.perf_counter()
        if force or now >= self.next_update:
            self.bar.set_postfix_str(f"loss {loss:.5g}", refresh=False)
            self.bar.update(step - self.bar.n)
            self.next_update = now + 0.1

    def close(self) -> None:
        self.bar.close()


def _in_notebook() -> bool:
    shell = sys.modules.get("IPython")
    if shell is None or "ipykernel" not in sys.modules:
        return False
    ip = shell.get_ipython()
    return ip is not None and hasattr(ip, "kernel")


def _fit_data(model: Layer, X: Any, Y: Any, loss_fn: Loss) -> tuple[np.ndarray, np.ndarray]:
    """X and Y as float (or integer label) arrays, checked before any step runs."""
    X = numeric_array(X, "X", "fit")
    if X.ndim != 2:
        hint = " (N samples of one feature: X.reshape(-1, 1))" if X.ndim == 1 else ""
        raise ShapeError(f"fit: X must have shape (N, D), one sample per row; got {X.shape}{hint}")
    if X.shape[0] == 0:
        raise ShapeError(f"fit: X has shape {X.shape}: no samples to train on; pass at least one row")
    bad = where_not_finite(X, "X")
    if bad:
        raise ValueError(f"fit: the data X has {bad}; remove or fill those samples before training")
    Y = np.asarray(Y) if not isinstance(Y, np.ndarray) else Y
    if Y.dtype.kind == "c" or Y.dtype.kind not in "biuf":
        Y = numeric_array(Y, "Y", "fit")  # raises the message for text, complex or ragged targets
    if Y.dtype.kind in "fb" or isinstance(loss_fn, SquaredError):
        Y = Y.astype(np.float64)
    if Y.ndim == 0 or len(Y) != len(X):
        raise ShapeError(f"fit: X has {len(X)} samples but Y has {len(Y) if Y.ndim else 0}")
    bad = where_not_finite(Y, "Y") if Y.dtype.kind == "f" else ""
    if bad:
        raise ValueError(f"fit: the targets Y have {bad}; remove or fill those samples before training")
    first = model.layers[0] if isinstance(model, Sequential) else model
    features = getattr(first, "in_features", None)
    if features is not None and X.shape[1] != features:
        raise ShapeError(
            f"fit: X has {X.shape[1]} features (columns) but the model's first layer {first!r} takes "
            f"{features}; build the model with {X.shape[1]} inputs, e.g. MLP([{X.shape[1]}, ...])"
        )
    return X, Y


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

    X (N, D); Y (N, K) targets for "mse", or (N,) integer labels for "softmax"/"svm". Both are
    checked first: NaN or infinite entries are an error that says where they are.
    ``lr`` is a positive finite number and ``steps`` a positive whole number.
    Full batch unless ``batch_size`` is given (a positive whole number; N or more is the full
    batch). ``callback(step, loss, model)`` runs every ``callback_every`` steps; returning False
    stops training. ``progress``: a tqdm progress bar with the loss (default: inside notebooks
    only, where it is a widget; in a terminal it writes to stderr). A NaN or infinite loss stops
    training with one warning (``warn=False``: silently; ``History.stopped`` says "diverged"
    either way). BLAS runs on one thread while training: faster for the lessons' small matrices.
    """
    if not isinstance(model, Layer):
        raise TypeError(
            f"fit: model must be a coursekit layer or model such as nn.MLP([2, 8, 1]), got {describe(model)}"
        )
    loss_fn = make_loss(loss)
    steps = whole_number(steps, "steps", "fit", example=1000)
    if batch_size is not None:
        batch_size = whole_number(batch_size, "batch_size", "fit", example=32)
    callback_every = whole_number(callback_every, "callback_every", "fit", example=10)
    if callback is not None and not callable(callback):
        raise TypeError(
            f"fit: callback must be a function callback(step, loss, model), got {describe(callback)}"
        )
    for name, flag in (("progress", progress), ("warn", warn)):
        if not (flag is None and name == "progress") and not isinstance(flag, (bool, np.bool_)):
            raise TypeError(f"fit: {name} must be True or False, got {describe(flag)}")
    X, Y = _fit_data(model, X, Y, loss_fn)
    optimizer = SGD(model, lr=lr, momentum=momentum, who="fit")
    lr = optimizer.lr
    rng = random_generator(seed, "fit")
    history = History()
    bar = _Progress(steps) if (progress if progress is not None else _in_notebook()) else None
    n = len(X)
    full_batch = batch_size is None or batch_size >= n
    # bound methods as locals: the loop below runs thousands of times on tiny matrices
    record, forward, backward = history.loss.append, model.forward, model.backward
    loss_forward, loss_backward, update = loss_fn.forward, loss_fn.backward, optimizer.step
    start = time.perf_counter()
    try:
        # one BLAS thread: the lessons' matrices are too small for OpenBLAS's threads to pay off;
        # np.errstate: a diverging run gives one clear warning below, not many
        with single_blas_thread(), np.errstate(all="ignore"):
            for step in range(1, steps + 1):
                if full_batch:
                    xb, yb = X, Y
                else:
                    idx = rng.choice(n, batch_size, replace=False)
                    xb, yb = X[idx], Y[idx]
                value = loss_forward(forward(xb), yb)
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
                backward(loss_backward(), False)  # input_grad=False: nobody needs dL/dX
                update()
                if bar is not None:
                    bar.update(step, value)
                if (
                    callback is not None
                    and step % callback_every == 0
                    and callback(step, value, model) is False
                ):
                    history.stopped = "callback"
                    break
    finally:
        history.seconds = time.perf_counter() - start
        if bar is not None:
            if history.loss:
                bar.update(history.steps, history.loss[-1], force=True)
            bar.close()
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
