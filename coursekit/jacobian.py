"""Jacobians: numerical, exact (from the engine), the lessons' analytic examples, and their cost.

Convention: for f: R^n -> R^m the Jacobian J has shape (m, n), **rows = outputs,
columns = inputs**: J[i, j] = d f_i / d x_j. Inputs and outputs that are matrices are
flattened in row-major (C) order. A scalar function's Jacobian is its gradient as a row (1, n).

Backpropagation never builds J: it computes the vector-Jacobian product
upstream @ J, which has the input's shape (:func:`vjp`). :func:`jacobian_size` shows why.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._checks import check_callable, describe, is_real, whole_number
from .engine import Value
from .gates import ShapeError, as_data, sigmoid
from .gradcheck import _step
from .nn import softmax


def _point(x: Any, who: str) -> np.ndarray:
    x = np.array(as_data(x, who), dtype=np.float64, ndmin=1)
    if x.size == 0:
        raise ValueError(
            f"{who}: x is empty (shape {x.shape}); a Jacobian needs at least one input, "
            "e.g. x=np.array([1.0, 2.0])"
        )
    return x


def _vector(x: Any, who: str) -> np.ndarray:
    """x as a 1-D float array (a number counts as one entry)."""
    x = np.array(as_data(x, who), dtype=np.float64, ndmin=1)
    if x.ndim != 1:
        raise ShapeError(
            f"{who}: x must be a vector (1-D), got shape {x.shape}; flatten it with x.ravel() "
            "(the Jacobian of an elementwise function on it is then (x.size, x.size))"
        )
    return x


def _matrix(W: Any, who: str) -> np.ndarray:
    W = np.array(as_data(W, who), dtype=np.float64)
    if W.ndim != 2 or 0 in W.shape:
        raise ShapeError(f"{who}: W must be a non-empty matrix (m, n), got shape {W.shape}")
    return W


def numerical_jacobian(f: Callable[[np.ndarray], Any], x: Any, h: float = 1e-5) -> np.ndarray:
    """Centred-difference Jacobian of f at x: shape (f(x).size, x.size), rows = outputs."""
    check_callable(f, "f", "numerical_jacobian")
    x = _point(x, "numerical_jacobian")
    h = _step(h, x, "numerical_jacobian")
    flat = x.reshape(-1)

    def output() -> np.ndarray:
        y = _data(f(x))
        if y is None:
            raise TypeError("numerical_jacobian: f returned None; does f end with a return statement?")
        y = np.array(as_data(y, "numerical_jacobian: f(x)"), dtype=np.float64).reshape(-1)
        if y.size == 0:
            raise ValueError("numerical_jacobian: f returned an empty array; it needs at least one output")
        return y

    columns = []
    for j in range(flat.size):
        old = flat[j]
        flat[j] = old + h
        plus = output()
        flat[j] = old - h
        minus = output()
        flat[j] = old
        if plus.shape != minus.shape:
            raise ShapeError(
                f"numerical_jacobian: f returned {plus.size} outputs at x + h but {minus.size} at x - h; "
                "the output's size must not depend on x"
            )
        columns.append((plus - minus) / (2 * h))
    return np.stack(columns, axis=1)


def jacobian(fn: Callable[[Value], Value], x: Any) -> np.ndarray:
    """The exact Jacobian of ``fn`` (a function of one Value) at x, from one backward pass per output.

    Shape (m, n) with m = output size and n = input size; rows = outputs.
    """
    check_callable(fn, "fn", "jacobian")
    xv = Value(_point(x, "jacobian"))
    out = fn(xv)
    if not isinstance(out, Value):
        raise TypeError(
            f"jacobian: fn must return a Value (compute it from its argument with Value operations), "
            f"got {describe(out)}"
        )
    m = np.size(out.data)
    if m == 0:
        raise ValueError("jacobian: fn returned an empty Value; it needs at least one output")
    rows = []
    for i in range(m):
        seed = np.zeros(m)
        seed[i] = 1.0
        xv.grad = np.zeros_like(xv.data)
        out.backward(seed.reshape(np.shape(out.data)) if np.ndim(out.data) else 1.0)
        rows.append(np.array(xv.grad).reshape(-1))
    return np.stack(rows)


def vjp(fn: Callable[[Value], Value], x: Any, upstream: Any) -> np.ndarray:
    """upstream @ J without building J: one backward pass. The result has x's shape."""
    check_callable(fn, "fn", "vjp")
    xv = Value(x)
    out = fn(xv)
    if not isinstance(out, Value):
        raise TypeError(
            "vjp: fn must return a Value (compute it from its argument with Value operations), "
            f"got {describe(out)}"
        )
    upstream = as_data(upstream, "vjp: upstream")
    if np.shape(upstream) != np.shape(out.data):
        raise ShapeError(
            f"vjp: upstream has shape {np.shape(upstream)} but fn(x) has shape {np.shape(out.data)}; "
            "the upstream gradient has the output's shape"
        )
    out.backward(upstream)
    return xv.grad


def _data(y: Any) -> Any:
    return y.data if isinstance(y, Value) else y


# ---------------------------------------------------------------------------
# The lessons' examples, derived by hand
# ---------------------------------------------------------------------------


def _number(v: Any, who: str) -> float:
    v = as_data(v, who)
    if isinstance(v, np.ndarray):
        raise TypeError(f"{who}: x and y must be single numbers, got an array of shape {v.shape}")
    return v


def example_f(x: float, y: float) -> np.ndarray:
    """f(x, y) = (x^2 y, 5x + sin y), the lesson's two-in, two-out example."""
    x, y = as_data(x, "example_f"), as_data(y, "example_f")
    return np.array([x * x * y, 5 * x + np.sin(y)])


def example_jacobian(x: float, y: float) -> np.ndarray:
    """J = [[2xy, x^2], [5, cos y]] (rows: f1, f2; columns: x, y)."""
    x, y = _number(x, "example_jacobian"), _number(y, "example_jacobian")
    return np.array([[2 * x * y, x * x], [5.0, np.cos(y)]])


def relu_jacobian(x: Any) -> np.ndarray:
    """max(0, x) elementwise on x (n,): a diagonal (n, n) with 1 where x > 0."""
    x = _vector(x, "relu_jacobian")
    return np.diag((x > 0).astype(float))


def sigmoid_jacobian(x: Any) -> np.ndarray:
    """sigma elementwise on x (n,): a diagonal (n, n) with (1 - s) s, s = sigma(x)."""
    s = sigmoid(_vector(x, "sigmoid_jacobian"))
    return np.diag((1 - s) * s)


def softmax_jacobian(x: Any) -> np.ndarray:
    """softmax on x (n,): (n, n) = diag(p) - p p^T, p = softmax(x).

    Not diagonal: every output depends on every input.
    """
    p = softmax(_vector(x, "softmax_jacobian"))
    return np.diag(p) - np.outer(p, p)


def matvec_jacobian_x(W: Any) -> np.ndarray:
    """q = W x with W (m, n): dq/dx = W, shape (m, n)."""
    return _matrix(W, "matvec_jacobian_x").copy()


def matvec_jacobian_W(W: Any, x: Any) -> np.ndarray:
    """q = W x with W (m, n), x (n,): dq/dW has shape (m, m n), dq_i/dW_jk = [i == j] x_k.

    Mostly zeros: each output depends on one row of W only.
    """
    W, x = _matrix(W, "matvec_jacobian_W"), _vector(x, "matvec_jacobian_W")
    _aligned(W, x, "matvec_jacobian_W")
    return np.kron(np.eye(W.shape[0]), x[None, :])


def _aligned(W: np.ndarray, x: np.ndarray, who: str) -> None:
    if W.shape[1] != x.shape[0]:
        raise ShapeError(
            f"{who}: W has shape {W.shape} ({W.shape[1]} columns) but x has {x.shape[0]} entries; "
            f"W x needs x of length {W.shape[1]}"
        )


def norm_sq_Wx(W: Any, x: Any) -> dict[str, np.ndarray | float]:
    """f = ||W x||^2 and its gradients, by hand: q = W x, grad_q = 2 q, grad_W = 2 q x^T, grad_x = 2 W^T q.

    Shapes: W (m, n), x (n,) -> q (m,), grad_W (m, n), grad_x (n,).
    """
    W, x = _matrix(W, "norm_sq_Wx"), _vector(x, "norm_sq_Wx")
    _aligned(W, x, "norm_sq_Wx")
    q = W @ x
    return {"q": q, "f": float(q @ q), "grad_q": 2 * q, "grad_W": 2 * np.outer(q, x), "grad_x": 2 * W.T @ q}


# ---------------------------------------------------------------------------
# What a full Jacobian costs
# ---------------------------------------------------------------------------


def format_bytes(n: float) -> str:
    """1.34 TB, 3.28 MB, ... (decimal units)."""
    if not is_real(n) or not np.isfinite(n) or n < 0:
        raise ValueError(f"format_bytes: n must be a number of bytes (0 or more), got {describe(n)}")
    for unit in ("B", "kB", "MB", "GB", "TB", "PB"):
        if n < 1000 or unit == "PB":
            return f"{n:.3g} {unit}" if unit != "B" else f"{int(n)} B"
        n /= 1000
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class JacobianSize:
    """The size of the full Jacobian of a layer against the vector-Jacobian product backprop uses."""

    n_in: int
    n_out: int
    batch: int = 1
    itemsize: int = 8  # float64

    @property
    def rows(self) -> int:
        return self.n_out * self.batch

    @property
    def cols(self) -> int:
        return self.n_in * self.batch

    @property
    def entries(self) -> int:
        return self.rows * self.cols

    @property
    def bytes(self) -> int:
        return self.entries * self.itemsize

    @property
    def diagonal_entries(self) -> int:
        """Non-zero entries when the operation is elementwise (n_in == n_out): just the diagonal."""
        return min(self.rows, self.cols)

    @property
    def vjp_entries(self) -> int:
        """What backprop stores instead: one gradient entry per input."""
        return self.cols

    @property
    def vjp_bytes(self) -> int:
        return self.vjp_entries * self.itemsize

    def __str__(self) -> str:
        return (
            f"{self.n_in} -> {self.n_out}, batch {self.batch}: full Jacobian {self.rows:,} x {self.cols:,} = "
            f"{self.entries:,} entries ({format_bytes(self.bytes)}); "
            f"vector-Jacobian product: {self.vjp_entries:,} entries ({format_bytes(self.vjp_bytes)})"
        )


def jacobian_size(n_in: int, n_out: int, batch: int = 1, itemsize: int = 8) -> JacobianSize:
    """How big the Jacobian of an n_in -> n_out layer is on a batch, against a VJP."""
    sizes = [
        whole_number(v, name, "jacobian_size", example=example)
        for name, v, example in (
            ("n_in", n_in, 4096),
            ("n_out", n_out, 4096),
            ("batch", batch, 100),
            ("itemsize", itemsize, 8),
        )
    ]
    return JacobianSize(*sizes)


__all__ = [
    "numerical_jacobian",
    "jacobian",
    "vjp",
    "example_f",
    "example_jacobian",
    "relu_jacobian",
    "sigmoid_jacobian",
    "softmax_jacobian",
    "matvec_jacobian_x",
    "matvec_jacobian_W",
    "norm_sq_Wx",
    "JacobianSize",
    "jacobian_size",
    "format_bytes",
]
