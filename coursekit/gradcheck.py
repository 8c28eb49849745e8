"""Gradient checking: compare an analytic gradient with finite differences.

- ``numerical_gradient(f, x)``: centred difference (f(x+h) - f(x-h)) / 2h for a
  scalar-valued f, entry by entry when x is an array.
- ``forward_difference(f, x)``: the one-sided (f(x+h) - f(x)) / h of the lecture's
  definition, to compare with the centred form.
- ``numerical_vjp(f, x, upstream)``: for an array-valued f, the gradient of
  sum(f(x) * upstream), i.e. upstream-weighted (CS231n's
  ``eval_numerical_gradient_array``).
- ``rel_error(a, b)``: max |a - b| / max(1e-8, |a| + |b|), CS231n's definition.
- ``check_gate(gate, *inputs)``: a gate's backward against ``numerical_vjp``, with
  a readable report.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._checks import check_callable, describe, is_real, where_not_finite
from .engine import Value
from .gates import Data, Gate, as_data, shape_of


def _scalar_output(f: Callable, x: Data, who: str = "numerical_gradient") -> float:
    y = f(x)
    if isinstance(y, Value):
        y = y.data
    if isinstance(y, (list, tuple)):
        y = np.asarray(y)
    if isinstance(y, np.ndarray):
        if y.size != 1:
            raise ValueError(
                f"{who} needs a function with a scalar output, but f returned shape "
                f"{y.shape}; use numerical_vjp(f, x, upstream) for array-valued functions"
            )
        y = y.item()
    if y is None:
        raise TypeError(f"{who}: f returned None; does f end with a return statement?")
    if not is_real(y) and not isinstance(y, (bool, np.bool_)):
        raise TypeError(f"{who}: f must return a real number, but it returned {describe(y)}")
    return float(y)


def _step(h: Any, x: Data, who: str) -> float:
    """Check the finite-difference step h: positive, finite, and big enough to move x."""
    if not is_real(h):
        raise TypeError(
            f"{who}: the step h must be a small positive number, got {describe(h)}; pass e.g. h=1e-5"
        )
    h = float(h)
    if not np.isfinite(h) or h <= 0:
        raise ValueError(f"{who}: the step h must be a small positive number, got {h!r}; pass e.g. h=1e-5")
    xs = np.asarray(x, dtype=np.float64)
    bad = where_not_finite(xs.reshape(-1), "x") if xs.size else ""
    if bad:
        raise ValueError(f"{who}: x has {bad.replace('x[', 'x.flat[')}; a derivative needs a finite point")
    if xs.size and (np.any(xs + h == xs) or np.any(xs - h == xs)):
        biggest = float(np.max(np.abs(xs)))
        raise ValueError(
            f"{who}: the step h={h:g} is too small for x (largest |x| = {biggest:g}): x + h rounds back to x "
            f"in float64, so the difference quotient would be 0 or noise; pass e.g. h=1e-5"
        )
    return h


def numerical_gradient(f: Callable[[Data], Any], x: Any, h: float = 1e-5) -> Data:
    """df/dx by centred differences; ``f`` maps a float or array to a scalar.

    Shapes: x () -> float; x (any shape) -> gradient of the same shape.
    """
    check_callable(f, "f", "numerical_gradient")
    x = as_data(x, "numerical_gradient")
    h = _step(h, x, "numerical_gradient")
    if not isinstance(x, np.ndarray):
        return (_scalar_output(f, x + h) - _scalar_output(f, x - h)) / (2 * h)
    x = x.copy()
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        plus = _scalar_output(f, x)
        x[i] = old - h
        minus = _scalar_output(f, x)
        x[i] = old
        grad[i] = (plus - minus) / (2 * h)
    return grad


def forward_difference(f: Callable[[float], Any], x: float, h: float = 1e-5) -> float:
    """The one-sided difference quotient (f(x + h) - f(x)) / h (error of order h)."""
    check_callable(f, "f", "forward_difference")
    x = as_data(x, "forward_difference")
    if isinstance(x, np.ndarray):
        if x.size != 1:
            raise ValueError(
                f"forward_difference: x must be a single number, got an array of shape {x.shape}; "
                "use numerical_gradient(f, x) for arrays"
            )
        x = float(x.reshape(-1)[0])
    h = _step(h, x, "forward_difference")
    return (_scalar_output(f, x + h, "forward_difference") - _scalar_output(f, x, "forward_difference")) / h


def numerical_vjp(f: Callable[[Data], Any], x: Any, upstream: Any, h: float = 1e-5) -> Data:
    """d/dx of sum(f(x) * upstream) by centred differences.

    Shapes: x (any) and upstream (shape of f(x)) -> result shaped like x.
    The two outputs are subtracted before weighting, so outputs that x[i] does not
    touch cancel exactly and add no rounding error.
    """
    check_callable(f, "f", "numerical_vjp")
    x = as_data(x, "numerical_vjp")
    upstream = as_data(upstream, "numerical_vjp")
    h = _step(h, x, "numerical_vjp")

    def output(xv: Data) -> Data:
        y = f(xv)
        if isinstance(y, Value):
            y = y.data
        if y is None:
            raise TypeError("numerical_vjp: f returned None; does f end with a return statement?")
        y = as_data(y, "numerical_vjp: f(x)")
        if shape_of(y) != shape_of(upstream):
            raise ValueError(
                f"numerical_vjp: f(x) has shape {shape_of(y)} but upstream has shape {shape_of(upstream)}"
            )
        return np.array(y, dtype=np.float64)

    if not isinstance(x, np.ndarray):
        return float(np.sum((output(x + h) - output(x - h)) * upstream) / (2 * h))
    x = x.copy()
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        plus = output(x)
        x[i] = old - h
        minus = output(x)
        x[i] = old
        grad[i] = np.sum((plus - minus) * upstream) / (2 * h)
    return grad


ZERO_DIFFERENCE = 1e-12  # differences this small are rounding, e.g. an exact 0 against 1e-13


def rel_error(a: Any, b: Any) -> float:
    """The largest relative error |a - b| / max(1e-8, |a| + |b|) over all entries.

    Entries that differ by at most 1e-12 count as equal: an exact zero against a rounding
    residue such as 1e-13 is no error, although relative to its own size it would be a large one.
    A NaN in either argument makes the result NaN, which fails every tolerance check (``e <= tol``).
    """
    a = np.asarray(as_data(a, "rel_error"))
    b = np.asarray(as_data(b, "rel_error"))
    if a.shape != b.shape:
        raise ValueError(f"rel_error: shapes {a.shape} and {b.shape} differ")
    if a.size == 0:
        return 0.0
    diff = np.abs(a - b)
    diff = np.where(diff <= ZERO_DIFFERENCE, 0.0, diff)
    return float(np.max(diff / np.maximum(1e-8, np.abs(a) + np.abs(b))))


@dataclass
class GateCheck:
    """The result of :func:`check_gate`; true when every input passed."""

    gate: Gate
    inputs: tuple[Data, ...]
    analytic: tuple[Data, ...]
    numerical: tuple[Data, ...]
    errors: tuple[float, ...]
    tol: float

    @property
    def passed(self) -> bool:
        return all(e <= self.tol for e in self.errors)

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        lines = [f"{self.gate!r} gradient check (relative error tolerance {self.tol:.0e})"]
        for i, (x, e) in enumerate(zip(self.inputs, self.errors)):
            verdict = "ok" if e <= self.tol else "FAILED"
            lines.append(f"  input {i}: shape {str(shape_of(x)):<10} relative error {e:.2e}  {verdict}")
        lines.append("passed" if self.passed else "FAILED")
        return "\n".join(lines)

    __repr__ = __str__


def check_gate(
    gate: Gate,
    *inputs: Any,
    upstream: Any = None,
    h: float = 1e-5,
    tol: float = 1e-7,
    seed: int = 0,
) -> GateCheck:
    """Check ``gate.backward`` against numerical gradients at ``inputs``.

    The upstream gradient is random (seeded) unless given, so every entry of a
    Jacobian is tested, not just its sums.
    """
    if not isinstance(gate, Gate):
        raise TypeError(
            f"check_gate: gate must be a coursekit gate such as gates.MultiplyGate(), got {describe(gate)}"
        )
    if len(inputs) != gate.arity:
        raise TypeError(f"check_gate: {gate!r} takes {gate.arity} input(s), got {len(inputs)}")
    if not is_real(tol) or not np.isfinite(tol) or tol <= 0:
        raise ValueError(
            f"check_gate: tol must be a small positive number, got {describe(tol)}; pass e.g. tol=1e-7"
        )
    inputs = tuple(as_data(x, f"check_gate({gate.name})") for x in inputs)
    g = copy.copy(gate)
    out = g.forward(*inputs)
    if upstream is None:
        rng = np.random.default_rng(seed)
        upstream = (
            rng.standard_normal(shape_of(out))
            if isinstance(out, np.ndarray)
            else float(rng.standard_normal())
        )
    analytic = g.backward(upstream)
    analytic = (analytic,) if gate.arity == 1 else tuple(analytic)
    numerical = []
    for i in range(len(inputs)):

        def f(xi: Data, i: int = i) -> Data:
            args = list(inputs)
            args[i] = xi
            return gate.compute(*args)

        numerical.append(numerical_vjp(f, inputs[i], upstream, h))
    errors = tuple(rel_error(a, n) for a, n in zip(analytic, numerical))
    return GateCheck(gate, inputs, analytic, tuple(numerical), errors, tol)


__all__ = [
    "numerical_gradient",
    "forward_difference",
    "numerical_vjp",
    "rel_error",
    "check_gate",
    "GateCheck",
]
