"""The autodiff engine: a ``Value`` remembers the gate that made it and its inputs.

``Value`` holds a Python float or a float64 numpy array. Every operation runs a
gate from :mod:`coursekit.gates` and records it, so ``backward()`` can apply the
chain rule from the output back to every input::

    x, y, z = Value(-2.0, "x"), Value(5.0, "y"), Value(-4.0, "z")
    f = (x + y) * z
    f.backward()
    x.grad, y.grad, z.grad   # (-4.0, -4.0, 3.0)

Gradient rules
- ``backward()`` on a scalar seeds df/df = 1; on an array it needs the upstream
  gradient (an array shaped like the output).
- A value used on several branches receives the sum of their gradients.
- Inputs (leaves) *accumulate*: calling ``backward()`` twice adds the gradients
  twice, as in PyTorch. Call ``zero_grad()`` between steps. Intermediate values
  hold the gradient of the latest backward pass only.
- Broadcasting is undone in the backward pass: each gradient has its input's shape.
  A scalar Value combines with a numpy array (``Value(2.0) * np.ones(3)``, either side):
  the result is one array Value, and the scalar's gradient is the sum over the array.
- Indexing (``v[0]``, ``v[:, 1]``, ``v[mask]``, ``v[[0, 0, 2]]``) and :func:`stack` /
  :func:`concatenate` are gates too; an entry picked twice gets both gradients.

NaN follows numpy, for numbers and arrays alike: ``exp``, ``relu`` and ``max`` of NaN are
NaN (``max(nan, 1) == max(1, nan) == nan``, as ``np.maximum``), and the gradient of a
max/relu goes to the input the NaN came from.

The backward pass orders nodes by creation (an input is always created before
the values computed from it), so it needs no recursion: graphs of millions of
nodes are fine.
"""

from __future__ import annotations

import itertools
import math
import operator
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from . import gates as G
from .gates import Data, as_data, reduce_to_shape, shape_of

_next_id: Callable[[], int] = itertools.count().__next__


class NumericalWarning(RuntimeWarning):
    """An operation turned finite inputs into NaN or infinity."""


class Value:
    """A number or array in a computational graph, with its gradient.

    Attributes: ``data`` (float or ndarray), ``grad`` (same shape, d output / d this
    after ``backward()``), ``label`` (a name for drawings and reports).

    Equality: a Value is a node of a graph, so ``==`` and ``hash`` are those of the node
    (identity): Values work as dict keys and set members, and ``v == w`` is ``v is w``.
    Comparing a Value with a number or an array (``v == 1.0``) raises a TypeError that
    says to compare ``v.data``; ``<``, ``<=``, ``>``, ``>=`` raise one too. None of them
    is part of the graph.
    """

    # Inputs sit in two slots (_x, _y) rather than a tuple: one object per node
    # instead of two halves the garbage collector's work on big scalar graphs.
    __slots__ = ("data", "grad", "label", "_x", "_y", "_gate", "_id", "__weakref__")
    __array_ufunc__ = None  # numpy defers to Value's operators: np.float64(2) * v is a Value

    def __init__(self, data: Any, label: str = ""):
        if type(label) is not str:
            raise TypeError(f"Value: label must be a str, got {type(label).__name__} {label!r:.40}")
        data = as_data(data, "Value")
        if type(data) is not float:
            data = np.array(
                data, dtype=np.float64
            )  # own copy: later edits of the caller's array do not leak in
            self.grad = np.zeros_like(data)
        else:
            self.grad = 0.0
        self.data = data
        self.label = label
        self._x: Value | None = None
        self._y: Value | None = None
        self._gate: G.Gate | None = None
        self._id = _next_id()

    # --- introspection ------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return shape_of(self.data)

    @property
    def gate(self) -> G.Gate | None:
        """The gate that computed this value (None for an input)."""
        return self._gate

    @property
    def parents(self) -> tuple[Value, ...]:
        """The values this one was computed from (empty for an input)."""
        if self._x is None:
            return ()
        if self._y is None:
            return (self._x,)
        return self._x if self._y is _MANY else (self._x, self._y)

    @property
    def op(self) -> str:
        """The gate's symbol ('' for an input)."""
        return self._gate.symbol if self._gate is not None else ""

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        if type(self.data) is float:
            return f"Value(data={self.data:.6g}, grad={self.grad:.6g}{label})"
        data = np.array2string(self.data, precision=4, threshold=6)
        return f"Value(shape={self.data.shape}{label}, data={data})"

    # --- binary operations ----------------------------------------------------
    def __add__(self, other: Any) -> Value:
        if type(other) is Value:
            return _apply2(G.ADD, self, other)
        return _apply1(G.AddConstantGate(other), self)

    def __radd__(self, other: Any) -> Value:
        return _apply1(G.AddConstantGate(other), self)

    def __sub__(self, other: Any) -> Value:
        if type(other) is Value:
            return _apply2(G.SUB, self, other)
        return _apply1(G.AddConstantGate(-as_data(other, "Value.__sub__")), self)

    def __rsub__(self, other: Any) -> Value:
        return _apply1(G.AddConstantGate(other), _apply1(G.NEG, self))

    def __mul__(self, other: Any) -> Value:
        if type(other) is Value:
            return _apply2(G.MUL, self, other)
        return _apply1(G.MultiplyConstantGate(other), self)

    def __rmul__(self, other: Any) -> Value:
        return _apply1(G.MultiplyConstantGate(other), self)

    def __truediv__(self, other: Any) -> Value:
        if type(other) is Value:
            return _apply2(G.DIV, self, other)
        c = as_data(other, "Value.__truediv__")
        if type(c) is float:
            if c == 0.0:
                raise ZeroDivisionError("Value.__truediv__: division by the constant 0")
            return _apply1(G.MultiplyConstantGate(1.0 / c), self)
        with np.errstate(divide="ignore"):  # a zero entry: inf, and a NumericalWarning below
            return _apply1(G.MultiplyConstantGate(1.0 / c), self)

    def __rtruediv__(self, other: Any) -> Value:
        c = as_data(other, "Value.__rtruediv__")
        r = _apply1(G.RECIPROCAL, self)
        return r if type(c) is float and c == 1.0 else _apply1(G.MultiplyConstantGate(c), r)

    def __pow__(self, exponent: float) -> Value:
        return _apply1(G.PowerGate(exponent), self)

    def __rpow__(self, base: Any) -> Value:
        """c ** v = e^(v ln c) for a number c > 0."""
        c = as_data(base, "Value.__rpow__")
        if type(c) is not float or not c > 0.0:
            raise ValueError(
                f"Value.__rpow__: c ** v needs a positive number c (it is e^(v ln c)), "
                f"got {_constant_text(c)}"
            )
        return _apply1(G.EXP, _apply1(G.MultiplyConstantGate(math.log(c)), self))

    def __neg__(self) -> Value:
        return _apply1(G.NEG, self)

    def __matmul__(self, other: Any) -> Value:
        return _apply2(G.MATMUL, self, _as_value(other))

    def __rmatmul__(self, other: Any) -> Value:
        return _apply2(G.MATMUL, _as_value(other), self)

    def max(self, other: Any) -> Value:
        """Elementwise max(self, other); the gradient goes to the larger (self on a tie).

        NaN wins, as in ``np.maximum``: the result is NaN if either is, and the gradient
        goes to the NaN input (self when both are).
        """
        return _apply2(G.MAX, self, _as_value(other))

    # --- unary operations -----------------------------------------------------
    def exp(self) -> Value:
        return _apply1(G.EXP, self)

    def log(self) -> Value:
        return _apply1(G.LOG, self)

    def sin(self) -> Value:
        return _apply1(G.SIN, self)

    def cos(self) -> Value:
        return _apply1(G.COS, self)

    def tanh(self) -> Value:
        return _apply1(G.TANH, self)

    def sigmoid(self) -> Value:
        return _apply1(G.SIGMOID, self)

    def relu(self) -> Value:
        return _apply1(G.RELU, self)

    def leaky_relu(self, slope: float = 0.1) -> Value:
        return _apply1(G.LeakyReLUGate(slope), self)

    def elu(self, alpha: float = 1.0) -> Value:
        return _apply1(G.ELUGate(alpha), self)

    def sum(self, axis: int | None = None) -> Value:
        return _apply1(G.SumGate(axis), self)

    def mean(self, axis: int | None = None) -> Value:
        return _apply1(G.MeanGate(axis), self)

    @property
    def T(self) -> Value:
        return _apply1(G.TRANSPOSE, self)

    def __getitem__(self, index: Any) -> Value:
        """``v[i]``, ``v[:, j]``, ``v[mask]``, ``v[[0, 0, 2]]``: numpy indexing, with gradients.

        The gradient is scattered back with ``np.add.at``: repeated indices add up.
        """
        gate = G.IndexGate(index)
        if type(self.data) is float:
            gate.check(self.data)  # raises: a number cannot be indexed
        return _apply1(gate, self)

    # --- comparisons: not part of the graph ----------------------------------------------
    __hash__ = object.__hash__

    def __eq__(self, other: Any) -> Any:
        if type(other) is Value:
            return self is other
        if isinstance(other, _NUMBERS):
            raise TypeError(
                f"Value == {type(other).__name__}: a Value is a graph node, not a number; "
                f"compare its data instead, e.g. v.data == {_constant_text_any(other)} "
                f"(== between two Values is identity: v is w)"
            )
        return NotImplemented

    def __ne__(self, other: Any) -> Any:
        result = self.__eq__(other)
        return result if result is NotImplemented else not result

    def _order(self, other: Any, op: str) -> Any:
        if type(other) is Value or isinstance(other, _NUMBERS):
            raise TypeError(
                f"Value {op} {type(other).__name__}: Values cannot be ordered (comparisons are "
                f"not part of the graph); compare v.data instead, e.g. v.data {op} 0, or use "
                f"v.max(w) for a differentiable max"
            )
        return NotImplemented

    def __lt__(self, other: Any) -> Any:
        return self._order(other, "<")

    def __le__(self, other: Any) -> Any:
        return self._order(other, "<=")

    def __gt__(self, other: Any) -> Any:
        return self._order(other, ">")

    def __ge__(self, other: Any) -> Any:
        return self._order(other, ">=")

    # --- backward -------------------------------------------------------------
    def graph_nodes(self) -> list[Value]:
        """Every value this one depends on, itself included, inputs first (topological order)."""
        seen: set[Value] = set()
        stack = [self]
        nodes = []
        push, pop, add, keep, extend = stack.append, stack.pop, seen.add, nodes.append, stack.extend
        while stack:
            v = pop()
            if v in seen:
                continue
            add(v)
            keep(v)
            x = v._x
            if x is not None:
                y = v._y
                if y is None:
                    push(x)
                elif y is _MANY:
                    extend(x)
                else:
                    push(x)
                    push(y)
        nodes.sort(key=_by_id)
        return nodes

    def backward(self, upstream: Any = None) -> None:
        """Fill ``.grad`` of every value in the graph with d(self)/d(value).

        ``upstream``: d(loss)/d(self), needed when self is an array (same shape).
        """
        data = self.data
        if upstream is None:
            if type(data) is not float:
                raise ValueError(
                    f"backward() on a non-scalar Value of shape {data.shape} needs the "
                    f"upstream gradient d(loss)/d(this value), an array of shape {data.shape}; "
                    f"for a scalar loss, reduce first, e.g. v.sum().backward()"
                )
            seed: Data = 1.0
        else:
            seed = as_data(upstream, "Value.backward")
            if shape_of(seed) != shape_of(data):
                raise G.ShapeError(
                    f"backward(): upstream gradient has shape {shape_of(seed)}, "
                    f"the value has shape {shape_of(data)}"
                )
            if type(data) is float and type(seed) is not float:
                seed = float(seed)  # a 0-d array for a number
        nodes = self.graph_nodes()
        nodes.reverse()
        for v in nodes:  # intermediate gradients start from zero on every pass
            if v._x is not None:
                v.grad = 0.0 if type(v.data) is float else np.zeros_like(v.data)
        if type(self.grad) is float and type(seed) is not float:
            self.grad = np.zeros_like(seed)
        self.grad += seed

        for v in nodes:
            a = v._x
            if a is None:
                continue  # an input: nothing further back
            g = v.grad
            if type(g) is float and g == 0.0:
                continue  # nothing flows back through this node
            _backprop_node(v, a, g)

    def zero_grad(self) -> None:
        """Set the gradient of every value in this graph to zero."""
        for v in self.graph_nodes():
            v.grad = 0.0 if type(v.data) is float else np.zeros_like(v.data)

    def __float__(self) -> float:
        raise TypeError(
            "a Value is not a float: use v.data for its number (math.exp(v) and friends do not "
            "build the graph; use v.exp(), v.log(), v.tanh(), ...)"
        )

    def __iter__(self) -> Iterator[Any]:
        raise TypeError("a Value is not iterable; use .data to get the number or array")

    def __bool__(self) -> bool:
        raise TypeError(
            "the truth value of a Value is ambiguous: compare v.data instead "
            "(comparisons are not part of the graph)"
        )


_by_id = operator.attrgetter("_id")

#: in ``_y``: the node has three or more parents, kept as a tuple in ``_x``
_MANY: Any = type("_Many", (), {"__slots__": (), "__repr__": lambda self: "<many parents>"})()

_NUMBERS = (int, float, complex, np.number, np.bool_, np.ndarray)


def _constant_text(c: Any) -> str:
    return f"{c:g}" if type(c) is float else f"an array of shape {shape_of(c)}"


def _constant_text_any(x: Any) -> str:
    return f"{x!r:.20}" if not isinstance(x, np.ndarray) else "<array>"


def _accumulate(node: Value, g: Data) -> None:
    """Add gradient ``g`` into ``node.grad``, undoing broadcasting."""
    g = reduce_to_shape(g, node.data)
    if type(node.grad) is float and type(g) is not float:
        node.grad = g + node.grad
    else:
        node.grad += g


def _backprop_node(v: Value, a: Any, g: Data) -> None:
    """One node of the backward pass: downstream = local x upstream ``g``, into its inputs' grads.

    ``a`` is ``v._x``: the first input, or the tuple of inputs of a many-input gate. Shared by
    ``Value.backward`` and ``Graph.backward``.
    """
    b = v._y
    if b is _MANY:
        for p, gp in zip(a, v._gate.vjp(g, v.data, *[p.data for p in a])):
            _accumulate(p, gp)
    elif b is not None:
        ga, gb = v._gate.vjp(g, v.data, a.data, b.data)
        if type(ga) is float and type(a.grad) is float:
            a.grad += ga
        else:
            _accumulate(a, ga)
        if type(gb) is float and type(b.grad) is float:
            b.grad += gb
        else:
            _accumulate(b, gb)
    else:
        ga = v._gate.vjp(g, v.data, a.data)
        if type(ga) is float and type(a.grad) is float:
            a.grad += ga
        else:
            _accumulate(a, ga)


def _as_value(x: Any) -> Value:
    return x if type(x) is Value else Value(x)


def _new(data: Data, gate: G.Gate, x: Value, y: Value | None = None) -> Value:
    out = Value.__new__(Value)
    out.data = data
    out.grad = 0.0 if type(data) is float else np.zeros_like(data)
    out.label = ""
    out._x = x
    out._y = y
    out._gate = gate
    out._id = _next_id()
    if type(data) is float:
        if data - data != 0.0:  # NaN or infinity
            _warn_nonfinite(out)
    elif not np.isfinite(data).all():
        _warn_nonfinite(out)
    return out


def _apply2(gate: G.Gate, a: Value, b: Value) -> Value:
    x, y = a.data, b.data
    if type(x) is float and type(y) is float:
        try:
            z = gate.compute(x, y)
        except (ArithmeticError, ValueError):
            gate.check(x, y)
            raise
    else:
        gate.check(x, y)
        with np.errstate(all="ignore"):
            z = gate.compute(x, y)
    return _new(z, gate, a, b)


def _apply1(gate: G.Gate, a: Value) -> Value:
    x = a.data
    if type(x) is float:
        try:
            z = gate.compute(x)
        except (ArithmeticError, ValueError):
            gate.check(x)
            raise
        if type(z) is not float:
            if isinstance(z, np.ndarray) and z.ndim:
                # a number and an array constant (Value(2.0) * np.ones(3)): an array Value
                gate.check(x)
                return _new(z, gate, a)
            gate.check(x)  # e.g. (-1.0) ** 0.5 is complex in Python
            z = float(z)
    else:
        gate.check(x)
        with np.errstate(all="ignore"):
            z = gate.compute(x)
    return _new(z, gate, a)


def _warn_nonfinite(out: Value) -> None:
    gate, parents = out._gate, out.parents

    def finite(d: Data) -> bool:
        return math.isfinite(d) if type(d) is float else bool(np.isfinite(d).all())

    if all(finite(p.data) for p in parents):
        inputs = ", ".join(
            f"{p.data:.6g}" if type(p.data) is float else f"array{p.data.shape}" for p in parents
        )
        warnings.warn(
            f"{gate.name} ({gate.symbol}) produced NaN or infinity from finite input(s) "
            f"{inputs}; gradients through it will not be meaningful",
            NumericalWarning,
            stacklevel=4,
        )


def maximum(a: Any, b: Any) -> Value:
    """Elementwise max of two values or numbers (a Value; the gradient is routed to the larger).

    NaN propagates as in ``np.maximum``; see :meth:`Value.max`.
    """
    return _apply2(G.MAX, _as_value(a), _as_value(b))


def _join(gate_cls: type, where: str, values: Any, axis: int) -> Value:
    if isinstance(values, (Value, np.ndarray)) or not isinstance(values, (list, tuple)):
        raise TypeError(
            f"{where}: values must be a list or tuple of Values (or numbers/arrays), got "
            f"{type(values).__name__}; e.g. {where}([a, b, c], axis={axis})"
        )
    if not values:
        raise ValueError(f"{where}: needs at least one value, got an empty {type(values).__name__}")
    vs = []
    for i, v in enumerate(values):
        if type(v) is Value:
            vs.append(v)
        else:
            try:
                vs.append(Value(v))
            except TypeError as e:
                raise TypeError(f"{where}: values[{i}]: {e}") from None
    gate = gate_cls(len(vs), axis)
    datas = [v.data for v in vs]
    gate.check(*datas)
    with np.errstate(all="ignore"):
        z = gate.compute(*datas)
    if len(vs) == 1:
        return _new(z, gate, vs[0])
    if len(vs) == 2:
        return _new(z, gate, vs[0], vs[1])
    return _new(z, gate, tuple(vs), _MANY)


def stack(values: Any, axis: int = 0) -> Value:
    """Values of one shape stacked along a new axis (``np.stack``), with gradients.

    ``stack([a, b, c])`` of three numbers is a Value of shape (3,); of three (2,) arrays, (3, 2).
    """
    return _join(G.StackGate, "stack", values, axis)


def concatenate(values: Any, axis: int = 0) -> Value:
    """Array Values joined along an existing axis (``np.concatenate``), with gradients."""
    return _join(G.ConcatenateGate, "concatenate", values, axis)


__all__ = ["Value", "maximum", "stack", "concatenate", "NumericalWarning"]
