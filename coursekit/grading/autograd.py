"""Lesson 7: build your own autograd engine (a micrograd-style scalar Value, and its backward order)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .cases import scalars
from .exercise import Exercise, add

L7 = "07_build_your_own_autograd"


class TinyValue:
    """The lesson's scalar Value: data, grad, the values it was made from, and a _backward closure."""

    def __init__(self, data: float, _prev: tuple = (), _op: str = ""):
        self.data, self.grad = float(data), 0.0
        self._prev, self._op = tuple(_prev), _op
        self._backward = lambda: None

    def __repr__(self) -> str:
        return f"Value(data={self.data:.4g}, grad={self.grad:.4g})"

    def __add__(self, other: Any) -> TinyValue:
        other = other if isinstance(other, TinyValue) else TinyValue(other)
        out = TinyValue(self.data + other.data, (self, other), "+")

        def _backward():
            self.grad += out.grad
            other.grad += out.grad

        out._backward = _backward
        return out

    def __mul__(self, other: Any) -> TinyValue:
        other = other if isinstance(other, TinyValue) else TinyValue(other)
        out = TinyValue(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out

    def __pow__(self, k: float) -> TinyValue:
        out = TinyValue(self.data**k, (self,), f"**{k}")

        def _backward():
            self.grad += k * self.data ** (k - 1) * out.grad

        out._backward = _backward
        return out

    def exp(self) -> TinyValue:
        out = TinyValue(math.exp(self.data), (self,), "exp")

        def _backward():
            self.grad += out.data * out.grad

        out._backward = _backward
        return out

    def tanh(self) -> TinyValue:
        out = TinyValue(math.tanh(self.data), (self,), "tanh")

        def _backward():
            self.grad += (1 - out.data**2) * out.grad

        out._backward = _backward
        return out

    def __radd__(self, other: float) -> TinyValue:
        return self + other

    def __rmul__(self, other: float) -> TinyValue:
        return self * other

    def __neg__(self) -> TinyValue:
        return self * -1.0

    def __sub__(self, other: Any) -> TinyValue:
        return self + (-other)


def depth_first_order(root: Any) -> list:
    """micrograd's topological order: each node after the nodes it was made from."""
    order, seen = [], set()

    def visit(node):
        if id(node) not in seen:
            seen.add(id(node))
            for child in node._prev:
                visit(child)
            order.append(node)

    visit(root)
    return order


class _OverwritingValue(TinyValue):
    """The reused-node bug (micrograd's issue #2): ``=`` instead of ``+=`` in _backward."""

    def __add__(self, other: Any) -> TinyValue:
        other = other if isinstance(other, TinyValue) else _OverwritingValue(other)
        out = _OverwritingValue(self.data + other.data, (self, other), "+")

        def _backward():
            self.grad = out.grad
            other.grad = out.grad

        out._backward = _backward
        return out

    def __mul__(self, other: Any) -> TinyValue:
        other = other if isinstance(other, TinyValue) else _OverwritingValue(other)
        out = _OverwritingValue(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad = other.data * out.grad
            other.grad = self.data * out.grad

        out._backward = _backward
        return out


class _TanhOfInput(TinyValue):
    """tanh's local gradient written with the input instead of the output."""

    def tanh(self) -> TinyValue:
        out = TinyValue(math.tanh(self.data), (self,), "tanh")

        def _backward():
            self.grad += (1 - self.data**2) * out.grad

        out._backward = _backward
        return out


class _PowWithoutK(TinyValue):
    def __pow__(self, k: float) -> TinyValue:
        out = TinyValue(self.data**k, (self,), f"**{k}")

        def _backward():
            self.grad += self.data ** (k - 1) * out.grad

        out._backward = _backward
        return out


def _random_program(rng: np.random.Generator, ops: tuple[str, ...], steps: int) -> tuple:
    """Inputs a, b, c and ``steps`` random operations, each on earlier results (so values are reused)."""
    names = ["a", "b", "c"]
    inputs = dict(zip(names, scalars(rng, 3, -1.5, 1.5)))
    program = []
    for i in range(steps):
        op = str(rng.choice(ops))
        a = str(rng.choice(names))
        b: Any = None
        if op in ("add", "mul"):
            b = str(rng.choice(names))
        elif op == "pow":
            b = int(rng.integers(2, 4))
        elif op in ("add_number", "number_mul"):
            b = round(float(rng.uniform(-2, 2)), 3)
        out = f"v{i}"
        program.append((op, out, a, b))
        names.append(out)
    return inputs, program


_SYMBOLS = {
    "add": "{a} + {b}",
    "mul": "{a} * {b}",
    "pow": "{a}**{b}",
    "exp": "exp({a})",
    "tanh": "tanh({a})",
    "add_number": "{b} + {a}",
    "number_mul": "{b} * {a}",
}


def _describe_program(args: tuple) -> str:
    inputs, program = args
    steps = ", ".join(f"{out} = {_SYMBOLS[op].format(a=a, b=b)}" for op, out, a, b in program)
    values = ", ".join(f"{k} = {v:.4g}" for k, v in inputs.items())
    return f"{steps} at {values}"


def _judge_order(args: tuple, expected: Any, got: Any) -> str | None:
    """Any topological order passes: every node once, each after the nodes it was made from."""
    (edges,) = args
    children = {label: set(kids) for label, kids in edges}
    if got is None:
        return "your function returned None: did you forget `return`?"
    if not isinstance(got, list) or not all(isinstance(g, str) for g in got):
        return "return a list of the graph's nodes (the Value objects themselves)"
    missing = [label for label in children if label not in got]
    if missing:
        return f"the order is missing {', '.join(map(repr, missing[:3]))}: visit every node the output depends on"
    twice = sorted({g for g in got if got.count(g) > 1})
    if twice:
        return f"{', '.join(map(repr, twice))} appears more than once: remember which nodes you have visited"
    position = {label: i for i, label in enumerate(got)}
    for label, kids in children.items():
        for kid in kids:
            if position[kid] > position[label]:
                return (
                    f"{label!r} comes before {kid!r}, which it was made from: add a node only after all "
                    "of its children"
                )
    return None


_DIAMOND = [("a", ()), ("b", ()), ("c", ("a", "b")), ("d", ("a", "c")), ("e", ("c", "d"))]
_CHAIN = [("x", ()), ("y", ("x",)), ("z", ("y",)), ("w", ("z", "x"))]


def _random_graph(rng: np.random.Generator, n: int) -> list:
    edges = []
    for i in range(n):
        earlier = [label for label, _ in edges]
        k = int(rng.integers(0, min(2, len(earlier)) + 1)) if earlier else 0
        kids = tuple(str(c) for c in rng.choice(earlier, size=k, replace=False)) if k else ()
        edges.append((f"n{i}", kids))
    # the last node depends on everything without a parent, so that all are reachable
    orphans = [label for label, _ in edges if not any(label in kids for _, kids in edges)]
    edges.append(("out", tuple(orphans)))
    return edges


VALUE_HINT = (
    "out = Value(result, (self, other)); its _backward adds local gradient x out.grad into each "
    "input's grad (+=, as a value may be used twice)."
)
GRADS = ("the output's data", {"*": "the gradient of {key}"})

add(
    Exercise(
        "value_add_mul",
        "a Value's + and * with their _backward closures",
        TinyValue,
        public=lambda rng: [
            ({"a": 2.0, "b": -3.0}, [("mul", "c", "a", "b"), ("add", "d", "c", "a")]),
            ({"a": 3.0}, [("add", "b", "a", "a")]),  # the reused node: a feeds both inputs
            ({"a": 1.5, "b": -2.0}, [("mul", "c", "a", "b"), ("mul", "d", "c", "c")]),  # upstream is not 1
            _random_program(rng, ("add", "mul"), 5),
        ],
        hidden=lambda rng: [_random_program(rng, ("add", "mul"), n) for n in (4, 8)],
        call="value_class",
        describe=_describe_program,
        outputs=GRADS,
        mistakes=[
            (
                _OverwritingValue,
                "a value used twice (like a in a + a) keeps only the last gradient: in "
                "_backward, add with += instead of assigning with =",
            ),
        ],
        hint=VALUE_HINT,
        lesson=L7,
        section="1. A value that remembers how it was made",
    )
)
add(
    Exercise(
        "value_more_ops",
        "a Value's ** (by a number), exp and tanh, and numbers on the left (2 + a, 3 * a)",
        TinyValue,
        public=lambda rng: [
            ({"a": 0.5}, [("tanh", "b", "a", None)]),
            ({"a": 1.5}, [("pow", "b", "a", 3), ("exp", "c", "a", None), ("add", "d", "b", "c")]),
            (
                {"a": -0.7},
                [("number_mul", "b", "a", 3.0), ("add_number", "c", "b", 2.0), ("tanh", "d", "c", None)],
            ),
            _random_program(rng, ("add", "mul", "pow", "exp", "tanh", "add_number", "number_mul"), 6),
        ],
        hidden=lambda rng: [
            _random_program(rng, ("add", "mul", "pow", "exp", "tanh", "add_number", "number_mul"), n)
            for n in (5, 9)
        ],
        call="value_class",
        describe=_describe_program,
        outputs=GRADS,
        mistakes=[
            (
                _TanhOfInput,
                "tanh's local gradient is 1 - tanh(x)², written with the output out.data, not the input",
            ),
            (_PowWithoutK, "the local gradient of x**k is k x**(k - 1): the factor k is missing"),
        ],
        hint="Each operation makes a new Value from self (and a number); its local gradient: k x**(k-1) for "
        "x**k, e^x for exp (that is the output), 1 - tanh² for tanh (again the output). __radd__ and "
        "__rmul__ can reuse __add__ and __mul__.",
        lesson=L7,
        section="1. A value that remembers how it was made",
    )
)
add(
    Exercise(
        "topological_order",
        "a topological order of the graph: every node after the nodes it was made from",
        depth_first_order,
        public=lambda rng: [([("a", ())],), (_CHAIN,), (_DIAMOND,), (_random_graph(rng, 6),)],
        hidden=lambda rng: [(_random_graph(rng, n),) for n in (5, 12)],
        call="topological_order",
        judge=_judge_order,
        describe=lambda args: f"a graph of {len(args[0])} nodes",
        hint="Depth first, as micrograd does: to place a node, first place each of its children (node._prev), "
        "then append the node; keep a set of the nodes you have visited.",
        lesson=L7,
        section="2. The order of the backward pass",
    )
)
