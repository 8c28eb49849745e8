"""How an exercise calls an answer: the three calling conventions of the course's exercises.

An exercise's answer is a function (called with the case's arguments), a gate class
(instantiated, then ``forward(x)`` and ``backward(dz)``), or a graph class (built from wires of
gates, then ``forward(**inputs)`` and ``backward()``). The instant checks in
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


CALLS: dict[str, Callable[[Any, tuple], Any]] = {
    "function": call_function,
    "gate_class": call_gate_class,
    "graph_class": call_graph_class,
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


__all__ = ["CALLS", "TEST_FUNCTIONS", "call_function", "call_gate_class", "call_graph_class", "gate_by_name"]
