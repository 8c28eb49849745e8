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

from .engine import Value
from .gates import as_data, sigmoid
from .nn import softmax


def numerical_jacobian(f: Callable[[np.ndarray], Any], x: Any, h: float = 1e-5) -> np.ndarray:
    """Centred-difference Jacobian of f at x: shape (f(x).size, x.size), rows = outputs."""
    x = np.array(as_data(x, "numerical_jacobian"), dtype=np.float64, ndmin=1)
    flat = x.reshape(-1)
    columns = []
    for j in range(flat.size):
        old = flat[j]
        flat[j] = old + h
        plus = np.array(_data(f(x)), dtype=np.float64).reshape(-1)
        flat[j] = old - h
        minus = np.array(_data(f(x)), dtype=np.float64).reshape(-1)
        flat[j] = old
        columns.append((plus - minus) / (2 * h))
    return np.stack(columns, axis=1)


def jacobian(fn: Callable[[Value], Value], x: Any) -> np.ndarray:
    """The exact Jacobian of ``fn`` (a function of one Value) at x, from one backward pass per output.

    Shape (m, n) with m = output size and n = input size; rows = outputs.
    """
    xv = Value(np.array(as_data(x, "jacobian"), dtype=np.float64, ndmin=1))
    out = fn(xv)
    if not isinstance(out, Value):
        raise TypeError(f"jacobian: fn must return a Value, got {type(out).__name__}")
    m = np.size(out.data)
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
    xv = Value(x)
    out = fn(xv)
    out.backward(upstream)
    return xv.grad


def _data(y: Any) -> Any:
    return y.data if isinstance(y, Value) else y


# ---------------------------------------------------------------------------
# The lessons' examples, derived by hand
# ---------------------------------------------------------------------------


def example_f(x: float, y: float) -> np.ndarray:
    """f(x, y) = (x^2 y, 5x + sin y), the lesson's two-in, two-out example."""
    return np.array([x * x * y, 5 * x + np.sin(y)])


def example_jacobian(x: float, y: float) -> np.ndarray:
    """J = [[2xy, x^2], [5, cos y]] (rows: f1, f2; columns: x, y)."""
    return np.array([[2 * x * y, x * x], [5.0, np.cos(y)]])


def relu_jacobian(x: Any) -> np.ndarray:
    """max(0, x) elementwise on x (n,): a diagonal (n, n) with 1 where x > 0."""
    x = np.asarray(x, dtype=np.float64)
    return np.diag((x > 0).astype(float))


def sigmoid_jacobian(x: Any) -> np.ndarray:
    """sigma elementwise on x (n,): a diagonal (n, n) with (1 - s) s, s = sigma(x)."""
    s = sigmoid(np.asarray(x, dtype=np.float64))
    return np.diag((1 - s) * s)


def softmax_jacobian(x: Any) -> np.ndarray:
    """softmax on x (n,): (n, n) = diag(p) - p p^T, p = softmax(x).

    Not diagonal: every output depends on every input.
    """
    p = softmax(np.asarray(x, dtype=np.float64))
    return np.diag(p) - np.outer(p, p)


def matvec_jacobian_x(W: Any) -> np.ndarray:
    """q = W x with W (m, n): dq/dx = W, shape (m, n)."""
    return np.array(W, dtype=np.float64)


def matvec_jacobian_W(W: Any, x: Any) -> np.ndarray:
    """q = W x with W (m, n), x (n,): dq/dW has shape (m, m n), dq_i/dW_jk = [i == j] x_k.

    Mostly zeros: each output depends on one row of W only.
    """
    W, x = np.asarray(W, dtype=np.float64), np.asarray(x, dtype=np.float64)
    return np.kron(np.eye(W.shape[0]), x[None, :])


def norm_sq_Wx(W: Any, x: Any) -> dict[str, np.ndarray | float]:
    """f = ||W x||^2 and its gradients, by hand: q = W x, grad_q = 2 q, grad_W = 2 q x^T, grad_x = 2 W^T q.

    Shapes: W (m, n), x (n,) -> q (m,), grad_W (m, n), grad_x (n,).
    """
    W, x = np.asarray(W, dtype=np.float64), np.asarray(x, dtype=np.float64)
    q = W @ x
    return {"q": q, "f": float(q @ q), "grad_q": 2 * q, "grad_W": 2 * np.outer(q, x), "grad_x": 2 * W.T @ q}


# ---------------------------------------------------------------------------
# What a full Jacobian costs
# ---------------------------------------------------------------------------


def format_bytes(n: float) -> str:
    """1.34 TB, 3.28 MB, ... (decimal units)."""
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
    for name, v in (("n_in", n_in), ("n_out", n_out), ("batch", batch), ("itemsize", itemsize)):
        if int(v) != v or v < 1:
            raise ValueError(f"jacobian_size: {name} must be a positive integer, got {v}")
    return JacobianSize(int(n_in), int(n_out), int(batch), int(itemsize))


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
