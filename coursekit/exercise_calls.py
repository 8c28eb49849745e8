"""How an exercise calls an answer: the three calling conventions of the course's exercises.

An exercise's answer is a function (called with the case's arguments), a gate class
(instantiated, then ``forward(x)`` and ``backward(dz)``), a graph class (built from wires of
gates, then ``forward(**inputs)`` and ``backward()``), a micrograd-style Value class (an
expression built with it, then backpropagated through its ``_backward`` closures), or a
topological sort (called on a graph of bare nodes). The instant checks in
:mod:`coursekit.grading` and the grader's sandbox both call answers through :data:`CALLS`, so an
answer is called the same way in a student's notebook and while it is graded.

``TEST_FUNCTIONS`` are the functions the numerical-gradient exercise differentiates; a case
names them, so that cases can travel as plain data.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from . import gates as G


def call_function(answer: Callable, args: tuple) -> Any:
    """``answer(*args)``."""
    return answer(*args)


def call_gate_class(answer: type, args: tuple) -> tuple:
    """Instantiate a gate class, run forward then backward: (output, downstream gradient).

    ``args`` is ``(x, dz)``.
    """
    x, dz = args
    gate = answer()
    out = gate.forward(x)
    return out, gate.backward(dz)


def call_graph_class(answer: type, args: tuple) -> tuple:
    """Build a graph class from wires, run forward then backward: (output, {input: gradient}).

    ``args`` is ``(wires, inputs)``: wires as ``(gate, input names, output name)`` in topological
    order (fresh gate objects are made for each call), inputs as ``{name: value}``.
    """
    wires, inputs = args
    graph = answer([(type(gate)(), names, out) for gate, names, out in wires])
    out = graph.forward(**inputs)
    grads = graph.backward()
    if not isinstance(grads, dict):
        return out, grads  # e.g. None: the check says what is wrong with it
    return out, {k: grads[k] for k in inputs if k in grads}


def _reverse_topological(root: Any) -> list:
    """Every node that ``root`` depends on (through ``_prev``), children before parents."""
    order, seen, stack = [], set(), [(root, False)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
        elif id(node) not in seen:
            seen.add(id(node))
            stack.append((node, True))
            stack.extend((child, False) for child in reversed(tuple(node._prev)))
    return order


def call_value_class(answer: type, args: tuple) -> tuple:
    """Build an expression with a student's micrograd-style Value class and backpropagate it.

    ``args`` is ``(inputs, program)``: inputs ``{name: number}``, and the program's steps
    ``(op, out, a, b)`` in order, with op one of ``add mul pow exp tanh add_number number_mul``
    (``b`` is a name, a number, or None). The backward pass calls each node's ``_backward`` in
    reverse topological order, starting from the output's ``grad = 1``, as micrograd's
    ``backward()`` does. Returns (the output's data, {input: grad}).
    """
    inputs, program = args
    nodes = {name: answer(float(value)) for name, value in inputs.items()}
    ops = {
        "add": lambda a, b: nodes[a] + nodes[b],
        "mul": lambda a, b: nodes[a] * nodes[b],
        "pow": lambda a, b: nodes[a] ** b,
        "exp": lambda a, b: nodes[a].exp(),
        "tanh": lambda a, b: nodes[a].tanh(),
        "add_number": lambda a, b: b + nodes[a],
        "number_mul": lambda a, b: b * nodes[a],
    }
    for op, out, a, b in program:
        nodes[out] = ops[op](a, b)
    root = nodes[program[-1][1]]
    root.grad = 1.0
    for node in reversed(_reverse_topological(root)):
        node._backward()
    return root.data, {name: nodes[name].grad for name in inputs}


class Node:
    """A bare node of a graph, for the topological-sort exercise: a label and its children."""

    __slots__ = ("label", "_prev")

    def __init__(self, label: str, children: tuple = ()):
        self.label, self._prev = label, tuple(children)

    def __repr__(self) -> str:
        return f"Node({self.label!r})"


def call_topological_order(answer: Callable, args: tuple) -> Any:
    """Call ``answer(root)`` on a graph of :class:`Node`; the labels of the nodes it returns.

    ``args`` is ``(edges,)``: ``(label, children's labels)`` pairs, children first, the last
    pair being the root.
    """
    (edges,) = args
    nodes: dict[str, Node] = {}
    for label, children in edges:
        nodes[label] = Node(label, tuple(nodes[c] for c in children))
    order = answer(nodes[edges[-1][0]])
    if not isinstance(order, (list, tuple)):
        return order
    return [n.label if isinstance(n, Node) else n for n in order]


CALLS: dict[str, Callable[[Any, tuple], Any]] = {
    "function": call_function,
    "gate_class": call_gate_class,
    "graph_class": call_graph_class,
    "value_class": call_value_class,
    "topological_order": call_topological_order,
}

#: what of this module each calling convention uses, besides gate_by_name and the test
#: functions: while an answer is graded, the rest of coursekit (this module's other helpers
#: included, e.g. the topological sort inside call_value_class) is closed to it
NEEDS: dict[str, tuple[str, ...]] = {
    "function": ("call_function",),
    "gate_class": ("call_gate_class",),
    "graph_class": ("call_graph_class",),
    "value_class": ("call_value_class", "_reverse_topological"),
    "topological_order": ("call_topological_order", "Node"),
}

TEST_FUNCTIONS: dict[str, Callable[[Any], Any]] = {
    "sin": np.sin,
    "exp": np.exp,
    "cube": lambda x: x**3,
    "logistic": lambda x: 1 / (1 + np.exp(-x)),
}
for _name, _f in TEST_FUNCTIONS.items():
    if getattr(_f, "__name__", "") == "<lambda>":
        _f.__name__ = _name


def gate_by_name(name: str) -> G.Gate:
    """A fresh gate object of the class ``coursekit.gates.<name>``."""
    cls = getattr(G, name, None)
    if not (isinstance(cls, type) and issubclass(cls, G.Gate)):
        raise ValueError(f"{name!r} is not a gate class of coursekit.gates")
    return cls()


__all__ = [
    "CALLS",
    "TEST_FUNCTIONS",
    "Node",
    "call_function",
    "call_gate_class",
    "call_graph_class",
    "call_value_class",
    "call_topological_order",
    "gate_by_name",
]
